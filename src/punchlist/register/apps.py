from django.apps import AppConfig


class RegisterConfig(AppConfig):
    name = "punchlist.register"
    label = "register"
    verbose_name = "POA&M register"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import permissions  # noqa: F401  (registers the rules predicates)

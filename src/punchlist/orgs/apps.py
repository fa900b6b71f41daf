from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "punchlist.orgs"
    label = "orgs"
    verbose_name = "Organizations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import permissions  # noqa: F401  (registers the rules predicates)

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "punchlist.web"
    label = "web"
    verbose_name = "Punchlist web"

    def ready(self):
        from . import checks  # noqa: F401  (registers the deployment checks)

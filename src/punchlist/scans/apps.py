from django.apps import AppConfig


class ScansConfig(AppConfig):
    name = "punchlist.scans"
    label = "scans"
    verbose_name = "Scan findings"

    def ready(self):
        from . import permissions  # noqa: F401  (registers the rules)

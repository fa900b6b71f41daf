from django.apps import AppConfig


class RhythmConfig(AppConfig):
    name = "punchlist.rhythm"
    label = "rhythm"
    verbose_name = "Reviews and reminders"

    def ready(self):
        from . import permissions  # noqa: F401  (registers the rules)

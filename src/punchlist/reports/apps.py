from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "punchlist.reports"
    label = "reports"
    verbose_name = "Reports"

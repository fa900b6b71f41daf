from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "punchlist.web"
    label = "web"
    verbose_name = "Punchlist web"

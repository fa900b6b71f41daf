"""The root URL configuration: the HTTP API, allauth's sign-in and MFA pages, then the web app."""

from django.urls import include, path

urlpatterns = [
    path("", include("punchlist.api.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("punchlist.web.urls")),
]

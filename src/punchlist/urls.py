"""The root URL configuration: allauth's sign-in and MFA pages, then the web app."""

from django.urls import include, path

urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("", include("punchlist.web.urls")),
]

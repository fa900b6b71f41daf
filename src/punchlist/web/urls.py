"""The web app's URLs, namespace "web". Each screen's module under ``views/`` declares its own patterns:
``site_patterns`` (outside any organization) and ``organization_patterns`` (under /o/<slug>/, resolved by
tenancy.member_view)."""

from django.urls import include, path

from .views import SCREENS

app_name = "web"

urlpatterns = [pattern for screen in SCREENS for pattern in getattr(screen, "site_patterns", [])]
urlpatterns.append(path("o/<slug:org>/", include(
    [pattern for screen in SCREENS for pattern in getattr(screen, "organization_patterns", [])])))

"""/api/v1/ and, for any other address under /api/, a JSON 404 rather than the web's HTML page."""

from django.http import JsonResponse
from django.urls import path, re_path

from .v1 import api


def not_found(request, rest=""):
    return JsonResponse({"code": "not_found", "message": f"There is no API operation at {request.path}."},
                        status=404)


urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", not_found),
]

"""/api/v1/ and, for any other address under /api/, a JSON 404 rather than the web's HTML page; a method an
operation does not take is a JSON 405 too (django-ninja answers it in plain text)."""

from functools import wraps

from django.http import JsonResponse
from django.urls import path, re_path

from .v1 import api


def _json_405(view):
    @wraps(view)
    def answer(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith("application/json"):
            allowed = response.get("Allow", "")
            refused = JsonResponse({"code": "method_not_allowed",
                                    "message": f"{request.method} is not an operation here; these are: {allowed}."},
                                   status=405)
            refused["Allow"] = allowed
            return refused
        return response

    return answer


def _versioned(urls):
    patterns, app_name, namespace = urls
    for pattern in patterns:
        pattern.callback = _json_405(pattern.callback)
    return patterns, app_name, namespace


def not_found(request, rest=""):
    return JsonResponse({"code": "not_found", "message": f"There is no API operation at {request.path}."},
                        status=404)


urlpatterns = [
    path("api/v1/", _versioned(api.urls)),
    re_path(r"^api/(?P<rest>.*)$", not_found),
]

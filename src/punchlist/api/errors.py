"""Every refusal as JSON with a stable ``code`` and a message in words; never an HTML page or a traceback.

| code | status | when |
|---|---|---|
| unauthenticated | 401 | no token, or one unknown, revoked or expired |
| permission_denied | 403 | the person's role, or a read-only token, does not allow it |
| not_found | 404 | nothing by that name in an organization the token opens |
| stale | 409 | someone saved the record since the version named in If-Match (``changes`` says what) |
| invalid | 400, 422 | a value the register refuses, or a request that does not fit the schema |
| too_large | 413 | an upload past the server's limit |
| precondition_required | 428 | a write without If-Match |
| server_error | 500 | a fault of ours, logged on the server |
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from punchlist.audit.locking import StaleWrite
from punchlist.errors import InputError
from punchlist.orgs.services import OrganizationError
from punchlist.register.errors import RegisterError
from punchlist.web.views.item_parts import conflict_message

log = logging.getLogger("punchlist.api")


class Error(Schema):
    code: str
    message: str
    changes: dict | None = None  # stale: each field changed since your version, with its value now
    changed_by: list[str] | None = None
    current_version: int | None = None
    problems: list[str] | None = None  # invalid: every problem found


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


ERROR_STATUSES = (400, 401, 403, 404, 409, 413, 422, 428)


def responses(ok_status: int, ok_schema, *, errors=ERROR_STATUSES) -> dict:
    """An operation's documented answers: its own, and every error it may give, all in the Error shape."""
    answers = {ok_status: ok_schema}
    answers.update({status: Error for status in errors})
    return answers


def install(api) -> None:
    def answer(request, status: int, code: str, message: str, **extra):
        return api.create_response(request, {"code": code, "message": message, **extra}, status=status)

    @api.exception_handler(ApiError)
    def api_error(request, exc):
        return answer(request, exc.status, exc.code, exc.message, **exc.extra)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return answer(request, 404, "not_found", str(exc) or "Not found")

    @api.exception_handler(DjangoPermissionDenied)
    def denied(request, exc):
        return answer(request, 403, "permission_denied", str(exc) or "Not allowed")

    @api.exception_handler(StaleWrite)
    def stale(request, exc):
        return answer(request, 409, "stale", conflict_message(exc).removeprefix("Not saved: "),
                      changes={k: v for k, v in exc.changes.items()}, changed_by=exc.by,
                      current_version=exc.current_version)

    @api.exception_handler(RegisterError)
    def refused(request, exc):
        return answer(request, 400, "invalid", str(exc))

    @api.exception_handler(OrganizationError)
    def organization_refused(request, exc):
        return answer(request, 400, "invalid", str(exc))

    @api.exception_handler(InputError)
    def bad_input(request, exc):
        return answer(request, 400, "invalid", str(exc))

    @api.exception_handler(ValidationError)
    def invalid(request, exc):
        problems = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors]
        return answer(request, 422, "invalid", "The request does not fit the API's schema.", problems=problems)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return answer(request, 401, "unauthenticated",
                      "Send a personal API token as 'Authorization: Bearer pl_…'; this one is missing, unknown, "
                      "revoked or expired.")

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        codes = {400: "invalid", 401: "unauthenticated", 403: "permission_denied", 404: "not_found",
                 405: "method_not_allowed", 413: "too_large", 429: "throttled"}
        return answer(request, exc.status_code, codes.get(exc.status_code, "error"), str(exc))

    @api.exception_handler(Exception)
    def server_error(request, exc):
        log.exception("API request failed: %s %s", request.method, request.path)
        return answer(request, 500, "server_error", "Something went wrong on the server; it is in the server's "
                                                    "log. Nothing was changed.")

"""Version 1 of the API: one NinjaAPI, every operation behind a personal token, every refusal JSON
(``errors``). Its OpenAPI 3.1 document is served at /api/v1/openapi.json and shipped as docs/openapi.json."""

from __future__ import annotations

from ninja import NinjaAPI

from . import assessments, errors, evidence, exports, imports, items, organizations, portfolio, reports, reviews, scans
from .auth import TokenAuth


class PunchlistApi(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        """Operations named by what they do ("list_items"), not by the module that holds them."""
        return operation.view_func.__name__


api = PunchlistApi(
    title="Punchlist API",
    version="1",
    description=("The POA&M register of NIST SP 800-171 Rev 2 / CMMC Level 2 organizations, for programs. "
                 "Authenticate with a personal API token (Authorization: Bearer pl_…) made on the web under "
                 "API tokens; it opens the organizations it was made for, for reading or for reading and "
                 "writing, and never allows more than its person may do. Writes to versioned records send "
                 "If-Match with the ETag read; a stale write is 409 with what changed. Every error is JSON "
                 "with a stable code."),
    urls_namespace="api-v1",
    auth=TokenAuth(),
    docs_url=None,
)
errors.install(api)
api.add_router("", organizations.router)
api.add_router("", items.router)
api.add_router("", assessments.router)
api.add_router("", exports.router)
api.add_router("", reports.router)
api.add_router("", imports.router)
api.add_router("", reviews.router)
api.add_router("", portfolio.router)
api.add_router("", evidence.router)
api.add_router("", scans.router)

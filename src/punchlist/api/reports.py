"""Reports: the leadership, review and readiness documents (PDF or HTML) and the assessor package, the same
files the Reports screen downloads, written by the same code and logged as downloads."""

from __future__ import annotations

import os
import tempfile
from typing import Literal

from django.http import FileResponse, HttpResponse
from ninja import Router

from punchlist.reports import data, render as documents
from punchlist.orgs.permissions import require
from punchlist.web.downloads import log_download
from punchlist.web.views.reports import FORMATS

from .auth import organization
from .errors import responses

router = Router(tags=["reports"])


def _binary(*media_types: str) -> dict:
    return {"responses": {200: {"description": "The file, as an attachment", "content": {
        media: {"schema": {"type": "string", "format": "binary"}} for media in media_types}}}}


@router.get("/organizations/{slug}/reports/{kind}", summary="A report as PDF or HTML",
            response=responses(200, None), openapi_extra=_binary("application/pdf", "text/html"))
def report(request, slug: str, kind: Literal["leadership", "review", "readiness"],
           format: Literal["pdf", "html"] = "pdf"):
    org = organization(request, slug)
    require(request.user, "register.view_item", org)
    snap = data.Snapshot(org)
    body = documents.render_pdf(kind, snap) if format == "pdf" else documents.render_html(kind, snap).encode()
    filename = documents.filename(kind, snap, format)
    log_download(request, filename)
    response = HttpResponse(body, content_type=FORMATS[format])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@router.get("/organizations/{slug}/assessor-package", summary="The assessor package (ZIP)",
            response=responses(200, None), openapi_extra=_binary("application/zip"))
def assessor_package(request, slug: str, evidence_files: bool = True):
    """The package the Reports screen downloads; ``evidence_files=false`` leaves the files out (not their
    index and hashes)."""
    from punchlist.reports.package import package_name, write_package

    org = organization(request, slug)
    require(request.user, "register.view_item", org)
    snap = data.Snapshot(org)
    handle, name = tempfile.mkstemp(prefix="punchlist-package-", suffix=".zip")
    os.close(handle)
    try:
        write_package(request.user, org, name, generated_at=snap.generated_at, evidence_files=evidence_files)
        stream = open(name, "rb")  # noqa: SIM115 - FileResponse closes it
    finally:
        os.unlink(name)
    filename = package_name(org, snap.as_of)
    log_download(request, filename)
    response = FileResponse(stream, as_attachment=True, filename=filename, content_type="application/zip")
    response["Cache-Control"] = "private, no-store"
    return response

"""Files leaving Punchlist: evidence, reports and the assessor package.

Each is sent as an attachment, never rendered by the browser, and each is written to the security log beside
the sign-ins (3.3.1): who took which file of which organization, and from where. Reports and packages carry
the register's CUI; the log lets an operator answer "who has a copy?" without moving the audit chain, whose
head marks changes to the register, not reads of it.
"""

from __future__ import annotations

from django.http import FileResponse, Http404

from punchlist.register.models import VAULT

from .accounts import security_log
from .lockout import client_ip


def log_download(request, what: str) -> None:
    ip = client_ip(request)
    security_log.info("downloaded: username=%r org=%s file=%r ip=%s", request.user.get_username(),
                      request.organization.slug, what, ip)


def evidence_file_response(request, evidence) -> FileResponse:
    """The stored file as a download that nothing renders or caches; 404 for a reference or a lost file."""
    if not evidence.file:
        raise Http404("This evidence is a reference, not a file")
    try:
        handle = VAULT.reader(evidence.file.name)  # streamed from the folder or the bucket
    except FileNotFoundError:
        raise Http404("This evidence file is missing from the vault; `punchlist verify` lists such files") from None
    log_download(request, f"evidence {evidence.pk} {evidence.name} (sha256 {evidence.sha256})")
    response = FileResponse(handle, as_attachment=True, filename=evidence.name, content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response

"""Evidence of remediation: an uploaded file, hashed as it streams in, or a reference to where it lives.

Evidence is never deleted here: artifacts are kept six years (R-AFF-3); issue 6 adds the vault's retention.
"""

from __future__ import annotations

import hashlib
import os
import tempfile

from django.core.files import File
from django.core.files.storage import default_storage

from punchlist.audit import chain
from punchlist.orgs.permissions import require

from ..errors import InvalidChange
from ..models import Evidence, PoamItem
from ._common import writing

CHUNK = 1 << 20


def _store(organization_id: int, content) -> tuple[str, str, int]:
    """Stream ``content`` (bytes or a binary file) to storage under its SHA-256; return (name, sha256, size)."""
    digest = hashlib.sha256()
    size = 0
    with tempfile.NamedTemporaryFile(delete=False) as spool:
        try:
            if isinstance(content, (bytes, bytearray)):
                digest.update(content)
                spool.write(content)
                size = len(content)
            else:
                while chunk := content.read(CHUNK):
                    digest.update(chunk)
                    spool.write(chunk)
                    size += len(chunk)
            spool.flush()
            sha256 = digest.hexdigest()
            name = f"{organization_id}/{sha256[:2]}/{sha256}"
            if not default_storage.exists(name):  # stored once, whatever the number of items citing it
                with open(spool.name, "rb") as handle:
                    saved = default_storage.save(name, File(handle))
                if saved != name:
                    raise RuntimeError(f"evidence storage renamed {name} to {saved}")
        finally:
            os.unlink(spool.name)
    return name, sha256, size


def add_evidence(actor, item: PoamItem, *, name: str, content=None, reference: str = "",
                 description: str = "") -> Evidence:
    """Attach evidence to an item: ``content`` (bytes or a binary file) or a ``reference`` to where it lives."""
    name = (name or "").strip()
    reference = (reference or "").strip()
    if not name:
        raise InvalidChange("evidence needs a name")
    if content is None and not reference:
        raise InvalidChange("evidence is either a file or a reference to where it lives")
    require(actor, "register.add_evidence", item)
    stored = _store(item.organization_id, content) if content is not None else None
    with writing(item.organization) as head:
        evidence = Evidence(item=item, name=name, reference=reference, description=description.strip(),
                            added_by=actor)
        if stored is not None:
            evidence.file, evidence.sha256, evidence.size = stored
        evidence.save(force_insert=True)
        chain.record(organization=item.organization, actor=actor, action="add_evidence", obj=evidence,
                     subject=item.identifier, head=head,
                     after={"name": evidence.name, "sha256": evidence.sha256, "size": evidence.size,
                            "reference": evidence.reference, "added_at": evidence.added_at})
    return evidence

"""Optimistic locking over HTTP: a record's version is its ETag, and a write names the version its writer read
in If-Match. A stale one is refused by the services themselves (``punchlist.audit.locking``) with what changed,
which the API answers as 409 ``stale``."""

from __future__ import annotations

from typing import Annotated

from ninja import Header
from pydantic import Field

from .errors import ApiError

# Declared on every write to a versioned record, so that the document says so; read by ``if_match``.
IfMatch = Annotated[str, Header(default="", alias="If-Match", max_length=100,
                                       description='The version read (its ETag, like "3"); required.')]


def etag(version: int) -> str:
    return f'"{version}"'


def if_match(request) -> int:
    """The version named in If-Match (``"3"``, ``W/"3"`` or ``3``); 428 without one, 400 for anything else."""
    header = (request.headers.get("If-Match") or "").strip()
    if not header:
        raise ApiError(428, "precondition_required",
                       "Send If-Match with the version you read (the ETag of the record) so that nobody's change "
                       "is overwritten unseen.")
    value = header.removeprefix("W/").strip().strip('"')
    if not value.isdigit() or len(value) > 9:
        raise ApiError(400, "invalid", f"If-Match {header!r} is not a version this API gave (an ETag like \"3\").")
    return int(value)

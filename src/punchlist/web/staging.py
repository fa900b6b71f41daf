"""Uploaded POA&M files kept between the steps of a web import: upload, preview, check, import.

The file is kept in the import staging (STORAGES["imports"], ``punchlist.storage``: the folder
PUNCHLIST_IMPORT_DIR, by default DATA_DIR/imports, or the bucket of PUNCHLIST_STORAGE_URL, which every server
reads), not in the session or the database, under ``<organization pk>/<user pk>/<random token>/<kept at, Unix
seconds>/<the file's name>``. A token is good only for the person who uploaded the file and in the
organization they uploaded it to: anyone else's token, like an unknown one, finds nothing (a 404). The file
goes when it is imported or the person discards it, and otherwise after a day (each new upload of that person
clears their stale ones, and keeps at most ``KEPT_PER_PERSON``). The time is in the name because it is the
app's clock that says when a day has passed, not a file system's or an object store's. The file's name is
kept because the readers tell CSV from XLSX by it, and because the audit trail says "updated by import of
FILE".

Uploading the file again at each step was the alternative: every correction of the mapping would then cost
another upload of up to PUNCHLIST_MAX_UPLOAD_MB.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import SuspiciousFileOperation
from django.utils.text import get_valid_filename

from punchlist.storage import STAGING

TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
KEEP_SECONDS = 24 * 3600
KEPT_PER_PERSON = 5
NAME_LENGTH = 120


@dataclass(frozen=True)
class Upload:
    token: str
    folder: str  # in the staging: <organization>/<user>/<token>
    stored: str  # the file's name in the staging
    name: str  # the file's name as uploaded (made safe for a file system)
    size: int
    kept_at: int  # Unix seconds, on the app's clock


def _person_folder(organization, user) -> str:
    return f"{organization.pk}/{user.pk}"


def safe_name(name: str) -> str:
    """The uploaded file's own name, without folders or characters a file system or a shell would mind."""
    base = re.split(r"[\\/]", name or "")[-1]
    try:
        cleaned = get_valid_filename(base)
    except SuspiciousFileOperation:
        cleaned = ""
    stem, dot, suffix = cleaned.rpartition(".")
    if not dot:
        stem, suffix = cleaned, ""
    suffix = suffix[:10]
    stem = stem[:NAME_LENGTH - len(suffix) - 1] or "upload"
    return f"{stem}.{suffix}" if suffix else stem


def keep(organization, user, uploaded, *, token: str | None = None) -> Upload:
    """Write the upload (a Django UploadedFile, read chunk by chunk) to a new folder of its own.

    ``token`` is for tests that need two people holding the same address; by default it is random.
    """
    prune(organization, user)
    token = token or secrets.token_urlsafe(24)
    folder = f"{_person_folder(organization, user)}/{token}"
    kept_at = int(time.time())
    name = safe_name(uploaded.name)
    stored = f"{folder}/{kept_at}/{name}"
    handle, spool = tempfile.mkstemp(dir=STAGING.spool_dir(), prefix="upload-")
    size = 0
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in uploaded.chunks():
                out.write(chunk)
                size += len(chunk)
        STAGING.put(stored, spool)
    finally:
        if os.path.exists(spool):
            os.unlink(spool)
    return Upload(token, folder, stored, name, size, kept_at)


def _parse(folder: str, names: list[str]) -> tuple[str, int, str] | None:
    """(stored name, kept at, file name) of a token's folder holding one file as ``keep`` writes it."""
    if len(names) != 1:
        return None
    when, _, name = names[0][len(folder) + 1:].partition("/")
    if not when.isdigit() or not name or "/" in name:
        return None
    return names[0], int(when), name


def find(organization, user, token: str) -> Upload | None:
    """The person's upload under ``token`` in this organization, or None (unknown, someone else's, stale)."""
    if not TOKEN.fullmatch(token or ""):
        return None
    folder = f"{_person_folder(organization, user)}/{token}"
    found = _parse(folder, STAGING.names(folder))
    if found is None:
        return None
    stored, kept_at, name = found
    if time.time() - kept_at > KEEP_SECONDS:
        STAGING.remove_all(folder)
        return None
    try:
        size = STAGING.size(stored)
    except FileNotFoundError:  # discarded by another request in the meantime
        return None
    return Upload(token, folder, stored, name, size, kept_at)


@contextmanager
def local_file(upload: Upload):
    """A local path holding the upload, for the readers (the folder's own file, or a copy of the bucket's,
    removed afterwards). FileNotFoundError when it was discarded in the meantime."""
    with STAGING.local_copy(upload.stored) as path:
        yield path


def discard(upload: Upload) -> None:
    STAGING.remove_all(upload.folder)


def prune(organization, user) -> None:
    """Remove the person's uploads older than a day, and all but their newest few."""
    person = _person_folder(organization, user)
    try:
        tokens = STAGING.listdir(person)[0]
    except FileNotFoundError:
        return
    kept = []
    for token in tokens:
        folder = f"{person}/{token}"
        found = _parse(folder, STAGING.names(folder))
        kept.append((found[1] if found else 0, folder))  # a folder of another shape is as good as stale
    kept.sort(reverse=True)
    now = time.time()
    for position, (kept_at, folder) in enumerate(kept):
        if position >= KEPT_PER_PERSON - 1 or now - kept_at > KEEP_SECONDS:
            STAGING.remove_all(folder)

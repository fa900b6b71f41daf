"""Uploaded POA&M files kept between the steps of a web import: upload, preview, check, import.

The file is kept on disk, not in the session or the database, in PUNCHLIST_IMPORT_DIR (by default
DATA_DIR/imports) under ``<organization pk>/<user pk>/<random token>/<the file's name>``. A token is good
only for the person who uploaded the file and in the organization they uploaded it to: anyone else's token,
like an unknown one, finds nothing (a 404). The folder goes when the file is imported or the person discards
it, and otherwise after a day (each new upload of that person clears their stale ones, and keeps at most
``KEPT_PER_PERSON``). The name is kept because the readers tell CSV from XLSX by it, and because the audit
trail says "updated by import of FILE".

Uploading the file again at each step was the alternative: every correction of the mapping would then cost
another upload of up to PUNCHLIST_MAX_UPLOAD_MB.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.utils.text import get_valid_filename

TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
KEEP_SECONDS = 24 * 3600
KEPT_PER_PERSON = 5
NAME_LENGTH = 120


@dataclass(frozen=True)
class Upload:
    token: str
    folder: Path
    path: Path
    name: str  # the file's name as uploaded (made safe for a file system)
    size: int


def _person_folder(organization, user) -> Path:
    return Path(settings.PUNCHLIST_IMPORT_DIR) / str(organization.pk) / str(user.pk)


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
    folder = _person_folder(organization, user) / token
    folder.mkdir(mode=0o700, parents=True)
    path = folder / safe_name(uploaded.name)
    size = 0
    with open(path, "xb") as out:
        os.chmod(path, 0o600)
        for chunk in uploaded.chunks():
            out.write(chunk)
            size += len(chunk)
    # Its age is measured on the app's clock (the one ``find`` and ``prune`` read), not the file system's.
    now = time.time()
    os.utime(path, (now, now))
    os.utime(folder, (now, now))
    return Upload(token, folder, path, path.name, size)


def find(organization, user, token: str) -> Upload | None:
    """The person's upload under ``token`` in this organization, or None (unknown, someone else's, stale)."""
    if not TOKEN.fullmatch(token or ""):
        return None
    folder = _person_folder(organization, user) / token
    try:
        files = [entry for entry in folder.iterdir() if entry.is_file()]
    except OSError:
        return None
    if len(files) != 1:
        return None
    stat = files[0].stat()
    if time.time() - stat.st_mtime > KEEP_SECONDS:
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return Upload(token, folder, files[0], files[0].name, stat.st_size)


def discard(upload: Upload) -> None:
    shutil.rmtree(upload.folder, ignore_errors=True)


def prune(organization, user) -> None:
    """Remove the person's uploads older than a day, and all but their newest few."""
    person = _person_folder(organization, user)
    try:
        folders = sorted((entry for entry in person.iterdir() if entry.is_dir()),
                         key=lambda entry: entry.stat().st_mtime, reverse=True)
    except OSError:
        return
    now = time.time()
    for position, folder in enumerate(folders):
        if position >= KEPT_PER_PERSON - 1 or now - folder.stat().st_mtime > KEEP_SECONDS:
            shutil.rmtree(folder, ignore_errors=True)

"""Where files live: the evidence vault, the POA&M files staged for import and the reports built by the worker,
each one of Django's STORAGES ("evidence", "imports", "reports"), as ``punchlist.config.storages`` sets them
from the environment.

By default each is a local folder (PUNCHLIST_EVIDENCE_DIR, PUNCHLIST_IMPORT_DIR, PUNCHLIST_REPORT_DIR, read when
used so that a test or the demo can point elsewhere); with PUNCHLIST_STORAGE_URL=s3://... all are prefixes of one S3-compatible
bucket (``punchlist.storage_s3``), which several servers share. Besides Django's Storage API, both kinds offer
what the vault and the staging need and Django's API leaves out, the same on both:

- ``put(name, path)``: store a finished local file under ``name``, replacing what was there, all at once
  (a reader never sees half a file);
- ``reader(name)``: a binary file to read from, streamed (FileNotFoundError when there is none);
- ``names(prefix)``: every file under ``prefix/``, however deep; ``remove_all(prefix)`` removes them;
- ``local_copy(name)``: a local path holding the file, for readers that need one (spreadsheet libraries);
- ``spool_dir()``: where an upload is written before ``put`` (None: the system's temporary folder).
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages


class LocalArea(FileSystemStorage):
    """A local folder named by a setting (read each time it is used), never served by URL."""

    file_mode = 0o600

    def __init__(self, setting: str, **options):
        self.setting = setting
        super().__init__(**options)

    @property
    def base_location(self):
        return getattr(settings, self.setting)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None

    def spool_dir(self) -> str:
        folder = Path(self.location) / ".incoming"  # on the same file system, so that ``put`` is a rename
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return str(folder)

    def put(self, name: str, path) -> None:
        final = Path(self.path(name))
        final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path, self.file_mode)
        os.replace(path, final)

    def reader(self, name: str):
        return open(self.path(name), "rb")  # noqa: SIM115 - the caller closes it

    def names(self, prefix: str) -> list[str]:
        root = Path(self.location)
        folder = Path(self.path(prefix))
        if not folder.is_dir():
            return []
        return sorted(path.relative_to(root).as_posix() for path in folder.rglob("*") if path.is_file())

    def remove_all(self, prefix: str) -> None:
        shutil.rmtree(self.path(prefix), ignore_errors=True)

    @contextmanager
    def local_copy(self, name: str):
        path = Path(self.path(name))
        if not path.is_file():
            raise FileNotFoundError(name)
        yield path


class LocalVault(LocalArea):
    """The evidence vault's folder: files are written read-only."""

    file_mode = 0o440


class LocalStaging(LocalArea):
    """Uploads kept between the steps of a web import."""


class LocalReports(LocalArea):
    """Reports and assessor packages built by the worker, kept a day for their download."""


class Area(Storage):
    """One of the STORAGES, looked up each time it is used: a model's FileField keeps the storage it was given
    when the model was defined, and this lets it follow the settings (a test switching to S3, say)."""

    def __init__(self, alias: str):
        self.alias = alias

    @property
    def backend(self):
        return storages[self.alias]

    def __getattr__(self, name):  # put, reader, names, remove_all, local_copy, spool_dir, location, bucket ...
        if name == "alias":
            raise AttributeError(name)
        return getattr(self.backend, name)

    def deconstruct(self):
        return ("punchlist.storage.Area", (self.alias,), {})

    def _open(self, name, mode="rb"):
        return self.backend._open(name, mode)

    def _save(self, name, content):
        return self.backend._save(name, content)

    def open(self, name, mode="rb"):
        return self.backend.open(name, mode)

    def save(self, name, content, max_length=None):
        return self.backend.save(name, content, max_length=max_length)

    def get_valid_name(self, name):
        return self.backend.get_valid_name(name)

    def get_available_name(self, name, max_length=None):
        return self.backend.get_available_name(name, max_length=max_length)

    def generate_filename(self, filename):
        return self.backend.generate_filename(filename)

    def path(self, name):
        return self.backend.path(name)

    def delete(self, name):
        return self.backend.delete(name)

    def exists(self, name):
        return self.backend.exists(name)

    def listdir(self, path):
        return self.backend.listdir(path)

    def size(self, name):
        return self.backend.size(name)

    def url(self, name):
        return self.backend.url(name)

    def get_modified_time(self, name):
        return self.backend.get_modified_time(name)


VAULT = Area("evidence")
STAGING = Area("imports")
REPORTS = Area("reports")

"""Test fixtures for the two places files live (``punchlist.storage``): the local folders and an S3 bucket on a
real S3 API server (moto in server mode, on a free port of 127.0.0.1, started once per test session), never a
mocked client. ``vault_backend`` runs a test once on each; its ``StoredFiles`` lets the test reach behind
Punchlist's back, as an intruder or a failing disk would: list, read, alter and remove stored files.
"""

from __future__ import annotations

import secrets
import stat
from pathlib import Path

import pytest

REGION = "us-east-1"


class StoredFiles:
    """The files of one of the STORAGES, seen directly (the folder, or the bucket through boto3)."""

    def __init__(self, alias: str, url: str | None = None):
        self.alias = alias
        self.url = url  # the PUNCHLIST_STORAGE_URL that reaches the bucket (None: the local folders)

    @property
    def kind(self) -> str:
        return "s3" if hasattr(self.backend, "bucket") else "folder"

    def environ(self, settings) -> dict:
        """What another Punchlist process (a worker, a second server) needs to reach the same files."""
        if self.url is not None:
            return {"PUNCHLIST_STORAGE_URL": self.url}
        return {"PUNCHLIST_EVIDENCE_DIR": settings.PUNCHLIST_EVIDENCE_DIR,
                "PUNCHLIST_IMPORT_DIR": settings.PUNCHLIST_IMPORT_DIR,
                "PUNCHLIST_REPORT_DIR": settings.PUNCHLIST_REPORT_DIR}

    @property
    def backend(self):
        from django.core.files.storage import storages

        return storages[self.alias]

    def files(self) -> list[str]:
        """Every stored file's name, the local vault's upload spool left out."""
        if self.kind == "s3":
            bucket, start = self.backend.bucket, self.backend.location.rstrip("/") + "/"
            return sorted(entry.key[len(start):] for entry in bucket.objects.filter(Prefix=start))
        root = Path(self.backend.location)
        if not root.exists():
            return []
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                      if p.is_file() and not p.relative_to(root).as_posix().startswith(".incoming/"))

    def read(self, name: str) -> bytes:
        with self.backend.reader(name) as handle:
            return handle.read()

    def alter(self, name: str, content: bytes) -> None:
        if self.kind == "s3":
            self.backend.bucket.put_object(Key=self._key(name), Body=content)
            return
        path = Path(self.backend.path(name))
        path.chmod(0o600)
        path.write_bytes(content)

    def remove(self, name: str) -> None:
        if self.kind == "s3":
            self.backend.bucket.Object(self._key(name)).delete()
        else:
            Path(self.backend.path(name)).unlink()

    def read_only(self, name: str) -> bool:
        """A local file is written read-only; an S3 object is replaced only by a new PUT."""
        if self.kind == "s3":
            return True
        return stat.S_IMODE(Path(self.backend.path(name)).stat().st_mode) & 0o222 == 0

    def _key(self, name: str) -> str:
        return f"{self.backend.location.rstrip('/')}/{name}"


@pytest.fixture(scope="session")
def s3_server():
    """A real S3 API server for the session (moto's), and the address boto3 reaches it at."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def use_s3(settings, monkeypatch, endpoint: str, *, prefix: str = "punchlist") -> str:
    """Point the evidence vault and the staged imports at a new bucket of the S3 server; the bucket's name."""
    import boto3

    from punchlist import config

    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", REGION)):
        monkeypatch.setenv(name, value)
    bucket = f"punchlist-test-{secrets.token_hex(6)}"
    boto3.client("s3", endpoint_url=endpoint, region_name=REGION).create_bucket(Bucket=bucket)
    url = f"s3://{bucket}/{prefix}?endpoint={endpoint}&region={REGION}&addressing=path"
    settings.STORAGES = {**settings.STORAGES, **config.storages(url, None, None)}
    return url


@pytest.fixture(params=["folder", "s3"])
def vault_backend(request, settings, monkeypatch) -> StoredFiles:
    """The test runs once with the local folders and once with an S3 bucket (evidence and staged imports
    alike); the vault's files, seen directly (``StoredFiles("imports")`` sees the staged imports')."""
    url = None
    if request.param == "s3":
        url = use_s3(settings, monkeypatch, request.getfixturevalue("s3_server"))
    return StoredFiles("evidence", url)

"""The evidence vault and the staged imports in an S3-compatible bucket (AWS S3, GovCloud, MinIO), through
django-storages' S3Storage, with the few operations ``punchlist.storage`` adds (see there). Imported only
when PUNCHLIST_STORAGE_URL names a bucket: a one-server install needs neither django-storages nor boto3.

An object is written by one PUT (or a multipart upload completed at once), so a reader sees the whole file or
none of it; replacing one is another PUT. Reads stream: nothing is held whole in memory.
"""

from __future__ import annotations

import posixpath
import tempfile
from contextlib import contextmanager
from pathlib import Path

from botocore.exceptions import ClientError
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

CHUNK = 1 << 20
MISSING = {"404", "NoSuchKey", "NotFound"}


def _missing(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code")) in MISSING


class S3Area(S3Storage):
    """A prefix of the bucket (``location``): evidence/ or imports/."""

    def _key(self, name: str) -> str:
        return self._normalize_name(clean_name(name))

    def spool_dir(self) -> None:
        return None

    def put(self, name: str, path) -> None:
        params = self._get_write_parameters(self._key(name))
        self.bucket.Object(self._key(name)).upload_file(str(path), ExtraArgs=params, Config=self.transfer_config)
        Path(path).unlink(missing_ok=True)

    def reader(self, name: str):
        try:
            return self.bucket.Object(self._key(name)).get()["Body"]
        except ClientError as error:
            if _missing(error):
                raise FileNotFoundError(name) from None
            raise OSError(f"{name}: {error.response.get('Error', {}).get('Message') or error}") from None

    def names(self, prefix: str) -> list[str]:
        start = self._key(prefix).rstrip("/") + "/"
        strip = len(self.location.rstrip("/")) + 1 if self.location else 0
        return sorted(entry.key[strip:] for entry in self.bucket.objects.filter(Prefix=start))

    def remove_all(self, prefix: str) -> None:
        self.bucket.objects.filter(Prefix=self._key(prefix).rstrip("/") + "/").delete()

    @contextmanager
    def local_copy(self, name: str):
        with tempfile.TemporaryDirectory(prefix="punchlist-") as folder:
            target = Path(folder) / posixpath.basename(name)
            try:
                self.bucket.Object(self._key(name)).download_file(str(target))
            except ClientError as error:
                if _missing(error):
                    raise FileNotFoundError(name) from None
                raise
            yield target


class S3Vault(S3Area):
    """The evidence vault's prefix."""


class S3Staging(S3Area):
    """The staged imports' prefix."""


class S3Reports(S3Area):
    """The built reports' and assessor packages' prefix."""

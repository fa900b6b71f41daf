"""Where files and the cache live, from the environment: local folders and a file cache by default, one S3
bucket (PUNCHLIST_STORAGE_URL) and one Redis (PUNCHLIST_CACHE_URL) for several servers; a bad value stops the
process with a message naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from punchlist import config
from punchlist.config import ConfigurationError


def test_without_a_storage_url_files_stay_in_the_local_folders():
    found = config.storages(None, None, None)
    assert found["evidence"] == {"BACKEND": "punchlist.storage.LocalVault",
                                 "OPTIONS": {"setting": "PUNCHLIST_EVIDENCE_DIR"}}
    assert found["imports"]["BACKEND"] == "punchlist.storage.LocalStaging"
    assert found["reports"] == {"BACKEND": "punchlist.storage.LocalReports",
                                "OPTIONS": {"setting": "PUNCHLIST_REPORT_DIR"}}


def test_an_s3_url_puts_evidence_imports_and_reports_under_one_prefix_of_the_bucket():
    found = config.storages("s3://acme-poam/prod/punchlist?region=us-gov-west-1"
                            "&endpoint=https://s3-fips.us-gov-west-1.amazonaws.com&addressing=virtual", None, None)
    evidence, imports = found["evidence"], found["imports"]
    assert evidence["BACKEND"] == "punchlist.storage_s3.S3Vault"
    assert imports["BACKEND"] == "punchlist.storage_s3.S3Staging"
    assert evidence["OPTIONS"] == {
        "bucket_name": "acme-poam", "file_overwrite": True, "default_acl": None, "region_name": "us-gov-west-1",
        "endpoint_url": "https://s3-fips.us-gov-west-1.amazonaws.com", "addressing_style": "virtual",
        "location": "prod/punchlist/evidence"}
    assert imports["OPTIONS"]["location"] == "prod/punchlist/imports"
    assert found["reports"]["BACKEND"] == "punchlist.storage_s3.S3Reports"
    assert found["reports"]["OPTIONS"] == {**evidence["OPTIONS"], "location": "prod/punchlist/reports"}
    assert config.storages("s3://acme-poam", None, None)["evidence"]["OPTIONS"]["location"] == "evidence"


@pytest.mark.parametrize("url, folders, message", [
    ("gs://acme/poam", (None, None), "unsupported storage; use s3://BUCKET/PREFIX"),
    ("s3:///poam", (None, None), "names no bucket"),
    ("s3://key:secret@acme/poam", (None, None), "keep credentials out of the URL"),
    ("s3://acme?regoin=us-east-1", (None, None), "unknown option 'regoin'; known: region, endpoint, addressing"),
    ("s3://acme?region=", (None, None), "the option 'region' is empty"),
    ("s3://acme?addressing=dns", (None, None), "addressing='dns' is not one of path, virtual"),
    ("s3://acme?endpoint=minio:9000", (None, None), "is not an http:// or https:// address"),
    ("s3://acme", ("/srv/evidence", None), "PUNCHLIST_EVIDENCE_DIR and PUNCHLIST_STORAGE_URL are both set"),
    ("s3://acme", (None, "/srv/imports"), "PUNCHLIST_IMPORT_DIR and PUNCHLIST_STORAGE_URL are both set"),
])
def test_bad_storage_urls_name_the_variable(url, folders, message):
    with pytest.raises(ConfigurationError, match=message) as raised:
        config.storages(url, *folders)
    assert "PUNCHLIST_STORAGE_URL" in str(raised.value) and "secret" not in str(raised.value)


def test_a_report_folder_beside_a_storage_url_is_refused():
    with pytest.raises(ConfigurationError, match="PUNCHLIST_REPORT_DIR and PUNCHLIST_STORAGE_URL are both set") as raised:
        config.storages("s3://acme", None, None, report_dir="/srv/reports")
    assert "PUNCHLIST_STORAGE_URL" in str(raised.value) and "secret" not in str(raised.value)


def test_cache_urls(tmp_path):
    assert config.cache(None, tmp_path) == {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                            "LOCATION": str(tmp_path / "cache")}
    redis = config.cache("redis://cache.internal:6379/2", tmp_path)
    assert redis == {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                     "LOCATION": "redis://cache.internal:6379/2", "KEY_PREFIX": "punchlist"}
    assert config.cache("rediss://:pw@cache.internal:6380/0", tmp_path)["LOCATION"] == \
        "rediss://:pw@cache.internal:6380/0"
    staging = config.cache("redis://cache.internal:6379/0?prefix=punchlist-staging&socket_timeout=5", tmp_path)
    assert (staging["LOCATION"], staging["KEY_PREFIX"]) == ("redis://cache.internal:6379/0?socket_timeout=5",
                                                            "punchlist-staging")


@pytest.mark.parametrize("url, message", [
    ("memcached://127.0.0.1:11211", "unsupported cache; use redis://HOST:6379/0"),
    ("redis:///0", "names no host"),
    ("redis://:hunter2@cache:port/0", "the port is not a number"),
    ("redis://:hunter2@cache:6379/0?prefix=a b", "prefix= takes letters, digits"),
])
def test_bad_cache_urls_name_the_variable_and_never_a_password(tmp_path, url, message):
    with pytest.raises(ConfigurationError, match=f"PUNCHLIST_CACHE_URL=.*{message}") as raised:
        config.cache(url, tmp_path)
    assert "hunter2" not in str(raised.value)


def test_a_bad_storage_url_stops_django_from_starting(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "punchlist.settings", "PUNCHLIST_DATA_DIR": str(tmp_path),
           "PUNCHLIST_STORAGE_URL": "s3://acme/poam", "PUNCHLIST_EVIDENCE_DIR": str(tmp_path / "evidence")}
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert ("ConfigurationError: PUNCHLIST_EVIDENCE_DIR and PUNCHLIST_STORAGE_URL are both set: evidence, "
            "imports and reports go to the bucket 'acme'; unset PUNCHLIST_EVIDENCE_DIR") in result.stderr

"""`manage.py check --deploy` passes with production settings from the environment, and fails when the
operator leaves out what production needs (a secret key, HTTPS-only cookies)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest

CHECK = """
import django
django.setup()
from django.core.management import call_command
call_command("check", deploy=True, fail_level="WARNING")
"""


def _environment(tmp_path, **values) -> dict:
    # Nothing of this test process's own environment that production would not have (the browser tests'
    # DJANGO_ALLOW_ASYNC_UNSAFE, say, which the deployment check rightly refuses).
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PUNCHLIST_", "DJANGO_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "punchlist.settings", "PUNCHLIST_DATA_DIR": str(tmp_path / "data"),
                "PUNCHLIST_DEBUG": "no", "PUNCHLIST_ALLOWED_HOSTS": "punchlist.example.com"})
    env.update(values)
    return {k: v for k, v in env.items() if v is not None}


def _check(tmp_path, **values):
    return subprocess.run([sys.executable, "-c", CHECK], env=_environment(tmp_path, **values), capture_output=True,
                          text=True, timeout=120)


def test_the_deployment_check_passes_with_production_settings(tmp_path):
    result = _check(tmp_path, PUNCHLIST_SECRET_KEY=secrets.token_urlsafe(50))
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_without_a_secret_key_the_check_fails(tmp_path):
    result = _check(tmp_path)
    assert result.returncode != 0
    assert "punchlist.E001" in result.stderr and "PUNCHLIST_SECRET_KEY" in result.stderr


def test_plain_http_cookies_are_not_a_deployment(tmp_path):
    result = _check(tmp_path, PUNCHLIST_SECRET_KEY=secrets.token_urlsafe(50), PUNCHLIST_SECURE_COOKIES="no")
    assert result.returncode != 0
    assert "security.W012" in result.stderr and "security.W016" in result.stderr  # session and CSRF cookies


def test_serve_refuses_to_start_without_a_secret_key(tmp_path):
    result = subprocess.run([sys.executable, "-m", "punchlist", "serve", "--port", "1"],
                            env=_environment(tmp_path, PUNCHLIST_DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3"),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "punchlist.E001" in result.stderr
    assert not (tmp_path / "db.sqlite3").exists()  # stopped before touching the database


def _serve(tmp_path, **values):
    return subprocess.run([sys.executable, "-m", "punchlist", "serve", "--port", "1"],
                          env=_environment(tmp_path, PUNCHLIST_DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
                                           **values),
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("values, error, words", [
    ({"PUNCHLIST_DEBUG": "yes"}, "punchlist.E002", "DEBUG is on"),
    ({"PUNCHLIST_SECURE_COOKIES": "no"}, "punchlist.E003", "plain HTTP"),
    ({"PUNCHLIST_SECRET_KEY": "a" * 36}, "punchlist.E004", "1 different characters"),
    ({"PUNCHLIST_SECRET_KEY": "django-insecure-" + secrets.token_urlsafe(40)}, "punchlist.E004", "django-insecure"),
    ({"PUNCHLIST_SECRET_KEY": "change-me-to-a-long-random-string-before-production"}, "punchlist.E004", "change-me"),
    ({"PUNCHLIST_SECRET_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMN"}, "punchlist.E004", "run along"),
    ({"PUNCHLIST_SECRET_KEY": secrets.token_urlsafe(50),
      "PUNCHLIST_SECRET_KEY_FALLBACKS": "b" * 40}, "punchlist.E004", "Fallback key 1 is weak"),
], ids=["debug", "insecure-cookies", "36-a", "django-insecure", "known-default", "sequence", "weak-fallback"])
def test_serve_refuses_to_start_with_an_unsafe_setting(tmp_path, values, error, words):
    values = {"PUNCHLIST_SECRET_KEY": secrets.token_urlsafe(50), **values}
    result = _serve(tmp_path, **values)
    assert result.returncode == 2, result.stdout + result.stderr
    assert error in result.stderr and words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "db.sqlite3").exists()  # stopped before touching the database


@pytest.mark.parametrize("key", [secrets.token_urlsafe(50), secrets.token_hex(32), secrets.token_urlsafe(32)])
def test_random_keys_are_strong(key):
    from punchlist.web.checks import secret_key_weakness

    assert secret_key_weakness(key) is None


def test_serve_refuses_to_start_when_the_shared_cache_does_not_answer(tmp_path):
    result = _serve(tmp_path, PUNCHLIST_SECRET_KEY=secrets.token_urlsafe(50),
                    PUNCHLIST_CACHE_URL="redis://127.0.0.1:1/0")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "punchlist.E005" in result.stderr and "The cache of PUNCHLIST_CACHE_URL cannot be used" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "db.sqlite3").exists()


def test_serve_refuses_to_start_when_the_bucket_cannot_be_listed(tmp_path, s3_server):
    missing = f"punchlist-nowhere-{secrets.token_hex(4)}"
    result = _serve(tmp_path, PUNCHLIST_SECRET_KEY=secrets.token_urlsafe(50), AWS_ACCESS_KEY_ID="testing",
                    AWS_SECRET_ACCESS_KEY="testing",
                    PUNCHLIST_STORAGE_URL=f"s3://{missing}/poam?endpoint={s3_server}&region=us-east-1&addressing=path")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "punchlist.E006" in result.stderr and f"The bucket '{missing}' of PUNCHLIST_STORAGE_URL" in result.stderr
    assert "NoSuchBucket" in result.stderr and "Traceback" not in result.stderr


def test_the_deployment_check_passes_with_redis_and_a_bucket(tmp_path, s3_server, redis_cache):
    import boto3

    bucket = f"punchlist-deploy-{secrets.token_hex(4)}"
    boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", aws_access_key_id="testing",
                 aws_secret_access_key="testing").create_bucket(Bucket=bucket)
    result = _check(tmp_path, PUNCHLIST_SECRET_KEY=secrets.token_urlsafe(50), PUNCHLIST_CACHE_URL=redis_cache,
                    AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                    PUNCHLIST_STORAGE_URL=f"s3://{bucket}/poam?endpoint={s3_server}&region=us-east-1&addressing=path")
    assert result.returncode == 0, result.stderr

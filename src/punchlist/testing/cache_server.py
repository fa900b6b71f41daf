"""Test fixture for the shared cache: the Redis every development and CI machine runs (127.0.0.1:6379, or
PUNCHLIST_TEST_REDIS_URL), under a key prefix of the test's own so that tests (and other checkouts using the same
Redis) never see each other's counters. Without a Redis the test is skipped with the reason; under CI=true it
fails instead: the cross-server half of the suite must never pass by not running.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

REDIS_URL = os.environ.get("PUNCHLIST_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true requires the shared-cache tests to run", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def redis_cache(settings) -> str:
    """Django's cache on Redis for this test; the PUNCHLIST_CACHE_URL another process would reach it by."""
    import redis

    from punchlist import config

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        client.close()
        _unavailable(f"no Redis at {REDIS_URL}: {exc}")
    prefix = f"punchlist-test-{secrets.token_hex(6)}"
    url = f"{REDIS_URL}{'&' if '?' in REDIS_URL else '?'}prefix={prefix}"
    settings.CACHES = {"default": config.cache(url, Path("unused"))}
    try:
        yield url
    finally:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        client.close()

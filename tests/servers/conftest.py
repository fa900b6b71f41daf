"""Fixtures for the tests that run Punchlist as an operator would on several servers: real processes
(`punchlist serve`, `punchlist worker`) on their own PostgreSQL database, sharing one Redis and one S3 server.

From punchlist.testing: ``s3_server`` (moto's S3 API server for the session) and ``redis_cache`` (the Redis
of the machine under a key prefix of the test's own; skipped without one, failed under CI=true)."""

from punchlist.testing.cache_server import redis_cache  # noqa: F401
from punchlist.testing.storage import s3_server  # noqa: F401

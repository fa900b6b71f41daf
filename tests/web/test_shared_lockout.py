"""Sign-in limits and lockouts hold across servers (3.1.8): with PUNCHLIST_CACHE_URL naming one Redis, failures
counted by one server add up with another's, and a lock set by one refuses the sign-in at the other.

The "other server" is a second Punchlist process of its own (its own settings from the environment, its own
Redis connection) on the same database, driving the sign-in page through Django's test client."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone

from django.conf import global_settings
from django.test import Client

from punchlist.testing import PASSWORD
from punchlist.testing.fixtures import database_url

from test_auth import sign_in, signed_in_as, text  # noqa: E402

# Sign-ins at the other server: ARGV = moment (the test's clock), username, password, how many times; prints
# what the last page said.
OTHER_SERVER = """
import sys
from datetime import datetime
import time_machine
moment, username, password, times = sys.argv[1:]
with time_machine.travel(datetime.fromisoformat(moment), tick=True):
    import django
    django.setup()
    from django.test import Client
    client = Client()
    for _ in range(int(times)):
        response = client.post("/accounts/login/", {"login": username, "password": password}, secure=True)
    print("LOCKED" if b"This account is locked" in response.content else f"STATUS {response.status_code}")
"""


def at_the_other_server(tmp_path, cache_url: str | None, username: str, password: str, times: int) -> tuple[str, str]:
    """What the other server's last page said, and its security log."""
    env = {"PATH": "/usr/bin:/bin", "PUNCHLIST_DATA_DIR": str(tmp_path / "other-server"),
           "PUNCHLIST_DATABASE_URL": database_url(), "PUNCHLIST_SECRET_KEY": "o" * 60,
           "PUNCHLIST_ALLOWED_HOSTS": "testserver", "DJANGO_SETTINGS_MODULE": "punchlist.settings"}
    if cache_url is not None:
        env["PUNCHLIST_CACHE_URL"] = cache_url
    done = subprocess.run([sys.executable, "-c", OTHER_SERVER, datetime.now(timezone.utc).isoformat(), username,
                           password, str(times)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1], done.stderr


def test_failures_at_two_servers_add_up_and_the_lock_holds_at_both(live_db, redis_cache, team, tmp_path, settings):
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS  # the other server's (the tests' are cheaper)
    team.coordinator.set_password(PASSWORD)
    team.coordinator.save(update_fields=["password"])
    for _ in range(3):
        sign_in(Client(), team.owner.username, "guessing")  # here: three failures
    said, log = at_the_other_server(tmp_path, redis_cache, team.owner.username, "guessing", 2)  # there: two more
    assert said == "STATUS 200" and f"locked for 15 minutes: account username='{team.owner.username}'" in log
    here = Client()
    response = sign_in(here, team.owner.username, PASSWORD)
    assert "This account is locked after 5 failed sign-ins" in text(response) and signed_in_as(here) is None
    # The right password at the other server is refused too, and someone else's sign-in there is not.
    assert at_the_other_server(tmp_path, redis_cache, team.owner.username, PASSWORD, 1)[0] == "LOCKED"
    assert at_the_other_server(tmp_path, redis_cache, team.coordinator.username, PASSWORD, 1)[0] == "STATUS 302"


def test_a_lock_set_at_the_other_server_is_seen_here(live_db, redis_cache, team, tmp_path):
    assert at_the_other_server(tmp_path, redis_cache, team.viewer.username, "guessing", 6)[0] == "LOCKED"
    assert "This account is locked" in text(sign_in(Client(), team.viewer.username, PASSWORD))


def test_with_separate_caches_the_servers_count_apart(live_db, team, tmp_path, settings):
    """The contrast: each server's own file cache (one machine's default) keeps its own count."""
    for _ in range(3):
        sign_in(Client(), team.owner.username, "guessing")
    said, log = at_the_other_server(tmp_path, None, team.owner.username, "guessing", 2)
    assert said == "STATUS 200" and "locked for" not in log

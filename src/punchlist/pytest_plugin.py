"""A pytest plugin that gives each test run a data folder of its own and a pinned clock.

Loaded with ``-p`` (see ``[tool.pytest.ini_options]``), so it runs before pytest-django reads the settings:
without it the settings fall back to ``~/.local/share/punchlist`` (or an operator's PUNCHLIST_DATA_DIR), and
the tests would write their cache and static folders into a real register's folder. Its ``static``
folder is there but empty: the tests serve static files from the apps (``WHITENOISE_USE_FINDERS``), and
WhiteNoise warns about a STATIC_ROOT that does not exist.

The clock: the whole suite runs at one pinned moment, so that it passes on any day.

A POA&M is full of dates (due dates, overdue items, stale items, the 180-day closeout, weekly periods), and a
test whose data was written for the day it was written fails weeks later with nothing changed. So the test run
moves Python's clock (``time.time``, ``datetime.now``, ``date.today`` and with them Django's
``timezone.now()``) to ``PINNED`` before the test modules are imported, and lets it tick from there
(time-machine): module constants, fixtures, the code under test and the live server of the browser tests all see
the same day. A test that needs another day moves the clock with the ``clock`` fixture
(``clock.move_to("2027-01-03 09:00Z")``), which puts it back afterwards.

``PUNCHLIST_TEST_CLOCK`` sets another pinned moment (an ISO date and time), or ``real`` to run on the machine's
clock, e.g. under libfaketime to look for tests that only pass on the day they were written. The demo and the
benchmarks never load this plugin: they run on the real clock.

What the pin cannot reach is whatever reads the clock outside this Python process (a ``punchlist`` command
run as a subprocess, Chromium, the database server): ``.ci/run`` runs the suite a second time with the
machine's clock a year ahead (libfaketime), so that a test depending on one of those fails the day it is written.

The run also gets one secret key, inherited by the commands the tests start in child processes: the audit
trail is keyed with it, and events a child writes must verify in the test that reads them.
"""

import atexit
import os
import secrets
import shutil
import tempfile
from datetime import datetime, timezone

import pytest

_folder = tempfile.mkdtemp(prefix="punchlist-tests-")
os.environ["PUNCHLIST_DATA_DIR"] = _folder
os.environ.setdefault("PUNCHLIST_SECRET_KEY", "punchlist-test-run-" + secrets.token_urlsafe(40))
os.mkdir(os.path.join(_folder, "static"))
atexit.register(shutil.rmtree, _folder, ignore_errors=True)

# --- the clock ------------------------------------------------------------------------------------------
# A Monday, noon UTC: the same date in every time zone from UTC-11 to UTC+11.
PINNED = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
VARIABLE = "PUNCHLIST_TEST_CLOCK"


def pinned_moment() -> datetime | None:
    """The moment the suite runs at, or None for the real clock (``PUNCHLIST_TEST_CLOCK=real``)."""
    value = os.environ.get(VARIABLE, "").strip()
    if value.lower() == "real":
        return None
    if not value:
        return PINNED
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SystemExit(f"{VARIABLE}={value!r} is neither 'real' nor an ISO date and time "
                         "(e.g. 2026-11-23T12:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def travel(moment: datetime):
    """A time-machine traveller to ``moment``, its clock ticking from there (timeouts and waits still pass)."""
    import time_machine

    return time_machine.travel(moment, tick=True)


def _start() -> object | None:
    """Pin the clock now, as pytest loads this plugin: before the conftest files and the test modules are
    imported (pytest imports the initial conftest files before ``pytest_configure``), so their constants see it."""
    moment = pinned_moment()
    if moment is None:
        return None
    traveller = travel(moment)
    traveller.start()
    return traveller


_traveller = _start()


def punchlist_command(*argv: str) -> list[str]:
    """The command line of ``punchlist ARGV`` for a test to start in a process of its own, on the test's own
    clock when the run is pinned (``punchlist.testclock``): a worker or an import started by a test must agree
    with the test about what day it is."""
    import sys

    if pinned_moment() is None:
        return [sys.executable, "-m", "punchlist", *argv]
    return [sys.executable, "-m", "punchlist.testclock", datetime.now(timezone.utc).isoformat(), *argv]


def pytest_unconfigure(config):
    if _traveller is not None:
        _traveller.stop()


def pytest_report_header(config):
    moment = pinned_moment()
    return f"clock: {'real (' + VARIABLE + '=real)' if moment is None else 'pinned at ' + moment.isoformat()}"


@pytest.fixture
def clock():
    """The clock of this test, to move: ``clock.move_to("2027-01-03T09:00Z")`` or ``clock.shift(86400)``; it
    ticks from where it is put, and is back at the pinned moment after the test."""
    traveller = travel(pinned_moment() or PINNED)
    coordinates = traveller.start()
    yield coordinates
    traveller.stop()

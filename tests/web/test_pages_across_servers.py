"""The register's index kept in each server's memory (like the report views' sections, ``reports.cache``) is
keyed on the organization's audit chain head read from the shared database at each request: a write made
through another server (here another Punchlist process, importing a file) shows at the very next request."""

from __future__ import annotations

import subprocess

from django.urls import reverse

from punchlist.pytest_plugin import punchlist_command
from punchlist.testing import make_item
from punchlist.testing.fixtures import database_url

POAM = """POA&M ID,Control,Weakness,Remediation,Point of Contact,Scheduled Completion,Status
V-9,3.3.1,No central log review anywhere,Weekly log review in Wazuh with the record kept,Marcus Lee,2026-12-20,Open
"""


def test_a_write_through_another_server_shows_at_the_next_request(live_db, team, login_as, tmp_path):
    make_item(team, title="Lock accounts after five failed logons")
    client = login_as(team.viewer)
    register = reverse("web:register", args=[team.org.slug])
    assert b"No central log review anywhere" not in client.get(register).content
    assert client.get(register).status_code == 200  # the index is now kept in this process's memory

    poam = tmp_path / "poam.csv"
    poam.write_text(POAM)
    env = {"PATH": "/usr/bin:/bin", "PUNCHLIST_DATABASE_URL": database_url(), "PUNCHLIST_SECRET_KEY": "s" * 60,
           "PUNCHLIST_DATA_DIR": str(tmp_path / "other-server")}
    done = subprocess.run(punchlist_command("import", str(poam), "--org", team.org.slug, "--user",
                                            team.coordinator.username), env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]

    assert b"No central log review anywhere" in client.get(register).content

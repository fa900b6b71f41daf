"""`punchlist init` on a fresh machine: SQLite under a data folder the user chooses, by default."""

import os
import stat
import subprocess
import sys

INIT = """
from punchlist import bootstrap
folder = bootstrap.setup(create=True)
org, admin = bootstrap.init(organization="Acme Machining", admin_username="ada", admin_password="pw-123456789")
print(folder, org.slug, admin.username)
"""

CHECK = """
from punchlist import bootstrap
bootstrap.setup()
from django.db import connection
from punchlist.audit.chain import verify_chain
from punchlist.orgs.models import Organization
from punchlist.orgs.permissions import role_of
from django.contrib.auth import get_user_model
org = Organization.objects.get()
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    mode = cursor.fetchone()[0]
print(mode, role_of(get_user_model().objects.get(username="ada"), org).value, verify_chain().intact)
"""


def _run(code, data_dir):
    # A fresh machine: no database URL, no settings module, and no secret key but the one init writes.
    env = {k: v for k, v in os.environ.items()
           if k not in ("PUNCHLIST_DATABASE_URL", "DJANGO_SETTINGS_MODULE", "PUNCHLIST_SECRET_KEY")}
    env["PUNCHLIST_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)


def test_init_creates_a_register_in_the_chosen_folder(tmp_path):
    folder = tmp_path / "acme register"
    missing = _run(CHECK, folder)
    assert missing.returncode != 0 and "there is no register in" in missing.stderr and "punchlist init" in \
        missing.stderr

    made = _run(INIT, folder)
    assert made.returncode == 0, made.stderr
    assert made.stdout.split()[-2:] == ["acme-machining", "ada"]
    assert (folder / "punchlist.sqlite3").is_file()
    key = folder / "secret-key"
    assert len(key.read_text().strip()) >= 50
    assert stat.S_IMODE(key.stat().st_mode) == 0o600

    checked = _run(CHECK, folder)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.split() == ["wal", "admin", "True"]

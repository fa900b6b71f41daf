"""A pytest plugin that gives each test run a data folder of its own.

Loaded with ``-p`` (see ``[tool.pytest.ini_options]``), so it runs before pytest-django reads the settings:
without it the settings fall back to ``~/.local/share/punchlist`` (or an operator's PUNCHLIST_DATA_DIR), and
the tests would write their cache and static folders into a real register's folder. Its ``static``
folder is there but empty: the tests serve static files from the apps (``WHITENOISE_USE_FINDERS``), and
WhiteNoise warns about a STATIC_ROOT that does not exist.

The run also gets one secret key, inherited by the commands the tests start in child processes: the audit
trail is keyed with it, and events a child writes must verify in the test that reads them.
"""

import atexit
import os
import secrets
import shutil
import tempfile

_folder = tempfile.mkdtemp(prefix="punchlist-tests-")
os.environ["PUNCHLIST_DATA_DIR"] = _folder
os.environ.setdefault("PUNCHLIST_SECRET_KEY", "punchlist-test-run-" + secrets.token_urlsafe(40))
os.mkdir(os.path.join(_folder, "static"))
atexit.register(shutil.rmtree, _folder, ignore_errors=True)

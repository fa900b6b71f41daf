"""Starting Django outside a web server (the CLI), and ``punchlist init``: a data folder, a secret key, the
database schema, a first organization and its first administrator.

The CLI calls ``setup(data_dir=...)`` before any command that touches the register.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

SETTINGS = "punchlist.settings"


class RegisterMissing(RuntimeError):
    """There is no register where the configuration points: say where we looked and how to make one."""


def setup(data_dir: str | os.PathLike | None = None, *, create: bool = False) -> Path:
    """Configure and start Django. ``data_dir`` overrides PUNCHLIST_DATA_DIR; ``create`` makes the folder
    (``punchlist init``) instead of refusing when it is missing. Returns the data folder.

    Once Django is running (a second call, or under the test suite) this changes nothing.
    """
    from django.apps import apps

    if apps.ready:
        from django.conf import settings

        return settings.DATA_DIR
    if data_dir is not None:
        os.environ["PUNCHLIST_DATA_DIR"] = str(Path(data_dir).expanduser().absolute())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    from punchlist import config

    folder = config.data_dir()
    if create:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = folder / "secret-key"
        if not key.exists() and "PUNCHLIST_SECRET_KEY" not in os.environ:
            fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_urlsafe(50) + "\n")
    elif "PUNCHLIST_DATABASE_URL" not in os.environ and not (folder / config.SQLITE_FILE).exists():
        raise RegisterMissing(f"there is no register in {folder}; create one with `punchlist init` (or set "
                              "PUNCHLIST_DATA_DIR / PUNCHLIST_DATABASE_URL to where it is)")
    import django

    django.setup()
    return folder


def migrate(verbosity: int = 0) -> None:
    """Bring the schema up to date (idempotent), audit triggers included."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def init(*, organization: str, admin_username: str, admin_password: str | None = None, email: str = "",
         first_name: str = "", last_name: str = "", slug: str = ""):
    """A new organization with its first administrator, on a migrated database. An existing user (an MSP's
    consultant adding another client) becomes the admin of the new organization."""
    from django.contrib.auth import get_user_model

    from punchlist.orgs import services

    migrate()
    User = get_user_model()
    user = User.objects.filter(username=admin_username).first()
    if user is None:
        user = services.create_user(admin_username, password=admin_password, email=email,
                                    first_name=first_name, last_name=last_name)
    return services.create_organization(name=organization, first_admin=user, slug=slug), user

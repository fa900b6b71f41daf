"""The web app's commands for the `punchlist` CLI: `serve` (gunicorn on this machine), `worker` (the
background tasks), `demo` (the demo organization, then `serve` with a `worker` beside it) and `totp` (a demo
sign-in's current code).

The CLI (punchlist.cli) adds them with ``add_commands(commands)``; each parsed command runs with
``args.run(args)`` and returns the exit status.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

EXIT_OK, EXIT_BAD_INPUT = 0, 2
DEMO_DIR = "data/demo"


def add_commands(commands) -> None:
    serve = commands.add_parser(
        "serve", help="serve the web app with gunicorn (migrating the database first)",
        description="Bring the database up to date, then serve Punchlist with gunicorn on HOST:PORT (static "
                    "files by whitenoise). Put an HTTPS reverse proxy in front of it: cookies are HTTPS-only "
                    "unless PUNCHLIST_SECURE_COOKIES=no.")
    _server_options(serve)
    serve.add_argument("--data-dir", default=None, help="the register's folder (default: PUNCHLIST_DATA_DIR or "
                                                        "~/.local/share/punchlist)")
    serve.set_defaults(run=run_serve)

    demo = commands.add_parser(
        "demo", help="set up the demo organization and serve it on http://127.0.0.1:8000/",
        description="Create (the first time) a register in DATA_DIR with Ridgeline Precision Machining, a "
                    "fictional machine shop: people in every role, a self-assessment, its POA&M and four months "
                    "of history. Print the sign-ins, then serve it over plain HTTP on this machine.")
    _server_options(demo)
    demo.add_argument("--data-dir", default=DEMO_DIR, help=f"the demo's folder (default: {DEMO_DIR}); delete it "
                                                           "to start over")
    demo.add_argument("--no-serve", action="store_true", help="set up and print the sign-ins, but do not serve")
    demo.set_defaults(run=run_demo)

    worker = commands.add_parser(
        "worker", help="run the background tasks (large imports, reports and the assessor package, the reminders and the evidence re-hash)",
        description="Run the tasks the web app leaves for later (checks and imports of large uploads) and those "
                    "the schedule queues without cron (the reminders every PUNCHLIST_REMIND_EVERY_MINUTES, the "
                    "re-hash of every evidence file every PUNCHLIST_REHASH_EVERY_HOURS), as they are queued in "
                    "the register's database: django-tasks' db_worker. Run one beside each `punchlist serve` (a "
                    "systemd unit, say), on as many machines as you like; `punchlist demo` starts its own.")
    worker.add_argument("--data-dir", default=None, help="the register's folder (default: PUNCHLIST_DATA_DIR or "
                                                         "~/.local/share/punchlist)")
    worker.add_argument("--batch", action="store_true", help="run the tasks waiting now, then stop")
    worker.add_argument("--no-schedule", action="store_true",
                        help="queue nothing by schedule (the reminders every hour, the evidence re-hash every day); "
                             "any one worker keeping the schedule is enough, and several never queue a run twice")
    worker.set_defaults(run=run_worker)

    totp = commands.add_parser(
        "totp", help="print the current two-factor code of a demo sign-in",
        description="The code an authenticator app would show now for USERNAME. Only for a register made by "
                    "`punchlist demo`: anywhere else the codes come from the person's own authenticator.")
    totp.add_argument("username")
    totp.add_argument("--data-dir", default=DEMO_DIR, help=f"the demo's folder (default: {DEMO_DIR})")
    totp.set_defaults(run=run_totp)


def _server_options(parser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default: 2)")


def _say(message: str) -> None:
    print(message, flush=True)


def _prepare(*, deploy: bool) -> None:
    """Checks passed, schema up to date and static files collected, before any worker starts. ``deploy``:
    Django's and our deployment checks too (a real secret key, HTTPS-only cookies ...); errors stop here,
    warnings are printed."""
    from django.core.management import call_command

    from punchlist import bootstrap

    call_command("check", deploy=deploy, fail_level="ERROR", verbosity=0)
    bootstrap.migrate()
    call_command("collectstatic", interactive=False, verbosity=0)


def _serve(args) -> int:
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    options = {
        "bind": f"{args.host}:{args.port}",
        "workers": args.workers,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "warning",
        "forwarded_allow_ips": "127.0.0.1",
        "proc_name": "punchlist",
    }

    class Server(BaseApplication):
        def load_config(self):
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            from punchlist.web.wsgi import application

            return application

    connections.close_all()  # each worker opens its own; a connection must not cross a fork
    _say(f"Serving on http://{args.host}:{args.port}/ (Ctrl-C stops it)")
    Server().run()
    return EXIT_OK


def run_serve(args) -> int:
    from punchlist import bootstrap
    from punchlist.bootstrap import RegisterMissing

    from django.core.management.base import SystemCheckError

    try:
        bootstrap.setup(args.data_dir)
        _prepare(deploy=True)
    except (RegisterMissing, SystemCheckError) as exc:
        print(f"punchlist serve: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return _serve(args)


def run_worker(args) -> int:
    from punchlist import bootstrap
    from punchlist.bootstrap import RegisterMissing

    try:
        bootstrap.setup(args.data_dir)
    except RegisterMissing as exc:
        print(f"punchlist worker: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from django.core.management import call_command

    from punchlist.rhythm import schedule

    options = ["--backend", "default", "--queue-name", "default", "--no-startup-delay"]
    if args.batch:  # from cron, or a test: what the schedule says is due now, then the tasks waiting
        if not args.no_schedule:
            schedule.tick()
        call_command("db_worker", *options, "--batch")
        return EXIT_OK
    stop = None
    if not args.no_schedule:
        _thread, stop = schedule.start()
    try:
        call_command("db_worker", *options)
    finally:
        if stop is not None:
            stop.set()
    return EXIT_OK


def _start_worker(folder) -> subprocess.Popen:
    """A `punchlist worker` beside the demo's server, so that large imports and reports run there too."""
    # No schedule: the demo's people have example.com addresses and there is no mail server to send to.
    worker = subprocess.Popen([sys.executable, "-m", "punchlist", "worker", "--no-schedule", "--data-dir",
                               str(folder)])
    _say(f"Started `punchlist worker` for large imports and reports (process {worker.pid}).")
    return worker


def run_demo(args) -> int:
    # Plain HTTP on this machine: cookies cannot be HTTPS-only here (the settings read this at start).
    os.environ["PUNCHLIST_SECURE_COOKIES"] = "no"
    from punchlist import bootstrap

    folder = bootstrap.setup(args.data_dir, create=True)
    started = time.monotonic()
    _say(f"Setting up the demo register in {folder} ...")
    _prepare(deploy=False)
    from punchlist.web import demo

    try:
        result = demo.seed()
    except FileNotFoundError as exc:
        print(f"punchlist demo: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    (Path(folder) / demo.MARKER).write_text("This register was made by `punchlist demo`.\n", encoding="utf-8")
    _say(("Set up" if result.created else "Found") + f" the demo in {time.monotonic() - started:.0f} s.")
    _say(demo_sign_ins(result, args, folder))
    if args.no_serve:
        return EXIT_OK
    worker = _start_worker(folder)
    try:
        return _serve(args)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()


def demo_sign_ins(result, args, folder) -> str:
    from django.contrib.auth import get_user_model

    from punchlist.orgs.models import Membership, Role
    from punchlist.web import demo
    from punchlist.web.accounts import totp_uri

    roles = dict(Membership.objects.filter(organization=result.organization).values_list("user__username", "role"))
    users = {u.username: u for u in get_user_model().objects.filter(username__in=roles)}

    command = "punchlist" if _on_path() else shlex.quote(str(Path(sys.executable).parent / "punchlist"))
    # The folder in full: the printed commands work from any folder, not only from where the demo was made.
    data_dir = f" --data-dir {shlex.quote(str(Path(folder).absolute()))}"
    lines = [
        "",
        f"Punchlist demo: {result.organization.name} (a fictional 45-person machine shop)",
        f"  address      http://{args.host}:{args.port}/",
        f"  data folder  {folder}  (delete it to start over)",
        f"  password     {demo.PASSWORD}  (the same for everyone)",
        "",
        "Sign in as:",
    ]
    for person in result.people:
        role = Role(roles.get(person.username, person.role)).label
        line = f"  {person.username:<8} {person.name + ', ' + person.title:<46} {role}"
        lines.append(line)
    lines += ["", f"priya also runs {demo.PROVIDER_NAME}, a managed-service provider with two small clients: its "
                  f"portfolio is at http://{args.host}:{args.port}/o/{demo.PROVIDER_SLUG}/portfolio/"]
    who = "everyone" if len(result.secrets) == len(result.people) else ", ".join(result.secrets)
    lines += ["", f"Two-factor codes ({who} signs in with one after the password):"]
    for username, secret in result.secrets.items():
        lines.append(f"  {username:<8} secret {secret}")
        lines.append(f"           {totp_uri(users[username], secret)}")
    lines += [
        "  Add the secret (or the otpauth:// address) to an authenticator app, or get the current code with",
        "  (for marcus here; any username above in its place):",
        f"    {command} totp marcus{data_dir}",
        "",
    ]
    if args.no_serve:
        lines.append(f"Serve it with: {command} demo{data_dir}")
    return "\n".join(lines)


def _on_path() -> bool:
    from shutil import which

    found = which("punchlist")
    return found is not None and Path(found).resolve().parent == Path(sys.executable).resolve().parent


def run_totp(args) -> int:
    from punchlist import bootstrap
    from punchlist.bootstrap import RegisterMissing

    folder = Path(args.data_dir).expanduser().absolute()
    from punchlist.web import demo

    if not (folder / demo.MARKER).is_file():
        print(f"punchlist totp: {folder} is not a demo register (made by `punchlist demo`). Name the demo's "
              "folder with --data-dir, as `punchlist demo` printed it (e.g. punchlist totp marcus --data-dir "
              "~/punchlist/data/demo); a real sign-in's codes come from the person's own authenticator app",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        bootstrap.setup(folder)
    except RegisterMissing as exc:
        print(f"punchlist totp: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from django.contrib.auth import get_user_model

    from punchlist.web.accounts import current_totp_code, totp_secret

    user = get_user_model().objects.filter(username=args.username).first()
    secret = totp_secret(user) if user is not None else None
    if secret is None:
        print(f"punchlist totp: {args.username!r} has no authenticator in this demo", file=sys.stderr)
        return EXIT_BAD_INPUT
    from allauth.mfa import app_settings

    left = app_settings.TOTP_PERIOD - int(time.time()) % app_settings.TOTP_PERIOD
    print(f"{current_totp_code(secret)}  (for {left} more seconds; each code signs in once)")
    return EXIT_OK

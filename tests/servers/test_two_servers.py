"""Two web servers and two workers on one PostgreSQL, one Redis and one S3 server, as an operator runs them
behind a load balancer: real `punchlist serve` (gunicorn) and `punchlist worker` processes, on a database of
this test's own (created and dropped here), driven over HTTP by a few people at once, each request going to
the other server than the last.

What the load does: people change items' due dates with the version their page showed (some saves made stale
on purpose, by a second save in between, so that a stale save must be refused rather than lost), upload
evidence, import a small spreadsheet through the web import (checked and imported by the workers) and download
reports. What is checked afterwards: no 5xx; every accepted change is in the register and in the audit trail
exactly once and every refused one in neither; each imported row became one item; every evidence file reads
back the same through either server; a sign-in lockout reached through one server holds at the other; and
`punchlist verify` finds the audit trail, its checkpoint, the register and the vault intact.

It needs PostgreSQL (127.0.0.1:5432, or PUNCHLIST_TEST_POSTGRESQL) and Redis: without them it is skipped
with the reason, and under CI=true it fails instead.
"""

from __future__ import annotations

import html
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import date, datetime, timedelta, timezone
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path

import pytest

from punchlist.pytest_plugin import punchlist_command
from punchlist.testing import PASSWORD
from punchlist.testing.storage import REGION

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
from test_import_screen import corrected, csv_bytes  # noqa: E402

POSTGRESQL = os.environ.get("PUNCHLIST_TEST_POSTGRESQL", "postgresql://postgres@127.0.0.1:5432")
DATABASE = "punchlist_two_servers"
ORG = "acme-machining"
CLIENTS = ("acme-coordinator", "acme-coordinator2", "acme-owner", "acme-owner2", "acme-owner3", "acme-owner4")
ROUNDS = 16  # each person's rounds of work: a few hundred requests in all
IMPORT_ROWS = 6
TIMEOUT = 120  # seconds a request may take on a busy machine; never a bound the test checks


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true requires the several-server test to run", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def postgresql_database():
    """A database of this test's own on the machine's PostgreSQL, dropped afterwards; its URL."""
    import psycopg

    try:
        admin = psycopg.connect(f"{POSTGRESQL}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        _unavailable(f"no PostgreSQL at {POSTGRESQL}: {exc}")
    with admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
        try:
            yield f"{POSTGRESQL}/{DATABASE}"
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


@pytest.fixture
def bucket(s3_server) -> str:
    """A new bucket on the S3 server; the PUNCHLIST_STORAGE_URL that reaches it."""
    import boto3

    name = f"punchlist-servers-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_server, region_name=REGION, aws_access_key_id="testing",
                 aws_secret_access_key="testing").create_bucket(Bucket=name)
    return f"s3://{name}/punchlist?endpoint={s3_server}&region={REGION}&addressing=path"


# --- what each process gets -----------------------------------------------------------------------------

def environment(database_url: str, cache_url: str, storage_url: str, folder: Path) -> dict:
    """The one environment file every server and worker of the deployment reads."""
    # Nothing of this test process's own environment that production would not have (the browser tests'
    # DJANGO_ALLOW_ASYNC_UNSAFE, say, which `serve`'s deployment check rightly refuses).
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PUNCHLIST_", "DJANGO_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "punchlist.settings",
        "PUNCHLIST_DATABASE_URL": database_url, "PUNCHLIST_CACHE_URL": cache_url,
        "PUNCHLIST_STORAGE_URL": storage_url, "PUNCHLIST_SECRET_KEY": os.environ["PUNCHLIST_SECRET_KEY"],
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION,
        # As behind one HTTPS load balancer (the test's client plays it: X-Forwarded-Proto, HTTPS-only cookies).
        "PUNCHLIST_ALLOWED_HOSTS": "127.0.0.1", "PUNCHLIST_TRUSTED_PROXIES": "1",
        "PUNCHLIST_REQUIRE_MFA": "privileged",  # the people here are owners and coordinators
        "PUNCHLIST_IMPORT_INLINE_KB": "0",  # every import is left to the workers
        "PUNCHLIST_AUDIT_CHECKPOINT": str(folder / "audit-checkpoint.json"),  # on a mount every server writes
        "PUNCHLIST_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "DJANGO_SETTINGS_MODULE": "punchlist.settings",
    })
    return env


# The organization, its people and its items, through the services, on the test's clock: ARGV = moment.
SETUP = """
import json, sys
from datetime import datetime
import time_machine
with time_machine.travel(datetime.fromisoformat(sys.argv[1]), tick=True):
    from punchlist import bootstrap
    bootstrap.setup(create=True)
    bootstrap.migrate()
    from punchlist.orgs import services as org_services
    from punchlist.orgs.models import Role
    from punchlist.testing import PASSWORD, make_item, make_team
    team = make_team("Acme Machining", "acme")
    owners = [team.owner, team.owner2]
    for key, role, first in [("coordinator2", Role.COORDINATOR, "Carl"), ("owner3", Role.OWNER, "Nina"),
                             ("owner4", Role.OWNER, "Omar")]:
        user = org_services.create_user(f"acme-{key}", password=PASSWORD, first_name=first, last_name="Lee")
        org_services.add_member(team.admin, team.org, user, role)
        if role == Role.OWNER:
            owners.append(user)
    items = []
    for number in range(12):
        owner = owners[number % len(owners)]
        item = make_item(team, title=f"Weakness {number} to fix", primary_owner=owner, evidence_custodian=owner)
        items.append({"identifier": item.identifier, "owner": owner.username})
    print(json.dumps({"slug": team.org.slug, "items": items}))
"""

# What the register holds after the load, for the test to compare with what the people were told.
FACTS = """
import json, sys
from datetime import datetime
import time_machine
with time_machine.travel(datetime.fromisoformat(sys.argv[1]), tick=True):
    from punchlist import bootstrap
    bootstrap.setup()
    from django_tasks_db.models import DBTaskResult
    from punchlist.audit.models import AuditEvent
    from punchlist.register.models import Evidence, PoamItem
    from punchlist.rhythm.models import ScheduledRun
    from punchlist.web.models import ImportJob
    items = PoamItem.objects.filter(organization__slug=sys.argv[2])
    print(json.dumps({
        "items": [{"identifier": i.identifier, "due": i.scheduled_completion.isoformat(), "version": i.version,
                   "weakness": i.weakness} for i in items],
        "due_changes": [{"subject": e.subject, "reason": e.reason, "due": e.after.get("scheduled_completion"),
                         "version": e.after.get("version")}
                        for e in AuditEvent.objects.filter(action="change_due_date").order_by("seq")],
        "created": [e.subject for e in AuditEvent.objects.filter(action="create_item")],
        "evidence": [{"pk": e.pk, "item": e.item.identifier, "name": e.name, "sha256": e.sha256}
                     for e in Evidence.objects.select_related("item")],
        "jobs": [{"state": j.state, "kind": (j.outcome or {}).get("kind")} for j in ImportJob.objects.all()],
        "tasks": [{"task": t.task_path.rsplit(".", 1)[-1], "status": t.status, "workers": t.worker_ids}
                  for t in DBTaskResult.objects.all()],
        "scheduled": [[r.name, r.slot] for r in ScheduledRun.objects.all()],
    }))
"""


def run_python(script: str, env: dict, *argv: str) -> dict:
    done = subprocess.run([sys.executable, "-c", script, datetime.now(timezone.utc).isoformat(), *argv], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


class Deployment:
    """The processes the test started, each in a session of its own (stopped by its process group)."""

    def __init__(self, env: dict, folder: Path):
        self.env, self.folder, self.processes, self.logs = env, folder, [], []

    def start(self, name: str, *argv: str) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("w")
        process = subprocess.Popen(punchlist_command(*argv), env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.processes.append(process)
        self.logs.append(self.folder / f"{name}.log")
        return process

    def server(self, name: str) -> str:
        port = _free_port()
        data = self.folder / name
        data.mkdir()
        process = self.start(name, "serve", "--data-dir", str(data), "--host", "127.0.0.1", "--port", str(port),
                             "--workers", "2")
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert process.poll() is None, f"{name} stopped: {self.log(name)[-3000:]}"
            try:
                urllib.request.urlopen(urllib.request.Request(base + "/accounts/login/",
                                                              headers={"X-Forwarded-Proto": "https"}),
                                       timeout=5).close()
                return base
            except OSError:
                time.sleep(0.5)
        raise AssertionError(f"{name} did not answer within 300 s: {self.log(name)[-3000:]}")

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- a person with a browser, each request to the next server -------------------------------------------

class _BehindTheProxy(DefaultCookiePolicy):
    def return_ok_secure(self, cookie, request):
        return True  # the load balancer's side of the connection is HTTPS


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Answer:
    def __init__(self, status: int, body: bytes, headers):
        self.status, self.content, self.headers = status, body, headers

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")

    def words(self) -> str:
        body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", self.text, flags=re.S)
        return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


class Person:
    """One person's browser: one cookie jar (the session works at every server), the servers taken in turn.
    Every request is recorded in ``log``: (server, method, path, status, milliseconds)."""

    def __init__(self, servers: list[str], log: list, lock: threading.Lock, first: int = 0):
        self.servers, self.log, self.lock, self.turn = servers, log, lock, first
        self.jar = CookieJar(_BehindTheProxy())
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())
        self.opener.addheaders = [("X-Forwarded-Proto", "https"), ("X-Forwarded-For", "203.0.113.7")]

    def next_server(self) -> str:
        self.turn += 1
        return self.servers[self.turn % len(self.servers)]

    def request(self, path: str, data: bytes | None = None, content_type: str | None = None,
                server: str | None = None) -> Answer:
        base = server or self.next_server()
        headers = {"Referer": base.replace("http://", "https://", 1) + path}
        if content_type:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(base + path, data=data, headers=headers)
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=TIMEOUT) as response:
                answer = Answer(response.status, response.read(), response.headers)
        except urllib.error.HTTPError as exc:
            answer = Answer(exc.code, exc.read(), exc.headers)
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.log.append((base, "POST" if data is not None else "GET", path, answer.status, elapsed))
        return answer

    def get(self, path: str, **kwargs) -> Answer:
        return self.request(path, **kwargs)

    def post(self, path: str, fields: dict, page: Answer, **kwargs) -> Answer:
        fields = {**fields, "csrfmiddlewaretoken": csrf_token(page)}
        return self.request(path, urllib.parse.urlencode(fields, doseq=True).encode(),
                            "application/x-www-form-urlencoded", **kwargs)

    def post_file(self, path: str, fields: dict, files: dict, page: Answer) -> Answer:
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in {**fields, "csrfmiddlewaretoken": csrf_token(page)}.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (filename, content, kind) in files.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                         f"Content-Type: {kind}\r\n\r\n".encode() + content + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request(path, b"".join(parts), f"multipart/form-data; boundary={boundary}")

    def sign_in(self, username: str, password: str, server: str | None = None) -> Answer:
        page = self.get("/accounts/login/", server=server)
        return self.post("/accounts/login/", {"login": username, "password": password}, page, server=server)


def csrf_token(page: Answer) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert found, f"no CSRF token on the page ({page.status}): {page.words()[:300]}"
    return found.group(1)


def hidden(page: Answer, name: str) -> str:
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', page.text)
    assert found, f"no {name} on the page ({page.status})"
    return found.group(1)


# --- the load -------------------------------------------------------------------------------------------

class Work:
    """What one person does, and what they were told: each due-date save (accepted or refused), each
    evidence file, each import."""

    def __init__(self, person: Person, username: str, items: list[str], number: int):
        self.person, self.username, self.items, self.number = person, username, items, number
        self.rng = random.Random(number)
        self.saves: list[dict] = []  # {"item", "reason", "due", "status", "stale"}
        self.files: dict[str, bytes] = {}  # evidence name -> content
        self.imports: list[dict] = []
        self.reports: list[dict] = []  # {"kind", "format", "job": the job's page}
        self.problems: list[str] = []

    def item_path(self, identifier: str, rest: str = "") -> str:
        return f"/o/{ORG}/items/{identifier}/{rest}"

    def change_due(self, identifier: str, page: Answer, tag: str) -> Answer:
        due = date.today() + timedelta(days=self.rng.randrange(20, 300))
        reason = f"due date moved by {self.username}, {tag}"
        answer = self.person.post(self.item_path(identifier, "due/"), {
            "due-version": hidden(page, "due-version"), "due-scheduled_completion": due.isoformat(),
            "due-reason": reason}, page)
        if answer.status not in (302, 409):
            self.problems.append(f"{identifier} due date: {answer.status} {answer.words()[:300]}")
        self.saves.append({"item": identifier, "reason": reason, "due": due.isoformat(), "status": answer.status,
                           "stale": "stale" in tag})
        return answer

    def edit(self, round_: int) -> None:
        identifier = self.rng.choice(self.items)
        page = self.person.get(self.item_path(identifier))
        if round_ % 5 == 4:
            # A stale save: the page is kept open while the same item is saved from a second page.
            second = self.person.get(self.item_path(identifier))
            self.change_due(identifier, second, f"round {round_}")
            self.change_due(identifier, page, f"round {round_}, stale page")
        else:
            time.sleep(self.rng.random() * 0.3)  # reading the page; meanwhile someone else may save the item
            self.change_due(identifier, page, f"round {round_}")

    def upload(self, round_: int) -> None:
        identifier = self.rng.choice(self.items)
        page = self.person.get(self.item_path(identifier))
        name = f"gpo-report-{self.username}-{round_}.txt"
        content = f"GPO report for {identifier} by {self.username} in round {round_}: {uuid.uuid4()}\n".encode()
        answer = self.person.post_file(self.item_path(identifier, "evidence/"), {"evidence-name": name},
                                       {"evidence-file": (name, content, "text/plain")}, page)
        if answer.status != 302:
            self.problems.append(f"{identifier} evidence: {answer.status} {answer.words()[:300]}")
            return
        self.files[name] = content

    def report(self, round_: int) -> None:
        """Ask for a report on the Reports screen; a worker builds it (downloaded in ``wait_for_reports``)."""
        kind = ("leadership", "review", "readiness")[round_ % 3]
        fmt = "pdf" if round_ == 2 else "html"
        page = self.person.get(f"/o/{ORG}/reports/")
        asked = self.person.post(f"/o/{ORG}/reports/ask/{kind}.{fmt}", {}, page)
        if asked.status != 302 or "/reports/jobs/" not in asked.headers.get("Location", ""):
            self.problems.append(f"report {kind}.{fmt}: {asked.status} {asked.words()[:300]}")
            return
        self.reports.append({"kind": kind, "format": fmt, "job": asked.headers["Location"]})

    def wait_for_reports(self) -> None:
        """Each asked-for report's page (through either server) until its download shows, then the file."""
        for job in self.reports:
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                page = self.person.get(job["job"])
                link = re.search(r'href="([^"]+/reports/jobs/\d+/download)"', page.text)
                if link or "could not be built" in page.text:
                    break
                time.sleep(1)
            else:
                self.problems.append(f"the report {job['job']} was not built within 600 s")
                continue
            if not link:
                self.problems.append(f"the report {job['job']}: {page.words()[:300]}")
                continue
            answer = self.person.get(link.group(1))
            disposition = answer.headers.get("Content-Disposition", "") if answer.headers else ""
            whole = (answer.content.startswith(b"%PDF-") if job["format"] == "pdf"
                     else b"</html>" in answer.content.lower())
            if answer.status != 200 or "attachment" not in disposition or not whole:
                self.problems.append(f"report {job['kind']}.{job['format']}: {answer.status} {disposition}")

    def import_file(self) -> None:
        """The web import, with the columns mapped on its preview; the workers check and import it."""
        rows = [["Ref", "Ctrl", "What is wrong", "Fix by", "Who"]]
        prefix = f"IMP-{self.number}"
        due = (date.today() + timedelta(days=90)).isoformat()
        rows += [[f"{prefix}-{n}", "3.1.8", f"Imported weakness {prefix}-{n}", due, "Marcus Lee"]
                 for n in range(1, IMPORT_ROWS + 1)]
        start = self.person.get(f"/o/{ORG}/import/")
        answer = self.person.post_file(f"/o/{ORG}/import/", {}, {"file": (f"{prefix}.csv", csv_bytes(rows),
                                                                          "text/csv")}, start)
        if answer.status != 302:
            self.problems.append(f"import upload: {answer.status} {answer.words()[:300]}")
            return
        preview = self.person.get(answer.headers["Location"])
        data = corrected(preview, id=0, requirements=1, weakness=2, scheduled_completion=3, primary_owner=4)
        queued = self.person.post(answer.headers["Location"], {**data, "action": "import"}, preview)
        if queued.status != 302 or "/import/jobs/" not in queued.headers.get("Location", ""):
            self.problems.append(f"import: {queued.status} {queued.words()[:300]}")
            return
        self.imports.append({"prefix": prefix, "job": queued.headers["Location"], "said": ""})

    def wait_for_imports(self) -> None:
        for job in self.imports:
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                words = self.person.get(job["job"]).words()
                if "items added" in words or "problem" in words:
                    job["said"] = words
                    break
                time.sleep(1)
            else:
                self.problems.append(f"the import {job['prefix']} was not done within 600 s")

    def run(self) -> None:
        try:
            if self.username.startswith("acme-coordinator"):
                self.import_file()
            for round_ in range(ROUNDS):
                self.edit(round_)
                if round_ % 4 == 1:
                    self.upload(round_)
                if round_ % 5 == 2:
                    self.report(round_)
                if round_ % 3 == 0:
                    self.person.get(f"/o/{ORG}/register/")
            self.wait_for_imports()
            self.wait_for_reports()
        except Exception as exc:  # noqa: BLE001 - said by the test, with the person, after the other threads
            self.problems.append(f"{type(exc).__name__}: {exc}")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(fraction * len(ordered))) - 1)]


# --- the test -------------------------------------------------------------------------------------------

def test_two_servers_and_two_workers_share_one_register(postgresql_database, redis_cache, bucket, tmp_path):
    env = environment(postgresql_database, redis_cache, bucket, tmp_path)
    setup = run_python(SETUP, {**env, "PUNCHLIST_DATA_DIR": str(tmp_path / "setup")})
    assert setup["slug"] == ORG
    deployment = Deployment(env, tmp_path)
    try:
        servers = [deployment.server("server-a"), deployment.server("server-b")]
        for name in ("worker-1", "worker-2"):  # each keeps the schedule too: its runs must be queued once
            (tmp_path / name).mkdir()
            deployment.start(name, "worker", "--data-dir", str(tmp_path / name))

        log, lock = [], threading.Lock()
        owned = {}
        for entry in setup["items"]:
            owned.setdefault(entry["owner"], []).append(entry["identifier"])
        everything = [entry["identifier"] for entry in setup["items"]]
        works = []
        for number, username in enumerate(CLIENTS):
            person = Person(servers, log, lock, first=number)
            answer = person.sign_in(username, PASSWORD)
            assert answer.status == 302, f"{username} could not sign in: {answer.words()[:300]}"
            works.append(Work(person, username, owned.get(username, everything), number))
        started = time.perf_counter()
        threads = [threading.Thread(target=work.run) for work in works]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started

        times = [entry[4] for entry in log]
        errors = [entry for entry in log if entry[3] >= 500]
        by_server = {server: sum(1 for entry in log if entry[0] == server) for server in servers}
        saves = [save for work in works for save in work.saves]
        accepted = [save for save in saves if save["status"] == 302]
        refused = [save for save in saves if save["status"] == 409]
        print(f"\nload: {len(log)} requests from {len(works)} people in {seconds:.0f} s "
              f"({', '.join(str(n) for n in by_server.values())} per server), p50 {statistics.median(times):.0f} ms, "
              f"p95 {percentile(times, 0.95):.0f} ms, max {max(times):.0f} ms; {len(errors)} errors (5xx); "
              f"{len(saves)} due-date saves: {len(accepted)} accepted, {len(refused)} refused as stale "
              f"({sum(1 for s in refused if s['stale'])} of them stale on purpose); "
              f"{sum(len(w.files) for w in works)} evidence files; {sum(len(w.imports) for w in works)} imports; "
              f"{sum(len(w.reports) for w in works)} reports built by the workers")

        assert not errors, errors[:10]
        assert [problem for work in works for problem in work.problems] == []
        assert all(by_server.values())
        # Every save made stale on purpose was refused; every other refusal was a real race with another save.
        assert all(save["status"] == 409 for save in saves if save["stale"])
        assert len(accepted) + len(refused) == len(saves) and accepted and refused

        # A lockout reached through one server holds at the other.
        intruder = Person(servers, log, lock)
        for _ in range(5):
            assert intruder.sign_in("acme-viewer", "guessing", server=servers[0]).status == 200
        locked = Person(servers, log, lock).sign_in("acme-viewer", PASSWORD, server=servers[1])
        assert locked.status == 200 and "This account is locked" in locked.words(), \
            f"the lock set through one server did not hold at the other ({locked.status})"

        facts = run_python(FACTS, {**env, "PUNCHLIST_DATA_DIR": str(tmp_path / "setup")}, ORG)

        # No lost and no duplicated write: each accepted save once in the audit trail, each refused one never,
        # and each item holds the date of its last accepted save.
        recorded = [change["reason"] for change in facts["due_changes"]]
        assert sorted(recorded) == sorted(save["reason"] for save in accepted)
        items = {item["identifier"]: item for item in facts["items"]}
        said = {save["reason"]: save for save in accepted}
        for identifier in everything:
            changes = [c for c in facts["due_changes"] if c["subject"] == identifier]
            if changes:
                assert items[identifier]["due"] == said[changes[-1]["reason"]]["due"]
                versions = [c["version"] for c in changes]
                assert versions == sorted(set(versions))  # each save on the version before it, none twice

        # Each import ran once, on a worker: every row one item, created once.
        for work in works:
            for job in work.imports:
                assert f"{IMPORT_ROWS} items added" in job["said"], job["said"][:500]
        imported = [i for i in facts["items"] if i["weakness"].startswith("Imported weakness IMP-")]
        assert len(imported) == IMPORT_ROWS * sum(len(w.imports) for w in works)
        assert len(facts["created"]) == len(set(facts["created"]))
        assert all(job == {"state": "done", "kind": "imported"} for job in facts["jobs"]), facts["jobs"]
        # Two workers, and no task taken by both: the imports' tasks done by one each, and each run of the
        # schedule (both workers keep it) queued once.
        tasks = facts["tasks"]
        assert all(t["status"] != "FAILED" and len(t["workers"]) <= 1 for t in tasks), tasks
        imports = [t for t in tasks if t["task"] == "run_import_job"]
        assert len(imports) == sum(len(w.imports) for w in works)
        assert all(t["status"] == "SUCCESSFUL" and len(t["workers"]) == 1 for t in imports), imports
        reports = [t for t in tasks if t["task"] == "build_report"]
        assert len(reports) == sum(len(w.reports) for w in works) > 0
        assert all(t["status"] == "SUCCESSFUL" and len(t["workers"]) == 1 for t in reports), reports
        scheduled = [t["task"] for t in tasks if t["task"] not in ("run_import_job", "build_report")]
        task_of = {"reminders": "send_reminders_task", "evidence-rehash": "rehash_evidence_task"}
        assert sorted(scheduled) == sorted(task_of[name] for name, _slot in facts["scheduled"])
        assert {name for name, _slot in facts["scheduled"]} == {"reminders", "evidence-rehash"}

        # Every evidence file reads back the same through either server.
        uploaded = {name: content for work in works for name, content in work.files.items()}
        stored = {piece["name"]: piece for piece in facts["evidence"]}
        assert sorted(stored) == sorted(uploaded)
        reader = works[0].person
        for name, piece in stored.items():
            for server in servers:
                answer = reader.get(f"/o/{ORG}/items/{piece['item']}/evidence/{piece['pk']}/", server=server)
                assert answer.status == 200 and answer.content == uploaded[name], (name, server, answer.status)

        verify = subprocess.run(punchlist_command("verify", "--data-dir", str(tmp_path / "setup")), env=env,
                                capture_output=True, text=True, timeout=600)
        assert verify.returncode == 0, verify.stdout[-3000:] + verify.stderr[-3000:]
        assert "evidence files intact" in verify.stdout and "register matches its audit trail" in verify.stdout
    finally:
        deployment.stop()
    for name in ("server-a", "server-b", "worker-1", "worker-2"):
        assert "Traceback" not in deployment.log(name), deployment.log(name)[-3000:]

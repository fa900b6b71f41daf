"""Register benchmarks: `python -m benchmarks.register` (what `make bench` runs).

Each figure is a ratio to a baseline measured in the same run, in the same process:
- import N items: validate, write and audit them in one transaction (``import_poam`` on records already read),
  against ``punchlist.core`` linting the same records in memory (the checks every row gets);
- re-import of the same N items, unchanged: match, compare, write nothing, against the same lint;
- score + lint of an organization of N items from the database: load, map to core records, score and lint,
  against ``punchlist.core`` scoring and linting the records already built;
- import of a 50,000-row XLSX file as `punchlist import FILE` does it (read, check, write, audit), against
  python-calamine alone reading the same file. The target: at most 3x.
- the floor under that import: the very rows it writes (items, requirement links, milestones, evidence and
  audit events, captured from a dry run), inserted again by the database alone, with no reading, mapping,
  checking or serializing, in a transaction that is rolled back (so the commit is not even counted), with
  and without the audit events. No import that keeps those rows can be faster; docs/architecture.md says
  what follows from it.

Every database: SQLite (a temporary data folder) always; PostgreSQL when PUNCHLIST_DATABASE_URL names one, or
when one answers at 127.0.0.1:5432 (user postgres). On PostgreSQL a scratch database is created and dropped
(CREATE DATABASE), so the benchmark never writes into a database someone uses. Each database runs in a child
process of its own (Django is configured once per process).

Times are wall-clock seconds, best of the repeats (PostgreSQL works in another process, so only the wall clock
sees its share); on SQLite, where everything runs in this process, the CPU-time ratio is shown too, being less
disturbed by other work on a shared machine.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from . import targets

IMPORT_TARGET = 3.0
LOCAL_POSTGRESQL = "postgresql://postgres@127.0.0.1:5432/postgres"
AS_OF = date(2026, 11, 23)


# --- timing ----------------------------------------------------------------------------------------------

def best_of(repeat, work, before=None) -> tuple[float, float]:
    """The best wall-clock and the best CPU seconds of ``repeat`` runs of ``work`` (``before`` untimed)."""
    walls, cpus = [], []
    for _ in range(repeat):
        if before:
            before()
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


class Table:
    def __init__(self, cpu: bool):
        self.cpu = cpu
        print(f"{'work':46} {'items':>7} {'baseline s':>10} {'register s':>10} {'ratio':>6}"
              + (f" {'cpu ratio':>9}" if cpu else ""))

    def row(self, name, items, baseline, measured) -> float:
        ratio = measured[0] / baseline[0]
        line = f"{name:46} {items:>7,} {baseline[0]:>10.3f} {measured[0]:>10.3f} {ratio:>5.1f}x"
        if self.cpu:
            line += f" {measured[1] / baseline[1]:>8.1f}x"
        print(line, flush=True)
        return ratio


# --- data --------------------------------------------------------------------------------------------------

def build_records(count: int, owners: list[str], approvers: list[str], seed: int = 3):
    from punchlist.core import records
    from punchlist.core.catalog import load_catalog

    rng = random.Random(seed)
    eligible = [r for r in load_catalog() if r.poam_eligibility.value == "yes"]
    start0 = date(2026, 1, 5)
    items = []
    for n in range(count):
        requirement = rng.choice(eligible)
        start = start0 + timedelta(days=rng.randrange(0, 200))
        due = start + timedelta(days=rng.randrange(20, 170))
        items.append(records.PoamItem(
            id=f"SRC-{n}", requirements=[requirement.id], title=f"{requirement.title}: gap {n}",
            weakness=f"{requirement.title} is not enforced on {rng.randrange(2, 300)} workstations",
            remediation=f"Apply the {requirement.family} baseline GPO and keep the compliance report {n}.pdf",
            primary_owner=rng.choice(owners), approval_authority=rng.choice(approvers),
            resources=f"{rng.randrange(2, 80)} staff hours", start_date=start, scheduled_completion=due,
            severity=rng.choice(list(records.Severity)),
            milestones=[records.Milestone(f"Step {i}", start + timedelta(days=(due - start).days * i // 3))
                        for i in (1, 2, 3)],
            row=n + 2))
    return records.Poam(items)


REGISTER_FILE_VERSION = 2


def register_poam_file(folder: Path, count: int) -> Path:
    """benchmarks.generate's contractor POA&M, with what the register insists on and a spreadsheet may lack:
    evidence for every item put forward for verification, and an approver who owns no part of the item."""
    from .generate import POAM_HEADERS, poam_rows, write_xlsx

    path = folder / f"register-poam-{count}-v{REGISTER_FILE_VERSION}.xlsx"
    if path.exists():
        return path
    status, evidence, owner, supporting, approver = (POAM_HEADERS.index(name) for name in (
        "Status", "Evidence", "Point of Contact", "Supporting Owner", "Approver"))

    def rows():
        for row in poam_rows(count):
            if row[status] == "Ready for Verification":
                row[evidence] = f"Intune compliance report {row[0]}.pdf"
            # Separation of duties: the approver owns no part of the item.
            if row[approver].split(",")[0] in (row[owner].split(",")[0], row[supporting].split(",")[0]):
                row[approver] = "Ada Okafor, CISO"
            yield row

    print(f"generating {path} (kept for later runs) ...", file=sys.stderr, flush=True)
    return write_xlsx(path, POAM_HEADERS, rows())


def file_people() -> list[tuple[str, str]]:
    from .generate import FIRST, LAST

    return [(first, last) for first in FIRST for last in LAST] + [("Ada", "Okafor")]


def bare_read(path: Path):
    from python_calamine import CalamineWorkbook

    return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()


# --- one database ------------------------------------------------------------------------------------------

def run_child(args) -> int:
    from punchlist import bootstrap

    folder = tempfile.mkdtemp(prefix="punchlist-bench-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # a 50,000-item register is 300 MB
    bootstrap.setup(folder, create=True)
    bootstrap.migrate()
    from django.db import connection

    from punchlist.audit.models import AuditEvent
    from punchlist.core.catalog import load_catalog
    from punchlist.core.checks import lint
    from punchlist.core.scoring import score
    from punchlist.interchange import read_poam
    from punchlist.orgs import services as org_services
    from punchlist.orgs.models import Membership, Role
    from punchlist.register import mapping, services
    from punchlist.register.imports import import_poam
    from punchlist.register.models import PoamItem, RequirementStatus

    counter = iter(range(10**6))

    def new_org(people: list[tuple[str, str]]):
        n = next(counter)
        admin = org_services.create_user(f"admin{n}")
        org = org_services.create_organization(name=f"Bench {n}", first_admin=admin)
        users = [org_services.create_user(f"p{i}-{n}", first_name=first, last_name=last)
                 for i, (first, last) in enumerate(people)]
        Membership.objects.bulk_create(Membership(organization=org, user=u, role=Role.APPROVER) for u in users)
        return org, admin, [u.get_full_name() for u in users]

    bench_people = [(f"Owner{i}", "Bench") for i in range(8)] + [(f"Approver{i}", "Bench") for i in range(8)]
    org, admin, names = new_org(bench_people)
    poam = build_records(args.items, names[:8], names[8:])
    lint(poam, as_of=AS_OF)  # warm the caches and the imports
    table = Table(cpu=connection.vendor == "sqlite")
    state = {}

    def prepare():
        state["org"], state["admin"], _ = new_org(bench_people)

    baseline = best_of(args.repeat, lambda: lint(poam, as_of=AS_OF))
    measured = best_of(args.repeat, lambda: import_poam(state["admin"], state["org"], poam, file="bench.xlsx"),
                       before=prepare)
    table.row("import (check + write + audit)", args.items, baseline, measured)
    org, admin = state["org"], state["admin"]

    def reimport():
        result = import_poam(admin, org, poam, file="bench.xlsx")
        assert len(result.unchanged) == args.items and not result.created, result

    table.row("re-import of the same items, unchanged", args.items, baseline,
              best_of(args.repeat, reimport))

    assessment = services.create_assessment(admin, org, assessed_on=AS_OF)
    RequirementStatus.objects.bulk_create(RequirementStatus(assessment=assessment, requirement=r.id,
                                                            determination="not_met" if i % 9 == 0 else "met")
                                          for i, r in enumerate(load_catalog()))
    results = mapping.results(assessment)
    stored_poam = mapping.to_poam(PoamItem.objects.for_organization(org))

    def core_work():
        score(results)
        lint(stored_poam, as_of=AS_OF)

    def register_work():
        mapping.score_assessment(assessment)
        mapping.lint_organization(org, as_of=AS_OF)

    table.row("score + lint from the database", args.items, best_of(args.repeat, core_work),
              best_of(args.repeat, register_work))

    if args.file_rows:
        path = register_poam_file(Path(args.data), args.file_rows)
        bare_read(path)  # untimed: the file into the disk cache
        people = file_people()

        def prepare_file():
            state["org"], state["admin"], _ = new_org(people)

        def import_file():
            result = import_poam(state["admin"], state["org"], read_poam(path), file=path.name)
            assert len(result.created) == args.file_rows and not result.people_added, str(result)[:200]

        baseline = best_of(args.file_repeat, lambda: bare_read(path))
        measured = best_of(args.file_repeat, import_file, before=prepare_file)
        ratio = table.row("import FILE (read + check + write + audit)", args.file_rows, baseline, measured)
        database = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
        targets.record("benchmarks.register", f"import of a {args.file_rows:,}-row XLSX file, {database}",
                       f"{ratio:.1f}x", f"at most {IMPORT_TARGET:g}x python-calamine's read", ratio <= IMPORT_TARGET)
        prepare_file()
        calls = written_rows(state["admin"], state["org"], read_poam(path), file=path.name)
        table.row("  floor: the same rows inserted, nothing else", args.file_rows, baseline,
                  best_of(args.file_repeat, lambda: insert_again(calls)))
        items_only = [call for call in calls if call[0] is not AuditEvent]
        table.row("  floor without the audit events", args.file_rows, baseline,
                  best_of(args.file_repeat, lambda: insert_again(items_only)))
        print(f"  baseline: python-calamine alone reading {path.name}")
    return 0


def written_rows(actor, organization, poam, *, file: str) -> list[tuple]:
    """The rows ``import_poam`` writes, as (model, columns, rows, options) per ``insert_rows`` call, captured
    from a dry run (``check_poam``: the same import, rolled back)."""
    from punchlist import dbinsert
    from punchlist.register.imports import check_poam, create

    calls = []
    original = dbinsert.insert_rows

    def keep(model, columns, rows, *args, **kwargs):
        rows = list(rows)
        calls.append((model, tuple(columns), rows, kwargs))
        return original(model, columns, rows, *args, **kwargs)

    dbinsert.insert_rows = create.insert_rows = keep  # chain.record_many imports it when called
    try:
        check_poam(actor, organization, poam, file=file)
    finally:
        dbinsert.insert_rows = create.insert_rows = original
    return calls


def insert_again(calls) -> None:
    """The captured rows inserted as the import inserts them (same statements, same page cache), then rolled
    back: their keys and audit sequence numbers are free again for the next repeat."""
    from django.db import transaction

    from punchlist.dbinsert import bulk_session, insert_rows
    from punchlist.register.models import PoamItem

    rows = sum(len(call[2]) for call in calls if call[0] is PoamItem)
    with transaction.atomic():
        with bulk_session(PoamItem, rows=rows):
            for model, columns, values, options in calls:
                insert_rows(model, columns, values, **options)
        transaction.set_rollback(True)


# --- every database ----------------------------------------------------------------------------------------

def _postgresql_url() -> str | None:
    url = os.environ.get("PUNCHLIST_DATABASE_URL")
    if url:
        return url if url.startswith(("postgres://", "postgresql://", "pgsql://")) else None
    try:
        import psycopg

        psycopg.connect(LOCAL_POSTGRESQL, connect_timeout=2).close()
    except Exception:  # noqa: BLE001 - no local server: SQLite only
        return None
    return LOCAL_POSTGRESQL


def _scratch_database(url: str):
    """A new database on the server ``url`` names, and how to drop it."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    name = f"punchlist_bench_{os.getpid()}"
    parts = urlsplit(url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(parts._replace(path=f"/{name}")), drop


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.register")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--file-rows", type=int, default=50_000, help="rows of the imported file (0: skip)")
    parser.add_argument("--file-repeat", type=int, default=2)
    parser.add_argument("--data", default="bench-data", help="where generated files are kept between runs")
    parser.add_argument("--database", choices=("all", "sqlite", "postgresql"), default="all")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return run_child(args)
    if args.file_rows:
        register_poam_file(Path(args.data), args.file_rows)  # once, before any child times anything
    passed = ["--items", str(args.items), "--repeat", str(args.repeat), "--file-rows", str(args.file_rows),
              "--file-repeat", str(args.file_repeat), "--data", args.data]
    status = 0
    databases = []
    if args.database in ("all", "sqlite"):
        databases.append(("SQLite (a temporary data folder)", None))
    if args.database in ("all", "postgresql"):
        url = _postgresql_url()
        if url is None:
            print("PostgreSQL: none given (PUNCHLIST_DATABASE_URL) and none at 127.0.0.1:5432; skipped")
        else:
            databases.append(("PostgreSQL", url))
    for label, url in databases:
        env = {key: value for key, value in os.environ.items() if key != "PUNCHLIST_DATABASE_URL"}
        drop = None
        if url is not None:
            try:
                scratch, drop = _scratch_database(url)
            except Exception as exc:  # noqa: BLE001 - say why and go on with the other database
                print(f"PostgreSQL: cannot create a scratch database on {url}: {exc}")
                status = 1
                continue
            env["PUNCHLIST_DATABASE_URL"] = scratch
            label = f"PostgreSQL (scratch database {scratch.rsplit('/', 1)[1]}, dropped afterwards)"
        print(f"\n== {label}", flush=True)
        try:
            done = subprocess.run([sys.executable, "-m", "benchmarks.register", "--child", *passed], env=env,
                                  check=False)
            status = status or done.returncode
        finally:
            if drop is not None:
                drop()
    return status


if __name__ == "__main__":
    raise SystemExit(main())

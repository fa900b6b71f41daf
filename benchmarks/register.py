"""Register benchmark (issue 3): `python -m benchmarks.register [--items 10000]`.

Each figure is a ratio to the same work done by ``punchlist.core`` on in-memory records, in the same run:
- import: validate, write and audit N items in one transaction, against linting the same records in memory
  (the checks every row gets before anything is written);
- score + lint from the database: load the organization's items and assessment, map them to core records,
  score and lint, against scoring and linting the already-built records.
SQLite in a temporary data folder by default; PUNCHLIST_DATABASE_URL to measure PostgreSQL.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import tempfile
import time
from datetime import date, timedelta


def best_of(repeat, work, before=None):
    times = []
    for _ in range(repeat):
        if before:
            before()
        gc.collect()
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.register")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    folder = tempfile.mkdtemp(prefix="punchlist-bench-")
    from punchlist import bootstrap

    bootstrap.setup(folder, create=True)
    bootstrap.migrate()
    from punchlist.core.checks import lint
    from punchlist.core.scoring import score
    from punchlist.orgs import services as org_services
    from punchlist.orgs.models import Role
    from punchlist.register import mapping, services
    from punchlist.register.imports import import_poam
    from punchlist.register.models import PoamItem

    as_of = date(2026, 11, 23)
    counter = iter(range(10**6))

    def new_org():
        n = next(counter)
        admin = org_services.create_user(f"admin{n}")
        org = org_services.create_organization(name=f"Bench {n}", first_admin=admin)
        names = {"owners": [], "approvers": []}
        for i in range(8):
            for key, role in (("owners", Role.OWNER), ("approvers", Role.APPROVER)):
                user = org_services.create_user(f"{key}{i}-{n}", first_name=f"{key.title()}{i}", last_name=f"N{n}")
                org_services.add_member(admin, org, user, role)
                names[key].append(user.get_full_name())
        return org, admin, names

    org, admin, names = new_org()
    poam = build_records(args.items, names["owners"], names["approvers"])
    lint(poam, as_of=as_of)  # warm caches and imports
    state = {}

    def prepare():
        state["org"], state["admin"], names2 = new_org()
        state["poam"] = build_records(args.items, names2["owners"], names2["approvers"])

    baseline = best_of(args.repeat, lambda: lint(poam, as_of=as_of))
    measured = best_of(args.repeat, lambda: import_poam(state["admin"], state["org"], state["poam"],
                                                         file="bench.xlsx"), before=prepare)
    print(f"{'work':44} {'items':>7} {'core s':>8} {'register s':>11} {'ratio':>6}")
    print(f"{'import (check + write + audit)':44} {args.items:>7} {baseline:8.3f} {measured:11.3f} "
          f"{measured / baseline:6.1f}")

    org = state["org"]
    assessment = services.create_assessment(state["admin"], org, assessed_on=as_of)
    from punchlist.core.catalog import load_catalog
    from punchlist.register.models import RequirementStatus

    RequirementStatus.objects.bulk_create(RequirementStatus(assessment=assessment, requirement=r.id,
                                                            determination="not_met" if i % 9 == 0 else "met")
                                          for i, r in enumerate(load_catalog()))
    results = mapping.results(assessment)
    stored_poam = mapping.to_poam(PoamItem.objects.for_organization(org))

    def core_work():
        score(results)
        lint(stored_poam, as_of=as_of)

    def register_work():
        mapping.score_assessment(assessment)
        mapping.lint_organization(org, as_of=as_of)

    baseline = best_of(args.repeat, core_work)
    measured = best_of(args.repeat, register_work)
    print(f"{'score + lint from the database':44} {args.items:>7} {baseline:8.3f} {measured:11.3f} "
          f"{measured / baseline:6.1f}")
    print(f"(database: {os.environ.get('PUNCHLIST_DATABASE_URL', 'SQLite in ' + folder)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

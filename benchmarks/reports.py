"""Reports benchmark: `python -m benchmarks.reports [--items 10000]`.

Prints the seconds each report takes for an organization of N items (default 10,000), read from the register
each time: the three web views' figures and charts, the leadership, monthly review and readiness reports as
HTML and as PDF, and the assessor package. The register's own read of the items (``mapping.to_poam``) is shown
first, for scale. SQLite in a temporary data folder by default; PUNCHLIST_DATABASE_URL to measure PostgreSQL.

The organization is imported through the register's import (so it carries real audit events), then a fifth of
its items are marked closed and a quarter of its milestones moved, directly in the tables, so that every chart
has something to draw.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import sys
import tempfile
from datetime import date, timedelta

from .register import best_of, build_records

AS_OF = date(2026, 11, 23)


def seed(count: int):
    from django.db.models import F

    from punchlist.core.catalog import load_catalog
    from punchlist.orgs import services as org_services
    from punchlist.orgs.models import Role
    from punchlist.register.imports import import_assessment, import_poam
    from punchlist.register.models import Milestone, PoamItem
    from punchlist.core import records

    admin = org_services.create_user("bench-admin", first_name="Ada", last_name="Bench")
    org = org_services.create_organization(name="Bench Manufacturing", first_admin=admin)
    names = {"owners": [], "approvers": []}
    for i in range(8):
        for key, role in (("owners", Role.OWNER), ("approvers", Role.APPROVER)):
            user = org_services.create_user(f"{key}{i}", first_name=f"{key.title()}{i}", last_name="Bench")
            org_services.add_member(admin, org, user, role)
            names[key].append(user.get_full_name())
    print(f"importing {count:,} items ...", file=sys.stderr)
    import_poam(admin, org, build_records(count, names["owners"], names["approvers"]), file="bench.xlsx")
    results = [records.RequirementResult(r.id, records.Determination.NOT_MET if n % 9 == 0
                                         else records.Determination.MET) for n, r in enumerate(load_catalog())]
    import_assessment(admin, org, results, assessed_on=AS_OF - timedelta(days=30), file="assessment.xlsx")
    items = PoamItem.objects.for_organization(org)
    closed = items.filter(pk__in=list(items.order_by("pk").values_list("pk", flat=True)[::5]))
    closed.update(status="closed", completion_date=F("scheduled_completion"))
    items.exclude(status="closed").update(status="open")
    milestones = Milestone.objects.for_organization(org)
    moved = list(milestones.order_by("pk").values_list("pk", flat=True)[::4])
    milestones.filter(pk__in=moved).update(original_due=F("due") - timedelta(days=14))
    return org, admin


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reports")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    folder = tempfile.mkdtemp(prefix="punchlist-bench-reports-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # a 50,000-item register is 300 MB
    from punchlist import bootstrap

    bootstrap.setup(folder, create=True)
    bootstrap.migrate()
    from punchlist.register import mapping
    from punchlist.register.models import PoamItem
    from punchlist.reports import data, render
    from punchlist.reports.package import write_package

    org, admin = seed(args.items)
    snapshot = lambda: data.Snapshot(org, as_of=AS_OF)  # noqa: E731
    render.render_pdf("leadership", snapshot())  # warm WeasyPrint's imports and fonts
    work = [("register read (mapping.to_poam), for scale",
             lambda: mapping.to_poam(PoamItem.objects.for_organization(org)))]
    for key in ("leadership", "security", "operations"):
        work.append((f"{key} view (figures + charts)", lambda key=key: render.section_data(key, snapshot(), 50)))
    for key in render.DOCUMENTS:
        work.append((f"{key} report, HTML", lambda key=key: render.render_html(key, snapshot())))
        work.append((f"{key} report, PDF", lambda key=key: render.render_pdf(key, snapshot())))
    package = os.path.join(folder, "package.zip")
    work.append(("assessor package (zip)", lambda: write_package(admin, org, package, generated_at=None)))
    print(f"{'report':46} {'items':>7} {'seconds':>8} {'CPU s':>7}")
    for name, job in work:
        wall, cpu = best_of(args.repeat, job)
        print(f"{name:46} {args.items:>7,} {wall:8.2f} {cpu:7.2f}", flush=True)
    print(f"(best of {args.repeat}; database: {os.environ.get('PUNCHLIST_DATABASE_URL', 'SQLite in ' + folder)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A register with something in every figure, built through the services, for the reports' tests.

``acme`` (Acme Machining, from ``team``) holds an imported self-assessment (four requirements NOT MET, one of
them changed later through the service), a Conditional status 100 days ago, and six items: overdue, due soon,
slipped, closed this month with evidence, ready for verification (on a requirement no POA&M may hold), and an
operational plan item. ``TODAY`` is the day the register is judged as of.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta

from punchlist.core import records
from punchlist.core.catalog import load_catalog
from punchlist.register import services
from punchlist.register.imports import import_assessment
from punchlist.register.models import Assessment, Kind, PoamItem
from punchlist.testing import make_item, make_legacy_item

TODAY = date.today()
NOT_MET = {"3.1.1": False, "3.1.8": False, "3.13.11": True}  # requirement: partial; 3.3.4 follows by service
NOT_APPLICABLE = {"3.10.3"}


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


@dataclass
class Acme:
    team: object
    assessment: Assessment
    items: dict  # short name -> PoamItem

    @property
    def org(self):
        return self.team.org


def build_assessment(team, assessed_on: date) -> Assessment:
    results = []
    for requirement in load_catalog():
        if requirement.id in NOT_MET:
            results.append(records.RequirementResult(requirement.id, records.Determination.NOT_MET,
                                                     partial=NOT_MET[requirement.id]))
        elif requirement.id in NOT_APPLICABLE:
            results.append(records.RequirementResult(requirement.id, records.Determination.NOT_APPLICABLE))
        else:
            results.append(records.RequirementResult(requirement.id, records.Determination.MET))
    assessment = import_assessment(team.coordinator, team.org, results, assessed_on=assessed_on,
                                   file="self-assessment.xlsx")
    services.set_requirement_status(team.coordinator, assessment, "3.3.4", "not_met")
    return assessment


def build_register(team) -> Acme:
    c = team.coordinator
    items = {}
    items["overdue"] = make_item(team, requirements=["3.1.8"], title="Lock accounts after five failed logons",
                                 severity="high", start_date=day(-40), scheduled_in_days=None,
                                 scheduled_completion=day(-10),
                                 milestones=[("Draft the lockout GPO", day(-20)), ("Apply the GPO", day(-12))])
    first = items["overdue"].milestones.order_by("position").first()
    services.slip_milestone(c, first, day(3), reason="the change board met late")
    items["due_soon"] = make_item(team, requirements=["3.13.11"], title="FIPS-validated VPN for remote access",
                                  severity="critical", start_date=day(-20), scheduled_completion=day(5),
                                  scheduled_in_days=None)
    items["later"] = make_item(team, requirements=["3.3.4"], title="Alert when audit logging fails",
                               severity="moderate", primary_owner=team.owner2, scheduled_in_days=40)
    items["closed"] = make_item(team, requirements=["3.4.3"], title="Track changes to the CNC workstations",
                                severity="low", start_date=day(-50), scheduled_completion=day(-2),
                                scheduled_in_days=None)
    services.add_evidence(team.owner, items["closed"], name="baseline.txt", content=io.BytesIO(b"baseline v3\n"),
                          filename="baseline.txt")
    services.request_closure(team.owner, items["closed"], note="GPO applied; report attached")
    services.approve_closure(team.approver, items["closed"], note="checked the report")
    items["ineligible"] = make_legacy_item(team, requirements=["3.1.1"], title="Remove shared accounts",
                                    severity="high", primary_owner=team.owner2, scheduled_in_days=20)
    services.add_evidence(team.owner2, items["ineligible"], name="accounts.csv", reference="https://wiki/acct")
    services.request_closure(team.owner2, items["ineligible"], note="done")
    items["operational"] = make_item(team, requirements=["3.13.1"], title="Replace the failed boundary firewall",
                                     kind=Kind.OPERATIONAL_PLAN, severity="", start_date=day(-10),
                                     scheduled_completion=day(-3), scheduled_in_days=None)
    for key, item in items.items():
        items[key] = PoamItem.objects.get(pk=item.pk)
    assessment = build_assessment(team, day(-60))
    services.set_conditional_date(c, assessment, day(-100))
    return Acme(team, assessment, items)


def add_items(team, count: int, start: int = 0) -> None:
    """``count`` more open items with a milestone each, for query-count comparisons."""
    for n in range(start, start + count):
        make_item(team, requirements=["3.1.8"], title=f"Extra item {n}", severity=("high", "low")[n % 2],
                  primary_owner=(team.owner, team.owner2)[n % 2], scheduled_in_days=n % 20 + 1,
                  milestones=[(f"Step {n}", day(n % 10 + 1))])

"""The report figures against the register: each one recomputed here from the ORM or the register's own
functions, and the reads in a fixed number of queries whatever the number of items."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from punchlist.audit.models import AuditEvent
from punchlist.core.catalog import load_catalog
from punchlist.core.closeout import closeout_deadline
from punchlist.core import metrics
from punchlist.core.metrics import CellState
from punchlist.core.scoring import Level2
from punchlist.register import mapping, services
from punchlist.register.models import Milestone, PoamItem, Status
from punchlist.reports import data, render, sections

from report_builders import NOT_APPLICABLE, TODAY, add_items, build_register, day

OPEN = [s.value for s in mapping.OPEN_STATUSES]


def test_headline_figures_match_the_register(acme):
    snap = data.Snapshot(acme.org, as_of=TODAY)
    head = data.headline(snap)
    catalog = load_catalog()
    expected = 110 - catalog.get("3.1.1").weight - catalog.get("3.1.8").weight - 3 - catalog.get("3.3.4").weight
    assert head.score == mapping.score_assessment(acme.assessment).score == expected
    assert head.level2 is Level2.NOT_ELIGIBLE  # 3.1.1 may not be on a POA&M
    items = PoamItem.objects.for_organization(acme.org)
    assert head.items == items.count() == 6
    assert head.open == items.filter(status__in=OPEN).count() == 5
    assert head.overdue == items.filter(status__in=OPEN, scheduled_completion__lt=TODAY).count() == 2
    # The tile counts what the operations view lists: completions and milestones falling due in 14 days.
    assert head.due_soon == sections.operations(snap).due.total == len(
        metrics.due_within(snap.open_items, TODAY, 14)) >= items.filter(
        status__in=OPEN, scheduled_completion__gte=TODAY, scheduled_completion__lte=day(14)).count() == 1
    assert head.countdown.clock.deadline == closeout_deadline(day(-100))
    assert head.countdown.clock.days_left == 80
    assert head.marking == "Internal tracking document"
    assert head.score_change is None  # the determinations were recorded today: nothing to compare with


def test_leadership_figures(acme):
    snap = data.Snapshot(acme.org, as_of=TODAY)
    lead = sections.leadership(snap)
    assert [d.requirement.id for d in lead.blocking] == ["3.1.1"]
    severity = dict(lead.severity)
    items = PoamItem.objects.for_organization(acme.org).filter(status__in=OPEN)
    for value in ("critical", "high", "moderate", "low"):
        assert severity[value] == items.filter(severity=value).count()
    assert severity["unrated"] == items.filter(severity="").count() == 1
    assert [(i.id, days) for i, days in lead.overdue.rows] == [
        (acme.items["overdue"].identifier, 10), (acme.items["operational"].identifier, 3)]
    milestones = Milestone.objects.for_organization(acme.org)
    assert lead.slip.planned == milestones.exclude(original_due=None).count() == 2
    assert lead.slip.slipped == sum(1 for m in milestones if m.due != m.original_due) == 1
    assert lead.slip.days_late == 23
    # The burndown: today's actual point is the open items now.
    now = [p for p in lead.burndown if p.actual is not None][-1]
    assert now.on <= TODAY and now.actual == 5
    assert all(p.actual is None for p in lead.burndown if p.on > TODAY)
    # The score over time: the assessment's score now, and the point of today's recorded changes.
    history = lead.history
    assert [(p.on, p.score) for p in history["assessments"]] == [(TODAY, lead.headline.score)]
    assert history["recorded"][-1].on == TODAY and history["recorded"][-1].score == lead.headline.score


def test_score_over_time_with_an_earlier_assessment(acme):
    from punchlist.core import records
    from punchlist.register.imports import import_assessment

    earlier = [records.RequirementResult(r.id, records.Determination.NOT_MET if r.family == "AT"
                                         else records.Determination.MET) for r in load_catalog()]
    import_assessment(acme.team.coordinator, acme.org, earlier, assessed_on=day(-200), file="2025.xlsx")
    snap = data.Snapshot(acme.org, as_of=TODAY)
    history = data.score_history(snap)
    at = sum(r.weight for r in load_catalog().family("AT"))
    assert [(p.on, p.score) for p in history["assessments"]] == [(day(-200), 110 - at), (TODAY, 100)]
    assert data.headline(snap).score == 100  # the latest by date, not the latest imported
    assert data.headline(snap).score_change == 100 - (110 - at)


def test_recorded_changes_follow_both_the_import_and_the_service(acme):
    snap = data.Snapshot(acme.org, as_of=TODAY)
    changes = [c for a, c in snap.recorded_changes if a == acme.assessment.pk]
    assert len(changes) == 111  # 110 imported, then 3.3.4 through the service
    assert changes[-1].requirement == "3.3.4" and changes[-1].determination.name == "NOT_MET"
    # A later change of the implementation statement alone keeps the determination recorded before it.
    services.set_requirement_status(acme.team.coordinator, acme.assessment, "3.3.4", "not_met",
                                    implementation="SIEM alert pending")
    snap = data.Snapshot(acme.org, as_of=TODAY)
    assert snap.recorded_changes[-1][1].determination.name == "NOT_MET"


def test_security_figures(acme):
    snap = data.Snapshot(acme.org, as_of=TODAY)
    sec = sections.security(snap)
    assert len(sec.families) == 14 and sum(row.total for row in sec.families) == 110
    states = {requirement: state for row in sec.families for requirement, state in row.cells}
    assert states["3.1.1"] is CellState.ON_POAM  # its item is ready for verification: still open
    assert states["3.1.8"] is CellState.ON_POAM and states["3.3.4"] is CellState.ON_POAM
    assert {r for r, s in states.items() if s is CellState.NOT_APPLICABLE} == NOT_APPLICABLE
    assert sum(row.met for row in sec.families) == 110 - 4 - len(NOT_APPLICABLE)
    findings = mapping.lint_organization(acme.org, as_of=TODAY)
    assert sec.findings == len(findings)
    assert sum(group.count for group in sec.lint) == len(findings)
    assert [f.item for f in sec.ineligible.rows] == [acme.items["ineligible"].identifier]


def test_operations_figures(acme):
    snap = data.Snapshot(acme.org, as_of=TODAY)
    ops = sections.operations(snap)
    loads = {load.owner: load for load in ops.workload}
    marcus, olive = acme.team.owner.get_full_name(), acme.team.owner2.get_full_name()
    items = PoamItem.objects.for_organization(acme.org).filter(status__in=OPEN)
    assert loads[marcus].open == items.filter(primary_owner=acme.team.owner).count() == 3
    assert loads[olive].open == items.filter(primary_owner=acme.team.owner2).count() == 2
    assert loads[olive].awaiting_verification == 1
    due = [(e.item, e.is_milestone, e.on) for e in ops.due.rows]
    assert (acme.items["due_soon"].identifier, False, day(5)) in due
    assert (acme.items["overdue"].identifier, True, day(3)) in due  # the slipped milestone
    assert [i.id for i in ops.awaiting_verification.rows] == [acme.items["ineligible"].identifier]
    # The owners' "due" column counts what the list and the headline count.
    assert sum(load.due_soon for load in ops.workload) == ops.due.total == ops.headline.due_soon


def test_review_counts_the_month(acme):
    snap = data.Snapshot(acme.org, as_of=TODAY)
    review = sections.review(snap)
    assert review.new.total == 6  # all created today
    assert [i.id for i in review.closed.rows] == [acme.items["closed"].identifier]
    assert review.slipped.total == 1
    assert any("3.1.1" in point or "AC.L2-3.1.1" in point for point in review.decisions)


def test_marking_follows_the_assessment_poam_flag(acme):
    services.update_assessment(acme.team.coordinator, acme.assessment, is_the_assessment_poam=True)
    assert data.Snapshot(acme.org, as_of=TODAY).marking == "Internal tracking document"  # the flag alone
    # A person marks the POA&M official, once the item for 3.1.1 (never on a POA&M) is remediation work.
    services.update_item(acme.team.coordinator, acme.items["ineligible"], kind="operational_plan")
    services.mark_official_poam(acme.team.coordinator, acme.assessment)
    snap = data.Snapshot(acme.org, as_of=TODAY)
    assert snap.marking == "POA&M for the CMMC assessment"


def test_an_empty_organization_has_no_score_and_renders(team):
    snap = data.Snapshot(team.org, as_of=TODAY)
    head = data.headline(snap)
    assert head.score is None and head.level2 is None and head.items == 0 and head.countdown is None
    for key in render.DOCUMENTS:
        assert "No assessment recorded yet" in render.render_html(key, data.Snapshot(team.org, as_of=TODAY))


def _queries(org) -> int:
    with CaptureQueriesContext(connection) as context:
        snap = data.Snapshot(org, as_of=TODAY)
        for key in ("leadership", "security", "operations", "review", "readiness"):
            render.section_data(key, snap)
    return len(context.captured_queries)


def test_fixed_number_of_queries_whatever_the_number_of_items(team, rival):
    build_register(team)
    build_register(rival)
    add_items(team, 3)
    add_items(rival, 30)
    events = AuditEvent.objects.for_organization
    assert events(rival.org).count() > events(team.org).count()
    few, many = _queries(team.org), _queries(rival.org)
    assert few == many
    assert many <= 13  # the items' records read their blocked-by links too (one query, whatever the number)


def test_a_closed_item_without_completion_date_counts_as_closed(acme):
    item = acme.items["operational"]
    services.accept_risk(acme.team.approver, PoamItem.objects.get(pk=item.pk), reason="compensating control")
    assert PoamItem.objects.get(pk=item.pk).status == Status.RISK_ACCEPTED
    snap = data.Snapshot(acme.org, as_of=TODAY)
    assert data.headline(snap).open == 4
    now = [p for p in data.burndown(snap) if p.actual is not None][-1]
    assert now.actual == 4


def test_the_review_pack_follows_up_the_last_recorded_review(acme):
    from punchlist.rhythm.services.monthly import record_review

    assert sections.review(data.Snapshot(acme.org, as_of=TODAY)).last_review is None
    record_review(acme.team.admin, acme.org, held_on=TODAY, decisions="Fund the shared-account clean-up",
                  attendees=[acme.team.admin, acme.team.coordinator], other_attendees="Jo (CFO)")
    last = sections.review(data.Snapshot(acme.org, as_of=TODAY)).last_review
    assert last.decisions == "Fund the shared-account clean-up" and last.held_on == TODAY
    assert "Cora Lee" in last.attended and "Jo (CFO)" in last.attended
    html = render.render_html("review", data.Snapshot(acme.org, as_of=TODAY))
    assert "Fund the shared-account clean-up" in html

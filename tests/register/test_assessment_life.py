"""An assessment's life in the register: its outcome and the refusals of a status the rules do not allow, the
official POA&M kept apart from the operational plan of action, closures that record the requirement MET, open
milestones that hold up a closure, and determinations per assessment objective.

Runs on SQLite and, with PUNCHLIST_DATABASE_URL, on PostgreSQL. The clock is pinned to 2026-11-23.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from punchlist.audit.chain import verify_chain
from punchlist.audit.models import AuditEvent
from punchlist.core import records
from punchlist.core.catalog import load_catalog
from punchlist.interchange.exports import MARKING_ASSESSMENT, MARKING_INTERNAL
from punchlist.register import mapping, services
from punchlist.register.exports import build_export
from punchlist.register.imports import import_assessment
from punchlist.register.models import Assessment, EvidenceRequirement, PoamItem, RequirementStatus, Status
from punchlist.register.services import InvalidChange, OutcomeRefused, PermissionDenied, WorkflowError
from punchlist.testing import make_item, make_legacy_item

TODAY = date.today()
# A self-assessment at 92: three NOT MET requirements no POA&M may hold (two of them Level 1) and three that
# one may; 110 - 5 - 5 - 5 - 1 - 1 - 1 = 92.
INELIGIBLE = ("3.1.1", "3.5.3", "3.14.1")
ELIGIBLE = ("3.4.9", "3.1.8", "3.3.3")


@dataclass
class World:
    team: object
    assessment: Assessment
    plans: dict  # requirement -> item


def _self_assessment(team, not_met=INELIGIBLE + ELIGIBLE, assessed_on=TODAY - timedelta(days=14)):
    results = [records.RequirementResult(r.id, records.Determination.NOT_MET if r.id in not_met
                                         else records.Determination.MET) for r in load_catalog()]
    return import_assessment(team.coordinator, team.org, results, assessed_on=assessed_on, file="self.xlsx")


@pytest.fixture
def world(team):
    assessment = _self_assessment(team)
    plans = {}
    for requirement in INELIGIBLE:  # remediation work before the assessment: operational plan items
        plans[requirement] = make_item(team, requirements=[requirement], kind="operational_plan",
                                       title=f"Implement {requirement}", scheduled_in_days=30)
    for requirement in ELIGIBLE:
        plans[requirement] = make_item(team, requirements=[requirement], title=f"Fix {requirement}",
                                       scheduled_in_days=60)
    return World(team, assessment, plans)


def _record(world, status, **kwargs):
    values = {"kind": "self", "assessed_on": world.assessment.assessed_on, "status": status}
    values.update(kwargs)
    return services.record_outcome(world.team.coordinator, world.assessment, **values)


# --- the outcome and its refusals ------------------------------------------------------------------------------

def test_the_self_assessment_scores_92_with_every_not_met_requirement_planned(world):
    report = mapping.score_assessment(world.assessment)
    assert report.score == 92 and not any(d.derived for d in report.not_met)


def test_a_conditional_status_is_refused_for_requirements_no_poam_may_hold_and_level_1(world):
    with pytest.raises(OutcomeRefused) as refused:
        _record(world, "conditional", conditional_date=TODAY)
    reasons = " ".join(refused.value.reasons)
    assert "R-POAM-3/4/5: 3 NOT MET requirement(s) may not be on a POA&M (3.1.1, 3.5.3, 3.14.1)" in reasons
    assert "R-POAM-1: Level 1 requirement(s) NOT MET (3.1.1, 3.14.1)" in reasons
    assert "below 88" not in reasons  # 92 is enough; the requirements are what block it
    assert refused.value.would_take == [
        "implement 3.1.1, 3.5.3, 3.14.1 (no POA&M may hold them, R-POAM-3/4), which brings the score to 107"]
    world.assessment.refresh_from_db()
    assert (world.assessment.earned_status, world.assessment.conditional_status_date) == ("", None)
    assert not AuditEvent.objects.filter(action="record_outcome").exists()


def test_a_conditional_status_is_refused_under_88(team):
    # Nine requirements of 5 and 3 points NOT MET, all planned: 67, and blocked as well.
    low = ("3.1.1", "3.1.2", "3.1.12", "3.1.13", "3.1.16", "3.1.17", "3.1.18", "3.3.1", "3.3.2")
    assessment = _self_assessment(team, not_met=low)
    for requirement in low:
        make_item(team, requirements=[requirement], kind="operational_plan", title=f"Implement {requirement}")
    with pytest.raises(OutcomeRefused, match="R-POAM-2: the score 67 is below 88") as refused:
        services.record_outcome(team.coordinator, assessment, kind="self", assessed_on=assessment.assessed_on,
                                status="conditional", conditional_date=TODAY)
    assert refused.value.would_take[0].startswith("implement 3.1.1, 3.1.2")


def test_a_level_1_assessment_has_no_conditional_status(team):
    assessment = services.create_assessment(team.coordinator, team.org, assessed_on=TODAY, level=1)
    with pytest.raises(OutcomeRefused, match="R-POAM-1"):
        services.record_outcome(team.coordinator, assessment, kind="self", assessed_on=TODAY,
                                status="conditional", conditional_date=TODAY)


def test_other_outcomes_that_the_determinations_do_not_support_are_refused(world):
    with pytest.raises(WorkflowError, match="give a score of 92, not 95"):
        _record(world, "", score=95)
    with pytest.raises(OutcomeRefused, match="R-POAM-5: a Final status needs every requirement MET or N/A; 6"):
        _record(world, "final")
    with pytest.raises(InvalidChange, match="needs its date"):
        _record(world, "conditional")
    with pytest.raises(InvalidChange, match="goes with a Conditional status only"):
        _record(world, "", conditional_date=TODAY)
    with pytest.raises(PermissionDenied):
        services.record_outcome(world.team.owner, world.assessment, kind="self", assessed_on=TODAY, status="")


def test_the_missing_work_done_a_conditional_status_is_recorded_with_its_clock(world):
    team = world.team
    outcome = _record(world, "", score=92)
    assert (outcome.recorded_score, outcome.earned_status, outcome.outcome_recorded_by) == (92, "", team.coordinator)
    for requirement in INELIGIBLE:
        services.set_requirement_status(team.coordinator, world.assessment, requirement, "met")
    services.mark_official_poam(team.coordinator, world.assessment)  # its items run on its clock
    _record(world, "conditional", kind="c3pao", score=107, conditional_date=TODAY)
    world.assessment.refresh_from_db()
    assert (world.assessment.kind, world.assessment.recorded_score, world.assessment.earned_status,
            world.assessment.conditional_status_date) == ("c3pao", 107, "conditional", TODAY)
    event = AuditEvent.objects.filter(action="record_outcome").last()
    assert event.actor == team.coordinator
    assert event.after["earned_status"] == "conditional" and event.after["conditional_status_date"] == str(TODAY)
    # R-CLOSE-1: from the date, items are held to the 180-day closeout and the reminders run at 90/60/30.
    with pytest.raises(WorkflowError, match="R-CLOSE-1"):
        services.change_due_date(team.coordinator, world.plans["3.4.9"], TODAY + timedelta(days=181),
                                 reason="the vendor is late")
    # A later change of the date needs a reason (R-CLOSE-3).
    with pytest.raises(WorkflowError, match="needs a reason"):
        _record(world, "conditional", score=107, conditional_date=TODAY + timedelta(days=1))
    assert verify_chain(team.org).intact


def test_the_closeout_reminders_run_from_the_recorded_date(world):
    from punchlist.rhythm.services.reminders import plan

    for requirement in INELIGIBLE:
        services.set_requirement_status(world.team.coordinator, world.assessment, requirement, "met")
    services.mark_official_poam(world.team.coordinator, world.assessment)
    _record(world, "conditional", conditional_date=TODAY)
    deadline = TODAY + timedelta(days=180)
    for mark in (90, 60, 30):
        mails = [m for m in plan(world.team.org, deadline - timedelta(days=mark)) if m.kind == "closeout"]
        assert mails and all(f"{mark} days to the POA&M closeout deadline" in m.subject for m in mails), mark
    expired = [m for m in plan(world.team.org, deadline + timedelta(days=1)) if m.kind == "closeout"]
    assert expired and "has passed" in expired[0].subject


# --- the official POA&M, kept apart ----------------------------------------------------------------------------

@pytest.mark.parametrize("requirement", ["3.5.3", "3.10.4", "3.14.1"])
def test_an_assessment_poam_item_for_a_requirement_no_poam_may_hold_is_refused(team, requirement):
    with pytest.raises(WorkflowError, match=f"{requirement} may never be on a POA&M .*operational plan"):
        make_item(team, requirements=[requirement])
    assert not PoamItem.objects.filter(organization=team.org).exists()
    plan = make_item(team, requirements=[requirement], kind="operational_plan")
    assert plan.identifier.startswith("OPA-")
    with pytest.raises(WorkflowError, match="may never be on a POA&M"):
        services.update_item(team.coordinator, plan, kind="assessment_poam")
    eligible = make_item(team, requirements=["3.4.9"])
    with pytest.raises(WorkflowError, match="may never be on a POA&M"):
        services.update_item(team.coordinator, eligible, requirements=["3.4.9", requirement])


def test_the_two_kinds_are_numbered_apart_and_ids_never_change(team):
    first = make_item(team, requirements=["3.1.8"])
    plan = make_item(team, requirements=["3.1.1"], kind="operational_plan")
    second = make_item(team, requirements=["3.1.9"])
    assert (first.identifier, plan.identifier, second.identifier) == ("POAM-AC-001", "OPA-AC-001", "POAM-AC-002")
    services.update_item(team.coordinator, second, kind="operational_plan")
    second.refresh_from_db()
    assert second.identifier == "POAM-AC-002"  # an identifier is never changed; its kind says what it is now


def test_marking_official_records_who_and_when_and_the_export_holds_the_assessment_poam_only(world):
    team = world.team
    closed = world.plans["3.1.8"]
    services.add_evidence(team.owner, closed, name="gpo.txt", reference="GPO report in SharePoint")
    services.request_closure(team.owner, closed)
    services.approve_closure(team.approver, closed, record_met=True)
    assert build_export(team.viewer, team.org).context.marking == MARKING_INTERNAL  # not marked yet
    services.mark_official_poam(team.coordinator, world.assessment)
    world.assessment.refresh_from_db()
    assert world.assessment.official_marked_by == team.coordinator
    assert world.assessment.official_marked_at is not None
    official = build_export(team.viewer, team.org)
    assert official.context.marking == MARKING_ASSESSMENT
    assert [i.id for i in official.poam.items] == [world.plans["3.3.3"].identifier, world.plans["3.4.9"].identifier]
    with_closed = build_export(team.viewer, team.org, include_closed=True)
    assert closed.identifier in [i.id for i in with_closed.poam.items]
    plans = build_export(team.viewer, team.org, kind="operational_plan")
    assert plans.context.marking == MARKING_INTERNAL
    assert sorted(i.id for i in plans.poam.items) == sorted(world.plans[r].identifier for r in INELIGIBLE)
    both = build_export(team.viewer, team.org, kind="both")
    assert len(both.poam.items) == 5 and both.context.marking == MARKING_INTERNAL


def test_marking_official_is_refused_while_an_older_item_no_poam_may_hold_is_on_it(world):
    legacy = make_legacy_item(world.team, requirements=["3.5.3"], title="From an older register")
    with pytest.raises(WorkflowError, match=f"{legacy.identifier} \\(3.5.3\\).*operational plan"):
        services.mark_official_poam(world.team.coordinator, world.assessment)
    services.update_item(world.team.coordinator, legacy, kind="operational_plan")
    services.mark_official_poam(world.team.coordinator, world.assessment)


# --- closure and the requirement move together ----------------------------------------------------------------

def _ready(team, item, name="report.pdf"):
    services.add_evidence(team.owner, item, name=name, content=b"%PDF-1.7 the report")
    services.request_closure(team.owner, item)


def test_closing_the_last_item_of_a_not_met_requirement_asks_to_record_it_met(world):
    team, item = world.team, world.plans["3.4.9"]
    _ready(team, item)
    with pytest.raises(WorkflowError, match="last open item for 3.4.9.*R-SCORE-4 would make 3.12.2 NOT MET"):
        services.approve_closure(team.approver, item)
    item.refresh_from_db()
    assert item.status == Status.READY_FOR_VERIFICATION
    assert mapping.score_assessment(world.assessment).score == 92
    services.approve_closure(team.approver, item, record_met=True, note="Checked the allowlist export")
    item.refresh_from_db()
    status = RequirementStatus.objects.get(assessment=world.assessment, requirement="3.4.9")
    assert item.status == Status.CLOSED and status.determination == "met" and status.updated_by == team.approver
    assert f"{item.identifier} closed" in status.implementation and "report.pdf" in status.implementation
    assert EvidenceRequirement.objects.filter(evidence__item=item, requirement="3.4.9").exists()
    assert mapping.score_assessment(world.assessment).score == 93  # up, never down
    # In the closure's own step: the approval, then the requirement recorded MET, nothing between.
    actions = list(AuditEvent.objects.filter(organization=team.org).order_by("-seq")
                   .values_list("action", "reason")[:2])
    assert actions == [("set_requirement_status", f"closure of {item.identifier}"),
                       ("approve_closure", "Checked the allowlist export")]
    assert verify_chain(team.org).intact


def test_a_closure_with_another_open_item_for_the_requirement_asks_nothing(world):
    team = world.team
    make_item(team, requirements=["3.4.9"], title="Second step for 3.4.9")
    _ready(team, world.plans["3.4.9"])
    services.approve_closure(team.approver, world.plans["3.4.9"])
    assert RequirementStatus.objects.get(assessment=world.assessment, requirement="3.4.9").determination == "not_met"
    assert mapping.score_assessment(world.assessment).score == 92


def test_open_milestones_hold_up_a_closure_until_done_or_dropped_with_a_reason(team):
    item = make_item(team, milestones=[("Draft the GPO", TODAY), ("Apply the GPO", TODAY + timedelta(days=5)),
                                       ("Review in a year", TODAY + timedelta(days=120))])
    services.add_evidence(team.owner, item, name="gpo.txt", reference="GPO report")
    with pytest.raises(WorkflowError, match="3 open milestone"):
        services.request_closure(team.owner, item)
    first, second, third = item.milestones.order_by("position")
    services.complete_milestone(team.owner, first)
    services.complete_milestone(team.owner, second)
    with pytest.raises(WorkflowError, match="1 open milestone.*Review in a year"):
        services.request_closure(team.owner, item)
    with pytest.raises(WorkflowError, match="needs a reason"):
        services.drop_milestone(team.owner, third, reason=" ")
    services.drop_milestone(team.owner, third, reason="The yearly review is the policy's, not this item's")
    third.refresh_from_db()
    assert third.dropped_on == TODAY and third.done_on is None
    with pytest.raises(WorkflowError, match="dropped"):
        services.complete_milestone(team.owner, third)
    services.request_closure(team.owner, item)
    services.approve_closure(team.approver, item)
    event = AuditEvent.objects.get(action="drop_milestone")
    assert event.reason == "The yearly review is the policy's, not this item's"


# --- objectives --------------------------------------------------------------------------------------------------

def test_the_catalog_ships_the_320_objectives():
    catalog = load_catalog()
    assert sum(len(catalog.objectives(r.id)) for r in catalog) == 320
    assert all(len(catalog.objectives(r.id)) == r.objectives for r in catalog)
    assert catalog.objective("AC.L2-3.1.1 [A]").text == "authorized users are identified."
    assert catalog.objective("3.1.1[z]") is None


def test_a_requirement_is_met_only_when_every_objective_is(world):
    team, assessment = world.team, world.assessment
    for letter in "ab":
        services.set_objective_status(team.coordinator, assessment, f"3.4.9[{letter}]", "met")
    status = RequirementStatus.objects.get(assessment=assessment, requirement="3.4.9")
    assert status.determination == "not_met"  # 3.4.9[c] not determined yet: the requirement stays as it was
    services.set_objective_status(team.coordinator, assessment, "3.4.9[c]", "met")
    status.refresh_from_db()
    assert status.determination == "met"
    services.set_objective_status(team.coordinator, assessment, "3.4.9[b]", "not_met")
    status.refresh_from_db()
    assert status.determination == "not_met"
    assert services.objective_statuses(assessment)["3.4.9"]["3.4.9[b]"] == "not_met"
    with pytest.raises(WorkflowError, match="MET only when every assessment objective is; 3.4.9\\[b\\] is"):
        services.set_requirement_status(team.coordinator, assessment, "3.4.9", "met")
    with pytest.raises(InvalidChange, match="not a NIST SP 800-171A assessment objective"):
        services.set_objective_status(team.coordinator, assessment, "3.4.9[q]", "met")
    with pytest.raises(PermissionDenied):
        services.set_objective_status(team.owner, assessment, "3.4.9[a]", "met")


def test_closing_with_the_requirement_met_meets_its_open_objectives(world):
    team = world.team
    services.set_objective_status(team.coordinator, world.assessment, "3.4.9[b]", "not_met")
    services.update_item(team.coordinator, world.plans["3.4.9"], objectives=["3.4.9[b]"])
    _ready(team, world.plans["3.4.9"])
    services.approve_closure(team.approver, world.plans["3.4.9"], record_met=True)
    assert services.objective_statuses(world.assessment)["3.4.9"] == {"3.4.9[b]": "met"}
    assert RequirementStatus.objects.get(assessment=world.assessment, requirement="3.4.9").determination == "met"


def test_an_item_names_only_objectives_that_exist(team):
    with pytest.raises(InvalidChange, match="'3.1.8\\[z\\]' is not a NIST SP 800-171A assessment objective"):
        make_item(team, objectives=["3.1.8[z]"])
    assert make_item(team, objectives=["3.1.8[B]"]).objectives == ["3.1.8[b]"]


# --- the command line ----------------------------------------------------------------------------------------

def _command(*argv):
    import argparse

    from punchlist.register import assessment_cli, export_cli

    parser = argparse.ArgumentParser(prog="punchlist")
    commands = parser.add_subparsers(dest="command", required=True)
    assessment_cli.add_commands(commands)
    export_cli.add_commands(commands)
    args = parser.parse_args(list(argv))
    return args.run(args)


def test_the_command_line_records_the_outcome_and_the_official_poam(world, capsys, tmp_path):
    common = ["--org", world.team.org.slug, "--user", world.team.coordinator.username]
    assert _command("assessment", "outcome", "--status", "conditional", "--conditional-date",
                    TODAY.isoformat(), *common) == 2
    said = capsys.readouterr().err
    assert "refused: Conditional Level 2 status cannot be recorded" in said
    assert "may not be on a POA&M (3.1.1, 3.5.3, 3.14.1)" in said and "what it would take:" in said
    for requirement in INELIGIBLE:
        services.set_requirement_status(world.team.coordinator, world.assessment, requirement, "met")
    assert _command("assessment", "outcome", "--status", "conditional", "--kind", "c3pao", "--conditional-date",
                    TODAY.isoformat(), *common) == 0
    assert f"score 107, Conditional Level 2 status from {TODAY.isoformat()}" in capsys.readouterr().out
    assert _command("assessment", "official", *common) == 0
    assert _command("export", "--format", "csv", "--out", str(tmp_path / "poam.csv"), *common) == 0
    text = (tmp_path / "poam.csv").read_text("utf-8-sig")
    assert text.startswith(MARKING_ASSESSMENT) and "OPA-" not in text
    assert _command("export", "--format", "csv", "--kind", "operational_plan", "--out",
                    str(tmp_path / "plan.csv"), *common) == 0
    plan = (tmp_path / "plan.csv").read_text("utf-8-sig")
    assert plan.startswith(MARKING_INTERNAL) and "POAM-" not in plan and plan.count("OPA-") == 3

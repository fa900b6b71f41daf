"""The monthly management review: the agenda generated from the data, the score snapshot, and the record."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from punchlist.audit.models import AuditEvent
from punchlist.core.catalog import load_catalog
from punchlist.orgs.permissions import PermissionDenied
from punchlist.register import services as register
from punchlist.register.errors import InvalidChange, WorkflowError
from punchlist.register.models import PoamItem
from punchlist.rhythm import services
from punchlist.rhythm.agenda import build_agenda
from punchlist.rhythm.models import ManagementReview, ScoreSnapshot, WeeklyUpdate
from punchlist.rhythm.periods import month_of, previous_month, week_of
from punchlist.testing import make_item

TODAY = date.today()
SCORE = 110 - load_catalog().find("3.1.8").weight  # every requirement MET but 3.1.8, which has a plan


@pytest.fixture
def assessment(team):
    """A self-assessment with every requirement MET but 3.1.8 (and so 3.12.2 too until an item plans it)."""
    assessment = register.create_assessment(team.coordinator, team.org, assessed_on=TODAY - timedelta(days=40),
                                            is_the_assessment_poam=True)
    for requirement in load_catalog():
        register.set_requirement_status(team.coordinator, assessment, requirement.id,
                                        "not_met" if requirement.id == "3.1.8" else "met")
    return assessment


def identifiers(rows) -> list[str]:
    return [row["identifier"] for row in rows]


def test_the_agenda_is_generated_from_the_register(team, assessment):
    late = make_item(team, title="Late one", scheduled_in_days=None, start_date=TODAY - timedelta(days=60),
                     milestones=[("Draft the GPO", TODAY - timedelta(days=5)),
                                 ("Apply it", TODAY + timedelta(days=20))])
    register.change_due_date(team.coordinator, late, TODAY - timedelta(days=3), reason="first date")
    on_time = make_item(team, requirements=("3.5.4",), title="MFA",
                        milestones=[("Buy licences", TODAY + timedelta(days=5))])
    slipped = on_time.milestones.get()
    register.slip_milestone(team.owner, slipped, TODAY + timedelta(days=25), reason="Vendor delay")
    WeeklyUpdate.objects.create(organization=team.org, item=on_time, week_of=week_of(TODAY), author=team.owner,
                                progress="Quote received", blocker="Budget approval pending")
    done = make_item(team, requirements=("3.3.3",), title="Log review")
    register.add_evidence(team.owner, done, name="siem.txt", content=b"weekly review minutes\n")
    register.request_closure(team.owner, done)
    register.approve_closure(team.approver, done)
    old = make_item(team, requirements=("3.1.3",), title="Old item")
    PoamItem.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=90))

    agenda = build_agenda(team.org, TODAY)
    assert identifiers(agenda["overdue_items"]) == [late.identifier]
    assert agenda["overdue_items"][0]["owner"] == "Marcus Lee"
    assert [m["description"] for m in agenda["overdue_milestones"]] == ["Draft the GPO"]
    assert agenda["slipped_milestones"] == [{"identifier": on_time.identifier, "description": "Buy licences",
                                             "due": (TODAY + timedelta(days=25)).isoformat(),
                                             "original_due": (TODAY + timedelta(days=5)).isoformat()}]
    assert identifiers(agenda["blocked_items"]) == [on_time.identifier]
    assert agenda["blocked_items"][0]["blocker"] == "Budget approval pending"
    assert set(identifiers(agenda["new_items"])) == {late.identifier, on_time.identifier, done.identifier}
    assert identifiers(agenda["closed_items"]) == [done.identifier]
    assert agenda["not_updated_this_week"] == 2  # late and old; on_time has its update, done is closed
    # The only NOT MET requirement (3.1.8) has a plan of action; no earlier month to compare with.
    assert agenda["score"] == {"assessment": str(assessment), "current": SCORE, "verdict": "conditional",
                               "previous": None, "previous_month": None, "change": None, "kept": False}
    assert agenda["closeout"] is None  # no Conditional status yet


def test_score_change_since_last_months_snapshot_and_the_closeout_countdown(team, assessment):
    make_item(team)  # plans 3.1.8
    ScoreSnapshot.objects.create(organization=team.org, month=previous_month(TODAY), assessment=assessment,
                                 score=98, verdict="conditional")
    register.set_conditional_date(team.coordinator, assessment, TODAY - timedelta(days=120))
    agenda = build_agenda(team.org, TODAY)
    assert agenda["score"]["change"] == SCORE - 98 and agenda["score"]["previous_month"] == \
        previous_month(TODAY).isoformat()
    closeout = agenda["closeout"]
    assert (closeout["days_left"], closeout["warning"], closeout["open_items"], closeout["expired"]) == \
        (60, 60, 1, False)
    assert closeout["deadline"] == (TODAY + timedelta(days=60)).isoformat()


def test_a_snapshot_is_taken_once_a_month(team, assessment):
    make_item(team)
    first = services.take_snapshot(team.org)
    assert (first.month, first.score, first.verdict) == (month_of(TODAY), SCORE, "conditional")
    register.set_requirement_status(team.coordinator, assessment, "3.1.1", "not_met")
    again = services.take_snapshot(team.org)
    assert again.pk == first.pk and again.score == SCORE  # the month's figure stands
    assert AuditEvent.objects.for_organization(team.org).filter(action="take_score_snapshot").count() == 1
    with pytest.raises(PermissionDenied):
        services.take_snapshot(team.org, actor=team.owner, month=TODAY + timedelta(days=40))


def test_recording_the_review(team, assessment):
    make_item(team)
    review = services.record_review(team.coordinator, team.org, held_on=TODAY,
                                    attendees=[team.coordinator, team.approver, team.admin],
                                    other_attendees="Dana Ortiz (CEO)",
                                    decisions="Fund the Duo licences; move the pilot OU to next week.")
    assert review.month == month_of(TODAY) and set(review.attendees.all()) == {team.coordinator, team.approver,
                                                                                 team.admin}
    assert review.agenda["score"]["current"] == review.score == SCORE
    assert ScoreSnapshot.objects.for_organization(team.org).get().month == month_of(TODAY)
    event = AuditEvent.objects.for_organization(team.org).get(action="record_management_review")
    assert event.after["attendees"] == ["acme-admin", "acme-approver", "acme-coordinator"]
    assert event.after["decisions"].startswith("Fund the Duo licences")
    with pytest.raises(WorkflowError, match=r"already recorded by acme-coordinator"):
        services.record_review(team.admin, team.org, held_on=TODAY, attendees=[team.admin], decisions="again")


@pytest.mark.parametrize(("changes", "message"), [
    ({"decisions": "  "}, "record what the review decided"),
    ({"attendees": [], "other_attendees": ""}, "record who attended"),
    ({"held_on": TODAY + timedelta(days=1)}, "a date in the future"),
])
def test_a_review_record_is_complete(team, changes, message):
    values = {"held_on": TODAY, "attendees": [team.coordinator], "decisions": "Nothing to change"}
    values.update(changes)
    with pytest.raises(InvalidChange, match=message):
        services.record_review(team.coordinator, team.org, **values)
    assert not ManagementReview.objects.exists()


def test_only_managers_record_and_attendees_are_members(team, rival):
    for someone in (team.owner, team.approver, team.viewer):
        with pytest.raises(PermissionDenied):
            services.record_review(someone, team.org, held_on=TODAY, attendees=[someone], decisions="x")
    with pytest.raises(InvalidChange, match="rival-admin is not a member of Acme Machining"):
        services.record_review(team.coordinator, team.org, held_on=TODAY, attendees=[rival.admin], decisions="x")


def test_new_and_closed_run_from_the_previous_review(team):
    ManagementReview.objects.create(organization=team.org, month=previous_month(TODAY),
                                    held_on=TODAY - timedelta(days=3), decisions="x", recorded_by=team.coordinator)
    before = make_item(team, title="Before the last review")
    PoamItem.objects.filter(pk=before.pk).update(created_at=timezone.now() - timedelta(days=10))
    after = make_item(team, requirements=("3.5.4",), title="Since")
    agenda = build_agenda(team.org, TODAY)
    assert agenda["since"] == (TODAY - timedelta(days=3)).isoformat()
    assert agenda["previous_review"] == (TODAY - timedelta(days=3)).isoformat()
    assert identifiers(agenda["new_items"]) == [after.identifier]

"""The weekly owner update: confirm or update each open item, and which items went un-updated."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from punchlist.audit.models import AuditEvent
from punchlist.orgs.permissions import PermissionDenied
from punchlist.register import services as register
from punchlist.register.errors import InvalidChange, WorkflowError
from punchlist.rhythm import services
from punchlist.rhythm.models import WeeklyUpdate
from punchlist.rhythm.periods import week_of
from punchlist.rhythm.queries import owned_items, unupdated_items
from punchlist.testing import make_item

TODAY = date.today()


def test_an_owner_updates_and_the_trail_keeps_it(team, item):
    update = services.submit_update(team.owner, item, progress="GPO drafted", next_step="Apply to the domain",
                                    blocker="Waiting for the change window")
    assert (update.week_of, update.author, update.confirmed) == (week_of(TODAY), team.owner, False)
    event = AuditEvent.objects.for_item(item).get(action="weekly_update")
    assert event.after["progress"] == "GPO drafted" and event.before is None
    again = services.submit_update(team.owner, item, progress="GPO applied", next_step="Export the report")
    assert again.pk == update.pk and WeeklyUpdate.objects.for_organization(team.org).count() == 1
    second = AuditEvent.objects.for_item(item).filter(action="weekly_update").order_by("seq").last()
    assert second.before == {"progress": "GPO drafted", "next_step": "Apply to the domain",
                             "blocker": "Waiting for the change window"}
    assert second.after == {"progress": "GPO applied", "next_step": "Export the report", "blocker": ""}


def test_confirming_carries_last_weeks_next_step_and_blocker(team, item):
    WeeklyUpdate.objects.create(organization=team.org, item=item, week_of=week_of(TODAY) - timedelta(days=7),
                                author=team.owner, progress="Started", next_step="Test on a pilot OU",
                                blocker="No pilot OU yet")
    update = services.submit_update(team.owner, item, confirmed=True)
    assert (update.confirmed, update.progress, update.next_step, update.blocker) == \
        (True, "", "Test on a pilot OU", "No pilot OU yet")


def test_an_update_says_something(team, item):
    with pytest.raises(InvalidChange, match="say what moved this week or what comes next, or confirm"):
        services.submit_update(team.owner, item, blocker="  ")


def test_who_may_update(team, item):
    for outsider in (team.owner2, team.viewer, team.approver):
        with pytest.raises(PermissionDenied):
            services.submit_update(outsider, item, progress="not mine")
    services.submit_update(team.coordinator, item, progress="Chased the owner")  # a manager may
    assert not AuditEvent.objects.filter(action="weekly_update", actor=team.owner2).exists()


def test_closed_items_get_no_weekly_update(team, item):
    register.add_evidence(team.owner, item, name="gpo.txt", content=b"lockout 5/15")
    register.request_closure(team.owner, item)
    register.approve_closure(team.approver, item)
    with pytest.raises(WorkflowError, match="is closed; weekly updates are for open items"):
        services.submit_update(team.owner, item, progress="done")


def test_unupdated_items_this_week(team, rival, item):
    other = make_item(team, requirements=("3.5.4",), title="MFA", primary_owner=team.owner2)
    draft = make_item(team, requirements=("3.1.3",), title="Draft", status="draft")
    make_item(rival)
    assert set(unupdated_items(team.org, TODAY)) == {item, other}  # drafts are not yet being worked
    services.submit_update(team.owner, item, progress="Moving")
    assert list(unupdated_items(team.org, TODAY)) == [other]
    # Any day of the week names the week; the next week starts afresh.
    assert list(unupdated_items(team.org, week_of(TODAY) + timedelta(days=6))) == [other]
    assert set(unupdated_items(team.org, TODAY + timedelta(days=7))) == {item, other}
    assert draft not in owned_items(team.owner, team.org)


def test_confirm_all_is_all_or_none(team, item):
    other = make_item(team, requirements=("3.5.4",), title="MFA")
    foreign = make_item(team, requirements=("3.1.3",), title="Not mine", primary_owner=team.owner2,
                        evidence_custodian=team.owner2)
    with pytest.raises(PermissionDenied):
        services.confirm_items(team.owner, team.org, [item, other, foreign])
    assert not WeeklyUpdate.objects.exists()
    services.confirm_items(team.owner, team.org, [item, other])
    assert list(unupdated_items(team.org, TODAY)) == [foreign]

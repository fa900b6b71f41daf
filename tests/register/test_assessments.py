"""Scopes and assessments."""

from datetime import date

import pytest

from punchlist.audit.models import AuditEvent
from punchlist.register import services
from punchlist.register.models import Assessment
from punchlist.register.services import InvalidChange, PermissionDenied, WorkflowError


def test_scope_and_assessment_are_recorded_by_managers_only(team):
    with pytest.raises(PermissionDenied):
        services.create_scope(team.owner, team.org, name="Enclave")
    scope = services.create_scope(team.coordinator, team.org, name="CUI enclave",
                                  description="Engineering VLAN and the GCC High tenant",
                                  cui_locations="SharePoint GCC High; CAD workstations in building 2")
    first = services.create_assessment(team.coordinator, team.org, assessed_on=date(2026, 3, 2), scope=scope,
                                       kind="c3pao", is_the_assessment_poam=True)
    second = services.create_assessment(team.coordinator, team.org, assessed_on=date(2026, 9, 1))
    services.update_assessment(team.coordinator, second, is_the_assessment_poam=True, title="Re-assessment")
    assert list(Assessment.objects.for_organization(team.org).filter(is_the_assessment_poam=True)) == [second]
    first.refresh_from_db()
    assert not first.is_the_assessment_poam
    event = AuditEvent.objects.filter(action="update_assessment").get()
    assert event.after == {"title": "Re-assessment", "is_the_assessment_poam": True, "version": 2}
    with pytest.raises(InvalidChange, match="Level 1 or Level 2"):
        services.update_assessment(team.coordinator, second, level=3)
    with pytest.raises(InvalidChange, match="conditional_status_date"):
        services.update_assessment(team.coordinator, second, conditional_status_date=date.today())


def test_level1_has_no_conditional_status(team):
    # R-POAM-1: a POA&M is never permitted for Level 1, so there is no Conditional date to run a closeout from.
    with pytest.raises(InvalidChange, match="R-POAM-1"):
        services.create_assessment(team.coordinator, team.org, assessed_on=date.today(), level=1,
                                   conditional_status_date=date.today())
    level1 = services.create_assessment(team.coordinator, team.org, assessed_on=date.today(), level=1)
    with pytest.raises(InvalidChange, match="R-POAM-1"):
        services.set_conditional_date(team.coordinator, level1, date.today())


def test_changing_the_conditional_date_needs_a_reason(team):
    assessment = services.create_assessment(team.coordinator, team.org, assessed_on=date(2026, 5, 1),
                                            conditional_status_date=date(2026, 5, 4))
    with pytest.raises(WorkflowError, match="needs a reason"):
        services.set_conditional_date(team.coordinator, assessment, date(2026, 5, 6))
    services.set_conditional_date(team.coordinator, assessment, date(2026, 5, 6),
                                  reason="SPRS entry was posted on the 6th, not the 4th")
    assert assessment.conditional_status_date == date(2026, 5, 6)

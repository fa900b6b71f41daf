"""A milestone ticked by mistake is unticked through the service, with its audit event; an item put forward
for closure (or closed) keeps its milestones as they were."""

from __future__ import annotations

import pytest

from punchlist.audit.models import AuditEvent
from punchlist.register import services
from punchlist.register.errors import WorkflowError
from punchlist.register.models import Milestone


def test_untick_records_who_and_when_it_was_ticked(team, item):
    milestone = services.add_milestone(team.owner, item, "Draft the GPO")
    services.complete_milestone(team.owner, milestone)
    services.reopen_milestone(team.owner, milestone)
    assert Milestone.objects.get(pk=milestone.pk).done_on is None
    event = AuditEvent.objects.filter(action="reopen_milestone").get()
    assert event.actor == team.owner and event.before["done_on"] and event.after == {"done_on": None, "version": 3}
    with pytest.raises(WorkflowError, match="not marked done"):
        services.reopen_milestone(team.owner, milestone)


def test_a_viewer_may_not_and_a_closure_keeps_its_milestones(team, item):
    from punchlist.orgs.permissions import PermissionDenied
    from punchlist.register.services import evidence

    milestone = services.add_milestone(team.owner, item, "Draft the GPO")
    services.complete_milestone(team.owner, milestone)
    with pytest.raises(PermissionDenied):
        services.reopen_milestone(team.viewer, milestone)
    evidence.add_evidence(team.owner, item, name="gpo.pdf", content=b"%PDF-1.7 report")
    services.request_closure(team.owner, item)
    with pytest.raises(WorkflowError, match="reopen the item first"):
        services.reopen_milestone(team.owner, milestone)
    assert not AuditEvent.objects.filter(action="reopen_milestone").exists()

"""The organization's remediation policy: how many days a finding of each severity has before its item is due,
counted from the day the finding was first seen. The coordinator changes it; the change is audited."""

from __future__ import annotations

from django.utils import timezone

from punchlist.audit import chain
from punchlist.core.records import Severity
from punchlist.interchange.scanners import DEFAULT_POLICY
from punchlist.orgs.permissions import require
from punchlist.register.errors import InvalidChange
from punchlist.register.services._common import writing

from .models import RemediationPolicy

FIELDS = {Severity.CRITICAL: "critical_days", Severity.HIGH: "high_days", Severity.MODERATE: "moderate_days",
          Severity.LOW: "low_days"}
MOST_DAYS = 3650


def policy_of(organization) -> dict[Severity, int]:
    """Days per severity: the organization's policy, else the default (critical and high 30, moderate 90, low
    180)."""
    stored = RemediationPolicy.objects.filter(organization=organization).first()
    if stored is None:
        return dict(DEFAULT_POLICY)
    return {severity: getattr(stored, name) for severity, name in FIELDS.items()}


def set_policy(actor, organization, days: dict[Severity, int]) -> RemediationPolicy:
    """Change the policy (days per severity, each 1 to 3650). Items already made keep their due dates; the
    next scan's new findings are due by the new policy."""
    require(actor, "scans.change_policy", organization)
    for severity, value in days.items():
        if not isinstance(value, int) or not 1 <= value <= MOST_DAYS:
            raise InvalidChange(f"{severity.value} findings: {value!r} days; give a whole number of days from 1 "
                                f"to {MOST_DAYS}")
    with writing(organization) as head:
        policy, _ = RemediationPolicy.objects.select_for_update().get_or_create(organization=organization)
        before = {name: getattr(policy, name) for name in FIELDS.values()}
        for severity, value in days.items():
            setattr(policy, FIELDS[severity], value)
        after = {name: getattr(policy, name) for name in FIELDS.values()}
        if after == before:
            return policy
        policy.updated_at, policy.updated_by = timezone.now(), actor
        policy.save()
        chain.record(organization=organization, actor=actor, action="change_remediation_policy", obj=policy,
                     subject="remediation policy", head=head, before=before, after=after)
    return policy

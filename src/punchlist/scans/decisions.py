"""A person's decision on an item's scan findings: a false positive (the scanner is wrong about the host), or an
operational requirement (the finding is real and is kept on purpose, for the business's operation), with who
decided, when and why. A finding so decided is no longer counted open: it neither keeps its item from being put
forward for closure nor reopens it when the next scan reports it again. The decision can be taken back (the
finding is open again), also with a reason; each decision is in the audit trail."""

from __future__ import annotations

from django.utils import timezone

from punchlist.audit import chain
from punchlist.orgs.permissions import require
from punchlist.register.errors import InvalidChange
from punchlist.register.services._common import writing

from .models import FindingState, ScanFinding

DECISIONS = (FindingState.FALSE_POSITIVE, FindingState.OPERATIONAL, FindingState.OPEN)


def decide_findings(actor, item, *, decision: str, reason: str, hosts=None) -> list[ScanFinding]:
    """Record ``decision`` (false positive, operational requirement, or open again) on the item's findings on
    ``hosts`` (all its hosts when None). A reason is required; a finding a later scan fixed is left as it is."""
    decision = FindingState(decision)
    if decision not in DECISIONS:
        raise InvalidChange("a finding is decided a false positive or an operational requirement, or open again")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidChange(f"deciding that {item.identifier}'s findings are "
                            f"{decision.label.lower()} needs a reason")
    require(actor, "scans.decide_finding", item)
    with writing(item.organization) as head:
        findings = ScanFinding.objects.for_organization(item.organization).filter(item=item).select_for_update()
        if hosts is not None:
            wanted = {host.strip() for host in hosts if host.strip()}
            findings = findings.filter(host__in=wanted)
            missing = wanted - set(findings.values_list("host", flat=True))
            if missing:
                raise InvalidChange(f"{item.identifier} has no finding on {', '.join(sorted(missing))}")
        changed = [f for f in findings.order_by("host") if f.state != FindingState.FIXED and f.state != decision]
        if not changed:
            return []
        before = {f"{f.key} on {f.host}": f.state for f in changed}
        now = timezone.now()
        for finding in changed:
            finding.state, finding.decided_by, finding.decided_at, finding.reason = decision, actor, now, reason
        ScanFinding.objects.bulk_update(changed, ["state", "decided_by", "decided_at", "reason"])
        chain.record(organization=item.organization, actor=actor, action="decide_finding", obj=item,
                     subject=item.identifier, head=head, before=before,
                     after={name: decision.value for name in before}, reason=reason)
    return changed

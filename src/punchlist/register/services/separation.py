"""Separation of duties on closure (800-171 3.1.4): the one rule every path to a closed item goes through.

Whoever approves a closure did none of the work it approves: they own the item neither as primary nor as
supporting owner, they did not request the closure, and they added none of the evidence it rests on. So an
administrator who makes himself approval authority of another's item, adds the evidence and requests closure
cannot then approve it; nor can a supporting owner who is also an approver.

``closure_conflicts`` states the rule over plain primary keys (an import checks rows that are not items yet);
``approval_conflicts`` gathers those keys for a stored item; ``check_approver`` refuses with every reason.
"""

from __future__ import annotations

from django.db.models import Q

from punchlist.audit.models import AuditEvent
from punchlist.orgs.permissions import PermissionDenied

from ..models import Evidence, PoamItem, Status

SEPARATION = ("a closure is approved by someone who did none of its work: not an owner of the item, not the "
              "person who requested the closure, nor anyone who added the evidence it rests on (separation of "
              "duties, 3.1.4)")
# The events that put an item in front of its approver: a request in the app, or an import of the item as
# ready for verification (whose importer then stands as the requester).
_PUT_FORWARD = ("request_closure", "import_item")


def closure_conflicts(approver, *, primary_owner=None, supporting_owner=None, requested_by=None,
                      evidence_by: dict | None = None, identifier: str = "") -> list[str]:
    """Why ``approver`` (a primary key, or the short name of a person an import creates) may not approve the
    closure, as phrases: empty when they may. ``evidence_by`` maps who added evidence to its names."""
    if approver is None:
        return []
    found = []
    if approver == primary_owner:
        found.append("is the primary owner")
    if approver == supporting_owner:
        found.append("is the supporting owner")
    if approver == requested_by:
        found.append("requested the closure")
    names = (evidence_by or {}).get(approver)
    if names:
        shown = ", ".join(repr(name) for name in sorted(names)[:3]) + (", ..." if len(names) > 3 else "")
        found.append(f"added evidence the closure rests on ({shown})")
    if found and identifier:
        found[0] += f" of {identifier}"
    return found


def requester_of(item: PoamItem):
    """Who put the item forward for verification: the actor of the latest event that moved it there."""
    events = (AuditEvent.objects.filter(organization_id=item.organization_id, object_type=PoamItem._meta.label_lower,
                                        object_id=str(item.pk), action__in=_PUT_FORWARD)
              .order_by("-seq").values_list("actor_id", "after"))
    for actor_id, after in events:
        if (after or {}).get("status") == Status.READY_FOR_VERIFICATION:
            return actor_id
    return None


def evidence_adders(item: PoamItem) -> dict:
    """Who added the item's evidence (its own and the evidence linked to it), with the names they added."""
    found: dict = {}
    rows = (Evidence.objects.filter(Q(item_id=item.pk) | Q(linked_items=item.pk))
            .values_list("added_by_id", "name").distinct())
    for added_by, name in rows:
        found.setdefault(added_by, set()).add(name)
    return found


def approval_conflicts(item: PoamItem, user) -> list[str]:
    """Why ``user`` may not approve the closure of the stored ``item`` (empty when they may)."""
    if getattr(user, "pk", None) is None:
        return []
    return closure_conflicts(user.pk, primary_owner=item.primary_owner_id,
                             supporting_owner=item.supporting_owner_id, requested_by=requester_of(item),
                             evidence_by=evidence_adders(item), identifier=item.identifier)


def refusal(who: str, conflicts: list[str]) -> str:
    facts = conflicts[0] if len(conflicts) == 1 else ", ".join(conflicts[:-1]) + " and " + conflicts[-1]
    return f"{who} {facts} and may not approve its closure: {SEPARATION}"


def check_approver(item: PoamItem, user) -> None:
    """Refuse ``user`` as the approver of the item's closure: for the work they did, and for not being its
    approval authority."""
    conflicts = approval_conflicts(item, user)
    authority = user.pk is not None and user.pk == item.approval_authority_id
    if conflicts:
        also = "" if authority else f" (and {user.username} is not the approval authority)"
        raise PermissionDenied(refusal(user.username, conflicts) + also)
    if not authority:
        raise PermissionDenied(f"{user.username} is not the approval authority of {item.identifier}")

"""Who may do what to the register, per role (punchlist.orgs.models.Role) and per item.

Least privilege: a viewer reads; an owner works the items they own; an approver approves the
closures they are the approval authority for; coordinators and admins manage everything. Nobody approves
their own item, nor work they did (separation of duties), whatever their role.
"""

from __future__ import annotations

import rules

from punchlist.orgs.permissions import is_approver_role, is_manager, is_member, is_worker


def _item(obj):
    """The item an object belongs to: the item itself, or a milestone's / evidence's item."""
    return getattr(obj, "item", obj)


@rules.predicate
def owns_item(user, obj):
    item = _item(obj)
    return user.pk is not None and user.pk in (item.primary_owner_id, item.supporting_owner_id)


@rules.predicate
def is_approval_authority(user, obj):
    return user.pk is not None and _item(obj).approval_authority_id == user.pk


@rules.predicate
def is_primary_owner(user, obj):
    return user.pk is not None and _item(obj).primary_owner_id == user.pk


@rules.predicate
def did_the_work(user, obj):
    """Owns the item, requested its closure or added its evidence (``services.separation``)."""
    from .services.separation import approval_conflicts

    return bool(approval_conflicts(_item(obj), user))


@rules.predicate
def is_evidence_custodian(user, obj):
    return user.pk is not None and _item(obj).evidence_custodian_id == user.pk


rules.add_perm("register.view_item", is_member)
rules.add_perm("register.add_item", is_manager)
# Reassigning people, kind, requirements or assessment: the coordinator's job.
rules.add_perm("register.manage_item", is_manager)
# Text, dates, status moves forward, milestones: the owners of the item, or a manager.
rules.add_perm("register.change_item", is_manager | (is_worker & owns_item))
rules.add_perm("register.add_evidence", is_manager | (is_worker & (owns_item | is_evidence_custodian)))
rules.add_perm("register.approve_closure", is_approver_role & is_approval_authority & ~did_the_work)
rules.add_perm("register.accept_risk", is_approver_role & is_approval_authority & ~is_primary_owner)
rules.add_perm("register.reject_closure", is_manager | (is_approver_role & is_approval_authority))
rules.add_perm("register.reopen_item", is_manager | (is_approver_role & is_approval_authority))

rules.add_perm("register.view_assessment", is_member)
rules.add_perm("register.manage_assessment", is_manager)

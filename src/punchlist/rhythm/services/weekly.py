"""The weekly owner update: each owner confirms or updates each open item they own (progress, next step,
blocker), and the register can show which items went un-updated this week."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from punchlist.audit import chain
from punchlist.orgs.permissions import require
from punchlist.register.errors import InvalidChange, WorkflowError
from punchlist.register.models import PoamItem
from punchlist.register.services._common import today, writing

from ..models import WeeklyUpdate
from ..periods import week_of
from ..queries import WEEKLY_STATUSES

FIELDS = ("confirmed", "progress", "next_step", "blocker")


def _snapshot(update: WeeklyUpdate) -> dict:
    return chain.jsonable({"week_of": update.week_of, **{name: getattr(update, name) for name in FIELDS}})


def _write(actor, organization, item: PoamItem, week: date, head, *, confirmed: bool, progress: str,
           next_step: str, blocker: str) -> WeeklyUpdate:
    fresh = PoamItem.objects.select_for_update().select_related("organization").get(pk=item.pk)
    if fresh.organization_id != organization.pk:
        raise InvalidChange(f"{fresh.identifier} is not an item of this organization")
    require(actor, "rhythm.update_item", fresh)
    if fresh.status not in WEEKLY_STATUSES:
        raise WorkflowError(f"{fresh.identifier} is {fresh.get_status_display().lower()}; weekly updates are "
                            "for open items")
    progress, next_step, blocker = (progress or "").strip(), (next_step or "").strip(), (blocker or "").strip()
    if confirmed:
        # Confirming says last week's word still holds: its next step and blocker carry over unless retold.
        previous = (WeeklyUpdate.objects.filter(item=fresh, week_of__lt=week).order_by("-week_of").first())
        if previous is not None:
            next_step = next_step or previous.next_step
            blocker = blocker or previous.blocker
    elif not (progress or next_step):
        raise InvalidChange(f"{fresh.identifier}: say what moved this week or what comes next, or confirm the "
                            "item as it stands")
    update = WeeklyUpdate.objects.select_for_update().filter(item=fresh, week_of=week).first()
    before = _snapshot(update) if update is not None else None
    if update is None:
        update = WeeklyUpdate(organization_id=fresh.organization_id, item=fresh, week_of=week)
    update.author = actor
    update.confirmed, update.progress, update.next_step, update.blocker = confirmed, progress, next_step, blocker
    update.updated_at = timezone.now()
    update.save()
    after = _snapshot(update)
    if before is not None:
        changed = [k for k in after if after[k] != before[k]]
        before, after = {k: before[k] for k in changed}, {k: after[k] for k in changed}
    chain.record(organization=organization, actor=actor, action="weekly_update", obj=update,
                 subject=fresh.identifier, before=before, after=after, head=head)
    return update


def submit_update(actor, item: PoamItem, *, confirmed: bool = False, progress: str = "", next_step: str = "",
                  blocker: str = "") -> WeeklyUpdate:
    """This week's word on one item: confirmed as it stands, or what moved, what comes next and what blocks
    it. A second update in the same week replaces the first (the trail keeps both)."""
    with writing(item.organization) as head:
        return _write(actor, item.organization, item, week_of(today()), head, confirmed=confirmed,
                      progress=progress, next_step=next_step, blocker=blocker)


def confirm_items(actor, organization, items) -> list[WeeklyUpdate]:
    """Confirm several items as they stand, in one transaction: all or none."""
    week = week_of(today())
    with writing(organization) as head:
        return [_write(actor, organization, item, week, head, confirmed=True, progress="", next_step="",
                       blocker="") for item in items]

"""Which items an item waits on ("blocked by"): links within one organization, never in a cycle, each change
under the item's optimistic lock and in the audit trail. A closed or risk-accepted blocker blocks nothing
(``punchlist.core.priority`` ranks each open blocker with the highest-ranked open item it blocks)."""

from __future__ import annotations

from collections.abc import Iterable

from punchlist.audit import chain, locking
from punchlist.orgs.permissions import require

from ..errors import InvalidChange
from ..models import ItemBlocker, PoamItem
from ._common import writing
from .items import _locked


def blocker_names(value) -> list[str]:
    """Identifiers as a person writes them: "POAM-AC-001, OPA-SI-002" or one per line; upper-cased, once each."""
    if isinstance(value, str):
        value = value.replace(";", ",").replace("\n", ",").split(",")
    names: list[str] = []
    for name in value or ():
        name = (name.identifier if isinstance(name, PoamItem) else str(name)).strip().upper()
        if name and name not in names:
            names.append(name)
    return names


def waits_on(organization, links: dict[int, set[int]] | None = None) -> dict[int, set[int]]:
    """The organization's links, item pk -> the pks of the items it is blocked by (one query)."""
    if links is not None:
        return links
    graph: dict[int, set[int]] = {}
    for item_id, blocker_id in (ItemBlocker.objects.filter(item__organization=organization)
                                .values_list("item_id", "blocker_id")):
        graph.setdefault(item_id, set()).add(blocker_id)
    return graph


def cycle_through(graph: dict[int, set[int]], item: int, blocker: int) -> list[int] | None:
    """The chain of pks by which ``blocker`` already waits on ``item`` (so that ``item`` waiting on ``blocker``
    would close a cycle), or None."""
    path: dict[int, int | None] = {blocker: None}
    todo = [blocker]
    while todo:
        current = todo.pop()
        if current == item:
            chain_, step = [], current
            while step is not None:
                chain_.append(step)
                step = path[step]
            return list(reversed(chain_))
        for nxt in graph.get(current, ()):
            if nxt not in path:
                path[nxt] = current
                todo.append(nxt)
    return None


def set_blockers(actor, item: PoamItem, blockers: Iterable | str, *, version: int | None = None,
                 reason: str = "") -> PoamItem:
    """Make ``item`` blocked by exactly ``blockers`` (identifiers or items of its organization). Refused, with
    what to change, for an unknown identifier, the item itself, another organization's item, or a link that
    would close a cycle; refused with ConflictError if someone saved the item since ``version``."""
    names = blocker_names(blockers)
    with writing(item.organization) as head:
        fresh = _locked(actor, item, version)
        require(actor, "register.change_item", fresh)
        if fresh.identifier in names:
            raise InvalidChange(f"{fresh.identifier} cannot be blocked by itself")
        found = dict(PoamItem.objects.for_organization(fresh.organization).filter(identifier__in=names)
                     .values_list("identifier", "pk"))
        unknown = [name for name in names if name not in found]
        if unknown:
            raise InvalidChange(f"blocked by: {', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not an "
                                "item of this organization; give identifiers such as POAM-AC-001 or OPA-SI-002")
        current = list(fresh.blocker_links.order_by("blocker__identifier")
                       .values_list("blocker__identifier", flat=True))
        wanted = sorted(names)
        if wanted == current:
            return item
        graph = waits_on(fresh.organization)
        graph.pop(fresh.pk, None)  # the item's own links are the ones being replaced
        identifiers = {pk: identifier for identifier, pk in found.items()}
        for name in wanted:
            loop = cycle_through(graph, fresh.pk, found[name])
            if loop is not None:
                if len(loop) > 2:  # name the items between, by identifier
                    identifiers.update(PoamItem.objects.filter(pk__in=loop).values_list("pk", "identifier"))
                steps = " waits on ".join(identifiers.get(pk, fresh.identifier if pk == fresh.pk else "?")
                                          for pk in loop)
                raise InvalidChange(f"{fresh.identifier} cannot be blocked by {name}: {steps} already, and an "
                                    "item cannot wait on work that waits on it")
        ItemBlocker.objects.filter(item=fresh).delete()
        ItemBlocker.objects.bulk_create(ItemBlocker(item=fresh, blocker_id=found[name]) for name in wanted)
        write_blockers_event(actor, fresh, current, wanted, head=head, reason=reason)
        for field in ("version", "updated_at"):
            setattr(item, field, getattr(fresh, field))
    return item


def write_blockers_event(actor, fresh: PoamItem, before: list[str], after: list[str], *, head,
                         reason: str = "") -> None:
    """Bump the item's version and record the change of its links, inside the caller's transaction."""
    from django.utils import timezone

    locking.bump(fresh)
    fresh.updated_at = timezone.now()
    fresh.save(update_fields=["version", "updated_at"])
    chain.record(organization=fresh.organization, actor=actor, action="set_blockers", obj=fresh,
                 subject=fresh.identifier, before={"blocked_by": before, "version": fresh.version - 1},
                 after={"blocked_by": after, "version": fresh.version}, reason=reason, head=head)

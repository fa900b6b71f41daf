"""The "blocked by" links an imported file gives, set once every row is written: a link may name a row of the
same file (by its id) or an item the register holds (by its identifier or the id it was imported with).

A name that is no item, an item waiting on itself, or links that close a cycle are problems of the row and its
"blocked_by" column, like any other; nothing of them is written. An item the file does not give links for keeps
its own."""

from __future__ import annotations

from dataclasses import dataclass

from punchlist.audit import chain
from punchlist.errors import InputError

from ..models import ItemBlocker, PoamItem
from ..services.blockers import cycle_through, waits_on, write_blockers_event


@dataclass(slots=True)
class WantedLinks:
    """One row's links: the item it is (by primary key, or by identifier for a new one) and the names given."""

    row: int
    names: list[str]
    pk: int | None = None
    identifier: str | None = None
    created: bool = False


def set_links(actor, organization, wanted: list[WantedLinks], *, file: str, reason: str, errors: list
              ) -> list[str]:
    """Resolve and write the rows' links (four queries and the writes); problems go to ``errors``. The
    identifiers of the items already in the register whose links changed."""
    changed: list[str] = []
    if not wanted:
        return changed
    by_identifier, by_external, identifiers = {}, {}, {}
    for pk, identifier, external in PoamItem.objects.for_organization(organization).values_list(
            "pk", "identifier", "external_id"):
        by_identifier[identifier.upper()] = pk
        identifiers[pk] = identifier
        if external:
            by_external.setdefault(external.strip().upper(), pk)
    graph = waits_on(organization)
    resolved: list[tuple[WantedLinks, list[int]]] = []
    for entry in wanted:
        if entry.pk is None:
            entry.pk = by_identifier[entry.identifier.upper()]
        pks, unknown = [], []
        for name in entry.names:
            key = name.strip().upper()
            pk = by_external.get(key) or by_identifier.get(key)
            if pk is None:
                unknown.append(name)
            elif pk == entry.pk:
                errors.append(InputError(f"{name!r} is this row's own item: an item cannot wait on itself",
                                         file=file, row=entry.row, column="blocked_by"))
            elif pk not in pks:
                pks.append(pk)
        if unknown:
            errors.append(InputError(f"{', '.join(map(repr, unknown))} names no item of this file or of the register",
                                     file=file, row=entry.row, column="blocked_by"))
        graph[entry.pk] = set(pks)
        resolved.append((entry, pks))
    for entry, pks in resolved:
        for blocker in pks:
            graph[entry.pk].discard(blocker)
            loop = cycle_through(graph, entry.pk, blocker)
            graph[entry.pk].add(blocker)
            if loop is not None:
                steps = " waits on ".join(identifiers.get(pk, "?") for pk in loop)
                errors.append(InputError(f"{identifiers[entry.pk]} cannot be blocked by {identifiers[blocker]}: "
                                         f"{steps} already, and an item cannot wait on work that waits on it",
                                         file=file, row=entry.row, column="blocked_by"))
                break
    if errors:
        return changed
    current: dict[int, list[str]] = {}
    for item_id, blocker in (ItemBlocker.objects.filter(item_id__in=[e.pk for e, _ in resolved])
                             .values_list("item_id", "blocker__identifier")):
        current.setdefault(item_id, []).append(blocker)
    head = chain.lock(organization)
    items = PoamItem.objects.select_related("organization").in_bulk([e.pk for e, _ in resolved])
    for entry, pks in resolved:
        before = sorted(current.get(entry.pk, []))
        after = sorted(identifiers[pk] for pk in pks)
        if before == after:
            continue
        ItemBlocker.objects.filter(item_id=entry.pk).delete()
        ItemBlocker.objects.bulk_create(ItemBlocker(item_id=entry.pk, blocker_id=pk) for pk in pks)
        item = items[entry.pk]
        if entry.created:
            # Part of the item as imported (it stays at version 1, as its other imported fields do).
            chain.record(organization=organization, actor=actor, action="set_blockers", obj=item,
                         subject=item.identifier, before={"blocked_by": before}, after={"blocked_by": after},
                         reason=reason, head=head)
        else:
            write_blockers_event(actor, item, before, after, head=head, reason=reason)
            changed.append(item.identifier)
    return changed

"""An item's tier in the risk order on its page, why it sits there (``core.priority``, as the register says it),
the items it waits on and those waiting on it, and the form that changes what it waits on."""

from __future__ import annotations

from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from punchlist.orgs.permissions import require
from punchlist.register import services
from punchlist.register.errors import ConflictError, RegisterError
from punchlist.core.priority import risk_order
from punchlist.register.mapping import to_poam, to_record
from punchlist.register.models import ItemBlocker, PoamItem, Status
from punchlist.register.services.blockers import waits_on
from punchlist.web.forms import BlockersForm
from punchlist.web.tenancy import member_view

from .item_parts import conflict_message

CLOSED = frozenset({Status.CLOSED, Status.RISK_ACCEPTED})


def ranking_context(request, item, bound: dict) -> dict:
    """What the item page shows of the risk order: the tier and why (``core.priority``, as the register says
    them), the links both ways, and the form. Read without the register's whole index: the item's own record
    (read for its lint), and only where it blocks open items, the records of the items waiting on it."""
    slug = request.organization.slug
    waits_on = [_link(slug, link.blocker) for link in item.blocker_links.all()]
    blocked = list(ItemBlocker.objects.filter(blocker=item).select_related("item").order_by("item__identifier"))
    blocks = [_link(slug, link.item) for link in blocked]
    records = [to_record(item)]
    if any(not link["done"] for link in blocks) and item.status not in CLOSED:
        records = _downstream(item)
    priority = next(p for record, p in risk_order(records, as_of=timezone.localdate()) if record.id == item.identifier)
    form = bound.get("blockers") or BlockersForm(prefix="blockers", initial={
        "version": item.version, "blocked_by": ", ".join(link["identifier"] for link in waits_on)})
    return {"ranking": {"priority": priority, "is_open": item.status not in CLOSED, "waits_on": waits_on,
                        "blocks": blocks, "form": form,
                        "url": reverse("web:item_blockers", args=[slug, item.identifier])}}


def _downstream(item) -> list:
    """The records of the item and of every item waiting on it, directly or through others: all its place in
    the risk order depends on (seven queries)."""
    graph = waits_on(item.organization)
    waiting: dict[int, set[int]] = {}
    for blocked, blockers in graph.items():
        for blocker in blockers:
            waiting.setdefault(blocker, set()).add(blocked)
    seen, todo = {item.pk}, [item.pk]
    while todo:
        for nxt in waiting.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return to_poam(PoamItem.objects.for_organization(item.organization).filter(pk__in=seen)).items


def _link(slug: str, other) -> dict:
    return {"identifier": other.identifier, "title": other.title, "status": other.get_status_display(),
            "done": other.status in CLOSED, "url": reverse("web:item", args=[slug, other.identifier])}


@member_view
@require_POST
def item_blockers(request, identifier):
    from .items import _done, _get_item, _page, _rebound, refused

    @refused
    def change(request, identifier):
        item = _get_item(request, identifier)
        require(request.user, "register.change_item", item)
        form = BlockersForm(request.POST, prefix="blockers")
        if not form.is_valid():
            return _page(request, identifier, bound={"blockers": form}, status=400)
        try:
            services.set_blockers(request.user, item, form.cleaned_data["blocked_by"],
                                  version=form.cleaned_data["version"])
        except ConflictError as exc:
            form = _rebound(BlockersForm, form, exc.current_version)
            form.add_error(None, conflict_message(exc))
            return _page(request, identifier, bound={"blockers": form}, status=409)
        except RegisterError as exc:
            form.add_error(None, f"Not saved: {exc}")
            return _page(request, identifier, bound={"blockers": form}, status=400)
        waits = ", ".join(item.blocker_links.order_by("blocker__identifier")
                          .values_list("blocker__identifier", flat=True)) or "nothing"
        return _done(request, item, f"{item.identifier} now waits on {waits}.", "#ranking")

    return change(request, identifier)


organization_patterns = [
    path("items/<str:identifier>/blockers/", item_blockers, name="item_blockers"),
]

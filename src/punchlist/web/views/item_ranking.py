"""An item's place in the risk order on its page, why it sits there (the register's own reading,
``core.priority``), the items it waits on and those waiting on it, and the form that changes what it waits on."""

from __future__ import annotations

from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from punchlist.orgs.permissions import require
from punchlist.register import services
from punchlist.register.errors import ConflictError, RegisterError
from punchlist.register.models import ItemBlocker, Status
from punchlist.web import queries
from punchlist.web.forms import BlockersForm
from punchlist.web.tenancy import member_view

from .item_parts import conflict_message

CLOSED = frozenset({Status.CLOSED, Status.RISK_ACCEPTED})


def ranking_context(request, item, bound: dict) -> dict:
    """What the item page shows of the risk order: the tier, the why and the place among the open items (from
    the register's kept index, so the page and the register say the same), the links both ways, and the form."""
    slug = request.organization.slug
    index = queries.register_index(request.organization, as_of=timezone.localdate())
    row = next((r for r in index.rows if r.pk == item.pk), None)
    open_rows = sum(1 for r in index.rows if r.is_open)
    waits_on = [_link(slug, link.blocker) for link in item.blocker_links.all()]
    blocks = [_link(slug, link.item) for link in
              ItemBlocker.objects.filter(blocker=item).select_related("item").order_by("item__identifier")]
    form = bound.get("blockers") or BlockersForm(prefix="blockers", initial={
        "version": item.version, "blocked_by": ", ".join(link["identifier"] for link in waits_on)})
    return {"ranking": {"row": row, "place": row.rank + 1 if row and row.is_open else None, "open": open_rows,
                        "waits_on": waits_on, "blocks": blocks, "form": form,
                        "url": reverse("web:item_blockers", args=[slug, item.identifier])}}


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

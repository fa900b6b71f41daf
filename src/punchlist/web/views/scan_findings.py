"""An item's scan findings on its page: each host, when first and last seen, by which scan, and the decisions
on them (false positive, operational requirement) with who and why; a coordinator records a decision here."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from punchlist.orgs.permissions import PermissionDenied, require
from punchlist.register.errors import RegisterError
from punchlist.register.models import PoamItem
from punchlist.scans.decisions import decide_findings
from punchlist.scans.models import FindingState, ScanFinding
from punchlist.web.tenancy import denied, member_view

SHOWN = 200  # hosts listed on the page; the rest are counted (`punchlist findings ITEM` lists them all)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[(FindingState.FALSE_POSITIVE.value, "False positive"),
                                          (FindingState.OPERATIONAL.value, "Operational requirement"),
                                          (FindingState.OPEN.value, "Open again (take a decision back)")])
    hosts = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}),
                            help_text="One host per line; empty: every host of the item")
    reason = forms.CharField(max_length=2000, widget=forms.TextInput,
                             error_messages={"required": "Say why: it is kept with the decision."})


def findings_of(item, user) -> dict:
    """What the item page shows of the item's scan findings (two queries; none where it has none)."""
    rows = ScanFinding.objects.filter(item=item).select_related("last_scan", "decided_by").order_by("host")
    shown = list(rows[:SHOWN + 1])
    return {"rows": shown[:SHOWN], "more": rows.count() - SHOWN if len(shown) > SHOWN else 0,
            "may_decide": bool(shown) and user.has_perm("scans.decide_finding", item),
            "form": DecisionForm(prefix="findings")}


@member_view
@require_POST
def item_findings_decide(request, identifier):
    item = get_object_or_404(PoamItem.objects.for_organization(request.organization), identifier=identifier)
    try:
        require(request.user, "scans.decide_finding", item)  # refused by role before anything is read
    except PermissionDenied as exc:
        return denied(request, exc)
    back = reverse("web:item", args=[request.organization.slug, item.identifier]) + "#scan-findings"
    form = DecisionForm(request.POST, prefix="findings")
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(back)
    hosts = [line.strip() for line in form.cleaned_data["hosts"].splitlines() if line.strip()] or None
    try:
        changed = decide_findings(request.user, item, decision=form.cleaned_data["decision"],
                                  reason=form.cleaned_data["reason"], hosts=hosts)
    except PermissionDenied as exc:
        return denied(request, exc)
    except RegisterError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    if changed:
        messages.success(request, f"{len(changed)} finding(s) recorded as "
                                  f"{FindingState(form.cleaned_data['decision']).label.lower()}.")
    else:
        messages.info(request, "Nothing to change: the findings were already so (or fixed by a scan).")
    return redirect(back)


organization_patterns = [
    path("items/<str:identifier>/findings/", item_findings_decide, name="item_findings_decide"),
]

"""The organization's remediation policy: how many days a scanner's finding of each severity has before its
item is due, from the day it was first seen. Every member reads it; a coordinator (or admin) changes it."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path, reverse

from punchlist.core.records import Severity
from punchlist.orgs.permissions import PermissionDenied, require
from punchlist.register.errors import RegisterError
from punchlist.scans.models import RemediationPolicy
from punchlist.scans.policy import FIELDS, MOST_DAYS, policy_of, set_policy
from punchlist.web.tenancy import denied, member_view
from punchlist.web.words import day

LABELS = {Severity.CRITICAL: "Critical", Severity.HIGH: "High", Severity.MODERATE: "Moderate", Severity.LOW: "Low"}


class PolicyForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for severity, name in FIELDS.items():
            self.fields[name] = forms.IntegerField(min_value=1, max_value=MOST_DAYS, label=f"{LABELS[severity]}: days")

    def days(self) -> dict[Severity, int]:
        return {severity: self.cleaned_data[name] for severity, name in FIELDS.items()}


@member_view
def remediation_policy(request):
    organization = request.organization
    may_change = request.user.has_perm("scans.change_policy", organization)
    if request.method == "POST":
        try:
            require(request.user, "scans.change_policy", organization)
        except PermissionDenied as exc:
            return denied(request, exc)
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                set_policy(request.user, organization, form.days())
            except RegisterError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "The remediation policy is saved: findings first seen from now on are "
                                          "due by it.")
                return redirect(reverse("web:remediation_policy", args=[organization.slug]))
        status = 400
    else:
        form = PolicyForm(initial={FIELDS[s]: days for s, days in policy_of(organization).items()})
        status = 200
    stored = RemediationPolicy.objects.for_organization(organization).select_related("updated_by").first()
    changed = (f"Last changed {day(stored.updated_at)} by "
               f"{stored.updated_by.get_full_name() or stored.updated_by.username}."
               if stored is not None and stored.updated_by is not None else "The default policy: nobody changed it.")
    return render(request, "web/remediation_policy.html",
                  {"form": form, "may_change": may_change, "changed": changed}, status=status)


organization_patterns = [
    path("remediation-policy/", remediation_policy, name="remediation_policy"),
]

"""Evidence in the vault: a piece's page (its file, custodian, dates, links and retention), changes to what
is said about it, deletion by an administrator once its retention is over, and the download.

Files are only ever served as attachments, to members of the organization the evidence belongs to (any
other organization's piece is a 404), with headers that stop a browser from rendering or sniffing them.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.views.decorators.http import require_GET, require_POST

from punchlist.orgs.models import Role
from punchlist.orgs.permissions import PermissionDenied, require
from punchlist.register.errors import ConflictError, RegisterError
from punchlist.register.models import Evidence, PoamItem
from punchlist.register.services import evidence as vault
from punchlist.rhythm.forms import DeleteEvidenceForm, EvidenceForm, EvidenceLinksForm
from punchlist.web.downloads import evidence_file_response
from punchlist.web.views.item_parts import conflict_message
from punchlist.web.tenancy import denied, member_view
from punchlist.web.words import dates_written


def _piece(request, pk) -> Evidence:
    evidence = get_object_or_404(Evidence.objects.for_organization(request.organization)
                                 .select_related("item__organization", "custodian", "added_by"), pk=pk)
    require(request.user, "register.view_item", evidence.item)
    return evidence


@member_view
@require_GET
def evidence_download(request, pk):
    """The file, always as a download: never rendered by the browser, never cached."""
    try:
        evidence = _piece(request, pk)
    except PermissionDenied as exc:
        return denied(request, exc)
    return evidence_file_response(request, evidence)


def _initial(evidence: Evidence) -> dict:
    return {"name": evidence.name, "description": evidence.description, "custodian": evidence.custodian_id,
            "collected_on": evidence.collected_on, "review_by": evidence.review_by, "version": evidence.version}


def _page(request, evidence: Evidence, *, form=None, links=None, delete=None, refusal="", status=200):
    organization = request.organization
    linked = list(evidence.linked_items.order_by("identifier").only("identifier", "title"))
    requirements = list(evidence.requirement_links.values_list("requirement", flat=True))
    can_change = request.user.has_perm("register.add_evidence", evidence.item)
    is_admin = request.role == Role.ADMIN
    context = {
        "evidence": evidence, "linked": linked, "requirements": requirements,
        "retention_ends": vault.retention_ends(evidence), "can_change": can_change, "is_admin": is_admin,
        "form": form or EvidenceForm(initial=_initial(evidence), organization=organization),
        "links": links or EvidenceLinksForm(initial={"items": ", ".join(i.identifier for i in linked),
                                                     "requirements": ", ".join(requirements),
                                                     "version": evidence.version}),
        "delete": delete or DeleteEvidenceForm(), "refusal": refusal,
    }
    return render(request, "web/evidence.html", context, status=status)


@member_view
@require_GET
def evidence_detail(request, pk):
    try:
        return _page(request, _piece(request, pk))
    except PermissionDenied as exc:
        return denied(request, exc)


def _rebound(form_class, form, version: int, **kwargs):
    """The refused form again with what was typed, under the piece's current version: saving it once more
    is a deliberate choice made knowing what changed."""
    data = form.data.copy()
    data[form.add_prefix("version")] = str(version)
    rebound = form_class(data, prefix=form.prefix, **kwargs)
    rebound.is_valid()
    return rebound


def _done(request, evidence, message):
    messages.success(request, message)
    return redirect(reverse("web:evidence", args=[request.organization.slug, evidence.pk]))


@member_view
@require_POST
def evidence_edit(request, pk):
    evidence = _piece(request, pk)
    form = EvidenceForm(request.POST, organization=request.organization)
    if form.is_valid():
        data = form.cleaned_data
        try:
            vault.update_evidence(request.user, evidence, name=data["name"], description=data["description"],
                                  custodian=data["custodian"], collected_on=data["collected_on"],
                                  review_by=data["review_by"], version=data["version"])
        except PermissionDenied as exc:
            return denied(request, exc)
        except ConflictError as exc:
            form = _rebound(EvidenceForm, form, exc.current_version, organization=request.organization)
            return _page(request, _piece(request, pk), form=form, status=409,
                         refusal=conflict_message(exc).removeprefix("Not saved: "))
        except RegisterError as exc:
            return _page(request, evidence, form=form, refusal=dates_written(str(exc)), status=400)
        return _done(request, evidence, f"Evidence “{evidence.name}” saved.")
    return _page(request, evidence, form=form, status=400)


@member_view
@require_POST
def evidence_links(request, pk):
    evidence = _piece(request, pk)
    form = EvidenceLinksForm(request.POST)
    if form.is_valid():
        wanted = form.cleaned_data["items"]
        found = {item.identifier: item for item in
                 PoamItem.objects.for_organization(request.organization).filter(identifier__in=wanted)}
        unknown = [identifier for identifier in wanted if identifier not in found]
        if unknown:
            return _page(request, evidence, links=form, status=400,
                         refusal=f"{', '.join(unknown)}: no such item in {request.organization.name}")
        try:
            vault.link_evidence(request.user, evidence, items=[found[i] for i in wanted],
                                requirements=form.cleaned_data["requirements"],
                                version=form.cleaned_data["version"])
        except PermissionDenied as exc:
            return denied(request, exc)
        except ConflictError as exc:
            form = _rebound(EvidenceLinksForm, form, exc.current_version)
            return _page(request, _piece(request, pk), links=form, status=409,
                         refusal=conflict_message(exc).removeprefix("Not saved: "))
        except RegisterError as exc:
            return _page(request, evidence, links=form, refusal=dates_written(str(exc)), status=400)
        return _done(request, evidence, f"Links of “{evidence.name}” saved.")
    return _page(request, evidence, links=form, status=400)


@member_view
@require_POST
def evidence_delete(request, pk):
    evidence = _piece(request, pk)
    form = DeleteEvidenceForm(request.POST)
    if form.is_valid():
        item = evidence.item
        try:
            vault.delete_evidence(request.user, evidence, reason=form.cleaned_data["reason"])
        except PermissionDenied as exc:
            return denied(request, exc)
        except RegisterError as exc:
            return _page(request, evidence, delete=form, refusal=dates_written(str(exc)), status=400)
        messages.success(request, f"Evidence “{evidence.name}” deleted.")
        try:
            return redirect(reverse("web:item", args=[request.organization.slug, item.identifier]))
        except NoReverseMatch:  # the Item screen is not installed in this build
            return redirect(reverse("web:organization", args=[request.organization.slug]))
    return _page(request, evidence, delete=form, status=400)


organization_patterns = [
    path("evidence/<int:pk>/", evidence_detail, name="evidence"),
    path("evidence/<int:pk>/download/", evidence_download, name="evidence_download"),
    path("evidence/<int:pk>/edit/", evidence_edit, name="evidence_edit"),
    path("evidence/<int:pk>/links/", evidence_links, name="evidence_links"),
    path("evidence/<int:pk>/delete/", evidence_delete, name="evidence_delete"),
]

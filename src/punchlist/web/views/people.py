"""People and roles: who belongs to the organization, in which role, and whether they sign in with a second
factor. Administrators only (3.1.1, 3.1.5: least privilege is decided here); anyone else gets 403 with the
reason, a non-member 404 (tenancy.member_view).

Every change goes through punchlist.orgs.services (permission, transaction, audit event). A change that takes
privileges away (removal, or a role that cannot do everything the old one could) needs a reason, which the
audit trail keeps. A new person gets a one-time password, shown once on the page that answers the form and
never again; they choose their own at the first sign-in (3.5.9).
"""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from punchlist.orgs import services
from punchlist.orgs.models import Invitation, Membership, Role
from punchlist.orgs.permissions import PermissionDenied, require
from punchlist.orgs.services import MembershipConflict, OrganizationError
from punchlist.register.errors import RegisterError
from punchlist.register.mapping import OPEN_STATUSES
from punchlist.register.models import PoamItem
from punchlist.register.services import handover
from punchlist.register.services.items import PEOPLE
from punchlist.web import accounts
from punchlist.web.models import TemporaryPassword
from punchlist.web.tenancy import member_view
from punchlist.web.views.item_parts import conflict_message

PAGE_SIZE = 50

# What each role may do is a superset of these roles' rights; any other change takes something away.
GAINS = {
    Role.VIEWER: {Role.OWNER, Role.APPROVER, Role.COORDINATOR, Role.ADMIN},
    Role.OWNER: {Role.COORDINATOR, Role.ADMIN},
    Role.APPROVER: {Role.ADMIN},
    Role.COORDINATOR: {Role.ADMIN},
    Role.ADMIN: set(),
}
ROLE_HELP = {
    Role.ADMIN: "everything, including people and roles",
    Role.COORDINATOR: "manages every item, assessment, person on an item and date",
    Role.OWNER: "works the items they own",
    Role.APPROVER: "verifies and approves closures of the items they are authority for",
    Role.VIEWER: "reads only (an assessor, say)",
}


def removes_privileges(old: str, new: str) -> bool:
    return old != new and Role(new) not in GAINS[Role(old)]


_username = get_user_model()._meta.get_field("username")


class NewPersonForm(forms.Form):
    username = forms.CharField(max_length=_username.max_length, validators=_username.validators,
                               help_text=_username.help_text)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.OWNER)


class InviteForm(forms.Form):
    """Someone who already signs in to Punchlist (a consultant who serves other organizations too, say) is
    invited, never added: they join when they accept. Nothing here looks the username up, so the answer is the
    same whether or not anyone signs in under it."""

    username = forms.CharField(max_length=_username.max_length,
                               help_text="The username of someone who already signs in to Punchlist (a "
                                         "consultant who serves other organizations too, say). They see the "
                                         "invitation when they sign in, and join when they accept it.")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.OWNER)


class WithdrawForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False, widget=forms.TextInput)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    # The membership's version as shown: a change over someone else's later one is refused, saying what.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    reason = forms.CharField(max_length=500, required=False, widget=forms.TextInput)

    def __init__(self, *args, membership: Membership, **kwargs):
        self.membership = membership
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        role = data.get("role")
        if role == self.membership.role:
            self.add_error("role", f"{self.membership.user.username} is already {Role(role).label.lower()}.")
        elif role and removes_privileges(self.membership.role, role) and not data.get("reason", "").strip():
            self.add_error("reason", f"From {Role(self.membership.role).label.lower()} to "
                                     f"{Role(role).label.lower()} takes rights away: say why.")
        return data


class RemoveForm(forms.Form):
    """The reason, and who takes over the person's open items (``successors``: (user pk, name) of the other
    members, read once for the whole page)."""

    # The membership's version as shown: a change over someone else's later one is refused, saying what.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    reason = forms.CharField(max_length=500, widget=forms.TextInput,
                             error_messages={"required": "Say why this person leaves the organization."})
    successor = forms.TypedChoiceField(coerce=int, required=False, empty_value=None,
                                       label="Who takes over their open items")

    def __init__(self, *args, successors=(), leaving=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["successor"].choices = [("", "Choose a person")] + [
            (pk, name) for pk, name in successors if pk != leaving]


class PasswordForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False, widget=forms.TextInput)


def _open_items_held(organization):
    """How many open items name the member's person, in any of the four roles (a subquery per row)."""
    named = Q()
    for field in PEOPLE:
        named |= Q(**{field: OuterRef("user")})
    held = (PoamItem.objects.filter(named, organization=organization, status__in=OPEN_STATUSES).order_by()
            .values("organization").annotate(count=Count("pk")).values("count"))
    return Coalesce(Subquery(held, output_field=IntegerField()), 0)


def _successors(organization) -> list[tuple[int, str]]:
    return [(user.pk, _name(user)) for user in get_user_model().objects.filter(
        memberships__organization=organization).order_by("last_name", "first_name", "username")]


def _members(organization):
    return (Membership.objects.for_organization(organization).select_related("user")
            .annotate(open_items=_open_items_held(organization), mfa=Exists(Authenticator.objects.filter(user=OuterRef("user"), type=Authenticator.Type.TOTP)),
                      temporary=Exists(TemporaryPassword.objects.filter(user=OuterRef("user"))),
                      elsewhere=Exists(Membership.objects.filter(user=OuterRef("user"))
                                       .exclude(organization=organization)))
            .order_by("user__last_name", "user__first_name", "user__username"))


def _denied(request, exc):
    return render(request, "web/people_denied.html", {"reason": str(exc)}, status=403)


def _page(request, *, status=200, new_form=None, invite_form=None, row_forms=None, added=None):
    page = Paginator(_members(request.organization), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    row_forms = row_forms or {}
    successors = _successors(request.organization)
    for membership in page.object_list:
        bound = row_forms.get(membership.pk, {})
        membership.role_form = bound.get("role") or RoleForm(membership=membership, prefix=f"m{membership.pk}",
                                                             initial={"role": membership.role,
                                                                      "version": membership.version})
        membership.remove_form = bound.get("remove") or RemoveForm(prefix=f"r{membership.pk}", successors=successors,
                                                                   leaving=membership.user_id,
                                                                   initial={"version": membership.version})
        membership.password_form = bound.get("password") or PasswordForm(prefix=f"p{membership.pk}")
        membership.refused = bool(bound)
    counts = dict.fromkeys(Role.values, 0)
    for role in Membership.objects.for_organization(request.organization).values_list("role", flat=True):
        counts[role] += 1
    return render(request, "web/people.html", {
        "page": page, "members": page.object_list,
        "new_form": new_form or NewPersonForm(prefix="new"),
        "invite_form": invite_form or InviteForm(prefix="existing"),
        "invitations": list(Invitation.objects.filter(organization=request.organization)
                            .select_related("invited_by").order_by("username")),
        "added": added,
        "roles": [(Role(value), counts[value], ROLE_HELP[Role(value)]) for value in Role.values],
        "mfa_role_values": Role.values if accounts.mfa_for_everyone() else [r.value for r in accounts.MFA_ROLES],
        "mfa_everyone": accounts.mfa_for_everyone(),
    }, status=status)


def admin_only(view):
    """After member_view: administrators only; everyone else sees why (403)."""

    def wrapper(request, *args, **kwargs):
        try:
            require(request.user, "orgs.manage_members", request.organization)
        except PermissionDenied as exc:
            return _denied(request, exc)
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _back(request):
    return redirect(reverse("web:people", args=[request.organization.slug]))


@member_view
@admin_only
def people(request):
    return _page(request)


@member_view
@require_POST
@admin_only
def people_add(request):
    form = NewPersonForm(request.POST, prefix="new")
    if form.is_valid():
        data = form.cleaned_data
        try:
            membership, password = accounts.add_new_person(
                request.user, request.organization, username=data["username"], role=data["role"],
                email=data["email"], first_name=data["first_name"], last_name=data["last_name"])
        except PermissionDenied as exc:
            return _denied(request, exc)
        except OrganizationError as exc:
            form.add_error(None, f"Not added: {exc}.")
        else:
            # Answered on this page, never through messages (stored in a cookie or the session).
            response = _page(request, added={"membership": membership, "password": password})
            response["Cache-Control"] = "no-store"
            return response
    return _page(request, status=400, new_form=form)


@member_view
@require_POST
@admin_only
def people_add_existing(request):
    form = InviteForm(request.POST, prefix="existing")
    if form.is_valid():
        try:
            invitation = services.invite_member(request.user, request.organization, form.cleaned_data["username"],
                                                form.cleaned_data["role"])
        except PermissionDenied as exc:
            return _denied(request, exc)
        except OrganizationError as exc:
            form.add_error(None, f"Not invited: {exc}.")
        else:
            messages.success(request, f"Invited {invitation.username} as {invitation.get_role_display().lower()}. "
                                      "Whoever signs in as that username sees the invitation and becomes a member "
                                      "when they accept it; until then the invitation waits below.")
            return _back(request)
    return _page(request, status=400, invite_form=form)


@member_view
@require_POST
@admin_only
def people_invitation_withdraw(request, pk):
    invitation = get_object_or_404(Invitation.objects.filter(organization=request.organization), pk=pk)
    form = WithdrawForm(request.POST, prefix=f"w{pk}")
    if form.is_valid():
        try:
            services.withdraw_invitation(request.user, invitation, reason=form.cleaned_data["reason"].strip())
        except PermissionDenied as exc:
            return _denied(request, exc)
        except OrganizationError as exc:
            messages.error(request, f"Not withdrawn: {exc}.")
        else:
            messages.success(request, f"The invitation of {invitation.username} is withdrawn.")
    return _back(request)


def _membership(request, pk):
    return get_object_or_404(Membership.objects.for_organization(request.organization).select_related("user"),
                             pk=pk)


def _rebound(form_class, form, version: int, **kwargs):
    """The refused form again with what was typed, under the membership's current version."""
    data = form.data.copy()
    data[form.add_prefix("version")] = str(version)
    return form_class(data, prefix=form.prefix, **kwargs)


def _name(user):
    return user.get_full_name().strip() or user.username


@member_view
@require_POST
@admin_only
def people_role(request, pk):
    membership = _membership(request, pk)
    form = RoleForm(request.POST, membership=membership, prefix=f"m{pk}")
    if form.is_valid():
        old = membership.get_role_display().lower()
        try:
            services.change_role(request.user, membership, form.cleaned_data["role"],
                                 reason=form.cleaned_data["reason"].strip(), version=form.cleaned_data["version"])
        except PermissionDenied as exc:
            return _denied(request, exc)
        except MembershipConflict as exc:
            form = _rebound(RoleForm, form, exc.current_version, membership=_membership(request, pk))
            form.add_error(None, conflict_message(exc))
        except OrganizationError as exc:
            form.add_error(None, f"Not changed: {exc}.")
        else:
            messages.success(request, f"{_name(membership.user)}: {old} → "
                                      f"{Role(form.cleaned_data['role']).label.lower()}.")
            if membership.user_id == request.user.pk and form.cleaned_data["role"] != Role.ADMIN:
                return redirect(reverse("web:home"))  # no longer theirs to see
            return _back(request)
    return _page(request, status=400, row_forms={membership.pk: {"role": form}})


@member_view
@require_POST
@admin_only
def people_remove(request, pk):
    membership = _membership(request, pk)
    successors = _successors(request.organization)
    form = RemoveForm(request.POST, prefix=f"r{pk}", successors=successors, leaving=membership.user_id)
    if form.is_valid():
        chosen = form.cleaned_data["successor"]
        successor = get_user_model().objects.get(pk=chosen) if chosen else None
        try:
            handed = handover.remove_member(request.user, membership, successor=successor,
                                            reason=form.cleaned_data["reason"].strip(),
                                            version=form.cleaned_data["version"])
        except PermissionDenied as exc:
            return _denied(request, exc)
        except MembershipConflict as exc:
            form = _rebound(RemoveForm, form, exc.current_version, successors=successors, leaving=membership.user_id)
            form.add_error(None, conflict_message(exc))
        except (OrganizationError, RegisterError) as exc:
            form.add_error(None, f"Not removed: {exc}.")
        else:
            handed_over = f" {len(handed)} open item(s) now answer to {_name(successor)}." if handed else ""
            messages.success(request, f"{_name(membership.user)} no longer belongs to {request.organization.name}."
                                      + handed_over)
            if membership.user_id == request.user.pk:
                return redirect(reverse("web:home"))
            return _back(request)
    return _page(request, status=400, row_forms={membership.pk: {"remove": form}})


@member_view
@require_POST
@admin_only
def people_password(request, pk):
    membership = _membership(request, pk)
    form = PasswordForm(request.POST, prefix=f"p{pk}")
    if form.is_valid():
        try:
            password = accounts.reset_to_one_time_password(request.user, membership,
                                                           reason=form.cleaned_data["reason"].strip())
        except PermissionDenied as exc:
            return _denied(request, exc)
        except OrganizationError as exc:
            form.add_error(None, f"Not changed: {exc}.")
        else:
            accounts.unlock(request, membership.user)
            response = _page(request, added={"membership": membership, "password": password, "reset": True})
            response["Cache-Control"] = "no-store"
            return response
    return _page(request, status=400, row_forms={membership.pk: {"password": form}})


organization_patterns = [
    path("people/", people, name="people"),
    path("people/add/", people_add, name="people_add"),
    path("people/add-existing/", people_add_existing, name="people_add_existing"),
    path("people/invitations/<int:pk>/withdraw/", people_invitation_withdraw, name="people_invitation_withdraw"),
    path("people/<int:pk>/role/", people_role, name="people_role"),
    path("people/<int:pk>/remove/", people_remove, name="people_remove"),
    path("people/<int:pk>/password/", people_password, name="people_password"),
]

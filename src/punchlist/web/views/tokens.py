"""API tokens: a person makes personal tokens for their programs (a ticketing system, a scanner pipeline), for
some of their organizations, read only or read and write, until a date; the secret is shown once, on the page
that made it. They revoke them here too. What a token may do is never more than what its person may."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from punchlist.api import services
from punchlist.api.models import ApiToken
from punchlist.orgs.models import Membership, Organization


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="Name", help_text="What uses it: “ticketing sync”, “scanner”.")
    organizations = forms.ModelMultipleChoiceField(queryset=Organization.objects.none(),
                                                   widget=forms.CheckboxSelectMultiple, label="Organizations")
    access = forms.ChoiceField(choices=[("read", "Read only"), ("write", "Read and write")], initial="read",
                               widget=forms.RadioSelect, label="Access")
    days = forms.IntegerField(min_value=1, max_value=services.LONGEST_DAYS, initial=90, label="Expires after (days)")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organizations"].queryset = Organization.objects.filter(memberships__user=user).order_by("name")


def _page(request, form, *, made=None, status=200):
    tokens = list(ApiToken.objects.filter(user=request.user).prefetch_related("organizations"))
    member_of = set(Membership.objects.filter(user=request.user).values_list("organization_id", flat=True))
    for token in tokens:
        token.orgs = [(o.name, o.pk in member_of) for o in token.organizations.all()]
    return render(request, "web/tokens.html", {"form": form, "tokens": tokens, "made": made}, status=status)


@login_required
def tokens(request):
    if request.method != "POST":
        return _page(request, TokenForm(user=request.user))
    form = TokenForm(request.POST, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            token, secret = services.create_token(request.user, name=data["name"],
                                                  organizations=data["organizations"],
                                                  can_write=data["access"] == "write", days=data["days"])
        except services.TokenError as exc:
            form.add_error(None, f"Not made: {exc}.")
        else:
            # The secret is on this page only: it is stored hashed and cannot be shown again.
            return _page(request, TokenForm(user=request.user), made={"token": token, "secret": secret})
    return _page(request, form, status=400)


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken.objects.filter(user=request.user), pk=pk)  # others' tokens: 404
    services.revoke_token(request.user, token)
    messages.success(request, f"The token “{token.name}” ({token.prefix}…) is revoked: it no longer works.")
    return redirect(reverse("web:tokens"))


site_patterns = [
    path("account/tokens/", tokens, name="tokens"),
    path("account/tokens/<int:pk>/revoke/", token_revoke, name="token_revoke"),
]

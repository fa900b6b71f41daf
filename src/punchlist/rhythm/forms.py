"""The forms of the review screens and the evidence page: they check the shape of what was typed; the
services decide whether it may be stored."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from punchlist.orgs.models import Membership, Role

TEXT = {"rows": 2}


class WeeklyUpdateForm(forms.Form):
    progress = forms.CharField(required=False, widget=forms.Textarea(attrs=TEXT), max_length=4000,
                               label="Progress this week")
    next_step = forms.CharField(required=False, widget=forms.Textarea(attrs=TEXT), max_length=4000,
                                label="Next step")
    blocker = forms.CharField(required=False, widget=forms.Textarea(attrs=TEXT), max_length=4000,
                              label="Blocker", help_text="What stops the work, if anything")


def members(organization, roles=None):
    """The organization's people (optionally in some roles), by name."""
    rows = Membership.objects.filter(organization=organization)
    if roles is not None:
        rows = rows.filter(role__in=roles)
    return (get_user_model().objects.filter(pk__in=rows.values("user_id"), is_active=True)
            .order_by("first_name", "last_name", "username"))


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name().strip() or user.username


class PeopleChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name().strip() or user.username


class ReviewForm(forms.Form):
    held_on = forms.DateField(label="Held on", widget=forms.DateInput(attrs={"type": "date"}))
    attendees = PeopleChoice(queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
                             label="Who attended")
    other_attendees = forms.CharField(required=False, max_length=2000, label="Others who attended",
                                      help_text="People without an account here, by name")
    decisions = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=20000,
                                label="What was decided")

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = members(organization)


class FailForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs=TEXT), max_length=4000,
                             label="Why it fails (the item is reopened with this)")


CUSTODIAN_ROLES = [Role.ADMIN, Role.COORDINATOR, Role.OWNER, Role.APPROVER]


class EvidenceForm(forms.Form):
    # The version of the record the page showed (optimistic locking): a save over someone else's later
    # change is refused, saying what changed. Absent from a hand-made POST, the version read now is used.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    name = forms.CharField(max_length=255)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs=TEXT), max_length=4000)
    custodian = PersonChoice(queryset=None, help_text="Who keeps this evidence and answers for it")
    collected_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                   label="Collected on")
    review_by = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Review by",
                                help_text="When it must be looked at again to stay current")

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["custodian"].queryset = members(organization, CUSTODIAN_ROLES)


def _split(text: str) -> list[str]:
    return [part for part in text.replace(";", ",").replace("\n", ",").replace(" ", ",").split(",") if part]


class EvidenceLinksForm(forms.Form):
    # The version of the record the page showed (optimistic locking): a save over someone else's later
    # change is refused, saying what changed. Absent from a hand-made POST, the version read now is used.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    items = forms.CharField(required=False, max_length=4000, label="Also proves these items",
                            help_text="Identifiers, separated by commas: POAM-AC-002, POAM-IA-001")
    requirements = forms.CharField(required=False, max_length=4000, label="Requirements it shows met",
                                   help_text="NIST SP 800-171 ids or CMMC ids, separated by commas")

    def clean_items(self):
        return [part.upper() for part in _split(self.cleaned_data["items"])]

    def clean_requirements(self):
        return _split(self.cleaned_data["requirements"])


class DeleteEvidenceForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs=TEXT), max_length=4000, label="Why it is deleted")

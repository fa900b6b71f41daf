"""Forms of the Item screen. They only shape and check what was typed; every rule of the register (who may,
closeout, slips need reasons, evidence before closure) is the services' and comes back as their message."""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.template.defaultfilters import filesizeformat

from punchlist.core.catalog import load_catalog
from punchlist.register.models import Assessment, Kind, Severity, Status
from punchlist.register.details import EDITABLE
from punchlist.register.services._common import PERSON_ROLES

PEOPLE = ("primary_owner", "supporting_owner", "approval_authority", "evidence_custodian")
PERSON_LABELS = {"primary_owner": "Primary owner", "supporting_owner": "Supporting owner",
                 "approval_authority": "Approval authority", "evidence_custodian": "Evidence custodian"}
OWNER_TEXT = ("title", "weakness", "severity", "remediation", "interim_mitigation", "responsible_unit",
              "resources", "source")
MANAGER_ONLY = ("requirements", "kind", "assessment") + PEOPLE
DETAILS = EDITABLE  # status date, assets, CVEs, vendor, risk, budget, decision, comments


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def _split(text: str, pattern: str) -> list[str]:
    return [part.strip() for part in re.split(pattern, text or "") if part.strip()]


class ListField(forms.CharField):
    """A list typed on one line ("3.1.1, AC.L2-3.1.2"); compared as a list so retyping the same is no change."""

    separators = r"[,;\n]+"

    def to_python(self, value):
        if isinstance(value, (list, tuple)):
            return list(value)
        return _split(super().to_python(value), self.separators)

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return ", ".join(value)
        return value

    def has_changed(self, initial, data):
        return self.to_python(initial) != self.to_python(data)


class RequirementsField(ListField):
    def to_python(self, value):
        catalog = load_catalog()
        found = []
        for text in super().to_python(value):
            requirement = catalog.find(text)
            found.append(requirement.id if requirement else text)  # unknown ones: the service names them
        return found


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        name = user.get_full_name().strip()
        return f"{name} ({user.username})" if name else user.username


def _people(organization, field: str):
    return (get_user_model().objects
            .filter(memberships__organization=organization, memberships__role__in=list(PERSON_ROLES[field]))
            .order_by("first_name", "last_name", "username"))


class ItemFieldsForm(forms.Form):
    """The fields of an item. Owners see the text and dates; coordinators and admins also see requirements,
    kind, assessment and the four people (the services' OWNER_FIELDS / MANAGER_FIELDS)."""

    requirements = RequirementsField(help_text="NIST SP 800-171 Rev 2 requirement, e.g. 3.1.8 or AC.L2-3.1.8; "
                                               "one problem per item")
    title = forms.CharField(max_length=300)
    weakness = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    severity = forms.ChoiceField(choices=[("", "—")] + Severity.choices, required=False)
    remediation = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False,
                                  help_text="What will be done, to what, and how it will be shown")
    interim_mitigation = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    responsible_unit = forms.CharField(max_length=200, required=False)
    resources = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                                label="Resources / funding")
    source = forms.CharField(max_length=200, required=False, label="Source of the finding")
    objectives = ListField(required=False, help_text="The assessment objectives it remedies, e.g. 3.1.8[a], 3.1.8[b]")
    kind = forms.ChoiceField(choices=Kind.choices)
    assessment = forms.ModelChoiceField(queryset=Assessment.objects.none(), required=False)
    primary_owner = PersonField(queryset=None, required=False)
    supporting_owner = PersonField(queryset=None, required=False)
    approval_authority = PersonField(queryset=None, required=False)
    evidence_custodian = PersonField(queryset=None, required=False)
    start_date = forms.DateField(widget=DateInput, required=False)
    scheduled_completion = forms.DateField(widget=DateInput, required=False)
    # The details a file may carry (register.details), editable like the rest.
    status_date = forms.DateField(widget=DateInput, required=False,
                                  help_text="The date of the item's last status report, where a file gave one")
    assets = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Assets affected",
                             help_text="Hosts, devices or services, one per line")
    cves = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="CVEs")
    source_identifier = forms.CharField(required=False, label="Source identifier",
                                        help_text="The finding's id at its source: scanner plugin, STIG rule")
    likelihood = forms.CharField(max_length=100, required=False)
    impact = forms.CharField(max_length=100, required=False)
    residual_risk = forms.CharField(max_length=100, required=False, label="Residual risk",
                                    help_text="The risk left once mitigated (FedRAMP's adjusted risk rating)")
    risk_adjustment = forms.CharField(max_length=100, required=False, label="Risk adjustment")
    vendor_dependency = forms.NullBooleanField(required=False, label="Waits on a vendor",
                                               widget=forms.NullBooleanSelect)
    vendor_product = forms.CharField(required=False, label="Vendor's product")
    vendor_check_in = forms.DateField(widget=DateInput, required=False, label="Last vendor check-in")
    vendor_involvement = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                                         label="Vendor involvement", help_text="What the vendor or the MSP does")
    budget_money = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False,
                                      label="Budget (money)")
    budget_hours = forms.DecimalField(max_digits=10, decimal_places=1, min_value=0, required=False,
                                      label="Budget (hours)")
    decision_needed = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                                      label="Decision needed",
                                      help_text="What someone must decide for the fix to go on")
    comments = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    touches_cui = forms.NullBooleanField(required=False, label="Touches CUI", widget=forms.NullBooleanSelect,
                                         help_text="Whether the weakness touches CUI (where it is stored, processed "
                                                   "or sent): the risk order puts such an item first among equals")

    def __init__(self, *args, organization, manager: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if manager:
            self.fields["assessment"].queryset = Assessment.objects.for_organization(organization)
            for name in PEOPLE:
                self.fields[name].queryset = _people(organization, name)
                self.fields[name].label = PERSON_LABELS[name]
        else:
            for name in MANAGER_ONLY:
                del self.fields[name]

    def clean(self):
        data = super().clean()
        start, due = data.get("start_date"), data.get("scheduled_completion")
        if start and due and due < start:
            self.add_error("scheduled_completion", "The scheduled completion is before the start date.")
        return data


class ItemEditForm(ItemFieldsForm):
    """Edits under optimistic locking: ``version`` is the one the person read, and each field carries its
    value as read (hidden initial), so only what the person changed is sent and nobody else's change is
    overwritten by an untouched field."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Why the date moves",
                             help_text="Needed when the scheduled completion moves later (a slip)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name not in ("version", "reason"):
                field.show_hidden_initial = True

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data if name not in ("version", "reason")}


class ItemCreateForm(ItemFieldsForm):
    status = forms.ChoiceField(choices=[(Status.DRAFT, Status.DRAFT.label), (Status.OPEN, Status.OPEN.label)],
                               initial=Status.OPEN)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, manager=True, **kwargs)
        self.order_fields(["requirements", "title", "kind", "status"])


class MilestoneForm(forms.Form):
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="What will be done")
    due = forms.DateField(widget=DateInput, required=False, label="Due")


class MilestoneDoneForm(forms.Form):
    # The version of the record the page showed (optimistic locking): a save over someone else's later
    # change is refused, saying what changed. Absent from a hand-made POST, the version read now is used.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    done_on = forms.DateField(widget=DateInput, required=False, label="Done on")

    def clean_done_on(self):
        done_on = self.cleaned_data.get("done_on")
        if done_on and done_on > date.today():
            raise forms.ValidationError("A milestone cannot be done on a date in the future.")
        return done_on


class SlipForm(forms.Form):
    """A milestone's new due date; moving it later is a slip and needs a reason (the service says so)."""

    due = forms.DateField(widget=DateInput, label="New due date")
    # The version of the record the page showed (optimistic locking): a save over someone else's later
    # change is refused, saying what changed. Absent from a hand-made POST, the version read now is used.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Why it moves",
                             help_text="Needed when the date moves later (a slip)")


class DueDateForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    scheduled_completion = forms.DateField(widget=DateInput, required=False, label="New scheduled completion")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Why it moves",
                             help_text="Needed when the date moves later or is removed (a slip)")


class BlockersForm(forms.Form):
    # The item's version the page showed (optimistic locking); absent from a hand-made POST: as read now.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    blocked_by = forms.CharField(required=False, max_length=2000, label="Blocked by",
                                 help_text="Identifiers of the items this one waits on, separated by commas "
                                           "(POAM-AC-002, OPA-SI-001); empty: it waits on nothing")


class EvidenceForm(forms.Form):
    file = forms.FileField(required=False, help_text="Size limit: see below")
    reference = forms.CharField(required=False, max_length=2000,
                                help_text="Or where the evidence lives (a ticket, a share path, a URL)")
    name = forms.CharField(required=False, max_length=255, help_text="Defaults to the file's name")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, too_large=(), **kwargs):
        """``too_large``: names of files dropped on the way in for being over the limit (views.UploadLimit)."""
        super().__init__(*args, **kwargs)
        self.too_large = list(too_large)
        self.fields["file"].help_text = f"Up to {filesizeformat(settings.PUNCHLIST_MAX_UPLOAD_BYTES)}"

    def clean(self):
        data = super().clean()
        upload, reference = data.get("file"), (data.get("reference") or "").strip()
        limit = filesizeformat(settings.PUNCHLIST_MAX_UPLOAD_BYTES)
        for name in self.too_large:
            self.add_error("file", f"{name} is larger than {limit}, the limit for evidence files; nothing was "
                                   "stored.")
        if self.too_large:
            return data
        if upload is None and not reference:
            raise forms.ValidationError("Evidence is either a file or a reference to where it lives: give one.")
        if upload is not None and upload.size > settings.PUNCHLIST_MAX_UPLOAD_BYTES:
            self.add_error("file", f"{upload.name} is larger than {limit}, the limit for evidence files; nothing "
                                   "was stored.")
        if not (data.get("name") or "").strip():
            if upload is not None:
                data["name"] = upload.name
            elif reference:
                data["name"] = reference[:255]
        return data


class MoveForm(forms.Form):
    """One status move with its reason (or note), under the item's version."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    completion_date = forms.DateField(widget=DateInput, required=False, label="Completed on",
                                      help_text="Defaults to today")
    to_status = forms.ChoiceField(choices=[(Status.IN_PROGRESS, Status.IN_PROGRESS.label),
                                           (Status.OPEN, Status.OPEN.label)], required=False, label="Back to")
    # Approving the last open item of a NOT MET requirement: record the requirement MET in the same step.
    record_met = forms.BooleanField(required=False)

    def __init__(self, *args, move, **kwargs):
        super().__init__(*args, **kwargs)
        self.move = move
        self.fields["reason"].label = move.reason_label
        self.fields["reason"].required = move.reason_required
        self.fields["reason"].error_messages["required"] = f"{move.label} needs a reason: say why."
        if move.key != "approve":
            del self.fields["completion_date"]
            del self.fields["record_met"]
        if move.key != "reopen":
            del self.fields["to_status"]

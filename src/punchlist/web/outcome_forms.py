"""Forms of the assessment's outcome and of its objectives' determinations."""

from __future__ import annotations

from django import forms

from punchlist.register.models import AssessmentKind, Determination, EarnedStatus

from .forms import DateInput


class OutcomeForm(forms.Form):
    """What an assessment found: its kind, date, score and the status it earned."""

    kind = forms.ChoiceField(choices=AssessmentKind.choices, label="Kind")
    assessed_on = forms.DateField(widget=DateInput, label="Assessed on")
    score = forms.IntegerField(required=False, min_value=-203, max_value=110, label="Score recorded",
                               help_text="Leave empty for the score the determinations give; another number is "
                                         "refused")
    status = forms.ChoiceField(choices=[(EarnedStatus.NONE, "No status"), (EarnedStatus.FINAL, "Final"),
                                        (EarnedStatus.CONDITIONAL, "Conditional")], required=False,
                               label="Status earned")
    conditional_date = forms.DateField(widget=DateInput, required=False, label="Conditional status date",
                                       help_text="The CMMC Status Date; the 180-day closeout runs from it")
    reason = forms.CharField(required=False, label="Reason (to change a recorded Conditional date)")


class ObjectiveForm(forms.Form):
    determination = forms.ChoiceField(choices=Determination.choices)
    # The determination's version the page showed (0: none yet); absent from a hand-made POST: as read now.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)


class DropMilestoneForm(forms.Form):
    # The version of the milestone the page showed (optimistic locking): a drop over someone else's later
    # change is refused, saying what changed. Absent from a hand-made POST, the version read now is used.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Why it is dropped",
                             error_messages={"required": "Dropping a milestone needs a reason: say why."})

"""Forms of the Import screen: the upload, and the mapping a person corrects in the preview.

They only shape what was typed into a ``ColumnMapping``; whether the file then reads, and whether its rows
may enter the register, is for the readers and the import's services to say.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from punchlist.interchange import FIELD_LABELS, FIELDS, ColumnMapping, Inspection
from punchlist.interchange.columns import HEADER_SEARCH_ROWS
from punchlist.register.models import ImportProfile

PROFILE_NAME_LENGTH = ImportProfile._meta.get_field("name").max_length


class UploadForm(forms.Form):
    file = forms.FileField(label="POA&M file", help_text="XLSX, XLSM, XLSB, XLS, ODS, CSV or OSCAL POA&M JSON; a "
                                                         "Nessus, OpenVAS or Greenbone report, a STIG checklist",
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xlsm,.xlsb,.xls,.ods,.csv,.tsv,"
                                                                            ".txt,.json,.xml,.yaml,.yml,.nessus,"
                                                                            ".ckl,.cklb"}))
    profile = forms.ModelChoiceField(queryset=ImportProfile.objects.none(), required=False,
                                     label="Mapping profile", empty_label="None: find the columns by their headers")
    create_people = forms.BooleanField(required=False, label="Add people named in the file who are not members "
                                                             "yet (without sign-in)")

    def __init__(self, *args, organization, too_large=(), **kwargs):
        """``too_large``: names of files dropped on the way in for being over the limit (views.UploadLimit)."""
        super().__init__(*args, **kwargs)
        self.fields["profile"].queryset = ImportProfile.objects.for_organization(organization)
        self.fields["file"].help_text += f"; up to {filesizeformat(settings.PUNCHLIST_MAX_UPLOAD_BYTES)}"
        self.too_large = list(too_large)

    def clean(self):
        data = super().clean()
        limit = filesizeformat(settings.PUNCHLIST_MAX_UPLOAD_BYTES)
        for name in self.too_large:
            self.errors.pop("file", None)
            self.add_error("file", f"{name} is larger than {limit}, the limit for an upload; nothing was read.")
        upload = data.get("file")
        if upload is not None and upload.size > settings.PUNCHLIST_MAX_UPLOAD_BYTES:
            self.add_error("file", f"{upload.name} is larger than {limit}, the limit for an upload; nothing was "
                                   "read.")
        return data


MAX_COLUMNS = 16384  # a spreadsheet's columns (XFD)


class MappingForm(forms.Form):
    """One select per field: which of the header row's columns it is read from (its position), or none.

    The selects are made for one sheet and header row, ``shown_sheet`` and ``shown_row``; a person who changes
    the sheet or the header row gets the columns of that row found again, as the selects no longer mean
    anything there. A column's position is checked against the row by the reader, so the form binds without
    the file; ``show(inspection)`` gives the selects the file's columns to offer.
    """

    sheet = forms.CharField(required=False, max_length=200, label="Sheet")
    header_row = forms.IntegerField(required=False, min_value=1, max_value=HEADER_SEARCH_ROWS, label="Header row",
                                    help_text=f"The row with the column headers, among the first "
                                              f"{HEADER_SEARCH_ROWS}; empty: find it again")
    shown_sheet = forms.CharField(required=False, widget=forms.HiddenInput)
    shown_row = forms.IntegerField(required=False, widget=forms.HiddenInput)
    create_people = forms.BooleanField(required=False, label="Add people named in the file who are not members "
                                                             "yet (without sign-in)")
    include_informational = forms.BooleanField(
        required=False, label="Make items of the scan's informational results too (Nessus severity 0, OpenVAS log)")
    profile_name = forms.CharField(required=False, max_length=PROFILE_NAME_LENGTH, label="Save this mapping as",
                                   help_text="A name for files of this layout, e.g. “Monthly eMASS export”; a "
                                             "profile of the same name is replaced")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in FIELDS:
            self.fields[field_name(name)] = forms.IntegerField(
                required=False, min_value=0, max_value=MAX_COLUMNS - 1, label=FIELD_LABELS[name],
                widget=forms.Select(attrs={"class": "import-column"}))

    def show(self, inspection: Inspection) -> MappingForm:
        """Offer the inspected file's sheets and columns in the selects."""
        columns = [("", "— not imported —")] + [
            (str(column.index), f"{column.letter}: {column.header or '(no header)'}") for column in inspection.columns]
        for name in FIELDS:
            self.fields[field_name(name)].widget.choices = columns
        if len(inspection.sheets) > 1:
            self.fields["sheet"].widget = forms.Select(choices=[(name, name) for name in inspection.sheets])
        else:
            self.fields["sheet"].widget = forms.HiddenInput()
        return self

    @staticmethod
    def initial_for(inspection: Inspection, **more) -> dict:
        fields = inspection.fields or {}
        initial = {"sheet": inspection.sheet or "", "header_row": inspection.header_row,
                   "shown_sheet": inspection.sheet or "", "shown_row": inspection.header_row, **more}
        for name in FIELDS:
            initial[field_name(name)] = fields.get(name)
        return initial

    def layout_changed(self) -> bool:
        """Whether the person chose another sheet or header row than the selects were made for."""
        data = self.cleaned_data
        return ((data.get("sheet") or "") != (data.get("shown_sheet") or "")
                or data.get("header_row") != data.get("shown_row"))

    def mapping(self) -> ColumnMapping:
        """The mapping as chosen: for a changed sheet or header row, only those (its columns are found again);
        else every field's column by its position in the shown header row."""
        data = self.cleaned_data
        sheet = data.get("sheet") or None
        if self.layout_changed():
            return ColumnMapping(header_row=data.get("header_row"), sheet=sheet)
        return ColumnMapping({name: data.get(field_name(name)) for name in FIELDS}, header_row=data.get("header_row"),
                             sheet=sheet)

    def selects(self) -> list:
        """(field, its bound select) in the fields' order, for the template."""
        return [(name, self[field_name(name)]) for name in FIELDS]


def field_name(name: str) -> str:
    return f"map_{name}"

"""Every format a built export is written in, in one place: what `punchlist export`, the web's Export and the
API's export all call, so that a file is the same whoever asks for it.

csv (UTF-8 with BOM, for Excel), the Punchlist workbook, OSCAL POA&M JSON or XML (in each OSCAL version the
schemas cover, checked against NIST's schema before a byte is written), and the FedRAMP POA&M template filled
in: the template is the person's own file (the repo ships no copy of it), read through the upload guards.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from punchlist.errors import InputError

if TYPE_CHECKING:  # the CLI reads this module's names before Django is set up
    from .exports import RegisterExport

# oscal_schema.SCHEMA_VERSIONS and oscal.OSCAL_VERSION (a test keeps them equal): importing those modules
# here would load openpyxl and jsonschema for every `punchlist` command.
OSCAL_VERSIONS = ("1.1.3", "1.2.1")
OSCAL_VERSION = "1.1.3"


@dataclass(frozen=True, slots=True)
class ExportFormat:
    name: str  # what a person reads on a button
    extension: str
    media_type: str
    needs_template: bool = False
    oscal: bool = False


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_FORMATS = {
    "csv": ExportFormat("CSV (for Excel)", "csv", "text/csv"),
    "workbook": ExportFormat("Punchlist workbook", "xlsx", XLSX),
    "oscal": ExportFormat("OSCAL POA&M (JSON)", "json", "application/json", oscal=True),
    "oscal-xml": ExportFormat("OSCAL POA&M (XML)", "xml", "application/xml", oscal=True),
    "fedramp": ExportFormat("FedRAMP POA&M template, filled in", "xlsx", XLSX, needs_template=True),
}


def write_export(built: RegisterExport, fmt: str, out: str | Path, *, oscal_version: str = OSCAL_VERSION,
                 template: str | Path | None = None, template_label: str | None = None) -> None:
    """Write ``built`` to ``out`` in ``fmt`` (a key of EXPORT_FORMATS); InputError for a request that cannot
    be met (no template for fedramp, a template that is not FedRAMP's, an OSCAL document with no items)."""
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"there is no export format {fmt!r}; the formats are {', '.join(EXPORT_FORMATS)}")
    if oscal_version not in OSCAL_VERSIONS:
        raise InputError(f"OSCAL version {oscal_version!r} is not one of {', '.join(OSCAL_VERSIONS)}")
    poam, context, evidence = built.poam, built.context, built.evidence
    if fmt == "workbook":
        from punchlist.interchange.workbook import write_workbook

        write_workbook(poam, context, out, evidence=evidence)
    elif fmt == "fedramp":
        if template is None:
            raise InputError("the FedRAMP export fills the FedRAMP POA&M template: give the template's file")
        _fill_fedramp(built, template, out, label=template_label)
    elif fmt == "csv":
        from punchlist.interchange.csv_export import write_csv

        write_csv(poam, context, out)
    else:
        _write_oscal(built, out, oscal_version, xml=fmt == "oscal-xml")


def _fill_fedramp(built: RegisterExport, template, out, *, label: str | None) -> None:
    from punchlist.interchange.fedramp import fill_fedramp_template

    try:
        fill_fedramp_template(built.poam, built.context, template, out, evidence=built.evidence)
    except InputError as error:
        if label is None or error.file != str(template):
            raise
        # An upload is kept under a staging name: say the name the person gave it.
        raise InputError(error.message, file=label, row=error.row, column=error.column) from None


def _write_oscal(built: RegisterExport, out, version: str, *, xml: bool = False) -> None:
    """Write the JSON (or its XML form), having checked the document against NIST's schema where one is
    installed: a document a receiver would refuse is not written."""
    from punchlist.interchange.oscal import poam_to_oscal, write_oscal
    from punchlist.interchange.oscal_schema import OscalSchemaUnavailable, validate_oscal
    from punchlist.interchange.oscal_xml import write_oscal_xml

    poam, context, evidence = built.poam, built.context, built.evidence
    if not poam.items:
        raise InputError("the export holds no items: an OSCAL POA&M needs at least one")
    document = poam_to_oscal(poam, context, oscal_version=version, evidence=evidence)
    try:
        error = validate_oscal(document, version)
    except OscalSchemaUnavailable:
        error = None  # no schema here to check against; the tests check every export against both
    if error is not None:
        raise InputError(f"the OSCAL export is not valid ({error}); nothing was written")
    if xml:
        write_oscal_xml(poam, context, out, document=document)
    else:
        write_oscal(poam, context, out, oscal_version=version, evidence=evidence)

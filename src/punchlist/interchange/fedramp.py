"""The official FedRAMP POA&M template (v2.1), supplied by the user, filled with a POA&M's items.

Open items go to "Open POA&M Items" and closed ones to "Closed POA&M Items", from row 8 on, replacing the
template's example row; the header block (row 3) gets the organization, system and date, and row 4 the
marking. Everything else of the template stays: sheets, formats, validations, conditional formats. Column L
keeps the template's due-date formula on rows whose item has no scheduled completion date of its own.

The template is recognised by its header row (row 5, 31 columns); any other layout is refused by name,
row and column, rather than filling columns a receiver would read differently (template drift).
"""

from __future__ import annotations

from bisect import bisect_right
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.formula.translate import Translator
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from punchlist.core.records import ItemStatus, Poam, PoamItem, Severity
from punchlist.errors import InputError

from . import guards
from .cells import clean_xlsx_text, is_formula_like
from .exports import EvidenceMap, ExportContext, evidence_for, split_open_closed
from .notes import write_notes

OPEN_SHEET = "Open POA&M Items"
CLOSED_SHEET = "Closed POA&M Items"
# The sheets with the header block, whose empty row 4 takes the marking.
MARKED_SHEETS = (OPEN_SHEET, CLOSED_SHEET, "Configuration Findings")
HEADER_ROW = 5
FIRST_ROW = 8  # rows 6 and 7 describe the columns; row 8 holds the template's example
FORMULA_COLUMN = "L"

FEDRAMP_2_1_HEADERS = (
    "POAM ID", "Controls", "Weakness Name", "Weakness Description", "Weakness Detector Source",
    "Weakness Source Identifier", "Asset Identifier", "Point of Contact", "Resources Required",
    "Overall Remediation Plan", "Original Detection Date", "Scheduled Completion Date", "Planned Milestones",
    "Milestone Changes", "Status Date", "Vendor Dependency", "Last Vendor Check-in Date",
    "Vendor Dependent Product Name", "Original Risk Rating", "Adjusted Risk Rating", "Risk Adjustment",
    "False Positive", "Operational Requirement", "Deviation Rationale", "Supporting Documents", "Comments",
    "Auto-Approve", "Binding Operational Directive 22-01 tracking",
    "Binding Operational Directive 22-01 Due Date", "CVE", "Service Name",
)
KNOWN_LAYOUTS = {"2.1": FEDRAMP_2_1_HEADERS}
HEADER_BLOCK = ("CSP", "System Name", "Impact Level", "POAM Date")

# FedRAMP rates Low, Moderate or High; a critical weakness is High there (and said so in Comments).
RISK_RATING = {Severity.LOW: "Low", Severity.MODERATE: "Moderate", Severity.HIGH: "High",
               Severity.CRITICAL: "High"}


def _normal(value) -> str:
    return " ".join(str(value).split()).casefold() if value is not None else ""


def detect_version(workbook, *, file: str | None = None) -> str:
    """The template version whose header row this workbook has; InputError naming the first mismatch."""
    for sheet_name in (OPEN_SHEET, CLOSED_SHEET):
        if sheet_name not in workbook.sheetnames:
            raise InputError(f"not a known FedRAMP POA&M template: it has no sheet {sheet_name!r} "
                             f"(sheets: {', '.join(workbook.sheetnames)})", file=file)
    sheet = workbook[OPEN_SHEET]
    for version, headers in KNOWN_LAYOUTS.items():
        if _headers_match(sheet, headers) and _headers_match(workbook[CLOSED_SHEET], headers):
            return version
    # Name the first difference from the newest known layout, so the user sees what changed.
    version, headers = list(KNOWN_LAYOUTS.items())[-1]
    for sheet_name in (OPEN_SHEET, CLOSED_SHEET):
        sheet = workbook[sheet_name]
        for number, expected in enumerate(headers, 1):
            found = sheet.cell(HEADER_ROW, number).value
            if _normal(found) != _normal(expected):
                raise InputError(f"unknown FedRAMP template layout in sheet {sheet_name!r}: found {found!r} where "
                                 f"template v{version} has {expected!r}; refusing to fill columns a receiver "
                                 "would read differently", file=file, row=HEADER_ROW,
                                 column=get_column_letter(number))
        extra = sheet.cell(HEADER_ROW, len(headers) + 1).value
        if extra is not None:
            raise InputError(f"unknown FedRAMP template layout in sheet {sheet_name!r}: a column {extra!r} "
                             f"after the {len(headers)} of template v{version}", file=file, row=HEADER_ROW,
                             column=get_column_letter(len(headers) + 1))
    raise InputError("unknown FedRAMP template layout", file=file)  # pragma: no cover - caught above


def _headers_match(sheet, headers) -> bool:
    found = [sheet.cell(HEADER_ROW, number).value for number in range(1, len(headers) + 2)]
    block = [sheet.cell(2, number).value for number in range(1, len(HEADER_BLOCK) + 1)]
    return ([_normal(v) for v in found] == [_normal(h) for h in headers] + [""]
            and [_normal(v) for v in block] == [_normal(h) for h in HEADER_BLOCK])


def _set(cell, value) -> None:
    """Put a value in a template cell; text stays text (never a formula), dates get a date format."""
    if isinstance(value, str):
        value = clean_xlsx_text(value)
        cell.value = value
        if is_formula_like(value):
            cell.data_type = "s"
            cell.quotePrefix = True
        return
    cell.value = value
    if value is not None and hasattr(value, "isoformat") and cell.number_format == "General":
        cell.number_format = "yyyy-mm-dd"


def _milestones(item: PoamItem) -> tuple[str, str]:
    """Column M ("(##) yyyy-mm-dd: description", blank-line separated) and N (completions)."""
    planned, changes = [], []
    for number, milestone in enumerate(item.milestones, 1):
        due = f" {milestone.due.isoformat()}" if milestone.due else ""
        planned.append(f"({number}){due}: {milestone.description}")
        if milestone.done_on:
            changes.append(f"({number}) Complete {milestone.done_on.isoformat()} : {milestone.description}")
    return "\n\n".join(planned), "\n\n".join(changes)


def _comments(item: PoamItem, status_date) -> str:
    """Column Z: the item's comments, then what the template has no column for (``notes``)."""
    values = {"status": item.status.value, "kind": item.kind.value,
              "severity": item.severity.value if item.severity is Severity.CRITICAL else None,
              "responsible_unit": item.responsible_unit, "supporting_owner": item.supporting_owner,
              "approval_authority": item.approval_authority, "evidence_custodian": item.evidence_custodian,
              "objectives": item.objectives, "completion_date": item.completion_date,
              "last_updated": item.last_updated if status_date != item.last_updated else None,
              "interim_mitigation": item.interim_mitigation, "likelihood": item.likelihood, "impact": item.impact,
              "vendor_involvement": item.vendor_involvement, "budget_money": item.budget_money,
              "budget_hours": item.budget_hours, "decision_needed": item.decision_needed,
              "touches_cui": item.touches_cui, "blocked_by": item.blocked_by,
              "milestones": ", ".join(f"({number}) {milestone.done_on.isoformat()}"
                                      for number, milestone in enumerate(item.milestones, 1) if milestone.done_on)}
    if item.original_id and item.id and item.original_id != item.id:
        values["id"] = item.id  # column A holds the id the item came with; the register's own is kept here
    return write_notes(item, values)


def _row_values(item: PoamItem, evidence: EvidenceMap | None) -> dict[str, object]:
    planned, changes = _milestones(item)
    documents = "\n".join(f"Evidence : {entry.description}" + (f" (SHA-256 {entry.sha256})" if entry.sha256 else "")
                          for entry in evidence_for(item, evidence))
    status_date = item.completion_date if item.status is ItemStatus.CLOSED and item.completion_date else None
    status_date = status_date or item.last_updated
    vendor = None if item.vendor_dependency is None else ("Yes" if item.vendor_dependency else "No")
    return {
        "A": item.original_id or item.id, "B": "\n".join(item.requirements) or None, "C": item.title or None,
        "D": item.weakness or None, "E": item.source or None, "F": item.source_identifier or None,
        "G": item.assets or None, "H": item.primary_owner or None,
        "I": item.resources or None, "J": item.remediation or None, "K": item.start_date,
        "L": item.scheduled_completion, "M": planned or None, "N": changes or None,
        "O": status_date, "P": vendor, "Q": item.vendor_check_in, "R": item.vendor_product or None,
        "S": RISK_RATING.get(item.severity), "T": item.residual_risk or None, "U": item.risk_adjustment or None,
        "Y": documents or None, "Z": _comments(item, status_date), "AD": item.cves or None,
    }


def _is_formula(value) -> bool:
    return isinstance(value, str) and value.startswith("=")


def _fill(sheet, items: list[PoamItem], evidence: EvidenceMap | None) -> None:
    template_last = sheet.max_row
    # Rows whose template cell has the due-date formula; a row without one takes the nearest one's.
    formula_rows = [row for row in range(FIRST_ROW, template_last + 1)
                    if _is_formula(sheet[f"{FORMULA_COLUMN}{row}"].value)]
    width = len(FEDRAMP_2_1_HEADERS)
    for column in range(1, width + 1):  # the example row goes
        sheet.cell(FIRST_ROW, column).value = None
    for offset, item in enumerate(items):
        row = FIRST_ROW + offset
        for letter, value in _row_values(item, evidence).items():
            cell = sheet[f"{letter}{row}"]
            if letter == FORMULA_COLUMN and value is None:
                # No date of the item's own: the template's formula computes it from K and the ratings.
                if _is_formula(cell.value):
                    continue
                cell.value = _nearest_formula(sheet, formula_rows, row)
                continue
            _set(cell, value)
    last = FIRST_ROW + len(items) - 1
    if last > template_last:
        _extend_validations(sheet, template_last, last)


def _nearest_formula(sheet, formula_rows: list[int], row: int) -> str | None:
    if not formula_rows:
        return None
    before = bisect_right(formula_rows, row)
    origin = formula_rows[before - 1] if before else formula_rows[0]
    source = f"{FORMULA_COLUMN}{origin}"
    return Translator(sheet[source].value, origin=source).translate_formula(f"{FORMULA_COLUMN}{row}")


def _extend_validations(sheet, template_last: int, last: int) -> None:
    """Drop-downs and date checks that reach the template's last row reach the last item too."""
    for validation in sheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            if cell_range.max_row == template_last and cell_range.min_row <= FIRST_ROW:
                cell_range.expand(down=last - template_last)


def fill_fedramp_template(poam: Poam, context: ExportContext, template: str | Path, output: str | Path, *,
                          evidence: EvidenceMap | None = None) -> Path:
    """Fill a copy of ``template`` and write it to ``output`` (the template file itself is not changed)."""
    template, output = Path(template), Path(output)
    if output.resolve() == template.resolve():
        raise InputError("the filled template must be written to a new file, not over the template",
                         file=str(output))
    try:  # a zip bomb or a DTD never reaches openpyxl
        kind = guards.check_file(template, label=str(template))
    except InputError as error:
        raise InputError(f"not a readable XLSX workbook: {error.message}", file=str(template)) from None
    if kind != "XLSX":
        raise InputError(f"not a readable XLSX workbook: it is {guards.describe(kind)}", file=str(template))
    try:
        workbook = load_workbook(template)
    except Exception as error:  # openpyxl raises many kinds for a file that is not an XLSX workbook
        raise InputError(f"not a readable XLSX workbook: {error}", file=str(template)) from None
    detect_version(workbook, file=str(template))
    open_items, closed_items = split_open_closed(poam)
    marking_font = Font(bold=True, color="9C0006")
    for sheet in workbook.worksheets:
        sheet.oddHeader.center.text = context.marking
        if sheet.title in MARKED_SHEETS:
            _set(sheet["A4"], context.banner)
            sheet["A4"].font = marking_font
    for sheet_name, items in ((OPEN_SHEET, open_items), (CLOSED_SHEET, closed_items)):
        sheet = workbook[sheet_name]
        _set(sheet["A3"], context.organization)
        _set(sheet["B3"], context.system)
        _set(sheet["D3"], context.generated_utc.date())
        _fill(sheet, items, evidence)
    temporary = output.with_name(output.name + ".part")
    try:
        workbook.save(temporary)
        temporary.replace(output)
    finally:
        temporary.unlink(missing_ok=True)
    return output

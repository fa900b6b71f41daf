"""The assessor-ready Punchlist workbook (XLSX), written in openpyxl's write-only mode.

Sheets: Summary (counts by family and status; score and verdict when given), Open items, Closed items,
Milestones, People (the four roles), Evidence. Every sheet starts with the marking line, then a frozen,
filtered header row; status and severity columns carry drop-downs. User text is never a formula
(``cells.xlsx_row``). Write-only mode streams rows to disk: 50,000 items cost little more than the bare
cells (the benchmark's measure).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from punchlist.core.catalog import load_catalog
from punchlist.core.records import ItemStatus, Poam, PoamItem, Severity

from .cells import xlsx_row
from .exports import (ITEM_COLUMNS, ITEM_HEADERS, ROLES, EvidenceMap, ExportContext, evidence_for, family_of,
                      item_values, split_open_closed)

HEADER_ROW = 2
FIRST_DATA_ROW = 3
# Drop-downs reach this far below the data, so rows a person adds get them too.
VALIDATION_SPARE_ROWS = 1000
_BOLD = Font(bold=True)
_MARKING_FONT = Font(bold=True, color="9C0006")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_HEADER_ALIGN = Alignment(wrap_text=True, vertical="top")

_WIDTHS = {
    "id": 16, "requirements": 16, "objectives": 16, "title": 36, "weakness": 50, "severity": 11,
    "status": 14, "kind": 22, "remediation": 50, "milestones": 50, "responsible_unit": 20,
    "primary_owner": 24, "supporting_owner": 24, "approval_authority": 24, "evidence_custodian": 24,
    "resources": 30, "source": 20, "start_date": 12, "scheduled_completion": 14, "completion_date": 12,
    "last_updated": 12, "evidence": 40, "original_id": 14, "assets": 24, "cves": 18, "source_identifier": 18,
    "interim_mitigation": 36, "likelihood": 12, "impact": 12, "residual_risk": 12, "risk_adjustment": 12,
    "vendor_dependency": 10, "vendor_product": 20, "vendor_check_in": 12, "vendor_involvement": 30,
    "budget_money": 12, "budget_hours": 10, "decision_needed": 36, "touches_cui": 10, "blocked_by": 20,
    "comments": 40,
}
MILESTONE_HEADERS = ("POAM ID", "#", "Milestone", "Due", "Done On", "Item Status")
PEOPLE_HEADERS = ("Person", "Role", "Open Items", "Closed Items", "POAM IDs")
EVIDENCE_HEADERS = ("POAM ID", "Evidence", "File or Link", "SHA-256", "Size (bytes)", "Added By", "Added On")


def _sheet(workbook: Workbook, title: str, context: ExportContext, headers, widths, rows: int):
    """A write-only sheet with its widths, frozen header, filter and page header set before any row."""
    sheet = workbook.create_sheet(title)
    for number, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(number)].width = width
    sheet.freeze_panes = f"B{FIRST_DATA_ROW}"
    last = get_column_letter(len(headers))
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{last}{max(HEADER_ROW + rows, FIRST_DATA_ROW)}"
    sheet.oddHeader.center.text = context.marking
    sheet.oddFooter.center.text = f"{context.organization} - {context.system} - page &P of &N"
    banner = WriteOnlyCell(sheet, context.banner)
    banner.font = _MARKING_FONT
    sheet.append([banner])
    header_cells = []
    for text in headers:
        cell = WriteOnlyCell(sheet, text)
        cell.font, cell.fill, cell.alignment = _BOLD, _HEADER_FILL, _HEADER_ALIGN
        header_cells.append(cell)
    sheet.append(header_cells)
    return sheet


def _drop_down(sheet, column: int, values, rows: int) -> None:
    letter = get_column_letter(column)
    validation = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True,
                                showErrorMessage=True, errorTitle="Not a listed value",
                                error="Choose a value from the list.")
    validation.add(f"{letter}{FIRST_DATA_ROW}:{letter}{FIRST_DATA_ROW + rows + VALIDATION_SPARE_ROWS}")
    sheet.data_validations.append(validation)


_STATUS_COLUMN = 1 + [field for field, _ in ITEM_COLUMNS].index("status")
_SEVERITY_COLUMN = 1 + [field for field, _ in ITEM_COLUMNS].index("severity")


def _items_sheet(workbook, title, context, items: list[PoamItem]) -> None:
    sheet = _sheet(workbook, title, context, ITEM_HEADERS, [_WIDTHS[f] for f, _ in ITEM_COLUMNS], len(items))
    _drop_down(sheet, _STATUS_COLUMN, [s.value for s in ItemStatus], len(items))
    _drop_down(sheet, _SEVERITY_COLUMN, [s.value for s in Severity], len(items))
    append = sheet.append
    for item in items:
        append(xlsx_row(sheet, item_values(item)))


def _summary_sheet(workbook, context: ExportContext, poam: Poam) -> None:
    catalog = load_catalog()
    statuses = [s for s in ItemStatus]
    families = list(catalog.families) + ["?"]
    counts = Counter((family_of(item), item.status) for item in poam.items)
    headers = ["Family", "Family Name"] + [s.value for s in statuses] + ["Total"]
    sheet = _sheet(workbook, "Summary", context, headers, [12, 40] + [12] * (len(statuses) + 1),
                   len(families) + 1)
    names = {r.family: r.family_name for r in catalog}
    names["?"] = "No known 800-171 requirement"
    for family in families:
        row = [counts[(family, status)] for status in statuses]
        if family != "?" or any(row):
            sheet.append([family, names[family], *row, sum(row)])
    totals = [sum(counts[(f, s)] for f in families) for s in statuses]
    sheet.append(["All", "", *totals, sum(totals)])
    sheet.append([])
    facts = [("Organization", context.organization), ("System", context.system),
             ("Generated", context.generated_utc.strftime("%Y-%m-%d %H:%M UTC")),
             ("Marking", context.marking), ("Items", len(poam.items))]
    if context.score is not None:
        facts.append(("SPRS score", context.score))
    if context.verdict is not None:
        facts.append(("Level 2 verdict", context.verdict))
    for label, value in facts:
        sheet.append(xlsx_row(sheet, [label, value]))


def _milestones_sheet(workbook, context, poam: Poam) -> None:
    total = sum(len(item.milestones) for item in poam.items)
    sheet = _sheet(workbook, "Milestones", context, MILESTONE_HEADERS, [16, 5, 60, 12, 12, 14], total)
    for item in poam.items:
        for number, milestone in enumerate(item.milestones, 1):
            sheet.append(xlsx_row(sheet, [item.id, number, milestone.description or None, milestone.due,
                                          milestone.done_on, item.status.value]))


def _people_sheet(workbook, context, poam: Poam) -> None:
    held: dict[tuple[str, str], list[PoamItem]] = {}
    for item in poam.items:
        for field, role in ROLES:
            name = getattr(item, field)
            if name:
                held.setdefault((name, role), []).append(item)
    sheet = _sheet(workbook, "People", context, PEOPLE_HEADERS, [30, 20, 11, 11, 60], len(held))
    for (name, role), items in sorted(held.items(), key=lambda pair: (pair[0][0].casefold(), pair[0][1])):
        open_count = sum(1 for item in items if item.status.is_open)
        ids = ", ".join(item.id for item in items if item.id)
        sheet.append(xlsx_row(sheet, [name, role, open_count, len(items) - open_count, ids or None]))


def _evidence_sheet(workbook, context, poam: Poam, evidence: EvidenceMap | None) -> None:
    rows = [(item, entry) for item in poam.items for entry in evidence_for(item, evidence)]
    sheet = _sheet(workbook, "Evidence", context, EVIDENCE_HEADERS, [16, 60, 30, 66, 12, 24, 12], len(rows))
    for item, entry in rows:
        sheet.append(xlsx_row(sheet, [item.id, entry.description or None, entry.href or entry.filename,
                                      entry.sha256, entry.size, entry.added_by, entry.added_on]))


def write_workbook(poam: Poam, context: ExportContext, path: str | Path, *,
                   evidence: EvidenceMap | None = None) -> Path:
    """Write the workbook to ``path`` (through a temporary file: nothing half-written is left behind)."""
    path = Path(path)
    open_items, closed_items = split_open_closed(poam)
    workbook = Workbook(write_only=True)
    temporary = path.with_name(path.name + ".part")
    try:
        _summary_sheet(workbook, context, poam)
        _items_sheet(workbook, "Open items", context, open_items)
        _items_sheet(workbook, "Closed items", context, closed_items)
        _milestones_sheet(workbook, context, poam)
        _people_sheet(workbook, context, poam)
        _evidence_sheet(workbook, context, poam, evidence)
        workbook.save(temporary)
        temporary.replace(path)
    except BaseException:
        _discard(workbook)
        raise
    finally:
        temporary.unlink(missing_ok=True)
    return path


def _discard(workbook: Workbook) -> None:
    """Close and remove the sheets' streams after a failure, so no temporary file or open stream is left.

    openpyxl has no public way to abandon a write-only workbook; its writer's own close and cleanup do it.
    """
    for sheet in workbook.worksheets:
        writer = getattr(sheet, "_writer", None)
        if writer is None:
            continue
        for step in (getattr(sheet._rows, "close", None), writer.close, writer.cleanup):
            try:
                if step is not None:
                    step()
            except Exception:  # the stream may already be broken; the aim is only to release it
                pass

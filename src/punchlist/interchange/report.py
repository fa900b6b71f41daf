"""What a reader made of a sheet's columns, said to the person: which column each field was read from, and
which columns were left unread. No column is dropped silently (``punchlist lint``, ``score``, ``import --check``
print this, text and ``--format json`` key ``columns``)."""

from __future__ import annotations

from collections.abc import Sequence

from .columns import Layout
from .mapping import cell_header, column_letter


def sheet_columns(sheet_name: str, header_number: int, header_row: Sequence, layout: Layout,
                  rows: Sequence[Sequence] = ()) -> dict:
    """One sheet's columns as read: ``{"sheet", "header_row", "read": {field: [{"header", "column"}...]},
    "unread": [{"header", "column"}...]}``. A column under no header but with data is unread too."""
    read: dict[str, list[dict]] = {}
    used = set()
    for name, places in layout.columns.items():
        read[name] = [{"header": cell_header(header_row[p]) if p < len(header_row) else "",
                       "column": column_letter(p)} for p in places]
        used.update(places)
    unread = []
    width = max([len(header_row)] + [len(row) for row in rows[:50]])
    for index in range(width):
        if index in used:
            continue
        header = cell_header(header_row[index]) if index < len(header_row) else ""
        if header or any(index < len(row) and row[index] not in ("", None) for row in rows[:50]):
            unread.append({"header": header, "column": column_letter(index)})
    return {"sheet": sheet_name, "header_row": header_number, "read": read, "unread": unread}


def _place(entry: dict) -> str:
    return f'"{entry["header"]}" ({entry["column"]})' if entry["header"] else f"column {entry['column']}"


def columns_text(columns: list[dict], labels: dict[str, str] | None = None) -> list[str]:
    """The lines that say it: "read: Weakness <- "Weakness / Deficiency" (C); ...", "left unread: ..."."""
    labels = labels or {}
    lines = []
    for sheet in columns:
        where = f"sheet {sheet['sheet']!r}, " if sheet.get("sheet") else ""
        read = "; ".join(f"{labels.get(name, name)} <- " + " then ".join(_place(e) for e in entries)
                         for name, entries in sheet["read"].items())
        lines.append(f"columns ({where}header row {sheet['header_row']}): read {read or 'nothing'}")
        if sheet["unread"]:
            lines.append(f"columns left unread ({len(sheet['unread'])}): "
                         + ", ".join(_place(e) for e in sheet["unread"]))
        else:
            lines.append("columns left unread: none")
    return lines


def shown_name(sheet) -> str:
    """The sheet's name where the file has several (its label then names it), else "" (a CSV file)."""
    return sheet.name if sheet.label.endswith("]") else ""

"""The POA&M as one CSV file: UTF-8 with a byte-order mark so that Excel reads the accents right.

The first line is the marking; then the header and one row per item, with the workbook's item columns
(``exports.ITEM_COLUMNS``) plus nothing else. Text that a spreadsheet would run as a formula is escaped.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from punchlist.core.records import Poam

from .cells import csv_row
from .exports import ITEM_HEADERS, ExportContext, item_values


def _write(poam: Poam, context: ExportContext, handle) -> None:
    writer = csv.writer(handle, lineterminator="\r\n")
    writer.writerow(csv_row([context.banner]))
    writer.writerow(ITEM_HEADERS)
    writer.writerows(csv_row(item_values(item)) for item in poam.items)


def csv_bytes(poam: Poam, context: ExportContext) -> bytes:
    buffer = io.StringIO(newline="")
    _write(poam, context, buffer)
    return buffer.getvalue().encode("utf-8-sig")


def write_csv(poam: Poam, context: ExportContext, path: str | Path) -> Path:
    """Write the file through a temporary one, so that nothing half-written is left behind."""
    path = Path(path)
    temporary = path.with_name(path.name + ".part")
    try:
        with open(temporary, "w", encoding="utf-8-sig", newline="") as handle:
            _write(poam, context, handle)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
    return path

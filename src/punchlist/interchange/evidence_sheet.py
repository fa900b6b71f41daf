"""The Evidence sheet of Punchlist's workbook, read back: each piece of evidence of each item with its file name,
SHA-256 and size or its link, so that a workbook round trip keeps what identifies the evidence, not only its
words. A sheet of another layout is left alone."""

from __future__ import annotations

from punchlist.core.records import EvidenceDetail, PoamItem

from .sources import Book
from .values import key, text

SHEET = "Evidence"
HEADERS = ("POAM ID", "Evidence", "File or Link", "SHA-256", "Size (bytes)")
_HEADER_KEYS = [key(header) for header in HEADERS]
_SEARCH_ROWS = 5


def attach_evidence(book: Book, items: list[PoamItem]) -> bool:
    """Give each item with a file or a link among its evidence every piece the workbook's Evidence sheet lists
    for it; True if the sheet was read."""
    if SHEET not in book.names:
        return False
    rows = book.sheet(SHEET).rows()
    start = next((index for index, row in enumerate(rows[:_SEARCH_ROWS])
                  if [key(text(cell)) for cell in row[:len(HEADERS)]] == _HEADER_KEYS), None)
    if start is None:
        return False
    by_id = {item.id: item for item in items if item.id}
    found: dict[str, list[EvidenceDetail]] = {}
    for row in rows[start + 1:]:
        cells = [text(cell) for cell in list(row[:len(HEADERS)]) + [""] * (len(HEADERS) - len(row))]
        item = by_id.get(cells[0])
        if item is None or not (cells[1] or cells[2]):
            continue
        where, sha256 = cells[2], cells[3].lower()
        link = where if "://" in where else ""
        filename = where if where and not link else ""
        description = cells[1]
        if filename and description.startswith(f"{filename}: "):
            description = description[len(filename) + 2:]
        elif description == filename:
            description = ""
        size = int(float(cells[4])) if cells[4].replace(".", "", 1).isdigit() else None
        found.setdefault(cells[0], []).append(EvidenceDetail(description, filename, link, sha256, size))
    for identifier, details in found.items():
        # Words alone are the items' Evidence column already; a file or a link is what the sheet adds.
        if any(d.filename or d.link or d.sha256 for d in details):
            by_id[identifier].evidence_details = details
    return True

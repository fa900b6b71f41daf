"""Files to and from core records: a contractor's own XLSX, XLS, ODS and CSV files, OSCAL POA&M (JSON, XML, YAML),
and scanners' reports and STIG checklists (``scanners``).

No business rules live here (no scoring, no lint judgements), only the mapping of cells to records, with an
InputError naming file, row and column for whatever cannot be mapped. Every file passes ``guards`` first.
"""

from __future__ import annotations

import os

from punchlist.core.records import Poam

from .assessment import read_assessment
from .guards import UPLOAD_LIMITS, Limits
from .inspection import Inspection, inspect_poam_file
from .mapping import FIELD_LABELS, FIELDS, ColumnMapping
from .poam import BATCH, PoamStream, read_poam, stream_poam

__all__ = ["FIELDS", "FIELD_LABELS", "ColumnMapping", "Inspection", "inspect_poam_file", "read_assessment",
           "read_poam", "read_poam_file", "stream_poam_file", "PoamStream", "BATCH"]


def read_poam_file(path: str | os.PathLike, *, schema_dir: str | os.PathLike | None = None,
                   limits: Limits = UPLOAD_LIMITS, mapping: ColumnMapping | None = None) -> Poam:
    """The POA&M in whichever file a user brings: OSCAL POA&M (JSON, XML or YAML) or a spreadsheet, told apart by content.

    The file passes the guards with ``limits`` first (by default an upload's: every part that holds cells
    is expanded and checked before a parser sees it, and no field may be longer than a spreadsheet cell).
    ``mapping`` (a spreadsheet's columns as a person mapped them) is refused for OSCAL JSON, which names its
    fields itself. InputError, naming the file (and row and column where there is one), for anything unreadable.
    """
    stream = stream_poam_file(path, schema_dir=schema_dir, limits=limits, mapping=mapping, whole=True)
    items = [item for batch in stream.batches() for item in batch]
    stream.raise_errors()
    return Poam(items=items, fields=stream.fields, source=stream.source, columns=stream.columns, notes=stream.notes,
                needs_requirement=stream.needs_requirement)


def stream_poam_file(path: str | os.PathLike, *, schema_dir: str | os.PathLike | None = None,
                     limits: Limits = UPLOAD_LIMITS, mapping: ColumnMapping | None = None, whole: bool = False,
                     keep: int | None = None) -> PoamStream:
    """``read_poam_file`` a batch at a time (``PoamStream``), for an import that must not hold the whole file:
    the guards run now, the rows are read, mapped and checked for outsized fields as the batches are asked
    for; bad cells are kept in the stream's ``errors`` (at most ``keep``), an outsized field raises."""
    from punchlist.errors import InputError

    from . import guards

    label = os.fspath(path)
    kind = guards.check_upload(path, label=label, limits=limits)
    if kind in guards.OSCAL_KINDS:
        if mapping is not None and (mapping.columns or mapping.header_row or mapping.sheet):
            raise InputError(f"an OSCAL {kind} document names its fields itself: it has no columns to map",
                             file=label)
        from .oscal_import import read_oscal_poam

        return PoamStream.of(read_oscal_poam(path, schema_dir=schema_dir, max_bytes=limits.file_bytes))
    if kind in guards.SCANNER_KINDS:
        if mapping is not None and (mapping.columns or mapping.header_row or mapping.sheet):
            raise InputError(f"{guards.describe(kind)} names its fields itself: it has no columns to map", file=label)
        # Read without the register's scan history: each finding first seen in this scan. An import into the
        # register goes through ``register.scans``, which gives the history.
        from .scanners import read_scan, to_poam

        return PoamStream.of(to_poam(read_scan(path, label=label, limits=limits)))
    stream = stream_poam(path, mapping, whole=whole, keep=keep)
    # XLS, XLSB and CSV cells, which expand_parts cannot see, as each batch is read
    stream.check = lambda batch: guards.check_items(Poam(items=batch), label, limits)
    return stream

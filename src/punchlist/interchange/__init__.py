"""Files to and from core records: a contractor's own XLSX, XLS, ODS and CSV files, and OSCAL POA&M JSON.

No business rules live here (no scoring, no lint judgements), only the mapping of cells to records, with an
InputError naming file, row and column for whatever cannot be mapped. Every file passes ``guards`` first.
"""

from __future__ import annotations

import os

from punchlist.core.records import Poam

from .assessment import read_assessment
from .guards import UPLOAD_LIMITS, Limits
from .poam import read_poam

__all__ = ["read_assessment", "read_poam", "read_poam_file"]


def read_poam_file(path: str | os.PathLike, *, schema_dir: str | os.PathLike | None = None,
                   limits: Limits = UPLOAD_LIMITS) -> Poam:
    """The POA&M in whichever file a user brings: OSCAL POA&M JSON or a spreadsheet, told apart by content.

    The file passes the guards with ``limits`` first (by default an upload's: every part that holds cells
    is expanded and checked before a parser sees it, and no field may be longer than a spreadsheet cell).
    InputError, naming the file (and row and column where there is one), for anything unreadable.
    """
    from punchlist.errors import InputError

    from . import guards

    label = os.fspath(path)
    kind = guards.check_file(path, label=label, limits=limits)
    if kind == "JSON":
        from .oscal_import import read_oscal_poam

        return read_oscal_poam(path, schema_dir=schema_dir, max_bytes=limits.file_bytes)
    if os.fspath(path).lower().endswith(".json"):
        raise InputError(f"the file is named .json but holds {guards.describe(kind)}, not OSCAL JSON; give it its "
                         "own suffix", file=label)
    poam = read_poam(path)
    guards.check_items(poam, label, limits)  # XLS, XLSB and CSV cells, which expand_parts cannot see
    return poam

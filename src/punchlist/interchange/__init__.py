"""Files to and from core records: a contractor's own XLSX, XLS, ODS and CSV files.

No business rules live here (no scoring, no lint judgements), only the mapping of cells to records, with an
InputError naming file, row and column for whatever cannot be mapped.
"""

from .assessment import read_assessment
from .poam import read_poam

__all__ = ["read_assessment", "read_poam"]

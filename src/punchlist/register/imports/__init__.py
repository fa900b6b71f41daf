"""Importing into the register what ``punchlist.interchange`` read from a file: all rows or none.

Every row is checked before anything is written, and every problem is reported at once with its row and
column (punchlist.errors.InputErrors). The writes then happen in one transaction: rows that name an item the
register already holds (by the file's id, or by our own POAM-... identifier) update it through the same
services as any edit, with the reason "updated by import of FILE"; new rows are inserted in bulk with one
hash-chained audit event each. A process killed part-way leaves the database exactly as it was.
"""

from .assessment import import_assessment
from .poam import ImportResult, check_poam, import_poam

__all__ = ["ImportResult", "check_poam", "import_assessment", "import_poam"]

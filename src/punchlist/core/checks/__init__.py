"""The assessor's eye over a POA&M: ``lint(poam, as_of=..., level=...)`` returns what an assessor would object to.

Pure Python (no Django, no files): ``punchlist lint FILE`` and the web app's register both call it.
Each finding says what is wrong and what good looks like, citing the rule ids of
``shared/reference/cmmc-rules.md`` (R-POAM-*, R-CLOSE-*, R-CONT-*).
"""

from .findings import CHECKS, LintFinding
from .linter import lint

__all__ = ["CHECKS", "LintFinding", "lint"]

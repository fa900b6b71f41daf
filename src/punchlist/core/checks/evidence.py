"""Does an item's evidence name an artefact, or only say that the work was done?

"Completed", "Done", "Fixed" or "Yes" in an evidence column is a status, not evidence: nothing an assessor could
open, re-run or look at (R-CONT-3: closure verified on evidence; R-AFF-3: artefacts kept six years).
"""

from __future__ import annotations

import re
from functools import lru_cache

_STATUS_ONLY = re.compile(
    r"""(?ix)^\s*
    (?:(?:it\s+)?(?:is|was|has\s+been)\s+)?
    (?:completed?|done|fixed|resolved|remediated|closed|implemented|verified|mitigated|finished|patched|
       addressed|corrected|in\s+place|yes|y|ok|okay|x|n/?a|none|tbd|see\s+above|see\s+notes?|as\s+above|
       confirmed|complete\s+and\s+verified|validated|-+|\u2014|\u2013|\u2713|\u2714)
    (?:\s*(?:on|as\s+of|by)?\s*[\d/.\-]{6,10})?                # "Completed 3/14/2026", "Done on 2026-03-14"
    \s*[.!]?\s*$""")


@lru_cache(maxsize=1 << 10)
def names_no_artefact(evidence: str) -> bool:
    """Whether recorded evidence is only a word that the work was done ("Completed", "Done 2026-03-14")."""
    return bool(_STATUS_ONLY.match(evidence))

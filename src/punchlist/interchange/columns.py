"""Which column holds what: the header names people and templates use, and finding the header row.

Names compare by ``values.key`` (case, spaces and punctuation ignored), so "POA&M ID", "POAM ID" and
"poam_id" are one name. Each field lists its names best first; where a file has several columns for one
field, the best-named column wins and the others fill in where it is blank.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .details import DETAIL_COLUMNS
from .headers import ASSESSMENT_RULES, POAM_RULES, Rule, by_rules, phrase
from .values import key

HEADER_SEARCH_ROWS = 20  # the header row is looked for in the first 20 rows of a sheet
_SAMPLE = 50  # cells looked at to tell what a column holds
_SAMPLE_ROWS = 1000  # and the rows looked through for them

REQUIREMENT_NAMES = (
    "Control", "Controls", "Control ID", "Control Number", "Control No", "Security Control",
    "NIST 800-171 Control", "NIST 800-171 Controls", "NIST SP 800-171 Control", "NIST Control", "800-171 Control",
    "Requirement", "Requirements", "Requirement ID", "Requirement Number", "Security Requirement",
    "Security Requirement ID", "NIST 800-171 Requirement", "800-171 Requirement", "Practice", "Practice ID",
    "CMMC Practice", "CMMC Practice ID", "CMMC Control", "CMMC ID", "Controls / APs", "Control / AP",
    "Controls / APs Affected",
)

POAM_COLUMNS: dict[str, tuple[str, ...]] = {
    "requirements": REQUIREMENT_NAMES,
    "objectives": ("NOT MET Objectives", "Objectives", "Objective", "Assessment Objectives",
                   "Assessment Objective", "NOT MET Objective"),
    "id": ("POA&M ID", "POA&M Item ID", "POA&M Number", "POA&M No", "Item ID", "Item Number", "Item No",
           "ID", "Finding ID", "Weakness ID"),
    "title": ("Weakness Name", "Title", "Weakness Title", "Item Title", "Finding Title", "Summary"),
    "weakness": ("Weakness", "Weakness Description", "Deficiency", "Deficiency Description", "Finding",
                 "Finding Description", "Gap", "Gap Description", "Control Vulnerability Description",
                 "Vulnerability Description", "Issue", "Issue Description", "Description"),
    "remediation": ("Remediation", "Remediation Plan", "Overall Remediation Plan", "Corrective Action",
                    "Corrective Actions", "Corrective Action Plan", "Planned Action", "Planned Actions",
                    "Remediation Action", "Remediation Actions", "Remediation Steps", "Action Plan",
                    "Plan of Action", "Mitigation Plan", "Fix Plan", "Fix", "Remediation Approach",
                    "Resolution Plan"),
    "primary_owner": ("Primary Owner", "Point of Contact", "POC", "POC Name", "Owner", "Responsible Person",
                      "Responsible Individual", "Responsible Party", "Responsible", "Assigned To", "Assignee",
                      "Action Owner", "Item Owner", "Remediation Owner", "Owner Name", "Accountable Owner",
                      "Who"),
    "supporting_owner": ("Supporting Owner", "Secondary Owner", "Secondary POC", "Supporting POC",
                         "Backup Owner"),
    "approval_authority": ("Approval Authority", "Approver", "Approved By", "Approving Official"),
    "evidence_custodian": ("Evidence Custodian", "Evidence Owner", "Custodian"),
    "responsible_unit": ("Responsible Unit", "Office/Org", "Office / Organization", "Responsible Office",
                         "Responsible Organization", "Department", "Dept", "Business Unit", "Team"),
    "resources": ("Resources Required", "Resources", "Resources Needed", "Resource Requirements", "Cost",
                  "Estimated Cost", "Cost Estimate", "Funding", "Budget"),
    "source": ("Source", "Weakness Detector Source", "Identification Source", "Source Identifying Vulnerability",
               "Source Identifying Weakness", "Finding Source", "Weakness Source", "Detection Source",
               "Identified By", "How Identified"),
    "start_date": ("Start Date", "Original Detection Date", "Date Identified", "Identified Date",
                   "Identification Date", "Detection Date", "Discovery Date", "Date Discovered", "Date Opened",
                   "Open Date", "Date Created", "Created"),
    "scheduled_completion": ("Scheduled Completion Date", "Scheduled Completion",
                             "POA&M Scheduled Completion Date", "Due Date", "Due", "Target Date",
                             "Target Completion Date", "Planned Completion", "Planned Completion Date",
                             "Estimated Completion Date", "Expected Completion Date", "Remediation Due Date",
                             "Deadline", "Target", "Target Completion", "Completion Target", "ECD"),
    "completion_date": ("Completion Date", "Actual Completion Date", "Actual Completion", "POA&M Completion Date",
                        "Date Closed", "Closed Date", "Close Date", "Closure Date", "Date Completed",
                        "Date Remediated", "Resolved Date"),
    "last_updated": ("Last Updated", "Status Date", "Last Update", "Date Updated", "Date of Last Update",
                     "Last Modified", "Updated", "Last Reviewed", "Last Review Date"),
    "milestones": ("Milestones", "Planned Milestones", "Milestone with Completion Dates",
                   "Milestones with Completion Dates", "Milestones and Dates", "Key Milestones", "Milestone",
                   "Milestone Description"),
    # eMASS's per-milestone columns: a milestone's dates beside its description, one milestone per row.
    "milestone_due": ("Milestone Scheduled Completion Date", "Milestone Due Date", "Milestone Date"),
    "milestone_done": ("Milestone Completion Date", "Milestone Completed On"),
    "milestone_status": ("Milestone Status",),
    "status": ("Status", "POA&M Status", "Item Status", "Current Status", "Remediation Status", "State",
               "Item State"),
    "severity": ("Severity", "Original Risk Rating", "Risk Level", "Risk Rating", "Raw Severity",
                 "Severity Level", "Criticality", "Risk"),
    "kind": ("Record Type", "Kind", "POA&M Type", "Item Type", "Plan Type", "Type"),
    "evidence": ("Evidence", "Verification Evidence", "Closure Evidence", "Supporting Documents",
                 "Evidence of Closure", "Evidence of Completion", "Supporting Evidence", "Artifacts", "Artifact"),
}
POAM_COLUMNS.update(DETAIL_COLUMNS)  # assets, CVEs, vendor, risk, cost, ...: kept whole (details.py)

# Generic names used only where the column's values fit: a "Type" of "Technical"/"Policy" is not a record
# kind, and a "Risk" that describes the risk in words is not a severity.
WEAK_NAMES = frozenset(key(name) for name in ("Type", "Risk", "Criticality"))

# Headers the templates carry that map to no item field. They still tell a header row from a data row.
OTHER_POAM_HEADERS = (
    # FedRAMP POA&M template v2.1
    "Weakness Source Identifier", "Asset Identifier", "Milestone Changes", "Vendor Dependency",
    "Last Vendor Check-in Date", "Vendor Dependent Product Name", "Adjusted Risk Rating", "Risk Adjustment",
    "False Positive", "Operational Requirement", "Deviation Rationale", "Comments", "Auto-Approve",
    "Binding Operational Directive 22-01 tracking", "Binding Operational Directive 22-01 Due Date", "CVE",
    "Service Name",
    # eMASS (Navy, USMC, Army, stig-manager)
    "Security Checks", "Milestone ID", "Milestone Status Comments",
    "POA&M Requested Risk Accepted Expiration Date", "Identification Source Details", "Devices Affected",
    "Mitigations", "Mitigations (in-house and in conjunction with the Navy CSSP)", "Predisposing Conditions",
    "Relevance of Threat", "Threat Description", "Likelihood", "Impact", "Impact Description",
    "Residual Risk Level", "Recommendations", "Resulting Residual Risk after Proposed Mitigations",
    "Identified in CFO Audit or other review",
    # common
    "Notes", "Family", "Control Family", "Priority", "Interim Mitigation", "Compensating Controls", "Asset",
    "Assets", "System", "Implementation Statement",
)

ASSESSMENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "requirement": REQUIREMENT_NAMES,
    "status": ("Status", "Determination", "Result", "Assessment Result", "Assessment Status",
               "Implementation Status", "Compliance Status", "Self-Assessment Status", "Finding", "MET / NOT MET",
               "Implemented", "Implemented?", "Compliant", "Compliant?"),
    "partial": ("Partial", "Partial Credit", "Partial Implementation", "Partially Implemented",
                "3-Point Case", "Partial (3 points)"),
    "implementation": ("Implementation Statement", "Implementation", "Implementation Description",
                       "Implementation Details", "Implementation Notes", "How Implemented", "SSP Statement"),
    "has_plan": ("Plan of Action", "Has Plan of Action", "Has Plan", "POA&M", "On POA&M", "In POA&M",
                 "Has POA&M", "POA&M ID", "POA&M Item", "POA&M Reference"),
}

OTHER_ASSESSMENT_HEADERS = (
    "Family", "Control Family", "Title", "Practice Title", "Control Title", "Control Name", "Requirement Text",
    "Description", "Points", "Weight", "Value", "Point Value", "Points Deducted", "Score", "Comments", "Notes",
    "Evidence", "Objective", "Objectives", "Assessment Objective", "Level", "Notes / Evidence",
)


@dataclass(frozen=True)
class Vocabulary:
    """The column names one kind of file may use."""

    columns: dict[str, tuple[str, ...]]
    other_headers: tuple[str, ...]
    key_field: str  # the column without which no header row is recognised (the requirement)
    rules: tuple[Rule, ...] = ()  # the words that say what a column holds, for headers named otherwise
    # header key -> (field, preference). Besides the names' keys: "~" + a name's words (headers.phrase), and
    # "?" + a field for a header read by its words (least preferred).
    rank: dict[str, tuple[str, int]] = field(init=False)
    known: frozenset[str] = field(init=False)

    def __post_init__(self):
        rank = {}
        for name, headers in self.columns.items():
            for preference, header in enumerate(headers):
                rank.setdefault(key(header), (name, preference))
                rank.setdefault("~" + phrase(header), (name, preference))
        for name in self.columns:
            rank["?" + name] = (name, _BY_WORDS)
        other = {key(h) for h in self.other_headers} | {"~" + phrase(h) for h in self.other_headers}
        object.__setattr__(self, "rank", rank)
        object.__setattr__(self, "known", frozenset(rank) | other)

    def read(self, cell) -> str | None:
        """The key a header cell answers to (see ``rank``), or None: no header the readers know.

        Its exact name first, then without a parenthesised note ("Status (Open/Closed)"), then its words as
        a known name's words ("Point of Contact" for "POC"), then the words that say what it holds. A header
        the templates use for something else ("Adjusted Risk Rating") is known and feeds no field.
        """
        if type(cell) is not str or not cell.strip() or cell.lstrip().startswith("${"):
            return None  # empty, or a template's placeholder ("${table:vuln.control}")
        if len(cell) > _NO_HEADER_LONGER:
            return None  # data, not a header: never made into words (a cell may hold megabytes)
        whole = key(cell)
        if whole in self.known:
            return whole
        bare = key(_PARENTHESIS.sub("", cell))
        if bare in self.known:
            return bare
        for keep_notes in (True, False):
            words = "~" + phrase(cell, keep_notes)
            if words != "~" and words in self.known:
                return words
        if len(cell) > _LONGEST_HEADER:
            return None  # a sentence (a template's description of the column, or data): no header
        name = by_rules(cell, self.rules)
        return None if name is None else "?" + name

    def accepted(self, name: str) -> str:
        return ", ".join(f'"{header}"' for header in self.columns[name])


_LONGEST_HEADER = 60  # longer cells are read by their words only where they are a known name
_NO_HEADER_LONGER = 500  # no header, known or not, is this long: such a cell is not looked at as one
_BY_WORDS = 1000  # the preference of a header read by its words: after every name given above

POAM = Vocabulary(POAM_COLUMNS, OTHER_POAM_HEADERS, "requirements", POAM_RULES)
ASSESSMENT = Vocabulary(ASSESSMENT_COLUMNS, OTHER_ASSESSMENT_HEADERS, "requirement", ASSESSMENT_RULES)


@dataclass
class Layout:
    """Where the header row is and which columns (best first) hold each field."""

    header_index: int  # index of the header row in the sheet's rows
    headers: dict[int, str]  # column index -> the header as written
    columns: dict[str, list[int]]

    def header(self, index: int) -> str:
        return self.headers[index]


_PARENTHESIS = re.compile(r"\([^)]*\)")


def field_of_header(header: str, vocabulary: Vocabulary | None = None) -> str | None:
    """The field a column under ``header`` is read as (POA&M fields by default); None: read as no field."""
    found = (vocabulary or POAM).read(header)
    return (vocabulary or POAM).rank.get(found or "", (None,))[0]


def _header_key(cell, vocabulary: Vocabulary) -> str | None:
    """The key a header cell matches (``Vocabulary.read``)."""
    return vocabulary.read(cell)


def find_layout(head: Sequence[Sequence], vocabulary: Vocabulary, passes=(False, True)) -> Layout | None:
    """The header row among ``head`` (the sheet's first rows): the one with the most known names.

    It must name the requirement column. The most known names wins, and the first such row on a tie, so a
    title above the header that happens to say "Control" loses to the header itself.
    """
    rows = [(index, row, [_header_key(cell, vocabulary) for cell in row]) for index, row in enumerate(head)]
    best = None
    # The requirement column named by a known name first; only where no row has one, by its words (a data
    # row's "Access Control" must not beat a header row's "Control").
    for by_words in passes:
        best, best_score = None, 0
        for index, row, keys in rows:
            score = sum(1 for k in keys if k)
            if score > best_score and any(vocabulary.rank.get(k, ("",))[0] == vocabulary.key_field
                                          and (by_words or not k.startswith("?")) for k in keys):
                best, best_score = (index, row, keys), score
        if best is not None:
            break
    if best is None:
        return None
    index, row, keys = best
    return _layout(index, row, keys, vocabulary)


def layout_of_row(index: int, row: Sequence, vocabulary: Vocabulary) -> Layout:
    """The layout with ``row`` (``index`` in the sheet's rows) as the header row, whichever names it holds:
    for a header row given by the user, which need not name the requirement column."""
    return _layout(index, row, [_header_key(cell, vocabulary) for cell in row], vocabulary)


def _layout(index: int, row: Sequence, keys: list[str | None], vocabulary: Vocabulary) -> Layout:
    found: dict[str, list[tuple[int, int]]] = {}
    headers = {}
    for column, header_key in enumerate(keys):
        if header_key in vocabulary.rank:
            name, preference = vocabulary.rank[header_key]
            found.setdefault(name, []).append((preference, column))
            headers[column] = " ".join(row[column].split())
    columns = {name: [column for _, column in sorted(places)] for name, places in found.items()}
    return Layout(index, headers, columns)


def settle_columns(layout: Layout, rows: Sequence[Sequence],
                   checks: dict[str, Callable[[object], bool]]) -> None:
    """Look at each ambiguous column's first values and keep the columns that hold what their field needs.

    ``checks`` maps a field to a test of one non-empty cell. A field with several columns puts first the
    columns whose values pass (an assessment's "Control" ids before its "Requirement" text). A column known
    only by a generic name (WEAK_NAMES) is dropped when none of its values pass.
    """
    for name, columns in list(layout.columns.items()):
        test = checks.get(name)
        if test is None:
            continue
        weak = [c for c in columns if key(layout.headers[c]) in WEAK_NAMES or
                key(_PARENTHESIS.sub("", layout.headers[c])) in WEAK_NAMES]
        if len(columns) < 2 and not weak:
            continue
        fits = {c: _fits(rows, layout.header_index, c, test) for c in columns}
        kept = [c for c in columns if fits[c] is not False or c not in weak]
        kept.sort(key=lambda c: fits[c] is False)  # stable: the best-named passing column first
        if kept:
            layout.columns[name] = kept
        else:
            del layout.columns[name]


def _fits(rows: Sequence[Sequence], header_index: int, column: int, test) -> bool | None:
    """True if some sampled value passes, False if none does, None if the column is empty in the sample."""
    seen = 0
    for row in rows[header_index + 1:header_index + 1 + _SAMPLE_ROWS]:
        if column >= len(row):
            continue
        cell = row[column]
        if cell == "" or cell is None:
            continue
        if test(cell):
            return True
        seen += 1
        if seen >= _SAMPLE:
            break
    return False if seen else None

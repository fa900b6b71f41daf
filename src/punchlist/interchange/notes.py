"""What a FedRAMP template has no column for, written into its Comments cell below the item's own comments and
read back from there: the status of an item on the open sheet, the record kind, the people besides the point
of contact, the completion date and the details (``details.py``) that FedRAMP does not name.

The block starts with the line ``-- Punchlist --`` and holds one "Label: value" line per field; a value's
further lines are indented by two spaces. Only the last such block of a cell is read, so a person's own
comments above it stay theirs, word for word.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from punchlist.core.records import ItemStatus, PoamItem, RecordKind, Severity

from .details import amount, id_list, show_amount, yes_no
from .values import CellError, parse_date, requirement_list

MARKER = "-- Punchlist --"

# (field, label): the order they are written in.
NOTED = (
    ("id", "Punchlist id"),
    ("status", "Status"),
    ("kind", "Record kind"),
    ("severity", "Severity"),
    ("responsible_unit", "Responsible unit"),
    ("supporting_owner", "Supporting owner"),
    ("approval_authority", "Approval authority"),
    ("evidence_custodian", "Evidence custodian"),
    ("objectives", "NOT MET objectives"),
    ("completion_date", "Completed"),
    ("last_updated", "Last updated"),
    ("interim_mitigation", "Interim mitigation"),
    ("likelihood", "Likelihood"),
    ("impact", "Impact"),
    ("vendor_involvement", "Vendor involvement"),
    ("budget_money", "Budget amount"),
    ("budget_hours", "Budget hours"),
    ("decision_needed", "Decision needed"),
    ("touches_cui", "Touches CUI"),
    ("blocked_by", "Blocked by"),
    ("milestones", "Milestones done"),  # "(1) 2026-09-18, (3) 2026-10-02": Planned Milestones' numbers
)
_BY_LABEL = {label.casefold(): name for name, label in NOTED}
_STATUSES = {status.value: status for status in ItemStatus}
_KINDS = {kind.value: kind for kind in RecordKind}
_SEVERITIES = {severity.value: severity for severity in Severity}


def _shown(name: str, value) -> str:
    if value is None or value == "" or value == []:
        return ""
    if name in ("objectives", "blocked_by"):
        return ", ".join(value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return show_amount(value)
    return str(value)


def write_notes(item: PoamItem, values: dict[str, object]) -> str:
    """The item's own comments, then the block with ``values`` (field -> value; empty ones left out)."""
    lines = [MARKER]
    for name, label in NOTED:
        shown = _shown(name, values.get(name))
        if shown:
            first, *rest = shown.split("\n")
            lines.append(f"{label}: {first}")
            lines += [f"  {line}" for line in rest]
    block = "\n".join(lines)
    return f"{item.comments}\n\n{block}" if item.comments else block


def read_notes(item: PoamItem) -> set[str]:
    """Take the block out of ``item.comments`` and set the fields it names; the names of the fields set.

    A value that cannot be read leaves the field as the columns gave it: the block is a courtesy of the file's
    writer, never a reason to refuse the file.
    """
    comments = item.comments
    at = comments.rfind(MARKER)
    if at < 0 or (at > 0 and comments[at - 1] != "\n"):
        return set()
    values: dict[str, list[str]] = {}
    current = None
    for line in comments[at + len(MARKER):].split("\n"):
        if line.startswith("  ") and current is not None:
            values[current].append(line[2:])
            continue
        label, colon, value = line.partition(":")
        current = _BY_LABEL.get(label.strip().casefold()) if colon else None
        if current is not None:
            values[current] = [value.strip()]
    item.comments = comments[:at].rstrip("\n")
    found = set()
    for name, lines in values.items():
        try:
            value = _parsed(name, "\n".join(lines))
        except (CellError, KeyError, ValueError):
            continue
        if name == "milestones":
            for number, done_on in value:
                if 0 < number <= len(item.milestones) and item.milestones[number - 1].done_on is None:
                    item.milestones[number - 1].done_on = done_on
        elif name == "id":
            if item.id and item.id != value:
                item.original_id = item.original_id or item.id
            item.id = value
        else:
            setattr(item, name, value)
        found.add(name)
    return found


def _parsed(name: str, text: str):
    if name == "status":
        return _STATUSES[text.casefold()]
    if name == "kind":
        return _KINDS[text.casefold()]
    if name == "severity":
        return _SEVERITIES[text.casefold()]
    if name == "objectives":
        return requirement_list(text)
    if name in ("completion_date", "last_updated"):
        return parse_date(text)
    if name in ("budget_money", "budget_hours"):
        return amount(text)
    if name == "touches_cui":
        return yes_no(text)
    if name == "blocked_by":
        return id_list(text)
    if name == "milestones":
        return [(int(number), parse_date(done)) for number, done in _DONE.findall(text)]
    return text


_DONE = re.compile(r"\((\d+)\) (\d{4}-\d{2}-\d{2})")
_DOCUMENT = "Evidence : "
_HASH = re.compile(r" \(SHA-256 [0-9a-f]{64}\)$")


def _evidence(text: str) -> str:
    """Our FedRAMP export's Supporting Documents ("Evidence : what (SHA-256 ...)", one a line) as the item's
    evidence text ("what", blank-line separated), which is what it was made from."""
    if not text.startswith(_DOCUMENT):
        return text
    entries = text[len(_DOCUMENT):].split("\n" + _DOCUMENT)
    return "\n\n".join(_HASH.sub("", entry) for entry in entries)


def restore(items: list[PoamItem]) -> set[str]:
    """Read the block of every item that has one; the fields any of them set."""
    found: set[str] = set()
    for item in items:
        if MARKER in item.comments:
            found |= read_notes(item)
            item.evidence = _evidence(item.evidence)
    if "id" in found:
        found.add("original_id")
    return found

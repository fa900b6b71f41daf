"""SP 800-53 (and SP 800-171 Rev 3) ids in a POA&M read as the Rev 2 requirements they lead to, to be confirmed.

FedRAMP and eMASS files name 800-53 controls (``AC-2``, ``IA-2(1)``); Punchlist assesses NIST SP 800-171 Rev 2.
``derivations`` lists, per distinct control, the requirement(s) ``core.controls.read_control`` derives and the
rows that name it, for a person to confirm or change (the web import's preview, ``punchlist import --check``).
``apply`` then writes the confirmed (or changed) requirements into the items. A control with no Rev 2
counterpart leaves its item with no requirement: it becomes an operational plan item that needs one chosen,
never a refused file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from punchlist.core.catalog import load_catalog
from punchlist.core.controls import REV3, SP800_53, read_control
from punchlist.core.records import Poam, RecordKind
from punchlist.errors import InputError, rows_text

NEEDS_REQUIREMENT = "needs a requirement"


@dataclass
class Derivation:
    """One control the file names, and the Rev 2 requirement(s) it leads to (to be confirmed)."""

    control: str  # standard form: "AC-2(1)", "03.01.01"
    scheme: str
    requirements: tuple[str, ...]
    note: str
    rows: list[int] = field(default_factory=list)

    @property
    def needs_requirement(self) -> bool:
        return not self.requirements

    def as_json(self) -> dict:
        return {"control": self.control, "scheme": self.scheme, "requirements": list(self.requirements),
                "rows": self.rows, "note": self.note, "needs_requirement": self.needs_requirement}

    def text(self) -> str:
        led = ", ".join(self.requirements) if self.requirements else f"none: operational plan, {NEEDS_REQUIREMENT}"
        return f"{self.scheme} {self.control} -> {led} (row(s) {rows_text(self.rows)}): {self.note}"


def _derived(written: str):
    """The reading of an id that is not a Rev 2 / CMMC id but leads (or fails to lead) to one; else None."""
    if load_catalog().find(written) is not None:
        return None
    reading = read_control(written)
    return reading if reading.scheme in (SP800_53, REV3) else None


def derivations(poam: Poam) -> list[Derivation]:
    """Every distinct 800-53 / Rev 3 id in the items, in the order first met, with the rows naming it."""
    found: dict[str, Derivation] = {}
    note_derivations(poam.items, found)
    return list(found.values())


def note_derivations(items, found: dict[str, Derivation], start: int = 0) -> None:
    """Add the 800-53 / Rev 3 ids of ``items`` (the file's items from position ``start`` on) to ``found``: a
    batch at a time, for a file read as a stream."""
    for index, item in enumerate(items, start):
        for written in item.requirements:
            reading = _derived(written)
            if reading is None:
                continue
            entry = found.setdefault(reading.control, Derivation(reading.control, reading.scheme,
                                                                 reading.requirements, reading.note))
            row = item.row if item.row is not None else index + 1
            if row not in entry.rows:
                entry.rows.append(row)


def parse_choices(given: dict[str, str], label: str = "") -> dict[str, tuple[str, ...]]:
    """A person's choice per control ("AC-2" -> "3.1.1, 3.1.2"; "" for none), checked against the catalog."""
    catalog = load_catalog()
    chosen: dict[str, tuple[str, ...]] = {}
    for control, written in given.items():
        ids = []
        for part in (p.strip() for p in written.replace(";", ",").split(",")):
            if not part:
                continue
            requirement = catalog.find(part)
            if requirement is None:
                raise InputError(f"{part!r}, chosen for {control}, is not a NIST SP 800-171 Rev 2 requirement",
                                 file=label, column="requirement")
            ids.append(requirement.id)
        chosen[control] = tuple(dict.fromkeys(ids))
    return chosen


def apply(poam: Poam, chosen: dict[str, tuple[str, ...]] | None = None) -> None:
    """Replace each 800-53 / Rev 3 id in the items by its Rev 2 requirement(s): ``chosen`` where it names the
    control, else the derived ones. An item left with no requirement from controls that have none becomes an
    operational plan item that needs a requirement (``poam.needs_requirement``); its weakness says so."""
    apply_items(poam.items, chosen, poam.needs_requirement)


def apply_items(items, chosen: dict[str, tuple[str, ...]] | None, needs_requirement: dict[int, str],
                start: int = 0) -> None:
    """``apply`` over ``items``, the file's items from position ``start`` on (a batch of a stream)."""
    chosen = chosen or {}
    for index, item in enumerate(items, start):
        kept: list[str] = []
        orphans: list[str] = []
        changed = False
        for written in item.requirements:
            reading = _derived(written)
            if reading is None:
                kept.append(written)
                continue
            changed = True
            ids = chosen.get(reading.control, reading.requirements)
            kept.extend(ids)
            if not ids:
                orphans.append(reading.control)
        if not changed:
            continue
        item.requirements = list(dict.fromkeys(kept))
        if not item.requirements and orphans:
            item.kind = RecordKind.OPERATIONAL_PLAN
            needs_requirement[index] = orphans[0]
            note = (f"[{NEEDS_REQUIREMENT}: {', '.join(orphans)} has no NIST SP 800-171 Rev 2 counterpart; "
                    "choose the requirement this work serves]")
            item.weakness = f"{item.weakness}\n\n{note}" if item.weakness else note

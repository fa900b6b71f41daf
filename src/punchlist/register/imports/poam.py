"""Importing a POA&M: every row checked first, then new items inserted in bulk and known ones updated."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction

from punchlist.core import records
from punchlist.core.catalog import load_catalog
from punchlist.core.closeout import closeout_deadline, completion_allowed
from punchlist.audit import chain
from punchlist.dbinsert import bulk_session
from punchlist.errors import InputError
from punchlist.interchange.notes import MARKER
from punchlist.interchange.poam import PoamStream, errors_of
from punchlist.orgs.permissions import require

from ..details import AMOUNTS, SHORT
from ..errors import RegisterError
from ..models import IDENTIFIER_PREFIX, Assessment, Kind, PoamItem, Status
from ..services._common import objective_ids, writing
from ..services.separation import closure_conflicts, refusal
from .create import BATCH, create_items
from .links import WantedLinks, set_links
from .people import People
from .update import IMPORT_REASON, update_items

OUR_ID = re.compile(r"^(POAM|OPA)-([A-Z]{2})-(\d{1,6})$")
# By the members' values (``_value_``, a plain attribute: an Enum's own hash is a Python call, once per row).
KINDS = {kind._value_: Kind[kind.name].value for kind in records.RecordKind}
STATUSES = {status._value_: Status[status.name].value for status in records.ItemStatus}
# What the register's columns hold; a longer value is refused rather than cut.
LIMITS = {"id": 100, "responsible_unit": 200, "source": 200}
# SQLite's page cache while an import writes is sized for this many rows at most (dbinsert.bulk_session).
SESSION_ROWS = 20_000


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)  # identifiers of new items, in file order
    updated: list[str] = field(default_factory=list)  # identifiers of items the file changed
    unchanged: list[str] = field(default_factory=list)  # identifiers of items the file names as they are
    people_added: list[str] = field(default_factory=list)  # user names of people created for the import
    # Per item updated or left as it was: each field the file changes (old -> new), and each it would change
    # but does not (a person's work since the last import, a closed item not chosen for reopening).
    changes: dict[str, list] = field(default_factory=dict)
    # Rows the file gives as assessment POA&M items for a requirement that may never be on a POA&M: they come
    # in as operational plan of action items (remediation before the assessment), each said in words.
    operational: list[str] = field(default_factory=list)

    @property
    def kept(self) -> dict[str, list]:
        """The items with a field the file would change but the register keeps, and those fields."""
        return {identifier: [c for c in changes if c.kept] for identifier, changes in self.changes.items()
                if any(c.kept for c in changes)}

    def __str__(self):
        text = f"{len(self.created)} item(s) imported"
        if self.updated or self.unchanged:
            text += f", {len(self.updated)} updated, {len(self.unchanged)} unchanged"
        if self.operational:
            text += (f"; {len(self.operational)} of them as operational plan of action items (requirements that "
                     "may never be on a POA&M)")
        if self.people_added:
            text += f"; {len(self.people_added)} people added without sign-in: {', '.join(self.people_added)}"
        return text


@dataclass(slots=True)
class Plan:
    """One checked row: what to write for it."""

    record: records.PoamItem
    row: int
    requirements: list[str]
    objectives: list[str]
    title: str
    people: tuple  # per services.items.PEOPLE: a member's primary key, the short name of a person to create, or None
    kind: str
    status: str
    family: str
    identifier: str | None = None  # our identifier the file already used, kept for a new item
    item: int | None = None  # the primary key of the item this row updates
    # Per piece of evidence an export listed (``record.evidence_details``): who added it (a member's primary key,
    # or None for the importer), its custodian (as ``people``) and the requirements it shows met (catalog ids).
    evidence: list[tuple] = field(default_factory=list)
    note: str = ""  # what the import does with the row other than the file says (``ImportResult.operational``)


def _governing_conditional(organization, assessment):
    if assessment is None:
        assessment = Assessment.objects.filter(organization=organization, is_the_assessment_poam=True).first()
    return assessment.conditional_status_date if assessment else None


def title_of(record: records.PoamItem) -> str:
    """An item's title: the file's, else the first line of its weakness (cut to the column's 300)."""
    text = (record.title or record.weakness or "").strip()
    return text.splitlines()[0][:300] if text else ""


def import_poam(actor, organization, poam: records.Poam | PoamStream, *, file: str = "",
                assessment: Assessment | None = None, create_people: bool = False,
                progress: Callable[[int, int], None] | None = None, keep: int | None = None,
                reopen: Iterable[str] = ()) -> ImportResult:
    """Add the items of ``poam`` the organization does not have and update those it has, or change nothing
    (raising InputErrors that list every problem).

    The rows are read, checked and written a batch at a time (``poam`` may be a ``PoamStream`` that reads its
    file as it goes), all in one transaction: a problem anywhere rolls back every batch written before it, so
    the import is all or nothing while holding one batch, not the file. Once a problem is found nothing more
    is written; the rest of the file is still read and checked, to name every problem. ``keep`` bounds the
    problems kept (the rest are counted in the InputErrors' ``more``); ``progress(rows done, rows about)``.

    An update never undoes work: a field changed in the register since the item's last import keeps the
    register's value, and a closed item stays closed unless it is named in ``reopen`` (by its identifier or its
    id in the file). ``ImportResult.changes`` lists what each item gets and keeps.
    """
    require(actor, "register.add_item", organization)
    if assessment is not None and assessment.organization_id != organization.pk:
        raise InputError("the assessment belongs to another organization", file=file)
    stream = poam if isinstance(poam, PoamStream) else PoamStream.of(poam)
    result = ImportResult()
    reason = f"{IMPORT_REASON} of {file}" if file else IMPORT_REASON
    errors: list[InputError] = []
    more = 0
    # Checked inside the transaction, with the organization's chain locked like any writer's: what the rows are
    # compared with (the items, their ids, the people) cannot change before they are written.
    with writing(organization), bulk_session(PoamItem, rows=min(stream.total, SESSION_ROWS)):
        people = People(organization, create_people)
        checker = RowChecker(organization, people, file=file, assessment=assessment, importer=actor.pk,
                             fields=stream.fields, needs_requirement=stream.needs_requirement,
                             columns=stream.columns)
        reopened = frozenset(name.strip() for name in reopen)
        new_people: dict = {}
        links: list[WantedLinks] = []  # the rows' "blocked by", set once every row is in
        for batch in stream.batches(BATCH):
            plans = checker.check(batch, errors)
            result.operational += [plan.note for plan in plans if plan.note]
            updates = [plan for plan in plans if plan.item is not None]
            clean = not errors and not stream.errors and not more
            if clean or updates:
                new_people = people.create_users(actor, organization, chain.lock(organization))
            if updates:
                # Through the services, as any edit; a row they refuse is listed with the others, and then the
                # transaction (people included) is rolled back.
                updated, unchanged = update_items(actor, organization, updates, stream.fields, new_people,
                                                  reason=reason, file=file, errors=errors, reopen=reopened,
                                                  changes_out=result.changes)
                result.updated += updated
                result.unchanged += unchanged
            links += [WantedLinks(plan.row, plan.record.blocked_by, pk=plan.item)
                      for plan in updates if plan.record.blocked_by]
            creates = [plan for plan in plans if plan.item is None]
            if creates and not errors and not stream.errors and not more:
                made = create_items(actor, organization, creates, new_people, file=file,
                                    assessment=assessment, session=False, fields=stream.fields)
                result.created += made
                links += [WantedLinks(plan.row, plan.record.blocked_by, identifier=identifier, created=True)
                          for plan, identifier in zip(creates, made) if plan.record.blocked_by]
            if keep is not None and len(errors) > keep:
                errors.sort(key=lambda e: e.row or 0)
                more += len(errors) - keep
                del errors[keep:]
            if progress is not None:
                progress(stream.rows, max(stream.total, stream.rows))
        if links and not errors and not stream.errors and not more:
            # Once every row is written, so that a link may name a row further down the file.
            for identifier in set_links(actor, organization, links, file=file, reason=reason, errors=errors):
                if identifier in result.unchanged:  # its links are a change of it
                    result.unchanged.remove(identifier)
                    result.updated.append(identifier)
        stream.raise_errors()  # cells that could not be read: the checks' findings would follow from them
        if errors:
            raise errors_of(sorted(errors, key=lambda e: (e.row or 0)), more)
        result.people_added = [user.username for user in people.created.values()]
    return result


class _RolledBack(Exception):
    def __init__(self, result: ImportResult):
        self.result = result


def check_poam(actor, organization, poam: records.Poam | PoamStream, *, file: str = "",
               assessment: Assessment | None = None, create_people: bool = False,
               progress: Callable[[int, int], None] | None = None, keep: int | None = None,
               reopen: Iterable[str] = ()) -> ImportResult:
    """What ``import_poam`` would do, with nothing kept: the same import, in a transaction always rolled back.

    Every check an import makes is made (the rows, the people, and the services' own refusals of updates,
    which only running them finds), so a file that passes here imports as shown unless the register changes
    in between. InputErrors list every problem, as the import's would.
    """
    try:
        with transaction.atomic():
            raise _RolledBack(import_poam(actor, organization, poam, file=file, assessment=assessment,
                                          create_people=create_people, progress=progress, keep=keep,
                                          reopen=reopen))
    except _RolledBack as done:
        return done.result


NO_APPROVER = ("closed without an approval authority: name who verified the closure (someone other than its "
               "owners and than you, who import it), or import the item as ready for verification")


def approver_wanted(file: str, columns: list[dict]) -> tuple[str, str, str]:
    """What to tell of a closed row that names no approver, as (message, file, column): where the file has no
    column for one (FedRAMP's template), the lines to add to the row's Comments cell, which Punchlist's own
    FedRAMP export writes (``interchange.notes``); the sheet named where the row's status is the sheet's."""
    if not columns or any("approval_authority" in sheet["read"] for sheet in columns):
        return NO_APPROVER, file, "approval_authority"
    if len(columns) > 1 and "status" not in columns[0]["read"] and columns[-1]["sheet"]:
        file = f"{file} [{columns[-1]['sheet']}]"  # a closed row is on the closed sheet
    comments = next((sheet["read"]["comments"][0] for sheet in columns if "comments" in sheet["read"]), None)
    if comments is None:
        return ("closed, but no one is named as approving the closure and the file has no column for it: add an "
                "\"Approval Authority\" column naming who verified the closure (someone other than its owners and "
                "than you, who import it), or import the item as ready for verification"), file, "approval_authority"
    return (f"closed, but no one is named as approving the closure and the file has no column for it: end this "
            f"row's {comments['header'] or 'comments'} cell (column {comments['column']}) with the two lines "
            f"\"{MARKER}\" and \"Approval authority: NAME\", naming who verified the closure (someone other than "
            "its owners and than you, who import it), or list the item with the open ones"), file, \
        comments["header"] or comments["column"]


def _check_imported_closure(record, people: tuple, importer, row: int, error, wanted=None) -> None:
    """A closed row names who approved the closure, and that person did none of its work (3.1.4)."""
    approver = people[2]
    if approver is None:
        if not record.approval_authority.strip():
            if wanted is None:
                error(NO_APPROVER, "approval_authority", row)
            else:
                message, file, column = wanted
                error(message, column, row, file)
        return
    evidence = record.evidence.strip()
    conflicts = closure_conflicts(approver, primary_owner=people[0], supporting_owner=people[1],
                                  requested_by=importer, evidence_by={importer: {evidence[:255]}} if evidence else {})
    if conflicts:
        if approver == importer:
            conflicts = ["records this closure by importing it (and adds its evidence)"]
        error(refusal(f"the approval authority {record.approval_authority.strip()!r}", conflicts),
              "approval_authority", row)


def check_rows(organization, poam: records.Poam, people: People, *, file: str, assessment, errors,
               importer=None) -> list[Plan]:
    """Every row checked as the services would check it; the problems go to ``errors``, the rows without
    problems come back as plans. A row naming an item the register holds plans an update of it.

    A new row imported closed records a closure: its approval authority must be someone who did none of its
    work (``services.separation``), and the importer, who records the closure and adds its evidence, is not.
    """
    return RowChecker(organization, people, file=file, assessment=assessment, importer=importer,
                      fields=poam.fields, needs_requirement=poam.needs_requirement,
                      columns=poam.columns).check(poam.items, errors)


class RowChecker:
    """The checks of ``check_rows``, a batch of rows at a time: what must hold across the file (each id used
    once, each item named once, our identifiers kept once) is remembered from batch to batch."""

    def __init__(self, organization, people: People, *, file: str, assessment, importer=None,
                 fields: frozenset[str] = frozenset(), needs_requirement: dict[int, str] | None = None,
                 columns: list[dict] | None = None):
        self.organization, self.people, self.file = organization, people, file
        self.approver_wanted = approver_wanted(file, columns or [])
        # Operational plan items from controls with no 800-171 counterpart, by position (``interchange.derive``).
        self.needs_requirement = needs_requirement if needs_requirement is not None else {}
        self.importer = importer
        self.with_details = bool(fields & (SHORT | set(AMOUNTS)))
        self.catalog = load_catalog()
        self.conditional = _governing_conditional(organization, assessment)
        # The requirements that may never be on a POA&M, judged once (3.13.11 by the governing assessment's
        # determination, as the services judge it): such a row comes in as an operational plan item.
        self.ineligible = _ineligible(organization, assessment, self.catalog)
        self.by_external: dict[str, tuple[int, str]] = {}
        self.by_identifier: dict[str, int] = {}
        for pk, identifier, external in PoamItem.objects.for_organization(organization).values_list(
                "pk", "identifier", "external_id"):
            self.by_identifier[identifier] = pk
            if external:
                self.by_external.setdefault(external, (pk, identifier))
        self.seen: dict[str, int] = {}  # the file's ids -> the row that used it first
        self.updated_by: dict[int, int] = {}  # items named -> the row that names them
        self.kept: set[str] = set()
        self.index = 0

    def check(self, items, errors) -> list[Plan]:
        organization, file = self.organization, self.file
        find = self.catalog.find
        resolve = self.people.resolve
        conditional = self.conditional
        by_external, by_identifier = self.by_external, self.by_identifier
        seen, updated_by, kept = self.seen, self.updated_by, self.kept
        plans: list[Plan] = []
        closed, ready, accepted = Status.CLOSED.value, Status.READY_FOR_VERIFICATION.value, Status.RISK_ACCEPTED.value
        assessment_poam, operational = Kind.ASSESSMENT_POAM.value, Kind.OPERATIONAL_PLAN.value

        def error(message, column, row, where=file):
            errors.append(InputError(message, file=where, row=row, column=column))

        for index, record in enumerate(items, self.index):
            row = record.row if record.row is not None else index + 1
            before = len(errors)
            external = (record.id or "").strip()
            match = None
            if external in seen:
                error(f"the id {external!r} is also on row {seen[external]}; each id names one item", "id", row)
            elif external:
                seen[external] = row
                match = by_external.get(external, (None,))[0] or by_identifier.get(external.upper())
                if match in updated_by:
                    error(f"{external!r} names the same item as row {updated_by[match]}", "id", row)
                elif match is not None:
                    updated_by[match] = row
            requirements, first = [], None
            for written in record.requirements:
                found = find(written)
                if found is None:
                    error(f"{written!r} is not a NIST SP 800-171 Rev 2 requirement", "requirement", row)
                elif found.id not in requirements:
                    requirements.append(found.id)
                    first = first or found
            if not record.requirements and index not in self.needs_requirement:
                error("no requirement given; every item addresses at least one", "requirement", row)
            title = title_of(record)
            if not title:
                error("no title or weakness given", "title", row)
            objectives = []
            if requirements and record.objectives:
                try:
                    objectives = objective_ids(record.objectives, requirements)
                except RegisterError as exc:
                    error(str(exc), "objectives", row)
            if len(external) > LIMITS["id"] or len(record.responsible_unit) > LIMITS["responsible_unit"] \
                    or len(record.source) > LIMITS["source"]:
                for column, limit in LIMITS.items():
                    value = external if column == "id" else getattr(record, column)
                    if len(value) > limit:
                        error(f"{len(value)} characters; the register keeps at most {limit} here", column, row)
            if self.with_details:
                for column in SHORT:
                    if len(getattr(record, column)) > 100:
                        error(f"{len(getattr(record, column))} characters; the register keeps at most 100 here",
                              column, row)
                for column, (_, most) in AMOUNTS.items():
                    value = getattr(record, column)
                    if value is not None and value > most:
                        error(f"{value} is more than the register keeps here ({most})", column, row)
            resolved = (resolve(record.primary_owner, "primary_owner", row, file, errors),
                        resolve(record.supporting_owner, "supporting_owner", row, file, errors),
                        resolve(record.approval_authority, "approval_authority", row, file, errors),
                        resolve(record.evidence_custodian, "evidence_custodian", row, file, errors))
            if resolved[0] is not None and resolved[0] == resolved[2]:
                error("the approval authority may not be the item's primary owner", "approval_authority", row)
            kind, status = KINDS[record.kind._value_], STATUSES[record.status._value_]
            note = ""
            barred = [r for r in requirements if r in self.ineligible] if kind == assessment_poam else ()
            if barred:
                kind = operational
                note = _operational_note(row, external, barred, self.ineligible)
            if status == accepted and kind == assessment_poam:
                error("an assessment POA&M item cannot be risk accepted (R-FIND-5, R-CLOSE-1)", "status", row)
            start, due = record.start_date, record.scheduled_completion
            if start and due and due < start:
                error("the scheduled completion is before the start date", "scheduled_completion", row)
            evidence: list[tuple] = []
            if match is None:
                # An update's evidence and closeout clock are the stored item's, which its services check.
                if (status == closed or status == ready) and not record.evidence.strip():
                    error(f"{Status(status).label.lower()} without evidence; say what shows the fix (or where it "
                          "lives) in the evidence column, or import the item as open", "evidence", row)
                if status == closed:
                    _check_imported_closure(record, resolved, self.importer, row, error, self.approver_wanted)
                evidence = [self._evidence(detail, row, errors) for detail in record.evidence_details]
                if conditional is not None and status != closed and status != accepted and not completion_allowed(
                        record.kind, due, conditional):
                    error(f"R-CLOSE-1: scheduled completion {due.isoformat()} is after the closeout deadline "
                          f"{closeout_deadline(conditional).isoformat()}", "scheduled_completion", row)
            if len(errors) > before or (first is None and index not in self.needs_requirement):
                continue
            family = first.family if first is not None else _family_of_control(self.needs_requirement[index])
            plan = Plan(record, row, requirements, objectives, title, resolved, kind, status, family, item=match,
                        evidence=evidence, note=note)
            if match is None and external:
                ours = OUR_ID.match(external.upper())
                # Kept only where it says the item's kind and family: an operational item is never POAM-.
                if ours and ours[1] == IDENTIFIER_PREFIX[kind] and ours[2] == family and external.upper() not in kept:
                    plan.identifier = external.upper()
                    kept.add(plan.identifier)
            plans.append(plan)
        self.index += len(items)
        # An identifier of ours that a new row keeps, taken meanwhile by an item this import added in an
        # earlier batch, is not kept: the row gets the next identifier of its family.
        wanted = [plan.identifier for plan in plans if plan.identifier is not None]
        if wanted:
            taken = set(PoamItem.objects.for_organization(organization).filter(identifier__in=wanted)
                        .values_list("identifier", flat=True))
            for plan in plans:
                if plan.identifier in taken:
                    plan.identifier = None
        return plans


    def _evidence(self, detail: records.EvidenceDetail, row: int, errors) -> tuple:
        """Who added a piece of evidence (the member of that name, else the importer, who adds it here), who
        keeps it (a member, as any person column) and the requirements it shows met."""
        custodian = self.people.resolve(detail.custodian, "evidence_custodian", row, self.file, errors) \
            if detail.custodian else None
        shown = []
        for written in detail.requirements:
            found = self.catalog.find(written)
            if found is None:
                errors.append(InputError(f"the evidence {(detail.filename or detail.description)[:80]!r} names "
                                         f"{written!r}, not a NIST SP 800-171 Rev 2 requirement",
                                         file=self.file, row=row, column="evidence"))
            elif found.id not in shown:
                shown.append(found.id)
        return self.people.member(detail.added_by) if detail.added_by else None, custodian, shown
def _ineligible(organization, assessment, catalog) -> dict[str, str]:
    """The requirements that may never be on a POA&M, each with why (``services.eligibility``, one query)."""
    from punchlist.core.scoring import poam_eligibility

    from ..services.eligibility import ineligible_requirements

    if assessment is None:
        assessment = Assessment.objects.filter(organization=organization, is_the_assessment_poam=True).first()
    barred = ineligible_requirements([r.id for r in catalog], assessment)
    return {r: poam_eligibility(catalog.get(r), False)[1] for r in barred}


def _operational_note(row: int, external: str, barred: list[str], why: dict[str, str]) -> str:
    """The preview's words for a row that comes in as operational plan work rather than as the file says."""
    named = f"Row {row}" + (f" ({external})" if external else "")
    reasons = "; ".join(f"{r}: {why[r]}" for r in barred)
    return (f"{named}: {', '.join(barred)} may never be on a POA&M ({reasons}). It comes in as an operational "
            "plan of action item (OPA- numbering), remediation to finish before the assessment, not as an "
            "assessment POA&M item.")


def _family_of_control(control: str) -> str:
    """The family letters an item with no requirement is numbered under: the 800-53 control's ("SA-9" -> "SA"),
    else "OP" (operational)."""
    letters = control[:2].upper()
    return letters if letters.isalpha() else "OP"

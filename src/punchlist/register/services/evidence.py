"""The evidence vault: proof of remediation, a file or a reference to where it lives, with its custodian,
collection date, review-by date and links to items and requirements.

Files are stored once per organization under their SHA-256 (``<org>/<ab>/<sha256>`` in the vault: the
folder PUNCHLIST_EVIDENCE_DIR or the bucket of PUNCHLIST_STORAGE_URL, ``punchlist.storage``), hashed,
size-checked and type-checked while they stream in, never whole in memory, and written read-only.
``verify_evidence`` re-hashes them (``punchlist verify``) and names any that is missing or altered.
Artifacts used as evidence are kept six years (R-AFF-3): nobody deletes evidence inside that period, and an
administrator may after it, with a reason.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from punchlist.audit import chain, locking
from punchlist.orgs.models import Role
from punchlist.orgs.permissions import PermissionDenied, require, role_of

from ..errors import ConflictError, InvalidChange, WorkflowError
from ..models import VAULT, Evidence, EvidenceRequirement, PoamItem
from ._common import PERSON_ROLES, check_person, requirement_ids, today, writing

CHUNK = 1 << 20
HEAD = 8192  # the first bytes, kept to recognise the type
RETENTION_YEARS = 6  # R-AFF-3
REVIEW_DAYS = 365  # a piece of evidence is looked at again a year after it was collected, unless told
UNSET = object()


# --- types ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FileType:
    """A type the vault accepts: its extensions and the signatures its first bytes must show (any one of
    them, each a set of (offset, bytes) that must all match); no signatures means plain text."""

    label: str
    extensions: tuple[str, ...]
    signatures: tuple[tuple[tuple[int, bytes], ...], ...] = ()

    def matches(self, head: bytes) -> bool:
        if not self.signatures:
            return _is_text(head)
        return any(all(head[offset:offset + len(magic)] == magic for offset, magic in signature)
                   for signature in self.signatures)


ZIP = ((0, b"PK\x03\x04"),)
OLE = ((0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),)
TYPES = (
    FileType("PDF document", ("pdf",), (((0, b"%PDF"),),)),
    FileType("Office document", ("docx", "xlsx", "pptx", "odt", "ods", "odp"), (ZIP,)),
    FileType("Office 97-2003 document", ("doc", "xls", "ppt", "msg"), (OLE,)),
    FileType("Rich Text document", ("rtf",), (((0, b"{\\rtf"),),)),
    FileType("PNG image", ("png",), (((0, b"\x89PNG\r\n\x1a\n"),),)),
    FileType("JPEG image", ("jpg", "jpeg"), (((0, b"\xff\xd8\xff"),),)),
    FileType("GIF image", ("gif",), (((0, b"GIF87a"),), ((0, b"GIF89a"),))),
    FileType("WebP image", ("webp",), (((0, b"RIFF"), (8, b"WEBP")),)),
    FileType("TIFF image", ("tif", "tiff"), (((0, b"II*\x00"),), ((0, b"MM\x00*"),))),
    FileType("ZIP archive", ("zip",), (ZIP, ((0, b"PK\x05\x06"),))),
    FileType("gzip archive", ("gz", "tgz"), (((0, b"\x1f\x8b"),),)),
    FileType("7-Zip archive", ("7z",), (((0, b"7z\xbc\xaf\x27\x1c"),),)),
    FileType("tar archive", ("tar",), (((257, b"ustar"),),)),
    FileType("Windows event log", ("evtx",), (((0, b"ElfFile\x00"),),)),
    FileType("text", ("txt", "csv", "tsv", "log", "json", "xml", "html", "htm", "md", "yaml", "yml", "ini",
                      "cfg", "conf", "eml")),
)
BY_EXTENSION = {extension: kind for kind in TYPES for extension in kind.extensions}
_CONTROL = frozenset(range(32)) - {9, 10, 12, 13, 27}


def _is_text(head: bytes) -> bool:
    """No NUL or other control bytes: text in UTF-8, a Windows code page or (with its BOM) UTF-16."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            decoded = head[:len(head) - len(head) % 2].decode("utf-16", errors="ignore")
        except UnicodeDecodeError:
            return False
        return not any(ord(c) in _CONTROL for c in decoded)
    return not any(byte in _CONTROL for byte in head)


def _extension(filename: str) -> str:
    return Path(filename or "").suffix.lower().lstrip(".")


def allowed_extensions() -> str:
    return ", ".join(sorted(BY_EXTENSION))


def type_for_name(filename: str) -> FileType:
    """The accepted type a file's name claims, or a refusal listing the accepted ones."""
    extension = _extension(filename)
    kind = BY_EXTENSION.get(extension)
    if kind is None:
        raise InvalidChange(f"{filename}: {'.' + extension if extension else 'a file without an extension'} is "
                            f"not a type the evidence vault accepts; accepted: {allowed_extensions()}")
    return kind


def check_type(filename: str, head: bytes) -> FileType:
    """The accepted type ``filename`` claims, if its first bytes show it; a refusal naming both otherwise."""
    kind = type_for_name(filename)
    extension = _extension(filename)
    if not kind.matches(head):
        detected = next((other.label for other in TYPES if other.signatures and other.matches(head)), None)
        found = f"its content is a {detected}" if detected else "its content does not start the way one does"
        raise InvalidChange(f"{filename}: the name says {kind.label} (.{extension}) but {found}; nothing was "
                            "stored")
    return kind


# --- the vault -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stored:
    name: str  # the file's name in the vault
    sha256: str
    size: int
    file_type: str
    restored: bool  # the vault held this name but its content had been altered; the upload put it right


def _chunks(content):
    if isinstance(content, (bytes, bytearray, memoryview)):
        data = bytes(content)
        for start in range(0, len(data), CHUNK):
            yield data[start:start + CHUNK]
    elif hasattr(content, "chunks"):
        yield from content.chunks(CHUNK)
    else:
        while chunk := content.read(CHUNK):
            yield chunk


def _hash_stream(handle) -> str:
    digest = hashlib.sha256()
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def hash_stored(name: str) -> str:
    """The SHA-256 of the vault's file ``name``, read as a stream (FileNotFoundError when it is not there)."""
    handle = VAULT.reader(name)
    try:
        return _hash_stream(handle)
    finally:
        handle.close()


def _store(organization_id: int, content, filename: str) -> Stored:
    """Stream ``content`` (bytes or a binary file) into the vault under its SHA-256, checking its size and
    type on the way; nothing is left behind when it is refused."""
    limit = settings.PUNCHLIST_MAX_UPLOAD_BYTES
    type_for_name(filename)  # refused by name before a byte is read
    digest, size, head, kind = hashlib.sha256(), 0, b"", None
    handle, spool = tempfile.mkstemp(dir=VAULT.spool_dir(), prefix="upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in _chunks(content):
                size += len(chunk)
                if size > limit:
                    raise InvalidChange(f"{filename} is larger than {filesizeformat(limit)}, the limit for "
                                        "evidence files; nothing was stored")
                if kind is None:
                    head += chunk[:HEAD - len(head)]
                    if len(head) >= HEAD:
                        kind = check_type(filename, head)
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise InvalidChange(f"{filename} is empty; nothing was stored")
        kind = kind or check_type(filename, head)
        sha256 = digest.hexdigest()
        name = f"{organization_id}/{sha256[:2]}/{sha256}"
        restored = False
        try:
            intact = hash_stored(name) == sha256
        except FileNotFoundError:
            intact = None
        except OSError:
            intact = False
        if intact:  # stored once, whatever the number of pieces citing it
            return Stored(name, sha256, size, kind.label, False)
        restored = intact is False
        VAULT.put(name, spool)  # the whole file at once, replacing an altered copy
        spool = None
        return Stored(name, sha256, size, kind.label, restored)
    finally:
        if spool is not None:
            try:
                os.unlink(spool)
            except FileNotFoundError:
                pass


# --- reads ---------------------------------------------------------------------------------------------

def evidence_for_item(item: PoamItem):
    """Every piece that shows an item's fix: added to it, or added elsewhere and linked to it."""
    return (Evidence.objects.filter(item__organization_id=item.organization_id)
            .filter(Q(item=item) | Q(linked_items=item)).distinct())


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def retention_ends(evidence: Evidence) -> date:
    """R-AFF-3: the last day the evidence must be kept: six years from the CMMC Status Date of the
    assessments of the items it proves, or from the day it was added when that is later."""
    from .items import governing_assessment

    start = timezone.localdate(evidence.added_at)
    for item in [evidence.item, *evidence.linked_items.all()]:
        assessment = governing_assessment(item)
        if assessment is not None:
            start = max(start, assessment.assessed_on, assessment.conditional_status_date or start)
    return _add_years(start, RETENTION_YEARS)


@dataclass(frozen=True)
class EvidenceProblem:
    """A stored file that is not what was stored: ``problem`` is "missing", "altered" or "unreadable"."""

    evidence_id: int
    organization: str  # slug
    item: str  # identifier
    name: str
    path: str  # in the vault
    problem: str
    detail: str

    def __str__(self):
        return f"{self.organization} {self.item}: evidence “{self.name}” (#{self.evidence_id}) is {self.problem}: " \
               f"{self.detail}"


def file_problem(name: str, sha256: str, cache: dict | None = None) -> tuple[str, str] | None:
    """None when the vault's file ``name`` is there and hashes to ``sha256``; else (problem, detail). The
    detail names the file by its place in the vault, never the server's folders or the bucket's address."""
    if cache is not None and name in cache:
        return cache[name]
    try:
        actual = hash_stored(name)
    except FileNotFoundError:
        result = ("missing", f"{name} is not in the evidence vault")
    except OSError as exc:
        result = ("unreadable", f"{name} cannot be read: {exc.strerror or exc}")
    except Exception as exc:  # noqa: BLE001 - an object store's refusal (access denied, a bad key) is reported
        result = ("unreadable", f"{name} cannot be read: {exc}")
    else:
        result = None if actual == sha256 else (
            "altered", f"{name} no longer matches its SHA-256: stored as {sha256}, now {actual}")
    if cache is not None:
        cache[name] = result
    return result


def verify_evidence(organization=None, progress=None) -> list[EvidenceProblem]:
    """Re-hash every stored file (of one organization, or all) and name each piece whose file is missing or
    altered. Each file is read once, however many pieces cite it; ``progress(done, total)`` is told as it
    goes."""
    rows = Evidence.objects.exclude(file="")
    if organization is not None:
        rows = rows.for_organization(organization)
    rows = list(rows.order_by("item__organization__slug", "item__identifier", "pk")
                .values_list("pk", "name", "file", "sha256", "item__identifier", "item__organization__slug"))
    cache: dict = {}
    problems = []
    for done, (pk, name, path, sha256, identifier, slug) in enumerate(rows, 1):
        found = file_problem(path, sha256, cache)
        if found is not None:
            problems.append(EvidenceProblem(pk, slug, identifier, name, path, *found))
        if progress is not None:
            progress(done, len(rows))
    return problems


def uncited_files(organization=None) -> list[str]:
    """The vault's files (of one organization, or all) that no evidence cites, by their place in the vault.

    A file is stored before the transaction that records its evidence; one whose write then failed stays
    behind, as does the file of a piece whose row was deleted behind Punchlist's back, which the audit
    trail cannot show (its events are intact). Either way the file may hold CUI that nothing accounts for:
    ``punchlist verify`` names them, and removing them is left to a person.
    """
    if organization is not None:
        folders = [str(organization.pk)]
    else:
        try:
            folders = [folder for folder in VAULT.listdir("")[0] if folder.isdigit()]
        except FileNotFoundError:  # a local vault nothing was stored in yet
            return []
    stored = {name for folder in folders for name in VAULT.names(folder)}
    if not stored:
        return []
    cited = Evidence.objects.exclude(file="")
    if organization is not None:
        cited = cited.for_organization(organization)
    return sorted(stored.difference(cited.values_list("file", flat=True)))


# --- writes --------------------------------------------------------------------------------------------

def _snapshot(evidence: Evidence, requirements: list[str] | None = None, items: list[str] | None = None) -> dict:
    values = {"name": evidence.name, "sha256": evidence.sha256, "size": evidence.size,
              "file_type": evidence.file_type, "reference": evidence.reference,
              "description": evidence.description, "custodian": evidence.custodian_id,
              "collected_on": evidence.collected_on, "review_by": evidence.review_by,
              "added_at": evidence.added_at, "version": evidence.version}
    if requirements is not None:
        values["requirements"] = requirements
    if items is not None:
        values["linked_items"] = items
    return chain.jsonable(values)


def _check_dates(collected_on: date | None, review_by: date | None) -> None:
    if collected_on is not None and collected_on > today():
        raise InvalidChange(f"the collection date {collected_on.isoformat()} is in the future")
    if collected_on is not None and review_by is not None and review_by < collected_on:
        raise InvalidChange(f"the review-by date {review_by.isoformat()} is before the collection date "
                            f"{collected_on.isoformat()}")


def _check_name(name: str) -> None:
    """A name longer than its column is refused in words (PostgreSQL would refuse it with an error of its own,
    SQLite would keep it)."""
    longest = Evidence._meta.get_field("name").max_length
    if len(name) > longest:
        raise InvalidChange(f"an evidence name is at most {longest} characters; this one has {len(name)}")


def add_evidence(actor, item: PoamItem, *, name: str, content=None, reference: str = "",
                 description: str = "", filename: str | None = None, custodian=None,
                 collected_on: date | None = None, review_by: date | None = None,
                 requirements=None) -> Evidence:
    """Attach evidence to an item: ``content`` (bytes or a binary file, whose type is judged by
    ``filename``, else its own name, else ``name``) or a ``reference`` to where it lives.

    The custodian defaults to the item's evidence custodian, the collection date to today, the review-by
    date to a year after collection and the requirements to the item's.
    """
    name = (name or "").strip()
    reference = (reference or "").strip()
    if not name:
        raise InvalidChange("evidence needs a name")
    _check_name(name)
    if content is None and not reference:
        raise InvalidChange("evidence is either a file or a reference to where it lives")
    require(actor, "register.add_evidence", item)
    custodian = custodian or item.evidence_custodian or actor
    check_person(item.organization, custodian, "custodian", PERSON_ROLES["evidence_custodian"])
    collected_on = collected_on or today()
    review_by = review_by or collected_on + timedelta(days=REVIEW_DAYS)
    _check_dates(collected_on, review_by)
    if requirements is None:
        requirements = list(item.requirement_links.order_by("position").values_list("requirement", flat=True))
    requirements = requirement_ids(requirements)
    stored = None
    if content is not None:
        stored = _store(item.organization_id, content, filename or os.path.basename(
            getattr(content, "name", "") or "") or name)
    with writing(item.organization) as head:
        evidence = Evidence(item=item, name=name, reference=reference, description=(description or "").strip(),
                            custodian=custodian, collected_on=collected_on, review_by=review_by, added_by=actor)
        if stored is not None:
            evidence.file, evidence.sha256, evidence.size = stored.name, stored.sha256, stored.size
            evidence.file_type = stored.file_type
        evidence.save(force_insert=True)
        EvidenceRequirement.objects.bulk_create(
            [EvidenceRequirement(evidence=evidence, requirement=r) for r in requirements])
        after = _snapshot(evidence, requirements)
        if stored is not None and stored.restored:
            after["restored"] = True  # the vault's copy had been altered; this upload replaced it
        chain.record(organization=item.organization, actor=actor, action="add_evidence", obj=evidence,
                     subject=item.identifier, head=head, after=after)
    return evidence


def _locked(actor, evidence: Evidence, version: int | None = None) -> Evidence:
    """The piece's row, locked, if nobody changed it since the caller read ``version`` (default: the
    instance's own); a member is told what changed, anyone else learns nothing."""
    require(actor, "register.view_item", evidence.item)
    return locking.locked(Evidence.objects.select_related("item__organization"), evidence, version,
                          refuse=_conflict)


def _conflict(fresh: Evidence | None, expected: int) -> ConflictError:
    if fresh is None:
        raise InvalidChange("this evidence was deleted since you opened it")
    changes, by = locking.changes_since(Evidence, fresh.pk, expected)
    return ConflictError(fresh, expected, changes, by,
                         subject=f"evidence “{fresh.name}” of {fresh.item.identifier}")


def update_evidence(actor, evidence: Evidence, *, name=UNSET, description=UNSET, custodian=UNSET,
                    collected_on=UNSET, review_by=UNSET, version: int | None = None) -> Evidence:
    """Change what is said about a piece: its name, description, custodian or dates (never its file).
    Refused (ConflictError) if someone changed the piece since the caller read ``version``."""
    organization = evidence.item.organization
    with writing(organization) as head:
        fresh = _locked(actor, evidence, version)
        require(actor, "register.add_evidence", fresh.item)
        before = _snapshot(fresh)
        if name is not UNSET:
            fresh.name = (name or "").strip()
            if not fresh.name:
                raise InvalidChange("evidence needs a name")
            _check_name(fresh.name)
        if description is not UNSET:
            fresh.description = (description or "").strip()
        if custodian is not UNSET:
            if custodian is None:
                raise InvalidChange("evidence needs a custodian who answers for it")
            check_person(organization, custodian, "custodian", PERSON_ROLES["evidence_custodian"])
            fresh.custodian = custodian
        if collected_on is not UNSET:
            fresh.collected_on = collected_on
        if review_by is not UNSET:
            if review_by is None:
                raise InvalidChange("evidence needs a review-by date")
            fresh.review_by = review_by
        _check_dates(fresh.collected_on, fresh.review_by)
        after = _snapshot(fresh)
        changed = [k for k in after if after[k] != before[k]]
        if not changed:
            return evidence
        locking.bump(fresh)
        fresh.save()
        changed.append("version")
        after["version"] = fresh.version
        chain.record(organization=organization, actor=actor, action="update_evidence", obj=fresh,
                     subject=fresh.item.identifier, head=head, before={k: before[k] for k in changed},
                     after={k: after[k] for k in changed})
    for field in Evidence._meta.concrete_fields:
        setattr(evidence, field.attname, getattr(fresh, field.attname))
    return evidence


def link_evidence(actor, evidence: Evidence, *, items=None, requirements=None,
                  version: int | None = None) -> Evidence:
    """Set the other items a piece also proves and the requirements it shows met (each given list replaces
    the current one). Linking to an item needs the right to add evidence to it. Refused (ConflictError)
    if someone changed the piece since the caller read ``version``."""
    organization = evidence.item.organization
    with writing(organization) as head:
        fresh = _locked(actor, evidence, version)
        require(actor, "register.add_evidence", fresh.item)
        old_items = sorted(fresh.linked_items.values_list("identifier", flat=True))
        old_requirements = sorted(fresh.requirement_links.values_list("requirement", flat=True))
        new_items, new_requirements = old_items, old_requirements
        if items is not None:
            chosen = []
            for item in items:
                if item.organization_id != organization.pk:
                    raise InvalidChange(f"{item.identifier} is not an item of {organization.name}")
                if item.pk != fresh.item_id and item not in chosen:
                    if item.identifier not in old_items:
                        require(actor, "register.add_evidence", item)
                    chosen.append(item)
            fresh.linked_items.set(chosen)
            new_items = sorted(i.identifier for i in chosen)
        if requirements is not None:
            new_requirements = sorted(requirement_ids(requirements))
            fresh.requirement_links.exclude(requirement__in=new_requirements).delete()
            EvidenceRequirement.objects.bulk_create(
                [EvidenceRequirement(evidence=fresh, requirement=r) for r in new_requirements
                 if r not in old_requirements])
        before, after = {}, {}
        if new_items != old_items:
            before["linked_items"], after["linked_items"] = old_items, new_items
        if new_requirements != old_requirements:
            before["requirements"], after["requirements"] = old_requirements, new_requirements
        if after:
            locking.bump(fresh)
            fresh.save(update_fields=["version"])
            before["version"], after["version"] = fresh.version - 1, fresh.version
            chain.record(organization=organization, actor=actor, action="link_evidence", obj=fresh,
                         subject=fresh.item.identifier, head=head, before=before, after=after)
    evidence.version = fresh.version
    return evidence


def delete_evidence(actor, evidence: Evidence, *, reason: str) -> None:
    """An administrator removes a piece once its retention period is over (R-AFF-3), saying why. The file
    leaves the vault when no other piece cites it."""
    organization = evidence.item.organization
    reason = (reason or "").strip()
    with writing(organization) as head:
        fresh = _locked(actor, evidence)
        if role_of(actor, organization) != Role.ADMIN:
            require(actor, "register.view_item", fresh.item)  # a non-member learns nothing more
            raise PermissionDenied(f"{actor.username} ({role_of(actor, organization).label}) may not delete "
                                   "evidence; only an administrator may, once its retention period is over")
        ends = retention_ends(fresh)
        if today() <= ends:
            raise WorkflowError(f"R-AFF-3: evidence “{fresh.name}” must be kept until {ends.isoformat()}, six "
                                "years from the CMMC Status Date it served; it cannot be deleted before then")
        if not reason:
            raise WorkflowError(f"deleting evidence “{fresh.name}” needs a reason")
        before = _snapshot(fresh, sorted(fresh.requirement_links.values_list("requirement", flat=True)),
                           sorted(fresh.linked_items.values_list("identifier", flat=True)))
        before["file"] = fresh.file.name
        pk, path = fresh.pk, fresh.file.name
        fresh.delete()
        chain.record(organization=organization, actor=actor, action="delete_evidence",
                     object_type=Evidence._meta.label_lower, object_id=str(pk), subject=fresh.item.identifier,
                     head=head, before=before, reason=reason)
        if path:
            transaction.on_commit(lambda: _discard(path))


def _discard(path: str) -> None:
    """Remove a vault file that no piece cites any more."""
    if not Evidence.objects.filter(file=path).exists():
        VAULT.delete(path)

"""The assessor package: one zip an assessor can take away and check on their own.

Inside: the Punchlist workbook and the OSCAL POA&M as JSON and as XML (``punchlist.interchange``, from
``punchlist.register.exports.build_export``), the evidence files themselves under ``evidence/`` (unless left
out), an index of the evidence with each file's SHA-256 and whether the vault's copy still matches it, the
audit trail's verification result (``punchlist.audit.chain.verify_chain``), a README, and a manifest with the
SHA-256 of every file. The OSCAL documents link each evidence file by its place in the package (a relative
href beside them) with its SHA-256 as an OSCAL ``hash``, so an assessor's tool resolves every link inside the
zip; a file left out, or whose vault copy no longer matches its hash, is named by its hash alone. Written
through a temporary file: a failure leaves nothing behind.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote

from django.contrib.auth import get_user_model
from django.utils import timezone

from punchlist.audit.chain import verify_chain
from punchlist.interchange.cells import csv_row
from punchlist.interchange.oscal import poam_to_oscal, write_oscal
from punchlist.interchange.oscal_xml import write_oscal_xml
from punchlist.interchange.workbook import write_workbook
from punchlist.orgs.permissions import require
from punchlist.register.exports import build_export
from punchlist.register.models import VAULT, Evidence

EVIDENCE_HEADERS = ("POAM ID", "Evidence ID", "Name", "Stored file", "SHA-256", "Size (bytes)", "Reference",
                    "Added by", "Added at (UTC)", "File check", "In this package")
EVIDENCE_FOLDER = "evidence"
_UNSAFE = re.compile(r"[^A-Za-z0-9._ ()+-]+")


@dataclass(frozen=True, slots=True)
class PackageSummary:
    path: Path
    items: int
    evidence: int
    evidence_problems: int
    audit_intact: bool
    audit_events: int
    files: tuple[str, ...]
    evidence_files: int = 0


def package_name(organization, as_of: date) -> str:
    return f"{organization.slug}-assessor-package-{as_of.isoformat()}.zip"


def _say(progress, text):
    if progress is not None:
        progress(text)


def packaged_path(sha256: str, name: str) -> str:
    """Where an evidence file sits in the package: under its hash (two files of one name never collide), by
    its own name made safe for every file system."""
    safe = _UNSAFE.sub("_", os.path.basename(name.replace("\\", "/"))).strip(" .") or "file"
    return f"{EVIDENCE_FOLDER}/{sha256[:16]}/{safe[:120]}"


def write_package(actor, organization, path: str | os.PathLike, *, generated_at: datetime | None = None,
                  progress: Callable[[str], None] | None = None,
                  evidence_files: bool = True) -> PackageSummary:
    """``evidence_files=False`` leaves the evidence files out (a smaller zip; the index and the hashes stay)."""
    require(actor, "register.view_item", organization)
    path = Path(path)
    generated_at = generated_at or timezone.now()
    stamp = timezone.localdate(generated_at).isoformat()
    slug = organization.slug
    _say(progress, "reading the register")
    # The assessor sees the assessment POA&M with its closed items (closures are what a closeout verifies).
    export = build_export(actor, organization, generated_at=generated_at, include_closed=True)
    poam, context, evidence = export.poam, export.context, export.evidence
    names = {
        "workbook": f"{slug}-poam-{stamp}.xlsx",
        "oscal": f"{slug}-poam-oscal-{stamp}.json",
        "oscal_xml": f"{slug}-poam-oscal-{stamp}.xml",
        "evidence": "evidence-index.csv",
        "audit_text": "audit-trail-verification.txt",
        "audit_json": "audit-trail-verification.json",
        "readme": "README.txt",
        "manifest": "MANIFEST.sha256",
    }
    with tempfile.TemporaryDirectory(prefix="punchlist-package-") as folder:
        work = Path(folder)
        _say(progress, "hashing the evidence files")
        count, problems, intact = _evidence_index(organization, work / names["evidence"], evidence_files)
        packaged = _copy_evidence(intact, work) if evidence_files else {}
        _say(progress, f"writing the workbook ({len(poam.items):,} items)")
        write_workbook(poam, context, work / names["workbook"], evidence=evidence)
        evidence = _linked_into_package(evidence, packaged)
        files = [names["workbook"]]
        if poam.items:  # an OSCAL POA&M holds at least one item
            _say(progress, "writing the OSCAL POA&M")
            document = poam_to_oscal(poam, context, evidence=evidence)
            write_oscal(poam, context, work / names["oscal"], evidence=evidence)
            write_oscal_xml(poam, context, work / names["oscal_xml"], document=document)
            files += [names["oscal"], names["oscal_xml"]]
        files.append(names["evidence"])
        _say(progress, "verifying the audit trail")
        verification = verify_chain(organization)
        audit = {"organization": organization.name, "verified_at": timezone.now().isoformat(),
                 "intact": verification.intact, "events": verification.events, "chains": verification.chains,
                 "result": str(verification), "problem": verification.problem or None,
                 "first_bad_event": verification.first_bad.seq if verification.first_bad is not None else None}
        (work / names["audit_text"]).write_text(str(verification) + "\n", encoding="utf-8")
        (work / names["audit_json"]).write_text(json.dumps(audit, indent=2) + "\n", encoding="utf-8")
        files += [names["audit_text"], names["audit_json"]]
        files += sorted(set(packaged.values()))
        (work / names["readme"]).write_text(_readme(organization, context, names, files, len(poam.items), count,
                                                    problems, verification, generated_at), encoding="utf-8")
        files.insert(0, names["readme"])
        manifest = "".join(f"{_sha256(work / name)}  {name}\n" for name in files)
        (work / names["manifest"]).write_text(manifest, encoding="utf-8")
        files.append(names["manifest"])
        _say(progress, "writing the zip")
        temporary = path.with_name(path.name + ".part")
        try:
            with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for name in files:
                    archive.write(work / name, f"{slug}-assessor-package/{name}")
            temporary.replace(path)
        finally:
            temporary.unlink(missing_ok=True)
    return PackageSummary(path, len(poam.items), count, problems, verification.intact, verification.events,
                          tuple(files), len(set(packaged.values())))


def _copy_evidence(intact: dict[tuple[str, str], str], work: Path) -> dict[tuple[str, str], str]:
    """Copy each intact vault file into the package: (sha256, name) -> its place in the package."""
    placed = {}
    for (sha256, name), stored in intact.items():
        place = packaged_path(sha256, name)
        target = work / place
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            with closing(VAULT.reader(stored)) as source, open(target, "wb") as copy:
                shutil.copyfileobj(source, copy)
        placed[(sha256, name)] = place
    return placed


def _linked_into_package(evidence, packaged: dict[tuple[str, str], str]):
    """The export's evidence entries with each stored file linked where the package holds it; a file the
    package does not hold keeps its hash and name but no link that would lead nowhere."""
    linked = {}
    for identifier, entries in evidence.items():
        linked[identifier] = []
        for entry in entries:
            if entry.filename and entry.sha256 and entry.href is None:
                place = packaged.get((entry.sha256, entry.filename))
                entry = replace(entry, href=quote(place)) if place else replace(entry, filename=None)
            linked[identifier].append(entry)
    return linked


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _evidence_index(organization, path: Path, packaged: bool) -> tuple[int, int, dict[tuple[str, str], str]]:
    """Every piece of evidence with its hash, whether the vault's file still has it, and where the package holds
    it: (pieces, problems, the intact files by (sha256, name) -> their name in the vault)."""
    from punchlist.register.services.evidence import file_problem

    rows = list(Evidence.objects.for_organization(organization).order_by("item__identifier", "added_at", "pk")
                .values_list("item__identifier", "pk", "name", "file", "sha256", "size", "reference",
                             "added_by_id", "added_at"))
    people = {pk: f"{first} {last}".strip() or username for pk, first, last, username in
              get_user_model().objects.filter(pk__in={row[7] for row in rows})
              .values_list("pk", "first_name", "last_name", "username")}
    cache: dict = {}
    problems = 0
    intact: dict[tuple[str, str], str] = {}
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EVIDENCE_HEADERS)
    for identifier, pk, name, stored, sha256, size, reference, added_by, added_at in rows:
        if stored:
            found = file_problem(stored, sha256, cache)
            check = "intact: the vault's file matches its SHA-256" if found is None else f"{found[0]}: {found[1]}"
            problems += found is not None
            if found is None:
                intact[(sha256, name)] = stored
        else:
            check = "reference only (no file in the vault)"
        held = packaged_path(sha256, name) if stored and packaged and (sha256, name) in intact else None
        moment = added_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if added_at else None
        writer.writerow(csv_row([identifier, pk, name, stored or None, sha256 or None, size, reference or None,
                                 people.get(added_by), moment, check, held]))
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    return len(rows), problems, intact


def _readme(organization, context, names, files, items, evidence, problems, verification, generated_at) -> str:
    lines = [
        f"{context.marking}",
        f"Assessor package of {organization.name}",
        f"Generated {timezone.localtime(generated_at).strftime('%Y-%m-%d %H:%M %Z')} by Punchlist",
        "",
        f"Items: {items}" + (f"; SPRS score {context.score}, Level 2 {context.verdict}" if context.score is not None
                             else ""),
        f"Evidence: {evidence} piece(s); {problems} stored file(s) missing or altered",
        f"Audit trail: {verification}",
        "",
        "Files:",
        f"  {names['workbook']}: the POA&M workbook (summary, open and closed items, milestones, people, evidence)",
    ]
    if names["oscal"] in files:
        lines.append(f"  {names['oscal']} / {names['oscal_xml']}: the same POA&M as an OSCAL "
                     "plan-of-action-and-milestones, in JSON and in XML; their evidence links lead into "
                     f"{EVIDENCE_FOLDER}/, each with the file's SHA-256")
    else:
        lines.append("  (no OSCAL file: the register holds no item, and an OSCAL POA&M needs one)")
    lines += [
        f"  {names['evidence']}: every piece of evidence with its SHA-256, whether the stored file matches it, "
        "and where this package holds it",
        f"  {EVIDENCE_FOLDER}/: the evidence files whose stored copy matches its SHA-256, by hash and name"
        if any(name.startswith(f"{EVIDENCE_FOLDER}/") for name in files) else
        "  (no evidence files: left out of this package, or none stored)",
        f"  {names['audit_text']} / {names['audit_json']}: the hash chain of the audit trail, walked event by event",
        f"  {names['manifest']}: the SHA-256 of every file here (check with: sha256sum -c {names['manifest']})",
        "",
    ]
    return "\n".join(lines)

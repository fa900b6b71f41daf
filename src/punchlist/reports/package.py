"""The assessor package: one zip an assessor can take away and check on their own.

Inside: the Punchlist workbook and the OSCAL POA&M JSON (``punchlist.interchange``, from
``punchlist.register.exports.build_export``), an index of the evidence with each file's SHA-256 and whether the
vault's copy still matches it, the audit trail's verification result (``punchlist.audit.chain.verify_chain``),
a README, and a manifest with the SHA-256 of every file. Written through a temporary file: a failure leaves
nothing behind.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from django.contrib.auth import get_user_model
from django.utils import timezone

from punchlist.audit.chain import verify_chain
from punchlist.interchange.cells import csv_row
from punchlist.interchange.oscal import write_oscal
from punchlist.interchange.workbook import write_workbook
from punchlist.orgs.permissions import require
from punchlist.register.exports import build_export
from punchlist.register.models import Evidence

EVIDENCE_HEADERS = ("POAM ID", "Evidence ID", "Name", "Stored file", "SHA-256", "Size (bytes)", "Reference",
                    "Added by", "Added at (UTC)", "File check")


@dataclass(frozen=True, slots=True)
class PackageSummary:
    path: Path
    items: int
    evidence: int
    evidence_problems: int
    audit_intact: bool
    audit_events: int
    files: tuple[str, ...]


def package_name(organization, as_of: date) -> str:
    return f"{organization.slug}-assessor-package-{as_of.isoformat()}.zip"


def _say(progress, text):
    if progress is not None:
        progress(text)


def write_package(actor, organization, path: str | os.PathLike, *, generated_at: datetime | None = None,
                  progress: Callable[[str], None] | None = None) -> PackageSummary:
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
        "evidence": "evidence-index.csv",
        "audit_text": "audit-trail-verification.txt",
        "audit_json": "audit-trail-verification.json",
        "readme": "README.txt",
        "manifest": "MANIFEST.sha256",
    }
    with tempfile.TemporaryDirectory(prefix="punchlist-package-") as folder:
        work = Path(folder)
        _say(progress, f"writing the workbook ({len(poam.items):,} items)")
        write_workbook(poam, context, work / names["workbook"], evidence=evidence)
        files = [names["workbook"]]
        if poam.items:  # an OSCAL POA&M holds at least one item
            _say(progress, "writing the OSCAL POA&M")
            write_oscal(poam, context, work / names["oscal"], evidence=evidence)
            files.append(names["oscal"])
        _say(progress, "hashing the evidence files")
        count, problems = _evidence_index(organization, work / names["evidence"])
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
                          tuple(files))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _evidence_index(organization, path: Path) -> tuple[int, int]:
    """Every piece of evidence with its hash, and whether the vault's file still has it: (pieces, problems)."""
    from punchlist.register.services.evidence import file_problem

    rows = list(Evidence.objects.for_organization(organization).order_by("item__identifier", "added_at", "pk")
                .values_list("item__identifier", "pk", "name", "file", "sha256", "size", "reference",
                             "added_by_id", "added_at"))
    people = {pk: f"{first} {last}".strip() or username for pk, first, last, username in
              get_user_model().objects.filter(pk__in={row[7] for row in rows})
              .values_list("pk", "first_name", "last_name", "username")}
    cache: dict = {}
    problems = 0
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EVIDENCE_HEADERS)
    for identifier, pk, name, stored, sha256, size, reference, added_by, added_at in rows:
        if stored:
            found = file_problem(stored, sha256, cache)
            check = "intact: the vault's file matches its SHA-256" if found is None else f"{found[0]}: {found[1]}"
            problems += found is not None
        else:
            check = "reference only (no file in the vault)"
        moment = added_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if added_at else None
        writer.writerow(csv_row([identifier, pk, name, stored or None, sha256 or None, size, reference or None,
                                 people.get(added_by), moment, check]))
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    return len(rows), problems


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
        lines.append(f"  {names['oscal']}: the same POA&M as OSCAL plan-of-action-and-milestones JSON")
    else:
        lines.append("  (no OSCAL file: the register holds no item, and an OSCAL POA&M needs one)")
    lines += [
        f"  {names['evidence']}: every piece of evidence with its SHA-256 and whether the stored file matches it",
        f"  {names['audit_text']} / {names['audit_json']}: the hash chain of the audit trail, walked event by event",
        f"  {names['manifest']}: the SHA-256 of every file here (check with: sha256sum -c {names['manifest']})",
        "",
    ]
    return "\n".join(lines)

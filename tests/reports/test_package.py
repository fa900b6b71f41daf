"""The assessor package (one zip) and `punchlist report` on the command line."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

import openpyxl
import pytest
from pypdf import PdfReader
from report_builders import TODAY

from punchlist.audit.models import AuditEvent
from punchlist.cli import main
from punchlist.register.models import Evidence, PoamItem
from punchlist.interchange.oscal_import import load_oscal
from punchlist.reports.package import packaged_path, write_package


def unpack(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        return {name.split("/", 1)[1]: archive.read(name) for name in archive.namelist()}


def test_the_package_holds_workbook_oscal_evidence_and_audit_verification(acme, tmp_path):
    summary = write_package(acme.team.viewer, acme.org, tmp_path / "package.zip")
    files = unpack(tmp_path / "package.zip")
    stamp = f"{acme.org.slug}-poam-{TODAY.isoformat()}"
    baseline_file = packaged_path(hashlib.sha256(b"baseline v3\n").hexdigest(), "baseline.txt")
    assert set(files) == {"README.txt", f"{stamp}.xlsx", f"{stamp.replace('-poam-', '-poam-oscal-')}.json",
                          f"{stamp.replace('-poam-', '-poam-oscal-')}.xml", "evidence-index.csv",
                          "audit-trail-verification.txt", "audit-trail-verification.json", "MANIFEST.sha256",
                          baseline_file}
    # The assessment POA&M, open and closed; the operational plan of action is a record of its own.
    items = PoamItem.objects.for_organization(acme.org).filter(kind="assessment_poam")
    # The workbook: every item on its sheets, with the marking.
    workbook = openpyxl.load_workbook(io.BytesIO(files[f"{stamp}.xlsx"]), read_only=True)
    rows = [row for sheet in ("Open items", "Closed items") for row in workbook[sheet].iter_rows(min_row=3,
                                                                                                 values_only=True)]
    assert sorted(row[0] for row in rows) == sorted(items.values_list("identifier", flat=True))
    assert workbook["Summary"]["A1"].value.startswith("Internal tracking document")
    # The OSCAL POA&M: one poam-item per item.
    oscal = json.loads(files[stamp.replace("-poam-", "-poam-oscal-") + ".json"])
    assert len(oscal["plan-of-action-and-milestones"]["poam-items"]) == items.count()
    # The evidence index: each piece with its hash, checked against the vault.
    index = list(csv.DictReader(io.StringIO(files["evidence-index.csv"].decode("utf-8-sig"))))
    stored = Evidence.objects.for_organization(acme.org)
    assert len(index) == stored.count() == summary.evidence == 2
    by_name = {row["Name"]: row for row in index}
    baseline = stored.get(name="baseline.txt")
    assert by_name["baseline.txt"]["SHA-256"] == baseline.sha256 == hashlib.sha256(b"baseline v3\n").hexdigest()
    assert by_name["baseline.txt"]["File check"].startswith("intact")
    assert by_name["accounts.csv"]["File check"].startswith("reference only")
    # The audit trail's verification: every event of the organization's chain walked.
    audit = json.loads(files["audit-trail-verification.json"])
    assert audit["intact"] is True and summary.audit_intact
    assert audit["events"] == AuditEvent.objects.for_organization(acme.org).count()
    assert "audit trail intact" in files["audit-trail-verification.txt"].decode()
    # The manifest: the hash of every other file.
    for line in files["MANIFEST.sha256"].decode().splitlines():
        digest, name = line.split("  ", 1)
        assert hashlib.sha256(files[name]).hexdigest() == digest
    assert "Internal tracking document" in files["README.txt"].decode()


def _links(document: dict) -> tuple[list[tuple[str, str | None]], set[str], list[str]]:
    """Every rlink (href, SHA-256), every resource UUID, and every in-document href of an OSCAL POA&M."""
    root = document["plan-of-action-and-milestones"]
    resources = root.get("back-matter", {}).get("resources", [])
    rlinks = [(link["href"], next((h["value"] for h in link.get("hashes", []) if h["algorithm"] == "SHA-256"),
                                  None)) for resource in resources for link in resource.get("rlinks", [])
              if "://" not in link["href"]]  # a reference to where evidence lives outside (a wiki page)
    internal = [evidence["href"] for observation in root["observations"]
                for evidence in observation.get("relevant-evidence", [])]
    internal.append(root["import-ssp"]["href"])
    return rlinks, {resource["uuid"] for resource in resources}, internal


@pytest.mark.parametrize("suffix", [".json", ".xml"])
def test_every_oscal_link_resolves_inside_the_package(vault_backend, acme, tmp_path, suffix):
    from urllib.parse import unquote

    write_package(acme.team.viewer, acme.org, tmp_path / "package.zip")
    files = unpack(tmp_path / "package.zip")
    name = next(n for n in files if "-poam-oscal-" in n and n.endswith(suffix))
    rlinks, uuids, internal = _links(load_oscal(files[name], file=name).document)
    assert rlinks, "the stored evidence file is linked"
    assert b"https://wiki/acct" in files[name]  # the reference evidence keeps its own (outside) link
    for href, digest in rlinks:
        place = unquote(href)  # relative to the OSCAL file, which sits at the package's top
        assert place in files, href
        assert digest == hashlib.sha256(files[place]).hexdigest()
    for href in internal:
        assert href.startswith("#") and href[1:] in uuids, href
    stored = Evidence.objects.for_organization(acme.org).exclude(file="")
    assert {unquote(href) for href, _ in rlinks} == {packaged_path(e.sha256, e.name) for e in stored}
    index = {row["Name"]: row for row in csv.DictReader(io.StringIO(files["evidence-index.csv"].decode("utf-8-sig")))}
    assert index["baseline.txt"]["In this package"] == packaged_path(stored.get().sha256, "baseline.txt")


def test_the_evidence_files_can_be_left_out_and_then_nothing_links_to_them(acme, tmp_path, capsys):
    out = tmp_path / "package.zip"
    assert main(["report", "package", "--org", acme.org.slug, "--out", str(out), "--without-evidence-files"]) == 0
    files = unpack(out)
    assert not any(name.startswith("evidence/") for name in files)
    for name in (n for n in files if "-poam-oscal-" in n):
        rlinks, _, _ = _links(load_oscal(files[name], file=name).document)
        assert rlinks == []  # no link that would lead nowhere; the hash stays with the resource
        assert Evidence.objects.for_organization(acme.org).exclude(file="").get().sha256.encode() in files[name]
    assert "no evidence files" in files["README.txt"].decode()


def test_an_altered_vault_file_is_not_packaged_as_the_evidence(vault_backend, acme, tmp_path):
    baseline = Evidence.objects.for_organization(acme.org).get(name="baseline.txt")
    vault_backend.alter(baseline.file.name, b"baseline v4, edited after approval\n")
    write_package(acme.team.viewer, acme.org, tmp_path / "package.zip")
    files = unpack(tmp_path / "package.zip")
    assert not any(name.startswith("evidence/") for name in files)
    assert b"edited after approval" not in b"".join(files.values())


def test_an_organization_without_items_gets_a_package_without_oscal(team, tmp_path):
    summary = write_package(team.viewer, team.org, tmp_path / "package.zip")
    files = unpack(tmp_path / "package.zip")
    assert summary.items == 0 and not any(name.endswith(".json") and "oscal" in name for name in files)
    assert "no OSCAL file" in files["README.txt"].decode()
    assert files["evidence-index.csv"].decode("utf-8-sig").startswith("POAM ID,")


def test_an_altered_evidence_file_shows_in_the_index(vault_backend, acme, tmp_path):
    baseline = Evidence.objects.for_organization(acme.org).get(name="baseline.txt")
    vault_backend.alter(baseline.file.name, b"baseline v4, edited after approval\n")
    summary = write_package(acme.team.viewer, acme.org, tmp_path / "package.zip")
    index = list(csv.DictReader(io.StringIO(unpack(tmp_path / "package.zip")["evidence-index.csv"]
                                            .decode("utf-8-sig"))))
    row = next(r for r in index if r["Name"] == "baseline.txt")
    assert row["File check"].startswith("altered") and summary.evidence_problems == 1


def test_a_broken_audit_trail_shows_in_the_package(acme, tmp_path):
    from punchlist.audit import triggers
    from django.db import connection

    triggers.remove(connection)
    try:
        event = AuditEvent.objects.for_organization(acme.org).order_by("seq")[3]
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten afterwards")
    finally:
        triggers.install(connection)
    write_package(acme.team.viewer, acme.org, tmp_path / "package.zip")
    audit = json.loads(unpack(tmp_path / "package.zip")["audit-trail-verification.json"])
    assert audit["intact"] is False and audit["first_bad_event"] == event.seq
    assert "altered" in audit["problem"]


def test_a_failed_package_leaves_nothing(acme, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()

    def disk_full(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "write", disk_full)  # the failure comes half-way through the zip
    with pytest.raises(OSError):
        write_package(acme.team.viewer, acme.org, out / "package.zip")
    assert list(out.iterdir()) == []


# --- the command line -----------------------------------------------------------------------------------------

def test_cli_writes_each_report(acme, tmp_path, capsys):
    out = tmp_path / "review.pdf"
    assert main(["report", "review", "--org", acme.org.slug, "--user", "acme-viewer", "--out", str(out),
                 "--as-of", TODAY.isoformat(), "--progress"]) == 0
    captured = capsys.readouterr()
    assert "Monthly management review of Acme Machining" in captured.out
    assert "drawing the PDF" in captured.err  # progress on stderr
    text = " ".join(page.extract_text() for page in PdfReader(out).pages)
    assert "Monthly management review" in text and "Internal tracking document" in text
    html = tmp_path / "readiness.html"
    assert main(["report", "readiness", "--org", acme.org.slug, "--format", "html", "--out", str(html)]) == 0
    assert "Level 2 readiness report" in html.read_text()
    package = tmp_path / "package.zip"
    assert main(["report", "package", "--org", acme.org.slug, "--out", str(package)]) == 0
    assert "evidence-index.csv" in {name.split("/", 1)[1] for name in zipfile.ZipFile(package).namelist()}
    assert "audit trail intact" in capsys.readouterr().out


def test_cli_refuses_a_wrong_format_or_folder(acme, tmp_path, capsys):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    assert main(["report", "package", "--org", acme.org.slug, "--format", "pdf", "--out", str(tmp_path / "x")]) == 2
    assert "written as zip, not pdf" in capsys.readouterr().err
    assert main(["report", "leadership", "--org", acme.org.slug, "--out", str(tmp_path / "no" / "x.pdf")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["report", "leadership", "--org", acme.org.slug, "--user", "rival-admin",
                 "--out", str(tmp_path / "x.pdf")]) == 2
    assert list(tmp_path.iterdir()) == []

"""The evidence vault: stored once by SHA-256, hashed while streaming, size- and type-checked, custodians and
dates, links, retention (R-AFF-3) and re-verification."""

from __future__ import annotations

import hashlib
import io
from datetime import date, timedelta

import pytest
from django.utils import timezone

from punchlist.audit.models import AuditEvent
from punchlist.orgs.permissions import PermissionDenied
from punchlist.register.errors import InvalidChange, WorkflowError
from punchlist.register.models import Evidence, EvidenceRequirement
from punchlist.register.services import evidence as vault
from punchlist.register.services import assessments
from punchlist.testing import make_item

PDF = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 50
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


class Trickle(io.RawIOBase):
    """A large upload that is never in memory as a whole: it makes its bytes as they are read, and
    remembers the largest read, so the test can see the vault reads in chunks."""

    def __init__(self, size: int):
        self.size, self.position, self.largest = size, 0, 0
        self.name = "firewall-export.log"

    def readable(self):
        return True

    def read(self, n=-1):
        n = self.size - self.position if n is None or n < 0 else min(n, self.size - self.position)
        self.largest = max(self.largest, n)
        start = self.position
        self.position += n
        return stretch(start, n)


CYCLE = bytes((i * 7 + 13) % 95 + 32 for i in range(95))  # printable text, repeating every 95 bytes


def stretch(start: int, n: int) -> bytes:
    offset = start % len(CYCLE)
    return (CYCLE * (n // len(CYCLE) + 2))[offset:offset + n]


def expected_digest(size: int) -> str:
    return hashlib.sha256(stretch(0, size)).hexdigest()


def test_a_file_is_stored_once_under_its_sha256_read_only(team, item, vault_backend):
    other = make_item(team, requirements=("3.5.4",), title="MFA for remote access")
    first = vault.add_evidence(team.owner, item, name="gpo.pdf", content=PDF)
    second = vault.add_evidence(team.coordinator, other, name="same report.pdf", content=PDF, filename="gpo.pdf")
    digest = hashlib.sha256(PDF).hexdigest()
    assert first.sha256 == second.sha256 == digest and first.file.name == second.file.name
    assert first.file.name == f"{team.org.pk}/{digest[:2]}/{digest}"
    assert vault_backend.files() == [first.file.name]  # one file, two pieces
    assert vault_backend.read(first.file.name) == PDF and vault_backend.read_only(first.file.name)
    assert first.file_type == "PDF document" and first.size == len(PDF)


def test_large_uploads_are_hashed_in_chunks_as_they_stream(team, item, settings, vault_backend):
    settings.PUNCHLIST_MAX_UPLOAD_BYTES = 8 * 1024 * 1024
    upload = Trickle(3 * 1024 * 1024 + 17)
    piece = vault.add_evidence(team.owner, item, name="Firewall export", content=upload)
    assert upload.largest <= vault.CHUNK
    assert piece.sha256 == expected_digest(upload.size) and piece.size == upload.size
    assert piece.file_type == "text"
    assert vault.verify_evidence(team.org) == [] and vault_backend.files() == [piece.file.name]


def test_too_large_is_refused_while_streaming_and_nothing_is_left(team, item, settings, vault_backend):
    settings.PUNCHLIST_MAX_UPLOAD_BYTES = 2 * 1024 * 1024
    upload = Trickle(5 * 1024 * 1024)
    with pytest.raises(InvalidChange, match=r"firewall-export.log is larger than 2.0\sMB, the limit for evidence"):
        vault.add_evidence(team.owner, item, name="Firewall export", content=upload)
    assert upload.position <= 3 * 1024 * 1024  # it stopped reading soon after the limit
    assert vault_backend.files() == [] and not item.evidence.exists()


@pytest.mark.parametrize(("filename", "content", "message"), [
    ("report.pdf", b"just some text, not a PDF", r"the name says PDF document \(.pdf\) but its content does not"),
    ("scan.png", PDF, r"the name says PNG image \(.png\) but its content is a PDF document"),
    ("policy.docx", PDF, r"but its content is a PDF document"),
    ("notes.txt", b"MZ\x90\x00\x03\x00\x00\x00", r"the name says text \(.txt\) but its content does not"),
    ("setup.exe", b"MZ\x90\x00", r"\.exe is not a type the evidence vault accepts; accepted: 7z, cfg, conf, csv"),
    ("README", b"plain", r"a file without an extension is not a type the evidence vault accepts"),
    ("empty.txt", b"", r"empty.txt is empty"),
])
def test_types_are_checked_by_their_first_bytes(team, item, vault_backend, filename, content, message):
    with pytest.raises(InvalidChange, match=message):
        vault.add_evidence(team.owner, item, name=filename, content=content)
    assert vault_backend.files() == [] and not item.evidence.exists()


@pytest.mark.parametrize(("filename", "content", "label"), [
    ("screenshot.png", PNG, "PNG image"),
    ("photo.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 64, "JPEG image"),
    ("evidence.zip", b"PK\x03\x04" + b"\x00" * 64, "ZIP archive"),
    ("policy.xlsx", b"PK\x03\x04" + b"\x00" * 64, "Office document"),
    ("legacy.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "Office 97-2003 document"),
    ("users.csv", "name,enrolled\nZoë,yes\n".encode("cp1252"), "text"),
    ("export.csv", "\ufeffname\r\nmarcus\r\n".encode("utf-16"), "text"),
    ("logs.tar", b"\x00" * 257 + b"ustar\x0000" + b"\x00" * 300, "tar archive"),
])
def test_accepted_types(team, item, evidence_root, filename, content, label):
    piece = vault.add_evidence(team.owner, item, name=filename, content=content)
    assert piece.file_type == label


def test_custodian_dates_and_requirements_default_from_the_item(team, item):
    piece = vault.add_evidence(team.owner, item, name="Change ticket", reference="ServiceNow CHG0041")
    assert piece.custodian == item.evidence_custodian == team.owner
    assert piece.collected_on == timezone.localdate()
    assert piece.review_by == piece.collected_on + timedelta(days=365)
    assert list(piece.requirement_links.values_list("requirement", flat=True)) == ["3.1.8"]
    event = AuditEvent.objects.for_item(item).filter(action="add_evidence").get()
    assert event.after["custodian"] == team.owner.pk and event.after["requirements"] == ["3.1.8"]


def test_custodian_and_dates_are_checked(team, rival, item):
    with pytest.raises(InvalidChange, match="custodian: rival-owner is not a member of Acme Machining"):
        vault.add_evidence(team.owner, item, name="x", reference="y", custodian=rival.owner)
    with pytest.raises(InvalidChange, match="custodian: acme-viewer has the role Viewer"):
        vault.add_evidence(team.owner, item, name="x", reference="y", custodian=team.viewer)
    with pytest.raises(InvalidChange, match="is in the future"):
        vault.add_evidence(team.owner, item, name="x", reference="y", collected_on=date.today() + timedelta(days=3))
    piece = vault.add_evidence(team.owner, item, name="x", reference="y", collected_on=date(2025, 1, 10))
    with pytest.raises(InvalidChange, match="review-by date 2025-01-01 is before the collection date 2025-01-10"):
        vault.update_evidence(team.owner, piece, review_by=date(2025, 1, 1))


def test_update_and_link_evidence_with_audit(team, item):
    other = make_item(team, requirements=("3.5.4",), title="MFA for remote access", primary_owner=team.owner2,
                      evidence_custodian=team.owner2)
    piece = vault.add_evidence(team.owner, item, name="GPO report", reference="\\\\share\\gpo.html")
    vault.update_evidence(team.coordinator, piece, custodian=team.approver,
                          review_by=date.today() + timedelta(days=90))
    piece.refresh_from_db()
    assert piece.custodian == team.approver
    event = AuditEvent.objects.for_item(item).filter(action="update_evidence").get()
    assert set(event.before) == set(event.after) == {"custodian", "review_by", "version"}
    assert (event.before["custodian"], event.after["custodian"]) == (team.owner.pk, team.approver.pk)
    assert event.after["review_by"] == (date.today() + timedelta(days=90)).isoformat()
    # The owner of one item cannot link its evidence to an item they do not own; the coordinator can.
    with pytest.raises(PermissionDenied, match="acme-owner .* may not add evidence"):
        vault.link_evidence(team.owner, piece, items=[other])
    vault.link_evidence(team.coordinator, piece, items=[other], requirements=["3.1.8", "IA.L2-3.5.3"])
    assert list(piece.linked_items.all()) == [other]
    assert sorted(EvidenceRequirement.objects.for_organization(team.org).values_list("requirement", flat=True)) \
        == ["3.1.8", "3.5.3"]
    assert list(vault.evidence_for_item(other)) == [piece]
    link = AuditEvent.objects.for_item(item).filter(action="link_evidence").get()
    assert link.after == {"linked_items": [other.identifier], "requirements": ["3.1.8", "3.5.3"], "version": 3}
    with pytest.raises(InvalidChange, match="'3.99.1' is not a NIST SP 800-171 Rev 2 requirement"):
        vault.link_evidence(team.coordinator, piece, requirements=["3.99.1"])


def test_links_stay_within_the_organization(team, rival, item):
    piece = vault.add_evidence(team.owner, item, name="x", reference="y")
    theirs = make_item(rival)
    with pytest.raises(InvalidChange, match=f"{theirs.identifier} is not an item of Acme Machining"):
        vault.link_evidence(team.coordinator, piece, items=[theirs])


# --- retention ------------------------------------------------------------------------------------------

def backdate(piece: Evidence, years: int) -> None:
    """Evidence added ``years`` ago (test data only: the service always stamps now)."""
    Evidence.objects.filter(pk=piece.pk).update(added_at=timezone.now() - timedelta(days=365 * years + 2))
    piece.refresh_from_db()


def test_no_deletion_inside_the_retention_period(team, item):
    piece = vault.add_evidence(team.owner, item, name="gpo.pdf", content=PDF)
    ends = vault.retention_ends(piece)
    assert ends == vault._add_years(timezone.localdate(piece.added_at), 6)
    with pytest.raises(WorkflowError, match=f"R-AFF-3: evidence “gpo.pdf” must be kept until {ends.isoformat()}"):
        vault.delete_evidence(team.admin, piece, reason="tidying up")
    for someone in (team.coordinator, team.owner, team.viewer):
        with pytest.raises(PermissionDenied, match="only an administrator may"):
            vault.delete_evidence(someone, piece, reason="tidying up")
    assert Evidence.objects.filter(pk=piece.pk).exists()


def test_retention_runs_from_the_cmmc_status_date_when_later(team, item):
    piece = vault.add_evidence(team.owner, item, name="ticket", reference="CHG1")
    backdate(piece, 7)
    assessment = assessments.create_assessment(team.coordinator, team.org,
                                               assessed_on=date.today() - timedelta(days=30))
    assessments.set_conditional_date(team.coordinator, assessment, date.today() - timedelta(days=20))
    item.refresh_from_db()
    item.assessment = assessment
    item.save(update_fields=["assessment"])
    assert vault.retention_ends(piece) == vault._add_years(date.today() - timedelta(days=20), 6)
    with pytest.raises(WorkflowError, match="R-AFF-3"):
        vault.delete_evidence(team.admin, piece, reason="old")


def test_an_admin_deletes_after_retention_with_a_reason(team, item, vault_backend,
                                                        django_capture_on_commit_callbacks):
    kept = vault.add_evidence(team.owner, item, name="gpo.pdf", content=PDF)
    old = vault.add_evidence(team.owner, item, name="old copy.pdf", content=PDF, filename="x.pdf")
    backdate(old, 7)
    with pytest.raises(WorkflowError, match="needs a reason"):
        vault.delete_evidence(team.admin, old, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):
        vault.delete_evidence(team.admin, old, reason="superseded; past R-AFF-3 retention")
    assert list(item.evidence.all()) == [kept]
    assert vault_backend.files() == [kept.file.name]  # still cited by the kept piece
    event = AuditEvent.objects.for_item(item).filter(action="delete_evidence").get()
    assert event.reason == "superseded; past R-AFF-3 retention" and event.before["name"] == "old copy.pdf"
    backdate(kept, 7)
    with django_capture_on_commit_callbacks(execute=True):
        vault.delete_evidence(team.admin, kept, reason="past retention")
    assert vault_backend.files() == []  # the last piece citing it is gone, and so is the file


# --- verification ---------------------------------------------------------------------------------------

def test_verify_evidence_names_missing_and_altered_files(team, rival, item, vault_backend):
    good = vault.add_evidence(team.owner, item, name="good.pdf", content=PDF)
    altered = vault.add_evidence(team.owner, item, name="screen.png", content=PNG)
    missing = vault.add_evidence(team.owner, item, name="users.csv", content=b"user,mfa\nmarcus,yes\n")
    vault.add_evidence(team.owner, item, name="ticket", reference="CHG1")  # nothing to hash
    theirs = vault.add_evidence(rival.owner, make_item(rival), name="theirs.txt", content=b"rival evidence\n")
    assert vault.verify_evidence() == []
    vault_backend.alter(altered.file.name, PNG[:-1] + b"\x00")  # one byte changed, same size
    vault_backend.remove(missing.file.name)
    vault_backend.remove(theirs.file.name)
    problems = vault.verify_evidence(team.org)
    assert [(p.name, p.problem) for p in problems] == [("screen.png", "altered"), ("users.csv", "missing")]
    assert str(problems[0]).startswith(f"acme-machining {item.identifier}: evidence “screen.png” (#{altered.pk}) "
                                       "is altered: ")
    assert altered.sha256 in problems[0].detail
    everyone = vault.verify_evidence()
    assert {p.organization for p in everyone} == {"acme-machining", "rival-fabrication"} and len(everyone) == 3
    seen = []
    vault.verify_evidence(team.org, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (3, 3) and good.pk not in [p.evidence_id for p in problems]


def test_uploading_the_same_content_again_restores_an_altered_file(team, item, vault_backend):
    piece = vault.add_evidence(team.owner, item, name="gpo.pdf", content=PDF)
    vault_backend.alter(piece.file.name, b"%PDF-1.7 tampered")
    assert [p.problem for p in vault.verify_evidence(team.org)] == ["altered"]
    vault.add_evidence(team.owner, item, name="gpo again.pdf", content=PDF)
    assert vault.verify_evidence(team.org) == []
    event = AuditEvent.objects.for_item(item).filter(action="add_evidence").order_by("seq").last()
    assert event.after["restored"] is True and vault_backend.read(piece.file.name) == PDF

"""Evidence pages through Django's test client: the download is an attachment for members only, the page
shows custodian, dates, links and retention, and edits, links and deletion go through the vault's services."""

from __future__ import annotations

import html
import logging
import re
from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone

from punchlist.register.models import Evidence
from punchlist.register.services import evidence as vault
from punchlist.testing import make_item

PDF = b"%PDF-1.7\n<script>alert(1)</script> lockout report"


def text(response) -> str:
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def url(name, piece, org=None):
    return reverse(f"web:{name}", args=[org or piece.item.organization.slug, piece.pk])


def test_download_is_an_attachment_for_members_only(team, rival, item, vault_backend, login_as):
    piece = vault.add_evidence(team.owner, item, name="gpo-report.pdf", content=PDF)
    for reader in (team.viewer, team.owner2, team.approver):
        response = login_as(reader).get(url("evidence_download", piece))
        assert response.status_code == 200
        assert response["Content-Disposition"] == 'attachment; filename="gpo-report.pdf"'
        assert response["Content-Type"] == "application/octet-stream"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert response["Cache-Control"] == "private, no-store"
        assert b"".join(response.streaming_content) == PDF
    outsider = login_as(rival.admin)
    assert outsider.get(url("evidence_download", piece)).status_code == 404  # not a member
    assert outsider.get(url("evidence_download", piece, rival.org.slug)).status_code == 404  # not theirs
    anonymous = login_as(team.owner)
    anonymous.logout()
    assert anonymous.get(url("evidence_download", piece)).status_code == 302  # to the sign-in page


def test_each_download_is_written_to_the_security_log(team, item, login_as, caplog):
    """3.3.1: who took which file, from the vault page and from the item page alike."""
    caplog.set_level(logging.INFO, logger="punchlist.security")
    piece = vault.add_evidence(team.owner, item, name="gpo-report.pdf", content=PDF)
    client = login_as(team.viewer)
    assert client.get(url("evidence_download", piece)).status_code == 200
    assert client.get(reverse("web:item_evidence_file", args=[team.org.slug, item.identifier, piece.pk])
                      ).status_code == 200
    lines = [record.getMessage() for record in caplog.records if record.name == "punchlist.security"]
    expected = (f"downloaded: username={team.viewer.username!r} org={team.org.slug} "
                f"file='evidence {piece.pk} gpo-report.pdf (sha256 {piece.sha256})' ip=127.0.0.1")
    assert lines.count(expected) == 2


def test_a_reference_or_a_missing_file_is_not_found(team, item, vault_backend, login_as):
    reference = vault.add_evidence(team.owner, item, name="Ticket", reference="CHG0041")
    piece = vault.add_evidence(team.owner, item, name="users.csv", content=b"user,mfa\n")
    vault_backend.remove(piece.file.name)
    client = login_as(team.owner)
    assert client.get(url("evidence_download", reference)).status_code == 404
    assert client.get(url("evidence_download", piece)).status_code == 404


def test_the_evidence_page_and_its_edits(team, item, login_as):
    other = make_item(team, requirements=("3.5.4",), title="MFA")
    piece = vault.add_evidence(team.owner, item, name="gpo-report.pdf", content=PDF)
    client = login_as(team.coordinator)
    page = text(client.get(url("evidence", piece)))
    assert piece.sha256 in page and "PDF document" in page and "Custodian Marcus Lee" in page
    ends = vault.retention_ends(piece)
    assert f"Kept until {ends.day} {ends:%b %Y}" in page
    review_by = date.today() + timedelta(days=30)
    saved = client.post(url("evidence_edit", piece), {
        "name": "GPO report", "description": "exported from GPMC", "custodian": team.approver.pk,
        "collected_on": date.today().isoformat(), "review_by": review_by.isoformat()})
    assert saved.status_code == 302
    piece.refresh_from_db()
    assert (piece.name, piece.custodian, piece.review_by) == ("GPO report", team.approver, review_by)
    linked = client.post(url("evidence_links", piece), {"items": other.identifier.lower(),
                                                        "requirements": "3.1.8, IA.L2-3.5.3"})
    assert linked.status_code == 302 and list(piece.linked_items.all()) == [other]
    unknown = client.post(url("evidence_links", piece), {"items": "POAM-ZZ-999", "requirements": "3.1.8"})
    assert unknown.status_code == 400 and "POAM-ZZ-999: no such item in Acme Machining" in text(unknown)
    refused = client.post(url("evidence_edit", piece), {
        "name": "GPO report", "custodian": team.approver.pk, "collected_on": date.today().isoformat(),
        "review_by": (date.today() - timedelta(days=1)).isoformat(), "description": "typed and kept"})
    assert refused.status_code == 400 and "is before the collection date" in text(refused)
    assert "typed and kept" in refused.content.decode()


def test_viewers_read_but_do_not_edit(team, item, login_as):
    piece = vault.add_evidence(team.owner, item, name="Ticket", reference="CHG0041")
    viewer = login_as(team.viewer)
    page = viewer.get(url("evidence", piece))
    assert page.status_code == 200 and "Custodian and dates" not in text(page)
    forged = viewer.post(url("evidence_edit", piece), {"name": "x", "custodian": team.owner.pk,
                                                       "review_by": date.today().isoformat()})
    assert forged.status_code == 403 and "may not add evidence" in text(forged)
    assert Evidence.objects.get(pk=piece.pk).name == "Ticket"


def test_deletion_only_by_an_admin_after_retention(team, item, login_as):
    piece = vault.add_evidence(team.owner, item, name="Ticket", reference="CHG0041")
    admin = login_as(team.admin)
    refused = admin.post(url("evidence_delete", piece), {"reason": "tidy"})
    assert refused.status_code == 400 and "R-AFF-3" in text(refused)
    coordinator = login_as(team.coordinator)
    assert "Delete this evidence" not in text(coordinator.get(url("evidence", piece)))
    assert coordinator.post(url("evidence_delete", piece), {"reason": "tidy"}).status_code == 403
    Evidence.objects.filter(pk=piece.pk).update(added_at=timezone.now() - timedelta(days=7 * 366))
    deleted = admin.post(url("evidence_delete", piece), {"reason": "past retention"})
    assert deleted.status_code == 302 and deleted["Location"].endswith(f"/items/{item.identifier}/")
    assert not Evidence.objects.filter(pk=piece.pk).exists()

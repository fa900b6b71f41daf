"""The quarterly validation of closed items, and an evidence file altered on disk caught by both
``verify_evidence`` (what `punchlist verify` runs) and the validation, which reopens the item."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from punchlist.audit.models import AuditEvent
from punchlist.orgs.permissions import PermissionDenied
from punchlist.register import services as register
from punchlist.register.errors import InvalidChange, WorkflowError
from punchlist.register.models import Evidence, PoamItem, Status
from punchlist.register.services import evidence as vault
from punchlist.rhythm import services
from punchlist.rhythm.models import Outcome, QuarterlyValidation
from punchlist.rhythm.periods import quarter_label, quarter_of
from punchlist.rhythm.services.quarterly import checks, closed_items
from punchlist.testing import make_item

TODAY = date.today()
REPORT = b"%PDF-1.7\nGPO report: account lockout threshold 5, duration 15 minutes\n"


def close(team, item, content=REPORT, name="gpo-report.pdf"):
    piece = vault.add_evidence(team.owner, item, name=name, content=content)
    register.request_closure(team.owner, item)
    register.approve_closure(team.approver, item)
    return piece


@pytest.fixture
def closed(team, item):
    piece = close(team, item)
    item.refresh_from_db()
    return item, piece


def only_check(team):
    (check,) = checks(team.org, closed_items(team.org), TODAY)
    return check


def test_a_closed_item_with_intact_current_evidence_is_signed_off(team, closed):
    item, piece = closed
    check = only_check(team)
    assert check.ok and check.pending and check.findings[0]["state"] == "ok"
    validation = services.validate_item(team.coordinator, item, passed=True)
    assert (validation.outcome, validation.quarter, validation.validator) == (Outcome.PASSED, quarter_of(TODAY),
                                                                             team.coordinator)
    assert validation.findings[0]["sha256"] == piece.sha256
    assert only_check(team).validation == validation
    with pytest.raises(WorkflowError, match=rf"already passed for {quarter_label(quarter_of(TODAY))}"):
        services.validate_item(team.admin, item, passed=True)
    event = AuditEvent.objects.for_item(item).get(action="validate_item")
    assert event.after["outcome"] == "passed"


def test_an_altered_file_is_caught_by_verify_and_by_the_validation(team, vault_backend, closed):
    item, piece = closed
    vault_backend.alter(piece.file.name, REPORT.replace(b"threshold 5", b"threshold 0"))  # same size, one fact changed

    (problem,) = vault.verify_evidence()
    assert (problem.evidence_id, problem.item, problem.problem) == (piece.pk, item.identifier, "altered")

    check = only_check(team)
    assert not check.ok and check.findings[0]["state"] == "altered"
    assert "evidence “gpo-report.pdf” is altered" in check.problems[0]
    with pytest.raises(WorkflowError, match=rf"{item.identifier} cannot be signed off .* is altered"):
        services.validate_item(team.coordinator, item, passed=True)
    assert not QuarterlyValidation.objects.exists()

    services.validate_item(team.coordinator, item, passed=False,
                           reason="The GPO report no longer matches its hash; collect it again")
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS and item.completion_date is None and item.verified_by is None
    reopen = AuditEvent.objects.for_item(item).get(action="reopen_item")
    assert reopen.reason == (f"Quarterly validation {quarter_label(quarter_of(TODAY))} failed: The GPO report no "
                             "longer matches its hash; collect it again")
    failed = QuarterlyValidation.objects.get()
    assert failed.outcome == Outcome.FAILED and failed.findings[0]["state"] == "altered"


def test_missing_files_out_of_date_reviews_and_no_evidence_are_problems(team, vault_backend, closed):
    item, piece = closed
    vault_backend.remove(piece.file.name)
    reference = vault.add_evidence(team.owner, item, name="Change ticket", reference="CHG0041",
                                   collected_on=TODAY - timedelta(days=400), review_by=TODAY - timedelta(days=35))
    check = only_check(team)
    states = {f["name"]: f["state"] for f in check.findings}
    assert states == {"gpo-report.pdf": "missing", "Change ticket": "out of date"}
    assert any("was due for review on" in p and "Change ticket" in p for p in check.problems)
    # Imported evidence may have no review-by date: the validator is told to set one.
    Evidence.objects.filter(pk=reference.pk).update(review_by=None)
    assert any("has no review-by date" in p for p in only_check(team).problems)
    Evidence.objects.filter(item=item).delete()
    assert only_check(team).problems == ["it has no evidence at all"]


def test_linked_evidence_counts_for_the_items_it_proves(team, item):
    other = make_item(team, requirements=("3.5.4",), title="MFA")
    piece = close(team, item)
    register.add_evidence(team.owner, other, name="placeholder", reference="see the GPO report")
    register.request_closure(team.owner, other)
    register.approve_closure(team.approver, other)
    vault.link_evidence(team.coordinator, piece, items=[other])
    rows = {c.item.identifier: c for c in checks(team.org, closed_items(team.org), TODAY)}
    assert [f["name"] for f in rows[other.identifier].findings] == ["placeholder", "gpo-report.pdf"]


def test_who_may_validate(team, closed):
    item, _ = closed
    for someone in (team.owner, team.owner2, team.viewer, team.approver2):
        with pytest.raises(PermissionDenied):
            services.validate_item(someone, item, passed=True)
    # The approval authority may, unless they are also the item's primary owner.
    services.validate_item(team.approver, item, passed=True)
    mine = make_item(team, requirements=("3.5.4",), title="Own item", primary_owner=team.admin,
                     approval_authority=team.approver)
    register.add_evidence(team.admin, mine, name="mfa.pdf", content=b"%PDF-1.7 other")
    register.request_closure(team.admin, mine)
    register.approve_closure(team.approver, mine)
    with pytest.raises(PermissionDenied):
        services.validate_item(team.admin, mine, passed=True)


def test_failing_needs_a_reason_and_only_closed_items_are_validated(team, closed):
    item, _ = closed
    with pytest.raises(InvalidChange, match="needs a reason"):
        services.validate_item(team.coordinator, item, passed=False, reason=" ")
    assert PoamItem.objects.get(pk=item.pk).status == Status.CLOSED
    open_item = make_item(team, requirements=("3.5.4",), title="Still open")
    with pytest.raises(WorkflowError, match="the quarterly validation checks closed items"):
        services.validate_item(team.coordinator, open_item, passed=True)


def test_a_reopened_item_closed_again_is_validated_again(team, closed):
    item, _ = closed
    services.validate_item(team.coordinator, item, passed=False, reason="Screenshot too old")
    item.refresh_from_db()
    register.add_evidence(team.owner, item, name="new-report.pdf", content=b"%PDF-1.7 fresh")
    register.request_closure(team.owner, item)
    register.approve_closure(team.approver, item)
    assert only_check(team).pending  # the failure was about the earlier closure
    services.validate_item(team.coordinator, item, passed=True)
    assert [v.outcome for v in QuarterlyValidation.objects.order_by("validated_at")] == ["failed", "passed"]

"""Scans in a row: the same scan again changes nothing, a new host joins its weakness's item, a fixed weakness
is put forward for closure (never closed) with the scan as evidence, a narrower scan closes nothing on the
hosts it did not scan, and a finding that comes back reopens its item with the reason."""

from datetime import date

import pytest

from punchlist.audit.models import AuditEvent
from punchlist.interchange.scanners import read_scan
from punchlist.register.models import Evidence, PoamItem, Status
from punchlist.register.services.items import update_item
from punchlist.register.services.workflow import approve_closure
from punchlist.scans.decisions import decide_findings
from punchlist.scans.importing import import_scan, scan_poam
from punchlist.scans.models import FindingState, ScanFinding
from punchlist.testing.scans import nessus_xml

pytestmark = pytest.mark.django_db

WEB, TLS = 1001, 1002  # two weaknesses


def _scan(team, path, *, write=True):
    report = read_scan(path)
    return import_scan(team.coordinator, team.org, report, scan_poam(team.org, report), path=path,
                       file=path.name, write=write)


def _items():
    return {item.external_id: item for item in PoamItem.objects.all()}


def _findings(key):
    return {f.host: f for f in ScanFinding.objects.filter(key=key)}


def _events():
    return AuditEvent.objects.count()


def test_scans_in_a_row(team, tmp_path):
    first = nessus_xml(tmp_path / "week1.nessus", {"h1": [WEB, TLS], "h2": [WEB]}, scanned=date(2026, 11, 2))
    result, outcome = _scan(team, first)
    assert sorted(result.created) == ["OPA-SI-001", "OPA-SI-002"] and outcome.new_findings == 3
    items = _items()
    web, tls = items["nessus:1001"], items["nessus:1002"]
    assert web.assets == "h1\nh2" and tls.assets == "h1"
    assert (web.start_date, web.scheduled_completion) == (date(2026, 11, 2), date(2027, 1, 31))  # medium: 90 days

    # The same scan again: nothing changes, not an item, not a finding, not an event.
    events = _events()
    rows = list(ScanFinding.objects.order_by("pk").values())
    result, outcome = _scan(team, first)
    assert (result.created, result.updated, sorted(result.unchanged)) == ([], [], ["OPA-SI-001", "OPA-SI-002"])
    assert outcome.same_scan and (outcome.new_findings, outcome.fixed, outcome.returned) == (0, [], [])
    assert _events() == events and list(ScanFinding.objects.order_by("pk").values()) == rows

    # A new host: it joins the weakness's item, first seen now; the others keep their first sighting.
    second = nessus_xml(tmp_path / "week2.nessus", {"h1": [WEB, TLS], "h2": [WEB], "h3": [WEB]},
                        scanned=date(2026, 11, 9))
    result, outcome = _scan(team, second)
    assert result.created == [] and result.updated == ["OPA-SI-001"] and outcome.new_findings == 1
    web = PoamItem.objects.get(pk=web.pk)
    assert web.assets == "h1\nh2\nh3" and web.scheduled_completion == date(2027, 1, 31)
    found = _findings("nessus:1001")
    assert (found["h3"].first_seen, found["h1"].first_seen, found["h1"].last_seen) == (
        date(2026, 11, 9), date(2026, 11, 2), date(2026, 11, 9))

    # The TLS weakness fixed on h1: its item is put forward for closure with the scan as evidence, not closed.
    update_item(team.coordinator, tls, approval_authority=team.approver, reason="assign the verifier")
    third = nessus_xml(tmp_path / "week3.nessus", {"h1": [WEB], "h2": [WEB], "h3": [WEB]},
                       scanned=date(2026, 11, 16))
    result, outcome = _scan(team, third)
    tls = PoamItem.objects.get(pk=tls.pk)
    assert tls.status == Status.READY_FOR_VERIFICATION and outcome.put_forward == ["OPA-SI-002"]
    assert outcome.fixed == [("OPA-SI-002", "nessus:1002", "h1")]
    [evidence] = Evidence.objects.filter(item=tls)
    assert "week3.nessus" in evidence.reference and "no longer found" in evidence.name
    assert _findings("nessus:1002")["h1"].state == FindingState.FIXED
    assert PoamItem.objects.get(pk=web.pk).status == Status.OPEN

    # The web weakness fixed on h2 only: its assets are the hosts it is still on.
    _scan(team, nessus_xml(tmp_path / "week3b.nessus", {"h1": [WEB], "h2": [], "h3": [WEB]},
                           scanned=date(2026, 11, 17)))
    assert PoamItem.objects.get(pk=web.pk).assets == "h1\nh3"
    assert _findings("nessus:1001")["h2"].state == FindingState.FIXED

    # A narrower scan (h1 only, the web weakness gone there): h3 was not scanned, so nothing closes.
    fourth = nessus_xml(tmp_path / "week4.nessus", {"h1": []}, scanned=date(2026, 11, 20))
    result, outcome = _scan(team, fourth)
    assert outcome.fixed == [("OPA-SI-001", "nessus:1001", "h1")] and outcome.put_forward == []
    found = _findings("nessus:1001")
    assert (found["h1"].state, found["h2"].state, found["h3"].state) == ("fixed", "fixed", "open")
    assert PoamItem.objects.get(pk=web.pk).status == Status.OPEN

    # The TLS item closed by its approval authority; the weakness comes back: reopened, with the reason.
    approve_closure(team.approver, tls, note="checked the scan")
    assert PoamItem.objects.get(pk=tls.pk).status == Status.CLOSED
    fifth = nessus_xml(tmp_path / "week5.nessus", {"h1": [TLS]}, scanned=date(2026, 11, 23))
    result, outcome = _scan(team, fifth)
    tls = PoamItem.objects.get(pk=tls.pk)
    assert tls.status == Status.IN_PROGRESS and outcome.reopened == ["OPA-SI-002"]
    assert outcome.returned == [("OPA-SI-002", "nessus:1002", "h1")]
    reopening = AuditEvent.objects.filter(action="reopen_item", subject="OPA-SI-002").get()
    assert "found again by the Nessus scan week5.nessus of 23 Nov 2026: nessus:1002 on h1" in reopening.reason
    assert _findings("nessus:1002")["h1"].state == FindingState.OPEN
    # the web weakness, fixed on h1 in week 4 and not seen there now, stays fixed there
    assert _findings("nessus:1001")["h1"].state == FindingState.FIXED


def test_an_item_without_an_approval_authority_gets_the_evidence_and_waits(team, tmp_path):
    _scan(team, nessus_xml(tmp_path / "a.nessus", {"h1": [TLS]}, scanned=date(2026, 11, 2)))
    result, outcome = _scan(team, nessus_xml(tmp_path / "b.nessus", {"h1": []}, scanned=date(2026, 11, 9)))
    [identifier] = outcome.waiting
    assert "no approval authority" in outcome.waiting[identifier] and outcome.put_forward == []
    item = PoamItem.objects.get(identifier=identifier)
    assert item.status == Status.OPEN and Evidence.objects.filter(item=item).count() == 1


def test_an_older_scan_imported_late_fixes_nothing_seen_since(team, tmp_path):
    _scan(team, nessus_xml(tmp_path / "new.nessus", {"h1": [WEB]}, scanned=date(2026, 11, 16)))
    result, outcome = _scan(team, nessus_xml(tmp_path / "old.nessus", {"h1": []}, scanned=date(2026, 11, 2)))
    assert outcome.fixed == [] and _findings("nessus:1001")["h1"].state == FindingState.OPEN


def test_the_preview_shows_what_a_scan_would_do_and_keeps_nothing(team, tmp_path):
    _scan(team, nessus_xml(tmp_path / "a.nessus", {"h1": [WEB, TLS]}, scanned=date(2026, 11, 2)))
    rows, events = list(ScanFinding.objects.order_by("pk").values()), _events()
    result, outcome = _scan(team, nessus_xml(tmp_path / "b.nessus", {"h1": [WEB], "h2": [WEB]},
                                             scanned=date(2026, 11, 9)), write=False)
    assert outcome.new_findings == 1 and outcome.fixed == [("OPA-SI-002", "nessus:1002", "h1")]
    assert result.updated == ["OPA-SI-001"]
    assert list(ScanFinding.objects.order_by("pk").values()) == rows and _events() == events


def test_false_positives_are_recorded_with_who_and_why_and_do_not_reopen(team, tmp_path):
    _scan(team, nessus_xml(tmp_path / "a.nessus", {"h1": [WEB], "h2": [WEB]}, scanned=date(2026, 11, 2)))
    web = PoamItem.objects.get(external_id="nessus:1001")
    with pytest.raises(Exception, match="needs a reason"):
        decide_findings(team.coordinator, web, decision="false_positive", reason=" ", hosts=["h2"])
    decided = decide_findings(team.coordinator, web, decision="false_positive", hosts=["h2"],
                              reason="h2 runs the patched build; Nessus reads the banner")
    assert [f.host for f in decided] == ["h2"]
    found = _findings("nessus:1001")["h2"]
    assert (found.state, found.decided_by, found.reason) == (
        FindingState.FALSE_POSITIVE, team.coordinator, "h2 runs the patched build; Nessus reads the banner")
    event = AuditEvent.objects.get(action="decide_finding")
    assert event.after == {"nessus:1001 on h2": "false_positive"} and "banner" in event.reason
    # h1 fixed, h2 still reported but a false positive: the item is put forward (evidence added)
    update_item(team.coordinator, web, approval_authority=team.approver, reason="assign the verifier")
    result, outcome = _scan(team, nessus_xml(tmp_path / "b.nessus", {"h2": [WEB], "h1": []},
                                             scanned=date(2026, 11, 9)))
    assert outcome.put_forward == ["OPA-SI-001"] and _findings("nessus:1001")["h2"].state == "false_positive"
    with pytest.raises(Exception):
        decide_findings(team.owner, web, decision="operational", reason="needed", hosts=["h2"])


def test_a_second_export_of_an_unchanged_scan_creates_and_closes_nothing(team, tmp_path):
    findings = {"h1": [WEB, TLS], "h2": [WEB]}
    _scan(team, nessus_xml(tmp_path / "export-1.nessus", findings, scanned=date(2026, 11, 2)))
    items = {i.pk: (i.status, i.version, i.assets) for i in PoamItem.objects.all()}
    again = nessus_xml(tmp_path / "export-2.nessus", findings, scanned=date(2026, 11, 2))
    again.write_text(again.read_text().replace('<Report name="Weekly scan">', '<Report name="Weekly scan, again">'))
    result, outcome = _scan(team, again)
    assert (result.created, outcome.new_findings, outcome.fixed, outcome.returned, outcome.put_forward) == (
        [], 0, [], [], [])
    assert outcome.seen_again == 3 and not outcome.same_scan
    assert result.updated == [] and len(result.unchanged) == 2
    assert {i.pk: (i.status, i.version, i.assets) for i in PoamItem.objects.all()} == items
    assert ScanFinding.objects.filter(state=FindingState.OPEN).count() == 3


def test_a_weakness_found_on_a_new_host_sends_its_item_back_from_verification(team, tmp_path):
    _scan(team, nessus_xml(tmp_path / "a.nessus", {"h1": [TLS]}, scanned=date(2026, 11, 2)))
    tls = PoamItem.objects.get(external_id="nessus:1002")
    update_item(team.coordinator, tls, approval_authority=team.approver, reason="assign the verifier")
    _, outcome = _scan(team, nessus_xml(tmp_path / "b.nessus", {"h1": []}, scanned=date(2026, 11, 9)))
    assert outcome.put_forward == [tls.identifier]
    _, outcome = _scan(team, nessus_xml(tmp_path / "c.nessus", {"h1": [], "h9": [TLS]}, scanned=date(2026, 11, 16)))
    assert outcome.reopened == [tls.identifier] and outcome.new_findings == 1
    tls = PoamItem.objects.get(pk=tls.pk)
    assert tls.status == Status.IN_PROGRESS and tls.assets == "h9"
    event = AuditEvent.objects.get(action="reject_closure", subject=tls.identifier)
    assert "found again by the Nessus scan c.nessus of 16 Nov 2026: nessus:1002 on h9" in event.reason


def test_a_risk_accepted_item_stays_accepted_when_its_finding_is_seen(team, tmp_path):
    from punchlist.register.services.workflow import accept_risk

    _scan(team, nessus_xml(tmp_path / "a.nessus", {"h1": [TLS]}, scanned=date(2026, 11, 2)))
    tls = PoamItem.objects.get(external_id="nessus:1002")
    update_item(team.coordinator, tls, kind="operational_plan", approval_authority=team.approver,
                reason="kept for a legacy supplier link")
    accept_risk(team.approver, PoamItem.objects.get(pk=tls.pk), reason="the supplier's link needs TLS 1.0")
    _, outcome = _scan(team, nessus_xml(tmp_path / "b.nessus", {"h1": [TLS], "h2": [TLS]}, scanned=date(2026, 11, 9)))
    assert outcome.reopened == [] and PoamItem.objects.get(pk=tls.pk).status == Status.RISK_ACCEPTED

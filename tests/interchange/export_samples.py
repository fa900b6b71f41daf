"""A realistic POA&M for the export tests: every field used, the awkward cases included."""

from datetime import date, datetime, timezone

from punchlist.core.records import ItemStatus, Milestone, Poam, PoamItem, RecordKind, Severity
from punchlist.interchange.exports import ExportContext

CONTEXT = ExportContext(organization="Ridgeline Machining LLC", system="Ridgeline CUI enclave",
                        generated_at=datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc))


def sample_poam() -> Poam:
    items = [
        PoamItem(
            id="POAM-AC-001", requirements=["AC.L2-3.1.5", "3.1.6"], objectives=["3.1.5[b]", "3.1.6[a]"],
            title="Local administrator rights on engineering laptops",
            weakness="Eleven engineering laptops give their users local administrator rights.\n\n"
                     "Found during the self-assessment walkthrough.",
            severity=Severity.HIGH, remediation="Remove local admin through Intune; grant elevation per request.",
            responsible_unit="IT Operations", primary_owner="Marcus Lee, IT Operations Lead",
            supporting_owner="Ana Ruiz", approval_authority="Dana Kim, CISO", evidence_custodian="Priya Shah",
            resources="Two days of an Intune administrator", source="Self-assessment 2026",
            start_date=date(2026, 9, 1), scheduled_completion=date(2026, 12, 15), last_updated=date(2026, 11, 2),
            milestones=[Milestone("Inventory the laptops with local admin", date(2026, 9, 20), date(2026, 9, 18)),
                        Milestone("Intune policy piloted on two laptops", date(2026, 10, 30)),
                        Milestone("All eleven laptops done;\nweekly check of the Intune report", date(2026, 12, 15))],
            status=ItemStatus.IN_PROGRESS, kind=RecordKind.ASSESSMENT_POAM,
            evidence="Intune compliance report, weekly", row=2),
        PoamItem(
            id="POAM-AU-002", requirements=["AU.L2-3.3.1"], title="Firewall logs kept 30 days only",
            weakness="The firewall keeps its logs for 30 days; the policy says 90.", severity=Severity.MODERATE,
            remediation="Forward firewall logs to the SIEM with 90-day retention.",
            primary_owner="Ana Ruiz", supporting_owner="Marcus Lee, IT Operations Lead",
            approval_authority="Dana Kim, CISO", evidence_custodian="Priya Shah",
            start_date=date(2026, 6, 1), scheduled_completion=date(2026, 8, 1), completion_date=date(2026, 7, 28),
            last_updated=date(2026, 7, 28),
            milestones=[Milestone("SIEM forwarding configured", date(2026, 7, 15), date(2026, 7, 14))],
            status=ItemStatus.CLOSED, kind=RecordKind.OPERATIONAL_PLAN,
            evidence="SIEM retention setting screenshot, 2026-07-28", row=3),
        PoamItem(  # user text that a spreadsheet would run, and an untitled item
            id="POAM-CM-003", requirements=["CM.L2-3.4.8"], title="",
            weakness="=HYPERLINK(\"http://evil.example\",\"click\")", severity=Severity.CRITICAL,
            remediation="+cmd|' /C calc'!A0", primary_owner="@Ops team lead", supporting_owner="-Nobody",
            approval_authority="#N/A", evidence_custodian="\tTabbed Person", resources="\rCarriage",
            status=ItemStatus.RISK_ACCEPTED, kind=RecordKind.OPERATIONAL_PLAN, row=4),
        PoamItem(  # the least an item can be
            id=None, title="Draft: unsorted finding", status=ItemStatus.DRAFT, row=5),
        PoamItem(
            id="POAM-SC-005", requirements=["SC.L2-3.13.11"], title="  Ünïcödé tïtle —\nwith a second line",
            weakness="FIPS mode off on the VPN concentrator.", severity=Severity.LOW,
            remediation="Enable FIPS mode during the January window.", primary_owner="José Álvarez",
            scheduled_completion=date(2027, 1, 20), status=ItemStatus.READY_FOR_VERIFICATION,
            milestones=[Milestone("", None, None)], row=6),
    ]
    return Poam(items=items, source="sample")

"""What an eMASS export or a home-made tracker says beyond the plan is read into the item's details: devices
affected, security checks, mitigations, likelihood, impact, residual risk, comments, cost in money and hours,
vendor and the decision needed; a value that cannot be one (an amount in words) is named by row and column."""

from decimal import Decimal

import pytest
from spreadsheets import write_csv, write_xlsx

from punchlist.errors import InputError
from punchlist.interchange import read_poam

NAVY = ["POA&M Item ID", "Control Vulnerability Description", "Controls / APs", "Security Checks", "POA&M Status",
        "Comments", "Devices Affected", "Mitigations (in-house and in conjunction with the Navy CSSP)",
        "Likelihood", "Impact", "Residual Risk Level", "Resources Required"]


def test_an_emass_rows_details_are_kept(tmp_path):
    rows = [NAVY, [101, "Passwords only on the VPN", "IA-2(1)", "V-220706\nV-220707", "Ongoing", "Waiting on CSSP",
                   "VPN01\nVPN02", "Geo-blocking on the VPN", "Moderate", "High", "Low", "$4,000"]]
    [item] = read_poam(write_xlsx(tmp_path / "emass.xlsx", rows)).items
    assert (item.source_identifier, item.comments, item.assets, item.interim_mitigation, item.likelihood,
            item.impact, item.residual_risk, item.resources) == (
        "V-220706\nV-220707", "Waiting on CSSP", "VPN01\nVPN02", "Geo-blocking on the VPN", "Moderate", "High",
        "Low", "$4,000")


def test_a_trackers_budget_vendor_and_decision_are_kept(tmp_path):
    rows = [["ID", "Control", "Weakness", "Budget Amount", "Budget Hours", "Vendor Dependency", "Vendor Involvement",
             "Decision Needed", "CVE", "Original ID"],
            ["P001", "3.14.1", "Unpatched VPN", "$12,500.50", "40 h", "Yes", "MSP patches", "Replace the VPN?",
             "CVE-2024-3400", "V-9"]]
    [item] = read_poam(write_csv(tmp_path / "tracker.csv", rows)).items
    assert (item.budget_money, item.budget_hours, item.vendor_dependency, item.vendor_involvement,
            item.decision_needed, item.cves, item.original_id) == (
        Decimal("12500.5"), Decimal("40"), True, "MSP patches", "Replace the VPN?", "CVE-2024-3400", "V-9")


def test_an_amount_in_words_is_named_by_row_and_column(tmp_path):
    rows = [["ID", "Control", "Weakness", "Budget Amount"], ["P001", "3.14.1", "Unpatched VPN", "a few thousand"]]
    with pytest.raises(InputError) as raised:
        read_poam(write_csv(tmp_path / "tracker.csv", rows))
    assert (raised.value.row, raised.value.column) == (2, "Budget Amount")
    assert "is not an amount" in raised.value.message

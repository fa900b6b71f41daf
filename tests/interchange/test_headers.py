"""Headers read the way a person reads them: real spellings from the FedRAMP template, eMASS / C-PAT / STIG
Manager exports, CSET and home-made trackers, each with the field a column under it is read as (None: a
column read as no field, which the readers then list as left unread)."""

import json
from datetime import date

import pytest
from spreadsheets import write_csv

from punchlist.cli import main
from punchlist.core.records import Milestone
from punchlist.interchange import read_poam
from punchlist.interchange.columns import ASSESSMENT, field_of_header
from punchlist.interchange.milestones import parse_milestones

HEADERS = [
    # FedRAMP POA&M template v2.1, row 5 (fixtures/fedramp)
    ("POAM ID", "id"), ("Controls", "requirements"), ("Weakness Name", "title"),
    ("Weakness Description", "weakness"), ("Weakness Detector Source", "source"),
    ("Weakness Source Identifier", "source_identifier"), ("Asset Identifier", "assets"), ("Point of Contact", "primary_owner"),
    ("Resources Required", "resources"), ("Overall Remediation Plan", "remediation"),
    ("Original Detection Date", "start_date"), ("Scheduled Completion Date", "scheduled_completion"),
    ("Planned Milestones", "milestones"), ("Milestone Changes", None), ("Status Date", "last_updated"),
    ("Original Risk Rating", "severity"), ("Adjusted Risk Rating", "residual_risk"), ("Supporting Documents", "evidence"),
    ("Comments", "comments"), ("CVE", "cves"),
    # eMASS POA&M layout (fixtures/emass, STIG Manager's export)
    ("POA&M Item ID", "id"), ("Control Vulnerability Description", "weakness"), ("Controls / APs", "requirements"),
    ("Office/Org", "responsible_unit"), ("Security Checks", "source_identifier"),
    ("Milestone with Completion Dates", "milestones"), ("Source Identifying Vulnerability ", "source"),
    ("Status", "status"), ("Raw Severity", "severity"), ("Devices Affected", "assets"),
    ("Mitigations (in-house and in conjunction with the Navy CSSP)", "interim_mitigation"), ("Residual Risk Level", "residual_risk"),
    # MCCAST layout (fixtures/emass, STIG Manager's export)
    ("Name", "title"), ("Date Identified", "start_date"), ("Source Identifying Weakness", "source"),
    ("POAM Status", "status"), ("Estimated Completion Date", "scheduled_completion"),
    ("Actual Start Date", "start_date"), ("Actual Completion Date", "completion_date"),
    ("Allocated Control (Allocated Control ID)", "requirements"), ("Weaknesses", "weakness"),
    ("Subjective Mitigated Risk Level", None), ("Vulnerability Library (Rule_ID)", None),
    ("CVSS v3 Modified Attack Vector (MAV)", None), ("Authorization Package (Authorization Package Name)", None),
    # C-PAT / eMASS exports
    ("Control Acronym", "requirements"), ("Raw Severity Value", "severity"), ("Milestone Description", "milestones"),
    ("Planned Start Date", "start_date"), ("Planned Finish Date", "scheduled_completion"),
    ("Milestone Status", "milestone_status"), ("Milestone Status Comments", None), ("Milestone ID", None),
    ("Milestone Scheduled Completion Date", "milestone_due"), ("Milestone Completion Date", "milestone_done"),
    ("Assigned To", "primary_owner"), ("Identified By", "source"),
    # CSET and assessment-tool exports read as a POA&M
    ("Requirement ID", "requirements"), ("Security Requirement", "requirements"), ("Plan of Action", "remediation"),
    # home-made trackers
    ("Weakness / Deficiency", "weakness"), ("Planned Remediation", "remediation"),
    ("Scheduled Start", "start_date"), ("CAP", "remediation"), ("POC", "primary_owner"),
    ("ECD", "scheduled_completion"), ("Est. Completion Date", "scheduled_completion"), ("Ref. No.", "id"),
    ("#", "id"), ("Item #", "id"), ("Control(s)", "requirements"), ("NIST 800-171 Ctrl #", "requirements"),
    ("Owner/POC", "primary_owner"), ("Responsible Party", "primary_owner"), ("Target Date", "scheduled_completion"),
    ("Due Date (ECD)", "scheduled_completion"), ("Date Opened", "start_date"), ("Date Closed", "completion_date"),
    ("Est. Cost ($)", "resources"), ("Issue", "weakness"), ("Gap Description", "weakness"),
    ("Corrective Action Plan (CAP)", "remediation"), ("Milestones / Dates", "milestones"),
    ("Evidence / Artifacts", "evidence"), ("Dept.", "responsible_unit"), ("Open/Closed", "status"),
    ("Risk Level (H/M/L)", "severity"), ("Completion Date (Actual)", "completion_date"),
    ("Fix by", "scheduled_completion"), ("Ref", "id"), ("Secondary POC", "supporting_owner"),
    ("Approver", "approval_authority"), ("Evidence Custodian", "evidence_custodian"),
]


def test_the_table_holds_at_least_sixty_real_spellings():
    assert len(HEADERS) >= 60 and len({header for header, _ in HEADERS}) == len(HEADERS)


@pytest.mark.parametrize(("header", "field"), HEADERS)
def test_a_header_is_read_as_a_person_reads_it(header, field):
    assert field_of_header(header) == field


@pytest.mark.parametrize(("header", "field"), [
    ("Requirement", "requirement"), ("NIST SP 800-171 Control", "requirement"), ("Assessment Result", "status"),
    ("Compliance Status", "status"), ("Implementation Statement", "implementation"), ("Partial (3 points)", "partial"),
])
def test_assessment_headers_are_read_too(header, field):
    assert field_of_header(header, ASSESSMENT) == field


def test_content_breaks_a_tie_between_two_columns_read_as_one_field(tmp_path):
    """Two columns read as the scheduled completion: the one holding dates is read, not the one holding words."""
    path = write_csv(tmp_path / "poam.csv", [["Control", "Weakness", "Target", "Target Date"],
                                             ["3.1.1", "Shared account", "All admins", "2027-01-15"]])
    [item] = read_poam(path).items
    assert item.scheduled_completion == date(2027, 1, 15)


@pytest.mark.parametrize(("written", "milestone"), [
    ("2027-02-20 rollout complete", Milestone("rollout complete", date(2027, 2, 20), None)),
    ("2027-02-20: rollout complete", Milestone("rollout complete", date(2027, 2, 20), None)),
    ("Rollout complete 2027-02-20", Milestone("Rollout complete", date(2027, 2, 20), None)),
    ("2026-01-15: Pilot - done", Milestone("Pilot", date(2026, 1, 15), date(2026, 1, 15))),
    ("2026-01-15 Pilot (completed)", Milestone("Pilot", date(2026, 1, 15), date(2026, 1, 15))),
    ("Pilot completed on 2026-01-10", Milestone("Pilot", None, date(2026, 1, 10))),
])
def test_a_milestone_is_a_plan_unless_it_says_it_was_done(written, milestone):
    assert parse_milestones(written) == [milestone]


TRACKER = [["Ref. No.", "Control(s)", "Weakness / Deficiency", "Planned Remediation", "POC", "Scheduled Start",
            "ECD", "Sprint"],
           ["A-1", "3.1.1", "Shared admin account", "Fix it", "Marcus Lee", "2026-11-01", "2027-01-01", "S-14"]]


def test_lint_reads_a_home_made_tracker_and_says_where_each_field_came_from(tmp_path, capsys):
    path = write_csv(tmp_path / "tracker.csv", TRACKER)
    assert main(["lint", str(path), "--as-of", "2026-11-23"]) == 1
    out = capsys.readouterr().out
    assert "[vague-remediation] Remediation 'Fix it'" in out  # the remediation column is read
    assert 'Weakness <- "Weakness / Deficiency" (C)' in out and 'Start date <- "Scheduled Start" (F)' in out
    assert 'columns left unread (1): "Sprint" (H)' in out
    assert main(["lint", str(path), "--as-of", "2026-11-23", "--format", "json"]) == 1
    [sheet] = json.loads(capsys.readouterr().out)["columns"]
    assert sheet["read"]["remediation"] == [{"header": "Planned Remediation", "column": "D"}]
    assert sheet["unread"] == [{"header": "Sprint", "column": "H"}] and sheet["header_row"] == 1


def test_score_says_where_each_field_came_from(tmp_path, capsys):
    path = write_csv(tmp_path / "assessment.csv", [["Requirement ID", "Result", "Notes"], ["3.1.1", "MET", "ok"]])
    assert main(["score", str(path), "--format", "json"]) == 0
    [sheet] = json.loads(capsys.readouterr().out)["columns"]
    assert sheet["read"]["requirement"] == [{"header": "Requirement ID", "column": "A"}]
    assert sheet["unread"] == [{"header": "Notes", "column": "C"}]

"""One cell at a time: dates, requirement lists, statuses, severities and milestones as people write them."""

from datetime import date, datetime

import pytest

from punchlist.core.records import ItemStatus, Milestone, Severity
from punchlist.interchange.milestones import parse_milestones
from punchlist.interchange.values import (
    CellError,
    item_status,
    parse_date,
    partial_flag,
    plan_flag,
    requirement_list,
    severity,
    text,
)

D = date(2026, 3, 1)


@pytest.mark.parametrize("written", [
    D, datetime(2026, 3, 1, 14, 30), "2026-03-01", "2026/03/01", "2026.03.01", "03/01/2026", "3/1/2026", "3/1/26",
    "03-01-2026", "March 1, 2026", "march 1 2026", "Mar. 1, 2026", "Sunday, March 1, 2026", "1-Mar-2026",
    "01-Mar-26", "1 March 2026", "1st March 2026", 46082, 46082.0, 46082.75, "46082", "46082.0", " 2026-03-01 ",
    "3/1/2026 12:00 AM", "2026-03-01T00:00:00Z",
])
def test_date_forms(written):
    assert parse_date(written) == D


@pytest.mark.parametrize("written", ["", None])
def test_empty_dates(written):
    assert parse_date(written) is None


@pytest.mark.parametrize("written", ["soon", "Q3 2026", "2026-02-30", "13/45/2026", "March 32, 2026", "2026",
                                     2026, "31/12/2026", "Foo 1, 2026", True, "3.1.12", "2026-03/01",
                                     "01.03.2026"])  # dotted day-first dates are refused, not misread
def test_not_dates(written):
    with pytest.raises(CellError):
        parse_date(written)


def test_a_day_first_date_is_refused_and_its_iso_form_offered():
    with pytest.raises(CellError, match="2026-12-31"):
        parse_date("31/12/2026")


def test_two_digit_years_as_excel_reads_them():
    assert parse_date("1/1/29") == date(2029, 1, 1)
    assert parse_date("1/1/30") == date(1930, 1, 1)


@pytest.mark.parametrize("written, found", [
    ("3.1.1", ["3.1.1"]), ("3.1.1, 3.1.2", ["3.1.1", "3.1.2"]), ("3.1.1;3.1.2", ["3.1.1", "3.1.2"]),
    ("3.1.1\n3.1.2", ["3.1.1", "3.1.2"]), ("3.1.1 and 3.1.2", ["3.1.1", "3.1.2"]),
    ("3.1.1 AND AC.L2-3.1.2", ["3.1.1", "AC.L2-3.1.2"]), ("3.1.1 / 3.1.2", ["3.1.1", "3.1.2"]),
    ("3.1.1 & 3.1.2", ["3.1.1", "3.1.2"]), (" AC.L2-3.1.1 , ", ["AC.L2-3.1.1"]), ("AC-2(1)", ["AC-2(1)"]),
    ("3.1.1[a], 3.1.1[b]", ["3.1.1[a]", "3.1.1[b]"]), ("", []),
])
def test_requirement_lists_keep_what_was_written(written, found):
    assert requirement_list(written) == found


def test_requirement_lists_are_new_lists_each_time():
    first = requirement_list("3.1.1, 3.1.2")
    first.append("3.1.3")
    assert requirement_list("3.1.1, 3.1.2") == ["3.1.1", "3.1.2"]


@pytest.mark.parametrize("written, status", [
    ("Open", ItemStatus.OPEN), ("planned", ItemStatus.OPEN), ("Not Started", ItemStatus.OPEN),
    ("Draft", ItemStatus.DRAFT), ("In Progress", ItemStatus.IN_PROGRESS), ("in-progress", ItemStatus.IN_PROGRESS),
    ("Ongoing", ItemStatus.IN_PROGRESS), ("Pending Verification", ItemStatus.READY_FOR_VERIFICATION),
    ("Ready for Verification", ItemStatus.READY_FOR_VERIFICATION), ("Closed", ItemStatus.CLOSED),
    ("Completed", ItemStatus.CLOSED), ("Complete", ItemStatus.CLOSED), ("Done", ItemStatus.CLOSED),
    ("N/A", ItemStatus.CLOSED), ("Risk Accepted", ItemStatus.RISK_ACCEPTED),
    ("Open - waiting on the vendor", ItemStatus.OPEN), ("Closed (verified 2026-01-10)", ItemStatus.CLOSED),
    ("", None),
])
def test_item_status_synonyms(written, status):
    assert item_status(written) is status


def test_an_unknown_status_lists_what_is_accepted():
    with pytest.raises(CellError) as raised:
        item_status("Parked")
    assert "'Parked' is not a POA&M status" in str(raised.value)
    assert "Ready for Verification" in str(raised.value) and "Risk Accepted" in str(raised.value)


@pytest.mark.parametrize("written, level", [
    ("Low", Severity.LOW), ("moderate", Severity.MODERATE), ("Medium", Severity.MODERATE),
    ("High", Severity.HIGH), ("Critical", Severity.CRITICAL), ("Very High", Severity.CRITICAL),
    ("CAT I", Severity.HIGH), ("CAT II", Severity.MODERATE), ("CAT III", Severity.LOW), ("Cat 2", Severity.MODERATE),
    ("", None), ("N/A", None),
])
def test_severity_synonyms(written, level):
    assert severity(written) is level


def test_an_unknown_severity():
    with pytest.raises(CellError, match="'Spicy' is not a severity"):
        severity("Spicy")


@pytest.mark.parametrize("written, expected", [("", False), ("no", False), ("FALSE", False), ("0", False),
                                               (0.0, False), ("x", True), ("Yes", True), ("3 points", True)])
def test_partial_flag(written, expected):
    assert partial_flag(written) is expected


@pytest.mark.parametrize("written, expected", [("", None), ("yes", True), ("Y", True), ("no", False),
                                               ("POAM-AC-001", True)])
def test_plan_flag(written, expected):
    assert plan_flag(written) is expected


def test_text_of_numbers_and_dates():
    assert (text(12345.0), text(3.5), text(7), text(D), text(" a ")) == ("12345", "3.5", "7", "2026-03-01", "a")


@pytest.mark.parametrize("cell, milestones", [
    ("(1) 2014/05/23: Milestone Description\n\n(2) 2014-06-12: Milestone \nDescription",  # FedRAMP's example
     [Milestone("Milestone Description", date(2014, 5, 23)), Milestone("Milestone Description", date(2014, 6, 12))]),
    ("2026-01-15 - Deploy Duo to all users", [Milestone("Deploy Duo to all users", date(2026, 1, 15))]),
    ("Deploy Duo to all users (due 01/15/2026)", [Milestone("Deploy Duo to all users", date(2026, 1, 15))]),
    ("Deploy Duo to all users - 2026-01-15", [Milestone("Deploy Duo to all users", date(2026, 1, 15))]),
    ("Pilot on the VPN (20 devices) - 2026-01-15", [Milestone("Pilot on the VPN (20 devices)", date(2026, 1, 15))]),
    ("Buy licences by March 1, 2026", [Milestone("Buy licences", date(2026, 3, 1))]),
    ("Roll out 15-Mar-2026", [Milestone("Roll out", date(2026, 3, 15))]),
    ("Review logs weekly - target: 06/30/2026", [Milestone("Review logs weekly", date(2026, 6, 30))]),
    ("[x] 2026-01-10: Pilot with IT", [Milestone("Pilot with IT", date(2026, 1, 10), date(2026, 1, 10))]),
    ("[ ] Train staff - 3/1/26", [Milestone("Train staff", date(2026, 3, 1))]),
    ("Pilot with IT (done 2026-01-10)", [Milestone("Pilot with IT", None, date(2026, 1, 10))]),
    ("Pilot with IT - Completed 2026-01-10", [Milestone("Pilot with IT", None, date(2026, 1, 10))]),
    ("Pilot, due 2026-02-01 (done 2026-01-30)", [Milestone("Pilot", date(2026, 2, 1), date(2026, 1, 30))]),
    ("2026-01-15: Pilot - done", [Milestone("Pilot", date(2026, 1, 15), date(2026, 1, 15))]),
    ("1. Buy licences\n2. Deploy agents", [Milestone("Buy licences"), Milestone("Deploy agents")]),
    ("- Buy licences 2026-02-01\n- Deploy agents 2026-03-01",
     [Milestone("Buy licences", date(2026, 2, 1)), Milestone("Deploy agents", date(2026, 3, 1))]),
    ("Buy licences; Deploy agents", [Milestone("Buy licences"), Milestone("Deploy agents")]),
    ("Deploy (2) firewalls by 2026-05-01", [Milestone("Deploy (2) firewalls", date(2026, 5, 1))]),
    ("Pilot on 2026-01-15 with IT", [Milestone("Pilot on 2026-01-15 with IT", date(2026, 1, 15))]),
    ("Write the procedure", [Milestone("Write the procedure")]),
    # Requirement ids and versions are not dates.
    ("Implement 3.1.12 controls - 2026-03-01", [Milestone("Implement 3.1.12 controls", date(2026, 3, 1))]),
    ("Fix AC.L2-3.13.11 by 2026-05-01", [Milestone("Fix AC.L2-3.13.11", date(2026, 5, 1))]),
    ("Upgrade to OpenSSL 3.0.13", [Milestone("Upgrade to OpenSSL 3.0.13")]),
    ("", []),
])
def test_milestone_forms(cell, milestones):
    assert parse_milestones(cell) == milestones


def test_a_milestone_with_an_impossible_date_is_an_error_naming_it():
    with pytest.raises(CellError, match=r"milestone 2 .*'02/30/2026' is not a date"):
        parse_milestones("2026-01-15: Pilot\nRoll out - 02/30/2026")

"""Reading a self-assessment spreadsheet: a status per requirement or per objective (R-FIND-1, R-FIND-2)."""

import pytest
from spreadsheets import write_csv, write_xlsx

from punchlist.core.records import Determination
from punchlist.errors import InputError, InputErrors
from punchlist.interchange import read_assessment

MET, NOT_MET, NA = Determination.MET, Determination.NOT_MET, Determination.NOT_APPLICABLE


def results(path):
    return {r.requirement: r for r in read_assessment(path)}


def test_requirement_and_status_columns(tmp_path):
    rows = [["Requirement", "Status"], ["3.1.1", "MET"], ["AC.L2-3.1.2", "NOT MET"], ["3.13.5", "N/A"]]
    found = read_assessment(write_xlsx(tmp_path / "sa.xlsx", rows))
    assert [(r.requirement, r.determination, r.row) for r in found] == [
        ("3.1.1", MET, 2), ("3.1.2", NOT_MET, 3), ("3.13.5", NA, 4)]


@pytest.mark.parametrize("written, meant", [
    ("Met", MET), ("Implemented", MET), ("Fully Implemented", MET), ("Yes", MET), ("Inherited", MET),
    ("Not Met", NOT_MET), ("NOT MET", NOT_MET), ("Not Implemented", NOT_MET), ("Partially Implemented", NOT_MET),
    ("Planned", NOT_MET), ("No", NOT_MET), ("In Progress", NOT_MET), ("On POA&M", NOT_MET),  # R-FIND-5
    ("N/A", NA), ("NA", NA), ("Not Applicable", NA), ("not-applicable", NA),
])
def test_status_synonyms(tmp_path, written, meant):
    path = write_csv(tmp_path / "sa.csv", [["Control", "Implementation Status"], ["3.1.1", written]])
    assert read_assessment(path)[0].determination is meant


def test_objective_rows_combine_into_their_requirement(tmp_path):
    # R-FIND-1: one objective NOT MET makes the requirement NOT MET. R-FIND-2: N/A only if all are N/A.
    rows = [["Security Requirement", "Result"],
            ["3.1.1[a]", "Met"], ["3.1.1[b]", "Not Met"], ["3.1.1[c]", "Met"],
            ["3.1.2[a]", "Met"], ["3.1.2[b]", "N/A"],
            ["3.1.3[a]", "N/A"], ["3.1.3[b]", "N/A"]]
    found = results(write_xlsx(tmp_path / "sa.xlsx", rows))
    assert {k: r.determination for k, r in found.items()} == {"3.1.1": NOT_MET, "3.1.2": MET, "3.1.3": NA}
    assert (found["3.1.1"].row, found["3.1.2"].row, found["3.1.3"].row) == (2, 5, 7)


def test_results_come_in_catalog_order(tmp_path):
    rows = [["Practice", "Status"], ["3.14.7", "Met"], ["3.1.10", "Met"], ["3.1.2", "Met"], ["AC.L2-3.1.1", "Met"]]
    assert [r.requirement for r in read_assessment(write_csv(tmp_path / "sa.csv", rows))] == [
        "3.1.1", "3.1.2", "3.1.10", "3.14.7"]


def test_partial_column_marks_the_three_point_case(tmp_path):
    # R-SCORE-2: the scoring honours it on 3.5.3 and 3.13.11 only; reading keeps what the file says.
    rows = [["Control", "Status", "Partial"], ["3.5.3", "Not Met", "x"], ["3.13.11", "Not Met", "no"],
            ["3.1.1", "Not Met", ""], ["3.1.2", "Not Met", "FALSE"], ["3.1.3", "Not Met", "0"]]
    found = results(write_csv(tmp_path / "sa.csv", rows))
    assert [found[k].partial for k in ("3.5.3", "3.13.11", "3.1.1", "3.1.2", "3.1.3")] == [
        True, False, False, False, False]


def test_plan_of_action_column(tmp_path):
    # R-SCORE-4 needs to know whether a NOT MET requirement has a plan; blank means not known.
    rows = [["Control", "Status", "POA&M"], ["3.1.1", "Not Met", "Yes"], ["3.1.2", "Not Met", "No"],
            ["3.1.3", "Not Met", ""], ["3.1.4", "Not Met", "POAM-AC-004"]]
    found = results(write_csv(tmp_path / "sa.csv", rows))
    assert [found[k].has_plan for k in ("3.1.1", "3.1.2", "3.1.3", "3.1.4")] == [True, False, None, True]


def test_a_requirement_has_a_plan_only_if_every_not_met_objective_has_one(tmp_path):
    rows = [["Control", "Status", "Plan of Action"], ["3.1.1[a]", "Not Met", "yes"], ["3.1.1[b]", "Not Met", "no"],
            ["3.1.2[a]", "Not Met", "yes"], ["3.1.2[b]", "Met", "no"]]
    found = results(write_csv(tmp_path / "sa.csv", rows))
    assert (found["3.1.1"].has_plan, found["3.1.2"].has_plan) == (False, True)


def test_implementation_statements_are_kept(tmp_path):
    rows = [["Control", "Status", "Implementation Statement"], ["3.1.1[a]", "Met", "Accounts in Entra ID."],
            ["3.1.1[b]", "Met", "Service accounts listed in the SSP."], ["3.1.1[c]", "Met", "Accounts in Entra ID."]]
    assert read_assessment(write_csv(tmp_path / "sa.csv", rows))[0].implementation == (
        "Accounts in Entra ID.\nService accounts listed in the SSP.")


def test_the_id_column_is_preferred_over_a_requirement_text_column(tmp_path):
    rows = [["Requirement", "Control ID", "Status"],
            ["Limit system access to authorized users", "AC.L2-3.1.1", "Met"]]
    assert read_assessment(write_csv(tmp_path / "sa.csv", rows))[0].requirement == "3.1.1"


def test_an_id_followed_by_its_title_in_one_cell(tmp_path):
    rows = [["Practice", "Status"], ["AC.L2-3.1.1 Authorized Access Control", "Met"],
            ["3.1.2: Limit transactions, functions and roles", "Met"]]
    assert [r.requirement for r in read_assessment(write_csv(tmp_path / "sa.csv", rows))] == ["3.1.1", "3.1.2"]


def test_family_headings_and_unanswered_rows_are_left_out(tmp_path):
    # An unanswered requirement is left for the scoring, which counts it NOT MET and says it was unanswered.
    rows = [["Control", "Status"], ["Access Control (AC)", ""], ["3.1.1", "Met"], ["3.1.2", ""]]
    assert [r.requirement for r in read_assessment(write_csv(tmp_path / "sa.csv", rows))] == ["3.1.1"]


def test_a_blank_objective_beside_answered_ones_is_an_error(tmp_path):
    rows = [["Control", "Status"], ["3.1.1[a]", "Met"], ["3.1.1[b]", ""]]
    with pytest.raises(InputError) as raised:
        read_assessment(write_csv(tmp_path / "sa.csv", rows))
    assert (raised.value.row, raised.value.column) == (3, "Status")


def test_unknown_requirement_and_status_are_reported_together(tmp_path):
    rows = [["Control", "Status"], ["3.1.1", "Met"], ["3.1.99", "Met"], ["3.1.2", "Mostly"], ["AC-2", "Met"],
            ["", "Met"]]
    path = write_xlsx(tmp_path / "sa.xlsx", rows)
    with pytest.raises(InputErrors) as raised:
        read_assessment(path)
    assert [(e.file, e.row, e.column) for e in raised.value.errors] == [
        (str(path), 3, "Control"), (str(path), 4, "Status"), (str(path), 5, "Control"), (str(path), 6, "Control")]
    assert "'3.1.99' is not a NIST SP 800-171 Rev 2 requirement" in str(raised.value)
    assert "'Mostly' is not a requirement status" in str(raised.value)


def test_missing_status_column(tmp_path):
    path = write_csv(tmp_path / "sa.csv", [["Control", "Notes"], ["3.1.1", "fine"]])
    with pytest.raises(InputError) as raised:
        read_assessment(path)
    assert (raised.value.file, raised.value.column) == (str(path), "status")
    assert '"Status"' in raised.value.message and '"Implementation Status"' in raised.value.message


def test_missing_requirement_column(tmp_path):
    path = write_csv(tmp_path / "sa.csv", [["Item", "Status"], ["3.1.1", "Met"]])
    with pytest.raises(InputError) as raised:
        read_assessment(path)
    assert (raised.value.file, raised.value.column) == (str(path), "requirement")


def test_not_a_spreadsheet(tmp_path):
    path = tmp_path / "sa.xlsx"
    path.write_text("Control,Status\n3.1.1,Met\n")
    with pytest.raises(InputError) as raised:
        read_assessment(path)
    assert raised.value.file == str(path) and "not a spreadsheet" in raised.value.message

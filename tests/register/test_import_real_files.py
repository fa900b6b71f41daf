"""Real files written by others, imported through `punchlist import` with every row they hold: the FedRAMP
template (its open and closed sheets), the eMASS template of STIG Manager and its MCCAST template, filled with
800-53 ids as those tools write them. Each template ships with placeholder or example rows (FedRAMP's row 8
"V-1Example" and its rows 6-7 of guidance, eMASS's and MCCAST's "${...}" row 2): those are the template's,
not items, and are not imported; a template with nothing else is "no items", exit 2, said where to look.
"""

from datetime import date

import openpyxl
import pytest

from punchlist.register.models import Kind, PoamItem, Status
from punchlist.testing import run_register_command as punchlist

FEDRAMP = "fedramp/FedRAMP-POAM-Template.xlsx"
EMASS = "emass/stig-manager_emass-poam-template.xlsx"
MCCAST = "emass/stig-manager_mccast-poam-template.xlsx"


def _import(team, path, *options):
    return punchlist("import", str(path), "--org", team.org.slug, "--user", team.coordinator.username,
                     "--create-people", *options)


def _items(team):
    return {item.external_id: item for item in PoamItem.objects.for_organization(team.org).prefetch_related(
        "requirement_links", "milestones")}


def _requirements(item):
    return [link.requirement for link in item.requirement_links.all()]


# --- FedRAMP ----------------------------------------------------------------------------------------------

FEDRAMP_OPEN = [  # A POAM ID, B Controls, C Weakness Name, D Description, E Detector Source, H POC, I Resources,
    # J Remediation, K Detection Date, L Scheduled Completion, M Milestones, S Original Risk Rating,
    # Y Supporting Documents
    {"A": "V-101", "B": "AC-2", "C": "Stale accounts", "D": "12 accounts of leavers still enabled",
     "E": "Self-assessment", "H": "Marcus Lee", "I": "4 hours", "J": "Disable leavers' accounts in AD weekly",
     "K": date(2026, 10, 1), "L": date(2027, 1, 15), "M": "(1) 2026-12-01: Script the weekly check", "S": "High"},
    {"A": "V-102", "B": "IA-2(1)", "C": "No MFA on the VPN", "D": "VPN logins use passwords only",
     "E": "Nessus", "H": "Marcus Lee", "I": "Duo licences", "J": "Deploy Duo MFA on the VPN",
     "K": date(2026, 10, 2), "L": date(2027, 2, 20), "M": "(1) 2027-02-20: rollout complete", "S": "Moderate"},
    {"A": "V-103", "B": "PE-13", "C": "No fire suppression in the server room", "D": "Sprinklers only",
     "E": "Walkthrough", "H": "Marcus Lee", "I": "$8,000", "J": "Install a clean-agent system",
     "K": date(2026, 10, 3), "L": date(2027, 3, 1), "S": "Low"},
]
FEDRAMP_CLOSED = [
    {"A": "V-90", "B": "SC-8", "C": "Plain FTP to the supplier", "D": "Drawings sent over FTP",
     "E": "Self-assessment", "H": "Marcus Lee", "J": "Move to SFTP", "K": date(2026, 6, 1),
     "L": date(2026, 9, 1), "S": "High", "Y": "Evidence of Remediation : sftp-config.pdf",
     # A closure names who approved it (separation of duties); the template has no column for it, so it is
     # written in the Comments, as Punchlist's own FedRAMP export writes it.
     "Z": "Moved on 2026-08-30.\n-- Punchlist --\nApproval authority: Priya Lee"},
]


@pytest.fixture(scope="module")
def filled_fedramp(shared_fixture, tmp_path_factory):
    """The template with three items under its example row (open sheet) and one on its closed sheet."""
    workbook = openpyxl.load_workbook(shared_fixture(FEDRAMP))
    for sheet, rows, first in (("Open POA&M Items", FEDRAMP_OPEN, 9), ("Closed POA&M Items", FEDRAMP_CLOSED, 6)):
        for number, values in enumerate(rows, first):
            for letter, value in values.items():
                workbook[sheet][f"{letter}{number}"] = value
    path = tmp_path_factory.mktemp("fedramp") / "fedramp-filled.xlsx"
    workbook.save(path)
    return path


def test_the_filled_fedramp_template_imports_every_row_of_both_sheets(team, filled_fedramp, capsys):
    assert _import(team, filled_fedramp, "--accept-derived") == 0, capsys.readouterr().err
    assert "4 item(s) imported" in capsys.readouterr().out
    items = _items(team)
    assert set(items) == {"V-101", "V-102", "V-103", "V-90"}  # not the template's "V-1Example"
    assert _requirements(items["V-101"]) == ["3.1.1", "3.1.2"]  # AC-2, through Appendix D
    assert _requirements(items["V-102"]) == ["3.5.3"]
    assert _requirements(items["V-90"]) == ["3.13.8"] and items["V-90"].status == Status.CLOSED
    first = items["V-101"]
    assert (first.title, first.weakness, first.source, first.resources, first.remediation) == (
        "Stale accounts", "12 accounts of leavers still enabled", "Self-assessment", "4 hours",
        "Disable leavers' accounts in AD weekly")
    assert (first.start_date, first.scheduled_completion, first.severity, first.primary_owner.get_full_name()) == (
        date(2026, 10, 1), date(2027, 1, 15), "high", "Marcus Lee")
    [milestone] = items["V-102"].milestones.all()
    assert (milestone.description, milestone.due, milestone.done_on) == ("rollout complete", date(2027, 2, 20), None)
    # PE-13 has no 800-171 counterpart: an operational plan item that needs a requirement, not a refusal.
    orphan = items["V-103"]
    assert (orphan.kind, _requirements(orphan), orphan.identifier) == (Kind.OPERATIONAL_PLAN, [], "OPA-PE-001")
    assert "needs a requirement: PE-13 has no NIST SP 800-171 Rev 2 counterpart" in orphan.weakness


def test_a_closed_fedramp_row_written_by_a_person_is_refused_naming_what_to_add(team, shared_fixture, tmp_path,
                                                                                 capsys):
    """FedRAMP's template has no column for who approved a closure; Punchlist asks for one (separation of duties:
    not the owner, not the importer). A person's closed row without it is refused, that row alone named, with the
    two lines to add to its Comments cell; the rows beside it are checked in the same pass."""
    workbook = openpyxl.load_workbook(shared_fixture(FEDRAMP))
    for number, values in enumerate(FEDRAMP_OPEN[:1], 9):
        for letter, value in values.items():
            workbook["Open POA&M Items"][f"{letter}{number}"] = value
    closed = dict(FEDRAMP_CLOSED[0], Z="Moved on 2026-08-30.")
    for letter, value in closed.items():
        workbook["Closed POA&M Items"][f"{letter}6"] = value
    path = tmp_path / "fedramp-by-a-person.xlsx"
    workbook.save(path)
    assert _import(team, path, "--accept-derived") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err  # one problem: the open row beside it is fine
    assert err.startswith(
        f"{path.name} [Closed POA&M Items], row 6, column 'Comments': closed, but no one is named as approving the "
        "closure and the file has no column for it: end this row's Comments cell (column Z) with the two lines "
        '"-- Punchlist --" and "Approval authority: NAME"'), err
    assert not PoamItem.objects.for_organization(team.org).exists()
    # Added as the message says, the row comes in closed, with its approver.
    workbook = openpyxl.load_workbook(path)
    workbook["Closed POA&M Items"]["Z6"] = "Moved on 2026-08-30.\n-- Punchlist --\nApproval authority: Priya Lee"
    workbook.save(path)
    assert _import(team, path, "--accept-derived") == 0, capsys.readouterr().err
    closed = _items(team)["V-90"]
    assert (closed.status, closed.approval_authority.get_full_name(), closed.comments) == (
        Status.CLOSED, "Priya Lee", "Moved on 2026-08-30.")


def test_derived_requirements_are_shown_by_check_and_not_taken_without_consent(team, filled_fedramp, capsys):
    assert _import(team, filled_fedramp, "--check") == 0
    out = capsys.readouterr().out
    assert "derived, to be confirmed (4 control(s)):" in out
    assert "NIST SP 800-53 AC-2 -> 3.1.1, 3.1.2 (row(s) 9)" in out
    assert "NIST SP 800-53 PE-13 -> none: operational plan, needs a requirement (row(s) 11)" in out
    assert 'Item id <- "POAM ID" (A)' in out and '"Asset Identifier" (G)' in out  # read, and left unread
    assert "would import: 4 item(s) imported" in out
    assert _import(team, filled_fedramp) == 2  # neither --accept-derived nor --derive: nothing written
    err = capsys.readouterr().err
    assert "nothing was imported: take these with --accept-derived" in err
    assert not PoamItem.objects.for_organization(team.org).exists()
    # A person's own choice per control.
    assert _import(team, filled_fedramp, "--derive", "AC-2=3.1.2", "--derive", "PE-13=3.10.2",
                   "--derive", "IA-2(1)=3.5.3", "--derive", "SC-8=3.13.8") == 0, capsys.readouterr().err
    items = _items(team)
    assert _requirements(items["V-101"]) == ["3.1.2"] and _requirements(items["V-103"]) == ["3.10.2"]


def test_the_fedramp_template_alone_imports_nothing_and_says_so(team, shared_fixture, capsys):
    assert _import(team, shared_fixture(FEDRAMP)) == 2
    err = capsys.readouterr().err
    assert "no items" in err and "row(s) 6-8 hold only the template's guidance, example or placeholders" in err


# --- eMASS (STIG Manager) -----------------------------------------------------------------------------------

EMASS_ROWS = [  # A id, B description, C controls, D office, F resources, G due, I milestones, K source, L status,
    # N raw severity
    {"A": "1", "B": "Passwords only on the VPN", "C": "IA-2(1)", "D": "IT Operations", "F": "Duo licences",
     "G": date(2027, 4, 5), "I": "Pilot - 2027-02-01\nRoll out - 2027-03-15", "K": "STIG Viewer",
     "L": "Ongoing", "N": "CAT II"},
    {"A": "2", "B": "Audit logs kept 30 days", "C": "AU-11", "D": "IT Operations", "F": "Storage",
     "G": date(2027, 1, 31), "I": "Extend retention to 1 year - 2027-01-31", "K": "Self-assessment",
     "L": "Ongoing", "N": "CAT III"},
]


def _emass_copy(shared_fixture, tmp_path, sheet_name="POA&M", rows=EMASS_ROWS, first=3):
    workbook = openpyxl.load_workbook(shared_fixture(EMASS))
    if sheet_name not in workbook.sheetnames:
        source = workbook["POA&M"]
        target = workbook.create_sheet(sheet_name)
        for cell in source[1]:
            target.cell(row=1, column=cell.column, value=cell.value)
    for number, values in enumerate(rows, first):
        for letter, value in values.items():
            workbook[sheet_name][f"{letter}{number}"] = value
    path = tmp_path / "emass.xlsx"
    workbook.save(path)
    return path


def test_a_filled_emass_file_imports_every_row(team, shared_fixture, tmp_path, capsys):
    path = _emass_copy(shared_fixture, tmp_path)
    assert _import(team, path, "--accept-derived") == 0, capsys.readouterr().err
    items = _items(team)
    assert set(items) == {"1", "2"}
    assert _requirements(items["1"]) == ["3.5.3"] and _requirements(items["2"]) == ["3.3.1", "3.3.2"]
    first = items["1"]
    assert (first.weakness, first.responsible_unit, first.resources, first.scheduled_completion, first.source,
            first.status, first.severity) == ("Passwords only on the VPN", "IT Operations", "Duo licences",
                                              date(2027, 4, 5), "STIG Viewer", Status.IN_PROGRESS, "moderate")
    assert [(m.description, m.due) for m in first.milestones.all()] == [
        ("Pilot", date(2027, 2, 1)), ("Roll out", date(2027, 3, 15))]


def test_an_emass_workbook_with_its_items_on_another_sheet_says_which(team, shared_fixture, tmp_path, capsys):
    path = _emass_copy(shared_fixture, tmp_path, sheet_name="Example", first=2)
    assert _import(team, path, "--accept-derived") == 2
    err = capsys.readouterr().err
    assert "no items" in err and "the sheet 'Example' has 2 row(s) with a requirement" in err
    assert "--sheet \"Example\"" in err
    assert not PoamItem.objects.for_organization(team.org).exists()
    assert _import(team, path, "--accept-derived", "--sheet", "Example") == 0, capsys.readouterr().err
    assert set(_items(team)) == {"1", "2"}


# eMASS's own POA&M exports carry a "Milestone Status" beside "Milestone ID" (Pending or Completed): people who fill
# STIG Manager's layout for eMASS add it after its last column. One status a line, as the Milestone ID lines are;
# or one milestone a row, the rows below an item holding only its further milestones.
EMASS_STATUS_ROWS = [
    {"A": "1", "B": "Passwords only on the VPN", "C": "IA-2(1)", "D": "IT Operations", "F": "Duo licences",
     "G": date(2027, 4, 5), "H": "1\n2", "I": "Pilot - 2026-10-01\nRoll out - 2027-03-15", "K": "STIG Viewer",
     "L": "Ongoing", "N": "CAT II", "AA": "Completed\nPending"},
    {"A": "2", "B": "Audit logs kept 30 days", "C": "AU-11", "D": "IT Operations", "F": "Storage",
     "G": date(2027, 1, 31), "H": "1", "I": "Extend retention to 1 year - 2026-11-02", "K": "Self-assessment",
     "L": "Ongoing", "N": "CAT III", "AA": "Completed"},
    {"A": "3", "B": "USB storage allowed", "C": "MP-7", "D": "IT Operations", "F": "GPO work",
     "G": date(2027, 2, 28), "H": "1", "I": "Write the GPO - 2026-09-15", "K": "Self-assessment",
     "L": "Ongoing", "N": "CAT II", "AA": "Completed"},
    {"H": "2", "I": "Apply the GPO to every PC - 2027-02-15", "AA": "Pending"},
]


def _with_milestone_status(shared_fixture, tmp_path, rows):
    path = _emass_copy(shared_fixture, tmp_path, rows=rows)
    workbook = openpyxl.load_workbook(path)
    workbook["POA&M"]["AA1"] = "Milestone Status"
    workbook.save(path)
    return path


def test_an_emass_milestone_marked_completed_is_done(team, shared_fixture, tmp_path, capsys):
    path = _with_milestone_status(shared_fixture, tmp_path, EMASS_STATUS_ROWS)
    assert _import(team, path, "--accept-derived") == 0, capsys.readouterr().err
    items = _items(team)
    assert set(items) == {"1", "2", "3"}
    milestones = {key: [(m.description, m.due, m.done_on) for m in item.milestones.all()]
                  for key, item in items.items()}
    assert milestones == {
        "1": [("Pilot", date(2026, 10, 1), date(2026, 10, 1)), ("Roll out", date(2027, 3, 15), None)],
        "2": [("Extend retention to 1 year", date(2026, 11, 2), date(2026, 11, 2))],
        "3": [("Write the GPO", date(2026, 9, 15), date(2026, 9, 15)),
              ("Apply the GPO to every PC", date(2027, 2, 15), None)],
    }


def test_an_emass_milestone_status_that_does_not_fit_names_its_row_and_column(team, shared_fixture, tmp_path,
                                                                             capsys):
    rows = [dict(EMASS_STATUS_ROWS[0], AA="Completed\nPending\nPending"), dict(EMASS_STATUS_ROWS[1], AA="Maybe"),
            dict(EMASS_STATUS_ROWS[2], I="Write the GPO", AA="Completed")]
    path = _with_milestone_status(shared_fixture, tmp_path, rows)
    assert _import(team, path, "--accept-derived") == 2
    err = capsys.readouterr().err
    assert "row 3" in err and "3 milestone statuses for 2 milestone(s)" in err
    assert "row 4" in err and "'maybe' is not a milestone status" in err
    assert "row 5" in err and "'Write the GPO' is completed, but no date says when" in err
    assert err.count("Milestone Status") >= 3, err
    assert not PoamItem.objects.for_organization(team.org).exists()


# --- MCCAST (STIG Manager) ----------------------------------------------------------------------------------

MCCAST_ROWS = [  # B name, C date identified, D source, E status, F estimated completion, G actual start,
    # H actual completion, J allocated control, L weaknesses, M mitigation
    {"B": "SV-230221 RHEL 8 is not a supported release", "C": date(2026, 9, 1), "D": "RHEL 8 STIG",
     "E": "Ongoing", "F": date(2027, 3, 1), "G": date(2026, 10, 1), "J": "CM-6", "L": "Hosts run RHEL 8.4",
     "M": "Upgrade to 8.10"},
    {"B": "SV-230223 FIPS mode is off", "C": date(2026, 9, 1), "D": "RHEL 8 STIG", "E": "Ongoing",
     "F": date(2027, 2, 1), "J": "SC-13", "L": "FIPS mode is not enabled", "M": "fips-mode-setup --enable"},
]


def test_a_filled_mccast_file_imports_every_row(team, shared_fixture, tmp_path, capsys):
    workbook = openpyxl.load_workbook(shared_fixture(MCCAST))
    for number, values in enumerate(MCCAST_ROWS, 3):
        for letter, value in values.items():
            workbook["Sheet1"][f"{letter}{number}"] = value
    path = tmp_path / "mccast.xlsx"
    workbook.save(path)
    assert _import(team, path, "--accept-derived") == 0, capsys.readouterr().err
    items = list(PoamItem.objects.for_organization(team.org).order_by("title").prefetch_related("requirement_links"))
    assert len(items) == 2
    upgrade = items[0]
    assert (upgrade.title, upgrade.weakness, upgrade.source, upgrade.start_date, upgrade.scheduled_completion,
            upgrade.status) == ("SV-230221 RHEL 8 is not a supported release", "Hosts run RHEL 8.4", "RHEL 8 STIG",
                                date(2026, 9, 1), date(2027, 3, 1), Status.IN_PROGRESS)
    # "Date Identified" is the start date; "Actual Start Date" fills in only where it is blank.
    assert _requirements(upgrade) == ["3.4.1", "3.4.2"]  # CM-6
    assert _requirements(items[1]) == ["3.13.11"]  # SC-13


def test_the_emass_and_mccast_templates_alone_import_nothing_and_say_so(team, shared_fixture, capsys):
    for template in (EMASS, MCCAST):
        assert _import(team, shared_fixture(template)) == 2
        err = capsys.readouterr().err
        assert "no items" in err and "row(s) 2 hold only the template's guidance, example or placeholders" in err


# --- the wrong kind of file ---------------------------------------------------------------------------------

def test_a_self_assessment_given_for_a_poam_is_named_and_the_reverse(team, tmp_path, capsys):
    assessment = tmp_path / "assessment.csv"
    assessment.write_text("Requirement,Status\n" + "".join(f"3.1.{n},MET\n" for n in range(1, 23)))
    assert _import(team, assessment) == 2
    err = capsys.readouterr().err
    assert "this is a self-assessment" in err and err.count("\n") == 1  # said once, not once per row
    poam = tmp_path / "poam.csv"
    poam.write_text("Control,Weakness,Remediation,Scheduled Completion,Status\n"
                    + "".join(f"3.1.{n},Gap {n},Fix {n},2027-01-01,Closed\n" for n in range(1, 23)))
    assert _import(team, poam, "--assessment") == 2
    err = capsys.readouterr().err
    assert "this is a POA&M" in err and err.count("\n") == 1


# --- OSCAL ----------------------------------------------------------------------------------------------------

# file -> (poam-items in it, operational items among them: those naming no control with a Rev 2 counterpart, and
# those whose requirements may never be on a POA&M: FedRAMP's ac-2 gives 3.1.1 and 3.1.2, 5 points each)
OSCAL_FILES = {
    "nist-ifa-poam.json": (2, 2), "nist-ifa-poam.xml": (2, 2), "nist-ifa-poam.yaml": (2, 2),
    "fedramp-rev5-poam-template.json": (2, 2), "fedramp-rev5-poam-template.xml": (2, 2),
    "fedramp-awesomecloud-poam.xml": (8, 8), "fedramp-rev5-unit-test-poam.xml": (1, 1),
    "minimal-valid-poam.json": (1, 1),
}


@pytest.mark.parametrize("name", sorted(OSCAL_FILES))
def test_every_oscal_poam_item_of_the_file_goes_into_the_register(team, shared_fixture, name, capsys):
    """Through `punchlist import`, as a new user brings the file: every poam-item becomes an item."""
    path = shared_fixture(f"oscal/examples/{name}")
    total, operational = OSCAL_FILES[name]
    assert _import(team, path, "--accept-derived") == 0, capsys.readouterr().err
    assert f"{total} item(s) imported" in capsys.readouterr().out
    items = list(PoamItem.objects.for_organization(team.org).prefetch_related("requirement_links"))
    assert len(items) == total
    assert sum(item.kind == Kind.OPERATIONAL_PLAN for item in items) == operational
    for item in items:  # each addresses a Rev 2 requirement, or says it needs one
        assert item.requirement_links.exists() or "[needs a requirement:" in item.weakness
        assert item.title

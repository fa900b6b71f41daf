"""Mapping profiles saved per organization (services.save_profile / delete_profile), the import's dry run
(imports.check_poam), and `punchlist import` with --mapping, --map, --header-row, --sheet and --check."""

from datetime import date, timedelta

import pytest

from punchlist.audit.chain import verify_chain
from punchlist.audit.models import AuditEvent
from punchlist.core import records
from punchlist.errors import InputErrors
from punchlist.interchange import FIELDS, ColumnMapping
from punchlist.register import cli
from punchlist.register.errors import InvalidChange, PermissionDenied
from punchlist.register.imports import check_poam, import_poam
from punchlist.register.models import ImportProfile, PoamItem
from punchlist.register.services import delete_profile, save_profile
from punchlist.register.services.profiles import profile_mapping
from punchlist.testing import run_register_command

DUE = date.today() + timedelta(days=60)
MAPPING = ColumnMapping({"requirements": "Ctrl", "id": "Ref", "weakness": "What is wrong", "kind": None},
                        header_row=2)


def _events(team, action):
    return list(AuditEvent.objects.filter(organization=team.org, action=action))


# --- profiles -------------------------------------------------------------------------------------------

def test_a_profile_is_saved_read_back_and_audited(team):
    profile = save_profile(team.coordinator, team.org, "  Monthly   tracker ", MAPPING)
    assert (profile.name, profile.header_row, profile.sheet, profile.created_by) == (
        "Monthly tracker", 2, "", team.coordinator)
    assert profile.columns == {"requirements": "Ctrl", "id": "Ref", "weakness": "What is wrong", "kind": None}
    assert profile_mapping(profile) == MAPPING
    [event] = _events(team, "create_import_profile")
    assert event.actor == team.coordinator and event.after["name"] == "Monthly tracker"
    assert verify_chain(team.org).intact


def test_saving_under_the_same_name_replaces_and_records_what_changed(team):
    first = save_profile(team.coordinator, team.org, "Tracker", MAPPING)
    again = save_profile(team.admin, team.org, "TRACKER", ColumnMapping({"requirements": "Control"}))
    assert again.pk == first.pk and again.name == "TRACKER"
    assert ImportProfile.objects.for_organization(team.org).count() == 1
    [event] = _events(team, "update_import_profile")
    assert event.before == {"name": "Tracker", "columns": MAPPING.columns, "header_row": 2}
    assert event.after == {"name": "TRACKER", "columns": {"requirements": "Control"}, "header_row": None}
    save_profile(team.admin, team.org, "TRACKER", ColumnMapping({"requirements": "Control"}))
    assert len(_events(team, "update_import_profile")) == 1  # the same again writes no event


def test_a_profile_is_deleted_with_an_event(team):
    profile = save_profile(team.coordinator, team.org, "Tracker", MAPPING)
    pk = profile.pk
    delete_profile(team.admin, profile)
    assert not ImportProfile.objects.exists()
    [event] = _events(team, "delete_import_profile")
    assert event.before["columns"] == MAPPING.columns and event.object_id == str(pk)


@pytest.mark.parametrize("name, mapping, says", [
    ("", MAPPING, "a profile needs a name"),
    ("x" * 101, MAPPING, "at most 100 characters"),
    ("Tracker", {"columns": {"colour": "Red"}}, "'colour': no such field"),
    ("Tracker", ColumnMapping({"requirements": None}), "the requirement column cannot be left out"),
    ("Tracker", ColumnMapping({"requirements": "x" * 201}), "a header of 201 characters"),
    ("Tracker", "requirements=Ctrl", "a profile holds a column mapping"),
])
def test_a_profile_must_make_sense(team, name, mapping, says):
    with pytest.raises(InvalidChange, match=says):
        save_profile(team.coordinator, team.org, name, mapping)
    assert not ImportProfile.objects.exists() and not _events(team, "create_import_profile")


def test_a_profile_given_as_json_is_checked_the_same(team):
    profile = save_profile(team.coordinator, team.org, "Tracker", MAPPING.as_json())
    assert profile_mapping(profile) == MAPPING


@pytest.mark.parametrize("who", ["owner", "approver", "viewer"])
def test_only_those_who_may_import_may_save_or_delete(team, who):
    with pytest.raises(PermissionDenied):
        save_profile(getattr(team, who), team.org, "Tracker", MAPPING)
    profile = save_profile(team.coordinator, team.org, "Tracker", MAPPING)
    with pytest.raises(PermissionDenied):
        delete_profile(getattr(team, who), profile)
    assert ImportProfile.objects.filter(pk=profile.pk).exists()


def test_profiles_belong_to_their_organization(team, rival):
    save_profile(team.coordinator, team.org, "Tracker", MAPPING)
    theirs = save_profile(rival.coordinator, rival.org, "Tracker", ColumnMapping({"requirements": "Control"}))
    assert ImportProfile.objects.for_organization(team.org).get().columns == MAPPING.columns
    mine = list(ImportProfile.objects.filter(organization=team.org))
    assert list(ImportProfile.objects.restrict(team.viewer)) == mine
    with pytest.raises(PermissionDenied):
        save_profile(team.coordinator, rival.org, "Mine now", MAPPING)
    with pytest.raises(PermissionDenied):
        delete_profile(team.admin, theirs)


def test_the_cli_lists_the_same_fields_as_the_readers():
    assert cli.FIELDS == FIELDS


# --- the dry run ----------------------------------------------------------------------------------------

def _poam(*rows):
    return records.Poam([records.PoamItem(id=f"V-{row}", requirements=[requirement], title=f"Row {row}",
                                          primary_owner="Marcus Lee", scheduled_completion=DUE, row=row)
                         for row, requirement in rows])


def test_a_check_says_what_the_import_would_do_and_writes_nothing(team):
    events = AuditEvent.objects.count()
    result = check_poam(team.coordinator, team.org, _poam((2, "3.1.8"), (3, "3.5.7")), file="poam.csv")
    assert result.created == ["POAM-AC-001", "POAM-IA-001"]
    assert not PoamItem.objects.exists() and AuditEvent.objects.count() == events
    assert verify_chain(team.org).intact
    # The import that follows does what the check said.
    assert import_poam(team.coordinator, team.org, _poam((2, "3.1.8"), (3, "3.5.7")), file="poam.csv").created == \
        result.created
    again = check_poam(team.coordinator, team.org, _poam((2, "3.1.8"), (3, "3.5.7")), file="poam.csv")
    assert (again.created, again.unchanged) == ([], ["POAM-AC-001", "POAM-IA-001"])


def test_a_check_lists_every_problem_like_the_import(team):
    poam = _poam((2, "3.1.99"), (3, "3.5.3"), (4, "nonsense"))
    with pytest.raises(InputErrors) as checked:
        check_poam(team.coordinator, team.org, poam, file="poam.csv")
    with pytest.raises(InputErrors) as imported:
        import_poam(team.coordinator, team.org, poam, file="poam.csv")
    assert [str(e) for e in checked.value.errors] == [str(e) for e in imported.value.errors]
    assert [(e.row, e.column) for e in checked.value.errors] == [(2, "requirement"), (4, "requirement")]


def test_a_check_adds_nobody_even_when_asked_to(team):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.count()
    poam = records.Poam([records.PoamItem(id="V-1", requirements=["3.1.1"], title="Row", row=2,
                                          primary_owner="Nadia Newcomer")])
    result = check_poam(team.coordinator, team.org, poam, file="poam.csv", create_people=True)
    assert len(result.people_added) == 1 and get_user_model().objects.count() == users


def test_a_viewer_may_not_even_check(team):
    with pytest.raises(PermissionDenied):
        check_poam(team.viewer, team.org, _poam((2, "3.1.1")), file="poam.csv")


# --- the CLI --------------------------------------------------------------------------------------------

OWN = f"""Acme's own tracker,,,
Ref,Ctrl,What is wrong,Fix by,Type
A-1,3.1.1,Shared admin account,{DUE.isoformat()},Technical
A-2,3.5.3,No MFA on the VPN,{DUE.isoformat()},Policy
"""


punchlist = run_register_command  # punchlist("import", FILE, ...) reads as the command line


@pytest.fixture
def own_csv(tmp_path):
    path = tmp_path / "tracker.csv"
    path.write_text(OWN)
    return path


def test_the_cli_reads_a_file_with_a_saved_profile(team, own_csv, capsys):
    options = ("--org", team.org.slug, "--user", team.coordinator.username)
    assert punchlist("import", str(own_csv), *options) == 2
    assert "no header row with a requirement column" in capsys.readouterr().err
    save_profile(team.coordinator, team.org, "Acme tracker",
                 ColumnMapping({"requirements": "Ctrl", "id": "Ref", "weakness": "What is wrong",
                                "scheduled_completion": "Fix by"}))
    assert punchlist("import", str(own_csv), "--mapping", "acme tracker", "--check", *options) == 0
    out = capsys.readouterr().out
    assert ("tracker.csv would import: 2 item(s) imported; 2 of them as operational plan of action items "
            "(requirements that may never be on a POA&M) into Acme Machining; nothing was written") in out
    # Each such row is said, with the rule: neither 3.1.1 nor 3.5.3 may ever be on a POA&M.
    assert "Row 3 (A-1): 3.1.1 may never be on a POA&M (3.1.1: R-POAM-3: its point value (5) is greater than 1)." \
        in out
    assert "Row 4 (A-2): 3.5.3 may never be on a POA&M" in out and "(OPA- numbering)" in out
    assert not PoamItem.objects.exists()
    assert punchlist("import", str(own_csv), "--mapping", "Acme tracker", *options) == 0
    assert "2 item(s) imported" in capsys.readouterr().out
    assert set(PoamItem.objects.values_list("external_id", "scheduled_completion", "identifier", "kind")) == {
        ("A-1", DUE, "OPA-AC-001", "operational_plan"), ("A-2", DUE, "OPA-IA-001", "operational_plan")}


def test_map_options_go_over_the_profile_and_name_bad_cells(team, own_csv, capsys):
    options = ("--org", team.org.slug, "--user", team.coordinator.username)
    save_profile(team.coordinator, team.org, "Acme tracker", ColumnMapping({"requirements": "Ctrl", "id": "Ref",
                                                                           "weakness": "What is wrong"}))
    assert punchlist("import", str(own_csv), "--mapping", "Acme tracker", "--map", "kind=Type", *options) == 2
    err = capsys.readouterr().err
    assert "tracker.csv, row 3, column 'Type': 'Technical' is not a record type" in err
    assert "tracker.csv, row 4, column 'Type': 'Policy' is not a record type" in err
    assert not PoamItem.objects.exists()
    assert punchlist("import", str(own_csv), "--map", "requirements=#2", "--map", "weakness=What is wrong",
                     "--map", "id=ref", "--header-row", "2", *options) == 0
    assert PoamItem.objects.count() == 2


@pytest.mark.parametrize("argv, says", [
    (("--mapping", "Nope"), "Acme Machining has no mapping profile 'Nope'; it has none yet"),
    (("--map", "colour=Red"), "'colour': no such field"),
    (("--map", "requirements"), "give FIELD=HEADER"),
    (("--map", "requirements=Control"), 'none of the first 20 rows has a column headed "Control"'),
    (("--sheet", "Plan"), "no sheet named 'Plan'"),
    (("--assessment", "--map", "requirements=Ctrl"), "are for a POA&M, not --assessment"),
])
def test_cli_mapping_mistakes_are_said_in_words(team, own_csv, capsys, argv, says):
    assert punchlist("import", str(own_csv), *argv, "--org", team.org.slug, "--user", team.coordinator.username) == 2
    assert says in capsys.readouterr().err
    assert not PoamItem.objects.exists()


def test_a_viewer_cannot_use_a_profile_either(team, own_csv, capsys):
    save_profile(team.coordinator, team.org, "Acme tracker", ColumnMapping({"requirements": "Ctrl"}))
    assert punchlist("import", str(own_csv), "--mapping", "Acme tracker", "--org", team.org.slug,
                     "--user", team.viewer.username) == 2
    assert "may not add item" in capsys.readouterr().err

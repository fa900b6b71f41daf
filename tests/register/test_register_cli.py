"""The register's commands (import, items, verify; score and lint without FILE), run in process against the
test database."""

import json

import pytest
from django.db import connection

from punchlist.audit import triggers
from punchlist.register.models import PoamItem, RequirementStatus
from punchlist.testing import make_item, run_register_command

POAM = """POA&M ID,Control,Weakness,Remediation,Point of Contact,Approver,Resources Required,Start Date,\
Scheduled Completion,Milestones,Status,Severity
V-1,AC.L2-3.1.8,Accounts never lock after failed logons,Set AD lockout to 5 attempts by GPO; keep the GPO \
report,"Marcus Lee, IT Operations Lead",Priya Lee,4 hours,2026-11-01,2026-12-15,(1) 2026-11-20: Draft GPO,Open,High
V-2,3.3.4,No alert when logging fails,TBD,Marcus Lee,\
Priya Lee,8 hours,2026-11-01,2026-12-20,,In Progress,Moderate
"""


punchlist = run_register_command  # punchlist("import", FILE, ...) reads as the command line


@pytest.fixture
def poam_csv(tmp_path):
    path = tmp_path / "poam.csv"
    path.write_text(POAM)
    return path


def test_import_then_list(team, poam_csv, capsys):
    assert punchlist("import", str(poam_csv), "--org", team.org.slug, "--user", team.coordinator.username) == 0
    assert "2 item(s) imported into Acme Machining" in capsys.readouterr().out
    first = PoamItem.objects.get(organization=team.org, external_id="V-1")
    assert (first.identifier, first.primary_owner, first.milestones.count()) == ("POAM-AC-001", team.owner, 1)

    assert punchlist("items", "--org", team.org.slug, "--user", team.viewer.username, "--format", "json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(i["id"], i["status"], i["owner"]) for i in listed["items"]] == [
        ("POAM-AC-001", "open", "Marcus Lee"), ("POAM-AU-001", "in_progress", "Marcus Lee")]
    assert punchlist("items", "--org", team.org.slug, "--user", team.viewer.username, "--status", "open") == 0
    assert capsys.readouterr().out.strip().endswith("1 item(s)")


def test_bad_file_lists_every_error_and_writes_nothing(team, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text(POAM.replace("AC.L2-3.1.8", "AC.L2-3.1.99").replace(",Priya Lee,8 hours", ",Nobody,8 hours"))
    assert punchlist("import", str(bad), "--org", team.org.slug, "--user", team.coordinator.username) == 2
    err = capsys.readouterr().err
    assert "bad.csv, row 2, column 'requirement'" in err
    assert "bad.csv, row 3, column 'approval_authority'" in err
    assert not PoamItem.objects.filter(organization=team.org).exists()


def test_import_is_refused_for_a_viewer(team, poam_csv, capsys):
    assert punchlist("import", str(poam_csv), "--org", team.org.slug, "--user", team.viewer.username) == 2
    assert "may not add item" in capsys.readouterr().err


def test_assessment_import_scores_from_the_register(team, tmp_path, capsys):
    from punchlist.core.catalog import load_catalog
    from punchlist.register import mapping

    path = tmp_path / "ssp.csv"
    lines = ["Requirement,Status,Implementation"]
    lines += [f"{r.id},{'Not Implemented' if r.id == '3.1.8' else 'Implemented'},Done by GPO" for r in load_catalog()]
    path.write_text("\n".join(lines) + "\n")
    assert punchlist("import", str(path), "--assessment", "--org", team.org.slug,
                     "--user", team.coordinator.username) == 0
    assert RequirementStatus.objects.restrict(team.viewer).count() == 110
    assessment = RequirementStatus.objects.restrict(team.viewer).first().assessment
    report = mapping.score_assessment(assessment)
    assert report.score == 110 - 1 - 3  # 3.1.8, and R-SCORE-4: no plan of action for it yet (3.12.2)


def test_verify_names_a_tampered_event(team, item, capsys):
    assert punchlist("verify") == 0
    assert "audit trail intact" in capsys.readouterr().out
    triggers.remove(connection)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET reason = 'rewritten' WHERE subject = %s", [item.identifier])
    triggers.install(connection)
    assert punchlist("verify", "--org", team.org.slug) == 1
    out = capsys.readouterr().out
    assert "audit trail BROKEN at event #" in out and "create_item on POAM-AC-001" in out


def test_import_takes_an_oscal_poam(team, rival, item, tmp_path, capsys):
    """`punchlist import` reads OSCAL POA&M JSON as it reads a spreadsheet: one
    organization's export becomes another's items."""
    from punchlist.cli import main as cli_main

    exported = tmp_path / "acme-poam.json"
    assert cli_main(["export", "--format", "oscal", "--out", str(exported), "--org", team.org.slug,
                     "--user", team.coordinator.username]) == 0
    capsys.readouterr()
    assert punchlist("import", str(exported), "--org", rival.org.slug, "--user", rival.coordinator.username,
                     "--create-people") == 0
    imported = PoamItem.objects.for_organization(rival.org).get()
    assert imported.title == item.title
    assert list(imported.requirement_links.values_list("requirement", flat=True)) == ["3.1.8"]


def test_an_oscal_poam_naming_no_control_imports_as_operational_work_that_needs_a_requirement(team, shared_fixture,
                                                                                             capsys):
    """NIST's example POA&M names no control at all: its items are operational plan work, each saying that it
    needs a requirement chosen, not a refused file."""
    example = shared_fixture("oscal/examples/nist-ifa-poam.json")
    assert punchlist("import", str(example), "--org", team.org.slug, "--user", team.coordinator.username,
                     "--create-people") == 0, capsys.readouterr().err
    items = list(PoamItem.objects.for_organization(team.org).order_by("identifier"))
    assert [(item.identifier, item.kind) for item in items] == [("OPA-OP-001", "operational_plan"),
                                                                ("OPA-OP-002", "operational_plan")]
    assert all("[needs a requirement: the file names no control;" in item.weakness for item in items)
    assert not any(item.requirement_links.exists() for item in items)


def test_import_refuses_a_file_that_is_not_what_its_name_says(team, tmp_path, capsys):
    fake = tmp_path / "poam.xlsx"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    assert punchlist("import", str(fake), "--org", team.org.slug, "--user", team.coordinator.username) == 2
    assert "poam.xlsx" in capsys.readouterr().err
    assert not PoamItem.objects.for_organization(team.org).exists()


def test_verify_rehashes_evidence_and_names_an_altered_or_missing_file(team, item, vault_backend, capsys):
    from punchlist.register.services.evidence import add_evidence

    piece = add_evidence(team.owner, item, name="lockout-policy.txt", content=b"GPO: lockout after 5 failures\n")
    assert punchlist("verify", "--org", team.org.slug) == 0
    assert "evidence files intact" in capsys.readouterr().out
    vault_backend.alter(piece.file.name, b"GPO: lockout after 50 failures\n")
    assert punchlist("verify", "--org", team.org.slug) == 1
    out = capsys.readouterr().out
    assert "audit trail intact" in out
    assert "lockout-policy.txt" in out and "altered" in out and "1 evidence file(s) missing or altered" in out
    vault_backend.remove(piece.file.name)
    assert punchlist("verify") == 1
    assert "is missing" in capsys.readouterr().out


def test_verify_names_a_vault_file_that_no_evidence_cites(team, rival, item, vault_backend, capsys):
    """A piece deleted behind Punchlist's back leaves the audit trail intact; its file in the vault is the trace."""
    from punchlist.register.models import Evidence
    from punchlist.register.services.evidence import add_evidence, uncited_files

    kept = add_evidence(team.owner, item, name="gpo.txt", content=b"GPO: lockout after 5 failures\n")
    gone = add_evidence(team.owner, item, name="users.csv", content=b"user,mfa\nmarcus,yes\n")
    add_evidence(team.owner, item, name="users again.csv", content=b"user,mfa\nmarcus,yes\n")  # the same file
    add_evidence(rival.owner, make_item(rival), name="theirs.txt", content=b"rival evidence\n")
    assert uncited_files() == [] and punchlist("verify") == 0
    Evidence.objects.filter(file=gone.file.name).delete()  # both pieces citing it, as a raw DELETE would
    assert uncited_files(team.org) == uncited_files() == [gone.file.name]
    assert uncited_files(rival.org) == []
    capsys.readouterr()
    assert punchlist("verify", "--org", team.org.slug) == 1
    out = capsys.readouterr().out
    assert "audit trail intact" in out and "evidence files intact" in out
    assert f"vault file {gone.file.name} is cited by no evidence" in out and kept.file.name not in out


# --- score and lint without FILE: the register instead of a spreadsheet ----------------------------------

def main(capsys, *argv):
    """The real `punchlist` command line (offline and register commands together), in process."""
    from punchlist.cli import main as cli_main

    code = cli_main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _assessment_csv(path, not_met=("3.1.8",)):
    from punchlist.core.catalog import load_catalog

    lines = ["Requirement,Status,Implementation"]
    lines += [f"{r.id},{'Not Implemented' if r.id in not_met else 'Implemented'},Done by GPO" for r in load_catalog()]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_score_reads_the_latest_assessment_with_the_offline_shape(team, tmp_path, capsys):
    path = _assessment_csv(tmp_path / "ssp.csv")
    code, offline_out, _ = main(capsys, "score", path, "--format", "json")
    assert code == 0 and json.loads(offline_out)["score"] == 109  # a file knows nothing of plans of action
    assert punchlist("import", path, "--assessment", "--org", team.org.slug, "--user", team.coordinator.username,
                     "--assessed-on", "2026-01-05") == 0
    capsys.readouterr()

    code, out, _ = main(capsys, "score", "--org", team.org.slug, "--user", team.viewer.username, "--format", "json")
    assert code == 0
    stored, offline = json.loads(out), json.loads(offline_out)
    assert set(stored) == set(offline) | {"register"} and stored["file"] is None
    assert stored["score"] == 106  # R-SCORE-4: 3.1.8 has no plan of action, so 3.12.2 is NOT MET too (-3)
    assert "3.12.2" in [d["requirement"] for d in stored["not_met"]]
    assert stored["register"]["organization"] == team.org.slug and stored["register"]["assessed_on"] == "2026-01-05"

    make_item(team, requirements=["3.1.8"])  # the plan of action
    code, out, _ = main(capsys, "score", "--org", team.org.slug, "--user", team.viewer.username)
    assert code == 0
    assert out.startswith("Acme Machining: Imported from ssp.csv (assessment ")
    assert "SPRS score: 109 out of 110" in out and "Conditional Level 2 status" in out


def test_score_picks_an_assessment_by_id_and_names_the_missing(team, tmp_path, capsys):
    from punchlist.register.models import Assessment

    code, _, err = main(capsys, "score", "--org", team.org.slug)
    assert code == 2 and "Acme Machining has no assessment yet" in err
    older = _assessment_csv(tmp_path / "older.csv", not_met=("3.1.8", "3.1.9"))
    newer = _assessment_csv(tmp_path / "newer.csv", not_met=())
    for path, day in ((older, "2026-01-05"), (newer, "2026-06-01")):
        assert punchlist("import", path, "--assessment", "--org", team.org.slug, "--user",
                         team.coordinator.username, "--assessed-on", day) == 0
    capsys.readouterr()
    first = Assessment.objects.for_organization(team.org).get(assessed_on="2026-01-05")
    code, out, _ = main(capsys, "score", "--org", team.org.slug, "--format", "json")
    assert json.loads(out)["score"] == 110  # the latest
    code, out, _ = main(capsys, "score", "--org", team.org.slug, "--assessment", str(first.pk), "--format", "json")
    assert json.loads(out)["score"] == 110 - 1 - 1 - 3
    code, _, err = main(capsys, "score", "--org", team.org.slug, "--assessment", "999999")
    assert code == 2 and "has no assessment 999999" in err


def test_lint_reads_the_organizations_items_with_the_offline_shape(team, poam_csv, capsys):
    assert punchlist("import", str(poam_csv), "--org", team.org.slug, "--user", team.coordinator.username) == 0
    capsys.readouterr()
    code, offline_out, _ = main(capsys, "lint", str(poam_csv), "--as-of", "2026-11-23", "--format", "json")
    code, out, _ = main(capsys, "lint", "--org", team.org.slug, "--user", team.viewer.username,
                        "--as-of", "2026-11-23", "--format", "json")
    stored, offline = json.loads(out), json.loads(offline_out)
    assert code == 1 and set(stored) == set(offline) | {"register"}
    assert stored["items"] == 2 and stored["file"] is None
    # The same findings as on the file the items came from, named by their register identifiers.
    assert [(f["check"], f["message"]) for f in stored["findings"]] == [
        (f["check"], f["message"]) for f in offline["findings"]]
    assert [f["item"] for f in stored["findings"]] == ["POAM-AC-001", "POAM-AU-001"]
    assert all(set(f) == {"check", "item", "row", "message"} and f["row"] is None for f in stored["findings"])

    code, text, _ = main(capsys, "lint", "--org", team.org.slug, "--as-of", "2026-11-23")
    assert code == 1
    assert f"{team.org.slug}: POAM-AU-001: [vague-remediation]" in text
    assert text.endswith("\n2 item(s), 2 finding(s): 1 overdue-milestone, 1 vague-remediation\n")


def test_lint_of_a_clean_register_exits_0(team, capsys):
    code, out, _ = main(capsys, "lint", "--org", team.org.slug)
    assert code == 0 and "0 item(s), no findings" in out


def test_score_and_lint_keep_to_the_users_organization(team, rival, capsys):
    for command in ("score", "lint"):
        code, out, err = main(capsys, command, "--org", team.org.slug, "--user", rival.admin.username)
        assert code == 2 and out == "" and "rival-admin is not a member of this organization" in err


def test_file_and_register_options_do_not_mix(team, poam_csv, capsys):
    code, _, err = main(capsys, "lint", str(poam_csv), "--org", team.org.slug)
    assert code == 2 and "give either FILE or those options" in err

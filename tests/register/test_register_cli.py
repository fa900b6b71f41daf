"""The register's commands (import, items, verify), run in process against the test database."""

import argparse
import json

import pytest
from django.db import connection

from punchlist.audit import triggers
from punchlist.register.cli import add_commands
from punchlist.register.models import PoamItem, RequirementStatus

POAM = """POA&M ID,Control,Weakness,Remediation,Point of Contact,Approver,Resources Required,Start Date,\
Scheduled Completion,Milestones,Status,Severity
V-1,AC.L2-3.1.8,Accounts never lock after failed logons,Set AD lockout to 5 attempts by GPO; keep the GPO \
report,"Marcus Lee, IT Operations Lead",Priya Lee,4 hours,2026-11-01,2026-12-15,(1) 2026-11-20: Draft GPO,Open,High
V-2,3.3.1,No central log review,Weekly log review in Wazuh with the record kept as evidence,Marcus Lee,\
Priya Lee,8 hours,2026-11-01,2026-12-20,,In Progress,Moderate
"""


def punchlist(*argv):
    parser = argparse.ArgumentParser(prog="punchlist")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.run(args)


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

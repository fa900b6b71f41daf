"""`punchlist score` and `punchlist lint` as a user runs them: arguments, output, exit codes."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from punchlist.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "src" / "punchlist" / "examples"
ASSESSMENT = str(EXAMPLES / "ridgeline-assessment.csv")
POAM = str(EXAMPLES / "ridgeline-poam.csv")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return str(path)


def test_score_json_on_the_sample(capsys):
    code, out, _ = run(capsys, "score", ASSESSMENT, "--format", "json")
    assert code == 0
    report = json.loads(out)
    # 3.5.3 and 3.13.11 partial (-3 each), nine 1-point requirements NOT MET.
    assert report["score"] == 110 - 3 - 3 - 9
    assert report["level2"] == "not eligible"
    assert report["blocking"] == ["3.5.3"]
    not_met = {d["requirement"]: d for d in report["not_met"]}
    assert not_met["3.5.3"]["deduction"] == 3 and not_met["3.5.3"]["partial"]
    assert not_met["3.13.11"]["poam_eligible"] and not not_met["3.5.3"]["poam_eligible"]
    assert report["would_take"]["implement_first"] == ["3.5.3"]
    assert report["would_take"]["score_after_first"] == 98
    assert report["would_take"]["reaches_conditional"]
    assert any("R-POAM-5" in reason for reason in report["reasons"])


def test_score_text_says_score_verdict_and_why(capsys):
    code, out, _ = run(capsys, "score", ASSESSMENT)
    assert code == 0
    assert "SPRS score: 95 out of 110" in out
    assert "Not eligible" in out
    assert "R-POAM-3" in out and "IA.L2-3.5.3" in out
    assert "What it would take" in out


def test_score_without_ssp_has_no_score(tmp_path, capsys):
    path = write_csv(tmp_path / "a.csv", [["Requirement", "Status"], ["3.12.4", "Not Met"], ["3.1.1", "Met"]])
    code, out, _ = run(capsys, "score", path, "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert report["score"] is None and report["level2"] == "no score"
    assert "3.12.4" in report["blocking"]
    assert len(report["unanswered"]) == 108


def test_score_bad_status_names_file_row_and_column(tmp_path, capsys):
    path = write_csv(tmp_path / "bad.csv", [["Control", "Status"], ["3.1.1", "MET"], ["3.1.2", "Maybe"]])
    code, out, err = run(capsys, "score", path)
    assert code == 2 and out == ""
    assert "bad.csv" in err and "row 3" in err and "Status" in err and "Maybe" in err


def test_score_missing_column_is_named(tmp_path, capsys):
    path = write_csv(tmp_path / "nostatus.csv", [["Control", "Notes"], ["3.1.1", "fine"]])
    code, _, err = run(capsys, "score", path)
    assert code == 2
    assert "nostatus.csv" in err and "status" in err.lower()


def test_lint_json_shape_and_exit_code_on_the_sample(capsys):
    code, out, _ = run(capsys, "lint", POAM, "--as-of", "2026-11-23", "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["items"] == 12
    by_item = {}
    for finding in report["findings"]:
        assert set(finding) == {"check", "item", "row", "message"}
        by_item.setdefault(finding["item"], set()).add(finding["check"])
    # The deliberate problems of the sample, each where it was put.
    assert "vague-remediation" in by_item["POAM-AC-002"]
    assert "generic-owner" in by_item["POAM-AC-002"]
    assert "closed-without-evidence" in by_item["POAM-IR-001"]
    assert "overdue" in by_item["POAM-AT-001"]
    assert "missing-milestones" in by_item["POAM-MA-001"]
    assert "blended-item" in by_item["POAM-RA-001"]
    assert "not-poam-eligible" in by_item["POAM-IA-001"]
    # The specific, owned, dated items with milestones raise nothing; nor does the operational plan of action
    # on 3.14.1 (R-CLOSE-4), which no assessment POA&M could hold.
    for clean in ("POAM-SC-001", "POAM-AC-001", "POAM-CM-001", "POAM-AU-001", "POAM-MP-001", "POAM-SI-001"):
        assert clean not in by_item, (clean, by_item.get(clean))


def test_lint_clean_file_exits_0(tmp_path, capsys):
    rows = list(csv.reader(open(POAM, encoding="utf-8")))
    clean = [rows[0]] + [row for row in rows[1:] if row[0] in ("POAM-SC-001", "POAM-AC-001", "POAM-CM-001")]
    path = write_csv(tmp_path / "clean.csv", clean)
    code, out, _ = run(capsys, "lint", path, "--as-of", "2026-11-23")
    assert code == 0, out
    assert "no findings" in out


def test_lint_level1_refuses_every_item(capsys):
    code, out, _ = run(capsys, "lint", POAM, "--as-of", "2026-11-23", "--level", "1", "--format", "json")
    assert code == 1
    findings = json.loads(out)["findings"]
    flagged = {f["item"] for f in findings if f["check"] == "not-poam-eligible" and "R-POAM-1" in f["message"]}
    assert len(flagged) >= 11  # every assessment-POA&M item


def test_lint_unreadable_file_exits_2(tmp_path, capsys):
    path = tmp_path / "poam.xlsx"
    path.write_text("this is not a spreadsheet")
    code, out, err = run(capsys, "lint", str(path))
    assert code == 2 and out == ""
    assert "poam.xlsx" in err


def test_lint_missing_file_exits_2(tmp_path, capsys):
    code, _, err = run(capsys, "lint", str(tmp_path / "nope.xlsx"))
    assert code == 2 and "nope.xlsx" in err


def test_bad_as_of_is_refused_by_argparse(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["lint", POAM, "--as-of", "23/11/2026"])
    assert exit_info.value.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_console_script_runs_as_a_module():
    done = subprocess.run([sys.executable, "-m", "punchlist", "score", ASSESSMENT, "--format", "json"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["score"] == 95

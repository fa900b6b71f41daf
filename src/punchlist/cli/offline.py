"""`punchlist score FILE` and `punchlist lint FILE`: the truth about a contractor's own spreadsheets.

Without FILE, both commands read the register instead (``punchlist.register.cli``), with the same output and
exit codes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date

from punchlist.core.catalog import CATALOG_VERSION, MAX_SCORE
from punchlist.core.checks import CHECKS, LintFinding, lint
from punchlist.core.scoring import CONDITIONAL_THRESHOLD, Deduction, Level2, ScoreReport, describe, score
from punchlist.errors import InputError
from punchlist.interchange import FIELD_LABELS, read_assessment, read_poam
from punchlist.interchange.report import columns_text
from punchlist.register import cli as register_cli

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2
ASSESSMENT_LABELS = {"requirement": "Requirement", "status": "Status", "partial": "Partial",
                     "implementation": "Implementation", "has_plan": "Has a plan of action"}


def register(commands) -> None:
    score_parser = commands.add_parser(
        "score",
        help="SPRS score and CMMC Level 2 readiness of a self-assessment spreadsheet",
        description=(
            "Read a self-assessment (XLSX, XLS, ODS or CSV) with a requirement column and a status column "
            "(MET, NOT MET, N/A and their synonyms; an optional 'partial' column marks the 3-point case of "
            "3.5.3 and 3.13.11) and print the SPRS score, the Level 2 verdict with its reasons, and what it "
            "would take to reach a Conditional status. Without FILE, score the organization's latest assessment "
            "in the register (or --assessment ID), where a NOT MET requirement without an open item also costs "
            "3.12.2 (R-SCORE-4). Exit 0, or 2 when the file or the register cannot be read."
        ),
    )
    score_parser.add_argument("file", nargs="?", metavar="FILE",
                              help="the self-assessment to score; without it, the register's latest assessment "
                                   "of the organization (or --assessment ID), with R-SCORE-4 applied")
    score_parser.add_argument("--format", choices=("text", "json"), default="text")
    register_cli.add_register_options(score_parser)
    score_parser.add_argument("--assessment", type=int, default=None, metavar="ID",
                              help="with no FILE: which assessment of the register (default: the latest)")
    score_parser.set_defaults(run=run_score)

    lint_parser = commands.add_parser(
        "lint",
        help="what an assessor will say about a POA&M spreadsheet",
        description="Check a POA&M (XLSX, XLS, ODS or CSV), or without FILE the organization's items in the "
                    "register, the way an assessor reads it. Exit 0 when clean, 1 with findings, 2 when the file "
                    "or the register cannot be read.",
        epilog="checks:\n" + "\n".join(f"  {code:24} {text}" for code, text in CHECKS.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    lint_parser.add_argument("file", nargs="?", metavar="FILE",
                             help="the POA&M to check; without it, the organization's items in the register")
    lint_parser.add_argument("--as-of", type=_iso_date, default=None, metavar="DATE",
                             help="judge due dates as of this day (YYYY-MM-DD; default: today)")
    lint_parser.add_argument("--level", type=int, choices=(1, 2), default=2,
                             help="the CMMC level assessed (Level 1 allows no POA&M at all)")
    lint_parser.add_argument("--format", choices=("text", "json"), default="text")
    register_cli.add_register_options(lint_parser)
    lint_parser.set_defaults(run=run_lint)


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in the form YYYY-MM-DD") from None


class Progress:
    """A status line on stderr while a large file is read and checked; silent unless stderr is a terminal, or
    one line per step with ``lines`` (for logs, and for whoever watches a long import from another process)."""

    def __init__(self, stream=None, lines: bool = False):
        stream = stream if stream is not None else sys.stderr  # the one in place now, not at import
        self.stream = stream
        self.lines = lines
        self.enabled = lines or stream.isatty()
        self.started = time.perf_counter()

    def say(self, text: str) -> None:
        if self.enabled:
            elapsed = time.perf_counter() - self.started
            if self.lines:
                self.stream.write(f"{text} ({elapsed:.1f}s)\n")
            else:
                self.stream.write(f"\r\033[K{text} ({elapsed:.1f}s)")
            self.stream.flush()

    def done(self) -> None:
        if self.enabled and not self.lines:
            self.stream.write("\r\033[K")
            self.stream.flush()


def _read(reader, file: str, progress: Progress):
    """What ``reader`` makes of ``file``, or None after saying on stderr why it cannot be read."""
    progress.say(f"reading {file}")
    try:
        return reader(file)
    except InputError as error:
        progress.done()
        print(f"punchlist: {error}", file=sys.stderr)
        return None


# --- score ---------------------------------------------------------------------------------------------

def _file_or_register(args) -> str | None:
    """Why the arguments mix a file with the register's options, or None."""
    if args.file is not None and (args.org or args.data_dir or getattr(args, "assessment", None) is not None):
        return (f"punchlist {args.command}: --org, --data-dir and --assessment read the register; give either "
                "FILE or those options, not both")
    return None


def run_score(args) -> int:
    if (problem := _file_or_register(args)) is not None:
        print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.file is None:
        return register_cli.run_stored_score(args)
    progress = Progress()
    columns: list[dict] = []
    results = _read(lambda file: read_assessment(file, columns), args.file, progress)
    if results is None:
        return EXIT_BAD_INPUT
    progress.done()
    report = score(results)
    if args.format == "json":
        document = score_json(report, args.file)
        document["columns"] = columns
        print(json.dumps(document, indent=2))
    else:
        print(score_text(report, args.file))
        print("\n".join(f"{args.file}: {line}" for line in columns_text(columns, ASSESSMENT_LABELS)))
    return EXIT_OK


def _deduction_json(deduction: Deduction) -> dict:
    requirement = deduction.requirement
    return {
        "requirement": requirement.id,
        "cmmc_id": requirement.cmmc_id,
        "title": requirement.title,
        "deduction": deduction.points,
        "partial": deduction.partial,
        "poam_eligible": deduction.eligible,
        "why_not_eligible": deduction.why_ineligible or None,
        "unanswered": deduction.unanswered,
        "derived": deduction.derived,
    }


def score_json(report: ScoreReport, file: str | None) -> dict:
    path = report.path
    return {
        "file": file,
        "catalog": CATALOG_VERSION,
        "score": report.score,
        "max": MAX_SCORE,
        "level2": report.level2.value,
        "level1": "met" if report.level1_met else "not met",
        "blocking": [d.requirement.id for d in report.blocking],
        "not_met": [_deduction_json(d) for d in report.not_met],
        "unanswered": [d.requirement.id for d in report.unanswered],
        "would_take": {
            "implement_first": [d.requirement.id for d in path.implement_first],
            "score_after_first": path.score_after_first,
            "then_implement": [d.requirement.id for d in path.then_implement],
            "score_then": path.score_then,
            "reaches_conditional": path.score_then is not None and path.score_then >= CONDITIONAL_THRESHOLD,
        },
        "reasons": report.reasons,
    }


_VERDICT = {
    Level2.FINAL: "Final Level 2 status: every requirement is MET or N/A.",
    Level2.CONDITIONAL: "Conditional Level 2 status: the open requirements may go on a POA&M, "
                        "to be closed out within 180 days.",
    Level2.NOT_ELIGIBLE: "Not eligible for Level 2 status, not even Conditional.",
    Level2.NO_SCORE: "No score: the assessment cannot be completed without a System Security Plan.",
}


def score_text(report: ScoreReport, file: str) -> str:
    lines = [f"{file}"]
    if report.score is None:
        lines.append("SPRS score: none (no System Security Plan, R-SCORE-3)")
    else:
        lines.append(f"SPRS score: {report.score} out of {MAX_SCORE}")
    lines.append(_VERDICT[report.level2])
    lines.append(f"Level 1: {'met' if report.level1_met else 'NOT met (Level 1 allows no POA&M, R-POAM-1)'}")
    if report.reasons:
        lines += ["", "Why:"] + [f"  - {reason}" for reason in report.reasons]
    if report.not_met:
        total = sum(d.points for d in report.not_met)
        lines += ["", f"NOT MET: {len(report.not_met)} requirement(s), -{total} points"]
        for deduction in report.not_met:
            note = "" if deduction.eligible else f"   [no POA&M: {deduction.why_ineligible}]"
            lines.append(f"  {describe(deduction)}{note}")
    path = report.path
    if report.level2 in (Level2.NOT_ELIGIBLE, Level2.NO_SCORE):
        lines += ["", "What it would take:"]
        if path.implement_first:
            lines.append(f"  1. Implement before any Conditional status (no POA&M may hold them), "
                         f"bringing the score to {path.score_after_first}:")
            lines += [f"     {d.requirement.cmmc_id} {d.requirement.title} (+{d.points})"
                      for d in path.implement_first]
            if any(d.requirement.id == "3.13.11" and not d.partial for d in path.implement_first):
                lines.append("     (3.13.11: employing encryption, even not yet FIPS-validated, also makes it "
                             "eligible for a POA&M at -3, R-POAM-3)")
        if path.then_implement:
            lines.append(f"  {2 if path.implement_first else 1}. Then implement these "
                         f"{len(path.then_implement)} (the fewest that reach {CONDITIONAL_THRESHOLD}), "
                         f"bringing the score to {path.score_then}:")
            lines += [f"     {d.requirement.cmmc_id} {d.requirement.title} (+{d.points})"
                      for d in path.then_implement]
        if path.score_then is not None and path.score_then >= CONDITIONAL_THRESHOLD:
            lines.append("  The rest may then go on a POA&M for a Conditional status.")
    return "\n".join(lines)


# --- lint ----------------------------------------------------------------------------------------------

def run_lint(args) -> int:
    if (problem := _file_or_register(args)) is not None:
        print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.file is None:
        return register_cli.run_stored_lint(args)
    progress = Progress()
    poam = _read(read_poam, args.file, progress)
    if poam is None:
        return EXIT_BAD_INPUT
    progress.say(f"checking {len(poam.items):,} items")
    findings = lint(poam, as_of=args.as_of or date.today(), level=args.level)
    progress.done()
    if args.format == "json":
        document = {
            "file": args.file,
            "items": len(poam.items),
            "findings": [
                {"check": f.check, "item": f.item, "row": f.row, "message": f.message} for f in findings
            ],
            "columns": poam.columns,
        }
        json.dump(document, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write("".join(f"{args.file}: {line}\n" for line in columns_text(poam.columns, FIELD_LABELS)))
        sys.stdout.write(lint_text(findings, len(poam.items), args.file))
    return EXIT_FINDINGS if findings else EXIT_OK


def lint_text(findings: list[LintFinding], items: int, file: str, whole: str = "file") -> str:
    """One line per finding, then a summary. ``file`` starts each line; ``whole`` names a finding about the
    whole source (a missing column); a finding without a row (stored items) names its item."""
    out = []
    for finding in findings:
        if finding.row is not None:
            where = f"row {finding.row}" + (f" {finding.item}" if finding.item else "")
        else:
            where = finding.item or whole
        out.append(f"{file}: {where}: [{finding.check}] {finding.message}\n")
    if findings:
        counts: dict[str, int] = {}
        for finding in findings:
            counts[finding.check] = counts.get(finding.check, 0) + 1
        summary = ", ".join(f"{n} {code}" for code, n in sorted(counts.items(), key=lambda kv: -kv[1]))
        out.append(f"{items} item(s), {len(findings)} finding(s): {summary}\n")
    else:
        out.append(f"{items} item(s), no findings: an assessor will find these rows specific, owned and "
                   "dated.\n")
    return "".join(out)

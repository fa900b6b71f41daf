"""`make bench`: each figure is a ratio to a baseline measured in the same run on the same file.

The baseline is python-calamine alone reading the sheet into Python values; the work measured is what
`punchlist lint` and `punchlist score` do (read, map to records, check or score), in process.

Under the lint, the same run prints where its time goes: the reading and mapping (``read_poam``) and the checks,
and a floor: calamine's read and a record per row with each cell stored as it came, with no parsing and no
check (a generated mapper, the cheapest Python that makes the records; the cyclic collector paused, as
``read_poam`` pauses it). What the lint spends above that floor
is the parsing of dates, requirements, statuses and milestones, and the twelve checks.

Each repeat runs in a fresh interpreter, as `punchlist lint FILE` does: imports and the catalog are loaded and
the file is read once untimed (the disk cache), then the bare read and the work are timed once each. Nothing
the work remembers of one run (parsed dates, judged remediations, ...) is there to flatter the next.
Times are the process's CPU seconds (both sides run on one thread; calamine starts none), which other work
on a shared machine disturbs far less than the wall clock. The figures are the best of the repeats, the
ratio the best work over the best baseline; each repeat's own ratio is shown beside it, with their median.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import time
from pathlib import Path

from python_calamine import CalamineWorkbook

from . import targets
from .generate import AS_OF, POAM_HEADERS, assessment_file, poam_file

LINT_TARGET = 1.5


def bare_read(path: Path):
    workbook = CalamineWorkbook.from_path(str(path))
    return workbook.get_sheet_by_index(0).to_python()


def _work(kind: str, path: Path):
    if kind == "lint":
        from punchlist.core.checks import lint
        from punchlist.interchange import read_poam

        return lambda: lint(read_poam(path), as_of=AS_OF)
    from punchlist.core.scoring import score
    from punchlist.interchange import read_assessment

    return lambda: score(read_assessment(path))


def _floor_mapper():
    """map_row(row, number): a PoamItem with the generated file's cells stored as they are, nothing parsed."""
    from punchlist.core.records import PoamItem

    names = {"POA&M ID": "id", "NIST 800-171 Control": "requirements", "Weakness": "weakness",
             "Remediation Plan": "remediation", "Point of Contact": "primary_owner",
             "Supporting Owner": "supporting_owner", "Approver": "approval_authority",
             "Evidence Custodian": "evidence_custodian", "Office/Org": "responsible_unit",
             "Resources Required": "resources", "Start Date": "start_date",
             "Scheduled Completion": "scheduled_completion", "Milestones": "milestones", "Status": "status",
             "Severity": "severity", "Completion Date": "completion_date", "Evidence": "evidence",
             "Last Updated": "last_updated"}
    lines = [f"    item.{names[header]} = row[{place}]" for place, header in enumerate(POAM_HEADERS)]
    source = "def map_row(row, number):\n    item = new(PoamItem)\n" + "\n".join(lines) + "\n    item.row = number\n    return item\n"
    namespace = {"PoamItem": PoamItem, "new": object.__new__}
    exec(compile(source, "<floor mapper>", "exec"), namespace)
    return namespace["map_row"]


def floor_read(path: Path):
    """The records, made as cheaply as Python can, with the cyclic collector paused as ``read_poam`` pauses it."""
    from punchlist.interchange.poam import _collector_paused

    map_row = _floor_mapper()
    with _collector_paused():
        rows = bare_read(path)
        return list(map(map_row, rows[1:], range(2, len(rows) + 1)))


def _timed(work) -> float:
    gc.collect()
    started = time.process_time()
    work()
    return time.process_time() - started


def child(kind: str, path: Path) -> None:
    """One repeat, in this fresh interpreter: print the bare read's and the work's seconds."""
    from punchlist.core.catalog import load_catalog

    work = _work(kind, path)
    load_catalog()
    bare_read(path)  # untimed: the file into the disk cache
    baseline = _timed(lambda: bare_read(path))
    if kind != "lint":
        print(f"{baseline:.6f} {_timed(work):.6f}")
        return
    from punchlist.core.checks import lint
    from punchlist.interchange import read_poam

    read = [None]
    reading = _timed(lambda: read.__setitem__(0, read_poam(path)))
    checking = _timed(lambda: lint(read[0], as_of=AS_OF))
    read.clear()
    floor = _timed(lambda: floor_read(path))  # after the work, which it would otherwise find memory made ready for
    print(f"{baseline:.6f} {reading + checking:.6f} {reading:.6f} {checking:.6f} {floor:.6f}")


def measure(kind: str, path: Path, repeat: int) -> tuple[float, float, list[float], list[float]]:
    """Best baseline, best work, each repeat's ratio, and the best of each further figure the child printed."""
    baselines, works, more = [], [], []
    for _ in range(repeat):
        done = subprocess.run([sys.executable, "-m", "benchmarks", "--child", kind, str(path)],
                              capture_output=True, text=True, check=True)
        baseline, measured, *parts = map(float, done.stdout.split())
        baselines.append(baseline)
        works.append(measured)
        more.append(parts)
    return min(baselines), min(works), [w / b for b, w in zip(baselines, works)], [min(p) for p in zip(*more)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--data", default="bench-data", help="where generated files are kept between runs")
    parser.add_argument("--repeat", type=int, default=5, help="fresh interpreters per figure")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return 0
    folder = Path(args.data)
    missed = []
    print(f"{'work (CPU seconds)':34} {'items':>8} {'baseline s':>11} {'work s':>8} {'ratio':>6}   each repeat (median)")
    for size in (int(s) for s in args.sizes.split(",")):
        if not all(path.exists() for path in (poam_file(folder, size, generate=False),
                                              assessment_file(folder, size, generate=False))):
            print(f"generating {size:,}-row files in {folder}/ (kept for later runs) ...", file=sys.stderr)
        poam, assessment = poam_file(folder, size), assessment_file(folder, size)
        for name, kind, path in (
            ("lint (read + map + all checks)", "lint", poam),
            ("score (read + map + score)", "score", assessment),
        ):
            baseline, measured, ratios, parts = measure(kind, path, args.repeat)
            ratio = measured / baseline
            spread = " ".join(f"{r:.2f}" for r in ratios)
            print(f"{name:34} {size:>8,} {baseline:>11.3f} {measured:>8.3f} {ratio:>5.2f}x   "
                  f"{spread} ({statistics.median(ratios):.2f})", flush=True)
            for part, seconds in zip(("  of which read + map", "  of which the checks",
                                      "  floor: read + unparsed records"), parts):
                print(f"{part:34} {size:>8,} {'':>11} {seconds:>8.3f} {seconds / baseline:>5.2f}x", flush=True)
            if kind == "lint":
                target = targets.record("benchmarks", f"lint of {size:,} items (read + map + checks)",
                                        f"{ratio:.2f}x", f"at most {LINT_TARGET}x python-calamine's read",
                                        ratio <= LINT_TARGET)
                missed += [target] if not target.met else []
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

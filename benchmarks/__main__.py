"""`make bench`: each figure is a ratio to a baseline measured in the same run on the same file.

The baseline is python-calamine alone reading the sheet into Python values; the work measured is what
`punchlist lint` and `punchlist score` do (read, map to records, check or score), in process.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

from python_calamine import CalamineWorkbook

from punchlist.core.checks import lint
from punchlist.core.scoring import score
from punchlist.interchange import read_assessment, read_poam

from .generate import AS_OF, assessment_file, poam_file

LINT_TARGET = 1.5


def bare_read(path: Path):
    workbook = CalamineWorkbook.from_path(str(path))
    return workbook.get_sheet_by_index(0).to_python()


def best_of(repeat: int, work) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--data", default="bench-data", help="where generated files are kept between runs")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    folder = Path(args.data)
    missed = []
    print(f"{'work':34} {'items':>8} {'baseline s':>11} {'work s':>8} {'ratio':>6}")
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"generating {size:,}-row files in {folder}/ (kept for later runs) ...", file=sys.stderr)
        poam, assessment = poam_file(folder, size), assessment_file(folder, size)
        for name, path, work in (
            ("lint (read + map + all checks)", poam, lambda p=poam: lint(read_poam(p), as_of=AS_OF)),
            ("score (read + map + score)", assessment, lambda p=assessment: score(read_assessment(p))),
        ):
            work()  # warm the imports and the catalog
            baseline = best_of(args.repeat, lambda p=path: bare_read(p))
            measured = best_of(args.repeat, work)
            ratio = measured / baseline
            print(f"{name:34} {size:>8,} {baseline:>11.3f} {measured:>8.3f} {ratio:>5.2f}x")
            if name.startswith("lint") and ratio > LINT_TARGET:
                missed.append(f"lint of {size:,} items: {ratio:.2f}x > {LINT_TARGET}x")
    print(f"target: the whole lint at most {LINT_TARGET}x the bare read: "
          + ("met" if not missed else "MISSED (" + "; ".join(missed) + ")"))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

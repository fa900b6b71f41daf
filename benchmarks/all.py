"""`make bench`: every benchmark runs, then one table of every target, met and missed.

A benchmark that misses its target does not stop the others: each runs in a process of its own, its output
shown as it comes, and records its targets (``benchmarks.targets``). The exit status is non-zero only after
the table, when a target was missed or a benchmark did not finish (which the table says too).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

from . import targets

BENCHMARKS = (
    "benchmarks",  # lint and score of files against python-calamine's read
    "benchmarks.register",  # import, re-import, score + lint from the database; a 50,000-row file
    "benchmarks.reports",  # each report's seconds (no target: for scale)
    "benchmarks.exports",  # the workbook against a bare openpyxl dump
    "benchmarks.web",  # the register page's p95 under load
    "benchmarks.servers",  # the register page under 20 clients: two servers' p95 against one's (PostgreSQL)
    "benchmarks.portfolio",  # 500 clients of 200 items against one register page; queries against 2 clients
    "benchmarks.scans",  # a Nessus report of 10,000 findings against defusedxml's parse; its peak memory
    "benchmarks.api",  # an API page of 100 items against the web register page of the same items
)


def table(results: list[targets.Target], failures: list[str]) -> str:
    rows = [("benchmark", "target", "measured", "bound", "")]
    rows += [(t.benchmark, t.name, t.measured, t.bound, "met" if t.met else "MISSED") for t in results]
    rows += [(name, "(did not finish)", "", "", "FAILED") for name in failures]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.all")
    parser.add_argument("--only", help="comma-separated modules to run (default: all of them)")
    args = parser.parse_args(argv)
    chosen = args.only.split(",") if args.only else list(BENCHMARKS)
    failures = []
    with tempfile.TemporaryDirectory(prefix="punchlist-bench-") as folder:
        path = os.path.join(folder, "targets.jsonl")
        env = {**os.environ, targets.FILE_VARIABLE: path}
        for module in chosen:
            print(f"\n===== {module}", flush=True)
            before = len(targets.read(path))
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", module], env=env, check=False)
            recorded = targets.read(path)[before:]
            print(f"===== {module}: exit {done.returncode} after {time.perf_counter() - started:.0f} s", flush=True)
            # Exit 1 with a missed target is a benchmark that measured and missed; anything else non-zero
            # (or a 1 with nothing missed) means it did not finish its measuring.
            missed = any(not t.met for t in recorded)
            if done.returncode != 0 and not (done.returncode == 1 and missed):
                failures.append(module)
        results = targets.read(path)
    print("\n" + table(results, failures))
    missed = [t for t in results if not t.met]
    print(f"\n{len(results) - len(missed)} targets met, {len(missed)} missed"
          + (f", {len(failures)} benchmarks did not finish" if failures else ""))
    return 1 if missed or failures else 0


if __name__ == "__main__":
    sys.exit(main())

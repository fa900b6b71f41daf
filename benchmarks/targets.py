"""The targets `make bench` checks, recorded by each benchmark as it measures them.

Each benchmark prints its own table and calls ``record`` for every target it checks. Run alone, that only
prints a line; run by ``python -m benchmarks.all`` (what `make bench` runs), the target is also appended to
the file named by ``PUNCHLIST_BENCH_TARGETS``, from which the runner prints one table of every target, met
and missed, after every benchmark has run.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

FILE_VARIABLE = "PUNCHLIST_BENCH_TARGETS"


@dataclass(frozen=True)
class Target:
    benchmark: str  # the module that measured it, e.g. "benchmarks.register"
    name: str  # what was measured, e.g. "import of a 50,000-row XLSX file, SQLite"
    measured: str  # the figure as printed, e.g. "2.7x"
    bound: str  # the target, e.g. "at most 3x"
    met: bool


def record(benchmark: str, name: str, measured: str, bound: str, met: bool) -> Target:
    target = Target(benchmark, name, measured, bound, met)
    print(f"target: {name}: {measured}, {bound}: {'met' if met else 'MISSED'}", flush=True)
    path = os.environ.get(FILE_VARIABLE)
    if path:
        with open(path, "a", encoding="utf-8") as file:
            file.write(json.dumps(asdict(target)) + "\n")
    return target


def read(path: str) -> list[Target]:
    try:
        with open(path, encoding="utf-8") as file:
            return [Target(**json.loads(line)) for line in file if line.strip()]
    except FileNotFoundError:
        return []

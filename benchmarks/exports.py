"""Export benchmark: `python -m benchmarks.exports [--items 50000]`.

Writing the Punchlist workbook of N items (``write_workbook``: every sheet, styles, frozen headers, filters,
drop-downs) against a bare openpyxl write-only dump of the same cells, in the same run: the cells are those
the workbook holds, read back from it, and dumped with nothing but ``append`` and ``save``. The items come
from the generated POA&M the import benchmark reads (``benchmarks.generate``), with a hashed evidence entry
each. Target: at most 1.5x; exit 1 when missed.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from openpyxl import Workbook
from python_calamine import CalamineWorkbook

from punchlist.interchange import read_poam
from punchlist.interchange.exports import EvidenceEntry, ExportContext
from punchlist.interchange.workbook import write_workbook

from . import targets
from .generate import poam_file

TARGET = 1.5


def best_of_each(repeat: int, *works) -> list[float]:
    """The best time of each work, run in turns so that a busy machine slows both alike."""
    times: list[list[float]] = [[] for _ in works]
    for _ in range(repeat):
        for work, taken in zip(works, times):
            gc.collect()
            started = time.perf_counter()
            work()
            taken.append(time.perf_counter() - started)
    return [min(taken) for taken in times]


def evidence_of(poam) -> dict[str, list[EvidenceEntry]]:
    """A stored file per item with evidence, as the register passes it (name, SHA-256, size, who, when)."""
    evidence = {}
    for item in poam.items:
        if item.evidence:
            digest = hashlib.sha256(item.evidence.encode()).hexdigest()
            evidence[item.id] = [EvidenceEntry(item.evidence, filename=item.evidence, sha256=digest,
                                               media_type="application/pdf", size=48_211 + len(item.evidence),
                                               added_by=item.evidence_custodian, added_on=item.last_updated)]
    return evidence


def cells_of(path: Path) -> dict[str, list[list]]:
    """Every sheet's cells as written, blanks as None: what the bare dump writes."""
    book = CalamineWorkbook.from_path(str(path))
    return {name: [[None if value == "" else value for value in row]
                   for row in book.get_sheet_by_name(name).to_python(skip_empty_area=False)]
            for name in book.sheet_names}


def bare_dump(cells: dict[str, list[list]], path: Path) -> None:
    workbook = Workbook(write_only=True)
    for name, rows in cells.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.exports")
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--data", default="bench-data", help="where generated files are kept between runs")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"generating and reading a {args.items:,}-item POA&M ...", file=sys.stderr)
    poam = read_poam(poam_file(Path(args.data), args.items))
    evidence = evidence_of(poam)
    context = ExportContext(organization="Benchmark Machining LLC", system="CUI enclave",
                            generated_at=datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc), score=84,
                            verdict="conditional")
    with tempfile.TemporaryDirectory() as folder:
        ours, bare = Path(folder) / "punchlist.xlsx", Path(folder) / "bare.xlsx"

        def work():
            write_workbook(poam, context, ours, evidence=evidence)

        work()  # warm up, and the file whose cells the baseline dumps
        cells = cells_of(ours)
        count = sum(len(row) for rows in cells.values() for row in rows)
        baseline, measured = best_of_each(args.repeat, lambda: bare_dump(cells, bare), work)
    ratio = measured / baseline
    print(f"{'work':44} {'items':>8} {'cells':>10} {'baseline s':>11} {'work s':>8} {'ratio':>6}")
    print(f"{'export: Punchlist workbook (write_workbook)':44} {len(poam.items):>8,} {count:>10,} {baseline:>11.3f} "
          f"{measured:>8.3f} {ratio:>5.2f}x")
    met = targets.record("benchmarks.exports", f"workbook export of {len(poam.items):,} items", f"{ratio:.2f}x",
                         f"at most {TARGET}x a bare openpyxl dump of the same cells", ratio <= TARGET).met
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())

"""The work queue written by each of practice-ops' fresh-workbook writers, timed side by side, and
looked at for what a VA would meet: the measure behind FRESH_WRITERS' order.

    python bench/queue_writers.py [N] [--problems 0.33] [--repeat 3]

It generates the benchmark's practice (N appointments, default 100,000, a third of the rows
troubled), checks it, plans a new queue for its findings and writes that queue with each writer
(``work_queue._write_fresh``), as a run does (the cycle collector waiting). Then it looks in each
file for a row number written twice (Excel offers to repair such a file) and a sheet without its
header: the defects a young binding of rust_xlsxwriter (rustpy-xlsxwriter 0.8.0) had, kept as a
check on the one practice-ops uses. docs/performance.md has the figures, docs/decisions.md the choice.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
import zipfile
from datetime import date
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def planned_queue(folder: Path, appointments: int, problems: float):
    """(the queue's plan for a new queue, the day): the benchmark practice's findings, checked."""
    from automations import config as config_module
    from automations.jobs import check
    from automations.reports.work_queue import plan
    from bench.bench_practice import TODAY, generate

    config = config_module.load(generate(folder, appointments, problems))
    findings = check(config, TODAY).findings
    return plan(findings, {}, {}, TODAY), TODAY


def what_a_va_would_meet(path: Path) -> list[str]:
    """Rows Excel repairs (a row number written twice, or out of order) and sheets without their
    header row."""
    met = []
    with zipfile.ZipFile(path) as book:
        for name in sorted(n for n in book.namelist() if n.startswith("xl/worksheets/sheet")):
            xml = book.read(name).decode("utf-8")
            numbers = [int(n) for n in re.findall(r'<row r="(\d+)"', xml)]
            twice = len(numbers) - len(set(numbers))
            if twice:  # rows must come once each, in order: Excel offers to repair a file where they do not
                met.append(f"{name}: {twice} row number(s) written twice")
            elif numbers != sorted(numbers):
                met.append(f"{name}: rows out of order")
            if "<sheetData/>" in xml:
                met.append(f"{name}: no rows at all, not even the header")
    return met


def timed(writer: str, path: Path, update, today: date, repeat: int) -> float:
    """The median of ``repeat`` writes, each as a run makes it (the cycle collector waiting)."""
    from automations.jobs import bulk_work
    from automations.reports.work_queue import _write_fresh

    times = []
    for n in range(repeat):
        with bulk_work():
            started = time.perf_counter()
            _write_fresh(str(path.with_name(f"{path.stem}-{n}.xlsx")), update, today, writer)
            times.append(time.perf_counter() - started)
    return median(times)


def main() -> None:
    from automations.reports.workbooks import FRESH_WRITERS, fresh_writer, installed_writers

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("appointments", type=int, nargs="?", default=100_000)
    parser.add_argument("--problems", type=float, default=0.33)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        update, today = planned_queue(Path(folder), args.appointments, args.problems)
        rows = len(update.open) + len(update.set_aside)
        installed = fresh_writer()
        reference = "xlsxwriter"
        times: dict[str, float] = {}
        for writer in [reference, *(w for w in installed_writers() if w != reference)]:
            path = Path(folder) / f"{writer}.xlsx"
            times[writer] = timed(writer, path, update, today, args.repeat)
            faster = f" ({times[reference] / times[writer]:.1f}x faster)" if writer != reference else " (reference)"
            print(f"work queue of {rows:,} findings written by {writer}: {times[writer]:.2f} s{faster}")
            for problem in what_a_va_would_meet(path.with_name(f"{path.stem}-0.xlsx")) or ["nothing a VA would meet"]:
                print(f"  {problem}")
        print(f"a run here writes it with {installed}"
              + ("" if installed == FRESH_WRITERS[0] else f" ({FRESH_WRITERS[0]} has no wheel for this machine)"))

if __name__ == "__main__":
    main()

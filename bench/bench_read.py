"""How much the tracker reader costs over openpyxl's own read-only iteration of the same sheet.

    python bench/bench_read.py [ROWS]

Prints the ratio (our read / openpyxl's raw iteration) for a generated appointments sheet; with
python-calamine installed, also calamine's raw read as a second reference (it is not used for
trackers because it reads error cells as blanks).
"""

from __future__ import annotations

import sys
import tempfile
import time as clock
from datetime import date, time, timedelta
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from automations.trackers.reader import read_sheet  # noqa: E402
from automations.trackers.sources import open_workbook  # noqa: E402


def build(path: Path, rows: int) -> None:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Appointments")
    sheet.append(["Appt #", "Client #", "Clinician", "Date", "Start", "Duration", "Actual Min", "Service", "CPT",
                  "Format", "Status", "Insurance"])
    start = date(2026, 1, 1)
    for n in range(rows):
        sheet.append([f"A-{n}", f"C-{n % 400}", f"Provider {n % 6}", start + timedelta(days=n % 300),
                      time(9 + n % 8), 53, f"{45 + n % 10} min", "Individual", "90834", "Video", "Completed", "Aetna"])
    book.save(path)


def best_of(runs: int, action) -> float:
    times = []
    for _ in range(runs):
        began = clock.perf_counter()
        action()
        times.append(clock.perf_counter() - began)
    return min(times)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.xlsx"
        build(path, rows)

        def raw():
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            for _ in book["Appointments"].iter_rows(values_only=True):
                pass
            book.close()

        def ours():
            workbook = open_workbook("excel", str(path))
            read = read_sheet("appointments", workbook.rows("Appointments"), file=path.name, sheet="Appointments")
            workbook.close()
            assert len(read.records) == rows and not read.issues

        reference = best_of(3, raw)
        measured = best_of(3, ours)
        print(f"rows: {rows}")
        print(f"openpyxl read-only iteration (reference): {reference:.3f}s")
        print(f"practice-ops read (open + header + parse + records): {measured:.3f}s")
        print(f"ratio: {measured / reference:.2f}x the reference")
        try:
            from python_calamine import CalamineWorkbook
        except ImportError:
            return
        calamine = best_of(3, lambda: CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Appointments").to_python())
        print(f"python-calamine raw read: {calamine:.3f}s ({calamine / reference:.2f}x the reference)")


if __name__ == "__main__":
    main()

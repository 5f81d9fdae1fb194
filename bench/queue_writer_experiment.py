"""An experiment, not practice-ops' path: how fast a Rust writer would write the work queue, and
what it would cost, to size the last step issue 11's next-day target would take.

    pip install rustpy-xlsxwriter                     # not a dependency of practice-ops
    python bench/queue_writer_experiment.py [N] [--problems 0.33]

It generates the benchmark's practice (N appointments, default 100,000, a third of the rows
troubled), checks it, plans a new queue for its findings and writes that queue three times: with
XlsxWriter, as practice-ops does (``work_queue._write_fresh``), and with rustpy-xlsxwriter (a
binding of rust_xlsxwriter) the same sheets, rows, widths, heights and looks as far as its API
reaches, once row by row (its default) and once each sheet held whole. Then it looks in the Rust
writer's files for what a VA would meet: a row number written twice (Excel offers to repair such
a file), a sheet without its header. docs/performance.md says what was found and
docs/decisions.md why the queue stays with XlsxWriter.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
import zipfile
from datetime import date
from functools import partial
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


def with_xlsxwriter(path: Path, update, today: date) -> None:
    from automations.reports.work_queue import _write_fresh

    _write_fresh(str(path), update, today)


def with_rust(path: Path, update, today: date, buffered: bool = False) -> None:
    """The queue in one call to rustpy-xlsxwriter. Its API takes records and per-column formats,
    not a format per cell: the urgency colour becomes conditional formatting, a wrapped blank cell
    takes its column's look, and a heading row of the legend is bold across. ``buffered``: each
    sheet held whole until written (its ``dedupe_strings``) instead of written row by row."""
    import rustpy_xlsxwriter as rust

    from automations.reports import work_queue as queue

    top = rust.Format().set_align("top")
    wrapped = rust.Format().set_text_wrap().set_align("top")
    dated = rust.Format().set_num_format(queue.DATE_FORMAT).set_align("top")
    header = rust.Format().set_bold().set_background_color(queue.HEADER_FILL)
    bold = rust.Format().set_bold()
    shown, more = queue.by_problem(update.open)
    sheets: list[tuple[str, list[dict]]] = []
    options: dict[str, dict] = {key: {} for key in ("column_formats", "column_widths", "header_format", "row_heights",
                                                     "autofilter", "freeze_panes", "conditional_formats",
                                                     "data_validations", "page_setup", "row_formats")}
    widths = dict(queue.COLUMNS)
    for name, findings in ((queue.QUEUE, shown), (queue.MORE, more), (queue.ASIDE, update.set_aside)):
        if name == queue.MORE and not findings:
            continue
        rows = [queue.finding_cells(f, update.states[f.id]) for f in sorted(findings, key=queue.queue_order)]
        sheets.append((name, rows))
        options["column_formats"][name] = [wrapped if t in queue.WRAPPED else dated if t in queue.DATED else top
                                           for t in queue.TITLES]
        options["column_widths"][name] = [width for _, width in queue.COLUMNS]
        options["header_format"][name] = header
        options["row_heights"][name] = {n: queue.row_height(cells, widths) for n, cells in enumerate(rows, start=1)}
        options["autofilter"][name] = True
        options["freeze_panes"][name] = {"row": 1, "col": 2}
        options["conditional_formats"][name] = {"Urgency": [
            {"type": "text", "criteria": "begins_with", "value": queue.SEVERITY_NAMES[severity],
             "format": rust.Format().set_background_color(fill)} for severity, fill in queue.SEVERITY_FILL.items()]}
        options["data_validations"][name] = {"Status": {"type": "list", "values": list(queue.STATUSES),
                                                        "error_style": "information"}}
        options["page_setup"][name] = {"landscape": True, "fit_to_pages": (1, 0), "repeat_rows": 0,
                                       "print_area": (0, 0, max(len(rows), 1), queue.PRINTED - 1)}
    summary = queue.by_problem_rows(update.open, shown)
    if summary is not None:
        sheets.insert(1, (queue.BY_PROBLEM, [dict(zip([t for t, _ in queue.BY_PROBLEM_COLUMNS], row, strict=True))
                                             for row in summary]))
    resolved = queue.resolved_rows(update, today)
    sheets.append((queue.RESOLVED, [dict(zip([t for t, _ in queue.RESOLVED_COLUMNS], row, strict=True))
                                    for row in resolved]))
    legend = [{"Status": left, "What it means": right} for left, right in queue.LEGEND_ROWS[1:]]
    sheets.append((queue.LEGEND, legend))
    options["row_formats"][queue.LEGEND] = {n: bold for n, row in enumerate(legend, start=1)
                                           if row["Status"] in queue.LEGEND_HEADINGS}
    rust.write_worksheets(sheets, str(path), dedupe_strings={"general": buffered},
                          **{key: value for key, value in options.items() if value})


def what_a_va_would_meet(path: Path) -> list[str]:
    """Rows Excel repairs (one row number written twice) and sheets without their header row."""
    met = []
    with zipfile.ZipFile(path) as book:
        for name in sorted(n for n in book.namelist() if n.startswith("xl/worksheets/sheet")):
            xml = book.read(name).decode("utf-8")
            numbers = [int(n) for n in re.findall(r'<row r="(\d+)"', xml)]
            twice = len(numbers) - len(set(numbers))
            if twice:  # rows must come once each, in order: Excel offers to repair a file where they do not
                met.append(f"{name}: {twice} row number(s) written twice")
            if "<sheetData/>" in xml:
                met.append(f"{name}: no rows at all, not even the header")
    return met


def timed(write, path: Path, update, today: date, repeat: int) -> float:
    """The median of ``repeat`` writes, each as a run makes it (the cycle collector waiting)."""
    from automations.jobs import bulk_work

    times = []
    for n in range(repeat):
        with bulk_work():
            started = time.perf_counter()
            write(path.with_name(f"{path.stem}-{n}.xlsx"), update, today)
            times.append(time.perf_counter() - started)
    return median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("appointments", type=int, nargs="?", default=100_000)
    parser.add_argument("--problems", type=float, default=0.33)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        update, today = planned_queue(Path(folder), args.appointments, args.problems)
        rows = len(update.open) + len(update.set_aside)
        ours = timed(with_xlsxwriter, Path(folder) / "xlsxwriter.xlsx", update, today, args.repeat)
        print(f"work queue of {rows:,} findings written by XlsxWriter (practice-ops): {ours:.2f} s")
        try:
            import rustpy_xlsxwriter  # noqa: F401
        except ImportError:
            print("rustpy-xlsxwriter is not installed: pip install rustpy-xlsxwriter")
            return
        for buffered, how in ((False, "row by row, its default"), (True, "each sheet held whole")):
            path = Path(folder) / f"rust-{'held' if buffered else 'rows'}.xlsx"
            rust = timed(partial(with_rust, buffered=buffered), path, update, today, args.repeat)
            print(f"the same queue written by rustpy-xlsxwriter, {how}: {rust:.2f} s ({ours / rust:.1f}x faster)")
            for problem in what_a_va_would_meet(path.with_name(f"{path.stem}-0.xlsx")) or ["nothing a VA would meet"]:
                print(f"  {problem}")


if __name__ == "__main__":
    main()

"""The work queue grows with its rows, never with their square. Issue 11 found a queue written
with ``sheet.max_row`` asked after every appended row: a 100,000-appointment run with tens of
thousands of findings took 30 minutes. The work is counted, never timed: a queue of twice the
findings must cost about twice as much, written from nothing, and edited in place once the VA has
worked in it (her edits read back, every row rewritten around them). Counted: the lines Python
executes, here and in the libraries, and the cells openpyxl walks in C (``max_row`` is one line
that walks every cell of the sheet)."""

from datetime import date, timedelta

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from automations.ledger import Ledger
from automations.reports.queue_sheets import GROUP_AT
from automations.reports.work_queue import update_work_queue
from automations.rules.findings import Finding
from tests.conftest import lines_executed

TODAY = date(2026, 11, 26)
RULES = ("billing.unbilled_session", "billing.cpt_time_mismatch", "billing.unpaid_followup",
         "scheduling.status_not_updated", "authorizations.near_limit")


def findings(count: int, today: date) -> list[Finding]:
    """``count`` findings over five problems, so the queue has a Work queue, a By problem and a
    More open sheet; their wording changes with the day, as a troubled practice's does."""
    made = []
    for n in range(count):
        rule = RULES[n % len(RULES)]
        made.append(Finding(rule, ("warning", "urgent")[n % 3 == 0], "billing",
                            f"Session A-{n:06d} was completed {n % 90 + (today - TODAY).days} days ago and "
                            f"has no claim. Bill it before the payer's filing limit.",
                            refs={"appointment": f"A-{n:06d}", "client": f"C-{n % 300:05d}"},
                            due=today + timedelta(days=n % 30)))
    return made


class WalkedCells(dict):
    """A sheet's cells that count how many are walked, whichever way openpyxl walks them."""

    walked = 0


def _walking(name: str):
    plain = getattr(dict, name)

    def walking(self):
        WalkedCells.walked += len(self)
        return plain(self)

    return walking


for _way in ("__iter__", "keys", "values", "items"):
    setattr(WalkedCells, _way, _walking(_way))


@pytest.fixture
def walked_cells(monkeypatch):
    made = Worksheet.__init__

    def counting(self, *args, **kwargs):
        made(self, *args, **kwargs)
        self._cells = WalkedCells(self._cells)

    monkeypatch.setattr(Worksheet, "__init__", counting)


def counted(step) -> tuple[int, int]:
    """(lines executed, in practice-ops and in the libraries it calls; cells walked)."""
    WalkedCells.walked = 0
    return lines_executed(step)[0], WalkedCells.walked


def va_works_in(path, rows: int) -> None:
    """The VA marks ``rows`` rows Done and writes a note on each, so the next run edits in place."""
    book = openpyxl.load_workbook(path)
    sheet = book["More open"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2, max_row=rows + 1):
        row[header.index("Status")].value = "Done"
        row[header.index("Notes")].value = "billed on the portal"
    book.save(path)


def queue_work(tmp_path, count: int) -> list[tuple[int, int]]:
    """The work (``counted``) of writing a new queue of ``count`` findings, then of editing it in
    place the next day."""
    folder = tmp_path / str(count)
    path = folder / "queue.xlsx"
    ledger = Ledger(folder / "var")
    try:
        today, later = TODAY, TODAY + timedelta(days=1)
        found_today, found_later = findings(count, today), findings(count, later)
        fresh = counted(lambda: update_work_queue(path, found_today, today, ledger))
        va_works_in(path, rows=count // 10)
        in_place = counted(lambda: update_work_queue(path, found_later, later, ledger))
    finally:
        ledger.close()
    return [fresh, in_place]


@pytest.mark.timeout(120)
def test_doubling_the_findings_about_doubles_the_queue_s_work(tmp_path, walked_cells):
    assert 1000 - len(RULES) * GROUP_AT > 500  # most rows are on More open, whose rows grow with the findings
    small, large = queue_work(tmp_path, 1000), queue_work(tmp_path, 2000)
    for step, (few, many) in zip(("written anew", "edited in place"), zip(small, large, strict=True), strict=True):
        for what, done_for_few, done_for_many in zip(("lines", "cells walked"), few, many, strict=True):
            assert done_for_many <= 2.3 * done_for_few, (step, what, done_for_few, done_for_many)
    assert small[1][1] > 0  # the in-place edit's cells were counted

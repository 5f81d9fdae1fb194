from datetime import date, timedelta

import openpyxl
import pytest

from automations.ledger import Ledger
from automations.reports.work_queue import parse_status, update_work_queue
from automations.rules.findings import Finding

TODAY = date(2026, 11, 26)


def finding(ref: str, due: date | None = TODAY, severity="warning") -> Finding:
    return Finding("billing.unbilled_session", severity, "billing", f"Session {ref} has no claim.",
                   refs={"appointment": ref}, due=due)


def sheet_rows(path, name="Work queue"):
    book = openpyxl.load_workbook(path)
    rows = [list(r) for r in book[name].iter_rows(values_only=True)]
    return [dict(zip(rows[0], r, strict=False)) for r in rows[1:]]


def edit(path, finding_id, **cells):
    """Do what the VA does: open the workbook, type into a row, save."""
    book = openpyxl.load_workbook(path)
    for sheet in (book["Work queue"], book["Set aside"]):
        header = [c.value for c in sheet[1]]
        for row in sheet.iter_rows(min_row=2):
            if row[header.index("Finding ID")].value == finding_id:
                for title, value in cells.items():
                    row[header.index(title)].value = value
    book.save(path)


@pytest.fixture
def queue(tmp_path):
    ledger = Ledger(tmp_path / "var")
    path = tmp_path / "out" / "queue.xlsx"

    def run(findings, today):
        return update_work_queue(path, findings, today, ledger)

    run.path = path
    yield run
    ledger.close()


def test_one_row_per_finding_soonest_due_first_with_its_id(queue):
    found = [finding("A-2", date(2026, 11, 28)), finding("A-1", date(2026, 11, 20)), finding("A-3", None)]
    queue(found, TODAY)
    rows = sheet_rows(queue.path)
    assert [r["Finding ID"] for r in rows] == [found[1].id, found[0].id, found[2].id]
    assert {r["Status"] for r in rows} == {"Open"}
    book = openpyxl.load_workbook(queue.path)
    assert book.sheetnames == ["Work queue", "Set aside", "Resolved"]
    assert book["Work queue"].freeze_panes == "A2" and book["Work queue"].data_validations.dataValidation


def test_notes_and_won_t_fix_survive_and_are_set_aside(queue):
    a, b = finding("A-1"), finding("A-2")
    queue([a, b], TODAY)
    edit(queue.path, a.id, Status="Won't fix", Notes="client moved away")
    edit(queue.path, b.id, Notes="called payer, ref 7731")
    update = queue([a, b], TODAY + timedelta(days=1))
    assert [f.id for f in update.open] == [b.id] and [f.id for f in update.set_aside] == [a.id]
    assert sheet_rows(queue.path)[0]["Notes"] == "called payer, ref 7731"
    aside = sheet_rows(queue.path, "Set aside")[0]
    assert (aside["Status"], aside["Notes"]) == ("Won't fix", "client moved away")
    assert aside["First seen"].date() == TODAY


@pytest.mark.parametrize("days_later, reopened", [(6, False), (7, True)])
def test_a_done_finding_still_there_seven_days_later_reopens(queue, days_later, reopened):
    a = finding("A-1")
    queue([a], TODAY)
    edit(queue.path, a.id, Status="Done")
    queue([a], TODAY + timedelta(days=1))  # the run that sees "Done"
    update = queue([a], TODAY + timedelta(days=1 + days_later))
    assert (a.id in update.reopened_today) is reopened
    if reopened:
        row = sheet_rows(queue.path)[0]
        assert row["Status"] == "Open" and row["Reopened"].date() == TODAY + timedelta(days=1 + days_later)
    else:
        assert sheet_rows(queue.path, "Set aside")[0]["Status"] == "Done"


@pytest.mark.parametrize("status, until, back_on", [
    ("Snoozed until 12/03/2026", None, date(2026, 12, 3)),
    ("Snoozed", date(2026, 12, 1), date(2026, 12, 1)),
    ("snooze", None, TODAY + timedelta(days=7)),
])
def test_snoozed_findings_hide_until_their_date(queue, status, until, back_on):
    a = finding("A-1")
    queue([a], TODAY)
    edit(queue.path, a.id, Status=status, **({"Snooze until": until} if until else {}))
    assert queue([a], TODAY).set_aside == [a]
    assert queue([a], back_on - timedelta(days=1)).set_aside == [a]
    assert queue([a], back_on).open == [a]


def test_a_gone_problem_moves_to_resolved_with_the_date_and_comes_back_reopened(queue):
    a, b = finding("A-1"), finding("A-2")
    queue([a, b], TODAY)
    edit(queue.path, a.id, Notes="billed on the 27th")
    update = queue([b], TODAY + timedelta(days=1))
    assert update.resolved_today == [a.id]
    resolved = sheet_rows(queue.path, "Resolved")
    assert [(r["Finding ID"], r["Resolved on"].date(), r["Notes"]) for r in resolved] == [
        (a.id, TODAY + timedelta(days=1), "billed on the 27th")]
    assert resolved[0]["What it said"] == a.message
    update = queue([a, b], TODAY + timedelta(days=3))
    assert a.id in update.reopened_today and {f.id for f in update.open} == {a.id, b.id}


def test_the_ledger_remembers_when_the_workbook_is_deleted(queue):
    a = finding("A-1")
    queue([a], TODAY)
    edit(queue.path, a.id, Status="Won't fix", Notes="duplicate of A-2")
    queue([a], TODAY)
    queue.path.unlink()
    queue([a], TODAY + timedelta(days=1))
    assert sheet_rows(queue.path, "Set aside")[0]["Notes"] == "duplicate of A-2"


def test_an_unreadable_status_is_open_and_says_so(queue):
    a = finding("A-1")
    queue([a], TODAY)
    edit(queue.path, a.id, Status="maybe later", Notes="x")
    queue([a], TODAY)
    row = sheet_rows(queue.path)[0]
    assert row["Status"] == "Open" and row["Notes"] == "(status 'maybe later' not understood; set to Open) x"


@pytest.mark.parametrize("text, status", [("Done", "Done"), ("done", "Done"), ("Won't fix", "Won't fix"),
                                          ("wont fix", "Won't fix"), ("", "Open"), (None, "Open"),
                                          ("Approved", "Approved"), ("Snoozed until Dec 3, 2026", "Snoozed")])
def test_status_words(text, status):
    assert parse_status(text).status == status


def test_no_half_written_queue_is_left_behind(queue):
    queue([finding("A-1")], TODAY)
    assert [p.name for p in queue.path.parent.iterdir()] == ["queue.xlsx"]

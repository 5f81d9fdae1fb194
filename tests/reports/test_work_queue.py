from datetime import date

import openpyxl

from automations.reports.work_queue import write_work_queue
from automations.rules.findings import Finding

TODAY = date(2026, 11, 26)


def finding(ref: str, due: date | None, severity="warning") -> Finding:
    return Finding("billing.unbilled_session", severity, "billing", f"Session {ref} has no claim.",
                   refs={"appointment": ref}, due=due)


def rows(path):
    book = openpyxl.load_workbook(path)
    sheet = book["Work queue"]
    return [list(r) for r in sheet.iter_rows(values_only=True)], sheet


def test_one_row_per_finding_soonest_due_first(tmp_path):
    path = tmp_path / "out" / "queue.xlsx"
    found = sorted([finding("A-2", date(2026, 11, 28)), finding("A-1", date(2026, 11, 20)), finding("A-3", None)],
                   key=lambda f: (f.due or date.max))
    assert write_work_queue(path, found, TODAY) == 3
    table, sheet = rows(path)
    header = table[0]
    assert header[:7] == ["Due", "Severity", "Owner", "Rule", "What to do", "Records", "Finding ID"]
    ids = [r[header.index("Finding ID")] for r in table[1:]]
    assert ids == [f.id for f in found]
    assert [r[header.index("Status")] for r in table[1:]] == ["Open"] * 3
    assert sheet.freeze_panes == "A2" and sheet.data_validations.dataValidation


def test_the_vas_status_and_notes_survive_the_next_run(tmp_path):
    path = tmp_path / "queue.xlsx"
    first = [finding("A-1", date(2026, 11, 20)), finding("A-2", date(2026, 11, 21))]
    write_work_queue(path, first, TODAY)
    book = openpyxl.load_workbook(path)
    sheet = book["Work queue"]
    sheet["I2"], sheet["J2"] = "Won't fix", "client moved away"
    book.save(path)
    write_work_queue(path, first + [finding("A-3", date(2026, 11, 22))], date(2026, 11, 27))
    table, _ = rows(path)
    by_id = {r[6]: r for r in table[1:]}
    assert by_id[first[0].id][8:] == ["Won't fix", "client moved away"]
    assert by_id[first[0].id][7].date() == TODAY  # first seen is kept
    assert table[3][7].date() == date(2026, 11, 27)


def test_no_half_written_queue_is_left_behind(tmp_path):
    write_work_queue(tmp_path / "queue.xlsx", [finding("A-1", TODAY)], TODAY)
    assert [p.name for p in tmp_path.iterdir()] == ["queue.xlsx"]

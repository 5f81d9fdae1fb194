from datetime import date, timedelta

import openpyxl
import pytest
from openpyxl.styles import PatternFill

from automations.errors import PracticeOpsError
from automations.ledger import Ledger
from automations.reports.queue_sheets import SEVERITY_FILL, urgency_word
from automations.reports.work_queue import announced_on, parse_status, resolved_since_note, update_work_queue
from automations.rules.findings import OWNER_NAMES, Finding

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
    for sheet in (book[name] for name in ("Work queue", "More open", "Set aside") if name in book.sheetnames):
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
    assert book.sheetnames == ["Work queue", "Set aside", "Resolved", "How to use"]
    assert book["Work queue"].freeze_panes == "C2" and book["Work queue"].data_validations.dataValidation


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
    edit(queue.path, a.id, Notes="billed on the 27th; " + "the payer asked for the referral again " * 3)
    update = queue([b], TODAY + timedelta(days=1))
    assert update.resolved_today == [a.id]
    resolved = sheet_rows(queue.path, "Resolved")
    assert [(r["Finding ID"], r["Resolved on"].date(), r["Notes"]) for r in resolved] == [
        (a.id, TODAY + timedelta(days=1), "billed on the 27th; " + "the payer asked for the referral again " * 3)]
    assert resolved[0]["What it said"] == a.message
    sheet = openpyxl.load_workbook(queue.path)["Resolved"]
    assert sheet.row_dimensions[2].height >= 15 * 2 and sheet.cell(2, 1).alignment.vertical == "top"
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


def finding_for(rule, ref, severity="warning", due=TODAY, owner="billing"):
    return Finding(rule, severity, owner, f"{rule} for {ref}.", refs={"appointment": ref}, due=due)


def test_the_queue_reads_at_a_glance(queue):
    found = [finding_for("billing.unbilled_session", "A-1", due=TODAY - timedelta(days=3)),
             finding_for("billing.no_show_billed", "A-2", "urgent", due=TODAY + timedelta(days=5)),
             finding_for("scheduling.waitlist_match", "W-1", "info", owner="va")]
    queue(found, TODAY)
    book = openpyxl.load_workbook(queue.path)
    sheet = book["Work queue"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Status", "Notes", "Snooze until"] and header[-2:] == ["Rule", "Finding ID"]
    rows = sheet_rows(queue.path)
    assert [r["Problem"] for r in rows] == ["No-show billed to insurance", "Session not billed", "Waitlist match"]
    assert [r["Urgency"] for r in rows] == ["2 Urgent", "1 Overdue", "4 FYI"] and rows[2]["For"] == "Front desk"
    assert sorted(r["Urgency"] for r in rows) == ["1 Overdue", "2 Urgent", "4 FYI"]   # A to Z: most pressing first
    one_page_wide = (sheet.page_setup.fitToWidth or 1) == 1  # 1 is the file format's default: may be left out
    assert sheet.page_setup.orientation == "landscape" and one_page_wide and sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.print_title_rows == "$1:$1"
    assert sheet.column_dimensions["H"].width >= 60 and sheet["H2"].alignment.wrap_text
    assert {sheet.cell(2, column).alignment.vertical for column in range(1, 14) if sheet.cell(2, column).value} == {"top"}
    assert "How to use" in book.sheetnames


def test_the_vas_own_column_sheet_colour_and_order_survive_a_week_of_daily_runs(queue):

    weekly = finding_for("credentialing.caqh_attestation_due", "P-1", owner="va")
    daily = [finding_for("billing.unbilled_session", f"A-{n}") for n in range(3)]
    queue([weekly, *daily], TODAY)
    book = openpyxl.load_workbook(queue.path)
    sheet = book["Work queue"]
    header = [c.value for c in sheet[1]]
    sheet.cell(1, len(header) + 1, "Called?")
    ids = [row[header.index("Finding ID")].value for row in sheet.iter_rows(min_row=2)]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("Finding ID")].value == daily[2].id:
            sheet.cell(row[0].row, len(header) + 1, "yes, left voicemail")
            row[header.index("Problem")].fill = PatternFill("solid", fgColor="FFFF00")
        if row[header.index("Finding ID")].value == weekly.id:
            row[header.index("Status")].value = "Won't fix"
    book.create_sheet("My notes")["A1"] = "call Aetna on Tuesday"
    book.save(queue.path)
    for day in range(1, 8):
        present = [weekly] if day in (1, 7) else []            # the weekly problem skips days, then comes back
        queue([*present, *daily], TODAY + timedelta(days=day))
    book = openpyxl.load_workbook(queue.path)
    assert book["My notes"]["A1"].value == "call Aetna on Tuesday"
    rows = sheet_rows(queue.path)
    mine = next(r for r in rows if r["Finding ID"] == daily[2].id)
    assert mine["Called?"] == "yes, left voicemail"
    sheet = book["Work queue"]
    header = [c.value for c in sheet[1]]
    highlighted = next(r for r in sheet.iter_rows(min_row=2) if r[header.index("Finding ID")].value == daily[2].id)
    assert highlighted[header.index("Problem")].fill.fgColor.rgb.endswith("FFFF00")
    aside = sheet_rows(queue.path, "Set aside")
    assert [(r["Finding ID"], r["Status"]) for r in aside] == [(weekly.id, "Won't fix")]
    assert [r["Finding ID"] for r in rows] == [f for f in ids if f != weekly.id]


def test_a_row_the_va_deletes_is_taken_as_done(queue):
    found = [finding_for("billing.unbilled_session", "A-1"), finding_for("billing.unbilled_session", "A-2")]
    queue(found, TODAY)
    book = openpyxl.load_workbook(queue.path)
    book["Work queue"].delete_rows(2)
    book.save(queue.path)
    update = queue(found, TODAY + timedelta(days=1))
    assert len(update.open) == 1 and len(update.set_aside) == 1
    assert update.states[update.set_aside[0].id]["status"] == "Done"


def test_long_advice_gets_a_row_tall_enough_and_the_ids_are_not_printed(queue):
    long = Finding("billing.denial_open", "warning", "billing", "word " * 80, refs={"claim": "CL-1"}, due=TODAY)
    queue([long, finding_for("billing.unbilled_session", "A-1")], TODAY)
    sheet = openpyxl.load_workbook(queue.path)["Work queue"]
    heights = {r: sheet.row_dimensions[r].height for r in (2, 3)}
    assert max(heights.values()) >= 15 * 5 and min(heights.values()) < 40
    assert str(sheet.print_area).startswith("'Work queue'!$A$1:$I$")          # up to Records: legible when printed
    assert sheet.oddFooter.center.text == "Printed &D" and sheet.oddFooter.right.text == "Page &P of &N"


@pytest.fixture
def reads(monkeypatch):
    """How many times the workbook's edits were parsed: the reader is wrapped, never replaced."""
    from automations.reports import work_queue
    from tests.conftest import count_calls

    return count_calls(monkeypatch, work_queue, "read_edits")


def test_a_queue_nobody_touched_is_not_read_and_not_rewritten_when_nothing_changed(queue, reads):
    found = [finding("A-1"), finding("A-2", date(2026, 11, 20))]
    queue(found, TODAY)
    written = queue.path.read_bytes()
    update = queue(found, TODAY)
    assert reads["n"] == 0 and queue.path.read_bytes() == written
    assert [f.id for f in update.open] == [found[1].id, found[0].id]
    queue([*found, finding("A-3")], TODAY)                       # a new finding: written, still without a read
    assert reads["n"] == 0 and len(sheet_rows(queue.path)) == 3


def test_a_queue_the_va_edited_is_read_once_per_content_and_her_edit_kept(queue, reads):
    found = [finding("A-1"), finding("A-2")]
    queue(found, TODAY)
    edit(queue.path, found[0].id, Status="Won't fix", Notes="client moved away")
    queue(found, TODAY)
    queue(found, TODAY)                                           # the same bytes as the last write: not read
    assert reads["n"] == 1
    aside = sheet_rows(queue.path, "Set aside")
    assert [(r["Finding ID"], r["Status"], r["Notes"]) for r in aside] == [(found[0].id, "Won't fix",
                                                                           "client moved away")]


def test_a_problem_with_many_rows_shows_its_most_pressing_and_the_rest_wait_on_more_open(queue):
    from automations.reports.queue_sheets import GROUP_AT

    many = [finding(f"A-{n:03d}", TODAY + timedelta(days=n % 40), "urgent" if n % 10 == 0 else "warning")
            for n in range(GROUP_AT + 70)]
    few = [finding_for("credentialing.caqh_attestation_due", f"P-{n}", owner="va") for n in range(3)]
    queue([*many, *few], TODAY)
    shown, more = sheet_rows(queue.path), sheet_rows(queue.path, "More open")
    assert len(shown) == GROUP_AT + 3 and len(more) == 70
    assert {r["Finding ID"] for r in shown} >= {f.id for f in few}
    urgent = {f.id for f in many if f.severity == "urgent"}
    assert urgent <= {r["Finding ID"] for r in shown}                      # the most pressing first
    assert {r["Finding ID"] for r in shown} | {r["Finding ID"] for r in more} == {f.id for f in [*many, *few]}
    problems = {r["Rule"]: r for r in sheet_rows(queue.path, "By problem")}
    assert (problems["billing.unbilled_session"]["Open"], problems["billing.unbilled_session"]["On More open"],
            problems["billing.unbilled_session"]["Urgent"]) == (GROUP_AT + 70, 70, 12)
    assert openpyxl.load_workbook(queue.path).sheetnames[:3] == ["Work queue", "By problem", "More open"]
    waiting = more[-1]["Finding ID"]
    edit(queue.path, waiting, Status="Won't fix", Notes="payer agreed")   # worked on More open, kept
    update = queue([*many, *few], TODAY + timedelta(days=1))
    assert update.states[waiting]["status"] == "Won't fix" and update.states[waiting]["notes"] == "payer agreed"
    assert waiting in {r["Finding ID"] for r in sheet_rows(queue.path, "Set aside")}
    queue(few, TODAY + timedelta(days=2))                                  # the big problem solved: no grouping
    assert openpyxl.load_workbook(queue.path).sheetnames == ["Work queue", "Set aside", "Resolved", "How to use"]


@pytest.mark.parametrize(("typed", "kept"), [
    (5, "5"),                       # a whole number stays whole (calamine reads every number as a float)
    (2.5, "2.5"),
    ("called payer, ref #12", "called payer, ref #12"),
])
def test_what_the_va_types_in_notes_comes_back_as_she_typed_it(queue, typed, kept):
    found = [finding("A-1")]
    queue(found, TODAY)
    edit(queue.path, found[0].id, Notes=typed)
    queue(found, TODAY + timedelta(days=1))
    assert sheet_rows(queue.path)[0]["Notes"] == kept


def test_a_snooze_date_typed_as_a_date_cell_is_read(queue):
    found = [finding("A-1"), finding("A-2")]
    queue(found, TODAY)
    edit(queue.path, found[0].id, Status="Snoozed", **{"Snooze until": date(2026, 12, 10)})
    update = queue(found, TODAY + timedelta(days=1))
    assert [f.id for f in update.set_aside] == [found[0].id]
    assert update.states[found[0].id]["snoozed_until"] == "2026-12-10"


def test_a_damaged_queue_says_so_and_loses_no_decision(queue):
    found = [finding("A-1")]
    queue(found, TODAY)
    edit(queue.path, found[0].id, Status="Won't fix")
    queue(found, TODAY)
    damaged = b"PK\x03\x04 not a workbook any more"
    queue.path.write_bytes(damaged)
    update = queue(found, TODAY + timedelta(days=1))                   # a notice, not a stop
    kept = queue.path.with_name("queue (set aside 2026-11-27).xlsx")
    assert kept.read_bytes() == damaged                                 # kept aside, never deleted
    assert any("kept as queue (set aside 2026-11-27).xlsx" in n for n in update.notices)
    assert update.states[found[0].id]["status"] == "Won't fix"          # no decision lost
    assert [r["Status"] for r in sheet_rows(queue.path, "Set aside")] == ["Won't fix"]


def _resolved(**days: str | None) -> dict[str, dict]:
    return {fid: {"finding_id": fid, "resolved_on": day} for fid, day in days.items()}


@pytest.mark.parametrize(("announced", "counted"), [
    ({}, ["today"]),  # before any note: today's only, not the Resolved sheet's 90 days
    ({"day": "2026-11-25", "ids": []}, ["yesterday", "today"]),
    ({"day": "2026-11-25", "ids": ["yesterday"]}, ["today"]),  # told in yesterday's note
    ({"day": "2026-11-26", "ids": ["today"]}, []),  # a second note the same day tells nothing twice
    ({"day": "2026-11-20", "ids": []}, ["last_week", "yesterday", "today"]),  # notes missed: all since the last
])
def test_a_note_counts_what_was_resolved_since_the_last_note(announced, counted):
    states = _resolved(long_ago="2026-10-01", last_week="2026-11-20", yesterday="2026-11-25", today="2026-11-26",
                       still_open=None)
    assert resolved_since_note(states, announced, TODAY) == counted


def test_a_sent_note_remembers_the_days_resolutions_it_told():
    states = _resolved(yesterday="2026-11-25", today="2026-11-26", also_today="2026-11-26", still_open=None)
    assert announced_on(states, TODAY) == {"day": "2026-11-26", "ids": ["also_today", "today"]}


def _looks(path):
    """Everything a person sees of a workbook, sheet by sheet, as openpyxl reads it back."""
    book = openpyxl.load_workbook(path)
    seen = {}
    for sheet in book.worksheets:
        cells = {(c.row, c.column): (c.value, c.number_format if c.value is not None else None,
                                     bool(c.alignment.wrap_text), c.alignment.vertical, c.alignment.horizontal,
                                     bool(c.font.b), sheet.sheet_state,
                                     c.fill.fgColor.rgb[-6:] if c.fill.fill_type == "solid" else None)
                 for row in sheet.iter_rows() for c in row
                 if c.value is not None or c.alignment.wrap_text or c.fill.fill_type == "solid"}
        # to the character and the point: XlsxWriter stores a width with the padding Excel adds (11 -> 11.71)
        # and a height to the pixel (17 -> 17.25)
        widths = {n: int(d.width) for d in sheet.column_dimensions.values() if d.width
                  for n in range(d.min or 1, (d.max or d.min or 1) + 1)}
        heights = {n: round(d.height) for n, d in sheet.row_dimensions.items() if d.height}
        lists = sorted((str(v.sqref), v.formula1) for v in sheet.data_validations.dataValidation)
        seen[sheet.title] = (cells, widths, heights, lists, sheet.freeze_panes, sheet.auto_filter.ref,
                             sheet.print_title_rows, str(sheet.print_area), sheet.page_setup.orientation,
                             bool(sheet.sheet_properties.pageSetUpPr and sheet.sheet_properties.pageSetUpPr.fitToPage))
    return list(seen), seen


def test_a_queue_written_from_nothing_looks_as_the_in_place_writer_makes_it(tmp_path):
    """Two kinds of writer, one layout: XlsxWriter for a queue from nothing (three times faster),
    openpyxl for one the VA worked in. Given a blank workbook, openpyxl's must come out the same."""
    from automations.reports.queue_in_place import _write_in_place
    from automations.reports.queue_sheets import GROUP_AT, QUEUE, WONT_FIX, VaEdit
    from automations.reports.work_queue import _write_fresh, plan

    many = [finding_for("billing.unbilled_session", f"A-{n}", due=TODAY + timedelta(days=n % 9))
            for n in range(GROUP_AT + 5)]
    others = [finding_for("billing.no_show_billed", "B-1", "urgent"),
              finding_for("scheduling.waitlist_match", "W-1", "info", owner="va", due=None),
              finding_for("billing.no_show_billed", "B-2", due=None)]
    gone = finding_for("billing.no_show_billed", "B-9")
    first = plan([*many, *others, gone], {}, {}, TODAY - timedelta(days=8))
    edits = {others[2].id: VaEdit(WONT_FIX, "client moved away", None),
             many[0].id: VaEdit("Open", "called the payer\nref 7731 " * 8, None)}
    update = plan([*many, *others], first.states, edits, TODAY)
    assert update.set_aside and len(update.open) > GROUP_AT and update.resolved_today

    _write_fresh(str(tmp_path / "fresh.xlsx"), update, TODAY)
    blank = openpyxl.Workbook()
    blank.active.title = QUEUE
    _write_in_place(blank, update, TODAY, [])
    blank.save(tmp_path / "in_place.xlsx")

    names, fresh = _looks(tmp_path / "fresh.xlsx")
    assert names == ["Work queue", "By problem", "More open", "Set aside", "Resolved", "How to use"]
    assert names == _looks(tmp_path / "in_place.xlsx")[0]
    in_place = _looks(tmp_path / "in_place.xlsx")[1]
    for name in names:
        assert fresh[name] == in_place[name], name
    by_problem = openpyxl.load_workbook(tmp_path / "fresh.xlsx")["By problem"]
    assert [c.alignment.horizontal for c in by_problem[1]][:7] == [None, None, *["right"] * 5], "numbers under their headings"
    assert by_problem.print_area.endswith(f"$A$1:$G${by_problem.max_row}"), "the rule's id is for the screen, not the page"


def test_an_edited_queue_gives_a_finding_its_new_urgency_colour_and_keeps_the_va_s_own(queue):
    """Kept from the VA's rows: the looks she gave them, not the ones practice-ops gave them last time
    (a finding that turned urgent kept its yellow "Soon" fill beside the word "Urgent")."""
    soon = finding_for("billing.unbilled_session", "A-1", due=TODAY + timedelta(days=5))
    queue([soon], TODAY)
    edit(queue.path, soon.id, Notes="called the payer")  # she works in it: the next write edits it in place
    book = openpyxl.load_workbook(queue.path)
    sheet = book["Work queue"]
    header = [c.value for c in sheet[1]]
    sheet.cell(2, header.index("Problem") + 1).fill = PatternFill("solid", fgColor="FFFF00")
    book.save(queue.path)
    queue([finding_for("billing.unbilled_session", "A-1", "urgent", due=TODAY)], TODAY + timedelta(days=1))
    row = openpyxl.load_workbook(queue.path)["Work queue"][2]
    assert row[header.index("Urgency")].value == "1 Overdue"                    # due yesterday
    assert row[header.index("Urgency")].fill.fgColor.rgb.endswith(SEVERITY_FILL["urgent"])
    assert row[header.index("Problem")].fill.fgColor.rgb.endswith("FFFF00")
    assert row[header.index("Notes")].value == "called the payer"


@pytest.mark.parametrize("change", [
    {"message": "Session A-1 was completed 91 days ago and has no claim."},
    {"severity": "urgent"},
    {"due": TODAY + timedelta(days=3)},
    {"refs": {"appointment": "A-1", "client": "C-9"}},
    {"owner": "va"},
])
def test_an_untouched_queue_is_written_again_when_anything_it_shows_changes(queue, change):
    from dataclasses import replace

    before = [finding("A-1"), finding("A-2")]
    queue(before, TODAY)
    queue(before, TODAY)
    written = queue.path.read_bytes()
    queue(before, TODAY)
    assert queue.path.read_bytes() == written  # nothing changed: left as it is
    after = [replace(before[0], **change), before[1]]
    queue(after, TODAY)
    row = next(r for r in sheet_rows(queue.path) if r["What to do"] == after[0].message)
    assert queue.path.read_bytes() != written
    assert (row["Urgency"], row["For"]) == (urgency_word(after[0], TODAY), OWNER_NAMES[after[0].owner])




def rename(path, old, new):
    book = openpyxl.load_workbook(path)
    book[old].title = "renaming"          # openpyxl takes a case-only rename for a clash, as Excel does not
    book["renaming"].title = new
    book.save(path)


@pytest.mark.parametrize("new_name", ["Work Queue", "Today", None])
def test_a_renamed_or_vanished_queue_sheet_is_a_question_not_a_decision(queue, new_name):
    """Renaming "Work queue" once marked every open finding Done and lost the notes. The sheet is found
    by its content (the Finding ID column) and written under her name; a sheet gone altogether marks
    nothing Done. Either way the run says what happened."""
    a, b = finding("A-1"), finding("A-2")
    queue([a, b], TODAY)
    edit(queue.path, a.id, Notes="called the payer, ref 7731")
    if new_name:
        rename(queue.path, "Work queue", new_name)
    else:
        book = openpyxl.load_workbook(queue.path)
        del book["Work queue"]
        book.save(queue.path)
    update = queue([a, b], TODAY + timedelta(days=1))
    assert {f.id for f in update.open} == {a.id, b.id} and update.resolved_today == []
    book = openpyxl.load_workbook(queue.path)
    if new_name:
        assert new_name in book.sheetnames and "Work queue" not in book.sheetnames
        notes = {r["Finding ID"]: r["Notes"] for r in sheet_rows(queue.path, new_name)}
        assert notes[a.id] == "called the payer, ref 7731"
        assert any(f"now called {new_name!r}" in n for n in update.notices)
    else:
        assert "Work queue" in book.sheetnames
        assert any("no 'Work queue' sheet" in n and "no finding was marked Done" in n for n in update.notices)


def test_the_vas_own_sheets_and_formulas_stay_whatever_their_names(queue):
    a = finding("A-1")
    queue([a], TODAY)
    book = openpyxl.load_workbook(queue.path)
    del book["Resolved"]
    mine = book.create_sheet("Resolved")                     # her own list, under a name practice-ops uses
    mine.append(["Client", "Called on"])
    mine.append(["C-1", "11/20"])
    sheet = book["Work queue"]
    sheet.cell(1, sheet.max_column + 1, "Checked on")
    sheet.cell(2, sheet.max_column, "=TODAY()")
    book.save(queue.path)
    update = queue([a], TODAY + timedelta(days=1))
    book = openpyxl.load_workbook(queue.path)
    assert [[c.value for c in row] for row in book["Resolved"].iter_rows()] == [["Client", "Called on"], ["C-1", "11/20"]]
    assert "Resolved (practice-ops)" in book.sheetnames
    assert any("sheet of the VA's own called 'Resolved'" in n for n in update.notices)
    header = [c.value for c in book["Work queue"][1]]
    cell = book["Work queue"].cell(2, header.index("Checked on") + 1)
    assert (cell.value, cell.data_type) == ("=TODAY()", "f")


def test_a_file_that_is_not_a_file_stops_only_the_queue(tmp_path):
    ledger = Ledger(tmp_path / "var")
    (tmp_path / "queue.xlsx").mkdir()
    with pytest.raises(PracticeOpsError, match="is not a file practice-ops may write the work queue to"):
        update_work_queue(tmp_path / "queue.xlsx", [finding("A-1")], TODAY, ledger)
    ledger.close()


@pytest.mark.parametrize("worked_in", [False, True])
def test_no_sheet_is_written_past_excels_last_row_and_the_rest_is_said(queue, monkeypatch, worked_in):
    """1.95 million findings once went silently missing past row 1,048,576. Excel's limit, made small
    here, is never passed; the findings that do not fit are counted in a notice and kept in the ledger."""
    from automations.reports import workbooks

    monkeypatch.setattr(workbooks, "EXCEL_ROWS", 6)
    found = [finding(f"A-{n}") for n in range(8)]
    if worked_in:
        queue(found[:1], TODAY)
        edit(queue.path, found[0].id, Notes="mine")
    update = queue(found, TODAY)
    rows = sheet_rows(queue.path)
    assert len(rows) == 5 and len(update.open) == 8                      # the header and 5 findings
    assert any("3 findings did not fit on the 'Work queue' sheet" in n for n in update.notices)


@pytest.mark.parametrize("due, severity, word", [
    (TODAY - timedelta(days=1), "warning", "1 Overdue"), (TODAY, "warning", "3 Soon"),
    (TODAY - timedelta(days=24), "info", "1 Overdue"), (TODAY, "urgent", "2 Urgent"), (None, "info", "4 FYI")])
def test_past_its_due_date_a_finding_is_overdue(due, severity, word):
    assert urgency_word(finding("A-1", due, severity), TODAY) == word


def test_what_can_still_be_saved_comes_before_money_already_lost(queue):
    """19 write-offs of claims whose filing limit passed years ago once sat above a Medicare claim
    still fileable by 12/22."""
    lost = Finding("billing.timely_filing_risk", "urgent", "billing", "Missed the filing limit: write it off.",
                   refs={"claim": "CL-1"}, due=TODAY, details={"lost": True})
    fileable = Finding("billing.timely_filing_risk", "warning", "billing", "File by 12/22.", refs={"claim": "CL-2"},
                       due=TODAY + timedelta(days=26))
    queue([lost, fileable], TODAY)
    assert [r["What to do"] for r in sheet_rows(queue.path)] == ["File by 12/22.", "Missed the filing limit: write it off."]


@pytest.mark.parametrize("refs, text", [
    ({"claim": "CL-9", "appointment": "A-3", "client": "C-1"}, "Claim CL-9, Session A-3, Client C-1"),
    ({"message_kind": "credentialing_reminder", "recipient": "the VA"}, "Message: credentialing reminder, to the VA"),
    ({"sheet_row": "tracker.xlsx:Claims:14"}, "tracker.xlsx, Claims, row 14"),
    ({"client": "C-1", "sheet_row": "tracker.xlsx:Clients:3"}, "Client C-1")])
def test_the_records_column_reads_in_the_practices_words(refs, text):
    from automations.reports.queue_sheets import _refs_text

    assert _refs_text(refs) == text


@pytest.mark.parametrize("lock", ["~$queue.xlsx", "~$eue.xlsx", ".~lock.queue.xlsx#"])
def test_a_queue_open_in_a_spreadsheet_program_is_never_rewritten_under_it(queue, lock):
    a, b = finding("A-1"), finding("A-2")
    queue([a], TODAY)
    edit(queue.path, a.id, Notes="saved note")
    before = queue.path.read_bytes()
    (queue.path.parent / lock).write_bytes(b"owner")
    update = queue([a, b], TODAY + timedelta(days=1))
    assert queue.path.read_bytes() == before
    assert any("open in a spreadsheet program" in n and "next run" in n for n in update.notices)
    assert update.states[a.id]["notes"] == "saved note"             # what she saved is taken in
    (queue.path.parent / lock).unlink()
    queue([a, b], TODAY + timedelta(days=1))
    assert {r["Finding ID"] for r in sheet_rows(queue.path)} == {a.id, b.id}


@pytest.mark.parametrize("worked_in", [False, True])
def test_an_empty_sheet_is_hidden_so_it_never_prints_as_a_blank_page_and_shows_again_with_rows(queue, worked_in):
    a, b = finding("A-1"), finding("A-2")
    queue([a, b], TODAY)
    book = openpyxl.load_workbook(queue.path)
    assert {s.title: s.sheet_state for s in book} == {
        "Work queue": "visible", "Set aside": "hidden", "Resolved": "hidden", "How to use": "visible"}
    if worked_in:
        edit(queue.path, b.id, Notes="asked the payer")
    queue([b], TODAY + timedelta(days=1))
    book = openpyxl.load_workbook(queue.path)
    assert book["Resolved"].sheet_state == "visible" and book["Set aside"].sheet_state == "hidden"
    assert book.active.title == "Work queue"
    assert not book["Set aside"].print_area, "LibreOffice prints a hidden sheet's print area"


def test_an_empty_queue_still_shows_its_work_queue_sheet(queue):
    queue([], TODAY)
    book = openpyxl.load_workbook(queue.path)
    assert book["Work queue"].sheet_state == "visible" and book.active.title == "Work queue"

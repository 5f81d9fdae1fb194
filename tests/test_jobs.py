"""What a run reports about the queue counts what this run changed, whichever job ran."""

from datetime import date, datetime, time, timedelta
from email import message_from_bytes, policy

import pytest

from automations import config as config_module
from automations import jobs
from tests.conftest import MINIMAL, make_workbook, write_config

DAY = date(2026, 12, 20)


def run(config, job: str, day: date, at: time = time(8)):
    return jobs.run(config, job, day, datetime.combine(day, at, tzinfo=config.zone))


def va_note(config, day: date) -> str:
    outbox = config.email.outbox_dir
    for path in sorted(outbox.glob("va_work_queue-*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["Date"] and str(day.day) in message["Date"]:
            return message.get_body(("plain",)).get_content()
    raise AssertionError("no VA note that day")


@pytest.mark.parametrize("job", ["reconcile", "all"])
def test_a_problem_gone_since_the_last_run_is_counted_resolved(tmp_path, job):
    unbilled = {**MINIMAL, "Claims": MINIMAL["Claims"][:1]}  # the session has no claim
    book = make_workbook(tmp_path / "t.xlsx", unbilled)
    config = config_module.load(write_config(tmp_path, book))
    first = run(config, job, DAY)
    gone = [f.id for f in first.findings if f.rule == "billing.unbilled_session"]
    assert gone
    make_workbook(book, MINIMAL)  # the claim is entered
    later = run(config, job, date(2026, 12, 21))
    assert later.queue is not None and later.queue.resolved_today == gone
    assert later.to_json()["queue"]["resolved_today"] == 1
    assert "1 item was resolved since the last note" in va_note(config, date(2026, 12, 21))


@pytest.mark.parametrize("job", ["reconcile", "all"])
def test_a_done_problem_still_there_a_week_later_is_counted_reopened(tmp_path, job):
    from tests.reports.test_work_queue import edit

    book = make_workbook(tmp_path / "t.xlsx", {**MINIMAL, "Claims": MINIMAL["Claims"][:1]})
    config = config_module.load(write_config(tmp_path, book))
    first = run(config, job, DAY)
    unbilled = next(f.id for f in first.findings if f.rule == "billing.unbilled_session")
    edit(config.work_queue.path, unbilled, Status="Done")
    run(config, job, DAY + timedelta(days=1))
    later = run(config, job, DAY + timedelta(days=8))
    assert later.queue is not None and unbilled in later.queue.reopened_today
    assert later.to_json()["queue"]["reopened_today"] >= 1


TWO_UNBILLED = {**MINIMAL,
                "Appointments": [*MINIMAL["Appointments"],
                                 ["A-2", "C-1", "Ann Lee", date(2026, 11, 3), time(9), 45, 45, "completed", "Aetna"]],
                "Claims": MINIMAL["Claims"][:1]}
CLAIM_A2 = ["CL-2", "A-2", "C-1", "Ann Lee", date(2026, 11, 3), "90834", "Aetna", "submitted"]


def test_the_morning_note_counts_what_the_night_reminders_run_resolved(tmp_path):
    """The default schedule runs reminders every hour: the midnight run plans the queue first and
    records the problem resolved; the 06:30 reconcile must still count it."""
    book = make_workbook(tmp_path / "t.xlsx", {**MINIMAL, "Claims": MINIMAL["Claims"][:1]})
    config = config_module.load(write_config(tmp_path, book))
    run(config, "reconcile", DAY, time(6, 30))
    make_workbook(book, MINIMAL)  # the claim is entered in the evening
    run(config, "reminders", DAY + timedelta(days=1), time(0, 0))
    morning = run(config, "reconcile", DAY + timedelta(days=1), time(6, 30))
    assert morning.to_json()["queue"]["resolved_today"] == 1
    assert "1 item was resolved since the last note" in va_note(config, DAY + timedelta(days=1))


def test_each_resolution_is_in_one_note_whichever_run_of_the_day_found_it(tmp_path):
    book = make_workbook(tmp_path / "t.xlsx", TWO_UNBILLED)
    config = config_module.load(write_config(tmp_path, book))
    run(config, "reconcile", DAY, time(6, 30))
    make_workbook(book, {**TWO_UNBILLED, "Claims": MINIMAL["Claims"]})  # A-1 billed overnight
    run(config, "reconcile", DAY + timedelta(days=1), time(6, 30))
    assert "1 item was resolved since the last note" in va_note(config, DAY + timedelta(days=1))
    make_workbook(book, {**TWO_UNBILLED, "Claims": [*MINIMAL["Claims"], CLAIM_A2]})  # A-2 billed after the note
    run(config, "reminders", DAY + timedelta(days=1), time(15, 0))
    run(config, "reconcile", DAY + timedelta(days=2), time(6, 30))
    assert "1 item was resolved since the last note" in va_note(config, DAY + timedelta(days=2))
    run(config, "reconcile", DAY + timedelta(days=3), time(6, 30))
    assert "resolved" not in va_note(config, DAY + timedelta(days=3))


@pytest.mark.parametrize("job", ["reconcile", "all"])
def test_the_records_are_let_go_before_the_queue_is_written_and_read_again_if_asked(tmp_path, job, monkeypatch):
    """The queue's write is a large run's last peak; the records (the most a run holds) are gone by
    then, and a caller that asks for them afterwards gets them read again."""
    from automations.reports import work_queue

    config = config_module.load(write_config(tmp_path, make_workbook(tmp_path / "t.xlsx", MINIMAL)))
    checked, held_while_writing = [], []
    checks, writes = jobs.check, work_queue.update_work_queue

    def check_kept(*args, **kwargs):
        checked.append(checks(*args, **kwargs))
        return checked[-1]

    def write_watched(*args, **kwargs):
        held_while_writing.append(checked[-1].practice)
        return writes(*args, **kwargs)

    from automations.jobs import run_state, runner

    monkeypatch.setattr(runner, "check", check_kept)
    monkeypatch.setattr(run_state, "update_work_queue", write_watched)
    result = run(config, job, DAY)
    assert held_while_writing and held_while_writing[-1] is None
    assert result.practice is None
    assert [a.appointment_id for a in result.current_practice().appointments] == \
        [a.appointment_id for a in jobs.check(config, DAY).practice.appointments]

import signal
import subprocess
import sys

import pytest
import schedule

from automations import config as config_module
from automations import scheduler, timetable
from automations.errors import ConfigError
from tests.conftest import ROOT


@pytest.mark.parametrize("spec, slots", [
    ("daily 06:30", [("day", "06:30")]),
    ("Daily 6:30", [("day", "06:30")]),
    ("hourly", [("hour", ":00")]),
    ("hourly :15", [("hour", ":15")]),
    ("monday 07:30", [("monday", "07:30")]),
    ("weekdays 07:00", [(d, "07:00") for d in ("monday", "tuesday", "wednesday", "thursday", "friday")]),
    ("every 20 minutes", [("minutes", None)]),
])
def test_schedule_specs(spec, slots):
    assert [(s.unit, s.at) for s in timetable.parse("reconcile", spec)] == slots


@pytest.mark.parametrize("spec", ["sometimes", "daily", "weekdays 7am", "fortnightly 07:00"])
def test_bad_specs_are_named(spec):
    with pytest.raises(ConfigError, match=f"schedule.reconcile: '{spec}' is not a schedule"):
        timetable.parse("reconcile", spec)


def test_the_sample_schedule_registers_in_the_practice_time_zone():
    cfg = config_module.load(ROOT / "config" / "practice.toml")
    registry = schedule.Scheduler()
    scheduler.build(cfg, registry, lambda job: None)
    jobs = [(j.job_func.args[0], j.unit, j.start_day, str(j.at_time) if j.at_time else None) for j in registry.jobs]
    assert ("reconcile", "days", None, "06:30:00") in jobs
    assert ("reminders", "hours", None, "00:00:00") in jobs
    assert [j for j in jobs if j[0] == "digests"] == [("digests", "weeks", d, "07:00:00") for d in
                                                      ("monday", "tuesday", "wednesday", "thursday", "friday")]
    assert all(str(j.at_time_zone) == "America/New_York" for j in registry.jobs if j.unit in ("days", "weeks"))
    assert ("weekly-summary", "weeks", "monday", "07:30:00") in jobs


def test_serve_runs_until_sigterm_and_stops_cleanly():
    process = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "serve"], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline()
        assert first.startswith("Serving Riverbend Counseling: the checks and work queue daily 06:30; client "
                                "reminders hourly; clinicians' digests weekdays 07:00; the owner's weekly summary "
                                "monday 07:30.")
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0 and "Stopped." in out and "Traceback" not in err


class DrivenClock:
    """The schedule library's clock, driven: ``datetime.datetime.now`` starts at ``start`` and runs
    ``speed`` times faster than the real one (everything else of the datetime module as it is)."""

    def __init__(self, start, speed: float):
        import datetime as real
        import time
        import types

        began = time.monotonic()

        class Now(real.datetime):
            @classmethod
            def now(cls, tz=None):
                moment = start + real.timedelta(seconds=(time.monotonic() - began) * speed)
                return moment.astimezone(tz) if tz else moment.astimezone().replace(tzinfo=None)

        self.module = types.SimpleNamespace(**{name: getattr(real, name) for name in dir(real)
                                               if not name.startswith("__")})
        self.module.datetime = Now


@pytest.mark.timeout(120)
def test_a_job_due_in_the_same_minute_as_another_runs_after_it_not_never(tmp_path, monkeypatch):
    """The default schedule: hourly reminders start at 07:00, and the digests fall due at 07:00 too.
    They wait for the reminders and then run, once each, in a real `serve` over the minute boundary."""
    import threading
    from datetime import UTC, datetime

    from automations.ledger import Ledger
    from tests.conftest import MINIMAL, make_workbook, write_config

    path = write_config(tmp_path, make_workbook(tmp_path / "tracker.xlsx", MINIMAL),
                        extra='[schedule]\nreminders = "hourly"\ndigests = "weekdays 07:00"\n'
                              'reconcile = "daily 06:30"\n')
    config = config_module.load(path)
    start = datetime(2026, 11, 30, 12, 59, 57, tzinfo=UTC)    # a Monday, 06:59:57 in Chicago
    monkeypatch.setattr(schedule, "datetime", DrivenClock(start, speed=2).module)
    stop = threading.Event()

    def runs():
        if not (tmp_path / "var" / "ledger.sqlite3").exists():
            return []
        ledger = Ledger(tmp_path / "var")
        try:
            return list(ledger.db.execute("SELECT job, started_at, finished_at FROM runs ORDER BY id"))
        finally:
            ledger.close()

    def watch():
        for _ in range(600):
            found = runs()
            if len(found) >= 2 and all(finished for _, _, finished in found):
                break
            stop.wait(0.1)
        stop.wait(1.0)     # anything queued twice would start now
        stop.set()

    watcher = threading.Thread(target=watch)
    watcher.start()
    lines = []
    assert scheduler.serve(config, stop, announce=lines.append) == 0
    watcher.join()
    found = runs()
    assert [job for job, _, _ in found] == ["reminders", "digests"]
    assert found[0][2] <= found[1][1], "the digests waited for the reminders to finish"


def test_a_job_already_waiting_or_running_is_not_queued_twice():
    import threading

    started, release, ran = threading.Event(), threading.Event(), []

    def job(name):
        ran.append(name)
        if name == "reminders":
            started.set()
            release.wait(10)

    queue = scheduler.JobQueue(job)
    queue.add("reminders")
    assert started.wait(10)
    queue.add("reminders", "digests")        # reminders runs: only digests waits
    queue.add("digests")                     # digests waits already
    assert queue.waiting() == ["digests"]
    release.set()
    for _ in range(100):
        if ran == ["reminders", "digests"] and not queue.waiting():
            break
        threading.Event().wait(0.05)
    assert ran == ["reminders", "digests"]

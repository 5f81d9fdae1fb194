import signal
import subprocess
import sys

import pytest
import schedule

from automations import config as config_module
from automations import scheduler
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
    assert [(s.unit, s.at) for s in scheduler.parse("reconcile", spec)] == slots


@pytest.mark.parametrize("spec", ["sometimes", "daily", "weekdays 7am", "fortnightly 07:00"])
def test_bad_specs_are_named(spec):
    with pytest.raises(ConfigError, match=f"schedule.reconcile: '{spec}' is not a schedule"):
        scheduler.parse("reconcile", spec)


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
        assert first.startswith("Serving Riverbend Counseling: reconcile day at 06:30")
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0 and "Stopped." in out and "Traceback" not in err

"""The run's second process changes nothing but the time: large sheets parsed there give the
practice a read here would (same records, issues, order, unreadable trackers), rules applied there
give the findings they give here, and nothing is lost when the worker cannot help."""

import multiprocessing
import shutil
from datetime import date, time

import pytest

from automations import config as config_module
from automations.trackers import load as load_module
from automations.trackers import second_process as second_process_module
from automations.trackers.cache import TrackerCache
from automations.trackers.load import load_practice
from automations.trackers.second_process import SecondProcess, SheetJob, sheets_to_share, worth_sharing_rules
from tests.conftest import count_calls, make_workbook, write_config

MB = 2**20


def job(tracker: str, size: int) -> SheetJob:
    return SheetJob(tracker, "excel", "t.xlsx", tracker.title(), (), None, size)


@pytest.mark.parametrize(("sizes", "away"), [
    ({"appointments": 60 * MB}, set()),                                    # one sheet: nothing to share
    ({"appointments": 60 * MB, "claims": 45 * MB}, {"claims"}),             # the largest stays here
    ({"appointments": 45 * MB, "claims": 60 * MB}, {"appointments"}),
    ({"appointments": 60 * MB, "claims": 45 * MB, "clients": MB}, {"claims", "clients"}),  # where less waits
    ({"appointments": 60 * MB, "claims": 45 * MB, "authorizations": 40 * MB}, {"claims"}),
    ({"appointments": 100 * MB, "claims": 45 * MB, "authorizations": 40 * MB}, {"claims", "authorizations"}),
    ({"appointments": 10 * MB, "claims": 3 * MB}, set()),                   # the worker's share not worth a process
    ({"appointments": 0, "claims": 0}, set()),                               # sizes unknown (Google Sheets)
])
def test_sheets_are_shared_longest_first_and_only_when_worth_a_process(sizes, away, monkeypatch):
    monkeypatch.setattr(second_process_module.os, "cpu_count", lambda: 2)
    assert sheets_to_share([job(name, size) for name, size in sizes.items()]) == away


def test_one_core_parses_everything_here(monkeypatch):
    monkeypatch.setattr(second_process_module.os, "cpu_count", lambda: 1)
    assert sheets_to_share([job("appointments", 60 * MB), job("claims", 45 * MB)]) == set()


@pytest.mark.parametrize(("sizes", "cores", "shared"), [
    ([MB, MB], 2, True),            # two trackers' files, 2 MB together
    ([2 * MB - 1], 2, False),       # a smaller practice: the rules take less than a process to start
    ([3 * MB], 1, False),           # one core: nothing to share it with
])
def test_the_rules_are_shared_only_at_size_and_with_a_second_core(sizes, cores, shared, tmp_path, monkeypatch):
    monkeypatch.setattr(second_process_module.os, "cpu_count", lambda: cores)
    files = []
    for n, size in enumerate(sizes):
        (tmp_path / f"{n}.xlsx").write_bytes(b"x" * size)
        files.append(tmp_path / f"{n}.xlsx")
    assert worth_sharing_rules([*files, *files]) is shared  # a workbook holding two trackers counts once
    assert worth_sharing_rules([tmp_path / "gone.xlsx"]) is False


SHEETS = {
    "Clients": [["Client ID", "Payer", "Email Consent"], ["C-1", "Aetna", "encrypted"], ["C-2", "Self-pay", "maybe"],
                ["C-1", "Cigna", "none"]],
    "Providers": [["Provider", "Email"], ["Ann Lee", "ann@example.org"]],
    "Appointments": [["Appointment ID", "Client ID", "Provider", "Date", "Time", "Duration Min", "Status", "Payer"],
                     ["A-1", "C-1", "Ann Lee", date(2026, 11, 2), time(9), 45, "completed", "Aetna"],
                     ["A-2", "C-2", "Ann Lee", "13/45/2026", time(10), "#REF!", "completed", None],
                     ["A-3", "C-1", "Ann Lee", "11/04/2026", "10:00 AM", "forty", "scheduled", "Aetna"]],
    "Claims": [["Claim ID", "Appointment ID", "Client ID", "Provider", "Date of Service", "CPT", "Payer", "Status"],
               ["CL-1", "A-1", "C-1", "Ann Lee", date(2026, 11, 2), "90834", "Aetna", "submitted"],
               ["CL-2", "A-2", "C-2", "Ann Lee", "yesterday", "9083", "Aetna", "paid"]],
    "Auths": [["Nothing here looks like a header"], ["x"]],
}
TRACKERS = {"clients": "Clients", "providers": "Providers", "appointments": "Appointments", "claims": "Claims",
            "authorizations": "Auths"}


def what_was_read(loaded) -> tuple:
    practice = loaded.practice
    return (practice.clients, practice.providers, practice.appointments, practice.claims, practice.present,
            practice.columns, practice.duplicates, practice.unreadable, [str(i) for i in loaded.issues],
            [(i.rule, i.row, i.column, i.value) for i in loaded.issues], loaded.rows,
            [str(u) for u in loaded.unavailable], loaded.notices)


@pytest.fixture
def config(tmp_path):
    book = make_workbook(tmp_path / "tracker.xlsx", SHEETS)
    return config_module.load(write_config(tmp_path, book, TRACKERS))


@pytest.mark.timeout(60)
def test_sheets_parsed_in_the_worker_read_exactly_as_here(config, monkeypatch, tmp_path):
    here = load_practice(config)
    monkeypatch.setattr(second_process_module, "WORKER_MIN_BYTES", 0)
    monkeypatch.setattr(second_process_module.os, "cpu_count", lambda: 2)
    taken = count_calls(monkeypatch, SecondProcess, "take")
    cache = TrackerCache(tmp_path / "cache")
    shared = load_practice(config, cache=cache)
    assert taken["n"] >= 2  # the worker had the unreadable tracker too, and said so
    assert what_was_read(shared) == what_was_read(here)
    again = load_practice(config, cache=cache)  # the worker's pickled reads, kept as they came
    assert cache.hits == 4
    assert what_was_read(again) == what_was_read(here)


@pytest.mark.timeout(60)
def test_a_worker_that_dies_loses_nothing(config, monkeypatch):
    here = load_practice(config)
    monkeypatch.setattr(second_process_module, "WORKER_MIN_BYTES", 0)
    monkeypatch.setattr(second_process_module.os, "cpu_count", lambda: 2)
    started = SecondProcess.parse

    def start_then_die(self, jobs):
        started(self, jobs)
        for child in multiprocessing.active_children():
            child.kill()

    monkeypatch.setattr(SecondProcess, "parse", start_then_die)
    parsed_here = count_calls(monkeypatch, load_module, "read_sheet")
    assert what_was_read(load_practice(config)) == what_was_read(here)
    assert parsed_here["n"] == 5  # every tracker, the worker's share too, parsed here


@pytest.mark.timeout(60)
def test_a_sheet_the_worker_fails_on_is_left_to_this_process(tmp_path):
    book = make_workbook(tmp_path / "tracker.xlsx", SHEETS)
    broken = SheetJob("claims", "excel", str(book), "Claims", (("not a pair",),), None, 1)  # type: ignore[arg-type]
    missing = SheetJob("clients", "excel", str(tmp_path / "gone.xlsx"), "Clients", (), None, 1)
    second = SecondProcess()
    second.parse([broken, missing])
    try:
        assert "claims" in second and "clients" in second
        assert second.take("claims") is None
        with pytest.raises(load_module.TrackerUnavailable, match="gone.xlsx: file not found"):
            second.take("clients")
    finally:
        second.close()
    assert not multiprocessing.active_children()


def test_the_rules_the_worker_applies_are_in_the_catalogue():
    from automations.rules import RULES
    from automations.trackers.second_process import RULES_IN_SECOND_PROCESS

    assert RULES_IN_SECOND_PROCESS <= RULES.keys()
    assert all(RULES[rule].check is not None for rule in RULES_IN_SECOND_PROCESS)


def check_twice(config, monkeypatch, shared: bool, kill: bool = False) -> tuple[list, list, int]:
    """The findings of a first check and of the next day's (records from the cache), and how
    many times the worker gave its rules' findings."""
    from automations import jobs

    if shared:
        for setting in ("WORKER_MIN_BYTES", "RULES_MIN_FILE_BYTES"):
            monkeypatch.setattr(second_process_module, setting, 0)
        monkeypatch.setattr(second_process_module.os, "cpu_count", lambda: 2)
    given = {"n": 0}
    applied, start = SecondProcess.rules_applied, SecondProcess.apply_rules

    def counted(self):
        found = applied(self)
        given["n"] += found is not None
        return found

    def started_then_killed(self, job):
        start(self, job)
        for child in multiprocessing.active_children():  # at once: its rules cannot be back yet
            child.kill()

    monkeypatch.setattr(SecondProcess, "rules_applied", counted)
    if kill:
        monkeypatch.setattr(SecondProcess, "apply_rules", started_then_killed)
    first = jobs.check(config, date(2026, 11, 26), cache=jobs.tracker_cache(config))
    later = jobs.check(config, date(2026, 11, 27), cache=jobs.tracker_cache(config))
    return first.findings, later.findings, given["n"]


@pytest.fixture
def troubled_practice(tmp_path):
    from bench.bench_practice import generate

    folder = tmp_path / "practice"
    folder.mkdir()
    return config_module.load(generate(folder, 1500, problems=0.33))


@pytest.mark.timeout(120)
def test_rules_applied_in_the_worker_find_what_they_find_here(troubled_practice, monkeypatch):
    from automations.trackers.second_process import RULES_IN_SECOND_PROCESS

    here_first, here_later, _ = check_twice(troubled_practice, monkeypatch, shared=False)
    shutil.rmtree(troubled_practice.state.dir)
    first, later, given = check_twice(troubled_practice, monkeypatch, shared=True)
    assert given == 2  # the first check (after the worker parsed) and the next day's (from the cache)
    assert {f.rule for f in here_first} & RULES_IN_SECOND_PROCESS and {f.rule for f in here_first} - RULES_IN_SECOND_PROCESS
    assert first == here_first
    assert later == here_later


@pytest.mark.timeout(120)
def test_a_worker_that_dies_before_its_rules_are_back_loses_no_finding(troubled_practice, monkeypatch):
    here_first, here_later, _ = check_twice(troubled_practice, monkeypatch, shared=False)
    shutil.rmtree(troubled_practice.state.dir)
    first, later, given = check_twice(troubled_practice, monkeypatch, shared=True, kill=True)
    assert given == 0
    assert (first, later) == (here_first, here_later)


@pytest.mark.timeout(60)
def test_a_machine_that_cannot_start_a_process_reads_and_checks_here(config, monkeypatch):
    """No semaphores (some containers), no executable to spawn: the work is done here."""
    here = load_practice(config)
    monkeypatch.setattr(second_process_module, "WORKER_MIN_BYTES", 0)
    monkeypatch.setattr(second_process_module.os, "cpu_count", lambda: 2)

    def no_processes(method):
        raise OSError("this platform lacks a working sem_open implementation")

    monkeypatch.setattr(second_process_module.multiprocessing, "get_context", no_processes)
    parsed_here = count_calls(monkeypatch, load_module, "read_sheet")
    assert what_was_read(load_practice(config)) == what_was_read(here)
    assert parsed_here["n"] == 5


def test_the_worker_opens_a_workbook_once_for_all_its_sheets(config, monkeypatch):
    """calamine reads a workbook's shared strings as it opens it: once, not once per tracker."""
    from automations.trackers import sources

    monkeypatch.setattr(second_process_module, "_parsed_here", {})
    monkeypatch.setattr(second_process_module, "_unreadable_here", set())
    opened = count_calls(monkeypatch, sources, "open_workbook")
    book = str(config.trackers["claims"].path)
    jobs = tuple(SheetJob(tracker, "excel", book, sheet, (), None, 1)
                 for tracker, sheet in (("claims", "Claims"), ("clients", "Clients"), ("authorizations", "Auths")))
    outcomes = second_process_module.parse_sheets(jobs)
    assert opened["n"] == 1
    assert [outcomes[t][0] for t in ("claims", "clients", "authorizations")] == ["read", "read", "unavailable"]
    assert set(second_process_module._parsed_here) == {"claims", "clients"}


@pytest.mark.timeout(60)
def test_ctrl_c_is_left_to_the_run_and_a_stopped_check_ends_its_worker_at_once():
    """A Ctrl-C reaches every process of the terminal: the worker ignores it (so it is never taken
    for a worker that failed and reported as one), and the check that stops ends it at once."""
    import signal
    import time as clock

    with SecondProcess() as second:
        assert second._submit(signal.getsignal, signal.SIGINT).result(timeout=30) == signal.SIG_IGN
    second = SecondProcess()
    with pytest.raises(KeyboardInterrupt), second:
        second._submit(clock.sleep, 600)
        raise KeyboardInterrupt
    assert second._pool is None


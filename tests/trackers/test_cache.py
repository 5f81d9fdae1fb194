"""A tracker unchanged since the last run is not parsed again; any change reads afresh."""

import os
from datetime import date, time

import pytest

from automations import config as config_module
from automations.trackers import load
from automations.trackers.cache import TrackerCache
from automations.trackers.load import load_practice
from tests.conftest import MINIMAL, count_calls, make_workbook, write_config


@pytest.fixture
def counted(monkeypatch):
    """How many sheets were parsed: the reader is wrapped, never replaced."""
    return count_calls(monkeypatch, load, "read_sheet")


def test_an_unchanged_tracker_comes_from_the_cache(tmp_path, counted):
    book = make_workbook(tmp_path / "t.xlsx", MINIMAL)
    config = config_module.load(write_config(tmp_path, book))
    cache = TrackerCache(tmp_path / "var" / "cache")
    first = load_practice(config, cache=cache)
    assert counted["n"] == 4 and cache.hits == 0
    second = load_practice(config, cache=cache)
    assert counted["n"] == 4 and cache.hits == 4
    assert second.practice.appointments == first.practice.appointments
    assert [str(i) for i in second.issues] == [str(i) for i in first.issues]


def test_a_touched_but_unchanged_file_still_comes_from_the_cache(tmp_path, counted):
    book = make_workbook(tmp_path / "t.xlsx", MINIMAL)
    config = config_module.load(write_config(tmp_path, book))
    cache = TrackerCache(tmp_path / "var" / "cache")
    load_practice(config, cache=cache)
    os.utime(book, (1_700_000_000, 1_700_000_000))
    load_practice(config, cache=cache)
    assert counted["n"] == 4


def test_a_tracker_saved_while_it_was_read_is_not_kept(tmp_path, monkeypatch):
    """The VA saves the workbook while the run reads it: that read is of the old content, so it
    must not be kept under the new file's stamp (the next run would take it for the new one)."""
    book = make_workbook(tmp_path / "t.xlsx", MINIMAL)
    config = config_module.load(write_config(tmp_path, book))
    cache = TrackerCache(tmp_path / "var" / "cache")
    reading = load.read_sheet

    def read_then_save(*args, **kwargs):
        read = reading(*args, **kwargs)
        changed = {**MINIMAL, "Clients": [*MINIMAL["Clients"], ["C-3", "Cigna", "none"]]}
        make_workbook(book, changed)
        os.utime(book, ns=(book.stat().st_mtime_ns + 10**9,) * 2)
        return read

    monkeypatch.setattr(load, "read_sheet", read_then_save)
    load_practice(config, cache=cache)
    monkeypatch.setattr(load, "read_sheet", reading)
    assert [c.client_id for c in load_practice(config, cache=cache).practice.clients] == ["C-1", "C-2", "C-3"]


def test_a_changed_tracker_or_mapping_reads_afresh(tmp_path, counted):
    book = make_workbook(tmp_path / "t.xlsx", MINIMAL)
    path = write_config(tmp_path, book)
    cache = TrackerCache(tmp_path / "var" / "cache")
    load_practice(config_module.load(path), cache=cache)
    sheets = {**MINIMAL, "Appointments": [*MINIMAL["Appointments"],
                                          ["A-2", "C-1", "Ann Lee", date(2026, 11, 3), None, 45, 45, "completed", "Aetna"]]}
    make_workbook(tmp_path / "t.xlsx", sheets)
    changed = load_practice(config_module.load(path), cache=cache)
    assert counted["n"] == 8 and len(changed.issues) == 1                # the new row's empty time
    path.write_text(path.read_text().replace('sheet = "Claims"', 'sheet = "Claims"\nheader_row = 1'))
    load_practice(config_module.load(path), cache=cache)
    assert counted["n"] == 9                                              # only the re-mapped tracker


def test_a_damaged_cache_entry_is_ignored(tmp_path, counted):
    book = make_workbook(tmp_path / "t.xlsx", MINIMAL)
    config = config_module.load(write_config(tmp_path, book))
    cache = TrackerCache(tmp_path / "var" / "cache")
    load_practice(config, cache=cache)
    for entry in (tmp_path / "var" / "cache").glob("*.json"):
        entry.write_bytes(b"not data")
    assert load_practice(config, cache=cache).practice.appointments
    assert counted["n"] == 8


@pytest.fixture
def evaluated(monkeypatch):
    """How many times the rules ran: wrapped, never replaced."""
    from automations import rules

    return count_calls(monkeypatch, rules, "evaluate")


UNBILLED = {**MINIMAL, "Appointments": [*MINIMAL["Appointments"],
                                        ["A-2", "C-1", "Ann Lee", date(2026, 11, 9), time(9), 45, 45, "completed",
                                         "Aetna"]]}


def test_a_second_check_the_same_day_on_unchanged_trackers_reads_nothing_and_applies_no_rule(
        tmp_path, counted, evaluated):
    from automations import jobs

    book = make_workbook(tmp_path / "t.xlsx", UNBILLED)
    config = config_module.load(write_config(tmp_path, book))
    cache = TrackerCache(tmp_path / "var" / "cache")
    first = jobs.check(config, date(2026, 11, 26), cache=cache)
    assert first.findings and (counted["n"], evaluated["n"]) == (4, 1)
    second = jobs.check(config, date(2026, 11, 26), cache=cache)
    assert (counted["n"], evaluated["n"]) == (4, 1) and second.practice is None
    assert [f.to_dict() for f in second.findings] == [f.to_dict() for f in first.findings]
    assert second.rows == first.rows and second.notices == first.notices
    assert [str(i) for i in second.data_issues] == [str(i) for i in first.data_issues]
    assert second.current_practice().appointments == first.practice.appointments   # read when a job asks
    assert counted["n"] == 4                                                   # from the tracker cache


@pytest.mark.parametrize("change", ["next day", "threshold", "tracker"])
def test_the_rules_run_again_when_the_day_the_thresholds_or_a_tracker_change(tmp_path, counted, evaluated, change):
    from automations import jobs

    book = make_workbook(tmp_path / "t.xlsx", MINIMAL)
    path = write_config(tmp_path, book)
    cache = TrackerCache(tmp_path / "var" / "cache")
    today = date(2026, 11, 26)
    jobs.check(config_module.load(path), today, cache=cache)
    if change == "next day":
        today = date(2026, 11, 27)
    elif change == "threshold":
        path.write_text(path.read_text() + '\n[rules]\nfiling_urgent_days = 5\n')
    else:
        make_workbook(book, {**MINIMAL, "Clients": [*MINIMAL["Clients"], ["C-3", "Aetna", "none"]]})
    again = jobs.check(config_module.load(path), today, cache=cache)
    assert evaluated["n"] == 2 and again.practice is not None
    assert counted["n"] == (8 if change == "tracker" else 4)


class Planted:
    def __reduce__(self):
        return (os.system, ("touch planted-code-ran",))


@pytest.mark.parametrize("damage", ["garbage", "wrong shape", "empty", "a pickle that runs code"])
def test_a_damaged_last_check_is_ignored_and_checked_afresh(tmp_path, counted, evaluated, damage, monkeypatch):
    """The kept check is data: a pickle planted in its place (which once ran its code on `run` and on
    `--dry-run`) is nothing but a damaged entry."""
    import json
    import pickle

    from automations import jobs

    monkeypatch.chdir(tmp_path)
    book = make_workbook(tmp_path / "t.xlsx", UNBILLED)
    config = config_module.load(write_config(tmp_path, book))
    cache = TrackerCache(tmp_path / "var" / "cache")
    first = jobs.check(config, date(2026, 11, 26), cache=cache)
    (kept,) = (tmp_path / "var" / "cache").glob("checked-*.json")
    kept.write_bytes({"garbage": b"not data", "wrong shape": json.dumps({"findings": [{"rule": 1}]}).encode(),
                      "empty": b"", "a pickle that runs code": pickle.dumps(Planted())}[damage])
    again = jobs.check(config, date(2026, 11, 26), cache=cache)
    assert evaluated["n"] == 2 and [f.id for f in again.findings] == [f.id for f in first.findings]
    assert not (tmp_path / "planted-code-ran").exists()


def _stored(book, old: bytes = b"", new: bytes = b"") -> bytes:
    """The workbook unzipped into a zip of stored entries, ``old`` replaced by ``new`` (as long)."""
    import io
    import zipfile

    with zipfile.ZipFile(book) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as made:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            made.writestr(info, data.replace(old, new) if old else data)
    return out.getvalue()


def test_a_tracker_with_the_same_size_and_time_but_new_content_is_read_afresh(tmp_path, counted):
    """A copy that kept its timestamp, a sync tool's restore: the size and time say nothing."""
    book = make_workbook(tmp_path / "t.xlsx", MINIMAL)
    book.write_bytes(_stored(book))
    config = config_module.load(write_config(tmp_path, book))
    cache = TrackerCache(tmp_path / "var" / "cache")
    assert [c.client_id for c in load_practice(config, cache=cache).practice.clients] == ["C-1", "C-2"]
    stamp, size = book.stat().st_mtime_ns, book.stat().st_size
    book.write_bytes(_stored(book, b"C-2", b"C-9"))
    os.utime(book, ns=(stamp, stamp))
    assert (book.stat().st_size, book.stat().st_mtime_ns) == (size, stamp)
    later = TrackerCache(tmp_path / "var" / "cache")                   # the next run's
    assert [c.client_id for c in load_practice(config, cache=later).practice.clients] == ["C-1", "C-9"]


def test_cache_files_are_the_owners_alone_and_a_folder_others_can_write_is_refused(tmp_path):
    from automations.errors import PracticeOpsError

    book = make_workbook(tmp_path / "t.xlsx", MINIMAL)
    config = config_module.load(write_config(tmp_path, book))
    load_practice(config, cache=TrackerCache(tmp_path / "var" / "cache"))
    kept = list((tmp_path / "var" / "cache").glob("*"))
    assert kept and all(p.stat().st_mode & 0o077 == 0 for p in kept if p.name != ".practice-ops")
    if os.name == "posix":
        os.chmod(tmp_path / "var", 0o777)
        with pytest.raises(PracticeOpsError, match="other users may write in it"):
            from automations.ledger import Ledger

            Ledger(tmp_path / "var")


def test_a_check_that_cannot_keep_its_findings_still_gives_them(tmp_path, evaluated):
    """A dry run's cache is read-only: it may use the last check, never writes one."""
    from automations import jobs

    book = make_workbook(tmp_path / "t.xlsx", UNBILLED)
    config = config_module.load(write_config(tmp_path, book))
    read_only = TrackerCache(tmp_path / "var" / "cache", writable=False)
    found = jobs.check(config, date(2026, 11, 26), cache=read_only)
    assert found.findings and not list((tmp_path / "var").rglob("*"))
    jobs.check(config, date(2026, 11, 26), cache=TrackerCache(tmp_path / "var" / "cache"))
    again = jobs.check(config, date(2026, 11, 26), cache=TrackerCache(tmp_path / "var" / "cache", writable=False))
    assert evaluated["n"] == 2 and [f.id for f in again.findings] == [f.id for f in found.findings]


def test_a_read_kept_is_given_back_as_the_cache_will_give_it(tmp_path):
    """The run goes on with the read made again from what it kept (its records together in
    memory): the same records, sources and issues as the parse, and as the next run's."""
    book = make_workbook(tmp_path / "t.xlsx", MINIMAL)
    config = config_module.load(write_config(tmp_path, book))
    parsed = load_practice(config)
    cache = TrackerCache(tmp_path / "var" / "cache")
    kept = load_practice(config, cache=cache)
    again = load_practice(config, cache=cache)
    assert cache.hits == 4
    for loaded in (kept, again):
        assert loaded.practice.appointments == parsed.practice.appointments
        assert loaded.practice.claims == parsed.practice.claims
        assert [a.source for a in loaded.practice.appointments] == [a.source for a in parsed.practice.appointments]
        assert [str(i) for i in loaded.issues] == [str(i) for i in parsed.issues]


def test_records_travel_with_their_sources_whatever_they_are():
    """Kept as data a field at a time: a record without a source, or from another sheet, comes back so."""
    from automations.trackers.cache import decode_read, encode_read
    from automations.trackers.reader import SheetRead
    from automations.trackers.records import Appointment, RowRef

    records = [Appointment("A-1", "C-1", "Ann Lee", date(2026, 11, 2), time(9), source=RowRef("a.xlsx", "Appts", 2)),
               Appointment("A-2", "C-1", "Ann Lee", date(2026, 11, 3), source=None),
               Appointment("A-3", "C-2", "Bo Diaz", date(2026, 11, 4), source=RowRef("b.xlsx", "Old", 9))]
    read = decode_read(encode_read(SheetRead("appointments", records, header_row=1, columns={"date": "Date"})))
    assert read.records == records
    assert [r.source for r in read.records] == [r.source for r in records]
    assert read.columns == {"date": "Date"} and read.header_row == 1

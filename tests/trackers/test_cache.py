"""A tracker unchanged since the last run is not parsed again; any change reads afresh."""

import os
from datetime import date

import pytest

from automations import config as config_module
from automations.trackers import reader
from automations.trackers.cache import TrackerCache
from automations.trackers.load import load_practice
from tests.conftest import MINIMAL, make_workbook, write_config


@pytest.fixture
def counted(monkeypatch):
    """How many sheets were parsed: the reader is wrapped, never replaced."""
    calls = {"n": 0}
    original = reader.read_sheet

    def counting(*args, **kwargs):
        calls["n"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr("automations.trackers.load.read_sheet", counting)
    return calls


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
    for entry in (tmp_path / "var" / "cache").glob("*.pickle"):
        entry.write_bytes(b"not a pickle")
    assert load_practice(config, cache=cache).practice.appointments
    assert counted["n"] == 8

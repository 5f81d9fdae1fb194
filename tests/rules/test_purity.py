"""Rules are pure: records in, findings out. Records are not frozen (a frozen dataclass sets each
field through object.__setattr__, and building them was a tenth of a large run; docs/decisions.md),
so this is what keeps a rule from changing what the next rule reads."""

import copy
from dataclasses import fields
from datetime import date

import pytest

from automations import config as config_module
from automations.rules import evaluate
from automations.trackers.load import load_practice
from automations.trackers.records import TRACKERS, Practice
from bench.bench_practice import generate
from tests.conftest import ROOT

TODAY = date(2026, 11, 26)


def sample(tmp_path):
    return config_module.load(ROOT / "config" / "practice.toml")


def troubled(tmp_path):
    return config_module.load(generate(tmp_path, 3_000, problems=0.33))


def every_record(practice: Practice) -> dict[str, list]:
    return {name: [(type(r), *(getattr(r, f.name) for f in fields(r))) for r in getattr(practice, name)]
            for name in TRACKERS}


@pytest.mark.parametrize("practice_of", [sample, troubled], ids=["sample", "a-third-troubled"])
def test_applying_every_rule_changes_no_record(tmp_path, practice_of):
    config = practice_of(tmp_path)
    loaded = load_practice(config)
    before = copy.deepcopy(every_record(loaded.practice))
    duplicates = copy.deepcopy(loaded.practice.duplicates)
    findings = evaluate(loaded.practice, config.thresholds(), TODAY, loaded.issues)
    assert findings and sum(map(len, before.values())) > 100
    assert every_record(loaded.practice) == before
    assert loaded.practice.duplicates == duplicates

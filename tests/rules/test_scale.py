"""The rules stay O(n log n): the work they do, counted in function calls (never timed), grows
about in proportion when the practice doubles (25,000 to 50,000 appointments, a third of the
rows troubled), never with its square."""

import cProfile
import pstats
from datetime import date

import pytest

from automations import config as config_module
from automations.rules import evaluate
from automations.trackers.load import load_practice
from bench.bench_practice import generate


def calls_for(tmp_path, appointments: int) -> int:
    folder = tmp_path / str(appointments)
    folder.mkdir()
    config = config_module.load(generate(folder, appointments, problems=0.33))
    loaded = load_practice(config)
    profile = cProfile.Profile()
    profile.enable()
    evaluate(loaded.practice, config.thresholds(), date(2026, 11, 26), loaded.issues)
    profile.disable()
    return pstats.Stats(profile).total_calls


@pytest.mark.timeout(240)
def test_doubling_the_practice_about_doubles_the_rules_work(tmp_path):
    small, large = calls_for(tmp_path, 25_000), calls_for(tmp_path, 50_000)
    assert large / small < 2.5, (small, large)

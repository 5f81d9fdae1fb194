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
from tests.conftest import lines_executed


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


def lines_for(clients: int) -> int:
    """Lines the rules execute (a comprehension's every turn counts, which call counts miss) over a
    practice where every client's authorization is about to end and every tenth clinician's
    license has lapsed, each with sessions booked after."""
    from datetime import timedelta
    from pathlib import Path

    from automations.rules import Thresholds
    from automations.trackers.records import Provider
    from tests.rules.builders import appt, auth, client, practice

    today = date(2026, 11, 26)
    providers = [Provider(f"Clinician {n}", license_expires=today - timedelta(days=1)) for n in range(clients // 10)]
    sessions = [appt(f"A-{c}-{k}", client=f"C-{c}", provider=f"Clinician {c % len(providers)}",
                     day=today + timedelta(days=7 * k), status="scheduled") for c in range(clients) for k in range(4)]
    p = practice(appointments=sessions, providers=providers, clients=[client(f"C-{c}") for c in range(clients)],
                 authorizations=[auth(f"AU-{c}", client=f"C-{c}", authorized=1, end_date=today + timedelta(days=10))
                                 for c in range(clients)])
    rules_folder = str(Path(evaluate.__code__.co_filename).parent)
    return lines_executed(lambda: evaluate(p, Thresholds(), today), within=rules_folder)[0]


def test_rules_about_one_client_or_clinician_look_at_theirs_not_every_session():
    small, large = lines_for(200), lines_for(400)
    assert large / small < 2.5, (small, large)

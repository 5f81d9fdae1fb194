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


def authorized_shape(clients: int, years: int) -> tuple:
    """The second shape: few clinicians with many clients each, several authorizations per client
    (an EAP case, then yearly prior authorizations), one claim in five denied (197, 198, 16, 50), appeals,
    rejections, code pairs, associates, lapsed panels, minors, waitlist and compliance rows: every rule
    has work. ``clients`` and ``years`` double apart, so a rule quadratic in either shows."""
    from datetime import time, timedelta

    from automations.trackers.records import Client, ComplianceItem, Credential, Provider, WaitlistEntry
    from tests.rules.builders import appt, auth, claim, practice

    today = date(2026, 11, 26)
    start = today - timedelta(days=365 * years)
    payers = ["Aetna", "Cigna", "Medicare", "Magellan EAP", "Self-pay"]
    providers = [Provider(f"Clinician {n}", license_type="LPC-A" if n % 4 == 0 else "LCSW",
                          supervisor=None if n % 8 == 0 else "Clinician 1", accepting_new=True, weekly_capacity=30,
                          license_expires=today + timedelta(days=30 * n), specialties="anxiety")
                 for n in range(8)]
    people, sessions, claims, auths, panels = [], [], [], [], []
    for p in providers:
        panels += [Credential(p.provider, payer, "in_network" if hash(p.provider) % 5 else "lapsed",
                              effective_date=start + timedelta(days=200)) for payer in payers[:4]]
    for c in range(clients):
        cid, payer, provider = f"C-{c}", payers[c % len(payers)], providers[c % len(providers)].provider
        people.append(Client(cid, "Pat", f"Client{c}", email=f"c{c}@mail.example", payer=payer,
                             email_consent="plain_ok", intake_forms_received=c % 7 != 0, privacy_notice_ack=True,
                             insurance_verified=True, consent_to_treat=c % 11 != 0, telehealth_consent=c % 5 != 0,
                             date_of_birth=date(2010 if c % 9 == 0 else 1980, 1, 1), guardian_consent=c % 2 == 0,
                             balance=None if c % 6 else 40, balance_since=start))
        for year in range(years):
            auths.append(auth(f"AU-{c}-{year}", client=cid, payer=payer, authorized=10 + c % 5,
                              kind="eap" if payer == "Magellan EAP" else "prior_auth",
                              start_date=start + timedelta(days=365 * year),
                              end_date=start + timedelta(days=365 * year + 364), sessions_used=c % 4))
        for k in range(12 * years):
            day = start + timedelta(days=30 * k + c % 28)
            status = "scheduled" if day >= today else "no_show" if k % 13 == 0 else "completed"
            aid = f"A-{c}-{k}"
            year = min((day - start).days // 365, years - 1)
            sessions.append(appt(aid, client=cid, provider=provider, day=day, at=time(8 + c % 9),
                                 status=status, minutes=45 if k % 3 else 53, payer=payer,
                                 modality="video" if k % 4 == 0 else "in_person",
                                 authorization_id=f"AU-{c}-{year}" if k % 2 else None, cpt=("90834",)))
            if status == "scheduled" or payer == "Self-pay":
                continue
            denied = k % 5 == 0
            codes = ("90791", "90834") if k % 17 == 0 else ("90839", "90785") if k % 19 == 0 else ("90837",)
            claims.append(claim(f"CL-{c}-{k}", appointment=aid if k % 3 != 2 else None, client=cid, provider=provider,
                                day=day, cpt=codes, payer=payer,
                                status=("denied" if denied else "appealed" if k % 7 == 0 else "rejected" if k % 11 == 0
                                        else "draft" if k % 23 == 0 else "paid" if day < today - timedelta(days=60)
                                        else "submitted"),
                                denial_code=("CO-197", "CO-198", "CO-16", "CO-50")[k % 4] if denied else None,
                                denied_on=day + timedelta(days=20) if denied or k % 7 == 0 else None,
                                submitted_on=day + timedelta(days=2), billed_amount=150, pos="10",
                                modifiers=("95",) if k % 6 == 0 else ()))
    compliance = [ComplianceItem("roi", f"Dr. {c}", client_id=f"C-{c}", expires_on=today + timedelta(days=c % 60))
                  for c in range(0, clients, 3)]
    waitlist = [WaitlistEntry(f"W-{w}", payer="Aetna", added_on=today - timedelta(days=w % 40),
                              requested_specialty="anxiety", status="waiting") for w in range(clients // 10)]
    p = practice(appointments=sessions, claims=claims, authorizations=auths, clients=people, providers=providers,
                 credentialing=panels, compliance=compliance, waitlist=waitlist,
                 present=("credentialing", "compliance", "waitlist"))
    return p, today


def lines_per_rule(clients: int, years: int) -> dict[str, int]:
    """Lines each rule executes, with a context of its own (so what it asks the context to index counts
    as its work), over the second shape."""
    from pathlib import Path

    from automations.rules import RULES, RuleContext, Thresholds

    p, today = authorized_shape(clients, years)
    rules_folder = str(Path(evaluate.__code__.co_filename).parent)
    counts = {}
    for rule_id, registered in RULES.items():
        if registered.check is not None:
            ctx = RuleContext(p, Thresholds(), today)
            counts[rule_id] = lines_executed(lambda check=registered.check, ctx=ctx: list(check(ctx)),
                                             within=rules_folder)[0]
    return counts


@pytest.mark.parametrize("doubled", ["clients", "years of history"])
def test_no_rule_grows_faster_than_its_input_on_a_second_shape(doubled):
    """Each rule alone, at twice the clients (same history each) or twice the history (same clients):
    at most about twice the lines. billing.denial_open once scanned every authorization's sessions for
    each denied claim (71 million comparisons at 200,000 appointments)."""
    small = lines_per_rule(60, 2)
    large = lines_per_rule(120, 2) if doubled == "clients" else lines_per_rule(60, 4)
    grown = {rule: large[rule] / small[rule] for rule in small if small[rule] > 200}
    assert len(grown) >= 30, sorted(rule for rule in small if small[rule] <= 200)
    assert max(grown.values()) < 2.5, sorted(grown.items(), key=lambda item: -item[1])[:5]

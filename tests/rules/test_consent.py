"""compliance.consent_missing and compliance.minor_consent_missing."""

from datetime import date, timedelta

import pytest

from automations.rules import Thresholds
from automations.rules.compliance import age_on
from automations.trackers.values import NOT_APPLICABLE
from tests.rules.builders import DAY, appt, client, findings, practice

CONSENT = "compliance.consent_missing"
MINOR = "compliance.minor_consent_missing"


@pytest.mark.parametrize("consent, fires", [(None, True), (False, True), (True, False), (NOT_APPLICABLE, False),
                                            (DAY, False)])
def test_consent_to_treat(consent, fires):
    p = practice([appt(day=DAY + timedelta(days=3), status="scheduled")], clients=[client(consent_to_treat=consent)])
    found = findings(p, DAY, CONSENT)
    assert bool(found) is fires
    if fires:
        assert found[0].key == "treatment" and found[0].due == DAY + timedelta(days=3) and found[0].owner == "va"


def test_consent_for_a_session_already_held_is_urgent():
    p = practice([appt(day=DAY - timedelta(days=3))], clients=[client(consent_to_treat=None)])
    assert findings(p, DAY, CONSENT)[0].severity == "urgent"


@pytest.mark.parametrize("status", ["cancelled", "no_show"])
def test_no_live_session_no_consent_finding(status):
    p = practice([appt(status=status)], clients=[client(consent_to_treat=None)])
    assert findings(p, DAY, CONSENT) == []


@pytest.mark.parametrize("modality, consent, fires", [
    ("video", None, True), ("phone", None, True), ("in_person", None, False), ("video", True, False)])
def test_telehealth_consent(modality, consent, fires):
    p = practice([appt(modality=modality)], clients=[client(telehealth_consent=consent)])
    found = [f for f in findings(p, DAY, CONSENT) if f.key == "telehealth"]
    assert bool(found) is fires


def test_consent_rules_are_quiet_when_the_sheet_lacks_the_columns():
    p = practice([appt(modality="video")], clients=[client(consent_to_treat=None, telehealth_consent=None)])
    p.columns = {"clients": frozenset({"client_id", "payer", "email"})}
    assert findings(p, DAY, CONSENT) == []


@pytest.mark.parametrize("born, age, fires", [
    (date(2008, 11, 3), 18, True),    # 17 on the session's date: turns 18 the next day
    (date(2008, 11, 2), 18, False),   # 18 on the session's date
    (date(2009, 11, 2), 17, False),   # a state where 17 may consent
    (date(2010, 1, 1), 17, True)])
def test_minor_consent_boundary_is_the_birthday(born, age, fires):
    p = practice([appt()], clients=[client(date_of_birth=born)])
    found = findings(p, DAY, MINOR, Thresholds(age_of_consent=age))
    assert bool(found) is fires


def test_a_guardian_consent_on_file_is_enough():
    p = practice([appt()], clients=[client(date_of_birth=date(2012, 5, 1), guardian_consent=True)])
    assert findings(p, DAY, MINOR) == []


def test_a_minor_who_turns_of_age_before_the_next_session_is_judged_by_sessions_as_a_minor():
    p = practice([appt(day=DAY - timedelta(days=10)), appt(id="A-2", day=DAY + timedelta(days=10), status="scheduled")],
                 clients=[client(date_of_birth=date(2008, 11, 1))])
    found = findings(p, DAY, MINOR)
    assert found[0].refs["appointment"] == "A-1" and found[0].details["sessions_as_minor"] == 1


def test_minor_rule_is_quiet_without_a_birth_date_column():
    p = practice([appt()], clients=[client(date_of_birth=date(2015, 1, 1))])
    p.columns = {"clients": frozenset({"client_id", "date_of_birth"})}
    assert findings(p, DAY, MINOR) == []


def test_leap_day_birthdays():
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18


def test_the_config_sets_the_age_of_consent(tmp_path):
    from automations import config as config_module

    (tmp_path / "p.toml").write_text('[practice]\nname = "X"\nage_of_consent = 16\n')
    assert config_module.load(tmp_path / "p.toml").thresholds().age_of_consent == 16
    (tmp_path / "p.toml").write_text('[practice]\nname = "X"\nage_of_consent = 0\n')
    with pytest.raises(config_module.ConfigError):
        config_module.load(tmp_path / "p.toml")

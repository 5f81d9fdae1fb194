from datetime import date

import pytest

from automations.errors import CellError
from automations.rules import Thresholds, codes, evaluate
from automations.trackers.records import Provider
from tests.rules.builders import DAY, appt, claim, client, findings, practice


def test_duplicate_ids_are_reported_once_per_id():
    p = practice([appt(), appt(), appt(id="A-2")])
    found = findings(p, DAY, "data.duplicate_id")
    assert [f.refs for f in found] == [{"appointment": "A-1"}]


def test_providers_are_the_same_whatever_the_case():
    p = practice(providers=[Provider("Ann Lee"), Provider("ann lee")])
    assert findings(p, DAY, "data.duplicate_id")


@pytest.mark.parametrize("change, column", [
    ({"client": "C-9"}, "client_id"), ({"provider": "Bo Diaz"}, "provider"), ({"authorization_id": "AU-9"},
                                                                                "authorization_id")])
def test_unknown_references_on_appointments(change, column):
    found = findings(practice([appt(**change)]), DAY, "data.unknown_reference")
    assert len(found) == 1 and found[0].key == column


def test_known_references_ignore_provider_case_and_punctuation():
    assert findings(practice([appt(provider="ANN LEE.")], [claim(provider="ann lee")]), DAY,
                    "data.unknown_reference") == []


def test_references_to_a_tracker_the_practice_does_not_keep_are_not_checked():
    p = practice([appt(client="C-9")])
    p.present = frozenset({"appointments"})
    assert findings(p, DAY, "data.unknown_reference") == []


@pytest.mark.parametrize("code, real", [
    ("90834", True), ("90835", False), ("90785", True), ("90899", True), ("99213", True), ("G2211", True),
    ("H0031", True), ("9083", False), ("908345", False), ("ABCDE", False)])
def test_cpt_codes(code, real):
    assert codes.is_real_cpt(code) is real


@pytest.mark.parametrize("text, parsed", [
    ("CO-197", ("CO", "197")), ("PR 1", ("PR", "1")), ("29", (None, "29")), ("co:45", ("CO", "45")),
    ("CARC 185", (None, "185")), ("XX-12", None), ("999", None)])
def test_carc_codes(text, parsed):
    assert codes.split_carc(text) == parsed


def test_unknown_codes_on_claims():
    c = claim(cpt=("90835",), modifiers=("95", "G"), pos="2", denial_code="CO-197")
    found = findings(practice([appt()], [c]), DAY, "data.unknown_code")
    assert sorted(f.key for f in found) == ["CPT:90835", "modifier:G"]
    c = claim(pos="73", denial_code="ZZ9")
    assert sorted(f.key for f in findings(practice([appt()], [c]), DAY, "data.unknown_code")) == [
        "CARC denial:ZZ9", "place-of-service:73"]


def test_cell_problems_become_va_findings_due_today():
    issue = CellError("t.xlsx", "Claims", 14, "DOS", "13/45/2026", "is not a date")
    found = evaluate(practice(), Thresholds(), date(2026, 11, 26), [issue])
    assert [(f.rule, f.owner, f.due, f.refs) for f in found] == [
        ("data.bad_value", "va", date(2026, 11, 26), {"sheet_row": "t.xlsx:Claims:14"})]
    assert found[0].message.startswith("t.xlsx:Claims: row 14: DOS: '13/45/2026' is not a date.")


def test_clean_records_give_no_findings():
    assert findings(practice([appt()], [claim()], clients=[client("C-1", payer="Aetna")]), DAY) == []


@pytest.mark.parametrize("born, bad, minor", [
    (date(2049, 8, 28), True, False),    # '8/28/49' once read as 2049: a bad value, never a child
    (DAY, False, True),                  # born today: a child (the boundary), not the future
    (date(1949, 8, 28), False, False)])
def test_a_date_of_birth_in_the_future_is_a_bad_value_never_a_child(born, bad, minor):
    p = practice([appt(status="scheduled")], clients=[client(date_of_birth=born, guardian_consent=False)],
                 columns={"clients": frozenset({"client_id", "date_of_birth", "guardian_consent"})})
    found = findings(p, DAY)
    bad_values = [f for f in found if f.rule == "data.bad_value"]
    assert bool(bad_values) is bad
    assert bool([f for f in found if f.rule == "compliance.minor_consent_missing"]) is minor
    if bad:
        assert bad_values[0].key == "date_of_birth" and "Aug 28, 2049 is in the future" in bad_values[0].message

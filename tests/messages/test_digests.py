"""The clinician's digest: the next working day, and the risks to their sessions that others own."""

from datetime import date, time, timedelta

import pytest

from automations.messages.digests import clinician_digest, next_working_day
from automations.rules import Thresholds, evaluate
from automations.rules.context import RuleContext
from automations.trackers.records import Credential, Provider
from tests.rules.builders import appt, client, practice

FRIDAY = date(2026, 11, 27)


@pytest.mark.parametrize("today, ahead", [
    (date(2026, 11, 23), date(2026, 11, 24)), (FRIDAY, date(2026, 11, 30)), (date(2026, 11, 28), date(2026, 11, 30)),
    (date(2026, 11, 29), date(2026, 11, 30))])
def test_the_next_working_day(today, ahead):
    assert next_working_day(today) == ahead


def digest(p, today, provider="Ann Lee"):
    found = evaluate(p, Thresholds(), today)
    return clinician_digest(RuleContext(p, Thresholds(), today), provider, found)


def test_a_fridays_digest_shows_monday_not_an_empty_saturday():
    monday = date(2026, 11, 30)
    p = practice([appt(day=monday, status="scheduled", at=time(10))], clients=[client(first_name="Rosa")])
    days = digest(p, FRIDAY)["days"]
    assert [d["title"] for d in days] == ["Today, Friday November 27", "Monday, November 30"]
    assert [len(d["sessions"]) for d in days] == [0, 1]


def test_a_thursdays_digest_shows_tomorrow():
    assert digest(practice(), FRIDAY - timedelta(days=1))["days"][1]["title"] == "Tomorrow, Friday November 27"


def test_the_clinicians_own_risks_that_others_own_get_a_line():
    tomorrow = FRIDAY + timedelta(days=3)
    p = practice([appt(day=tomorrow, status="scheduled")],
                 providers=[Provider("Ann Lee", license_expires=FRIDAY + timedelta(days=20)), Provider("Bo Diaz")],
                 credentialing=[Credential("Ann Lee", "Aetna", "lapsed", effective_date=FRIDAY - timedelta(days=5))],
                 present=("credentialing",))
    risks = digest(p, FRIDAY)["risks"]
    rules_seen = {r["message"].split(" ")[0] for r in risks}
    assert len(risks) == 2 and rules_seen == {"Ann"}
    assert {r["owner"] for r in risks} == {"the owner", "the front desk"}
    assert digest(p, FRIDAY, "Bo Diaz")["risks"] == []


def test_the_billers_escalation_puts_the_urgent_item_first_then_money_then_deadline():
    """The one urgent item (a no-show billed to insurance) once came sixth of seven, after five warnings."""
    from decimal import Decimal

    from automations.messages.digests import billing_escalation
    from automations.rules.findings import Finding
    from tests.rules.builders import claim

    today = date(2026, 11, 26)
    claims = [claim(id=f"CL-{n}", billed_amount=Decimal(amount)) for n, amount in ((1, 90), (2, 300), (3, 150))]
    ctx = RuleContext(practice(claims=claims), Thresholds(), today)
    found = [Finding("billing.cpt_time_mismatch", "warning", "billing", "a", refs={"claim": "CL-1"}, due=today),
             Finding("billing.addon_without_base", "warning", "billing", "b", refs={"claim": "CL-2"},
                     due=today + timedelta(days=9)),
             Finding("billing.timely_filing_risk", "urgent", "billing", "lost", refs={"claim": "CL-3"}, due=today,
                     details={"lost": True}),
             Finding("billing.no_show_billed", "urgent", "billing", "c", refs={"claim": "CL-1"}, due=today)]
    escalation = billing_escalation(found, {}, today, ctx)
    assert [item["message"] for item in escalation["items"]] == ["c", "lost", "b", "a"]
    assert escalation["groups"][0]["problem"] == "No-show billed to insurance"


@pytest.mark.parametrize(("due", "severity", "said"), [
    (date(2026, 11, 25), "warning", "Overdue"), (date(2026, 11, 26), "warning", "Soon"),   # the due day is not past
    (date(2026, 11, 25), "urgent", "Overdue"), (None, "info", "FYI")])
def test_a_message_says_overdue_as_the_queue_does(due, severity, said):
    """The escalation once said "Soon, due Mon Nov 2" on Nov 26 while the queue said Overdue."""
    from automations.messages.digests import billing_escalation, credentialing_items
    from automations.rules.findings import Finding

    today = date(2026, 11, 26)
    found = Finding("billing.denial_open", severity, "billing", "a", refs={"claim": "CL-1"}, due=due)
    assert billing_escalation([found], {}, today)["items"][0]["urgency"] == said
    license = Finding("credentialing.license_expiring", severity, "va", "b", refs={"provider": "A"}, due=due)
    assert credentialing_items([license], today)[0]["urgency"] == said


@pytest.mark.parametrize(("day", "today", "said"), [
    (date(2027, 5, 5), date(2026, 11, 26), "Wed May 5, 2027"), (date(2026, 12, 1), date(2026, 11, 26), "Tue Dec 1"),
    (date(2025, 12, 30), date(2026, 1, 2), "Tue Dec 30, 2025"), (date(2026, 12, 1), None, "Tue Dec 1")])
def test_a_day_in_another_year_carries_its_year(day, today, said):
    from automations.rules.dates import people_day

    assert people_day(day, today) == said

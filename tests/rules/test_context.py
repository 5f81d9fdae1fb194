from datetime import date

import pytest

from automations.rules import Thresholds
from automations.rules.context import RuleContext
from tests.rules.builders import DAY, appt, claim, practice

TODAY = date(2026, 11, 20)


def context(appointments, claims):
    return RuleContext(practice(appointments, claims), Thresholds(), TODAY)


@pytest.mark.parametrize("appointment_id, expected", [
    ("A-2", "A-2"),  # by its id, wherever the visit is
    ("", "A-1"),  # no id: the completed session of that client, clinician and day
    ("A-404", "A-1"),  # an id no session has: by the visit too
])
def test_a_claims_session_is_found_by_its_id_else_by_its_visit(appointment_id, expected):
    sessions = [appt("A-0", status="cancelled"), appt("A-1"), appt("A-2", day=date(2026, 11, 9))]
    billed = claim(appointment=appointment_id)
    ctx = context(sessions, [billed])
    assert ctx.appointment_of(billed).appointment_id == expected
    assert ctx.appointment_of(billed).appointment_id == expected  # asked again: the same answer


def test_claims_alike_but_for_their_visit_each_get_their_own_session_also_claims_made_later():
    sessions = [appt("A-1"), appt("A-2", client="C-2")]
    first, second = claim("CL-1", appointment=""), claim("CL-2", appointment="", client="C-2")
    ctx = context(sessions, [first, second])
    assert [ctx.appointment_of(c).appointment_id for c in (first, second)] == ["A-1", "A-2"]
    for _ in range(3):  # claims made after the context, each gone before the next (their ids may repeat)
        assert ctx.appointment_of(claim("CL-9", appointment="", client="C-2")).appointment_id == "A-2"
        assert ctx.appointment_of(claim("CL-9", appointment="", day=DAY.replace(day=3))) is None

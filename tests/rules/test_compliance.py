from datetime import date, timedelta

import pytest

from automations.trackers.records import ComplianceItem
from tests.rules.builders import appt, client, findings, practice

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize("days_ahead, status, severity", [
    (61, "Active", None), (60, "Active", "warning"), (-1, "Active", "urgent"), (-400, None, "urgent"),
    (10, "Terminated", None), (10, "Expired", None)])
def test_baa_renewal_due(days_ahead, status, severity):
    p = practice(compliance=[ComplianceItem("baa", "Zoom", expires_on=TODAY + timedelta(days=days_ahead), status=status)])
    found = findings(p, TODAY, "compliance.baa_renewal_due")
    assert [f.severity for f in found] == ([severity] if severity else [])
    if severity:
        assert found[0].owner == "owner" and found[0].refs == {"party": "Zoom"}


@pytest.mark.parametrize("days_ahead, fires", [(31, False), (30, True), (0, True), (-1, False)])
def test_roi_expiring(days_ahead, fires):
    p = practice(compliance=[ComplianceItem("roi", "Dr. Park (PCP)", client_id="C-1",
                                            expires_on=TODAY + timedelta(days=days_ahead))])
    found = findings(p, TODAY, "compliance.roi_expiring")
    assert bool(found) is fires
    if fires:
        assert found[0].owner == "va" and found[0].refs["client"] == "C-1"


def test_an_roi_is_not_a_baa():
    p = practice(compliance=[ComplianceItem("roi", "Dr. Park", client_id="C-1", expires_on=TODAY)])
    assert findings(p, TODAY, "compliance.baa_renewal_due") == []


@pytest.mark.parametrize("ack, status, fires", [(True, "Active", False), (False, "Active", True), (None, None, True),
                                                (False, "Discharged", False)])
def test_privacy_notice_missing(ack, status, fires):
    p = practice([appt(day=TODAY + timedelta(days=2), status="scheduled")],
                 clients=[client(privacy_notice_ack=ack, status=status)])
    found = findings(p, TODAY, "compliance.privacy_notice_missing")
    assert bool(found) is fires
    if fires:
        assert found[0].due == TODAY + timedelta(days=2)

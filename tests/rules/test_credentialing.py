from datetime import date, timedelta
from decimal import Decimal

import pytest

from automations.rules import Thresholds
from automations.trackers.records import Credential, Provider
from tests.rules.builders import appt, claim, findings, practice

TODAY = date(2026, 11, 26)


def cred(**kw):
    defaults = dict(provider="Ann Lee", payer="Aetna", status="in_network", effective_date=date(2024, 1, 1))
    return Credential(**{**defaults, **kw})


def with_panel(*rows, **kw):
    return practice(credentialing=list(rows), present=("credentialing",), **kw)


@pytest.mark.parametrize("days_ago, severity", [(104, None), (105, "warning"), (120, "warning"), (121, "urgent")])
def test_caqh_attestation_due_every_120_days(days_ago, severity):
    p = with_panel(cred(caqh_attested_on=TODAY - timedelta(days=days_ago)),
                   cred(payer="Cigna", caqh_attested_on=TODAY - timedelta(days=days_ago)))
    found = findings(p, TODAY, "credentialing.caqh_attestation_due")
    assert [f.severity for f in found] == ([severity] if severity else [])


def test_caqh_period_is_configurable_for_illinois():
    p = with_panel(cred(caqh_attested_on=TODAY - timedelta(days=150)))
    assert findings(p, TODAY, "credentialing.caqh_attestation_due", Thresholds(caqh_attestation_days=180)) == []


def test_the_latest_attestation_counts():
    p = with_panel(cred(caqh_attested_on=TODAY - timedelta(days=200)), cred(payer="Cigna", caqh_attested_on=TODAY))
    assert findings(p, TODAY, "credentialing.caqh_attestation_due") == []


@pytest.mark.parametrize("days_ahead, fires", [(60, True), (61, False), (-5, True)])
def test_recredentialing_due(days_ahead, fires):
    p = with_panel(cred(recredential_due=TODAY + timedelta(days=days_ahead)))
    assert bool(findings(p, TODAY, "credentialing.recredentialing_due")) is fires


@pytest.mark.parametrize("days_ahead, severity", [(61, None), (60, "warning"), (15, "warning"), (14, "urgent"),
                                                  (-1, "urgent")])
def test_license_expiring(days_ahead, severity):
    p = practice(providers=[Provider("Ann Lee", license_expires=TODAY + timedelta(days=days_ahead))])
    found = findings(p, TODAY, "credentialing.license_expiring")
    assert [f.severity for f in found] == ([severity] if severity else [])


@pytest.mark.parametrize("days_ahead, fires", [(30, True), (31, False)])
def test_malpractice_expiring(days_ahead, fires):
    p = practice(providers=[Provider("Ann Lee", malpractice_expires=TODAY + timedelta(days=days_ahead))])
    assert bool(findings(p, TODAY, "credentialing.malpractice_expiring")) is fires


@pytest.mark.parametrize("status, last_days, submitted_days, fires", [
    ("pending", 13, 60, False), ("pending", 14, 60, True), ("pending", None, 20, True), ("in_network", 40, 60, False)])
def test_application_followup(status, last_days, submitted_days, fires):
    p = with_panel(cred(status=status, last_follow_up_on=TODAY - timedelta(days=last_days) if last_days else None,
                        application_submitted_on=TODAY - timedelta(days=submitted_days)))
    assert bool(findings(p, TODAY, "credentialing.application_followup")) is fires


def test_sessions_after_a_lapse_are_listed_with_the_revenue_at_risk():
    lapse = date(2026, 11, 1)
    appointments = [appt(id="A-0", day=lapse - timedelta(days=1)),       # before the lapse: in network
                    appt(id="A-1", day=lapse + timedelta(days=3)),
                    appt(id="A-2", day=TODAY + timedelta(days=2), status="scheduled", cpt=("90834",)),
                    appt(id="A-3", day=TODAY + timedelta(days=9), status="cancelled")]
    claims = [claim(id="CL-0", appointment="A-0", day=lapse - timedelta(days=1), billed_amount=Decimal(130)),
              claim(id="CL-1", appointment="A-1", day=lapse + timedelta(days=3), billed_amount=Decimal(140))]
    p = with_panel(cred(status="lapsed", effective_date=lapse), appointments=appointments, claims=claims)
    found = findings(p, TODAY, "credentialing.not_in_network_for_session")
    assert len(found) == 1
    f = found[0]
    assert (f.owner, f.severity, f.refs) == ("owner", "urgent", {"provider": "Ann Lee", "payer": "Aetna"})
    assert f.details["appointments"] == ["A-1", "A-2"]
    assert f.details["revenue_at_risk"] == "270"   # 140 billed + 130 typical for 90834
    assert f.details["estimated"] is True
    assert f.due == TODAY + timedelta(days=2)


@pytest.mark.parametrize("rows, fires", [
    ([cred()], False),
    ([cred(effective_date=TODAY + timedelta(days=30))], True),          # not yet in network
    ([cred(status="pending")], True),
    ([], True),                                                        # no row at all: not enrolled
    ([cred(payer="AETNA, Inc.")], True),                               # another payer's name altogether
    ([cred(provider="Dr. Ann Lee, LCSW", payer="aetna")], False),
])
def test_panel_status_on_the_date_of_the_session(rows, fires):
    p = with_panel(*rows, appointments=[appt(day=TODAY + timedelta(days=1), status="scheduled")])
    assert bool(findings(p, TODAY, "credentialing.not_in_network_for_session")) is fires


def test_payer_aliases_from_the_config_join_two_spellings():
    t = Thresholds(payer_aliases={"bcbs": "bluecrossblueshield", "bluecrossblueshield": "bluecrossblueshield"})
    p = with_panel(cred(payer="BlueCross BlueShield"), appointments=[appt(day=TODAY, status="scheduled", payer="BCBS")])
    assert findings(p, TODAY, "credentialing.not_in_network_for_session", t) == []
    assert findings(p, TODAY, "credentialing.not_in_network_for_session")


def test_self_pay_sessions_need_no_panel():
    p = with_panel(appointments=[appt(day=TODAY, status="scheduled", payer="Cash")])
    assert findings(p, TODAY, "credentialing.not_in_network_for_session") == []


LICENSE = "credentialing.license_expiring"
NETWORK = "credentialing.not_in_network_for_session"
ASSOCIATE = "credentialing.associate_billing"


@pytest.mark.parametrize("session_offset, severity, listed", [
    (-1, "warning", False),   # the day before the license expires: still licensed
    (0, "urgent", True),      # on the expiry date
    (5, "urgent", True)])
def test_license_expiring_lists_sessions_booked_on_or_after_expiry(session_offset, severity, listed):
    expires = TODAY + timedelta(days=40)
    p = practice([appt(id="A-9", day=expires + timedelta(days=session_offset), status="scheduled")],
                 providers=[Provider("Ann Lee", license_expires=expires)])
    found = findings(p, TODAY, LICENSE)[0]
    assert found.severity == severity
    assert ("A-9" in found.message) is listed
    assert found.details.get("booked_after_expiry", []) == (["A-9"] if listed else [])


def test_a_provider_name_that_matches_no_provider_is_a_data_finding_not_a_panel_alarm():
    p = with_panel(cred(), appointments=[appt(provider="Ann Leee", day=TODAY)])
    assert findings(p, TODAY, NETWORK) == []
    unknown = findings(p, TODAY, "data.unknown_reference")
    assert len(unknown) == 1 and "did you mean 'Ann Lee'?" in unknown[0].message


def test_medicare_not_enrolled_says_how_to_enroll_and_the_30_days():
    from tests.rules.builders import client

    p = with_panel(cred(), appointments=[appt(day=TODAY)], clients=[client(payer="Medicare")])
    message = findings(p, TODAY, NETWORK)[0].message
    assert "PECOS" in message and "30 days" in message


def test_a_commercial_lapse_keeps_its_advice():
    p = with_panel(cred(status="lapsed", effective_date=TODAY - timedelta(days=10)), appointments=[appt(day=TODAY)])
    message = findings(p, TODAY, NETWORK)[0].message
    assert "PECOS" not in message and "retroactively" in message


def associate(**kw):
    return Provider(**{**dict(provider="Kim Park", license_type="LPC-A", supervisor="Ann Lee"), **kw})


@pytest.mark.parametrize("license_type, credentials_associates, fires", [
    ("LPC-A", False, True), ("LMSW", False, True), ("LMFT-A", False, True), ("LPC-A", True, False),
    ("LPC", False, False), ("LCSW", False, False)])
def test_an_associate_billed_under_their_own_name(license_type, credentials_associates, fires):
    t = Thresholds(payer_overrides={"aetna": {"credentials_associates": credentials_associates}})
    p = practice([appt(provider="Kim Park")], [claim(provider="Kim Park")],
                 providers=[Provider("Ann Lee"), associate(license_type=license_type)])
    found = [f for f in findings(p, TODAY, ASSOCIATE, t) if f.key == "billing"]
    assert bool(found) is fires
    if fires:
        assert "under the supervisor, Ann Lee" in found[0].message and found[0].details["claims"] == ["CL-1"]


def test_an_associate_with_no_supervisor():
    p = practice(providers=[Provider("Ann Lee"), associate(supervisor=None)])
    found = findings(p, TODAY, ASSOCIATE)
    assert [f.key for f in found] == ["supervisor"] and found[0].severity == "urgent"


def test_a_self_pay_session_by_an_associate_is_fine():
    from tests.rules.builders import client

    p = practice([appt(provider="Kim Park")], [claim(provider="Kim Park", payer="Self pay")],
                 providers=[Provider("Ann Lee"), associate()], clients=[client(payer="Self pay")])
    assert findings(p, TODAY, ASSOCIATE) == []


def test_an_associates_sessions_are_judged_by_the_supervisors_panel():
    p = with_panel(cred(provider="Ann Lee"), appointments=[appt(provider="Kim Park", day=TODAY)],
                   providers=[Provider("Ann Lee"), associate()])
    assert findings(p, TODAY, NETWORK) == []
    p = with_panel(cred(provider="Ann Lee", status="lapsed", effective_date=TODAY - timedelta(days=1)),
                   appointments=[appt(provider="Kim Park", day=TODAY)], providers=[Provider("Ann Lee"), associate()])
    assert "Ann Lee" in findings(p, TODAY, NETWORK)[0].message


@pytest.mark.parametrize("license_type, standing", [
    ("ACSW", "associate"), ("AMFT", "associate"), ("APCC", "associate"), ("LMSW", "associate"),
    ("LMSW (TX)", "associate"), ("Licensed Master Social Worker", "associate"), ("LPC-Associate", "associate"),
    ("LMFT-Associate", "associate"), ("LPC-A", "associate"), ("LCSW-A", "associate"), ("LCMHC-A", "associate"),
    ("LGPC", "associate"), ("LGSW", "associate"), ("LGMFT", "associate"), ("LAPC", "associate"),
    ("LAMFT", "associate"), ("LMHC-A", "associate"), ("Resident in Counseling", "associate"),
    ("Registered Associate MFT", "associate"), ("MFT Intern", "associate"), ("pre-licensed", "associate"),
    ("LCSW-S", "licensed"), ("LPC-S", "licensed"), ("LCSW", "licensed"), ("LPC", "licensed"), ("LMFT", "licensed"),
    ("PhD", "licensed"), ("Psy.D.", "licensed"), ("LICSW", "licensed"), ("LCSW-C", "licensed"),
    ("Licensed Clinical Social Worker", "licensed"),
    ("QMHP", "unknown"), ("LSW", "unknown"), ("", None), (None, None)])
def test_a_license_type_by_its_state_title(license_type, standing):
    from automations.trackers.records import license_standing

    assert license_standing(license_type) == standing


def test_an_acsw_with_no_supervisor_and_an_lmsw_billing_alone():
    p = practice([appt(provider="Kim Park"), appt(id="A-2", provider="Lee Ray")],
                 [claim(provider="Kim Park"), claim(id="CL-2", appointment="A-2", provider="Lee Ray")],
                 providers=[Provider("Ann Lee", license_type="LCSW-S"), associate(license_type="ACSW", supervisor=None),
                            associate(provider="Lee Ray", license_type="LMSW")])
    found = {(f.refs["provider"], f.key) for f in findings(p, TODAY, ASSOCIATE)}
    assert found == {("Kim Park", "supervisor"), ("Kim Park", "billing"), ("Lee Ray", "billing")}


def test_a_supervisors_s_title_is_licensed_not_an_associate():
    p = practice([appt()], [claim()], providers=[Provider("Ann Lee", license_type="LCSW-S")])
    assert findings(p, TODAY, ASSOCIATE) == []


def test_check_names_a_license_type_it_does_not_know(tmp_path):
    from automations import config as config_module
    from automations import jobs
    from tests.conftest import make_workbook

    make_workbook(tmp_path / "t.xlsx", {"Providers": [["Provider", "License Type", "Supervisor"],
                                                      ["Ann Lee", "LCSW-S", None], ["Kim Park", "QMHP", "Ann Lee"]]})
    (tmp_path / "p.toml").write_text('[practice]\nname = "X"\n[trackers.providers]\npath = "t.xlsx"\n'
                                     'sheet = "Providers"\n[state]\ndir = "var"\n')
    notices = jobs.check(config_module.load(tmp_path / "p.toml"), TODAY).notices
    named = [n for n in notices if "license type" in n]
    assert len(named) == 1 and "Kim Park's license type 'QMHP'" in named[0] and "t.xlsx:Providers: row 3" in named[0]


@pytest.mark.parametrize("fees, sentence", [
    ({}, "The amount at risk is unknown: no claim or typical fee is on file for this session."),
    ({"CL-9": Decimal(150)}, "About $150.00 is at risk."),
])
def test_money_at_risk_is_never_zero_for_unknown(fees, sentence):
    claims = [claim(id=cid, appointment="A-9", billed_amount=amount) for cid, amount in fees.items()]
    p = with_panel(cred(status="lapsed", effective_date=TODAY - timedelta(days=30)),
                   appointments=[appt(id="A-9", day=TODAY - timedelta(days=2))], claims=claims)
    message = findings(p, TODAY, NETWORK)[0].message
    assert sentence in message and "$0.00" not in message


def test_money_at_risk_says_how_many_sessions_have_no_known_amount():
    from automations.rules.credentialing import money_at_risk

    assert money_at_risk(Decimal(300), False, 2, 5) == (
        "About $300.00 is at risk, plus 2 sessions whose amount is unknown (no claim or fee on file).")
    assert money_at_risk(Decimal(0), False, 3, 3) == (
        "The amount at risk is unknown: no claim or typical fee is on file for these 3 sessions.")

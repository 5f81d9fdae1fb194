"""The VA's week, through the jobs: a physician hears once that the person they referred was seen
(encrypted, or the VA faxes or calls), the VA's note counts referrals waiting, and the weekly
summary's new figures equal a hand count."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import openpyxl

from automations import config as config_module
from automations import jobs
from tests.conftest import make_workbook
from tests.standins.mail import GraphStandIn

ZONE = ZoneInfo("America/New_York")
MONDAY = date(2026, 12, 7)


def write_practice(tmp_path, gateway: bool):
    sheets = {
        "Clients": [["Client ID", "First Name", "Email", "Email Consent", "Payer", "Status"],
                    ["C-1", "Ana", "ana@mail.example", "plain_ok", "Self-pay", "Active"],
                    ["C-2", "Ben", "ben@mail.example", "plain_ok", "Self-pay", "Active"],
                    ["C-3", "Cy", "cy@mail.example", "plain_ok", "Self-pay", "Active"]],
        "Providers": [["Provider", "Email"], ["Kim Ode", "kim@lake.example"]],
        "Appointments": [["Appointment ID", "Client ID", "Provider", "Date", "Time", "Status", "Payer"],
                         ["A-1", "C-1", "Kim Ode", date(2026, 12, 2), time(9), "completed", "Self-pay"],
                         ["A-2", "C-2", "Kim Ode", date(2026, 11, 10), time(9), "completed", "Self-pay"],
                         ["A-3", "C-3", "Kim Ode", date(2026, 12, 3), time(9), "completed", "Self-pay"]],
        "Referrals": [["Referral ID", "Received On", "Source", "Source Type", "Source Email", "Name", "Contacted On",
                       "Outcome", "Client ID", "Release On File"],
                      ["R-1", date(2026, 11, 30), "Dr. Ng", "physician", "ng@clinic.example", "Ana", date(2026, 11, 30),
                       "scheduled", "C-1", "Y"],
                      ["R-2", date(2026, 11, 30), "Dr. Po", "physician", None, "Cy", date(2026, 12, 2),
                       "scheduled", "C-3", "Y"],
                      ["R-3", date(2026, 12, 1), "Dr. Ng", "physician", "ng@clinic.example", "Cy", None, None, None,
                       None],
                      ["R-4", date(2026, 11, 20), "Website", "website", None, "Di", date(2026, 11, 23), "declined",
                       None, None],
                      ["R-5", date(2026, 10, 1), "Website", "website", None, "Ed", date(2026, 10, 2), "scheduled",
                       "C-2", None]],
    }
    book = make_workbook(tmp_path / "t.xlsx", sheets)
    trackers = "".join(f'[trackers.{n}]\npath = "{book.name}"\nsheet = "{s}"\n' for n, s in (
        ("clients", "Clients"), ("providers", "Providers"), ("appointments", "Appointments"),
        ("referrals", "Referrals")))
    path = tmp_path / "practice.toml"
    path.write_text(f'[practice]\nname = "Lakeside"\ntimezone = "America/New_York"\nphone = "555-0100"\n'
                    f'[people]\nva = ["va@lake.example"]\nowner = "owner@lake.example"\n{trackers}'
                    f'[email]\ntransport = "graph"\nfrom = "Lakeside <office@lake.example>"\n'
                    f'[email.graph]\ntenant_id = "t"\nclient_id = "c"\n[work_queue]\npath = "queue.xlsx"\n'
                    f'[state]\ndir = "var"\n[security]\ngateway_subject_tag = "{"[secure]" if gateway else ""}"\n')
    return path


def run(path, job, day=MONDAY, hour=9):
    return jobs.run(config_module.load(path), job, day, datetime.combine(day, time(hour), tzinfo=ZONE))


def test_a_physician_hears_once_that_the_person_was_seen(tmp_path, monkeypatch):
    with GraphStandIn() as graph:
        monkeypatch.setenv("GRAPH_EMULATOR_HOST", graph.host)
        path = write_practice(tmp_path, gateway=True)
        run(path, "digests")
        result = run(path, "digests", MONDAY + timedelta(days=1))
        sent = [m for _, m in graph.sent if m["X-Practice-Ops-Kind"] == "referral_acknowledgment"]
        assert [m["To"] for m in sent] == ["ng@clinic.example"]               # once, and only for the one seen
        assert sent[0]["Subject"] == "[secure] Your referral to Lakeside"
        text = sent[0].get_body(("plain",)).get_content()
        assert "We saw them for a first session on Dec 2, 2026" in text and "Ana" in text
        asks = [f for f in result.findings if f.rule == "compliance.message_blocked"
                and f.refs["message_kind"] == "referral_acknowledgment"]
        assert len(asks) == 1 and "fax or call Dr. Po" in asks[0].message        # no address on file


def test_without_a_secure_way_the_va_faxes_or_calls(tmp_path, monkeypatch):
    with GraphStandIn() as graph:
        monkeypatch.setenv("GRAPH_EMULATOR_HOST", graph.host)
        result = run(write_practice(tmp_path, gateway=False), "digests")
        assert not [m for _, m in graph.sent if m["X-Practice-Ops-Kind"] == "referral_acknowledgment"]
        asks = {f.refs["recipient"]: f.message for f in result.findings if f.rule == "compliance.message_blocked"
                and f.refs["message_kind"] == "referral_acknowledgment"}
        assert set(asks) == {"ng@clinic.example", "Dr. Po"} and "fax or call Dr. Ng" in asks["ng@clinic.example"]


def test_the_vas_note_counts_referrals_waiting_for_a_first_call(tmp_path, monkeypatch):
    with GraphStandIn() as graph:
        monkeypatch.setenv("GRAPH_EMULATOR_HOST", graph.host)
        run(write_practice(tmp_path, gateway=True), "reconcile")
        note = next(m for _, m in graph.sent if m["X-Practice-Ops-Kind"] == "va_work_queue")
        assert "1 referral waits for a first call" in note.get_body(("plain",)).get_content()


def test_the_weekly_summarys_referral_and_recall_figures_equal_a_hand_count(tmp_path, monkeypatch):
    with GraphStandIn() as graph:
        monkeypatch.setenv("GRAPH_EMULATOR_HOST", graph.host)
        path = write_practice(tmp_path, gateway=True)
        run(path, "weekly-summary")
        book = openpyxl.load_workbook(next((tmp_path).glob("weekly-summary-*.xlsx")))
        figures = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row and row[0]}
        # the week is Nov 30 - Dec 6; four weeks back from its end: Nov 9 - Dec 6 -> R-1, R-2, R-3, R-4 (not R-5)
        assert figures["Referrals received (four weeks to the week's end)"] == 4
        assert figures["Referrals that became clients"] == 2
        assert figures["Front desk: days from a referral to its first call (median)"] == 2   # R-1 0, R-2 2, R-4 3
        assert figures["Clients who drifted off this month (nothing booked)"] == 1   # C-2: seen Nov 10, due Dec 2
        rows = list(book["Referrals"].iter_rows(values_only=True))[1:]
        assert ("Dr. Ng", "Physician", 2, 1, 1, 0) in rows


def test_a_client_who_just_asked_to_cancel_by_reply_is_not_also_on_the_recall_list(tmp_path):
    from automations.jobs.run_state import queue_findings
    from automations.ledger import Ledger
    from automations.rules.continuity import no_next_appointment
    from automations.rules.replies import reply_needs_action

    ledger = Ledger(tmp_path / "var")
    try:
        recall = [no_next_appointment.found("C-1 drifted.", refs={"client": "C-1"}),
                  no_next_appointment.found("C-2 drifted.", refs={"client": "C-2"})]
        reply = reply_needs_action.found("C-1 replied: asks to cancel.", refs={"client": "C-1"}, key="SM1")
        shown = queue_findings(ledger, MONDAY, [reply], recall)
        assert sorted((f.rule, f.refs["client"]) for f in shown) == [
            ("scheduling.no_next_appointment", "C-2"), ("scheduling.reply_needs_action", "C-1")]
    finally:
        ledger.close()

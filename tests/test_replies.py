"""Hearing back, through the command line, against the stand-ins: a scripted week of a practice
that reminds by email (Microsoft 365 through Graph) and by text (Twilio), asks for an answer, and
reads what comes back. The ledger, the queue, the clinician's digest and the waitlist show what each
answer should; nothing is sent twice; no text goes without consent or after STOP; no tracker byte
changes."""

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import date, time

import openpyxl
import pytest

from tests.conftest import ROOT, make_workbook
from tests.standins.mail import GraphStandIn
from tests.standins.twilio import TwilioStandIn

pytestmark = pytest.mark.timeout(180)

PRACTICE_NUMBER = "+15550100199"
ROSA, KIM, UNKNOWN = "+15552100101", "+15552100103", "+15552100999"


def write_practice(tmp_path):
    sheets = {
        "Clients": [["Client ID", "First Name", "Last Name", "Email", "Email Consent", "Phone", "Text Consent", "Payer"],
                    ["C-1", "Rosa", "Diaz", "rosa@mail.example", "plain_ok", "(555) 210-0101", "Y", "Self-pay"],
                    ["C-2", "Sam", "Ortiz", "sam@mail.example", "plain_ok", "(555) 210-0102", "N", "Self-pay"],
                    ["C-3", "Kim", "Park", None, "none", "555.210.0103", date(2026, 1, 5), "Self-pay"],
                    ["C-4", "Lee", "Wong", "lee@mail.example", "plain_ok", "(555) 210-0104", None, "Self-pay"]],
        "Providers": [["Provider", "Email", "Accepting New", "Specialties", "Weekly Capacity"],
                      ["Ann Lee", "ann@lake.example", "Y", "anxiety; grief", 2]],
        "Appointments": [["Appointment ID", "Client ID", "Provider", "Date", "Time", "Duration Min", "Modality",
                          "Telehealth Link", "Status", "Payer"],
                         ["A-0", "C-2", "Ann Lee", date(2026, 11, 25), time(10), 50, "in_person", None, "scheduled",
                          "Self-pay"],
                         ["A-1", "C-1", "Ann Lee", date(2026, 12, 9), time(10), 50, "video", "https://meet.example/a1",
                          "scheduled", "Self-pay"],
                         ["A-2", "C-2", "Ann Lee", date(2026, 12, 9), time(11), 50, "in_person", None, "scheduled",
                          "Self-pay"],
                         ["A-3", "C-3", "Ann Lee", date(2026, 12, 9), time(13), 50, "in_person", None, "scheduled",
                          "Self-pay"],
                         ["A-4", "C-4", "Ann Lee", date(2026, 12, 9), time(14), 50, "in_person", None, "scheduled",
                          "Self-pay"]],
        "Waitlist": [["Prospect ID", "Email", "Requested Specialty", "Payer", "Last Contacted On", "Status"],
                     ["W-1", "wren@mail.example", "anxiety", "Self-pay", date(2026, 12, 1), "waiting"]],
    }
    book = make_workbook(tmp_path / "t.xlsx", sheets)
    trackers = "".join(f'[trackers.{n}]\npath = "{book.name}"\nsheet = "{s}"\n' for n, s in (
        ("clients", "Clients"), ("providers", "Providers"), ("appointments", "Appointments"), ("waitlist", "Waitlist")))
    (tmp_path / "practice.toml").write_text(f"""[practice]
name = "Lakeside"
timezone = "America/New_York"
phone = "555-0100"
[people]
va = ["va@lake.example"]
{trackers}
[email]
transport = "graph"
from = "Lakeside <office@lake.example>"
[email.graph]
tenant_id = "t"
client_id = "c"
[work_queue]
path = "queue.xlsx"
[state]
dir = "var"
[security]
gateway_subject_tag = "[secure]"
[reminders]
channels = ["email", "sms"]
ask_to_confirm = true
[sms]
account_sid = "AC{'0' * 32}"
from_number = "{PRACTICE_NUMBER}"
""")
    return tmp_path / "practice.toml", book


def cli(config, env, *args, now):
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "--config", str(config), *args, "--now", now, "--json"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def reply_email(sender, body, *, answers="", message_id, **headers):
    lines = [f"From: {sender}", "To: office@lake.example", "Subject: Re: Appointment reminder from Lakeside",
             f"Message-ID: {message_id}", "Date: Mon, 07 Dec 2026 15:30:00 -0500"]
    if answers:
        lines += [f"In-Reply-To: {answers}", f"References: {answers}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def rows(queue):
    book = openpyxl.load_workbook(queue, read_only=True)
    sheet = book["Work queue"]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    found = [dict(zip(header, (c.value for c in row), strict=False)) for row in sheet.iter_rows(min_row=2)]
    book.close()
    return found


def test_a_week_of_reminders_and_answers(tmp_path):
    config, book = write_practice(tmp_path)
    tracker_bytes = hashlib.sha256(book.read_bytes()).hexdigest()
    with GraphStandIn() as graph, TwilioStandIn(number=PRACTICE_NUMBER) as twilio:
        env = {**os.environ, "GRAPH_EMULATOR_HOST": graph.host, "TWILIO_EMULATOR_HOST": twilio.host}
        env.pop("PRACTICE_OPS_GRAPH_CLIENT_SECRET", None)

        # Nov 23: a reminder for Sam's session of the 25th, which he will answer two weeks late
        cli(config, env, "run", "reminders", now="2026-11-23T12:00-05:00")
        old_reminder = next(m for _, m in graph.sent if m["To"] == "sam@mail.example")["Message-ID"]
        first_run = len(graph.sent)                                      # and Ann's calendar invitations

        # Dec 7, 2:30 PM: the 48-hour reminders, by each channel each client consented to
        out = cli(config, env, "run", "reminders", now="2026-12-07T14:30-05:00")
        emails = {m["To"]: m for _, m in graph.sent[first_run:] if m["X-Practice-Ops-Kind"] == "appointment_reminder"}
        assert set(emails) == {"rosa@mail.example", "sam@mail.example", "lee@mail.example"}    # Kim declined email
        texts = {m["to"]: m["body"] for m in twilio.sent()}
        assert set(texts) == {ROSA, KIM}                                 # Sam said no to texts; Lee never said
        assert all("Reply C to confirm or R to reschedule." in body and len(body) <= 160 for body in texts.values())
        assert texts[ROSA].startswith("Lakeside: reminder of your appointment Wed Dec 9, 10:00 AM EST. Join by video: "
                                      "https://meet.example/a1.")
        assert "Reply C to confirm or R to reschedule" in emails["lee@mail.example"].get_body(("plain",)).get_content()
        assert not [m for m in out["messages"] if m["status"] not in ("sent",)]

        # the answers come back
        rosa_c = twilio.client_texts(ROSA, "C")
        twilio.client_texts(KIM, "cancel pls")
        twilio.client_texts(UNKNOWN, "Hi is this the dentist?")
        lee_reminder = emails["lee@mail.example"]
        quoted = "\r\n".join("> " + line for line in lee_reminder.get_body(("plain",)).get_content().splitlines())
        graph.receive(reply_email("Lee <lee@mail.example>", "R\r\n\r\nOn Mon, Dec 7 Lakeside wrote:\r\n" + quoted,
                                  answers=lee_reminder["Message-ID"], message_id="<lee-1@mail.example>"))
        graph.receive(reply_email("Lee <lee@mail.example>", "R", answers=lee_reminder["Message-ID"],
                                  message_id="<lee-1@mail.example>"))                   # the same reply delivered twice
        graph.receive(reply_email("Sam <sam@mail.example>", "C", answers=old_reminder, message_id="<sam-1@mail.example>"))
        graph.receive(reply_email("Sam <sam@mail.example>", "I am out of the office until Monday.",
                                  message_id="<sam-ooo@mail.example>", Auto_Submitted="auto-replied"))
        out = cli(config, env, "run", "replies", now="2026-12-07T16:00-05:00")
        twilio.client_texts(ROSA, "HELP")
        cli(config, env, "run", "replies", now="2026-12-07T16:10-05:00")
        twilio.client_texts(ROSA, "STOP")
        out = cli(config, env, "run", "replies", now="2026-12-07T16:15-05:00")
        out = cli(config, env, "run", "replies", now="2026-12-07T16:30-05:00")       # the same replies polled again

        ledger = sqlite3.connect(tmp_path / "var" / "ledger.sqlite3")
        assert dict(ledger.execute("SELECT appointment_id, via FROM confirmed")) == {"A-1": "sms reply"}
        assert list(ledger.execute("SELECT channel, recipient, client_id FROM opted_out")) == [("sms", ROSA, "C-1")]
        handled = dict(ledger.execute("SELECT provider_id, intent FROM replies"))
        assert handled[rosa_c["sid"]] == "confirm" and handled["<sam-ooo@mail.example>"] == "auto_reply"
        assert handled["<sam-1@mail.example>"] == "unclear"               # a confirmation of a session long past
        assert sorted(handled.values()) == sorted(["confirm", "reschedule", "unclear", "reschedule", "unclear",
                                                   "auto_reply", "help", "stop"])
        help_texts = [m for m in twilio.sent() if m["to"] == ROSA and "help" in m["body"].lower()]
        assert len(help_texts) == 1 and "Lakeside" in help_texts[0]["body"] and "555-0100" in help_texts[0]["body"]

        found = {(f["rule"], f["refs"].get("appointment") or f["refs"].get("reply")): f for f in out["findings"]}
        kim = found[("scheduling.reply_needs_action", "A-3")]
        assert kim["severity"] == "urgent" and "asks to cancel or reschedule" in kim["message"] and "W-1" in kim["message"]
        assert "cancel pls" not in kim["message"]                        # the client's words: the queue only
        assert found[("scheduling.reply_needs_action", "A-4")]["severity"] == "urgent"
        sam = next(f for f in out["findings"] if f["rule"] == "scheduling.reply_needs_action"
                   and f["refs"].get("client") == "C-2")
        assert "has passed" in sam["message"]
        assert any(f["rule"] == "scheduling.reply_needs_action" and "reply" in f["refs"] for f in out["findings"])
        assert [f["refs"]["client"] for f in out["findings"] if f["rule"] == "compliance.channel_opted_out"] == ["C-1"]
        assert ("scheduling.waitlist_match", "A-3") in found               # the freed hour, ready to approve
        queue = {r["Finding ID"]: r for r in rows(tmp_path / "queue.xlsx")}
        assert "they wrote: \u201ccancel pls\u201d" in queue[kim["id"]]["Records"]
        assert "call Kim Park, 555.210.0103" in queue[kim["id"]]["Records"]

        # the carrier could not deliver Kim's first text: the VA hears of it once
        twilio.set_status(next(m["sid"] for m in twilio.sent() if m["to"] == KIM), "undelivered", 30005)
        twilio.set_status(next(m["sid"] for m in twilio.sent() if m["to"] == ROSA), "sent")    # not final yet
        out = cli(config, env, "run", "replies", now="2026-12-07T16:45-05:00")
        failed = [f for f in out["findings"] if f["rule"] == "compliance.message_failed"]
        assert len(failed) == 1 and "30005" in failed[0]["message"] and KIM in failed[0]["message"]

        # the VA approves the freed hour for the waitlisted prospect: the opening goes at the next run
        book_of_queue = openpyxl.load_workbook(tmp_path / "queue.xlsx")
        sheet = book_of_queue["Work queue"]
        header = [c.value for c in sheet[1]]
        freed = found[("scheduling.waitlist_match", "A-3")]["id"]
        for row in sheet.iter_rows(min_row=2):
            if row[header.index("Finding ID")].value == freed:
                row[header.index("Status")].value = "Approved"
        book_of_queue.save(tmp_path / "queue.xlsx")

        # Dec 8, 2:30 PM: the 24-hour reminders; Rosa's texts are closed, the unconfirmed are the VA's calls
        before = len(twilio.sent())
        out = cli(config, env, "run", "reminders", now="2026-12-08T14:30-05:00")
        assert [m["to"] for m in twilio.sent()[before:]] == [KIM]
        unconfirmed = {f["refs"]["appointment"]: f for f in out["findings"] if f["rule"] == "scheduling.unconfirmed_session"}
        assert set(unconfirmed) == {"A-2", "A-3", "A-4"}                  # Rosa confirmed A-1
        queue = {r["Finding ID"]: r for r in rows(tmp_path / "queue.xlsx")}
        assert "call Sam Ortiz, (555) 210-0102" in queue[unconfirmed["A-2"]["id"]]["Records"]
        assert [m["To"] for _, m in graph.sent if m["X-Practice-Ops-Kind"] == "waitlist_opening"] == ["wren@mail.example"]

        # Dec 8, the VA's morning note counts the answers, naming nobody
        cli(config, env, "run", "reconcile", now="2026-12-08T06:30-05:00")
        note = next(m for _, m in graph.sent if m["X-Practice-Ops-Kind"] == "va_work_queue").get_body(("plain",))
        assert ("Clients' replies since yesterday: 1 confirmed their session; 4 need you (in the queue); 1 stopped "
                "texts.") in note.get_content()

        # Dec 9, the clinician's morning digest shows who confirmed
        cli(config, env, "run", "digests", now="2026-12-09T07:00-05:00")
        digest = next(m for _, m in graph.sent if m["X-Practice-Ops-Kind"] == "clinician_digest")
        assert digest["Subject"].startswith("[secure]")
        body = digest.get_body(("plain",)).get_content()
        assert "video: https://meet.example/a1. Confirmed" in body and "in the office. Not confirmed yet" in body

        # nothing was sent twice, and no tracker byte changed
        ids = [m["Message-ID"] for _, m in graph.sent]
        assert len(ids) == len(set(ids))
        ledger = sqlite3.connect(tmp_path / "var" / "ledger.sqlite3")
        texts_sent = ledger.execute("SELECT COUNT(*) FROM messages WHERE kind LIKE 'text_%' AND status = 'sent'")
        assert texts_sent.fetchone()[0] == len(twilio.sent()) == 4    # 48 hours: Rosa, Kim; HELP; 24 hours: Kim
        ledger.close()
        assert hashlib.sha256(book.read_bytes()).hexdigest() == tracker_bytes


def test_a_run_killed_while_texting_texts_nobody_twice_and_forgets_nobody(tmp_path):
    clients = [["Client ID", "Phone", "Text Consent", "Email Consent", "Payer"]]
    appointments = [["Appointment ID", "Client ID", "Provider", "Date", "Time", "Status"]]
    for n in range(6):
        clients.append([f"C-{n}", f"(555) 210-01{n:02d}", "Y", "none", "Self-pay"])
        appointments.append([f"A-{n}", f"C-{n}", "Ann Lee", date(2026, 12, 9), time(9 + n), "scheduled"])
    book = make_workbook(tmp_path / "t.xlsx", {"Clients": clients, "Appointments": appointments,
                                               "Providers": [["Provider"], ["Ann Lee"]]})
    trackers = "".join(f'[trackers.{n}]\npath = "{book.name}"\nsheet = "{s}"\n' for n, s in (
        ("clients", "Clients"), ("providers", "Providers"), ("appointments", "Appointments")))
    config = tmp_path / "practice.toml"
    config.write_text(f'[practice]\nname = "Lakeside"\ntimezone = "America/New_York"\nphone = "555-0100"\n{trackers}'
                      f'[email]\noutbox_dir = "outbox"\n[state]\ndir = "var"\n[work_queue]\npath = "q.xlsx"\n'
                      f'[reminders]\nchannels = ["sms"]\n[sms]\nfrom_number = "{PRACTICE_NUMBER}"\n')
    with TwilioStandIn(number=PRACTICE_NUMBER, stall_on=3) as twilio:
        env = {**os.environ, "TWILIO_EMULATOR_HOST": twilio.host}
        command = [sys.executable, str(ROOT / "run.py"), "--config", str(config), "run", "reminders",
                   "--now", "2026-12-07T14:30-05:00"]
        running = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            assert twilio.stalled.wait(60)
        finally:
            running.send_signal(signal.SIGKILL if hasattr(signal, "SIGKILL") else signal.SIGTERM)
            running.wait(30)
            twilio.release.set()
        assert len(twilio.sent()) == 2
        rerun = cli(config, env, "run", "reminders", now="2026-12-07T14:35-05:00")
        assert any("stopped before it ended" in n for n in rerun["notices"])
        numbers = sorted(m["to"] for m in twilio.sent())
        assert numbers == [f"+1555210{n:04d}" for n in range(100, 106)]   # each once: nobody twice, nobody forgotten
        assert not [f for f in rerun["findings"] if f["rule"] == "scheduling.reminder_blocked"]

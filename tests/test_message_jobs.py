"""The message jobs' behaviours one at a time, in-process, on small practices in tmp_path."""

from datetime import date, datetime, time, timedelta
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import openpyxl
from icalendar import Calendar

from automations import config as config_module
from automations import jobs
from tests.conftest import make_workbook

ZONE = ZoneInfo("America/New_York")
DAY = date(2026, 11, 26)
AT_NINE = datetime(2026, 11, 26, 9, tzinfo=ZONE)


def write_practice(tmp_path, appointments, *, clients=None, waitlist=None, extra=""):
    clients = clients or [["C-1", "Rosa", "Quixote", "rosa@mail.example", "plain_ok", "Aetna", None, None]]
    sheets = {
        "Clients": [["Client ID", "First Name", "Last Name", "Email", "Email Consent", "Payer", "Balance",
                     "Balance Since"], *clients],
        "Providers": [["Provider", "Email", "Accepting New", "Specialties", "Weekly Capacity"],
                      ["Ann Lee", "ann@lake.example", "Y", "grief; anxiety", 20]],
        "Appointments": [["Appointment ID", "Client ID", "Provider", "Date", "Time", "Duration Min", "Modality",
                          "Telehealth Link", "Status", "Payer"], *appointments],
        "Waitlist": [["Prospect ID", "Email", "Requested Specialty", "Payer", "Last Contacted On", "Status"],
                     *(waitlist or [])],
    }
    book = make_workbook(tmp_path / "t.xlsx", sheets)
    trackers = "".join(f'[trackers.{n}]\npath = "{book.name}"\nsheet = "{s}"\n' for n, s in (
        ("clients", "Clients"), ("providers", "Providers"), ("appointments", "Appointments"), ("waitlist", "Waitlist")))
    path = tmp_path / "practice.toml"
    path.write_text(f"""[practice]
name = "Lakeside"
timezone = "America/New_York"
phone = "555-0100"
[people]
va = ["va@lake.example"]
owner = "owner@lake.example"
{trackers}
[email]
from = "Lakeside <office@lake.example>"
outbox_dir = "outbox"
[work_queue]
path = "queue.xlsx"
[state]
dir = "var"
[security]
gateway_subject_tag = "[secure]"
{extra}
""")
    return path


def run(path, job, now=AT_NINE):
    return jobs.run(config_module.load(path), job, now.date(), now)


def sent(result, kind):
    return [m for m in result.messages if m.kind == kind and m.status == "sent"]


def invite_in(tmp_path, message_id):
    for eml in (tmp_path / "outbox").glob("calendar_invite-*.eml"):
        message = message_from_bytes(eml.read_bytes(), policy=policy.default)
        if message["Message-ID"] == message_id:
            part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
            return message, Calendar.from_ical(part.get_content())
    raise AssertionError(message_id)


def appt(id="A-1", day=DAY + timedelta(days=2), at=time(10), status="scheduled", modality="in_person", link=None,
         client="C-1"):
    return [id, client, "Ann Lee", day, at, 50, modality, link, status, "Aetna"]


def test_an_invite_follows_the_appointment_through_a_move_and_a_cancellation(tmp_path):
    path = write_practice(tmp_path, [appt()])
    first = sent(run(path, "reminders"), "calendar_invite")
    message, cal = invite_in(tmp_path, first[0].message_id)
    assert message["Subject"] == "Session invitation: Saturday, November 28 at 10:00 AM" and first[0].security == "plain"
    assert message.get_params(header="content-type")  # multipart/alternative with a text/calendar part
    event = cal.walk("VEVENT")[0]
    assert (cal["method"], event["sequence"], str(event["summary"])) == ("REQUEST", 0, "Session")
    uid = str(event["uid"])
    assert "A-1" not in uid and "A-1" not in message.as_string()     # no record id travels in clear

    assert sent(run(path, "reminders"), "calendar_invite") == []           # unchanged: nothing

    write_practice(tmp_path, [appt(at=time(11))])                          # moved
    moved = sent(run(path, "reminders"), "calendar_invite")
    _, cal = invite_in(tmp_path, moved[0].message_id)
    event = cal.walk("VEVENT")[0]
    assert (cal["method"], event["sequence"], str(event["uid"])) == ("REQUEST", 1, uid)
    assert event.decoded("dtstart") == datetime(2026, 11, 28, 11, tzinfo=ZONE)

    write_practice(tmp_path, [appt(at=time(11), status="cancelled")])      # cancelled
    cancelled = sent(run(path, "reminders"), "calendar_invite")
    _, cal = invite_in(tmp_path, cancelled[0].message_id)
    event = cal.walk("VEVENT")[0]
    assert (cal["method"], event["sequence"], str(event["uid"]), str(event["status"])) == (
        "CANCEL", 2, uid, "CANCELLED")
    assert sent(run(path, "reminders"), "calendar_invite") == []


def test_an_appointment_invited_before_opaque_uids_keeps_its_uid(tmp_path):
    """Calendars hold the event under the UID they were sent: a move updates that event, never a new one."""
    from automations.ledger import Ledger

    path = write_practice(tmp_path, [appt()])
    first = sent(run(path, "reminders"), "calendar_invite")
    _, cal = invite_in(tmp_path, first[0].message_id)
    ledger = Ledger(tmp_path / "var")
    old = "appointment-A-1@lake.example"
    ledger.db.execute("UPDATE invites SET uid = ?", (old,))
    ledger.close()
    write_practice(tmp_path, [appt(at=time(11))])                          # moved
    moved = sent(run(path, "reminders"), "calendar_invite")
    _, cal = invite_in(tmp_path, moved[0].message_id)
    assert (cal["method"], str(cal.walk("VEVENT")[0]["uid"])) == ("REQUEST", old)


def test_no_client_messages_outside_the_sending_hours(tmp_path):
    path = write_practice(tmp_path, [appt(day=DAY + timedelta(days=1))])
    early = run(path, "reminders", datetime(2026, 11, 26, 7, 30, tzinfo=ZONE))
    assert sent(early, "appointment_reminder") == []
    assert any("outside the sending hours" in n for n in early.notices)
    assert len(sent(run(path, "reminders", datetime(2026, 11, 26, 8, 0, tzinfo=ZONE)), "appointment_reminder")) == 1


def test_one_reminder_per_window(tmp_path):
    path = write_practice(tmp_path, [appt(day=DAY + timedelta(days=1), at=time(15))])  # 30 hours ahead at 09:00
    assert len(sent(run(path, "reminders"), "appointment_reminder")) == 1              # the 48-hour one
    assert sent(run(path, "reminders", AT_NINE + timedelta(hours=2)), "appointment_reminder") == []
    assert len(sent(run(path, "reminders", AT_NINE + timedelta(hours=7)), "appointment_reminder")) == 1  # 24 h


def test_back_to_back_sessions_share_one_reminder(tmp_path):
    path = write_practice(tmp_path, [appt("A-1", DAY + timedelta(days=1), time(10)),
                                     appt("A-2", DAY + timedelta(days=1), time(11))])
    reminders = sent(run(path, "reminders"), "appointment_reminder")
    assert len(reminders) == 1
    eml = next((tmp_path / "outbox").glob("appointment_reminder-*.eml"))
    text = message_from_bytes(eml.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
    assert "10:00 AM" in text and "11:00 AM" in text and "appointments" in text


def test_a_balance_notice_goes_once_and_says_no_amount(tmp_path):
    clients = [["C-1", "Rosa", "Quixote", "rosa@mail.example", "plain_ok", "Self-pay", "$170.00",
                DAY - timedelta(days=45)]]
    path = write_practice(tmp_path, [], clients=clients)
    first = sent(run(path, "reminders"), "balance_notice")
    assert len(first) == 1 and first[0].security == "gateway"   # limited PHI: the gateway, as configured
    eml = next((tmp_path / "outbox").glob("balance_notice-*.eml"))
    assert b"170" not in eml.read_bytes()
    assert sent(run(path, "reminders", AT_NINE + timedelta(days=1)), "balance_notice") == []


def test_an_approved_waitlist_match_sends_the_opening_once_and_closes_the_item(tmp_path):
    waitlist = [["W-1", "sam@mail.example", "grief", "Self-pay", DAY - timedelta(days=2), "Waiting"]]
    path = write_practice(tmp_path, [], waitlist=waitlist)
    reconciled = run(path, "reconcile")
    match = next(f for f in reconciled.findings if f.rule == "scheduling.waitlist_match")
    assert sent(run(path, "reminders"), "waitlist_opening") == []          # not approved yet
    book = openpyxl.load_workbook(tmp_path / "queue.xlsx")
    sheet = book["Work queue"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("Finding ID")].value == match.id:
            row[header.index("Status")].value = "Approved"
    book.save(tmp_path / "queue.xlsx")
    opening = sent(run(path, "reminders"), "waitlist_opening")
    assert [m.to for m in opening] == ["sam@mail.example"]
    assert sent(run(path, "reminders"), "waitlist_opening") == []
    book = openpyxl.load_workbook(tmp_path / "queue.xlsx")
    aside = [dict(zip([c.value for c in book["Set aside"][1]], [c.value for c in row], strict=False))
             for row in book["Set aside"].iter_rows(min_row=2)]
    assert [(r["Finding ID"], r["Status"]) for r in aside] == [(match.id, "Done")]
    assert aside[0]["Notes"].startswith("opening notice sent 2026-11-26")


def test_the_va_note_counts_the_open_queue(tmp_path):
    path = write_practice(tmp_path, [appt(day=DAY - timedelta(days=5))])   # still 'scheduled': status_not_updated
    result = run(path, "reconcile")
    note = sent(result, "va_work_queue")
    assert [m.to for m in note] == ["va@lake.example"]
    eml = next((tmp_path / "outbox").glob("va_work_queue-*.eml"))
    text = message_from_bytes(eml.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
    assert f"has {len(result.queue.open)} open item" in text
    from automations.rules.findings import overdue

    late = sum(1 for f in result.queue.open if f.severity != "urgent" and overdue(f, DAY))
    assert late and f"{late} {'is' if late == 1 else 'are'} past due: start there." in text


def test_the_weekly_summary_goes_to_the_owner_once_a_week_with_its_workbook(tmp_path):
    path = write_practice(tmp_path, [appt(day=DAY - timedelta(days=5), status="completed")])
    monday = datetime(2026, 11, 30, 7, 30, tzinfo=ZONE)
    first = sent(run(path, "weekly-summary", monday), "weekly_summary")
    assert [(m.to, m.security) for m in first] == [("owner@lake.example", "gateway")]
    eml = next((tmp_path / "outbox").glob("weekly_summary-*.eml"))
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    attachment = next(message.iter_attachments())
    assert attachment.get_filename() == "weekly-summary-2026-W48.xlsx"
    assert (tmp_path / "weekly-summary-2026-W48.xlsx").exists()
    assert sent(run(path, "weekly-summary", monday + timedelta(days=1)), "weekly_summary") == []
    assert len(sent(run(path, "weekly-summary", monday + timedelta(days=7)), "weekly_summary")) == 1


def test_a_work_queue_that_cannot_be_written_does_not_stop_the_reminders(tmp_path):
    import zipfile

    path = write_practice(tmp_path, [appt(day=DAY + timedelta(days=1))])
    run(path, "reconcile")
    queue = tmp_path / "queue.xlsx"
    with zipfile.ZipFile(queue) as book:        # damaged, as a half-synced shared drive leaves it
        parts = {name: book.read(name) for name in book.namelist()}
    parts["xl/worksheets/sheet1.xml"] = b"<worksheet><sheetData><row"
    with zipfile.ZipFile(queue, "w") as book:
        for name, data in parts.items():
            book.writestr(name, data)
    result = run(path, "reminders")
    assert len(sent(result, "appointment_reminder")) == 1
    assert any("queue.xlsx was not a work queue practice-ops could use" in n for n in result.notices)
    assert (tmp_path / "queue (set aside 2026-11-26).xlsx").exists() and queue.exists()


def test_invites_with_initials_are_limited_phi_and_go_through_the_gateway(tmp_path):
    tomorrow = DAY + timedelta(days=2)
    path = write_practice(tmp_path, [["A-1", "C-1", "Ann Lee", tomorrow, time(10), 50, "in_person", None, "scheduled",
                                      "Aetna"]], extra='[invites]\ndetail = "initials"\n')
    invite = sent(run(path, "reminders"), "calendar_invite")
    assert [o.security for o in invite] == ["gateway"]
    eml = next((tmp_path / "outbox").glob("calendar_invite-*.eml"))
    assert "R.Q. (C-1)" in eml.read_text()


def test_client_sender_name_gives_client_mail_a_neutral_name_and_subject(tmp_path):
    tomorrow = DAY + timedelta(days=1)
    path = write_practice(tmp_path, [["A-1", "C-1", "Ann Lee", tomorrow, time(10), 50, "in_person", None, "scheduled",
                                      "Aetna"]], extra="")
    path.write_text(path.read_text().replace('[email]\n', '[email]\nclient_sender_name = "Appointments"\n'))
    run(path, "all")
    reminder = message_from_bytes(next((tmp_path / "outbox").glob("appointment_reminder-*.eml")).read_bytes(),
                                  policy=policy.default)
    assert reminder["From"] == "Appointments <office@lake.example>"
    assert "Lakeside" not in reminder["Subject"] and "Appointments" in reminder["Subject"]
    note = message_from_bytes(next((tmp_path / "outbox").glob("va_work_queue-*.eml")).read_bytes(),
                              policy=policy.default)
    assert note["From"] == "Lakeside <office@lake.example>"


def test_a_broken_template_and_an_unusable_certificate_block_only_their_messages(tmp_path):
    from tests.pki import make_identity

    tomorrow = DAY + timedelta(days=1)
    path = write_practice(tmp_path, [["A-1", "C-1", "Ann Lee", tomorrow, time(10), 50, "in_person", None, "scheduled",
                                      "Aetna"]])
    path.write_text(path.read_text().replace('gateway_subject_tag = "[secure]"',
                                             'gateway_subject_tag = ""\ncertificates = "certs"'))
    make_identity(tmp_path / "keys", "ann@lake.example", certs_dir=tmp_path / "certs", key_type="ec")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "appointment_reminder.txt.j2").write_text(
        '{% set phi = "limited" %}{% set subject = "Hi" %}{{ no_such_value.attribute }}')
    (tmp_path / "templates" / "appointment_reminder.html.j2").write_text("<p>x</p>")
    result = run(path, "all")
    assert sent(result, "va_work_queue"), "the other kinds still go"
    blocked = {(f.rule, f.refs.get("message_kind", "")): f.message for f in result.findings
               if f.rule in ("compliance.message_blocked", "scheduling.reminder_blocked")}
    assert "template cannot be used" in blocked[("scheduling.reminder_blocked", "")]
    assert any("would not be sent" in n and "morning digest for Ann Lee" in n and "non-RSA" in n
               for n in result.notices)


def test_a_live_practice_tells_the_va_of_a_message_it_could_not_send_securely(tmp_path):
    """Live (here through a local SMTP relay), a digest with no secure channel is a finding for the VA."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    from tests.transports.test_transports import free_port

    port = free_port()
    server = Controller(Sink(), hostname="127.0.0.1", port=port)
    server.start()
    try:
        path = write_practice(tmp_path, [["A-1", "C-1", "Ann Lee", DAY + timedelta(days=1), time(10), 50, "in_person",
                                          None, "scheduled", "Aetna"]])
        path.write_text(path.read_text().replace('gateway_subject_tag = "[secure]"', 'gateway_subject_tag = ""')
                        .replace('transport = "outbox"', "").replace("[email]\n", '[email]\ntransport = "smtp"\n')
                        + f'\n[email.smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n')
        result = run(path, "digests")
    finally:
        server.stop()
    blocked = [f for f in result.findings if f.rule == "compliance.message_blocked"]
    assert [f.refs.get("message_kind") for f in blocked] == ["clinician_digest"]


def test_a_duplicated_client_id_sends_nothing_to_either_address(tmp_path):
    tomorrow = DAY + timedelta(days=1)
    clients = [["C-1", "Rosa", "Q", "rosa@mail.example", "plain_ok", "Aetna", None, None],
               ["C-1", "Rosa", "Q", "someone.else@mail.example", "plain_ok", "Aetna", None, None],
               ["C-2", "Ana", "B", "ana@mail.example", "plain_ok", "Aetna", None, None]]
    path = write_practice(tmp_path, [appt(id="A-1", day=tomorrow), appt(id="A-2", day=tomorrow, client="C-2",
                                                                           at=time(11))], clients=clients)
    result = run(path, "reminders")
    assert [o.to for o in sent(result, "appointment_reminder")] == ["ana@mail.example"]
    blocked = [f for f in result.findings if f.rule == "scheduling.reminder_blocked"]
    assert len(blocked) == 1 and "on two rows" in blocked[0].message
    assert any(f.rule == "data.duplicate_id" and "no message goes to either row's address" in f.message
               for f in result.findings)


def test_a_duplicated_appointment_id_uses_the_last_row_and_reruns_never_flip_the_invitation(tmp_path):
    first_row = appt(id="A-1", day=DAY + timedelta(days=2), at=time(9))
    last_row = appt(id="A-1", day=DAY + timedelta(days=2), at=time(14))
    path = write_practice(tmp_path, [first_row, last_row])
    invites = []
    for hours in (0, 1, 2):
        result = run(path, "reminders", now=AT_NINE + timedelta(hours=hours))
        invites += sent(result, "calendar_invite")
    assert len(invites) == 1, "one invitation, never re-sent back and forth"
    eml = next((tmp_path / "outbox").glob("calendar_invite-*.eml"))
    event = next(Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")[0]
                 for part in message_from_bytes(eml.read_bytes(), policy=policy.default).walk()
                 if part.get_content_type() == "text/calendar")
    assert event["dtstart"].dt.hour == 14


def test_an_outbox_the_disk_cannot_flush_at_the_end_is_a_notice_and_the_run_still_ends(tmp_path, monkeypatch):
    from automations.transports import outbox

    path = write_practice(tmp_path, [appt(day=DAY + timedelta(days=1), at=time(15))])
    monkeypatch.setattr(outbox, "_flush_folder", lambda folder: "No space left on device")
    result = run(path, "reminders")
    assert len(sent(result, "appointment_reminder")) == 1
    assert any(n.startswith("email through outbox: outbox ") and "may not be on disk (No space left on device)" in n
               for n in result.notices), result.notices


def test_a_video_reminder_without_its_link_is_held_and_the_va_told_urgently(tmp_path):
    """Reminded twice with no way to join, once; now the reminder waits for its link, and the VA's
    queue says whom to call, by name."""
    path = write_practice(tmp_path, [appt(day=DAY + timedelta(days=1), modality="video")])
    held = run(path, "reminders")
    assert sent(held, "appointment_reminder") == []
    finding = next(f for f in held.findings if f.rule == "scheduling.reminder_blocked")
    assert finding.severity == "urgent" and "no working link" in finding.message
    assert finding.details["call"] == "Rosa Quixote, no phone number on file"
    assert "Rosa" not in finding.message                                     # the terminal shows the message
    write_practice(tmp_path, [appt(day=DAY + timedelta(days=1), modality="video", link="https://v.example/a-1")])
    later = run(path, "reminders", AT_NINE + timedelta(hours=1))
    (reminder,) = sent(later, "appointment_reminder")
    assert b"https://v.example/a-1" in next((tmp_path / "outbox").glob("appointment_reminder-*.eml")).read_bytes()


def test_a_client_who_chose_plain_email_is_greeted_by_name_and_a_video_time_carries_its_zone(tmp_path):
    path = write_practice(tmp_path, [appt(day=DAY + timedelta(days=1), modality="video", link="https://v.example/1")],
                          clients=[["C-1", "Rosa", "Quixote", "rosa@mail.example", "plain_ok", "Aetna", None, None]])
    run(path, "reminders")
    text = next((tmp_path / "outbox").glob("appointment_reminder-*.eml")).read_text()
    assert "Hello Rosa," in text and "10:00 AM (EST)" in text and "Quixote" not in text


def test_a_balance_notice_links_the_portal(tmp_path):
    clients = [["C-1", "Rosa", "Quixote", "rosa@mail.example", "plain_ok", "Aetna", 80, DAY - timedelta(days=40)]]
    path = write_practice(tmp_path, [], clients=clients, extra='')
    path.write_text(path.read_text().replace('phone = "555-0100"', 'phone = "555-0100"\nportal_url = "https://portal.lake.example"'))
    run(path, "reminders")
    text = next((tmp_path / "outbox").glob("balance_notice-*.eml")).read_text()
    assert "https://portal.lake.example" in text


def test_a_run_says_why_it_counts_more_findings_than_check(tmp_path):
    """`check` said 36 and `run all` 51, with no word why."""
    from automations import config as config_module
    from automations import jobs

    path = write_practice(tmp_path, [appt(day=DAY + timedelta(days=1), modality="video")])  # held: no link
    checked = jobs.check(config_module.load(path), DAY)
    ran = run(path, "reminders")
    more = len(ran.findings) - len(checked.findings)
    assert more > 0 and any(n.startswith(f"{more} of these findings come from sending") for n in ran.notices)

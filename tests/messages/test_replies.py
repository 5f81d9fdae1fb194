"""What a client's answer says: only a whole confirmation acts on its own; STOP closes the channel;
anything else is the VA's; a machine's reply is never an answer."""

from datetime import UTC, datetime

import pytest

from automations.messages.replies import (
    REF,
    Intent,
    Reply,
    answer_text,
    quoted_words,
    refs_in,
    reply_from_email,
    reply_token,
    what_it_says,
)

WHEN = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


def text(body: str) -> Reply:
    return Reply("twilio", "SM1", "sms", "+15550100101", WHEN, body)


def email(body: str, **headers: str) -> Reply:
    lines = [f"{name.replace('_', '-')}: {value}" for name, value in
             {"From": "Rosa <rosa@mail.example>", "To": "office@riverbend.example", "Subject": "Re: Appointment reminder",
              "Message-ID": "<r1@mail.example>", "Date": "Mon, 07 Dec 2026 10:00:00 -0500", **headers}.items()]
    return reply_from_email("imap", "1:1", ("\r\n".join(lines) + "\r\n\r\n" + body).encode())


@pytest.mark.parametrize("answer", ["C", "c", "c.", "Yes", "yes!", "Y", "ok", "Okay", "👍", "Confirmed, thanks!",
                                    "confirm", "I'll be there", "Yes thank you", "C 👍", "Sure, see you then"])
def test_a_whole_confirmation_confirms(answer):
    assert what_it_says(text(answer)) == Intent.CONFIRM


@pytest.mark.parametrize("answer", ["R", "r", "Reschedule please", "cancel pls", "I can't make it", "cant make it tmrw",
                                    "Can we move it to Friday?", "need a different time", "I'm sick, sorry"])
def test_asking_to_cancel_or_move_goes_to_the_va(answer):
    assert what_it_says(text(answer)) == Intent.RESCHEDULE


@pytest.mark.parametrize("answer", ["Yes but can we do 4 instead?", "maybe", "Who is this?", "C or R?", "see you",
                                    "no", "What time again?", "yes no"])
def test_anything_not_read_with_confidence_is_unclear_never_a_confirmation(answer):
    assert what_it_says(text(answer)) in (Intent.UNCLEAR, Intent.RESCHEDULE)
    assert what_it_says(text(answer)) != Intent.CONFIRM


@pytest.mark.parametrize("answer", ["STOP", "stop", "Stop.", "UNSUBSCRIBE", "CANCEL", "end", "quit", "revoke",
                                    "opt out", "STOPALL", "please stop texting me", "Don't text me"])
def test_stop_and_its_synonyms_close_texts(answer):
    assert what_it_says(text(answer)) == Intent.STOP


@pytest.mark.parametrize(("answer", "intent"), [("START", Intent.START), ("unstop", Intent.START),
                                                ("HELP", Intent.HELP), ("info", Intent.HELP)])
def test_start_and_help(answer, intent):
    assert what_it_says(text(answer)) == intent


def test_cancel_alone_by_email_is_about_the_session_not_an_opt_out():
    assert what_it_says(email("Cancel")) == Intent.RESCHEDULE
    assert what_it_says(email("Please unsubscribe me")) == Intent.STOP


def test_a_reply_quoting_the_whole_reminder_is_read_above_the_quote():
    quoted = ("C\r\n\r\nOn Sat, Dec 5, 2026 at 9:00 AM Riverbend Counseling <office@riverbend.example> wrote:\r\n"
              "> This is a reminder of your upcoming appointment\r\n> Reply C to confirm or R to reschedule.\r\n"
              "> Ref K7P2M9XD\r\n")
    reply = email(quoted)
    assert answer_text(reply) == "C" and what_it_says(reply) == Intent.CONFIRM
    assert refs_in(reply) == ["K7P2M9XD"]


def test_outlooks_quote_block_and_a_signature_are_left_out():
    body = ("Can't make it this week, sorry\r\n\r\nSent from my iPhone\r\n\r\nFrom: Riverbend Counseling "
            "<office@riverbend.example>\r\nSent: Saturday, December 5, 2026 9:00 AM\r\nTo: rosa@mail.example\r\n"
            "Subject: Appointment reminder\r\n\r\nReply C to confirm or R to reschedule.\r\n")
    reply = email(body)
    assert quoted_words(reply) == "Can't make it this week, sorry"
    assert what_it_says(reply) == Intent.RESCHEDULE


def test_a_wrapped_gmail_quote_header_is_left_out():
    body = "Yes\n\nOn Sat, Dec 5, 2026 at 9:00 AM Riverbend Counseling <\noffice@riverbend.example> wrote:\n\nReply R\n"
    assert what_it_says(email(body)) == Intent.CONFIRM


@pytest.mark.parametrize("headers", [{"Auto_Submitted": "auto-replied"}, {"Auto_Submitted": "auto-generated"},
                                     {"Return_Path": "<>"}, {"X_Autoreply": "yes"}, {"Precedence": "auto_reply"},
                                     {"Subject": "Automatic reply: Appointment reminder"},
                                     {"Subject": "Out of Office: Appointment reminder"}])
def test_machine_written_replies_are_never_an_answer(headers):
    assert what_it_says(email("C", **headers)) == Intent.AUTO_REPLY


def test_an_out_of_office_text_in_the_body_and_a_phones_driving_mode_are_auto_replies():
    assert what_it_says(email("I am out of the office until Monday.")) == Intent.AUTO_REPLY
    assert what_it_says(text("I'm Driving with Do Not Disturb While Driving turned on.")) == Intent.AUTO_REPLY
    assert what_it_says(email("C", Auto_Submitted="no")) == Intent.CONFIRM


def test_an_email_reply_is_known_by_its_message_id_and_names_what_it_answers():
    reply = email("C", In_Reply_To="<appointment_reminder.abc@riverbend.example>",
                  References="<x@y> <appointment_reminder.abc@riverbend.example>")
    assert reply.provider_id == "<r1@mail.example>" and reply.sender == "rosa@mail.example"
    assert reply.answers == ("<appointment_reminder.abc@riverbend.example>", "<x@y>",
                             "<appointment_reminder.abc@riverbend.example>")


def test_an_html_only_reply_is_read_as_text():
    reply = email("<div>C</div><blockquote>Reply C to confirm</blockquote>", Content_Type="text/html; charset=utf-8")
    assert what_it_says(reply) == Intent.CONFIRM


def test_the_reply_token_is_opaque_stable_and_read_back():
    token = reply_token(b"k" * 32, "A-1@48h")
    assert token == reply_token(b"k" * 32, "A-1@48h") != reply_token(b"k" * 32, "A-1@24h")
    assert REF.fullmatch(f"Ref {token}") and not set(token) & set("IO01")   # nothing that reads as another
    assert refs_in(email(f"see below\r\n> Ref {token}")) == [token]

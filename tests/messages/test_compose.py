"""compose's policy parses and folds each header text once; what it writes must be what the stock
policy writes, and a part that holds the shared boundary must not break its message."""

import email
import email.policy
from datetime import UTC, datetime

import pytest

from automations.messages.compose import WIRE, compose
from automations.messages.render import Rendered

NOW = datetime(2026, 11, 26, 7, tzinfo=UTC)


def message(subject="Your appointment", text="See you Friday.\n", html="<p>See you Friday.</p>\n",
            sender="Lakeside Counseling <office@lakeside.example>", **extra):
    rendered = Rendered(kind="appointment_reminder", phi="limited", subject=subject, text=text, html=html)
    return compose(rendered, sender=sender, to="ann@client.example", msg_id="<r1@lakeside.example>", now=NOW,
                   **extra)


@pytest.mark.parametrize("case", [
    {},
    {"subject": "A reminder " * 12},
    {"subject": "Rendez-vous confirmé — vendredi", "sender": "Clínica Ñandú <office@lakeside.example>"},
    {"calendar": ("BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n", "REQUEST"),
     "attachments": (("invite.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar"),)},
    {"text": "Café at 9 — “bring the form”.\n" * 40},
], ids=["plain", "folded-subject", "non-ascii-headers", "mixed", "quoted-printable"])
def test_a_message_is_written_byte_for_byte_as_the_stock_policy_writes_it(case):
    built = message(**case)
    ours = built.as_bytes(policy=WIRE)
    assert ours == built.as_bytes(policy=email.policy.SMTP)
    assert built.as_bytes(policy=WIRE) == ours  # again, from the caches
    narrow = built.as_bytes(policy=WIRE.clone(max_line_length=40))
    assert narrow == built.as_bytes(policy=email.policy.SMTP.clone(max_line_length=40))
    assert narrow != ours  # the From line alone is longer than 40


def test_the_same_message_is_the_same_bytes_every_time():
    assert message().as_bytes(policy=WIRE) == message().as_bytes(policy=WIRE)


@pytest.mark.parametrize("sender", ["office@lakeside.example\nBcc: everyone@elsewhere.example",
                                    "office@lakeside.example\r\nBcc: x@y.example"])
def test_a_line_break_in_a_header_is_refused_every_time_not_only_the_first(sender):
    for _ in range(2):
        with pytest.raises(ValueError, match="linefeed"):
            message(sender=sender)


@pytest.mark.parametrize("where", ["text", "html"])
def test_a_part_that_holds_the_shared_boundary_gets_a_boundary_of_its_own(where):
    hostile = "--=_practice-ops-alternative_=\nContent-Type: text/html\n\n<p>not from us</p>\n"
    built = message(**{where: hostile})
    assert built.get_boundary() != "=_practice-ops-alternative_="
    read = email.message_from_bytes(built.as_bytes(policy=WIRE), policy=email.policy.default)
    parts = list(read.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert hostile in parts[0 if where == "text" else 1].get_content().replace("\r\n", "\n")


def test_nested_multiparts_get_different_boundaries_and_read_back_whole():
    built = message(attachments=(("form.pdf", b"%PDF-1.4 intake", "application/pdf"),))
    read = email.message_from_bytes(built.as_bytes(policy=WIRE), policy=email.policy.default)
    assert read.get_content_type() == "multipart/mixed"
    inner, attached = read.iter_parts()
    assert read.get_boundary() != inner.get_boundary()
    assert [p.get_content_type() for p in inner.iter_parts()] == ["text/plain", "text/html"]
    assert attached.get_content() == b"%PDF-1.4 intake"

"""The message kinds of DOMAIN.md, each with the PHI it carries and who it is for: one table, in
code, so that no file a practice can edit lowers the protection a message gets.

A practice's own template may declare more PHI than its kind carries (it is then protected as
that), never less.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config import Config
from .policy import PHI_LEVELS


@dataclass(frozen=True)
class MessageKind:
    name: str
    phi: str
    to_client: bool
    title: str
    """What people call it: the weekly summary, the binder and notices say this, never the name."""
    record: str = ""
    """The record `preview KIND RECORD` renders it for (in brackets: may be left out)."""
    channel: str = "email"
    """``email`` (a text and an HTML part, a subject) or ``sms`` (one short text template, in clear)."""


KINDS: dict[str, MessageKind] = {kind.name: kind for kind in (
    MessageKind("appointment_reminder", "limited", True, "Appointment reminders", "APPOINTMENT_ID"),
    MessageKind("calendar_invite", "none", False, "Calendar invitations", "APPOINTMENT_ID"),
    MessageKind("intake_forms_reminder", "limited", True, "Intake form reminders", "APPOINTMENT_ID"),
    MessageKind("balance_notice", "limited", True, "Balance notices", "CLIENT_ID"),
    MessageKind("waitlist_opening", "limited", True, "Waitlist openings", "PROSPECT_ID"),
    MessageKind("clinician_digest", "full", False, "Clinicians' morning digests", "PROVIDER"),
    MessageKind("billing_escalation", "full", False, "Billing escalations"),
    MessageKind("credentialing_reminder", "full", False, "Credentialing reminders", "[PROVIDER]"),
    MessageKind("weekly_summary", "full", False, "Weekly summaries"),
    MessageKind("eap_report", "full", False, "EAP reports", "AUTHORIZATION_ID"),
    MessageKind("va_work_queue", "none", False, "The VA's morning notes"),
    MessageKind("referral_acknowledgment", "limited", False, "Referral acknowledgments", "REFERRAL_ID"),
    MessageKind("text_reminder", "limited", True, "Text reminders", "APPOINTMENT_ID", channel="sms"),
    MessageKind("text_help", "none", True, "Answers to HELP texts", channel="sms"),
    MessageKind("agency_overview", "none", False, "The agency lead's morning overviews"),
)}
CHANNEL_NAMES = {"smime": "Encrypted (S/MIME)", "gateway": "Encrypted (gateway)", "plain": "Plain email",
                 "blocked": "Not sent (no secure way)"}
"""The security a message went with, as people say it."""


def kind_title(kind: str) -> str:
    return KINDS[kind].title if kind in KINDS else "Problems found" if kind == "finding" else kind.replace("_", " ")


def phi_floor(kind: str, config: Config) -> str:
    """The least PHI a message of this kind is treated as carrying. Calendar invitations name no
    client unless ``[invites] detail = "initials"``, which makes them limited PHI."""
    if kind == "calendar_invite" and config.invites.detail == "initials":
        return "limited"
    return KINDS[kind].phi if kind in KINDS else "full"


def stronger(a: str, b: str) -> str:
    return max(a, b, key=PHI_LEVELS.index)


def template_names(config: Config, kind: str) -> dict[str, str]:
    """What every template may print about the sender. Client mail may go under a neutral display
    name (``[email] client_sender_name``), so its subject does not say what kind of practice wrote."""
    neutral = config.email.client_sender_name.strip()
    to_client = kind in KINDS and KINDS[kind].to_client
    return {"practice_name": config.practice.name,
            "sender_name": neutral if neutral and to_client else config.practice.name}


def sender_for(config: Config, kind: str) -> str:
    """The From header: the configured address, under the neutral display name for client mail."""
    from email.headerregistry import Address
    from email.utils import parseaddr

    neutral = config.email.client_sender_name.strip()
    if not (neutral and kind in KINDS and KINDS[kind].to_client):
        return config.email.from_
    return str(Address(display_name=neutral, addr_spec=parseaddr(config.email.from_)[1]))


def sample_context(kind: str) -> dict[str, Any]:
    """A made-up context of the right shape for each kind (no real person), so `check` can render a
    practice's own template before any real message depends on it. tests/messages/test_templates.py
    holds these to the keys the real context builders produce."""
    session = {"time": "9:00 AM", "client": "Sample Client", "client_id": "C-0", "service": "individual",
               "where": "by video", "link": "https://video.example/s", "missing_link": "",
               "when": "Monday, January 4 at 9:00 AM", "confirmation": "Confirmed"}
    finding = {"severity": "warning", "urgency": "Soon", "message": "A sample finding.",
               "owner": "the front desk", "due": "2026-01-04",
               "rule": "billing.unbilled_session", "aging": False, "first_seen": "2026-01-01", "records": ["claim: CL-0"]}
    samples: dict[str, dict[str, Any]] = {
        "appointment_reminder": {"sessions": [{"when": session["when"], "video": True, "phone": False,
                                               "link": session["link"]}],
                                 "office_phone": "555-0100", "office_address": "1 Main St", "updated": False,
                                 "first_name": "Sam", "ask": "Reply C to confirm or R to reschedule.",
                                 "ref": "K7P2M9XD"},
        "text_reminder": {"when": "Mon Jan 4, 9:00 AM", "link": session["link"], "phone_session": False,
                          "updated": False, "ask": "Reply C to confirm or R to reschedule."},
        "text_help": {"office_phone": "555-0100"},
        "referral_acknowledgment": {"source": "Dr. Sample", "referred": "Sample Person", "received": "Jan 2, 2026",
                                    "seen": "Jan 4, 2026", "office_phone": "555-0100"},
        "intake_forms_reminder": {"when": session["when"], "office_phone": "555-0100",
                                  "portal_url": "https://portal.example"},
        "balance_notice": {"office_phone": "555-0100", "portal_url": "https://portal.example"},
        "waitlist_opening": {"office_phone": "555-0100", "portal_url": "https://portal.example"},
        "calendar_invite": {"cancelled": False, "label": "", "day": "2026-01-04", "when": session["when"],
                            "minutes": 50, "where": "Office"},
        "clinician_digest": {"provider": "Sample Clinician", "today": "2026-01-04",
                             "days": [{"title": "Today, Monday January 4", "sessions": [session]}],
                             "authorizations": ["A sample authorization line."], "findings": [finding],
                             "risks": [finding]},
        "billing_escalation": {"today": "2026-01-04", "items": [finding], "new": 1, "aging": 0,
                               "groups": [{"problem": "Session not billed", "items": [finding]}]},
        "credentialing_reminder": {"today": "2026-01-04", "items": [finding], "provider": "Sample Clinician"},
        "weekly_summary": {"week_start": "2025-12-28", "week_end": "2026-01-03", "completed": 10,
                           "no_show_rate": "5%", "billed": "$1,300.00", "collected": "$900.00", "ar_total": "$2,000.00",
                           "ar_over_90": "10%", "urgent": 1, "urgent_items": ["A sample urgent item."],
                           "decisions": ["A sample decision."]},
        "eap_report": {"today": "2026-01-04", "authorization_id": "EAP-1", "vendor": "ComPsych", "due": "2026-01-08",
                       "status": "all sessions used", "file": "eap-report-EAP-1.xlsx"},
        "agency_overview": {"agency": "Sample VA Services", "today": "2026-01-04", "practices": 3, "failing": 1,
                            "needing": ["Sample Practice"], "failures": ["Sample Practice: reminders failed"],
                            "urgent": 2, "open": 9, "sent": 40, "blocked": 1,
                            "workbook": "agency-overview-2026-01-04.xlsx"},
        "va_work_queue": {"today": "2026-01-04", "open": 3, "by_owner": [("va", 2), ("billing", 1)], "urgent": 1, "overdue": 1,
                          "data_issues": 0, "queue_name": "work-queue.xlsx", "resolved": 2,
                          "link": "https://drive.example/queue",
                          "replies": {"confirmed": 4, "for_you": 1, "opted_out": 0}, "referrals_waiting": 1},
    }
    return samples[kind]


def check_overrides(config: Config) -> list[str]:
    """One line per practice template that will not work, or that asks to carry less PHI than its
    kind (it is protected as its kind all the same)."""
    from ..errors import TemplateError
    from .render import BUILTIN_TEMPLATES, Templates

    folder = config.path.parent / "templates"
    if not folder.is_dir():
        return []
    templates = Templates(folder)
    problems = []
    for kind in KINDS:
        parts = (f"{kind}.txt.j2",) if KINDS[kind].channel == "sms" else (f"{kind}.txt.j2", f"{kind}.html.j2")
        own = [name for name in parts if (folder / name).is_file()]
        if not own or all((folder / n).read_bytes() == (BUILTIN_TEMPLATES / n).read_bytes() for n in own):
            continue
        render = templates.render_text if KINDS[kind].channel == "sms" else templates.render
        try:
            rendered = render(kind, "none", **template_names(config, kind), **sample_context(kind))
        except TemplateError as exc:
            problems.append(f"templates/{own[0]}: {exc}; {kind} messages are blocked until it is fixed")
            continue
        if PHI_LEVELS.index(rendered.phi) < PHI_LEVELS.index(phi_floor(kind, config)):
            problems.append(f"templates/{kind}.txt.j2: declares phi = \"{rendered.phi}\", but {kind} messages carry "
                            f"{phi_floor(kind, config)} PHI and are protected as such")
    return problems

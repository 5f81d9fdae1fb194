"""The message kinds of DOMAIN.md, each with the PHI it carries and who it is for: one table, in
code, so that no file a practice can edit lowers the protection a message gets.

A practice's own template may declare more PHI than its kind carries (it is then protected as
that), never less.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Config
from .policy import PHI_LEVELS


@dataclass(frozen=True)
class MessageKind:
    name: str
    phi: str
    to_client: bool


KINDS: dict[str, MessageKind] = {kind.name: kind for kind in (
    MessageKind("appointment_reminder", "limited", True),
    MessageKind("calendar_invite", "none", False),
    MessageKind("intake_forms_reminder", "limited", True),
    MessageKind("balance_notice", "limited", True),
    MessageKind("waitlist_opening", "limited", True),
    MessageKind("clinician_digest", "full", False),
    MessageKind("billing_escalation", "full", False),
    MessageKind("credentialing_reminder", "full", False),
    MessageKind("weekly_summary", "full", False),
    MessageKind("va_work_queue", "none", False),
)}


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

"""What will not work, said before anything runs: `check` prints these for a new practice (or one
that changed its set-up) so the first morning's mail is not a surprise."""

from __future__ import annotations

from .config import Config, secret_gaps
from .messages.certificates import CertificateStore
from .messages.compose import is_address
from .trackers.records import Practice


def setup_gaps(config: Config, practice: Practice | None, certificates: CertificateStore) -> list[str]:
    gaps: list[str] = []
    gateway = bool(config.security.gateway_subject_tag.strip())
    staff = [(config.people.owner, "the owner", "the weekly summary"),
             (config.people.billing, "the biller", "billing escalations"),
             *((va, "the VA", "credentialing reminders and EAP reports") for va in config.people.va)]
    staff += [(p.email, p.provider, "the morning digest") for p in (practice.providers if practice else []) if p.email]
    for address, who, what in staff:
        if not address:
            continue
        if not is_address(address):
            gaps.append(f"{who}: {address!r} is not an email address; nothing can be sent to it")
            continue
        if not gateway and certificates.for_address(address) is None:
            gaps.append(f"{who} ({address}): {certificates.why_not(address)} and no encryption gateway is set, so "
                        f"{what} (full PHI) will be blocked; put ADDRESS.pem in {config.security.certificates} or "
                        f"set [security] gateway_subject_tag")
    for key, value in (("people.owner", config.people.owner), ("people.billing", config.people.billing)):
        if not value:
            gaps.append(f"{key} is empty: " + ("no weekly summary goes out" if key == "people.owner"
                                               else "billing escalations have no one to go to"))
    if not config.people.va:
        gaps.append("people.va is empty: no one gets the work queue note or credentialing reminders")
    gaps.extend(secret_gaps(config.email))
    if not config.practice.phone.strip():
        gaps.append("practice.phone is empty: reminders and notices to clients give no number to call")
    return gaps

"""The privacy policy of DESIGN.md, in one place: how each message may travel to each recipient.

- ``smime``: the recipient's certificate is on file, so the body is encrypted to it;
- ``gateway``: the practice's encryption gateway is configured, so the message carries its tag;
- ``plain``: only for messages with no PHI, or with limited PHI to a client who chose plain email;
- ``blocked``: anything else. Not sent; it becomes a finding so the VA phones instead.

A client whose ``email_consent`` is ``none`` gets no email at all, whatever it carries.
"""

from __future__ import annotations

PHI_LEVELS = ("none", "limited", "full")
SECURITIES = ("smime", "gateway", "plain", "blocked")


def choose_security(phi: str, *, has_certificate: bool, gateway: bool, consent: str | None = None,
                    to_client: bool = False) -> str:
    if phi not in PHI_LEVELS:
        raise ValueError(f"unknown PHI level {phi!r}")
    if to_client and consent == "none":
        return "blocked"
    if phi == "none":
        return "plain"
    if has_certificate:
        return "smime"
    if gateway:
        return "gateway"
    if phi == "limited" and to_client and consent == "plain_ok":
        return "plain"
    return "blocked"


def why_blocked(phi: str, *, gateway: bool, consent: str | None = None, to_client: bool = False,
                no_certificate: str = "there is no S/MIME certificate on file for the address") -> str:
    """The reason a VA reads when a message could not go: what to change so that it can."""
    if to_client and consent == "none":
        return "the client declined email"
    if to_client and consent == "plain_ok" and phi == "full":
        return "it carries clinical or billing detail, which plain email may not"
    if to_client and consent is None:
        return "the client's email consent is blank: record encrypted, plain_ok or none"
    wanted = "asked for encrypted email" if to_client else "it carries PHI"
    return (f"{wanted} and {no_certificate}"
            + ("" if gateway else " and no encryption gateway is configured"))


def decide(phi: str, *, has_certificate: bool, gateway: bool, consent: str | None = None,
           to_client: bool = False, no_certificate: str = "there is no S/MIME certificate on file for the address"
           ) -> tuple[str, str]:
    """(security, why it is blocked or ""): what the postman and ``preview`` both show."""
    security = choose_security(phi, has_certificate=has_certificate, gateway=gateway, consent=consent,
                               to_client=to_client)
    why = why_blocked(phi, gateway=gateway, consent=consent, to_client=to_client,
                      no_certificate=no_certificate) if security == "blocked" else ""
    return security, why

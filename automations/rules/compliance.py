"""compliance.* rules: BAAs, releases of information, privacy notices. Owner: the practice owner,
except client paperwork, which is the VA's."""

from __future__ import annotations

from typing import Iterator

from .catalogue import declare, rule
from .context import RuleContext
from .findings import Finding

INACTIVE = {"terminated", "revoked", "inactive", "closed", "expired", "replaced", "superseded", "discharged",
            "former", "archived", "ended"}

declare("compliance.message_blocked", owner="va", severity="warning",
        when="a message carrying PHI had no secure channel and was not sent (raised by the message jobs)")


def _active(status: str | None) -> bool:
    return (status or "").strip().lower() not in INACTIVE


def _expiring(ctx: RuleContext, kind: str, warning_days: int, after_expiry: bool) -> Iterator[tuple]:
    """(item, days left, "expires on ..." or "expired on ...") for active documents of one kind;
    documents already expired only when ``after_expiry``."""
    for item in ctx.practice.compliance:
        if item.item != kind or item.expires_on is None or not _active(item.status):
            continue
        left = ctx.days_until(item.expires_on)
        if left <= warning_days and (after_expiry or left >= 0):
            verb = "expired" if left < 0 else "expires"
            yield item, left, f"{verb} on {item.expires_on:%Y-%m-%d}"


@rule("compliance.baa_renewal_due", owner="owner", severity="warning",
      when="a BAA expires within `baa_warning_days` days, or has expired", thresholds=("baa_warning_days",))
def baa_renewal_due(ctx: RuleContext) -> Iterator[Finding]:
    for item, left, state in _expiring(ctx, "baa", ctx.thresholds.baa_warning_days, after_expiry=True):
        yield Finding("compliance.baa_renewal_due", "urgent" if left < 0 else "warning", "owner",
                      f"The business associate agreement with {item.party} {state}; sharing PHI with a vendor "
                      f"without one breaches HIPAA. Renew it"
                      + (", and stop sending PHI to them until it is signed." if left < 0 else " before then."),
                      refs={"party": item.party}, due=item.expires_on)


@rule("compliance.roi_expiring", owner="va", severity="warning",
      when="a client's release of information expires within `roi_warning_days` days (until the day it expires)",
      thresholds=("roi_warning_days",))
def roi_expiring(ctx: RuleContext) -> Iterator[Finding]:
    for item, _, state in _expiring(ctx, "roi", ctx.thresholds.roi_warning_days, after_expiry=False):
        refs = {"party": item.party}
        if item.client_id:
            refs["client"] = item.client_id
        yield Finding("compliance.roi_expiring", "warning", "va",
                      f"Client {item.client_id or '(no id)'}'s release of information to {item.party} {state}. "
                      f"Ask the client whether to renew it; share nothing under it after that date.",
                      refs=refs, due=item.expires_on)


@rule("compliance.privacy_notice_missing", owner="va", severity="warning",
      when="an active client has no privacy notice acknowledgment")
def privacy_notice_missing(ctx: RuleContext) -> Iterator[Finding]:
    if not ctx.practice.keeps("clients", "privacy_notice_ack"):
        return
    for client in ctx.practice.clients:
        if client.privacy_notice_ack or not _active(client.status):
            continue
        yield Finding("compliance.privacy_notice_missing", "warning", "va",
                      f"Client {client.client_id} has no privacy notice acknowledgment on file. Have them sign the "
                      f"Notice of Privacy Practices at the next session.",
                      refs={"client": client.client_id},
                      due=ctx.first_appointment[client.client_id].date
                      if client.client_id in ctx.first_appointment and ctx.is_upcoming(ctx.first_appointment[client.client_id])
                      else ctx.today)

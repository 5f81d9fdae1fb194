"""authorizations.* rules: sessions left on prior authorizations and EAP cases."""

from __future__ import annotations

from typing import Iterator

from ..trackers.records import UPCOMING_STATUSES
from .catalogue import rule
from .context import RuleContext
from .findings import Finding


@rule("authorizations.near_limit", owner="clinician", severity="warning",
      when="sessions left (authorized minus completed minus scheduled) is `near_limit_sessions` or fewer",
      thresholds=("near_limit_sessions",))
def near_limit(ctx: RuleContext) -> Iterator[Finding]:
    for auth in ctx.practice.authorizations:
        if auth.end_date is not None and auth.end_date < ctx.today:
            continue
        counted = ctx.sessions_by_authorization.get(auth.authorization_id, [])
        completed = sum(1 for a in counted if a.status == "completed")
        upcoming = sorted((a for a in counted if a.status in UPCOMING_STATUSES), key=lambda a: (a.date, a.time))
        left = auth.sessions_authorized - completed - len(upcoming)
        if not 0 <= left <= ctx.thresholds.for_payer(auth.payer).near_limit_sessions:
            continue
        case = "EAP case" if auth.kind == "eap" else "Authorization"
        if left == 0:
            advice = ("the last authorized session is booked" if upcoming else "every authorized session is used")
            advice += (": plan the closing session and the vendor's report" if auth.kind == "eap"
                       else ": request more sessions before booking another")
        else:
            advice = f"{left} left: request more sessions or plan the ending"
        until = f" (valid until {auth.end_date:%Y-%m-%d})" if auth.end_date else ""
        provider = auth.provider or (counted[0].provider if counted else None)
        refs = {"authorization": auth.authorization_id, "client": auth.client_id}
        if provider:
            refs["provider"] = provider
        yield Finding("authorizations.near_limit", "warning", "clinician",
                      f"{case} {auth.authorization_id} ({auth.payer}) for client {auth.client_id}: "
                      f"{auth.sessions_authorized} authorized, {completed} completed, {len(upcoming)} scheduled{until}; "
                      f"{advice}.",
                      refs=refs, due=upcoming[0].date if upcoming else ctx.today,
                      details={"authorized": auth.sessions_authorized, "completed": completed,
                               "scheduled": len(upcoming), "left": left})

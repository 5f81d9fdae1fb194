"""authorizations.* rules: sessions left on prior authorizations and EAP cases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from ..trackers.records import Authorization
from .catalogue import rule
from .context import RuleContext
from .dates import people_date
from .findings import Finding


@rule("authorizations.near_limit", owner="clinician", severity="warning", title="Authorization nearly used",
      when="sessions left (authorized minus completed minus scheduled) is `near_limit_sessions` or fewer",
      thresholds=("near_limit_sessions",))
def near_limit(ctx: RuleContext) -> Iterator[Finding]:
    for auth in ctx.practice.authorizations:
        if auth.end_date is not None and auth.end_date < ctx.today:
            continue
        completed, upcoming = ctx.usage(auth)
        left = auth.sessions_authorized - completed - len(upcoming)
        if not 0 <= left <= ctx.t(auth.payer).near_limit_sessions:
            continue
        case = "EAP case" if auth.kind == "eap" else "Authorization"
        if left == 0:
            advice = ("the last authorized session is booked" if upcoming else "every authorized session is used")
            advice += (": plan the closing session and the vendor's report" if auth.kind == "eap"
                       else ": request more sessions before booking another")
        else:
            advice = (f"{left} left: request more sessions or plan the ending (sessions past the limit are "
                      f"denied with CARC 198)")
        until = f" (valid until {people_date(auth.end_date)})" if auth.end_date else ""
        refs = _refs(auth)
        yield near_limit.found(
            f"{case} {auth.authorization_id} ({auth.payer}) for client {auth.client_id}: "
            f"{auth.sessions_authorized} authorized, {completed} completed, {len(upcoming)} scheduled{until}; "
            f"{advice}.", refs=refs, due=upcoming[0].date if upcoming else ctx.today,
            details={"authorized": auth.sessions_authorized, "completed": completed,
                     "scheduled": len(upcoming), "left": left})


@rule("authorizations.exceeded", owner="clinician", severity="urgent", title="Authorization exceeded",
      when="completed plus scheduled sessions exceed the authorized count")
def exceeded(ctx: RuleContext) -> Iterator[Finding]:
    for auth in ctx.practice.authorizations:
        completed, upcoming = ctx.usage(auth)
        over = completed + len(upcoming) - auth.sessions_authorized
        if over <= 0:
            continue
        case = "EAP case" if auth.kind == "eap" else "Authorization"
        yield exceeded.found(
            f"{case} {auth.authorization_id} ({auth.payer}) for client {auth.client_id} allows "
            f"{auth.sessions_authorized} sessions; {completed} are completed and {len(upcoming)} scheduled, "
            f"{over} too many. Sessions past the limit are denied (CARC 198): request more before "
            f"they happen, or move the client to another arrangement.", refs=_refs(auth),
            due=upcoming[0].date if upcoming else ctx.today, details={"over": over})


def _refs(auth: Authorization) -> dict[str, str]:
    refs = {"authorization": auth.authorization_id, "client": auth.client_id}
    if auth.provider:
        refs["provider"] = auth.provider
    return refs


@rule("authorizations.expiring", owner="clinician", severity="warning", title="Authorization ending",
      when="the end date is within `auth_expiring_days` days and sessions remain or are scheduled after it",
      thresholds=("auth_expiring_days",))
def expiring(ctx: RuleContext) -> Iterator[Finding]:
    for auth in ctx.practice.authorizations:
        if auth.end_date is None or auth.end_date < ctx.today:
            continue
        if ctx.days_until(auth.end_date) > ctx.t(auth.payer).auth_expiring_days:
            continue
        completed, upcoming = ctx.usage(auth)
        left = auth.sessions_authorized - completed - len(upcoming)
        after = [a for a in ctx.live_sessions_by_client.get(auth.client_id, ())
                 if a.date > auth.end_date and a.status != "completed"
                 and ctx.same_payer(ctx.payer_of(a), auth.payer)]
        if left <= 0 and not after:
            continue
        yield expiring.found(
            f"Authorization {auth.authorization_id} ({auth.payer}) for client {auth.client_id} ends on "
            f"{people_date(auth.end_date)} with {max(left, 0)} session(s) unused and {len(after)} booked after it. "
            f"Request an extension, or plan the ending.", refs=_refs(auth), due=auth.end_date,
            details={"left": left, "booked_after": len(after)})


@rule("authorizations.session_outside_dates", owner="va", severity="warning", title="Session outside authorization dates",
      when="an appointment counted to an authorization falls outside its dates")
def session_outside_dates(ctx: RuleContext) -> Iterator[Finding]:
    by_id = {a.authorization_id: a for a in ctx.practice.authorizations}
    for appt in ctx.live_appointments:
        auth = by_id.get(appt.authorization_id or "")
        if auth is None:
            continue
        before = auth.start_date is not None and appt.date < auth.start_date
        after = auth.end_date is not None and appt.date > auth.end_date
        if not (before or after):
            continue
        window = f"{auth.start_date or '...'} to {auth.end_date or '...'}"
        yield session_outside_dates.found(
            f"Session {appt.appointment_id} on {people_date(appt.date)} is counted to authorization "
            f"{auth.authorization_id}, which runs {window}. A claim for it will be denied (CARC 198/197): "
            f"get the dates extended or a new authorization.",
            refs={"appointment": appt.appointment_id, "authorization": auth.authorization_id,
                  "client": appt.client_id}, due=max(ctx.today, appt.date - timedelta(days=1)))


@rule("authorizations.missing", owner="va", severity="warning", title="Authorization missing",
      when="an appointment with a payer that requires authorization (`auth_required`) has none",
      thresholds=("auth_required",))
def missing(ctx: RuleContext) -> Iterator[Finding]:
    if not ctx.practice.keeps("authorizations"):
        return
    known = {a.authorization_id for a in ctx.practice.authorizations}
    for appt in ctx.live_appointments:
        payer = ctx.payer_of(appt)
        if not payer or not ctx.t(payer).auth_required:
            continue
        if appt.authorization_id in known or ctx.authorization_covering(appt) is not None:
            continue
        if appt.authorization_id:
            continue  # an id no tracker has: data.unknown_reference says so
        upcoming = appt.date >= ctx.today
        yield missing.found(
            f"Session {appt.appointment_id} ({payer}, {people_date(appt.date)}) has no authorization and "
                  f"{payer} requires one. Request it before the session; without it the claim is denied "
                  f"(CARC 197).", refs={"appointment": appt.appointment_id, "client": appt.client_id},
            due=max(ctx.today, appt.date - timedelta(days=1)) if upcoming else ctx.today,
            severity="urgent" if upcoming and ctx.days_until(appt.date) <= 2 else "warning")


@rule("authorizations.count_mismatch", owner="va", severity="warning", title="Sessions-used count wrong",
      when="the tracker's sessions_used differs from the completed sessions counted")
def count_mismatch(ctx: RuleContext) -> Iterator[Finding]:
    for auth in ctx.practice.authorizations:
        if auth.sessions_used is None:
            continue
        completed, _ = ctx.usage(auth)
        if completed == auth.sessions_used:
            continue
        yield count_mismatch.found(
            f"Authorization {auth.authorization_id} says {auth.sessions_used} session(s) used, but the "
            f"appointments show {completed} completed. Correct the Sessions Used count (or the appointments) so the "
            f"count the clinician sees is right.", refs=_refs(auth), due=ctx.today + timedelta(days=1),
            details={"tracker": auth.sessions_used, "counted": completed})


@rule("authorizations.eap_report_due", owner="va", severity="warning", title="EAP report due",
      when="an EAP case's utilization report is due within `eap_report_warning_days` days (urgent once overdue, for "
           "`eap_report_overdue_days`), or all its sessions are used and no report is recorded",
      thresholds=("eap_report_warning_days", "eap_report_overdue_days"))
def eap_report_due(ctx: RuleContext) -> Iterator[Finding]:
    for auth in ctx.practice.authorizations:
        if auth.kind != "eap":
            continue
        completed, _ = ctx.usage(auth)
        due = auth.utilization_report_due
        t = ctx.t(auth.payer)
        if due is not None and -t.eap_report_overdue_days <= ctx.days_until(due) <= t.eap_report_warning_days:
            why = f"its utilization report {'was' if due < ctx.today else 'is'} due on {people_date(due)}"
        elif due is None and completed >= auth.sessions_authorized:
            why, due = f"all {auth.sessions_authorized} sessions are used and no report is recorded", ctx.today
        else:
            continue
        yield eap_report_due.found(
            f"EAP case {auth.authorization_id} ({auth.payer}) for client {auth.client_id}: {why}. Send the "
            f"closing/utilization report to {auth.payer} and plan the 2-4 week follow-up contact.", refs=_refs(auth),
            due=due, severity="urgent" if due < ctx.today else "warning")

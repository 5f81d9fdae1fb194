"""data.* rules: the trackers themselves. Owner: the VA, who keeps them."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from datetime import date
from operator import attrgetter
from typing import Any

from ..errors import CellError
from ..trackers.values import person_key
from . import codes
from .catalogue import declare, rule
from .context import RuleContext
from .dates import people_date
from .findings import Finding

missing_required = declare("data.missing_required", owner="va", severity="warning", title="Required cell empty",
                           when="a required cell is empty")


@rule("data.bad_value", owner="va", severity="warning", title="Cell cannot be read",
      when="a date, time, number, money or enum cell cannot be read (the reader says which); a date of birth in "
           "the future is a bad value, never a child")
def future_birth_date(ctx: RuleContext) -> Iterator[Finding]:
    for client in ctx.practice.clients:
        born = client.date_of_birth
        if born is None or born <= ctx.today:
            continue
        where = client.source
        refs = {"client": client.client_id, **({"sheet_row": f"{where.file}:{where.sheet}:{where.row}"} if where else {})}
        yield future_birth_date.found(
            f"{f'{where}: ' if where else ''}date of birth of client {client.client_id}: {people_date(born)} is "
            f"in the future, so it is not read (no age, no minor's consent rule). Correct the year in the "
            f"tracker: a two-digit year reads 00-29 as 2000-2029 and 30-99 as 1930-1999.", refs=refs,
            key="date_of_birth", due=ctx.today)


formula_error = declare("data.formula_error", owner="va", severity="warning", title="Formula error in a cell",
                        when="a cell holds an error value (#REF!, #N/A, #VALUE!, ...)")


def cell_findings(issues: Iterable[CellError], today: date) -> list[Finding]:
    """The reader's cell problems as findings, so they reach the VA's work queue too. Due today:
    a row that cannot be read hides whatever else is wrong with it."""
    findings = []
    for issue in issues:
        refs = {"sheet_row": f"{issue.file}:{issue.sheet}:{issue.row}"}
        if issue.record is not None:
            refs = {issue.record[0]: issue.record[1], **refs}
        findings.append(Finding(rule=issue.rule, severity="warning", owner="va",
                                message=f"{issue}. Correct the cell in the tracker.", refs=refs,
                                key=issue.field if issue.record is not None else issue.column, due=today))
    return findings


_ID_KINDS = {"clients": ("client", "client_id"), "providers": ("provider", "provider"),
             "appointments": ("appointment", "appointment_id"), "claims": ("claim", "claim_id"),
             "authorizations": ("authorization", "authorization_id"), "waitlist": ("prospect", "prospect_id"),
             "referrals": ("referral", "referral_id")}


@rule("data.duplicate_id", owner="va", severity="warning", title="Same id on two rows",
      when="an id appears on two rows (the last row is used everywhere; a client's address gets nothing until "
           "it is resolved)")
def duplicate_id(ctx: RuleContext) -> Iterator[Finding]:
    for tracker, (kind, column) in _ID_KINDS.items():
        for records in ctx.duplicate_rows(tracker).values():
            where = ", ".join(str(r.source.row) for r in records if r.source)
            first = records[0].source
            place = f"{first.file}:{first.sheet}" if first else tracker
            until = ("until then no message goes to either row's address" if tracker == "clients"
                     else "until then the last row is used")
            yield duplicate_id.found(
                f"{kind.capitalize()} id {getattr(records[0], column)} appears on {len(records)} rows of "
                f"{place} (rows {where}). Give each row its own id; {until}.",
                refs={kind: getattr(records[0], column)})


@rule("data.unknown_reference", owner="va", severity="warning", title="Id or name not found",
      when="a client, provider, appointment or authorization id that no tracker has (a referral's client id too)")
def unknown_reference(ctx: RuleContext) -> Iterator[Finding]:
    present = ctx.practice.present
    clients = set(ctx.clients)
    providers = set(ctx.providers)
    authorizations = {a.authorization_id for a in ctx.practice.authorizations}
    appointments = set(ctx.appointments)

    def check(kind: str, record_id: str, record: Any, column: str, value: str | None, known: set[str], tracker: str,
              folded: bool = False) -> Iterator[Finding]:
        where = f" ({record.source})" if record.source else ""
        hint = ""
        if folded:
            names = {person_key(p.provider): p.provider for p in ctx.practice.providers}
            guess = difflib.get_close_matches(person_key(value), list(names), n=1, cutoff=0.75)
            hint = f" (did you mean {names[guess[0]]!r}?)" if guess else ""
        yield unknown_reference.found(
            f"{kind.capitalize()} {record_id}{where}: {column.replace('_', ' ')} {value!r} is not in the {tracker} "
            f"tracker{hint}. Fix the {'name' if folded else 'id'}, or add the missing row to {tracker}.",
            refs={kind: record_id}, key=column)

    def unknown(value: str | None, known: set[str], tracker: str, folded: bool = False) -> bool:
        return value is not None and tracker in present and (person_key(value) if folded else value) not in known

    def strangers(records: list[Any], column: str, known: set[str], tracker: str, folded: bool = False) -> set[str]:
        """The column's values no tracker knows, each distinct value looked at once (a hundred
        thousand sessions name a few thousand clients and a few dozen clinicians)."""
        return {value for value in set(map(attrgetter(column), records)) if unknown(value, known, tracker, folded)}

    appts = ctx.practice.appointments
    odd = (strangers(appts, "client_id", clients, "clients"), strangers(appts, "provider", providers, "providers", True),
           strangers(appts, "authorization_id", authorizations, "authorizations"))
    for a in appts if any(odd) else ():
        if a.client_id in odd[0]:
            yield from check("appointment", a.appointment_id, a, "client_id", a.client_id, clients, "clients")
        if a.provider in odd[1]:
            yield from check("appointment", a.appointment_id, a, "provider", a.provider, providers, "providers", True)
        if a.authorization_id in odd[2]:
            yield from check("appointment", a.appointment_id, a, "authorization_id", a.authorization_id,
                             authorizations, "authorizations")
    claims = ctx.practice.claims
    odd = (strangers(claims, "client_id", clients, "clients"), strangers(claims, "provider", providers, "providers", True),
           strangers(claims, "appointment_id", appointments, "appointments"))
    for c in claims if any(odd) else ():
        if c.client_id in odd[0]:
            yield from check("claim", c.claim_id, c, "client_id", c.client_id, clients, "clients")
        if c.provider in odd[1]:
            yield from check("claim", c.claim_id, c, "provider", c.provider, providers, "providers", True)
        if c.appointment_id in odd[2]:
            yield from check("claim", c.claim_id, c, "appointment_id", c.appointment_id, appointments, "appointments")
    for auth in ctx.practice.authorizations:
        if unknown(auth.client_id, clients, "clients"):
            yield from check("authorization", auth.authorization_id, auth, "client_id", auth.client_id, clients,
                             "clients")
        if unknown(auth.provider, providers, "providers", True):
            yield from check("authorization", auth.authorization_id, auth, "provider", auth.provider, providers,
                             "providers", True)
    for cred in ctx.practice.credentialing:
        if unknown(cred.provider, providers, "providers", True):
            yield from check("provider", cred.provider, cred, "provider", cred.provider, providers, "providers", True)
    for item in ctx.practice.compliance:
        if item.client_id and unknown(item.client_id, clients, "clients"):
            yield from check("client", item.client_id, item, "client_id", item.client_id, clients, "clients")
    for referral in ctx.practice.referrals:  # a referral scheduled as a client the trackers do not have
        if referral.client_id and unknown(referral.client_id, clients, "clients"):
            yield from check("referral", referral.referral_id, referral, "client_id", referral.client_id, clients,
                             "clients")


@rule("data.unknown_code", owner="va", severity="warning", title="Code does not exist",
      when="a CPT, POS, modifier or CARC code that is not a real code")
def unknown_code(ctx: RuleContext) -> Iterator[Finding]:
    def finding(kind: str, record_id: str, record: Any, what: str, code: str) -> Finding:
        where = f" ({record.source})" if record.source else ""
        fix = ("Copy the reason code from the remittance advice (e.g. CO-197)." if what == "CARC denial" else
               "Correct it before the claim goes out: the payer will reject it.")
        return unknown_code.found(
            f"{kind.capitalize()} {record_id}{where}: {code!r} is not a real {what} code. {fix}",
            refs={kind: record_id}, key=f"{what}:{code}")

    for claim in ctx.practice.claims:
        for code in claim.cpt:
            if not codes.is_real_cpt(code):
                yield finding("claim", claim.claim_id, claim, "CPT", code)
        for modifier in claim.modifiers:
            if not codes.is_real_modifier(modifier):
                yield finding("claim", claim.claim_id, claim, "modifier", modifier)
        pos = codes.normalise_pos(claim.pos)
        if pos and not codes.is_real_pos(pos):
            yield finding("claim", claim.claim_id, claim, "place-of-service", pos)
        if claim.denial_code and claim.status != "rejected":  # a rejection's reason is the clearinghouse's words
            for part in claim.denial_code.replace(",", ";").split(";"):
                if part.strip() and codes.split_carc(part) is None:
                    yield finding("claim", claim.claim_id, claim, "CARC denial", part.strip())
    for appt in ctx.practice.appointments:
        for code in appt.cpt:
            if not codes.is_real_cpt(code):
                yield finding("appointment", appt.appointment_id, appt, "CPT", code)

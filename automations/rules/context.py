"""What every rule sees: the practice's records, its thresholds and the date. No I/O, no clock.

The matching that VAs' habits call for lives here, once: a claim finds its session by
appointment_id or else by client, provider and date; clinicians match however their names are
written; payers match by folded name or a configured alias; each authorization counts its own
sessions.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from itertools import accumulate
from typing import Any

from ..trackers.records import (
    LIVE_STATUSES,
    UPCOMING_STATUSES,
    Appointment,
    Authorization,
    Claim,
    Client,
    Credential,
    Practice,
    Provider,
    last_row_wins,
)
from ..trackers.values import is_self_pay, person_key
from .thresholds import Thresholds

CLOSED_CLAIM_STATUSES = frozenset({"void", "written_off"})


@dataclass
class RuleContext:
    practice: Practice
    thresholds: Thresholds
    today: date

    # records by id --------------------------------------------------------------------------
    def duplicate_rows(self, tracker: str) -> dict[str, list[Any]]:
        """Id -> every row's record, for ids on several rows: as the loader found them, or in the
        lists themselves where the records were built without it."""
        if self.practice.deduplicated:  # the loader kept the last row of each id and noted the others
            return dict(self.practice.duplicates.get(tracker, {}))
        return last_row_wins(tracker, getattr(self.practice, tracker))[1]

    @cached_property
    def ambiguous_clients(self) -> frozenset[str]:
        """Client ids on two rows: which address is right is unknown, so neither gets mail."""
        return frozenset(self.duplicate_rows("clients"))

    @cached_property
    def clients(self) -> dict[str, Client]:
        return {c.client_id: c for c in self.practice.clients}

    @cached_property
    def providers(self) -> dict[str, Provider]:
        return {person_key(p.provider): p for p in self.practice.providers}

    @cached_property
    def appointments(self) -> dict[str, Appointment]:
        return {a.appointment_id: a for a in self.practice.appointments}

    @cached_property
    def _thresholds_by_payer(self) -> dict[str | None, Thresholds]:
        return {}

    @cached_property
    def _memos(self) -> dict[str, dict[Any, Any]]:
        return {}

    def memo(self, name: str) -> dict[Any, Any]:
        """A rule's own memo for this run (same records, same answer): ``name`` keeps rules apart."""
        return self._memos.setdefault(name, {})

    def t(self, payer: str | None) -> Thresholds:
        """The thresholds for this payer's records (computed once per payer name)."""
        cache = self._thresholds_by_payer
        if payer not in cache:
            cache[payer] = self.thresholds.for_payer(payer)
        return cache[payer]

    def same_payer(self, a: str | None, b: str | None) -> bool:
        return bool(a) and bool(b) and self.thresholds.payer_key(a) == self.thresholds.payer_key(b)

    # appointments ---------------------------------------------------------------------------
    @cached_property
    def live_appointments(self) -> list[Appointment]:
        return [a for a in self.practice.appointments if a.status in LIVE_STATUSES or a.status is None]

    def is_upcoming(self, appt: Appointment) -> bool:
        return (appt.status in UPCOMING_STATUSES or appt.status is None) and appt.date >= self.today

    def start_of(self, appt: Appointment) -> datetime:
        return datetime.combine(appt.date, appt.time)

    def length_of(self, appt: Appointment) -> int:
        return appt.duration_min or appt.actual_min or self.thresholds.default_session_minutes

    def minutes_of(self, appt: Appointment) -> int | None:
        return appt.actual_min if appt.actual_min is not None else appt.duration_min

    def payer_of(self, appt: Appointment) -> str | None:
        if appt.payer:
            return appt.payer
        client = self.clients.get(appt.client_id)
        return client.payer if client else None

    def is_insured(self, appt: Appointment) -> bool:
        payer = self.payer_of(appt)
        return bool(payer) and not is_self_pay(payer)

    @cached_property
    def live_sessions_by_client(self) -> dict[str, list[Appointment]]:
        """Client -> the client's live appointments in date and time order, clients in the order of
        their first session: rules that look at one client's sessions look here, not at them all."""
        return self._live_sessions_by(lambda appt: appt.client_id)

    @cached_property
    def live_sessions_by_provider(self) -> dict[str, list[Appointment]]:
        """Clinician (as ``person_key`` matches names) -> live appointments in date and time order."""
        return self._live_sessions_by(lambda appt: person_key(appt.provider))

    def _live_sessions_by(self, key: Callable[[Appointment], str]) -> dict[str, list[Appointment]]:
        index: dict[str, list[Appointment]] = {}
        for appt in self._live_sessions_in_order:
            index.setdefault(key(appt), []).append(appt)
        return index

    @cached_property
    def _live_sessions_in_order(self) -> list[Appointment]:
        return sorted(self.live_appointments, key=lambda a: (a.date, a.time))

    @cached_property
    def first_appointment(self) -> dict[str, Appointment]:
        """Client -> the client's earliest live appointment: where intake work is due."""
        return {client: sessions[0] for client, sessions in self.live_sessions_by_client.items()}

    # claims ---------------------------------------------------------------------------------
    @cached_property
    def appointments_by_visit(self) -> dict[tuple[Any, ...], list[Appointment]]:
        index: dict[tuple[Any, ...], list[Appointment]] = defaultdict(list)
        for appt in self.practice.appointments:
            index[(appt.client_id, person_key(appt.provider), appt.date)].append(appt)
        return index

    def appointment_of(self, claim: Claim) -> Appointment | None:
        """The claim's session: by appointment_id where given, else by client, provider and date
        (matched once per claim and run, kept for those claims only: a dict over every claim was
        10 MB at 160,000 claims)."""
        if claim.appointment_id:
            session = self.appointments.get(claim.appointment_id)
            if session is not None:
                return session
        by_visit = self.memo("appointment_of")
        matched = by_visit.get(id(claim))
        if matched is not None and matched[0] is claim:
            found: Appointment | None = matched[1]
            return found
        candidates = self.appointments_by_visit.get(
            (claim.client_id, person_key(claim.provider), claim.date_of_service), [])
        completed = [a for a in candidates if a.status == "completed"]
        session = (completed or candidates)[0] if candidates else None
        by_visit[id(claim)] = (claim, session)
        return session

    @cached_property
    def live_claims(self) -> list[Claim]:
        return [c for c in self.practice.claims if c.status not in CLOSED_CLAIM_STATUSES]

    @cached_property
    def billed_sessions(self) -> list[tuple[Claim, Appointment]]:
        """Live claims with the session each one bills; a claim matching no session is left out."""
        pairs = ((claim, self.appointment_of(claim)) for claim in self.live_claims)
        return [(claim, appt) for claim, appt in pairs if appt is not None]

    @cached_property
    def claims_by_appointment(self) -> dict[str, list[Claim]]:
        index: dict[str, list[Claim]] = defaultdict(list)
        for claim in self.practice.claims:
            appt = self.appointment_of(claim)
            if appt is not None:
                index[appt.appointment_id].append(claim)
        return index

    @cached_property
    def pair_coded_visits(self) -> dict[tuple[Any, ...], list[Claim]]:
        """(client, provider key, date of service) -> the live claims billed for that visit, for the
        visits where a code pair can conflict: one of their claims bills one of ``PAIRED_CODES``.
        Every visit's claims would be a fifth of a large practice's memory in this process."""
        from .codes import PAIRED_CODES

        def visit(claim: Claim) -> tuple[Any, ...]:
            return claim.client_id, person_key(claim.provider), claim.date_of_service

        paired = {visit(claim) for claim in self.live_claims if not PAIRED_CODES.isdisjoint(claim.cpt)}
        index: dict[tuple[Any, ...], list[Claim]] = defaultdict(list)
        for claim in self.live_claims if paired else ():
            if (key := visit(claim)) in paired:
                index[key].append(claim)
        return index

    @cached_property
    def code_pair_claims(self) -> frozenset[str]:
        """Claims caught in a code-pair conflict: the time rules leave their codes alone, since the
        fix is to remove a code, never to bill a longer one."""
        return frozenset(self._pair_removals)

    def removed_by_pair_conflict(self, claim: Claim) -> frozenset[str]:
        """The claim's codes that billing.code_pair_conflict says to remove: every other code rule
        leaves them alone (one problem, one piece of advice: never "add the base code" to a code
        that is to go)."""
        return self._pair_removals.get(claim.claim_id, frozenset())

    @cached_property
    def _pair_removals(self) -> dict[str, frozenset[str]]:
        """Claim id -> its codes a pair conflict removes, for every claim of a conflicting visit."""
        from .codes import code_pair_conflicts

        removals: dict[str, frozenset[str]] = {}
        for claims in self.pair_coded_visits.values():
            conflicts = code_pair_conflicts({code for claim in claims for code in claim.cpt})
            if conflicts:
                for claim in claims:
                    removals[claim.claim_id] = frozenset(conflicts).intersection(claim.cpt)
        return removals

    def filing_deadline(self, claim: Claim) -> date:
        return claim.date_of_service + timedelta(days=self.t(claim.payer).timely_filing_days)

    @cached_property
    def typical_fee(self) -> dict[str, Decimal]:
        """CPT -> the practice's (lower) median billed amount: the estimate for a session not yet billed."""
        amounts: dict[str, list[Decimal]] = defaultdict(list)
        for claim in self.practice.claims:
            if claim.billed_amount and len(claim.cpt) == 1:
                amounts[claim.cpt[0]].append(claim.billed_amount)
        return {code: sorted(values)[(len(values) - 1) // 2] for code, values in amounts.items()}

    # credentialing --------------------------------------------------------------------------
    @cached_property
    def panels(self) -> dict[tuple[str, str], list[Credential]]:
        index: dict[tuple[str, str], list[Credential]] = defaultdict(list)
        for row in self.practice.credentialing:
            index[(person_key(row.provider), self.thresholds.payer_key(row.payer))].append(row)
        return index

    def panel_status(self, provider: str, payer: str, on: date) -> str:
        """The provider's standing with the payer on a date. ``effective_date`` is the day the row's
        status took effect: in network from then on; lapsed from then on (in network before)."""
        rows = self.panels.get((person_key(provider), self.thresholds.payer_key(payer)), [])
        if not rows:
            return "not_enrolled"
        best = "not_enrolled"
        for row in rows:
            starts = row.effective_date
            if row.status == "in_network" and (starts is None or starts <= on):
                return "in_network"
            if row.status == "lapsed" and starts is not None and on < starts:
                return "in_network"
            if row.status == "lapsed" or (row.status == "pending" and best == "not_enrolled"):
                best = row.status
        return best

    # authorizations -------------------------------------------------------------------------
    @cached_property
    def sessions_by_authorization(self) -> dict[str, list[Appointment]]:
        """Appointments counted to each authorization: by authorization_id where the appointment
        names one, else by client, payer and the authorization's dates. A client may hold several
        authorizations at once; each is counted separately and no session counts twice."""
        auths = self.practice.authorizations
        known = {a.authorization_id for a in auths}
        index: dict[str, list[Appointment]] = {a.authorization_id: [] for a in auths}
        for appt in self.practice.appointments:
            if appt.authorization_id:
                if appt.authorization_id in known:
                    index[appt.authorization_id].append(appt)
                continue
            auth = self.authorization_covering(appt)
            if auth is not None:
                index[auth.authorization_id].append(appt)
        return index

    @cached_property
    def authorization_of_session(self) -> dict[str, str]:
        """Appointment id -> the authorization it is counted to (one lookup, not a scan of them all)."""
        return {appt.appointment_id: auth_id for auth_id, sessions in self.sessions_by_authorization.items()
                for appt in sessions}

    @cached_property
    def authorizations_by_client(self) -> dict[str, list[Authorization]]:
        index: dict[str, list[Authorization]] = defaultdict(list)
        for auth in self.practice.authorizations:
            index[auth.client_id].append(auth)
        return index

    @cached_property
    def _authorizations_by_date(self) -> dict[tuple[str, str], tuple[list[date], list[Authorization], list[date]]]:
        """(client, payer key) -> (start dates, authorizations in start order, the latest end reached by
        each prefix): an appointment finds its authorization by bisection, however many years of
        authorizations the client holds."""
        groups: dict[tuple[str, str], list[Authorization]] = defaultdict(list)
        for auth in self.practice.authorizations:
            if auth.payer:
                groups[(auth.client_id, self.thresholds.payer_key(auth.payer))].append(auth)
        index = {}
        for key, auths in groups.items():
            auths.sort(key=lambda a: a.start_date or date.min)
            index[key] = ([a.start_date or date.min for a in auths], auths,
                          list(accumulate((a.end_date or date.max for a in auths), max)))
        return index

    def authorization_covering(self, appt: Appointment) -> Authorization | None:
        """The client's authorization with the appointment's payer whose dates cover it; of several,
        the one that started last (a renewal supersedes the authorization before it)."""
        payer = self.payer_of(appt)
        found = self._authorizations_by_date.get((appt.client_id, self.thresholds.payer_key(payer))) if payer else None
        if found is None:
            return None
        starts, auths, reach = found
        i = bisect_right(starts, appt.date)
        while i > 0:
            i -= 1
            if reach[i] < appt.date:
                return None  # no authorization starting this early runs this late
            ends = auths[i].end_date
            if ends is None or appt.date <= ends:
                return auths[i]
        return None

    def usage(self, auth: Authorization) -> tuple[int, list[Appointment]]:
        """(completed sessions, upcoming scheduled sessions in date order) counted to ``auth``."""
        counted = self.sessions_by_authorization.get(auth.authorization_id, [])
        completed = sum(1 for a in counted if a.status == "completed")
        upcoming = sorted((a for a in counted if a.status in UPCOMING_STATUSES), key=lambda a: (a.date, a.time))
        return completed, upcoming

    def days_until(self, day: date) -> int:
        return (day - self.today).days

    def within(self, day: date | None, days: int) -> bool:
        """``day`` is today or in the next ``days`` days, or already past."""
        return day is not None and day <= self.today + timedelta(days=days)

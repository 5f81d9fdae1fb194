"""What every rule sees: the practice's records, its thresholds and the date. No I/O, no clock."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from ..trackers.records import Appointment, Claim, Practice
from ..trackers.values import fold, is_self_pay
from .thresholds import Thresholds


@dataclass
class RuleContext:
    practice: Practice
    thresholds: Thresholds
    today: date

    @cached_property
    def clients(self) -> dict:
        return {c.client_id: c for c in self.practice.clients}

    @cached_property
    def appointments(self) -> dict[str, Appointment]:
        return {a.appointment_id: a for a in self.practice.appointments}

    @cached_property
    def appointments_by_visit(self) -> dict[tuple, list[Appointment]]:
        """(client, folded provider, date) -> appointments: how a claim finds its session."""
        index: dict[tuple, list[Appointment]] = defaultdict(list)
        for appt in self.practice.appointments:
            index[(appt.client_id, fold(appt.provider), appt.date)].append(appt)
        return index

    @cached_property
    def claims_by_appointment(self) -> dict[str, list[Claim]]:
        index: dict[str, list[Claim]] = defaultdict(list)
        for claim in self.practice.claims:
            appt = self.appointment_of(claim)
            if appt is not None:
                index[appt.appointment_id].append(claim)
        return index

    def appointment_of(self, claim: Claim) -> Appointment | None:
        """The claim's session: by appointment_id where given, else by client, provider and date."""
        if claim.appointment_id and claim.appointment_id in self.appointments:
            return self.appointments[claim.appointment_id]
        candidates = self.appointments_by_visit.get((claim.client_id, fold(claim.provider), claim.date_of_service), [])
        if not candidates:
            return None
        completed = [a for a in candidates if a.status == "completed"]
        return (completed or candidates)[0]

    def payer_of(self, appt: Appointment) -> str | None:
        if appt.payer:
            return appt.payer
        client = self.clients.get(appt.client_id)
        return client.payer if client else None

    def is_insured(self, appt: Appointment) -> bool:
        payer = self.payer_of(appt)
        return bool(payer) and not is_self_pay(payer)

    def minutes_of(self, appt: Appointment) -> int | None:
        return appt.actual_min if appt.actual_min is not None else appt.duration_min

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
            payer = self.payer_of(appt)
            for auth in auths:
                if (auth.client_id == appt.client_id and payer and fold(auth.payer) == fold(payer)
                        and (auth.start_date is None or auth.start_date <= appt.date)
                        and (auth.end_date is None or appt.date <= auth.end_date)):
                    index[auth.authorization_id].append(appt)
                    break
        return index

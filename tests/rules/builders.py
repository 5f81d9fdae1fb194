"""Small record factories: each test states only the fields it is about."""

from datetime import date, time

from automations.rules import Thresholds, evaluate
from automations.trackers.records import Appointment, Authorization, Claim, Client, Practice, Provider

DAY = date(2026, 11, 2)


def appt(id="A-1", client="C-1", provider="Ann Lee", day=DAY, status="completed", minutes=45, **kw) -> Appointment:
    return Appointment(appointment_id=id, client_id=client, provider=provider, date=day, time=kw.pop("at", time(9)),
                       duration_min=kw.pop("duration_min", minutes), actual_min=kw.pop("actual_min", minutes),
                       status=status, **kw)


def claim(id="CL-1", appointment="A-1", client="C-1", provider="Ann Lee", day=DAY, cpt=("90834",), payer="Aetna",
          status="submitted", **kw) -> Claim:
    return Claim(claim_id=id, appointment_id=appointment, client_id=client, provider=provider, date_of_service=day,
                 cpt=tuple(cpt), payer=payer, status=status, **kw)


def auth(id="AU-1", client="C-1", payer="Aetna", authorized=10, **kw) -> Authorization:
    return Authorization(authorization_id=id, client_id=client, payer=payer, sessions_authorized=authorized, **kw)


def client(id="C-1", payer="Aetna", **kw) -> Client:
    """A client whose paperwork is all in order, unless the test says otherwise."""
    defaults = dict(email=f"{id.lower()}@mail.example", email_consent="plain_ok", intake_forms_received=True,
                    privacy_notice_ack=True, insurance_verified=True, consent_to_treat=True, telehealth_consent=True)
    return Client(client_id=id, payer=payer, **{**defaults, **kw})


def practice(appointments=(), claims=(), authorizations=(), clients=None, providers=None, **kw) -> Practice:
    clients = [client()] if clients is None else list(clients)
    providers = [Provider(provider="Ann Lee")] if providers is None else list(providers)
    trackers = {"clients", "providers", "appointments", "claims", "authorizations", *kw.pop("present", ())}
    return Practice(clients=clients, providers=providers, appointments=list(appointments), claims=list(claims),
                    authorizations=list(authorizations), present=frozenset(trackers), **kw)


def findings(p: Practice, today: date, rule: str | None = None, thresholds: Thresholds | None = None):
    found = evaluate(p, thresholds or Thresholds(), today)
    return [f for f in found if rule is None or f.rule == rule]

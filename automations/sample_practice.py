"""The sample practice: a deterministic, seeded generator of a small group practice's trackers.

Riverbend Counseling: four clinicians, sixty clients, eight weeks of history and three weeks
ahead of 2026-11-26, claims in their own workbook, credentialing with four insurers, prior
authorizations and EAP cases, BAAs, ROIs, a waitlist, referrals and office supplies. The records are clean by construction
except for the problems listed in ``PLANTED``, which the rules must find.

    python -m automations.sample_practice workbooks/sample

The output is committed under workbooks/sample/; tests/test_sample_practice.py proves the
committed files match this generator.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import openpyxl
from openpyxl.styles import Font

ANCHOR = date(2026, 11, 26)
SEED = 20261126
HISTORY_WEEKS, AHEAD_WEEKS = 8, 3

PROVIDERS = [
    # name, email, npi, specialties, accepting, capacity, license, malpractice
    ("Maya Chen", "maya.chen@riverbend.example", "1528374650", "anxiety; trauma; EMDR", True, 22,
     date(2027, 8, 31), date(2027, 6, 30)),
    ("David Okafor", "david.okafor@riverbend.example", "1639485761", "depression; men's issues; substance use",
     False, 20, date(2027, 3, 31), date(2027, 2, 28)),
    ("Sofia Alvarez", "sofia.alvarez@riverbend.example", "1740596872", "adolescents; family; eating disorders",
     True, 18, date(2026, 12, 31), date(2027, 9, 30)),
    ("James Whitfield", "james.whitfield@riverbend.example", "1851607983", "couples; grief; anxiety",
     True, 20, date(2028, 1, 31), date(2026, 12, 15)),
]
INSURERS = ["Aetna", "BlueCross BlueShield", "UnitedHealthcare", "Medicare"]
EAP_VENDORS = ["ComPsych", "Magellan"]
TELEHEALTH = {"Aetna": ("10", "95"), "BlueCross BlueShield": ("10", "95"), "UnitedHealthcare": ("10", "GT"),
              "Medicare": ("10", "95"), "ComPsych": ("10", "95"), "Magellan": ("10", "95")}
FEES = {"90791": 200, "90832": 90, "90834": 130, "90837": 170, "90847": 150}
FIRST = ["Avery", "Jordan", "Taylor", "Morgan", "Riley", "Casey", "Jamie", "Quinn", "Drew", "Rowan", "Emerson",
         "Harper", "Elena", "Marcus", "Priya", "Samuel", "Grace", "Noah", "Lena", "Omar", "Hannah", "Lucas",
         "Mei", "Isaac", "Zoe", "Caleb", "Nadia", "Ethan", "Aisha", "Leo"]
LAST = ["Brooks", "Patel", "Nguyen", "Garcia", "Kim", "Johnson", "Rivera", "Foster", "Sato", "Mbeki", "Larsen",
        "Haddad", "Novak", "Reyes", "Osei", "Bauer", "Costa", "Ibrahim", "Walsh", "Lindqvist", "Moreau", "Tanaka"]

PLANTED = {
    "billing.unbilled_session": "A completed Aetna session 8-14 days ago has no claim",
    "billing.claim_without_session": "Claim CL-5901 bills a date on which the client had no session",
    "billing.cpt_time_mismatch": "Claim for a 45-minute session bills 90837",
    "authorizations.near_limit": "A UnitedHealthcare authorization with 2 sessions left; an EAP case at its last session",
    "data.bad_value": "Claims: submitted on '11/31/2026' (November has 30 days)",
    "data.formula_error": "Clients: a balance cell reading #REF!",
    "data.duplicate_id": "Two appointment rows share one id",
    "data.unknown_reference": "A claim for client C-199, who is not in the clients tracker",
    "data.unknown_code": "A claim with CPT 90835, which does not exist",
    "credentialing.not_in_network_for_session": "James Whitfield's Aetna panel lapsed on 2026-11-01; he still sees Aetna clients",
    "credentialing.caqh_attestation_due": "David Okafor's CAQH attestation falls due within 15 days",
    "credentialing.license_expiring": "Sofia Alvarez's license expires 2026-12-31",
    "credentialing.malpractice_expiring": "James Whitfield's malpractice cover expires 2026-12-15",
    "scheduling.missing_telehealth_link": "A video session tomorrow has no link",
    "scheduling.waitlist_stale": "A waitlisted prospect last contacted 20 days ago",
    "compliance.baa_renewal_due": "The e-fax vendor's BAA expires within 60 days",
    "billing.denial_open": "A claim denied with CO-197 (authorization absent) is still open",
    "billing.no_show_billed": "A no-show billed to BlueCross BlueShield",
    "billing.unpaid_followup": "A claim submitted 40+ days ago and still unpaid",
    "billing.balance_due": "A self-pay client has owed $170 for 45 days",
    "scheduling.status_not_updated": "A session last week still reads Scheduled",
    "authorizations.count_mismatch": "An authorization's Sessions Used is one short",
    "compliance.minor_consent_missing": "An adolescent client of Sofia Alvarez has no guardian consent on file",
    "compliance.consent_missing": "A client seen by video has no telehealth consent on file",
    "authorizations.eap_report_due": "The EAP case at its last session owes its vendor a report in 5 days",
    "scheduling.referral_not_contacted": "A referral received Friday Nov 20 has had no first call",
    "scheduling.referral_open": "A referral contacted three weeks ago still has no outcome",
    "scheduling.no_next_appointment": "A self-pay client last seen in October has nothing booked (another, discharged, is quiet)",
    "scheduling.insurance_reverify": "An insured client's benefits were last verified in December 2025",
    "operations.supply_low": "Intake packets: 3 on hand, reorder at 10, not on order",
}
LICENSES = {"Maya Chen": "LCSW", "David Okafor": "LPC", "Sofia Alvarez": "LMFT", "James Whitfield": "LCSW"}


@dataclass
class Client:
    id: str
    first: str
    last: str
    payer: str
    provider: str
    consent: str
    weekday: int
    hour: int
    biweekly: bool
    start: date
    service: str
    minutes: int
    video: bool


def _clients(rng: random.Random) -> list[Client]:
    payer_pool = ["Aetna"] * 14 + ["BlueCross BlueShield"] * 14 + ["UnitedHealthcare"] * 10 + ["Medicare"] * 6 \
                 + ["Self-pay"] * 8 + ["ComPsych"] * 5 + ["Magellan"] * 3
    rng.shuffle(payer_pool)
    slots = {p[0]: [(d, h) for d in range(5) for h in (9, 10, 11, 13, 14, 15, 16, 17)] for p in PROVIDERS}
    for pool in slots.values():
        rng.shuffle(pool)
    clients = []
    for n in range(60):
        provider = PROVIDERS[n % 4][0]
        weekday, hour = slots[provider].pop()
        payer = payer_pool[n]
        if payer in EAP_VENDORS:
            start = ANCHOR - timedelta(days=rng.randint(14, 40))
        else:
            start = ANCHOR - timedelta(days=rng.choice([56, 56, 56, 49, 42, 35, 21, 7, -7]))
        service = "family" if provider == "James Whitfield" and n % 3 == 0 else "individual"
        minutes = 50 if service == "family" else rng.choice([53, 53, 45, 45, 30])
        clients.append(Client(
            id=f"C-{101 + n}", first=rng.choice(FIRST), last=rng.choice(LAST), payer=payer, provider=provider,
            consent=rng.choice(["encrypted", "encrypted", "plain_ok", "plain_ok", "none"]),
            weekday=weekday, hour=hour, biweekly=rng.random() < 0.3, start=start, service=service,
            minutes=minutes, video=rng.random() < 0.5))
    return clients


def _code_for(service: str, minutes: int, intake: bool) -> str:
    if intake:
        return "90791"
    if service == "family":
        return "90847"
    return "90832" if minutes < 38 else "90834" if minutes < 53 else "90837"


def build(seed: int = SEED) -> dict[str, list[list]]:
    """The sample practice as {sheet: rows}; rows hold Python values ready for openpyxl."""
    rng = random.Random(seed)
    clients = _clients(rng)
    first_day = ANCHOR - timedelta(weeks=HISTORY_WEEKS)
    last_day = ANCHOR + timedelta(weeks=AHEAD_WEEKS)
    appointments, claims, auths = [], [], []
    auth_for: dict[str, str] = {}
    appt_n, claim_n = 3001, 5001

    for client in clients:
        if client.payer == "UnitedHealthcare":
            auth_for[client.id] = f"UHC-{client.id[2:]}"
        elif client.payer in EAP_VENDORS:
            auth_for[client.id] = f"EAP-{client.id[2:]}"

    per_auth: dict[str, list] = {}
    for client in clients:
        day = client.start + timedelta(days=(client.weekday - client.start.weekday()) % 7)
        day = max(day, first_day + timedelta(days=(client.weekday - first_day.weekday()) % 7))
        is_eap = client.payer in EAP_VENDORS
        count = 0
        while day <= last_day:
            intake = count == 0 and day >= client.start
            if is_eap and count >= 4:
                break
            past = day < ANCHOR
            roll = rng.random()
            if past:
                status = "completed" if roll < 0.9 or intake or is_eap else "no_show" if roll < 0.94 else \
                    "late_cancel" if roll < 0.97 else "cancelled"
            else:
                status = "confirmed" if (day - ANCHOR).days <= 2 else "scheduled"
            minutes = 60 if intake else client.minutes
            actual = None
            if status == "completed":
                actual = minutes - rng.choice([0, 0, 1, 2, 3]) if not intake else 60
                if not intake and client.service == "individual":
                    actual = {53: max(actual, 53), 45: min(max(actual, 40), 52), 30: min(max(actual, 16), 37)}[minutes]
            code = _code_for(client.service, actual or minutes, intake)
            appt_id = f"A-{appt_n}"
            appt_n += 1
            video = client.video
            auth_id = auth_for.get(client.id)
            appointments.append({
                "appointment_id": appt_id, "client_id": client.id, "provider": client.provider, "date": day,
                "time": time(client.hour, 0), "duration_min": minutes, "actual_min": actual,
                "service": "intake" if intake else client.service, "cpt": code,
                "modality": "video" if video else "in_person",
                "telehealth_link": f"https://riverbend.example/v/{appt_id.lower()}" if video else None,
                "status": status, "payer": client.payer, "authorization_id": auth_id})
            if auth_id:
                per_auth.setdefault(auth_id, []).append(appointments[-1])
            if status == "completed" and client.payer != "Self-pay" and (ANCHOR - day).days >= 3:
                pos, modifier = TELEHEALTH[client.payer] if video else ("11", None)
                age = (ANCHOR - day).days
                submitted = day + timedelta(days=rng.randint(1, 2))
                if age > 25:
                    paid_on = submitted + timedelta(days=rng.randint(12, 20))
                    paid_state: tuple[str, float | None, date | None] = ("paid", FEES[code] * 0.8, paid_on)
                else:
                    paid_state = ("submitted", None, None)
                claims.append({
                    "claim_id": f"CL-{claim_n}", "appointment_id": appt_id, "client_id": client.id,
                    "provider": client.provider, "date_of_service": day, "cpt": code, "modifiers": modifier,
                    "pos": pos, "units": 1, "billed_amount": FEES[code], "payer": client.payer,
                    "submitted_on": submitted, "status": paid_state[0],
                    "paid_amount": round(paid_state[1], 2) if paid_state[1] else None,
                    "paid_on": paid_state[2], "denial_code": None})
                claim_n += 1
            count += 1 if day >= client.start else 0
            day += timedelta(weeks=2 if client.biweekly and not is_eap else 1)

    for client in clients:
        auth_id = auth_for.get(client.id)
        if not auth_id:
            continue
        sessions = per_auth.get(auth_id, [])
        live = [a for a in sessions if a["status"] in ("completed", "scheduled", "confirmed")]
        used = sum(1 for a in sessions if a["status"] == "completed")
        is_eap = client.payer in EAP_VENDORS
        authorized = 8 if is_eap else len(live) + 8
        auths.append({
            "authorization_id": auth_id, "client_id": client.id, "payer": client.payer,
            "kind": "eap" if is_eap else "prior_auth", "sessions_authorized": authorized,
            "start_date": min(a["date"] for a in sessions) if sessions else client.start,
            "end_date": (min(a["date"] for a in sessions) if sessions else client.start) + timedelta(days=180 if not is_eap else 90),
            "sessions_used": used, "provider": client.provider,
            "utilization_report_due": None})

    _plant(rng, clients, appointments, claims, auths)
    drifted, discharged = _plant_continuity(clients, appointments)
    sheets = _sheets(clients, appointments, claims, auths, rng)
    seen = str(next((a["client_id"] for a in sorted(appointments, key=lambda a: (str(a["date"]), a["client_id"]))
                     if a["status"] == "completed" and str(date(2026, 11, 23)) <= str(a["date"]) < str(ANCHOR)),
                    clients[0].id))
    _continuity_sheets(sheets, clients, drifted, discharged, seen)
    return sheets


def _plant_continuity(clients: list[Client], appointments: list[dict]) -> tuple[str, str]:
    """Two self-pay clients (not the ones with balances) whose sessions stopped four weeks ago: one
    drifted off (the planted recall), one the practice discharged (quiet). Chosen without random draws, so the rest of the
    sample stays as it was."""
    def untouched(c: Client) -> bool:
        mine = [a for a in appointments if a["client_id"] == c.id]
        return (c.start <= ANCHOR - timedelta(days=42) and c.id not in planted_balance
                and not any(a["status"] == "scheduled" and a["date"] <= ANCHOR for a in mine))

    planted_balance = {c.id for c in clients if c.payer == "Self-pay"}
    planted_balance = set(sorted(planted_balance, key=[c.id for c in clients].index)[:4])

    chosen = [c.id for c in clients if c.payer == "Self-pay" and untouched(c)][-2:]
    for client_id in chosen:
        for a in [a for a in appointments if a["client_id"] == client_id and a["date"] > ANCHOR - timedelta(days=28)]:
            appointments.remove(a)
    return (chosen + ["", ""])[0], (chosen + ["", ""])[1]     # another seed may offer fewer


def _continuity_sheets(sheets: dict[str, list[list]], clients: list[Client], drifted: str, discharged: str,
                       seen: str) -> None:
    """The clients' status and benefits verification dates, and the referrals and supplies trackers, with
    their planted problems and the clean rows just short of each rule. ``seen``: the client a
    physician's referral became, seen this week (so the physician is told)."""
    header = sheets["Clients"][0]
    status, verified = header.index("Status"), header.index("Insurance Verified")
    insured = [row for row in sheets["Clients"][1:] if row[verified] == "Y"]
    for row in sheets["Clients"][1:]:
        client = next(c for c in clients if c.id == row[0])
        if row[verified] == "Y":
            row[verified] = client.start - timedelta(days=14)
        if row[0] == discharged:
            row[status] = "Discharged"
    insured[5][verified] = date(2025, 12, 20)          # before 2026 began: re-verify before the next session
    sheets["Referrals"] = [
        ["Ref #", "Date Rec'd", "Referred By", "Source Type", "Referrer Email", "Name", "Phone", "Reason",
         "Insurance", "First Contact", "Attempts", "Outcome", "Outcome Date", "Client #", "Release on File"],
        ["R-1", date(2026, 11, 20), "Dr. Lena Park, Riverside Family Medicine", "Physician",
         "lena.park@riverside.example", "Avery Brooks", "555-0180", "anxiety", "Aetna", date(2026, 11, 20), 1,
         "Scheduled", date(2026, 11, 20), seen, "Y"],
        ["R-2", date(2026, 11, 20), "Lakeview EAP", "EAP", None, "Jordan Patel", "555-0181", "work stress",
         "ComPsych", None, 0, None, None, None, None],
        ["R-3", date(2026, 11, 25), "Psychology Today", "Website", None, "Casey Kim", "555-0182", "grief", "Self-pay",
         None, 0, None, None, None, None],
        ["R-4", date(2026, 11, 5), "Northside High School", "School", None, "Riley Foster", "555-0183",
         "adolescent anxiety", "BlueCross BlueShield", date(2026, 11, 6), 2, None, None, None, None],
        ["R-5", date(2026, 11, 12), "Self-referred", "Self", None, "Quinn Sato", "555-0184", "depression", "Aetna",
         date(2026, 11, 13), 1, None, None, None, None],
        ["R-6", date(2026, 11, 2), "Dr. Omar Haddad, St. Mary's", "Hospital", "omar.haddad@stmarys.example",
         "Drew Novak", "555-0185", "trauma", "Medicare", date(2026, 11, 3), 1, "Scheduled", date(2026, 11, 4),
         "C-999", "Y"],
        ["R-7", date(2026, 11, 9), "Dr. Lena Park, Riverside Family Medicine", "Physician",
         "lena.park@riverside.example", "Emerson Walsh", "555-0186", "couples", "Aetna", date(2026, 11, 10), 3,
         "Declined", date(2026, 11, 12), None, None],
    ]
    sheets["Supplies"] = [
        ["Supply", "Qty", "Reorder Level", "Unit", "Vendor", "Last Ordered", "Status"],
        ["Intake packets", 3, 10, "packets", "Office Depot", date(2026, 9, 14), "OK"],
        ["Printer toner", 1, 1, "cartridges", "Staples", date(2026, 11, 20), "Ordered"],
        ["Fax paper", 0, 2, "rolls", None, date(2025, 3, 2), "Discontinued"],
        ["Tissues", 24, 6, "boxes", "Costco", date(2026, 10, 30), "OK"],
        ["Coffee", 5, None, "bags", "Costco", date(2026, 11, 2), "OK"],
    ]


def _plant(rng, clients, appointments, claims, auths) -> None:
    by_id = {a["appointment_id"]: a for a in appointments}
    claim_of = {c["appointment_id"]: c for c in claims}
    # unbilled: an Aetna session 10 days ago loses its claim
    target = next(a for a in appointments if a["payer"] == "Aetna" and a["status"] == "completed"
                  and 8 <= (ANCHOR - a["date"]).days <= 14 and a["provider"] != "James Whitfield")
    claims.remove(claim_of[target["appointment_id"]])
    # cpt/time mismatch: a 45-minute session billed as 90837
    target = next(c for c in claims if c["cpt"] == "90834" and c["status"] == "submitted")
    target["cpt"], target["billed_amount"] = "90837", FEES["90837"]
    by_id[target["appointment_id"]]["actual_min"] = 45
    # a claim for a day with no session
    source = next(c for c in claims if c["payer"] == "BlueCross BlueShield" and c["status"] == "submitted")
    claims.append({**source, "claim_id": "CL-5901", "appointment_id": None,
                   "date_of_service": source["date_of_service"] + timedelta(days=2),
                   "submitted_on": source["submitted_on"] + timedelta(days=2)})
    # a claim for a client no tracker has
    claims.append({**source, "claim_id": "CL-5902", "client_id": "C-199", "appointment_id": None})
    # a CPT code that does not exist
    typo = next(c for c in claims if c["cpt"] == "90834" and c["status"] == "paid")
    typo["cpt"] = "90835"
    # a date that does not exist, typed as text
    bad = next(c for c in claims if c["status"] == "submitted" and c["claim_id"] not in ("CL-5901", "CL-5902"))
    bad["submitted_on"] = "11/31/2026"
    # a denial left open
    denied = next(c for c in claims if c["payer"] == "UnitedHealthcare" and c["status"] == "paid")
    denied.update(status="denied", paid_amount=0, paid_on=None, denial_code="CO-197")
    # near limit: one prior authorization with 2 left, one EAP case at its last session
    uhc = next(a for a in auths if a["kind"] == "prior_auth")
    live = [x for x in appointments if x["authorization_id"] == uhc["authorization_id"]
            and x["status"] in ("completed", "scheduled", "confirmed")]
    uhc["sessions_authorized"] = len(live) + 2
    eap = next(a for a in auths if a["kind"] == "eap" and any(
        x["authorization_id"] == a["authorization_id"] and x["status"] in ("scheduled", "confirmed")
        for x in appointments))
    eap_live = [x for x in appointments if x["authorization_id"] == eap["authorization_id"]
                and x["status"] in ("completed", "scheduled", "confirmed")]
    eap["sessions_authorized"] = len(eap_live)
    eap["utilization_report_due"] = ANCHOR + timedelta(days=5)   # the vendor's closing report
    # a duplicate appointment id
    dup = next(a for a in appointments if a["status"] == "cancelled")
    dup["appointment_id"] = next(a for a in appointments if a["date"] > dup["date"])["appointment_id"]
    # a no-show billed to the insurer
    no_show = next(a for a in appointments if a["status"] == "no_show" and a["payer"] == "BlueCross BlueShield")
    claims.append({"claim_id": "CL-5903", "appointment_id": no_show["appointment_id"], "client_id": no_show["client_id"],
                   "provider": no_show["provider"], "date_of_service": no_show["date"], "cpt": no_show["cpt"],
                   "modifiers": "95" if no_show["modality"] == "video" else None,
                   "pos": "10" if no_show["modality"] == "video" else "11", "units": 1,
                   "billed_amount": FEES[no_show["cpt"]], "payer": no_show["payer"],
                   "submitted_on": no_show["date"] + timedelta(days=1), "status": "submitted",
                   "paid_amount": None, "paid_on": None, "denial_code": None})
    # a claim paid long ago turned unpaid: submitted 40+ days ago, nothing back
    stale = next(c for c in claims if c["status"] == "paid" and (ANCHOR - c["submitted_on"]).days > 40
                 and c["payer"] == "Aetna" and c["cpt"] != "90835")
    stale.update(status="submitted", paid_amount=None, paid_on=None)
    # a session last week never updated
    forgot = next(a for a in appointments if a["status"] == "completed" and 5 <= (ANCHOR - a["date"]).days <= 8
                  and a["payer"] == "Self-pay")
    forgot.update(status="scheduled", actual_min=None)
    # an authorization whose count is one short
    counted = next(a for a in auths if a["kind"] == "prior_auth" and a is not uhc and a["sessions_used"] > 2)
    counted["sessions_used"] -= 1
    # a video session tomorrow without its link
    tomorrow = next(a for a in appointments if a["date"] == ANCHOR + timedelta(days=1) and a["modality"] == "video")
    tomorrow["telehealth_link"] = None


def _consents(n: int, c: Client, unsigned_telehealth: str) -> list:
    """Date of birth, guardian consent, consent to treatment, telehealth consent: adolescents among
    Sofia Alvarez's clients, every consent on file but the two planted gaps. No random draws, so the
    rest of the sample stays as it was."""
    minor = c.provider == "Sofia Alvarez" and (n // 4) % 3 == 0
    born = date(ANCHOR.year - (15 if minor else 24 + n % 40), 1 + n % 12, 1 + n % 28)
    guardian = (None if n == 2 else "Y") if minor else "N/A"
    telehealth = ("Y" if c.id != unsigned_telehealth else None) if c.video else "N/A"
    return [born, guardian, "Y", telehealth]


def _sheets(clients, appointments, claims, auths, rng) -> dict[str, list[list]]:
    sheets: dict[str, list[list]] = {}
    balances: dict[str, tuple[int | None, date | None]] = {c.id: (None, None) for c in clients}
    self_pay = [c for c in clients if c.payer == "Self-pay"]
    for c in self_pay[:3]:
        balances[c.id] = (rng.choice([85, 120, 170]), ANCHOR - timedelta(days=rng.randint(3, 20)))
    balances[self_pay[3].id] = (170, ANCHOR - timedelta(days=45))
    sheets["Clients"] = [["Client ID", "First Name", "Last Name", "Email", "Phone", "Insurance", "Member ID",
                          "Primary Provider", "Email Consent", "Intake Forms Received", "Privacy Notice Ack",
                          "Insurance Verified", "GFE Date", "Balance", "Balance Since", "Status", "Date of Birth",
                          "Guardian Consent", "Consent to Treatment", "Telehealth Consent"]]
    unsigned_telehealth = next(c.id for c in clients if c.video and c.id != clients[2].id)
    for n, c in enumerate(clients):
        insured = c.payer != "Self-pay"
        balance, since = balances[c.id]
        sheets["Clients"].append([
            c.id, c.first, c.last, f"{c.first.lower()}.{c.last.lower()}{c.id[2:]}@mail.example", f"555-01{c.id[2:]}",
            c.payer, f"{c.payer[:3].upper()}{rng.randint(10000000, 99999999)}" if insured else None, c.provider,
            c.consent.replace("_", " ").title() if c.consent != "plain_ok" else "Plain OK", "Y", "Y",
            "Y" if insured else "N/A",
            None if insured else c.start - timedelta(days=7),
            f"${balance:,.2f}" if balance else None, since, "Active", *_consents(n, c, unsigned_telehealth)])
    sheets["Clients"][1 + 17][13] = "#REF!"
    sheets["Clients"] = [[v if v != "N/A" else None for v in row] for row in sheets["Clients"]]

    sheets["Providers"] = [["Provider", "Email", "NPI", "Specialties", "Accepting New", "Weekly Capacity",
                            "License Expires", "Malpractice Expires", "License Type", "Supervisor"]]
    for p in PROVIDERS:
        sheets["Providers"].append(["Yes" if v is True else "No" if v is False else v for v in p]
                                   + [LICENSES[p[0]], None])

    title = "Riverbend Counseling: appointments (kept by the front desk)"
    header = ["Appt #", "Client #", "Clinician", "Date", "Start", "Sched. Min", "Actual Min", "Service", "CPT",
              "Format", "Video Link", "Status", "Insurance", "Auth #"]
    rows: list[list] = [[title], [], header]
    for a in sorted(appointments, key=lambda a: (a["date"], a["time"], a["provider"])):
        rows.append([a["appointment_id"], a["client_id"], a["provider"], a["date"], a["time"], a["duration_min"],
                     f"{a['actual_min']} min" if a["actual_min"] is not None else None,
                     a["service"].replace("_", " ").title(), a["cpt"],
                     "Video" if a["modality"] == "video" else "In Person", a["telehealth_link"],
                     a["status"].replace("_", " ").title(), a["payer"], a["authorization_id"]])
    rows += [[], ["Note: late cancels are billed to the client, never to the insurer."]]
    sheets["Appointments"] = rows

    sheets["Claims"] = [["Claim #", "Appt ID", "Client", "Rendering Provider", "DOS", "CPT", "Modifiers", "POS",
                         "Units", "Billed", "Payer", "Submitted", "Status", "Paid", "Paid On", "Denial Code",
                          "Denied On"]]
    for n, c in enumerate(sorted(claims, key=lambda c: (c["date_of_service"], c["claim_id"]))):
        dos = c["date_of_service"]
        sheets["Claims"].append([
            c["claim_id"], c["appointment_id"], c["client_id"], c["provider"],
            dos.strftime("%m/%d/%Y") if n % 5 == 0 else dos, c["cpt"], c["modifiers"], c["pos"], c["units"],
            c["billed_amount"], c["payer"], c["submitted_on"], c["status"].title(), c["paid_amount"], c["paid_on"],
            c["denial_code"], c["submitted_on"] + timedelta(days=21) if c["status"] == "denied" else None])

    sheets["Credentialing"] = [["Provider", "Payer", "Status", "Effective Date", "CAQH Attested On",
                                "Recredential Due", "Application Submitted On", "Last Follow Up On"]]
    for i, p in enumerate(PROVIDERS):
        for j, payer in enumerate(INSURERS + EAP_VENDORS):
            status, effective = "in_network", date(2023 + (i + j) % 3, 1 + (i * 3 + j) % 12, 1)
            if p[0] == "James Whitfield" and payer == "Aetna":
                status, effective = "lapsed", date(2026, 11, 1)
            attested = ANCHOR - timedelta(days=110 if p[0] == "David Okafor" else 20 + 15 * i)
            recredential = effective.replace(year=effective.year + 3)
            while recredential < ANCHOR + timedelta(days=90):
                recredential = recredential.replace(year=recredential.year + 3)
            sheets["Credentialing"].append([p[0], payer, status.replace("_", " ").title(), effective, attested,
                                            recredential, None, None])
    sheets["Credentialing"].append(["Sofia Alvarez", "Cigna", "Pending", None, ANCHOR - timedelta(days=50), None,
                                    ANCHOR - timedelta(days=40), ANCHOR - timedelta(days=6)])

    sheets["Authorizations"] = [["Authorization ID", "Client ID", "Payer", "Kind", "Sessions Authorized",
                                 "Start Date", "End Date", "Sessions Used", "Provider", "Utilization Report Due"]]
    for a in auths:
        sheets["Authorizations"].append([a["authorization_id"], a["client_id"], a["payer"],
                                         "EAP" if a["kind"] == "eap" else "Prior Auth", a["sessions_authorized"],
                                         a["start_date"], a["end_date"], a["sessions_used"], a["provider"],
                                         a["utilization_report_due"]])

    sheets["Compliance"] = [["Item", "Party", "Client ID", "Signed On", "Expires On", "Status"]]
    for vendor, signed in (("Google Workspace", date(2025, 3, 1)), ("SimplePractice", date(2025, 6, 15)),
                           ("Zoom for Healthcare", date(2025, 9, 1)), ("Availity", date(2026, 2, 1))):
        sheets["Compliance"].append(["BAA", vendor, None, signed, signed.replace(year=signed.year + 2), "Active"])
    sheets["Compliance"].append(["BAA", "eFax Secure", None, date(2025, 1, 10), date(2027, 1, 10), "Active"])
    for c in clients[:4]:
        sheets["Compliance"].append(["ROI", f"Dr. {rng.choice(LAST)} (PCP)", c.id, ANCHOR - timedelta(days=90),
                                     ANCHOR + timedelta(days=275), "Active"])

    sheets["Waitlist"] = [["Prospect ID", "Name", "Email", "Requested Specialty", "Payer", "Added On",
                           "Last Contacted On", "Preferred Provider", "Status"]]
    for n in range(6):
        added = ANCHOR - timedelta(days=10 + 6 * n)
        contacted = ANCHOR - timedelta(days=20 if n == 3 else 2 + n)
        sheets["Waitlist"].append([f"W-{201 + n}", f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                                   f"prospect{201 + n}@mail.example",
                                   rng.choice(["anxiety", "grief", "adolescents", "couples", "trauma"]),
                                   rng.choice(["Aetna", "BlueCross BlueShield", "Self-pay"]), added, contacted, None,
                                   "Waiting"])
    return sheets


WORKBOOKS = {"tracker.xlsx": ["Clients", "Providers", "Appointments", "Credentialing", "Authorizations",
                              "Compliance", "Waitlist", "Referrals", "Supplies"],
             "billing.xlsx": ["Claims"]}


def write(out_dir: Path, seed: int = SEED) -> list[Path]:
    sheets = build(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, names in WORKBOOKS.items():
        book = openpyxl.Workbook()
        book.remove(book.active)
        for name in names:
            sheet = book.create_sheet(name)
            for row in sheets[name]:
                sheet.append(row)
            header_row = 3 if name == "Appointments" else 1
            for cell in sheet[header_row]:
                cell.font = Font(bold=True)
            if name == "Appointments":
                sheet["A1"].font = Font(bold=True, size=14)
            for column in sheet.iter_cols(min_row=header_row + 1):
                for cell in column:
                    if isinstance(cell.value, datetime | date) and not isinstance(cell.value, time):
                        cell.number_format = "mm/dd/yyyy"
                    elif isinstance(cell.value, time):
                        cell.number_format = "h:mm AM/PM"
        book.properties.creator = "practice-ops sample generator"
        book.properties.created = book.properties.modified = datetime(2026, 11, 26, 6, 0)
        path = out_dir / filename
        book.save(path)
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "workbooks/sample")
    for path in write(target):
        print(path)


def write_agency(folder: Path, practices: int, database_url: str = "", schedule: dict[str, str] | None = None,
                 email: str = "") -> Path:
    """An agency of ``practices`` copies of the sample practice (each its own folder, trackers, state and
    outbox), and its agency.toml: what the agency's tests and benchmark run, and a way to try one."""
    import shutil

    root = Path(__file__).resolve().parents[1]
    folder.mkdir(parents=True, exist_ok=True)
    config_text = (root / "config" / "practice.toml").read_text(encoding="utf-8")
    lines = ["[agency]", 'name = "Northwind VA Services"', 'lead = "lead@northwind.example"',
             f'database_url = "{database_url}"', "", email, ""]
    for n in range(1, practices + 1):
        home = folder / f"practice-{n:03d}"
        (home / "workbooks").mkdir(parents=True, exist_ok=True)
        for book in ("tracker.xlsx", "billing.xlsx"):
            shutil.copyfile(root / "workbooks" / "sample" / book, home / "workbooks" / book)
        shutil.copytree(root / "config" / "certs", home / "certs", dirs_exist_ok=True)
        text = (config_text.replace('name = "Riverbend Counseling"', f'name = "Practice {n:03d}"')
                .replace("../workbooks/sample/", "workbooks/").replace('"../outbox"', '"outbox"')
                .replace('"../workbooks/out/work-queue.xlsx"', '"out/work-queue.xlsx"').replace('"../var"', '"var"'))
        if schedule is not None:
            head, _, _ = text.partition("[schedule]")
            text = head + "[schedule]\n" + "".join(f'{job} = "{spec}"\n' for job, spec in schedule.items())
        (home / "practice.toml").write_text(text, encoding="utf-8")
        lines += ["[[practices]]", f'config = "{home.name}/practice.toml"', ""]
    path = folder / "agency.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path

"""The records practice-ops reasons about, one dataclass per tracker.

Each field's metadata is the column contract of DESIGN.md: its kind (how the cell is parsed),
whether it is required, and the headers VAs commonly use for it (matched with case, spacing
and punctuation folded away). The reader, the config validator, the blank-tracker templates
and the docs all read this one table.
"""

from __future__ import annotations

import re
from dataclasses import Field, dataclass, field, fields
from datetime import date, datetime, time
from decimal import Decimal
from operator import attrgetter
from zoneinfo import ZoneInfo

from .values import YesNo, person_key

Kind = str  # text | email | link | date | time | minutes | money | count | yes_no | on_file | enum | codes


@dataclass(slots=True, unsafe_hash=True)
class RowRef:
    """Where a record came from, so that every finding can point back to a row."""

    file: str
    sheet: str
    row: int

    def __str__(self) -> str:
        return f"{self.file}:{self.sheet}: row {self.row}"


def column(kind: Kind = "text", *, required: bool = False, aliases: tuple[str, ...] = (),
           choices: tuple[str, ...] = (), synonyms: dict[str, str] | None = None, default=None,
           canonical: str = ""):
    """``canonical``: the contract's name for the column where the field cannot bear it (a referral's
    ``source``, who referred: every record's ``source`` is the row it came from)."""
    meta = {"kind": kind, "required": required, "aliases": aliases, "choices": choices,
            "synonyms": synonyms or {}, "canonical": canonical}
    return field(default=default, metadata=meta)


def canonical_name(f: Field) -> str:
    """The column's name in the contract (DESIGN.md), which headers, the config and findings use."""
    return str(f.metadata.get("canonical") or f.name)


APPOINTMENT_STATUSES = ("scheduled", "confirmed", "completed", "no_show", "late_cancel", "cancelled")
LIVE_STATUSES = frozenset({"scheduled", "confirmed", "completed"})
UPCOMING_STATUSES = frozenset({"scheduled", "confirmed"})
MISSED_STATUSES = frozenset({"no_show", "late_cancel"})
"""A missed session: due and not held (a no-show, or cancelled too late to fill)."""
CANCELLED_STATUSES = frozenset({"cancelled", "late_cancel"})
"""A session that will not take place as booked: its calendar invitation is cancelled."""
CLAIM_STATUSES = ("draft", "submitted", "rejected", "paid", "partial", "denied", "appealed", "written_off", "void")
SERVICES = ("intake", "individual", "family", "family_without_client", "group", "crisis")
MODALITIES = ("in_person", "video", "phone")
CONSENTS = ("encrypted", "plain_ok", "none")
PANEL_STATUSES = ("in_network", "pending", "lapsed", "not_enrolled")
AUTH_KINDS = ("prior_auth", "eap")
COMPLIANCE_ITEMS = ("baa", "roi")
REFERRAL_SOURCES = ("physician", "eap", "school", "hospital", "insurer", "website", "self", "other")
REFERRAL_OUTCOMES = ("scheduled", "waitlisted", "declined", "no_response", "referred_out", "not_a_fit")
SUPPLY_STATUSES = ("ok", "ordered", "discontinued")

_STATUS_SYNONYMS = {"canceled": "cancelled", "cancel": "cancelled", "rescheduled": "cancelled",
                    "clientcancelled": "cancelled", "clientcanceled": "cancelled",
                    "providercancelled": "cancelled", "providercanceled": "cancelled",
                    "noshow": "no_show", "ns": "no_show", "noshowed": "no_show", "dna": "no_show",
                    "noshownocall": "no_show", "nocallnoshow": "no_show", "ncns": "no_show", "fta": "no_show",
                    "failedtoattend": "no_show", "missed": "no_show",
                    "lcx": "late_cancel", "latecancellation": "late_cancel", "latecanceled": "late_cancel",
                    "latecancelled": "late_cancel", "lc": "late_cancel", "latecx": "late_cancel",
                    "latecancel": "late_cancel", "latecxl": "late_cancel", "lcxl": "late_cancel",
                    "cx": "cancelled", "cxl": "cancelled", "cxd": "cancelled",
                    "complete": "completed", "done": "completed", "attended": "completed", "kept": "completed",
                    "seen": "completed", "arrived": "completed", "checkedout": "completed", "show": "completed",
                    "booked": "scheduled", "pending": "scheduled", "tentative": "scheduled",
                    "unconfirmed": "scheduled"}


@dataclass(slots=True, unsafe_hash=True)
class Client:
    client_id: str = column(required=True, aliases=("client", "client#", "client no", "client number",
                                                    "patient id", "patient", "id"))
    first_name: str | None = column(aliases=("first", "first name", "given name"))
    last_name: str | None = column(aliases=("last", "last name", "surname", "family name"))
    email: str | None = column("email", aliases=("email address", "e-mail"))
    phone: str | None = column(aliases=("phone number", "mobile", "cell", "cell phone", "mobile phone", "mobile number",
                                        "cell number", "telephone", "tel", "phone #", "cell #"))
    payer: str | None = column(aliases=("insurance", "insurer", "plan", "payor"))
    member_id: str | None = column(aliases=("member #", "member number", "subscriber id", "policy #"))
    primary_provider: str | None = column(aliases=("provider", "clinician", "therapist"))
    email_consent: str | None = column("enum", aliases=("email ok", "email preference", "consent"),
                                       choices=CONSENTS,
                                       synonyms={"encrypt": "encrypted", "secure": "encrypted",
                                                 "encryptedonly": "encrypted", "secureonly": "encrypted",
                                                 "secureemail": "encrypted", "securemessage": "encrypted",
                                                 "plain": "plain_ok", "unencrypted": "plain_ok",
                                                 "plainemailok": "plain_ok", "plainok": "plain_ok",
                                                 "plainemail": "plain_ok", "encryptedemail": "encrypted",
                                                 "encryptedemailonly": "encrypted", "noemailplease": "none",
                                                 "unencryptedok": "plain_ok", "plaintext": "plain_ok",
                                                 "regularemail": "plain_ok", "yes": "plain_ok",
                                                 "no": "none", "refused": "none", "declined": "none",
                                                 "optout": "none", "noemail": "none", "phoneonly": "none"})
    intake_forms_received: YesNo | None = column("yes_no", aliases=("intake forms", "forms received", "forms"))
    privacy_notice_ack: YesNo | None = column("yes_no", aliases=("npp", "privacy notice", "npp signed",
                                                                "privacy ack"))
    insurance_verified: date | YesNo | None = column("on_file", aliases=("verified", "ins verified", "vob",
                                                                        "benefits verified", "insurance verified on",
                                                                        "date verified", "verified on",
                                                                        "last verified", "vob date"))
    good_faith_estimate: date | YesNo | None = column("on_file", aliases=("gfe", "gfe date", "gfe sent",
                                                                         "good faith estimate sent"))
    balance: Decimal | None = column("money", aliases=("balance due", "amount due", "owes"))
    balance_since: date | None = column("date", aliases=("balance date", "oldest balance"))
    status: str | None = column(aliases=("client status", "active"))
    date_of_birth: date | None = column("date", aliases=("dob", "birth date", "birthdate", "date of birth", "born"))
    guardian_consent: YesNo | None = column("yes_no", aliases=("guardian consent", "parent consent",
                                                               "parental consent", "guardian consent signed",
                                                               "parent guardian consent", "minor consent"))
    consent_to_treat: YesNo | None = column("yes_no", aliases=("consent signed", "consent to treatment",
                                                               "informed consent", "treatment consent",
                                                               "consent form", "consent on file"))
    telehealth_consent: YesNo | None = column("yes_no", aliases=("telehealth consent", "telehealth consent signed",
                                                                 "video consent", "telemedicine consent"))
    sms_consent: date | YesNo | None = column("on_file", aliases=("sms consent", "text consent", "texts ok",
                                                                  "ok to text", "text messages", "sms ok",
                                                                  "texting consent", "consent to text", "text ok"))
    source: RowRef | None = None


PRE_LICENSED = frozenset({
    "acsw", "amft", "apcc", "asw", "aswc",                      # California
    "lmsw", "llmsw", "lgsw", "lgpc", "lgmft", "lapc", "lamft",  # Texas, Michigan, Maryland, Georgia
    "lpca", "lmfta", "lcswa", "lcmhca", "lmhca", "lpcci", "lpci", "lmfti", "mhci", "rmhci", "llpc", "plpc",
    "lpcmhi", "lmhci", "cswa", "lpcr", "rlmft",
})
"""Folded state titles of clinicians who practise under a supervisor (DOMAIN.md, Associates)."""
PRE_LICENSED_WORDS = ("associate", "intern", "resident", "prelicensed", "trainee", "provisional", "registered",
                      "supervisee", "student", "practicum", "mastersocialworker", "graduatesocialworker")
"""Words (folded) that make any title an associate's: `LPC-Associate`, `MFT Intern`, `Licensed Master Social
Worker` (an LMSW, who may not practise independently)."""
LICENSED = frozenset({
    "lcsw", "licsw", "lisw", "liscsw", "lcswc", "lcswr", "lcswpip", "lpc", "lpcc", "lcpc", "lmhc", "lmft", "mft",
    "lcmhc", "lpcmh", "lmhp", "lcmft", "lcat", "lpat", "ladc", "lcadc", "lcdc", "lac", "lp", "lpa", "psychologist",
    "phd", "psyd", "edd", "md", "do", "np", "pmhnp", "pmhnpbc", "aprn", "apn", "cns", "psychiatrist", "lsatp",
    "licensed", "bcba",
})
"""Folded titles of independently licensed clinicians (a supervisor's `-S` suffix, LCSW-S or LPC-S, is one
of them and a qualified supervisor)."""


def license_standing(license_type: str | None) -> str | None:
    """``associate`` (practises under a supervisor), ``licensed``, ``unknown`` (a title practice-ops does
    not know: ``check`` names it), or None for a blank cell. Every title in the cell is read
    (`LMSW, LCDC`): one associate title makes an associate; `-S` marks a licensed supervisor."""
    from .values import fold

    if not license_type or not license_type.strip():
        return None
    if any(word in fold(license_type) for word in PRE_LICENSED_WORDS):
        return "associate"
    titles = [t for t in re.split(r"[\s,;/()&|]+", license_type.strip()) if t]
    standing = "unknown"
    for title in titles:
        supervisor = re.fullmatch(r"(.+?)[-\s]?S", title) if title.upper().endswith("-S") else None
        folded = fold(supervisor[1] if supervisor else title)
        if not folded:
            continue
        if folded in PRE_LICENSED and not supervisor:
            return "associate"
        if folded in LICENSED or (supervisor and folded in LICENSED | PRE_LICENSED):
            standing = "licensed"
    return standing


def is_pre_licensed(license_type: str | None) -> bool:
    return license_standing(license_type) == "associate"


@dataclass(slots=True, unsafe_hash=True)
class Provider:
    provider: str = column(required=True, aliases=("clinician", "therapist", "name", "provider name"))
    email: str | None = column("email", aliases=("email address", "e-mail"))
    npi: str | None = column(aliases=("npi #", "npi number"))
    specialties: str | None = column(aliases=("specialty", "focus", "specialisms"))
    accepting_new: YesNo | None = column("yes_no", aliases=("accepting", "accepting new clients", "open to new"))
    weekly_capacity: int | None = column("count", aliases=("capacity", "weekly slots", "max per week"))
    license_expires: date | None = column("date", aliases=("license expiration", "license exp", "licence expires"))
    malpractice_expires: date | None = column("date", aliases=("malpractice expiration", "malpractice exp",
                                                               "liability expires", "coi expires"))
    license_type: str | None = column(aliases=("license", "licence", "credential", "credentials", "licensure",
                                               "license level", "licence type"))
    supervisor: str | None = column(aliases=("supervised by", "clinical supervisor", "supervising clinician",
                                             "supervising provider"))
    source: RowRef | None = None


@dataclass(slots=True, unsafe_hash=True)
class Appointment:
    appointment_id: str = column(required=True, aliases=("appt id", "appointment", "appt", "appt #",
                                                         "session id", "id"))
    client_id: str = column(required=True, aliases=("client", "client #", "client no", "patient id", "patient"))
    provider: str = column(required=True, aliases=("clinician", "therapist", "rendering provider"))
    date: date = column("date", required=True, aliases=("appt date", "session date", "day", "dos"))
    time: time = column("time", required=True, aliases=("start", "start time", "appt time", "session time"))
    duration_min: int | None = column("minutes", aliases=("duration", "length", "scheduled min",
                                                          "scheduled minutes", "mins"))
    actual_min: int | None = column("minutes", aliases=("actual", "actual minutes", "minutes seen",
                                                        "face to face min", "actual duration"))
    service: str | None = column("enum", aliases=("service type", "type", "session type", "visit type"),
                                 choices=SERVICES,
                                 synonyms={"individualtherapy": "individual", "therapy": "individual",
                                           "individualsession": "individual", "psychotherapy": "individual",
                                           "assessment": "intake", "initialassessment": "intake",
                                           "diagnosticevaluation": "intake", "evaluation": "intake",
                                           "familytherapy": "family", "couples": "family",
                                           "couplestherapy": "family", "marriagecounseling": "family",
                                           "familywithoutclient": "family_without_client",
                                           "grouptherapy": "group", "crisissession": "crisis"})
    cpt: tuple[str, ...] = column("codes", aliases=("cpt code", "code", "planned cpt", "cpt codes"), default=())
    modality: str | None = column("enum", aliases=("location", "visit mode", "mode", "format"),
                                  choices=MODALITIES,
                                  synonyms={"office": "in_person", "inperson": "in_person", "inoffice": "in_person",
                                            "onsite": "in_person", "telehealth": "video", "videocall": "video",
                                            "virtual": "video", "zoom": "video", "telephone": "phone",
                                            "audio": "phone", "audioonly": "phone"})
    telehealth_link: str | None = column("link", aliases=("link", "video link", "zoom link", "meeting link"))
    status: str | None = column("enum", aliases=("appt status", "session status"), choices=APPOINTMENT_STATUSES,
                                synonyms=_STATUS_SYNONYMS)
    payer: str | None = column(aliases=("insurance", "payor", "plan"))
    authorization_id: str | None = column(aliases=("auth", "auth #", "auth id", "authorization", "auth number",
                                                   "eap case", "case #"))
    source: RowRef | None = None


@dataclass(slots=True, unsafe_hash=True)
class Claim:
    claim_id: str = column(required=True, aliases=("claim", "claim #", "claim no", "claim number", "id"))
    appointment_id: str | None = column(aliases=("appt id", "appointment", "appt", "appt #", "session id"))
    client_id: str = column(required=True, aliases=("client", "client #", "patient id", "patient"))
    provider: str = column(required=True, aliases=("clinician", "rendering provider", "therapist"))
    date_of_service: date = column("date", required=True, aliases=("dos", "service date", "date"))
    cpt: tuple[str, ...] = column("codes", required=True, aliases=("cpt code", "code", "codes", "procedure"),
                                  default=())
    modifiers: tuple[str, ...] = column("codes", aliases=("modifier", "mod", "mods"), default=())
    pos: str | None = column(aliases=("place of service", "pos code"))
    units: int | None = column("count", aliases=("unit", "qty"))
    billed_amount: Decimal | None = column("money", aliases=("billed", "charge", "charges", "amount billed"))
    payer: str = column(required=True, aliases=("insurance", "payor", "plan"))
    submitted_on: date | None = column("date", aliases=("submitted", "date submitted", "sent on"))
    status: str | None = column("enum", aliases=("claim status",), choices=CLAIM_STATUSES,
                                synonyms={"pending": "submitted", "sent": "submitted", "billed": "submitted",
                                          "accepted": "submitted", "inprocess": "submitted",
                                          "resubmitted": "submitted", "rebilled": "submitted",
                                          "clearinghouserejected": "rejected", "reject": "rejected",
                                          "frontendrejected": "rejected", "returned": "rejected",
                                          "appeal": "appealed", "appealpending": "appealed",
                                          "writeoff": "written_off", "writtenoff": "written_off",
                                          "partiallypaid": "partial", "partialpayment": "partial",
                                          "paidinfull": "paid", "voided": "void", "notbilled": "draft",
                                          "unbilled": "draft", "readytobill": "draft", "notsubmitted": "draft"})
    paid_amount: Decimal | None = column("money", aliases=("paid", "amount paid", "payment"))
    paid_on: date | None = column("date", aliases=("date paid", "payment date"))
    denial_code: str | None = column(aliases=("denial", "carc", "denial reason", "reason code"))
    denied_on: date | None = column("date", aliases=("denial date", "date denied", "denied", "eob date",
                                                     "era date"))
    appealed_on: date | None = column("date", aliases=("appeal date", "date appealed", "appeal submitted",
                                                       "appeal sent", "appeal filed", "appealed"))
    source: RowRef | None = None


@dataclass(slots=True, unsafe_hash=True)
class Credential:
    provider: str = column(required=True, aliases=("clinician", "therapist"))
    payer: str = column(required=True, aliases=("insurance", "payor", "plan", "panel"))
    status: str = column("enum", required=True, aliases=("panel status", "network status", "credentialing status"),
                         choices=PANEL_STATUSES,
                         synonyms={"innetwork": "in_network", "inn": "in_network", "active": "in_network",
                                   "credentialed": "in_network", "par": "in_network", "participating": "in_network",
                                   "applied": "pending", "inprocess": "pending", "submitted": "pending",
                                   "expired": "lapsed", "inactive": "lapsed",
                                   "termed": "lapsed", "terminated": "lapsed", "oon": "not_enrolled",
                                   "denied": "not_enrolled", "none": "not_enrolled",
                                   "outofnetwork": "not_enrolled", "notenrolled": "not_enrolled"})
    effective_date: date | None = column("date", aliases=("effective", "effective on", "start date"))
    caqh_attested_on: date | None = column("date", aliases=("caqh attested", "caqh attestation", "caqh"))
    recredential_due: date | None = column("date", aliases=("recredentialing due", "recred due"))
    application_submitted_on: date | None = column("date", aliases=("application submitted", "applied on"))
    last_follow_up_on: date | None = column("date", aliases=("last follow up", "last followup", "followed up on"))
    source: RowRef | None = None


@dataclass(slots=True, unsafe_hash=True)
class Authorization:
    authorization_id: str = column(required=True, aliases=("auth", "auth #", "auth id", "authorization",
                                                           "auth number", "case #", "eap case"))
    client_id: str = column(required=True, aliases=("client", "client #", "patient id", "patient"))
    payer: str = column(required=True, aliases=("insurance", "payor", "plan", "vendor", "eap vendor"))
    kind: str | None = column("enum", aliases=("type", "auth type"), choices=AUTH_KINDS,
                              synonyms={"pa": "prior_auth", "priorauthorization": "prior_auth",
                                        "auth": "prior_auth", "authorization": "prior_auth", "preauth": "prior_auth",
                                        "precert": "prior_auth", "insurance": "prior_auth",
                                        "employeeassistance": "eap", "eapcase": "eap"})
    sessions_authorized: int = column("count", required=True, aliases=("authorized", "sessions", "visits authorized",
                                                                       "units authorized", "approved sessions"))
    start_date: date | None = column("date", aliases=("start", "from", "valid from"))
    end_date: date | None = column("date", aliases=("end", "to", "through", "valid to", "expires"))
    sessions_used: int | None = column("count", aliases=("used", "visits used", "sessions to date"))
    provider: str | None = column(aliases=("clinician", "therapist"))
    utilization_report_due: date | None = column("date", aliases=("report due", "ur due", "closing report due"))
    source: RowRef | None = None


@dataclass(slots=True, unsafe_hash=True)
class ComplianceItem:
    item: str = column("enum", required=True, aliases=("document", "type", "doc type"), choices=COMPLIANCE_ITEMS,
                       synonyms={"businessassociateagreement": "baa", "release": "roi",
                                 "releaseofinformation": "roi"})
    party: str = column(required=True, aliases=("vendor", "with", "counterparty", "recipient"))
    client_id: str | None = column(aliases=("client", "client #"))
    signed_on: date | None = column("date", aliases=("signed", "date signed"))
    expires_on: date | None = column("date", aliases=("expires", "expiration", "renewal"))
    status: str | None = column(aliases=("state",))
    source: RowRef | None = None


@dataclass(slots=True, unsafe_hash=True)
class WaitlistEntry:
    prospect_id: str = column(required=True, aliases=("prospect", "id", "waitlist id"))
    name: str | None = column(aliases=("prospect name", "full name"))
    email: str | None = column("email", aliases=("email address", "e-mail"))
    requested_specialty: str | None = column(aliases=("specialty", "need", "presenting concern", "looking for"))
    payer: str | None = column(aliases=("insurance", "payor", "plan"))
    added_on: date | None = column("date", aliases=("added", "date added", "joined"))
    last_contacted_on: date | None = column("date", aliases=("last contacted", "last contact", "contacted"))
    preferred_provider: str | None = column(aliases=("preferred clinician", "preferred therapist"))
    status: str | None = column(aliases=("waitlist status",))
    source: RowRef | None = None


@dataclass(slots=True, unsafe_hash=True)
class Referral:
    referral_id: str = column(required=True, aliases=("referral", "ref id", "ref #", "referral #", "referral no",
                                                      "id"))
    received_on: date = column("date", required=True, aliases=("received", "date received", "date rec'd",
                                                              "date recd", "rec'd", "referral date", "date referred",
                                                              "date in"))
    referred_by: str | None = column(aliases=("referred by", "ref source", "referral source", "referring provider",
                                              "referrer", "from"), canonical="source")
    source_type: str | None = column("enum", aliases=("source type", "referral type", "type"),
                                     choices=REFERRAL_SOURCES,
                                     synonyms={"doctor": "physician", "pcp": "physician", "md": "physician",
                                               "psychiatrist": "physician", "pediatrician": "physician",
                                               "employeeassistance": "eap", "er": "hospital",
                                               "emergencyroom": "hospital", "inpatient": "hospital",
                                               "insurance": "insurer", "payer": "insurer", "web": "website",
                                               "webform": "website", "online": "website",
                                               "psychologytoday": "website", "selfreferred": "self",
                                               "selfreferral": "self", "walkin": "self", "family": "other",
                                               "friend": "other", "teacher": "school", "counselor": "school"})
    source_email: str | None = column("email", aliases=("referrer email", "source email", "referring email"))
    name: str | None = column(aliases=("client name", "prospect", "full name", "patient name"))
    phone: str | None = column(aliases=("phone number", "cell", "mobile"))
    email: str | None = column("email", aliases=("email address", "e-mail"))
    reason: str | None = column(aliases=("reason for referral", "presenting concern", "concern"))
    requested_specialty: str | None = column(aliases=("specialty", "need", "looking for"))
    payer: str | None = column(aliases=("insurance", "payor", "plan", "insurer"))
    contacted_on: date | None = column("date", aliases=("first contact", "contacted", "first contacted",
                                                        "date contacted", "first call", "called on"))
    attempts: int | None = column("count", aliases=("contact attempts", "calls", "# attempts", "tries"))
    outcome: str | None = column("enum", aliases=("result", "status", "disposition"), choices=REFERRAL_OUTCOMES,
                                 synonyms={"booked": "scheduled", "intakescheduled": "scheduled",
                                           "waitlist": "waitlisted", "onwaitlist": "waitlisted",
                                           "refused": "declined", "clientdeclined": "declined",
                                           "noresponse": "no_response", "unreachable": "no_response",
                                           "noanswer": "no_response", "referredelsewhere": "referred_out",
                                           "referredout": "referred_out", "outofnetwork": "referred_out",
                                           "notafit": "not_a_fit", "notappropriate": "not_a_fit",
                                           "inappropriate": "not_a_fit"})
    outcome_on: date | None = column("date", aliases=("outcome date", "closed on", "date closed", "resolved on"))
    client_id: str | None = column(aliases=("client", "client #", "client no", "new client id"))
    release_on_file: date | YesNo | None = column("on_file", aliases=("release", "roi", "release signed",
                                                                      "roi on file", "release of information"))
    source: RowRef | None = None


@dataclass(slots=True, unsafe_hash=True)
class Supply:
    item: str = column(required=True, aliases=("supply", "supplies", "description", "product"))
    on_hand: int | None = column("count", aliases=("qty", "quantity", "in stock", "on hand qty", "count", "stock"))
    reorder_at: int | None = column("count", aliases=("reorder level", "reorder point", "min", "minimum",
                                                      "reorder when", "par level"))
    unit: str | None = column(aliases=("units", "uom", "per"))
    vendor: str | None = column(aliases=("supplier", "where to buy", "store"))
    last_ordered_on: date | None = column("date", aliases=("last ordered", "ordered on", "order date"))
    status: str | None = column("enum", aliases=("order status",), choices=SUPPLY_STATUSES,
                                synonyms={"instock": "ok", "fine": "ok", "good": "ok", "onorder": "ordered",
                                          "backordered": "ordered", "pending": "ordered",
                                          "nolongerused": "discontinued", "stopped": "discontinued"})
    source: RowRef | None = None


TRACKERS: dict[str, type] = {
    "clients": Client,
    "providers": Provider,
    "appointments": Appointment,
    "claims": Claim,
    "credentialing": Credential,
    "authorizations": Authorization,
    "compliance": ComplianceItem,
    "waitlist": WaitlistEntry,
    "referrals": Referral,
    "supplies": Supply,
}
"""Tracker name (as in the config) -> record type."""

if any(fields(record_type)[-1].name != "source" for record_type in TRACKERS.values()):
    raise TypeError("every record type ends with its source: the reader and the cache build records positionally")

ID_COLUMN = {"clients": "client_id", "providers": "provider", "appointments": "appointment_id",
             "claims": "claim_id", "authorizations": "authorization_id", "waitlist": "prospect_id",
             "referrals": "referral_id"}
"""Trackers whose rows carry an id that must be unique."""

RECORD_KIND = {"clients": "client", "providers": "provider", "appointments": "appointment", "claims": "claim",
               "authorizations": "authorization", "waitlist": "prospect", "referrals": "referral"}
"""Tracker -> the word a finding's ``refs`` use for one of its records."""


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    name: str
    kind: Kind
    required: bool
    aliases: tuple[str, ...]
    choices: tuple[str, ...]
    synonyms: dict[str, str]


def columns_of(tracker: str) -> list[ColumnSpec]:
    return [ColumnSpec(canonical_name(f), f.metadata["kind"], f.metadata["required"], f.metadata["aliases"],
                       f.metadata["choices"], f.metadata["synonyms"])
            for f in fields(TRACKERS[tracker]) if f.metadata]


@dataclass
class Practice:
    """Everything read from the trackers in one run: the input of every rule."""

    clients: list[Client] = field(default_factory=list)
    providers: list[Provider] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    credentialing: list[Credential] = field(default_factory=list)
    authorizations: list[Authorization] = field(default_factory=list)
    compliance: list[ComplianceItem] = field(default_factory=list)
    waitlist: list[WaitlistEntry] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    supplies: list[Supply] = field(default_factory=list)
    present: frozenset[str] = frozenset()
    """The trackers the practice keeps; a rule about a tracker that is not kept stays quiet."""
    columns: dict[str, frozenset[str]] = field(default_factory=dict)
    """Tracker -> the canonical columns its sheet has. A rule about a column the practice does not
    keep stays quiet rather than reading every blank as 'no'."""
    unreadable: frozenset[tuple[str, str, str]] = frozenset()
    """(record kind, record id, column) of each cell that could not be read: a blank field there is
    not 'none on file' but 'unreadable', and messages say so."""
    unreadable_cells: frozenset[tuple[str, str, int, str]] = frozenset()
    """(file, sheet, row, column) of every cell that could not be read, for records of any tracker."""
    duplicates: dict[str, dict[str, list]] = field(default_factory=dict)
    """Tracker -> id -> every row's record, for ids on more than one row (the lists keep the last)."""
    deduplicated: bool = False
    """Set by the loader: ``duplicates`` is complete, so the rules need not group the rows again."""

    def cannot_read(self, record, column: str) -> bool:
        """Whether the record's ``column`` cell was there but could not be read: a blank there borrows
        nothing (no other column stands in for it, and no rule reads it as 'none on file')."""
        where = record.source
        return where is not None and (where.file, where.sheet, where.row, column) in self.unreadable_cells

    def keeps(self, tracker: str, column: str | None = None) -> bool:
        if tracker not in self.present:
            return False
        return column is None or tracker not in self.columns or column in self.columns[tracker]


def start_of(appt: Appointment, zone: ZoneInfo) -> datetime:
    """When a session starts, in the practice's time zone."""
    return datetime.combine(appt.date, appt.time, tzinfo=zone)


def record_key(tracker: str, record) -> str:
    """The id a record is known by: clinicians by their person key, the rest by their id column."""
    value = getattr(record, ID_COLUMN[tracker])
    return person_key(value) if tracker == "providers" else value


def last_row_wins(tracker: str, records: list) -> tuple[list, dict[str, list]]:
    """One record per id, the last row's, in sheet order; and the ids that were on several rows. A
    VA's newest row is usually the last, and one rule for every job means reruns never flip between
    two rows (an invitation sent for one, then the other)."""
    keys = ([record_key(tracker, record) for record in records] if tracker == "providers"
            else list(map(attrgetter(ID_COLUMN[tracker]), records)))
    if len(set(keys)) == len(keys):
        return records, {}
    rows: dict[str, list] = {}
    for key, record in zip(keys, records, strict=True):
        rows.setdefault(key, []).append(record)
    duplicates = {key: found for key, found in rows.items() if len(found) > 1}
    last = {key: found[-1] for key, found in rows.items()}
    return [r for r in records if last[record_key(tracker, r)] is r], duplicates

"""Code sets: CPT (the psychiatry section), place of service, modifiers and CARC denial reasons.

The full CPT set is licensed by the AMA, so a code is checked by its form everywhere, and by
membership inside the psychiatry section (90785-90899), where a therapy practice's codes live
and where a typo (90835) looks most like a real code.
"""

from __future__ import annotations

import re
from functools import lru_cache

PSYCHIATRY_CODES = frozenset({
    "90785", "90791", "90792", "90832", "90833", "90834", "90836", "90837", "90838", "90839", "90840",
    "90845", "90846", "90847", "90849", "90853", "90863", "90865", "90867", "90868", "90869", "90870",
    "90880", "90882", "90885", "90887", "90889", "90899",
})
PSYCHOTHERAPY_CODES = ("90832", "90834", "90837")
EM_ADDON_CODES = ("90833", "90836", "90838")
EM_CODES = frozenset({"99202", "99203", "99204", "99205", "99211", "99212", "99213", "99214", "99215"})
CRISIS_CODE, CRISIS_ADDON = "90839", "90840"
FAMILY_CODES = ("90846", "90847")
TIME_BASED_CODES = frozenset({*PSYCHOTHERAPY_CODES, *EM_ADDON_CODES, CRISIS_CODE, CRISIS_ADDON, *FAMILY_CODES})

PLACES_OF_SERVICE = frozenset({
    "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16", "17", "18",
    "19", "20", "21", "22", "23", "24", "25", "26", "27", "31", "32", "33", "34", "41", "42", "49", "50", "51",
    "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "65", "66", "71", "72", "81", "99",
})

CARC_MEANINGS = {
    "1": ("Deductible amount", "Bill the client for the deductible."),
    "2": ("Coinsurance amount", "Bill the client for the coinsurance."),
    "3": ("Co-payment amount", "Collect the copay from the client."),
    "4": ("The procedure code is inconsistent with the modifier used, or a required modifier is missing",
          "Correct the modifier (telehealth: 95, 93 or GT as the payer wants) and resubmit as a corrected claim."),
    "5": ("The procedure code or bill type is inconsistent with the place of service",
          "Correct the place of service (02, 10 or 11) and resubmit."),
    "11": ("The diagnosis is inconsistent with the procedure", "Check the diagnosis code against the note and resubmit."),
    "16": ("Claim lacks information or has submission/billing error(s)",
           "Read the remark code, add what is missing and resubmit."),
    "18": ("Exact duplicate claim or service", "Check whether the first claim was paid; void the duplicate."),
    "22": ("This care may be covered by another payer per coordination of benefits",
           "Ask the client for other coverage and bill the primary payer first."),
    "27": ("Expenses incurred after coverage terminated",
           "Verify eligibility; bill the new payer or the client."),
    "29": ("The time limit for filing has expired",
           "It cannot be appealed: write it off as a contractual adjustment and never bill the client (only proof "
           "of timely filing, such as a clearinghouse acceptance report, reopens it)."),
    "45": ("Charge exceeds fee schedule/maximum allowable", "Adjust off the contractual amount; no appeal."),
    "50": ("Not deemed a medical necessity by the payer",
           "Appeal with the treatment plan and progress notes."),
    "96": ("Non-covered charge(s)", "Check the client's benefits; bill the client if they agreed in advance."),
    "97": ("The benefit for this service is included in another service already adjudicated",
           "Check the code combination; unbundle only if documentation supports it."),
    "109": ("Claim not covered by this payer", "Find the right payer and resubmit there."),
    "119": ("Benefit maximum for this time period has been reached", "Bill the client or request an exception."),
    "170": ("Payment is denied when performed by this type of provider",
            "Check the provider's licence type against the payer's rules."),
    "185": ("The rendering provider is not eligible to perform the service billed",
            "Check the provider's panel status on the date of service (credentialing gap)."),
    "197": ("Precertification/authorization/notification absent",
            "Request a retro-authorization if the payer allows it, then appeal."),
    "198": ("Precertification/authorization exceeded", "Request more sessions on the authorization, then appeal."),
}


INTAKE_CODES = frozenset({"90791", "90792"})
INTAKE_EXCLUDES = frozenset({*PSYCHOTHERAPY_CODES, *EM_ADDON_CODES, CRISIS_CODE, *FAMILY_CODES})
"""Codes a diagnostic evaluation may not share a date with, for one client and provider (NCCI)."""
COMPLEXITY_ADDON = "90785"
COMPLEXITY_EXCLUDES = frozenset({CRISIS_CODE, CRISIS_ADDON})
PAIRED_CODES = frozenset({*INTAKE_CODES, COMPLEXITY_ADDON})
"""Every code pair that may not be billed together holds one of these."""
TELEHEALTH_MODIFIERS = frozenset({"95", "93", "GT", "FQ"})
CORRECTABLE_CARCS = frozenset({"4", "5", "11", "16", "22", "109"})
"""Denials fixed by a corrected claim, which must reach the payer within the filing limit."""
NOT_APPEALABLE_CARCS = frozenset({"29", "45"})


def code_pair_conflicts(billed: set[str] | frozenset[str]) -> dict[str, list[str]]:
    """Code to remove -> the codes it may not be billed beside, for one client and date. The fix
    is always to remove a code, never to bill a longer one."""
    if not PAIRED_CODES & billed:
        return {}  # most visits: nothing to pair
    conflicts: dict[str, list[str]] = {}
    for intake in sorted(INTAKE_CODES & billed):
        for code in sorted(INTAKE_EXCLUDES & billed):
            conflicts.setdefault(code, []).append(intake)
    if COMPLEXITY_ADDON in billed:
        for code in sorted(COMPLEXITY_EXCLUDES & billed):
            conflicts.setdefault(COMPLEXITY_ADDON, []).append(code)
    return conflicts


_ONE_DIGIT = re.compile(r"\d(\.0)?")
_TWO_DIGITS_DOT_ZERO = re.compile(r"\d\d\.0")
_PSYCHIATRY_FORM = re.compile(r"9\d{4}")
_CPT_FORM = re.compile(r"\d{5}|\d{4}[FTU]|[A-V]\d{4}")
_MODIFIER_FORM = re.compile(r"[0-9A-Z]{2}")


@lru_cache(maxsize=1024)
def normalise_pos(value: str | None) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if _ONE_DIGIT.fullmatch(text):
        return "0" + text[0]
    return text[:-2] if _TWO_DIGITS_DOT_ZERO.fullmatch(text) else text


@lru_cache(maxsize=4096)
def is_real_cpt(code: str) -> bool:
    if _PSYCHIATRY_FORM.fullmatch(code) and "90785" <= code <= "90899":
        return code in PSYCHIATRY_CODES
    return bool(_CPT_FORM.fullmatch(code))


def is_real_pos(code: str) -> bool:
    return code in PLACES_OF_SERVICE


def is_real_modifier(code: str) -> bool:
    return bool(_MODIFIER_FORM.fullmatch(code))


def split_carc(text: str) -> tuple[str | None, str] | None:
    """`CO-197`, `PR 1`, `CARC 29`, `197` -> (group, code); None when it is not a CARC."""
    match = re.fullmatch(r"(?:(CO|PR|OA|PI|CR)[\s\-:]*)?(?:CARC\s*)?([A-Z]?\d{1,3})", text.strip().upper())
    if not match:
        return None
    code = match[2].lstrip("0") or "0"
    if code.isdigit() and not 1 <= int(code) <= 299:
        return None
    return match[1], code

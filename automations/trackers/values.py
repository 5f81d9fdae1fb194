"""Reading one cell into one typed value: the only place dates, times, minutes, money,
yes/no, enums and code lists are parsed.

Each parser takes what a spreadsheet library hands back (``str``, ``int``, ``float``,
``datetime``, ``date``, ``time``, ``bool``) and returns a typed value or raises
``ValueError`` whose text is the *why* a VA reads ("is not a date").
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache

EXCEL_EPOCH = date(1899, 12, 30)
FIRST_YEAR, LAST_YEAR = 1900, 2199
"""Dates outside these years are typing slips (or an attack on date arithmetic), never records."""
OPEN_ENDED = date(9999, 12, 31)
"""What spreadsheets write for "no end": an end or expiry cell holding it reads as blank."""
MAX_MONEY = Decimal(1_000_000)
MAX_COUNT = 1000
MAX_MINUTES = 12 * 60
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
EXCEL_ERRORS = frozenset({
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
    "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!", "#CONNECT!",
    "#BUSY!", "#ERROR!",  # the last two are Google Sheets' own
})

_DAY_FIRST = {"%m/%d/%Y": "%d/%m/%Y", "%m/%d/%y": "%d/%m/%y", "%m-%d-%Y": "%d-%m-%Y", "%m-%d-%y": "%d-%m-%y",
              "%m.%d.%Y": "%d.%m.%Y"}
_DATE_FORMATS = (
    "%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d",
    "%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y", "%m-%d-%y", "%m.%d.%Y",
    "%b %d, %Y", "%b %d %Y", "%B %d, %Y", "%B %d %Y", "%d %b %Y", "%d %B %Y",
    "%a, %b %d, %Y", "%A, %B %d, %Y", "%Y%m%d",
)
_TIME_FORMATS = ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M:%S %p", "%I %p", "%I%p", "%I:%M%p", "%H%M")
_TRUE = {"y", "yes", "true", "1", "x", "✓", "✔", "done"}
_FALSE = {"n", "no", "false", "0"}
_NOT_APPLICABLE = {"na", "notapplicable"}
SELF_PAY = {"selfpay", "privatepay", "cash", "slidingscale", "slidingfee", "superbill", "outofnetwork", "oon", "oop",
            "outofpocket", "uninsured", "noinsurance", "none", "clientpay", "clientpays"}
"""Folded payer words meaning the client pays directly: no claim, no panel, a Good Faith Estimate."""


class NotApplicable:
    """`N/A` in a yes/no cell: the question does not apply, so the rule that would ask stays quiet.

    It is truthy, so a rule asking "is it on file?" is satisfied; a rule that needs a real yes
    (``accepting_new``) compares with ``is True``."""

    _instance: NotApplicable | None = None

    def __new__(cls) -> NotApplicable:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return "N/A"

    __str__ = __repr__


NOT_APPLICABLE = NotApplicable()
YesNo = bool | NotApplicable


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def is_excel_error(value: object) -> bool:
    return isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Case, spacing and punctuation folded away: how headers, enums and names are matched."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


_TITLES = re.compile(r"^(dr|mr|mrs|ms|mx|prof)\.?\s+", re.I)
_CREDENTIALS = {"lcsw", "licsw", "lmsw", "msw", "lpc", "lpcc", "lcpc", "lmhc", "lmft", "mft", "phd", "psyd", "md",
                "do", "np", "pmhnp", "aprn", "ma", "ms", "med", "edd", "lp", "lpa", "lac", "ladc", "ncc", "bcba",
                "lcat", "atr", "rn", "pa", "pllc", "llc", "inc", "associate", "intern"}


@lru_cache(maxsize=4096)
def person_key(name: str | None) -> str:
    """One key per clinician however a sheet writes the name: `Dr. Maya Chen, LCSW`, `maya chen`,
    `Chen, Maya` all give `mayachen`."""
    text = _TITLES.sub("", (name or "").strip())
    parts = [p.strip() for p in text.split(",")]
    while len(parts) > 1 and all(fold(word) in _CREDENTIALS for word in re.split(r"[\s/]+", parts[-1]) if word):
        parts.pop()
    if len(parts) == 2:
        parts = [parts[1], parts[0]]
    words = " ".join(parts).split()
    while len(words) > 2 and fold(words[-1]) in _CREDENTIALS:
        words.pop()
    return fold("".join(words))


def parse_text(value: object) -> str:
    """Text as a VA typed it, less control characters (Google Sheets passes them through, and no
    workbook may be written with them)."""
    if value.__class__ is str and value.isprintable() and not (value[:1].isspace() or value[-1:].isspace()):
        return value  # the common case: nothing to take away
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return _CONTROL.sub("", str(value)).strip()


def parse_email(value: object) -> str:
    """One address, checked by a real parser: a second address, a display name or a line break in
    the cell would let a message reach someone the VA never meant."""
    from email_validator import EmailNotValidError, validate_email

    text = str(value).strip()
    if any(c in text for c in "\r\n,;<>") or _CONTROL.search(text):
        raise ValueError("is not one email address (one address per cell, no name or line break)")
    try:
        address = validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as why:
        raise ValueError(f"is not an email address ({why})") from None
    domain = address.rpartition("@")[2]
    if len(_scripts(domain)) > 1:
        raise ValueError("mixes alphabets in its domain (a look-alike of another address, such as a Cyrillic "
                         "'а' among Latin letters): type the address again")
    return address


def _scripts(text: str) -> set[str]:
    """The alphabets of a text's letters (LATIN, CYRILLIC, GREEK, ...), by their Unicode names."""
    import unicodedata

    return {unicodedata.name(c, "UNKNOWN").split()[0] for c in text if c.isalpha()}


def parse_link(value: object) -> str:
    """A web link for a video session: http or https only (a `javascript:` or `file:` link must never
    become a button in a client's email); a link pasted without its scheme (`zoom.us/j/123`) is https."""
    text = parse_text(value)
    if re.match(r"(?i)^[a-z][a-z0-9+.-]*:", text) and not re.match(r"(?i)^https?://", text):
        raise ValueError("is not a web link (only http:// and https:// links are sent to clients)")
    pasted = not re.match(r"(?i)^https?://", text)
    if pasted:
        text = "https://" + text
    host = re.match(r"(?i)^https?://([^/?#\s]+)", text)
    if host is None or (pasted and "." not in host[1]) or re.search(r"[\s<>\"']", text):
        raise ValueError("is not a web link (such as https://zoom.us/j/123)")
    return text


def parse_date(value: object, day_first: bool = False) -> date:
    """A date cell, an Excel serial or text. 9999-12-31 (``OPEN_ENDED``) passes; any other year
    outside 1900-2199 is refused, so no later date arithmetic can overflow. ``day_first``: text such
    as 03/04/2026 is 3 April, as a sheet in a day-first locale (en_GB, ...) writes it."""
    return _plausible(_any_date(value, day_first))


def _plausible(day: date) -> date:
    if day == OPEN_ENDED or FIRST_YEAR <= day.year <= LAST_YEAR:
        return day
    raise ValueError(f"is not a plausible date (years {FIRST_YEAR}-{LAST_YEAR}, or 9999-12-31 for no end)")


def excel_serial(value: float) -> date:
    """Excel's day numbers, whose calendar has a 29 February 1900 that never was (serial 60): serials
    1-59 count from 1899-12-31, later ones from 1899-12-30."""
    if not 1 <= value < 2958466:  # 1900-01-01 .. 9999-12-31
        raise ValueError("is not a date")
    days = int(value)
    if days == 60:
        raise ValueError("is not a date (Excel's 29 February 1900, which never was)")
    return EXCEL_EPOCH + timedelta(days=days + 1 if days < 60 else days)


def _any_date(value: object, day_first: bool = False) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise ValueError("is not a date")
    if isinstance(value, (int, float)):
        if value != value:
            raise ValueError("is not a date")
        return excel_serial(value)
    text = str(value).strip()
    text = re.sub(r"(?<=\d)(st|nd|rd|th)\b", "", text)
    formats = [_DAY_FIRST.get(f, f) for f in _DATE_FORMATS] if day_first else _DATE_FORMATS
    for candidate in (text, text.split(" ")[0], text.split("T")[0]):
        for fmt in formats:
            try:
                parsed = datetime.strptime(candidate, fmt).date()
            except ValueError:
                continue
            return _excel_century(parsed) if "%y" in fmt else parsed
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        return excel_serial(float(text))
    raise ValueError("is not a date")


TWO_DIGIT_PIVOT = 30
"""Excel's window for a two-digit year: 00-29 is 2000-2029, 30-99 is 1930-1999 (Python's own
window would make a Medicare client born in '49 a child born in 2049)."""


def _excel_century(day: date) -> date:
    if day.year >= 2000 + TWO_DIGIT_PIVOT:
        return day.replace(year=day.year - 100)
    return day


def parse_time(value: object) -> time:
    if isinstance(value, datetime):
        return value.time().replace(microsecond=0)
    if isinstance(value, time):
        return value.replace(microsecond=0)
    if isinstance(value, timedelta):
        value = value.total_seconds() / 86400
    if isinstance(value, bool):
        raise ValueError("is not a time of day")
    if isinstance(value, (int, float)):
        if 0 <= value < 1:
            minutes = min(round(value * 24 * 60), 24 * 60 - 1)  # 0.99999 is 23:59, not 24:00
            return time(minutes // 60, minutes % 60)
        raise ValueError("is not a time of day")
    text = re.sub(r"\s+", " ", str(value).strip().upper().replace(".", ""))
    text = re.sub(r"\b(A|P)\b", r"\1M", text)
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).time()
        except ValueError:
            continue
    raise ValueError("is not a time of day")


def parse_minutes(value: object) -> int:
    """`53`, `53 min`, `0:53` (or a time cell reading 0:53), `1 h 15 min` all become minutes."""
    if isinstance(value, bool):
        raise ValueError("is not a number of minutes")
    if isinstance(value, timedelta):
        return round(value.total_seconds() / 60)
    if isinstance(value, time):
        return value.hour * 60 + value.minute
    if isinstance(value, datetime):
        raise ValueError("is a date, not a number of minutes")
    if isinstance(value, float) and 0 < value < 1:  # a duration cell read unformatted: a fraction of a day
        return _plausible_minutes(value * 24 * 60)
    if isinstance(value, (int, float)):
        return _plausible_minutes(value)
    text = str(value).strip().lower()
    match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::00)?", text)
    if match:
        if int(match[2]) > 59:
            raise ValueError("is not a number of minutes (the minutes after the colon go to 59)")
        return _plausible_minutes(int(match[1]) * 60 + int(match[2]))
    match = re.fullmatch(r"(?:(\d+(?:\.\d+)?)\s*(?:h|hr|hrs|hour|hours))?\s*"
                         r"(?:(\d+(?:\.\d+)?)\s*(?:m|min|mins|minute|minutes)?)?", text)
    if match and (match[1] or match[2]):
        return _plausible_minutes(float(match[1] or 0) * 60 + float(match[2] or 0))
    raise ValueError("is not a number of minutes")


def _plausible_minutes(value: float) -> int:
    if not 0 <= value <= MAX_MINUTES:  # also refuses NaN
        raise ValueError(f"is not a plausible number of minutes (0-{MAX_MINUTES})")
    return round(value)


def parse_money(value: object) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("is not an amount of money")
    if isinstance(value, int):
        return _plausible_money(Decimal(value))
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("is not an amount of money")
        return _plausible_money(Decimal(str(round(value, 2))))
    text = str(value).strip().replace(",", "").replace(" ", "")
    negative = text.startswith("(") and text.endswith(")") or text.startswith("-")
    text = text.strip("()-").removeprefix("$").removeprefix("USD").removesuffix("USD")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError("is not an amount of money") from None
    if not amount.is_finite():
        raise ValueError("is not an amount of money")
    return _plausible_money(-amount if negative else amount)


def _plausible_money(amount: Decimal) -> Decimal:
    if not amount:  # "-0", "(0)": nothing, as a spreadsheet shows it (never "$-0" in a message)
        return abs(amount)
    if amount < 0:
        raise ValueError("is negative: record refunds and credits in the notes, not as negative amounts")
    if amount > MAX_MONEY:
        raise ValueError(f"is not a plausible amount (over ${MAX_MONEY:,.0f})")
    return amount


def parse_count(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("is not a whole number")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("is not a whole number")
        value = int(value)
    if isinstance(value, int):
        if value < 0:
            raise ValueError("is negative")
        if value > MAX_COUNT:
            raise ValueError(f"is not a plausible count (0-{MAX_COUNT})")
        return value
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.0+)?", text):
        return parse_count(int(float(text)))
    raise ValueError("is not a whole number")


_YES_NO_WHY = "is not yes or no (Y, N, Yes, No, True, False, 1, 0, x, N/A, or the date it was done)"


def parse_yes_no(value: object, day_first: bool = False) -> YesNo:
    """Yes/no, where a date also means yes (many VAs record *when* a form came in) and `N/A`
    means the question does not apply. Any number but 0 and 1 is a bad value, never a date."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        if value in (0, 1):
            return bool(value)
        raise ValueError(_YES_NO_WHY)
    if isinstance(value, (date, datetime)):
        return True
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if fold(text) in _NOT_APPLICABLE:
        return NOT_APPLICABLE
    if re.fullmatch(r"[\d.\-]+", text) and not re.fullmatch(r"\d{1,4}[.\-]\d{1,2}[.\-]\d{1,4}", text):
        raise ValueError(_YES_NO_WHY)
    try:
        parse_date(text, day_first)
        return True
    except ValueError:
        raise ValueError(_YES_NO_WHY) from None


def text_number(phone: str | None) -> str | None:
    """The number a text can go to, in international form (+15550100199), or None: a US number
    written any way a VA writes one (`(555) 010-0199`, `555.010.0199`, `1-555-010-0199`), or one
    written with its + and country code. A number with an extension is an office line, never texted."""
    if not phone or re.search(r"(?i)\b(?:x|ext|extension)\.?\s*\d", phone):
        return None
    digits = re.sub(r"\D", "", phone)
    if phone.strip().startswith("+"):
        return f"+{digits}" if 8 <= len(digits) <= 15 and digits[0] != "0" else None
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    return f"+1{digits}" if len(digits) == 10 and digits[0] not in "01" else None


def parse_on_file(value: object, day_first: bool = False) -> date | YesNo:
    """A document's date, or just yes/no when the tracker only ticks it off."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value in (0, 1):
        return bool(value)
    try:
        return parse_date(value, day_first)
    except ValueError:
        pass
    try:
        return parse_yes_no(value, day_first)
    except ValueError:
        raise ValueError("is neither a date nor yes or no") from None


def parse_enum(value: object, allowed: tuple[str, ...], synonyms: dict[str, str] | None = None) -> str:
    folded = fold(parse_text(value))
    for option in allowed:
        if fold(option) == folded:
            return option
    if synonyms and folded in synonyms:
        return synonyms[folded]
    raise ValueError(f"is not one of: {', '.join(allowed)}")


def parse_codes(value: object) -> tuple[str, ...]:
    """`90834, 90785`, `90834+90785`, `95 GT` all become a tuple of upper-case codes."""
    text = parse_text(value)
    parts = [p.strip().upper() for p in re.split(r"[,+;/&\s]+", text) if p.strip()]
    return tuple(p[:-2] if re.fullmatch(r"\d+\.0", p) else p for p in parts)


@lru_cache(maxsize=4096)
def is_self_pay(payer: str | None) -> bool:
    """`Self-pay`, `Sliding scale`, `Superbill`, `Out of network (OON)`, `Uninsured`, ...: the client pays."""
    if payer is None:
        return False
    folded = fold(payer)
    return folded in SELF_PAY or fold(re.sub(r"\(.*?\)", "", payer)) in SELF_PAY

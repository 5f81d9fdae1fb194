"""The practice's time zone as an iCalendar VTIMEZONE with yearly rules (RRULE), the form Outlook,
Gmail and Apple Calendar expect, and the same in every invitation.

The rules come from the zone's own data: the POSIX TZ string at the end of its TZif file (e.g.
``EST5EDT,M3.2.0,M11.1.0``), which describes the current yearly transitions. Zones whose rule
this does not cover fall back to icalendar's list of transitions.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from icalendar import Timezone

DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")
_NAME = r"(?:<[^>]+>|[A-Za-z]{3,})"
_OFFSET = r"[+-]?\d{1,2}(?::\d{2}){0,2}"
_POSIX = re.compile(rf"^(?P<std>{_NAME})(?P<stdoff>{_OFFSET})(?:(?P<dst>{_NAME})(?P<dstoff>{_OFFSET})?"
                    rf"(?:,(?P<start>M[^,]+),(?P<end>M[^,]+))?)?$")


def _tzif(key: str) -> bytes:
    try:
        return resources.files("tzdata").joinpath("zoneinfo", *key.split("/")).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        for root in zoneinfo.TZPATH:
            try:
                with open(f"{root}/{key}", "rb") as handle:
                    return handle.read()
            except OSError:
                continue
    return b""


def posix_rule(key: str) -> str:
    data = _tzif(key)
    if not data.startswith(b"TZif") or data[4:5] < b"2":
        return ""
    return data.rstrip(b"\n").rsplit(b"\n", 1)[-1].decode("ascii", "replace")


def _seconds(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")] + [0, 0]
    return sign * (parts[0] * 3600 + parts[1] * 60 + parts[2])


def _onset(rule: str, year: int) -> tuple[datetime, dict[str, Any]]:
    """(local time of the first transition in ``year``, the RRULE) for an ``Mm.w.d[/time]`` rule."""
    match = re.fullmatch(r"M(\d{1,2})\.(\d)\.(\d)(?:/(-?\d{1,3}(?::\d{2}){0,2}))?", rule)
    if not match:
        raise ValueError(rule)
    month, week, weekday = int(match[1]), int(match[2]), int(match[3])
    at = _seconds(match[4] or "2")
    if not 0 <= at < 86400:  # a transition at 24:00 or later falls on another weekday: not a plain BYDAY
        raise ValueError(rule)
    first = date(year, month, 1)
    day = first + timedelta(days=(weekday - (first.isoweekday() % 7)) % 7)
    day += timedelta(weeks=week - 1)
    while day.month != month:  # week 5 means the last
        day -= timedelta(weeks=1)
    rrule = {"FREQ": "YEARLY", "BYMONTH": month, "BYDAY": f"{-1 if week == 5 else week}{DAYS[weekday]}"}
    return datetime.combine(day, datetime.min.time()) + timedelta(seconds=at), rrule


@lru_cache(maxsize=16)
def vtimezone(key: str) -> Timezone | None:
    """The VTIMEZONE for a zone name, or None when its rule cannot be read (the caller falls back)."""
    from icalendar import Timezone, TimezoneDaylight, TimezoneStandard, vRecur  # loaded when an invitation is built

    match = _POSIX.match(posix_rule(key))
    if not match:
        return None
    zone = Timezone()
    zone.add("tzid", key)
    std_offset = timedelta(seconds=-_seconds(match["stdoff"]))
    std_name = match["std"].strip("<>")
    if not match["dst"]:
        standard = TimezoneStandard()
        standard.add("dtstart", datetime(1970, 1, 1))
        standard.add("tzoffsetfrom", std_offset)
        standard.add("tzoffsetto", std_offset)
        standard.add("tzname", std_name)
        zone.add_component(standard)
        return zone
    if not (match["start"] and match["end"]):
        return None
    dst_offset = (timedelta(seconds=-_seconds(match["dstoff"])) if match["dstoff"]
                  else std_offset + timedelta(hours=1))
    try:
        dst_start, dst_rule = _onset(match["start"], 1970)
        std_start, std_rule = _onset(match["end"], 1970)
    except ValueError:
        return None
    for component, start, rule, before, after, name in (
            (TimezoneDaylight(), dst_start, dst_rule, std_offset, dst_offset, match["dst"].strip("<>")),
            (TimezoneStandard(), std_start, std_rule, dst_offset, std_offset, std_name)):
        component.add("dtstart", start)
        component.add("rrule", vRecur(rule))
        component.add("tzoffsetfrom", before)
        component.add("tzoffsetto", after)
        component.add("tzname", name)
        zone.add_component(component)
    return zone

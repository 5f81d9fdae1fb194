"""Dates and times as people write them in what practice-ops says: one place, so no message mixes
2026-11-02 with 11/02/2026, or 14:00 with 2:00 PM. Built by hand: the no-padding strftime flag is
glibc's, not Windows'."""

from __future__ import annotations

from datetime import date, datetime, time


def people_date(day: date) -> str:
    """`Nov 2, 2026`: a date in a finding's words."""
    return f"{day:%b} {day.day}, {day.year}"


def people_day(day: date, today: date | None = None) -> str:
    """`Thu Nov 26`: a day near today, in a message's subject or heading; `Wed May 5, 2027` when
    it is in another year than ``today`` (a deadline months off, a date long past)."""
    if today is not None and day.year != today.year:
        return f"{day:%a %b} {day.day}, {day.year}"
    return f"{day:%a %b} {day.day}"


def clock_time(at: time | datetime) -> str:
    """`9:00 AM`, as the reminders and the digest write a time."""
    return f"{at.hour % 12 or 12}:{at:%M %p}"


def business_days_after(day: date, count: int) -> date:
    """The ``count``-th business day after ``day``: weekends and US federal holidays (as observed, from
    the python-holidays project's calendar) are skipped, so one business day after a Friday is Monday,
    and after the Wednesday before Thanksgiving is the Friday."""
    from datetime import timedelta

    import holidays

    closed = holidays.country_holidays("US", years=range(day.year, day.year + 2))
    found = day
    while count > 0:
        found += timedelta(days=1)
        if found.weekday() < 5 and found not in closed:
            count -= 1
    return found

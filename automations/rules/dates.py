"""Dates as people write them in what practice-ops says (Nov 2, 2026): one place, so no message
mixes 2026-11-02 with 11/02/2026. Built by hand: the no-padding strftime flag is glibc's, not Windows'."""

from __future__ import annotations

from datetime import date


def people_date(day: date) -> str:
    return f"{day:%b} {day.day}, {day.year}"

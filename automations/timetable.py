"""When each job runs: the ``[schedule]`` table's specs (``daily 06:30``, ``weekdays 07:00``,
``monday 07:30``, ``hourly``, ``hourly :15``, ``every 20 minutes``), read and judged here, where
the config can judge them too, and registered with the ``schedule`` library for ``serve``."""

from __future__ import annotations

import re
from dataclasses import dataclass

import schedule

from .errors import ConfigError

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Slot:
    job: str
    unit: str          # day | hour | minutes | a day name
    at: str | None     # "06:30", ":15" or None
    every: int = 1


def parse(job: str, spec: str) -> list[Slot]:
    text = " ".join(spec.lower().split())
    if match := re.fullmatch(r"(daily|weekdays|" + "|".join(DAYS) + r") (\d{1,2}:\d{2})", text):
        when, at = match[1], f"{int(match[2].split(':')[0]):02d}:{match[2].split(':')[1]}"
        if when == "daily":
            return [Slot(job, "day", at)]
        names = DAYS[:5] if when == "weekdays" else (when,)
        return [Slot(job, day, at) for day in names]
    if match := re.fullmatch(r"hourly(?: (:\d{2}))?", text):
        return [Slot(job, "hour", match[1] or ":00")]
    if (match := re.fullmatch(r"every (\d+) minutes?", text)) and 1 <= int(match[1]) <= 1440:
        return [Slot(job, "minutes", None, int(match[1]))]
    raise ConfigError([f"schedule.{job}: {spec!r} is not a schedule (use 'daily 06:30', 'weekdays 07:00', "
                       f"'monday 07:30', 'hourly', 'hourly :15' or 'every 20 minutes', 1 to 1440)"])


def validate(job: str, spec: str, timezone: str) -> list[Slot]:
    """Parse the spec, then let the schedule library itself accept each time (it refuses 25:99)."""
    slots = parse(job, spec)
    for slot in slots:
        try:
            register(schedule.Scheduler(), slot, timezone, lambda _: None)
        except (schedule.ScheduleValueError, ValueError) as exc:
            raise ConfigError([f"schedule.{job}: {spec!r}: {exc}"]) from None
    return slots


def register(scheduler: schedule.Scheduler, slot: Slot, timezone: str, run_job) -> None:
    if slot.unit == "minutes":
        scheduler.every(slot.every).minutes.do(run_job, slot.job)
    elif slot.unit == "hour":
        scheduler.every().hour.at(slot.at).do(run_job, slot.job)
    elif slot.unit == "day":
        scheduler.every().day.at(slot.at, timezone).do(run_job, slot.job)
    else:
        getattr(scheduler.every(), slot.unit).at(slot.at, timezone).do(run_job, slot.job)


def cron(slot: Slot) -> str:
    """The slot as a cron expression, for an agency's scheduler (DBOS): the same times `serve`
    keeps. "every N minutes" must divide the hour (or N hours the day) to be kept exactly by cron."""
    if slot.unit == "minutes":
        if 60 % slot.every == 0:
            return f"*/{slot.every} * * * *"
        if slot.every % 60 == 0 and 24 % (slot.every // 60) == 0:
            return f"0 */{slot.every // 60} * * *"
        raise ConfigError([f"schedule.{slot.job}: 'every {slot.every} minutes' cannot be kept by an agency's "
                           f"scheduler; use minutes that divide an hour (5, 10, 15, 20, 30) or hours that divide "
                           f"a day"])
    assert slot.at is not None
    hour, minute = slot.at.split(":")
    if slot.unit == "hour":
        return f"{int(minute)} * * * *"
    day = "*" if slot.unit == "day" else slot.unit[:3]
    return f"{int(minute)} {int(hour)} * * {day}"

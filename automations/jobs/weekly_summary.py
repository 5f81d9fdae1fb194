"""The `weekly-summary` job: the owner's workbook for the last full week, written beside the
work queue and sent encrypted once a week."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from ..messages import contexts
from ..messages.delivery import Delivery
from ..reports import weekly_summary
from .run_state import RunState


def run(work: RunState) -> None:
    """The owner's workbook for the last full week, written beside the work queue and sent encrypted."""
    start, end = weekly_summary.week_before(work.today)
    history = {"ar": work.ledger.kept("week-ar:"), "queue": work.ledger.queue_rows(),
               "messages": work.ledger.message_counts(start.isoformat(), (end + timedelta(days=1)).isoformat())}
    figures = weekly_summary.figures(work.ctx, work.all_findings(), history)
    work.ledger.keep(f"week-ar:{start.isoformat()}", {"ar_total": str(figures.ar_total),
                                                      "ar_over_90_share": str(figures.ar_over_90_share or "")})
    week = f"{start.isocalendar().year}-W{start.isocalendar().week:02d}"
    if work.dry_run:
        with tempfile.TemporaryDirectory() as scratch:
            _weekly_summary(work, figures, week, Path(scratch) / f"weekly-summary-{week}.xlsx")
        return
    _weekly_summary(work, figures, week, work.config.work_queue.path.parent / f"weekly-summary-{week}.xlsx")


def _weekly_summary(work: RunState, figures, week: str, path: Path) -> None:
    work.progress(f"Writing the weekly summary ({path.name})")
    weekly_summary.write(path, figures, work.config.practice.name)
    if not work.dry_run:
        work.result.notices.append(f"weekly summary written to {path}")
    owner = work.config.people.owner
    if not owner:
        return
    context = contexts.weekly_summary(figures)
    sent = work.postman.send("weekly_summary", owner, context, key=week, attachments=(
        (path.name, path.read_bytes(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),))
    if sent.outcome.status == Delivery.BLOCKED:
        work.message_blocked("weekly_summary", "the owner", sent.why_blocked, "weekly summary")

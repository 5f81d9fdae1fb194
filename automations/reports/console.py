"""What a person reads in the terminal after a run: counts, then the most urgent findings.

Finding messages name records by id, never by a client's name, so this text is PHI-free.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date

from ..messages.delivery import Delivery
from ..rules.catalogue import problem_of
from ..rules.dates import people_day
from ..rules.findings import OWNER_NAMES, OWNERS, SEVERITIES, SEVERITY_NAMES, Finding, urgency_name

TOP = 10
STATUS_WORDS = {Delivery.SENT: "sent", Delivery.ALREADY_SENT: "sent before (not again)",
                Delivery.BLOCKED: "not sent (no secure way)", Delivery.FAILED: "failed (tried again next run)",
                Delivery.PENDING: "waiting for the next run", Delivery.WOULD_SEND: "would be sent"}
"""What each message status means, as the terminal says it."""


def summary(findings: list[Finding], messages: list[dict], data_issues: int, queue_path: str | None,
            unavailable: list[str], notices: Sequence[str] = (), today: date | None = None) -> str:
    """``today``: past its due date a finding is said Overdue, as the queue and the messages say it."""
    lines: list[str] = []
    for problem in unavailable:
        lines.append(f"Could not read: {problem}")
    for notice in notices:
        lines.append(f"Note: {notice}")
    counts = Counter((f.owner, f.severity) for f in findings)
    lines.append(f"{len(findings)} open finding{'s' if len(findings) != 1 else ''}"
                 + (f", {data_issues} unreadable cell{'s' if data_issues != 1 else ''}" if data_issues else ""))
    if findings:
        order_of = list(reversed(SEVERITIES))
        lines.append(f"  {'For':<12}" + "".join(f"{SEVERITY_NAMES[s]:>9}" for s in order_of))
        for owner in OWNERS:
            if any(counts[(owner, s)] for s in SEVERITIES):
                lines.append(f"  {OWNER_NAMES[owner]:<12}" + "".join(f"{counts[(owner, s)]:>9}" for s in order_of))
        lines.append("")
        lines.append("Most urgent:")
        order = sorted(findings, key=lambda f: (-SEVERITIES.index(f.severity), f.due or date.max))
        for finding in order[:TOP]:
            due = f"due {people_day(finding.due, today)}" if finding.due else "no due date"
            lines.append(f"  {urgency_name(finding, today)}, {due}, {problem_of(finding)}: {finding.message}")
    if messages:
        tally = Counter(m["status"] for m in messages)
        lines.append("")
        lines.append("Messages: " + ", ".join(f"{n} {STATUS_WORDS.get(status, status.replace('_', ' '))}"
                                              for status, n in sorted(tally.items())))
    if queue_path:
        lines.append(f"Work queue: {queue_path}")
    return "\n".join(lines)

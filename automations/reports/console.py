"""What a person reads in the terminal after a run: counts, then the most urgent findings.

Finding messages name records by id, never by a client's name, so this text is PHI-free.
"""

from __future__ import annotations

from collections.abc import Sequence

from collections import Counter
from datetime import date

from ..rules.findings import OWNERS, SEVERITIES, Finding

TOP = 10


def summary(findings: list[Finding], messages: list[dict], data_issues: int, queue_path: str | None,
            unavailable: list[str], notices: Sequence[str] = ()) -> str:
    lines: list[str] = []
    for problem in unavailable:
        lines.append(f"Could not read: {problem}")
    for notice in notices:
        lines.append(f"Note: {notice}")
    counts = Counter((f.owner, f.severity) for f in findings)
    lines.append(f"{len(findings)} open finding{'s' if len(findings) != 1 else ''}"
                 + (f", {data_issues} unreadable cell{'s' if data_issues != 1 else ''}" if data_issues else ""))
    if findings:
        lines.append(f"  {'owner':<10}" + "".join(f"{s:>9}" for s in SEVERITIES))
        for owner in OWNERS:
            if any(counts[(owner, s)] for s in SEVERITIES):
                lines.append(f"  {owner:<10}" + "".join(f"{counts[(owner, s)]:>9}" for s in SEVERITIES))
        lines.append("")
        lines.append("Most urgent:")
        order = sorted(findings, key=lambda f: (-SEVERITIES.index(f.severity), f.due or date.max))
        for finding in order[:TOP]:
            due = finding.due.isoformat() if finding.due else "-"
            lines.append(f"  [{finding.severity}] due {due} {finding.rule}: {finding.message}")
    if messages:
        tally = Counter(m["status"] for m in messages)
        lines.append("")
        lines.append("Messages: " + ", ".join(f"{n} {status}" for status, n in sorted(tally.items())))
    if queue_path:
        lines.append(f"Work queue: {queue_path}")
    return "\n".join(lines)

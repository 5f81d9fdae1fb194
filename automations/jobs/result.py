"""What a check or a run gives back: findings, messages, unreadable cells, notices, the queue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CellError, PracticeOpsError
from ..messages.delivery import Outcome
from ..reports.queue_sheets import QueueUpdate
from ..rules.findings import Finding
from ..trackers.records import Practice

Progress = Callable[[str], None]


@dataclass
class RunResult:
    findings: list[Finding] = field(default_factory=list)
    messages: list[Outcome] = field(default_factory=list)
    data_issues: list[CellError] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    work_queue: Path | None = None
    queue: QueueUpdate | None = None
    practice: Practice | None = None
    reread: Callable[[], Practice] | None = field(default=None, repr=False)
    """Reads the records when a job needs them and they are not held: the findings came from the
    last check, or the run let them go before writing the queue."""

    def current_practice(self) -> Practice:
        if self.practice is None and self.reread is not None:
            self.practice = self.reread()
        if self.practice is None:
            raise PracticeOpsError("the trackers were not read")
        return self.practice

    @property
    def usable(self) -> bool:
        return not self.unavailable

    def to_json(self) -> dict:
        return {
            "findings": [f.to_dict() for f in self.findings],
            "messages": [m.to_dict() for m in self.messages],
            "data_issues": [issue_to_dict(i) for i in self.data_issues],
            "unavailable": list(self.unavailable),
            "notices": list(self.notices),
            "rows": dict(self.rows),
            "work_queue": str(self.work_queue) if self.work_queue else None,
            "queue": {"open": len(self.queue.open), "set_aside": len(self.queue.set_aside),
                      "resolved_today": len(self.queue.resolved_today),
                      "reopened_today": len(self.queue.reopened_today)} if self.queue else None,
        }


def issue_to_dict(issue: CellError) -> dict:
    return {"rule": issue.rule, "file": issue.file, "sheet": issue.sheet, "row": issue.row,
            "column": issue.column, "value": issue.value, "why": issue.why, "message": str(issue)}

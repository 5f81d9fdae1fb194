"""One small family of errors, each carrying the context a user needs to fix the problem.

Nothing below ever reaches the user as a traceback: the CLI prints ``str(error)``.
"""

from __future__ import annotations


class PracticeOpsError(Exception):
    """Base of every error practice-ops reports to a person."""


class ConfigError(PracticeOpsError):
    """The config cannot be used. Carries every problem found, one per line."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class TrackerUnavailable(PracticeOpsError):
    """A whole tracker cannot be read (missing file, missing sheet, no header row)."""

    def __init__(self, location: str, why: str):
        self.location = location
        self.why = why
        super().__init__(f"{location}: {why}")


class CellError(PracticeOpsError):
    """One cell cannot be read. The rest of its row and sheet are still used."""

    def __init__(self, file: str, sheet: str, row: int, column: str, value: object, why: str,
                 rule: str = "data.bad_value", record: tuple[str, str] | None = None, field: str = ""):
        self.file, self.sheet, self.row, self.column = file, sheet, row, column
        self.value, self.why, self.rule = value, why, rule
        self.record = record
        """(kind, id) of the row's record where the row has an id: findings follow the record, not the row."""
        self.field = field or column
        """The canonical column name (``column`` is the sheet's own header)."""
        shown = "" if value is None else repr(value) if isinstance(value, str) else str(value)
        super().__init__(f"{file}:{sheet}: row {row}: {column}: {shown + ' ' if shown else ''}{why}")

    def __reduce__(self):  # kept in the tracker cache, so it must come back whole
        return (CellError, (self.file, self.sheet, self.row, self.column, self.value, self.why, self.rule, self.record,
                            self.field))


class TransportError(PracticeOpsError):
    """A message could not be handed to the mail system. One failure model for every transport:

    - ``transient`` (a timeout, DNS, a refused connection, 429, 5xx, SMTP 4xx, the token endpoint
      down): the message stays pending for the next run; ``retry_after`` (seconds) when the
      service said how long to wait;
    - ``permanent`` (SMTP 5xx for the recipient, an address or mailbox refused, a 4xx other than
      429): not retried, and the VA hears of it;
    - ``setup`` (refused credentials, TLS, a missing secret, a wrong endpoint): nothing can go through
      this transport until a person fixes it, so it is stopped for the run and everything waits.
    """

    KINDS = ("transient", "permanent", "setup")

    def __init__(self, message: str, *, kind: str = "transient", retry_after: float | None = None,
                 throttled: bool = False, permanent: bool = False):
        self.kind = "permanent" if permanent else kind
        if self.kind not in self.KINDS:
            raise ValueError(f"unknown failure kind {kind!r}")
        self.retry_after = retry_after
        self.throttled = throttled
        """The service refused because of the pace (429, ErrorServerBusy): nothing was accepted."""
        super().__init__(message)

    @property
    def permanent(self) -> bool:
        return self.kind == "permanent"

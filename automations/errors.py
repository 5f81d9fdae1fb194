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
    """A message could not be handed to the mail system; it stays pending for the next run (a
    timeout, DNS, a refused connection, 5xx, SMTP 4xx, the token endpoint down). One failure model for
    every transport, told apart by class, which callers catch:

    - ``Throttled``: the service refused because of the pace (429, ErrorServerBusy); nothing was
      accepted, so once more after ``retry_after`` is safe;
    - ``MessageRefused``: refused for good (SMTP 5xx for the recipient, an address or mailbox
      refused, a 4xx other than 429): not retried, and the VA hears of it;
    - ``TransportSetupError``: refused credentials, TLS, a missing secret, a wrong endpoint: nothing
      can go through this transport until a person fixes it, so it is stopped for the run.

    ``retry_after``: seconds, when the service said how long to wait.
    """

    def __init__(self, message: str, *, retry_after: float | None = None):
        self.retry_after = retry_after
        super().__init__(message)

    @property
    def permanent(self) -> bool:
        """Not to be tried again: the ledger marks it refused."""
        return isinstance(self, MessageRefused)


class Throttled(TransportError):
    """The service refused this message because of the pace; nothing was accepted."""


class MessageRefused(TransportError):
    """This message is refused for good (the recipient, the address, the content)."""


class TransportSetupError(TransportError):
    """The transport's set-up is wrong; nothing goes through it until a person fixes it."""


class LedgerBusy(PracticeOpsError):
    """Another practice-ops run holds the state folder."""


class LedgerMissing(PracticeOpsError):
    """The ledger is gone though the audit head says it held history: re-sending would repeat mail."""


class LedgerTampered(PracticeOpsError):
    """The ledger no longer holds what the audit head recorded: history was deleted or rebuilt, so
    nothing is sent on it (a deleted message row would send that message again)."""


class TemplateError(PracticeOpsError):
    """A template that cannot be used: missing, not valid Jinja2, or asking for a value it is not given."""


class QueueUnusable(PracticeOpsError):
    """The file at the queue's path cannot be read as a work queue: it is kept aside, never deleted."""

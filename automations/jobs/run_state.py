"""One run's shared state (``RunState``): the records, the ledger, the postman, the findings raised
while sending, each step its own bulkhead, and how every run ends: the work queue refreshed and
the VA's note."""

from __future__ import annotations

import logging
import traceback
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import cached_property

from ..config import JOBS, Config
from ..errors import PracticeOpsError
from ..folders import write_private_log
from ..ledger import Ledger
from ..ledgers import snapshot_ledger
from ..memory import give_back_freed_memory
from ..messages import contexts
from ..messages.delivery import Delivery
from ..messages.postman import Postman
from ..reports.queue_sheets import QueueUpdate
from ..reports.work_queue import ANNOUNCED, announced_on, resolved_since_note, update_work_queue
from ..reports.work_queue import plan as plan_queue
from ..rules import compliance
from ..rules.context import RuleContext
from ..rules.dates import clock_time, people_date
from ..rules.findings import Finding, from_dict, sort_key
from ..transports import open_texts, open_transport
from .result import Progress, RunResult

log = logging.getLogger("practice_ops.jobs")


FAILING_FOR = timedelta(hours=24)


FAILURES_REPORTED_FOR = timedelta(days=7)


STEP_LOG = "steps-errors.log"


class RunState:
    """One run's shared state: the records, the ledger, the postman, and what the run raised."""

    def __init__(self, config: Config, result: RunResult, ledger: Ledger, today: date, now: datetime,
                 progress: Progress, job: str, dry_run: bool = False):
        self.config, self.result, self.ledger, self.today, self.now = config, result, ledger, today, now
        self.progress = progress
        self.dry_run = dry_run
        self.run_id = ledger.start_run(job, today.isoformat(), now)
        self.postman = Postman(config, ledger, lambda: open_transport(config.email), self.run_id, now,
                               dry_run=dry_run, text_factory=lambda: open_texts(config))
        if dry_run:
            result.notices.append("dry run: messages were rendered and checked, not sent; nothing was written or "
                                  "recorded")
        self.raised: dict[str, tuple[Finding, date]] = {}
        self.job = job
        self.failed_steps: list[str] = []
        self.would_block: dict[str, list[str]] = {}
        """In the outbox: why -> the messages a live set-up would not send for it."""
        # the VA's edits in, for the steps that act on them; the workbook is written once, at the end
        self.queue: QueueUpdate | None = self.refresh_queue(write=False) if job != "reconcile" else None

    @cached_property
    def ctx(self) -> RuleContext:
        """The records, indexed; read on first use (a reconcile over unchanged trackers needs none)."""
        return RuleContext(self.result.current_practice(), self.config.thresholds(), self.today)

    # findings raised while sending ------------------------------------------------------------
    def raise_finding(self, finding: Finding, until: date) -> None:
        known = self.raised.get(finding.id)
        self.raised[finding.id] = (finding, max(until, known[1]) if known else until)

    def message_blocked(self, kind: str, recipient: str, why: str, what: str, count: int = 1,
                        instead: str = "share it through the EHR") -> None:
        """A message with PHI that had no secure channel: a finding for the VA, who shares it another way.
        In the outbox (a review folder: nothing goes anywhere) it is a note of the run instead, so a new
        practice's queue is not filled with rows about mail nobody was sent."""
        if self.config.email.transport == "outbox":  # one note per reason, when the run closes
            held = self.would_block.setdefault(why, [])
            if f"{what} for {recipient}" not in held:
                held.append(f"{what} for {recipient}")
            return
        self.raise_finding(compliance.message_blocked.found(
            f"{count} {what} for {recipient} {'was' if count == 1 else 'were'} not sent: {why}. Put their S/MIME "
            f"certificate in the certificates folder (ADDRESS.pem) or configure the encryption gateway; until then "
            f"{instead}.", refs={"message_kind": kind, "recipient": recipient}, due=self.today),
            self.today + timedelta(days=1))

    # the work queue ---------------------------------------------------------------------------
    def all_findings(self) -> list[Finding]:
        return queue_findings(self.ledger, self.today, [f for f, _ in self.raised.values()], self.result.findings)

    def refresh_queue(self, write: bool = True) -> QueueUpdate:
        """Write the queue. A queue that cannot be written (open and locked in Excel on a shared
        drive, say) must not stop reminders going out: the run goes on and says so; the ledger keeps
        everything for the next write."""
        self.ledger.keep_message_findings([(f.id, f.to_dict(), until.isoformat()) for f, until in self.raised.values()])
        path = self.config.work_queue.path
        if self.dry_run:
            return plan_queue(self.all_findings(), self.ledger.queue_rows(), {}, self.today)
        if write:
            self.progress(f"Updating the work queue ({path.name})")
        try:
            if self.config.work_queue.source == "gsheets":
                from ..reports.sheets_queue import update_sheets_queue

                update = update_sheets_queue(str(self.config.work_queue.spreadsheet_id), self.all_findings(),
                                             self.today, self.ledger, write=write)
            else:
                update = update_work_queue(path, self.all_findings(), self.today, self.ledger, write=write)
            self.result.notices.extend(n for n in update.notices if n not in self.result.notices)
            return update
        except Exception as exc:  # a queue that cannot be written never stops the messages
            why = str(exc) if isinstance(exc, PracticeOpsError) else f"{exc.__class__.__name__}: {exc}"
            notice = f"the work queue was not updated: {why}"
            if notice not in self.result.notices:
                self.result.notices.append(notice)
            return plan_queue(self.all_findings(), self.ledger.queue_rows(), {}, self.today)

    def message_failed(self, kind: str, to: str, message_id: str, error: str, since: datetime | None) -> None:
        why = "was refused" if since is None else f"has failed since {people_date(since)} {clock_time(since)}"
        self.raise_finding(compliance.message_failed.found(
            f"A {kind.replace('_', ' ')} to {to} {why}: {error}. Check the address and the mail settings; reach "
            f"the person another way meanwhile.",
            refs={"message_kind": kind, "recipient": to}, key=message_id, due=self.today),
            self.today + timedelta(days=1))

    def report_failures(self) -> None:
        """A message refused for good reaches the VA at once; one still failing a day after it was
        first tried does too (for a week), whether or not this run tried it again."""
        for outcome in self.postman.outcomes:
            if outcome.status == Delivery.FAILED and outcome.permanent:
                self.message_failed(outcome.kind, outcome.to, outcome.message_id, outcome.error, None)
        for message_id, kind, to, error, queued_at in self.ledger.failing_messages(
                self.now - FAILING_FOR, self.now - FAILURES_REPORTED_FOR):
            self.message_failed(kind, to, message_id, error or "no reason given",
                                datetime.fromisoformat(queued_at))

    def step(self, name: str, do: Callable[[RunState], None]) -> None:
        """One job step. Anything it raises is caught here, its traceback kept in an owner-only log in
        the state folder, and the run goes on with the next step."""
        try:
            do(self)
        except Exception as exc:
            self.failed_steps.append(name)
            where = None if self.dry_run else write_private_log(
                self.ledger.dir / STEP_LOG, f"run {self.run_id}, step {name}, {self.now.isoformat()}:\n"
                f"{traceback.format_exc()}", append=True)
            self.result.notices.append(f"the {name} step stopped ({exc.__class__.__name__}); the rest of the run "
                                       f"went on" + (f"; details in {where}" if where else ""))
            log.error("step %s failed: %s", name, exc.__class__.__name__)

    def finish(self, notify_va: bool) -> None:
        self.release_records()
        self.report_failures()
        queue = self.refresh_queue()
        self.queue = queue
        checked = len(self.result.findings)
        self.result.findings = self.all_findings()
        if len(self.result.findings) > checked:  # `check` sends nothing, so it cannot find these
            more = len(self.result.findings) - checked
            self.result.notices.append(f"{more} of these findings come from sending (a reminder or message that could "
                                       f"not go, or one that failed): `check` sends nothing, so it does not count them")
        self.result.queue, self.result.work_queue = queue, self.config.work_queue.path
        if notify_va:
            self._notify_va(queue)

    def release_records(self) -> None:
        """The queue and the VA's note need the findings, not the records. At a large practice the
        records and their indexes are the most a run holds (110 MB at 200,000 appointments) and the
        queue's write is the run's last peak, so they go before it; anything asking for them later
        reads them again (from the cache)."""
        self.__dict__.pop("ctx", None)
        if self.result.practice is not None:
            self.result.practice = None
            give_back_freed_memory()

    def close(self) -> None:
        """Always runs: the transport closed, what was sent reported, and the run's row never left
        `running` (`ok`, `partial` with the steps that stopped, or `failed`)."""
        try:
            self.postman.close()
        except Exception as exc:
            self.result.notices.append(f"the mail connection did not close cleanly ({exc.__class__.__name__})")
        self.result.messages = list(self.postman.outcomes)
        for why, held in self.would_block.items():
            self.result.notices.append(f"in a live set-up, {len(held)} message{'s' if len(held) != 1 else ''} would "
                                       f"not be sent ({why}): {', '.join(held)}; `check` says what each recipient "
                                       f"needs")
        self.result.notices.extend(p for p in (*self.postman.certificates.problems, *self.postman.notices)
                                   if p not in self.result.notices)
        ran = len(JOBS) + 1 if self.job == "all" else 2
        status = "ok" if not self.failed_steps else "failed" if len(self.failed_steps) >= ran else "partial"
        self.ledger.finish_run(self.run_id, self.now, status, {
            "findings": len(self.result.findings), "data_issues": len(self.result.data_issues),
            "messages": dict(Counter(m.status for m in self.result.messages)), "failed_steps": self.failed_steps})

    def _notify_va(self, queue: QueueUpdate) -> None:
        """One PHI-free note a day to each VA: how many items wait, and where, and how many were
        resolved since her last note."""
        note = va_note(self.config, self.ledger, queue, self.today, len(self.result.data_issues))
        outcomes = [self.postman.send("va_work_queue", va, note, key=self.today.isoformat()).outcome
                    for va in self.config.people.va]
        if not self.dry_run and any(outcome.status == Delivery.SENT for outcome in outcomes):
            self.ledger.keep(ANNOUNCED, announced_on(queue.states, self.today))


def queue_findings(ledger: Ledger, today: date, *found: list[Finding]) -> list[Finding]:
    """What the work queue shows: the findings about messages kept in the ledger for today, then
    ``found`` (a later list's finding wins over an earlier one of the same id), most urgent first."""
    merged = {f.id: f for f in (from_dict(d) for d in ledger.message_findings(today.isoformat()))}
    for findings in found:
        merged.update((f.id, f) for f in findings)
    answered = {f.refs.get("client") for f in merged.values() if f.rule == "scheduling.reply_needs_action"}
    return sorted((f for f in merged.values()  # a client who just asked to cancel: the reply's finding speaks
                   if not (f.rule == "scheduling.no_next_appointment" and f.refs.get("client") in answered)),
                  key=sort_key)


def va_note(config: Config, ledger: Ledger, queue: QueueUpdate, today: date, data_issues: int) -> dict:
    """The VA's note as a run sends it and `preview` shows it: what waits in the queue, and what
    was resolved since her last note (the ledger's ``work_queue.announced``)."""
    announced = ledger.kept(ANNOUNCED).get("", {})
    replies = ledger.reply_counts((today - timedelta(days=1)).isoformat(), (today + timedelta(days=1)).isoformat())
    return contexts.va_work_queue(config, today, queue.open, data_issues,
                                  len(resolved_since_note(queue.states, announced, today)), replies)


def va_note_preview(config: Config, findings: list[Finding], today: date, data_issues: int) -> dict:
    """The note a run today would send, from the ledger as it is (a copy, never written): the
    queue planned as a dry run plans it, without the VA's edits not yet taken in."""
    ledger = snapshot_ledger(config.state)
    try:
        queue = plan_queue(queue_findings(ledger, today, findings), ledger.queue_rows(), {}, today)
        return va_note(config, ledger, queue, today, data_issues)
    finally:
        ledger.close()

"""The named jobs. The CLI and the scheduler call ``check`` and ``run``; nothing else.

- ``reconcile``: the rules, the VA's work queue, and the VA's PHI-free morning note;
- ``reminders``: everything addressed to clients (appointment reminders, intake-form reminders,
  balance notices, waitlist openings the VA approved), inside the sending hours, and the
  providers' calendar invitations;
- ``digests``: clinicians' morning digests, the billing escalation, credentialing reminders;
- ``weekly-summary``: the owner's workbook for the last full week (sent once a week);
- ``all``: the four, reading the trackers once.

Every run ends by refreshing the work queue, so a message that could not go (a blocked reminder,
a digest with no secure channel) reaches the VA as a finding.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import tempfile
import traceback
from contextlib import contextmanager, nullcontext
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property, partial
from pathlib import Path
from collections.abc import Callable, Iterator

from . import rules
from .config import Config
from .trackers.second_process import RULES_IN_SECOND_PROCESS, SecondProcess, RulesJob, worth_sharing_rules
from .errors import CellError, PracticeOpsError
from .ledger import Ledger
from .memory import give_back_freed_memory
from .places import file_name, inside, remove_stale_temporaries, write_private_log
from .setup_check import setup_gaps
from .messages import contexts, invites
from .messages.delivery import Outcome
from .messages.certificates import CertificateStore
from .messages.kinds import check_overrides
from .messages.postman import Postman
from .messages.smime import load_signer
from .messages.reminders import changed_since_reminded, due_reminders, reminder_fingerprint, within_sending_hours
from .messages import digests
from .reports import binder, eap_reports, weekly_summary
from .reports.queue_sheets import APPROVED, DONE, QueueUpdate
from .reports.work_queue import ANNOUNCED, announced_on, resolved_since_note, update_work_queue
from .reports.work_queue import plan as plan_queue
from .rules.catalogue import rules_switched_off
from .rules.credentialing import unknown_license_types
from .rules.context import RuleContext
from .rules.findings import Finding, from_dict, sort_key
from .rules.scheduling import reminder_blocked_finding
from .trackers.cache import TrackerCache, code_version, issue_data, issue_from
from .trackers.load import Loaded, load_practice, reading_settings, unchanged_since_cached
from .trackers.records import TRACKERS, UPCOMING_STATUSES, Practice
from .trackers.values import person_key
from .transports import open_transport

log = logging.getLogger("practice_ops.jobs")
Progress = Callable[[str], None]
JOBS = ("reconcile", "reminders", "digests", "weekly-summary")
FAILING_FOR = timedelta(hours=24)
STEP_LOG = "steps-errors.log"
MASS_CANCEL_FLOOR = 5
"""More invitations than this vanishing at once, and more than half of them, looks like a damaged or
filtered tracker, not a VA's edits: nothing is cancelled on that evidence."""
FAILURES_REPORTED_FOR = timedelta(days=7)


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

    def the_practice(self) -> Practice:
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


def resolve_clock(config: Config, today: date | None, now: datetime | None) -> tuple[date, datetime]:
    """--today and --now make every run reproducible; without them, the practice's own clock.
    --today alone runs as at the start of that day's sending hours (08:00 by default), so a
    reproducible run of `reminders` sends what a morning run would; --now alone takes its date in
    the practice's zone."""
    zone = config.zone
    if now is not None:
        now = now.astimezone(zone) if now.tzinfo else now.replace(tzinfo=zone)
    if today is None:
        now = now or datetime.now(zone)
        return now.date(), now
    opening = time.fromisoformat(config.reminders.sending_hours.split("-")[0])
    return today, now or datetime.combine(today, opening, tzinfo=zone)


@contextmanager
def bulk_work() -> Iterator[None]:
    """Python's cycle collector walks every live object each time enough new ones have appeared.
    Reading a large practice makes millions of objects (cells, records, findings) that form no
    cycles, and collecting over them took a quarter of a run; so it waits until the run is over.
    What the run made then joins the oldest generation, as if it had been collected along the way:
    otherwise the next young collection walks all of it at once (0.3 s after a large run)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        if enabled:
            gc.enable()


def check(config: Config, today: date, progress: Progress = lambda _: None, now: datetime | None = None,
          cache: TrackerCache | None = None) -> RunResult:
    """Read every tracker and apply every rule; write and send nothing (but the tracker cache, when
    given). Certificates that will not be used (expired, for another address, unreadable) are listed
    in ``notices``. With the cache, trackers unchanged since a check of the same day, thresholds and
    rules give that check's findings, and the records are read only if a job asks for them."""
    with bulk_work():
        return _check(config, today, progress, now, cache)


def _check(config: Config, today: date, progress: Progress, now: datetime | None,
           cache: TrackerCache | None) -> RunResult:
    def reread() -> Practice:  # the records again, when a job asks after they were let go or never read
        return load_practice(config, progress, cache).practice

    unchanged = unchanged_since_cached(config, cache) if cache is not None and now is None else None
    key = _check_key(config, today, unchanged) if unchanged is not None else None
    kept = _kept_check(cache.get_checked(key)) if cache is not None and key is not None else None
    if kept is not None:
        progress("Trackers unchanged since the last check today")
        findings, issues, rows, notices = kept
        return RunResult(findings=findings, data_issues=issues, rows=rows,
                         notices=[*notices, *check_overrides(config)], reread=reread)
    with SecondProcess() as second:
        if cache is not None and unchanged is not None:  # every record in the cache: the worker can start at once
            _share_rules(config, today, cache, second, [name for name in TRACKERS if name in config.trackers])
        loaded = load_practice(config, progress, cache, second,
                               share_read=lambda names: _share_rules(config, today, cache, second, names)
                               if cache is not None else None)
        result = RunResult(data_issues=loaded.issues, unavailable=[str(u) for u in loaded.unavailable],
                           rows=loaded.rows, practice=loaded.practice, reread=reread)
        result.notices.extend(loaded.notices)
        result.notices.extend(rules_switched_off(loaded.practice.present, loaded.practice.columns))
        result.notices.extend(unknown_license_types(loaded.practice))
        if loaded.rows and not any(loaded.rows.values()):
            result.notices.append("the trackers hold no rows yet, so there is nothing to check: fill in the clients, "
                                  "clinicians and sessions (the Read me sheet of the blank trackers says what each "
                                  "column holds), then run check again")
        read_notices = list(result.notices)
        result.notices.extend(check_overrides(config))
        if now is not None:
            certificates = CertificateStore(config.security.certificates, now)
            result.notices.extend(certificates.check_all())
            result.notices.extend(setup_gaps(config, loaded.practice, certificates))
            signing_problem = load_signer(config.security.signing_cert, config.security.signing_key,
                                          config.security.signing_key_password_env, now)[1]
            if signing_problem:
                result.notices.append(signing_problem)
        if result.usable:
            result.findings = _apply_rules(loaded, config.thresholds(), today, second)
            unchanged = unchanged_since_cached(config, cache) if cache is not None and now is None else None
            key = _check_key(config, today, unchanged) if unchanged is not None else None
            if cache is not None and key is not None:
                cache.put_checked(key, {"findings": [f.to_dict() for f in result.findings],
                                        "issues": [issue_data(i) for i in result.data_issues],
                                        "rows": result.rows, "notices": read_notices})
    return result


def _kept_check(kept: object) -> tuple[list[Finding], list[CellError], dict[str, int], list[str]] | None:
    """A kept check's data as it was (None for anything else: a check is then made afresh)."""
    if not isinstance(kept, dict):
        return None
    try:
        return ([from_dict(f) for f in kept["findings"]], [issue_from(i) for i in kept["issues"]],
                {str(k): int(v) for k, v in kept["rows"].items()}, [str(n) for n in kept["notices"]])
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _share_rules(config: Config, today: date, cache: TrackerCache, second: SecondProcess, names: list[str]) -> None:
    """Hand ``RULES_IN_SECOND_PROCESS`` to the run's second process, when the practice is large enough and
    every tracker it needs is an Excel file the cache keeps."""
    trackers = [config.trackers[name] for name in names]
    if second.applying_rules or not cache.writable or any(t.source != "excel" or t.path is None for t in trackers):
        return
    if not worth_sharing_rules([t.path for t in trackers if t.path is not None]):
        return
    second.apply_rules(RulesJob(tuple((name, str(t.path), t.sheet, reading_settings(t))
                                         for name, t in zip(names, trackers, strict=True)),
                                   str(cache.folder), config.thresholds(), today))


def _apply_rules(loaded: Loaded, thresholds: rules.Thresholds, today: date, second: SecondProcess) -> list[Finding]:
    """Every rule's findings: ``RULES_IN_SECOND_PROCESS`` from the second process when it has them (the
    same findings as here: the rules are pure), the others applied here meanwhile."""
    if not second.applying_rules:
        return rules.evaluate(loaded.practice, thresholds, today, loaded.issues)
    applied = rules.apply(loaded.practice, thresholds, today, [rule for rule in rules.RULES if rule not in RULES_IN_SECOND_PROCESS])
    applied.update(second.rules_applied() or {})
    return rules.evaluate(loaded.practice, thresholds, today, loaded.issues, applied)


def _check_key(config: Config, today: date, unchanged: list[tuple]) -> str:
    """What a check's findings rest on: every tracker's content and reading (``unchanged``), the
    thresholds, the day and the code of the reader and the rules."""
    identity = repr((unchanged, config.thresholds().identity(), today.isoformat(), code_version("trackers", "rules")))
    return hashlib.sha256(identity.encode()).hexdigest()[:32]


def run(config: Config, job: str, today: date, now: datetime, progress: Progress = lambda _: None,
        dry_run: bool = False) -> RunResult:
    """Run a job. ``dry_run``: render and report everything, write and record nothing (the ledger is
    read into memory, nothing reaches a transport, no workbook is written)."""
    if job not in (*JOBS, "all"):
        raise PracticeOpsError(f"no job named {job!r}; jobs: {', '.join((*JOBS, 'all'))}")
    with bulk_work():
        return _run(config, job, today, now, progress, dry_run)


def _run(config: Config, job: str, today: date, now: datetime, progress: Progress, dry_run: bool) -> RunResult:
    result = check(config, today, progress, cache=tracker_cache(config, writable=not dry_run))
    if not result.usable:
        return result
    ledger = Ledger.snapshot(config.state.dir) if dry_run else Ledger(config.state.dir, config.state.audit_head)
    try:
        ledger.refuse_if_tampered()
        with nullcontext() if dry_run else ledger.exclusive():
            if not dry_run:
                remove_stale_temporaries([ledger.dir, ledger.dir / "cache", config.email.outbox_dir,
                                          config.work_queue.path.parent])
            if not dry_run and ledger.close_stopped_runs(now):
                result.notices.append("an earlier run was stopped before it ended (its messages were recorded "
                                      "as they went: this run sends what it left, once)")
            work = Work(config, result, ledger, today, now, progress, job, dry_run)
            try:
                for step in (JOBS if job == "all" else (job,)):
                    work.step(step, STEPS[step])
                work.step("finish", lambda w: w.finish(notify_va=job in ("reconcile", "all")))
            finally:
                work.close()
    finally:
        ledger.close()
    return result


def tracker_cache(config: Config, writable: bool = True) -> TrackerCache | None:
    """The parsed-tracker cache in the state folder, when that folder is practice-ops' own."""
    from .places import claim_folder, folder_problem

    state = Path(config.state.dir)
    if folder_problem(state, "state") is not None:
        return None
    if writable:
        try:
            claim_folder(state, "state", private=True)   # the run makes it in a moment anyway
        except PracticeOpsError:
            return None
    return TrackerCache(state / "cache", writable=writable and state.is_dir())


class Work:
    """One run's shared state: the records, the ledger, the postman, and what the run raised."""

    def __init__(self, config: Config, result: RunResult, ledger: Ledger, today: date, now: datetime,
                 progress: Progress, job: str, dry_run: bool = False):
        self.config, self.result, self.ledger, self.today, self.now = config, result, ledger, today, now
        self.progress = progress
        self.dry_run = dry_run
        self.run_id = ledger.start_run(job, today.isoformat(), now)
        self.postman = Postman(config, ledger, lambda: open_transport(config.email), self.run_id, now,
                               dry_run=dry_run)
        if dry_run:
            result.notices.append("dry run: messages were rendered and checked, not sent; nothing was written or "
                                  "recorded")
        self.raised: dict[str, tuple[Finding, date]] = {}
        self.job = job
        self.failed_steps: list[str] = []
        # the VA's edits in, for the steps that act on them; the workbook is written once, at the end
        self.queue: QueueUpdate | None = self.refresh_queue(write=False) if job != "reconcile" else None

    @cached_property
    def ctx(self) -> RuleContext:
        """The records, indexed; read on first use (a reconcile over unchanged trackers needs none)."""
        return RuleContext(self.result.the_practice(), self.config.thresholds(), self.today)

    # findings raised while sending ------------------------------------------------------------
    def raise_finding(self, finding: Finding, until: date) -> None:
        known = self.raised.get(finding.id)
        self.raised[finding.id] = (finding, max(until, known[1]) if known else until)

    def message_blocked(self, kind: str, recipient: str, why: str, what: str, count: int = 1) -> None:
        """A message with PHI that had no secure channel: a finding for the VA, who shares it another way.
        In the outbox (a review folder: nothing goes anywhere) it is a note of the run instead, so a new
        practice's queue is not filled with rows about mail nobody was sent."""
        if self.config.email.transport == "outbox":
            note = (f"in a live set-up, {what} for {recipient} would not be sent ({why}); `check` says what each "
                    f"recipient needs")
            if note not in self.result.notices:
                self.result.notices.append(note)
            return
        self.raise_finding(Finding(
            "compliance.message_blocked", "warning", "va",
            f"{count} {what} for {recipient} {'was' if count == 1 else 'were'} not sent: {why}. Put their S/MIME "
            f"certificate in the certificates folder (ADDRESS.pem) or configure the encryption gateway; until then "
            f"share it through the EHR.", refs={"message_kind": kind, "recipient": recipient}, due=self.today),
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
                from .reports.sheets_queue import update_sheets_queue

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
        why = "was refused" if since is None else f"has failed since {since:%Y-%m-%d %H:%M}"
        self.raise_finding(Finding(
            "compliance.message_failed", "warning", "va",
            f"A {kind.replace('_', ' ')} to {to} {why}: {error}. Check the address and the mail settings; reach "
            f"the person another way meanwhile.",
            refs={"message_kind": kind, "recipient": to}, key=message_id, due=self.today),
            self.today + timedelta(days=1))

    def report_failures(self) -> None:
        """A message refused for good reaches the VA at once; one still failing a day after it was
        first tried does too (for a week), whether or not this run tried it again."""
        for outcome in self.postman.outcomes:
            if outcome.status == "failed" and outcome.permanent:
                self.message_failed(outcome.kind, outcome.to, outcome.message_id, outcome.error, None)
        for message_id, kind, to, error, queued_at in self.ledger.failing_messages(
                self.now - FAILING_FOR, self.now - FAILURES_REPORTED_FOR):
            self.message_failed(kind, to, message_id, error or "no reason given",
                                datetime.fromisoformat(queued_at))

    def step(self, name: str, do: Callable[[Work], None]) -> None:
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
        self.let_records_go()
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

    def let_records_go(self) -> None:
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
        if not self.dry_run and any(outcome.status == "sent" for outcome in outcomes):
            self.ledger.keep(ANNOUNCED, announced_on(queue.states, self.today))


def queue_findings(ledger: Ledger, today: date, *found: list[Finding]) -> list[Finding]:
    """What the work queue shows: the findings about messages kept in the ledger for today, then
    ``found`` (a later list's finding wins over an earlier one of the same id), most urgent first."""
    merged = {f.id: f for f in (from_dict(d) for d in ledger.message_findings(today.isoformat()))}
    for findings in found:
        merged.update((f.id, f) for f in findings)
    return sorted(merged.values(), key=sort_key)


def va_note(config: Config, ledger: Ledger, queue: QueueUpdate, today: date, data_issues: int) -> dict:
    """The VA's note as a run sends it and `preview` shows it: what waits in the queue, and what
    was resolved since her last note (the ledger's ``work_queue.announced``)."""
    announced = ledger.kept(ANNOUNCED).get("", {})
    return contexts.va_work_queue(config, today, queue.open, data_issues,
                                  len(resolved_since_note(queue.states, announced, today)))


def va_note_preview(config: Config, findings: list[Finding], today: date, data_issues: int) -> dict:
    """The note a run today would send, from the ledger as it is (a copy, never written): the
    queue planned as a dry run plans it, without the VA's edits not yet taken in."""
    ledger = Ledger.snapshot(config.state.dir)
    try:
        queue = plan_queue(queue_findings(ledger, today, findings), ledger.queue_rows(), {}, today)
        return va_note(config, ledger, queue, today, data_issues)
    finally:
        ledger.close()


# reminders: everything addressed to clients, and calendar invitations --------------------------

def reminders(work: Work) -> None:
    config = work.config
    zone = config.zone
    if within_sending_hours(work.now.astimezone(zone), config.reminders.sending_hours):
        _appointment_reminders(work)
        _intake_form_reminders(work)
        _balance_notices(work)
        _waitlist_openings(work)
    else:
        work.result.notices.append(f"{work.now.astimezone(zone):%H:%M} is outside the sending hours "
                                   f"({config.reminders.sending_hours}): no client messages this run")
    _calendar_invites(work)


def _appointment_reminders(work: Work) -> None:
    config, ctx = work.config, work.ctx
    zone = config.zone
    batches = due_reminders(ctx.practice.appointments, work.now, config.reminders.hours_before,
                            config.reminders.sending_hours, zone, ctx.thresholds.default_session_minutes)
    work.progress(f"{len(batches)} appointment reminder{'s' if len(batches) != 1 else ''} due: each goes by email "
                  f"where it may, the others to the VA to phone")
    just_reminded: set[str] = set()
    for batch in batches:
        client = ctx.clients.get(batch.client_id)
        first = batch.appointments[0]
        if batch.client_id in ctx.ambiguous_clients:
            work.raise_finding(reminder_blocked_finding(first, f"client id {batch.client_id} is on two rows of the "
                                                               f"clients tracker, so which address is right is unknown"),
                               first.date)
            continue
        if client is None or not client.email:
            why = ("the email address on file cannot be used (see the data finding for its cell)"
                   if ("client", batch.client_id, "email") in ctx.practice.unreadable else "has no email address")
            work.raise_finding(reminder_blocked_finding(first, f"client {batch.client_id} {why}", client), first.date)
            continue
        unlinked = [a for a in batch.appointments if a.modality == "video" and not a.telehealth_link]
        if unlinked:  # a video reminder without its link is held, never sent empty
            held = unlinked[0]
            work.raise_finding(reminder_blocked_finding(
                held, "its video session has no working link, so the client could not join", client,
                severity="urgent", key="video_link", instead="Add the link to the tracker (the next run sends the "
                                                            "reminder with it), or phone the client with it"),
                held.date)
            continue
        sent = work.postman.send("appointment_reminder", client.email,
                                 contexts.appointment_reminder(config, batch.appointments, client=client),
                                 key=batch.key, consent=client.email_consent, to_client=True)
        if sent.outcome.status == "sent":  # what the client was told, now
            for appt in batch.appointments:
                work.ledger.record_reminded(appt.appointment_id, reminder_fingerprint(appt), work.now)
                just_reminded.add(appt.appointment_id)
        if sent.outcome.status == "blocked":
            for appt in batch.appointments:
                work.raise_finding(reminder_blocked_finding(appt, f"client {client.client_id}: {sent.why_blocked}",
                                                            client), appt.date)
    _corrected_reminders(work, just_reminded)


def _corrected_reminders(work: Work, just_reminded: set[str]) -> None:
    """One corrected reminder for a session whose time, place or video link changed after its
    reminder went (so "add the link so the reminder carries it" comes true)."""
    config, ctx = work.config, work.ctx
    changed = changed_since_reminded(ctx.practice.appointments, work.ledger.reminded(), work.now, config.zone,
                                     config.reminders.sending_hours)
    for appt in changed:
        client = ctx.clients.get(appt.client_id)
        if appt.appointment_id in just_reminded or client is None or not client.email \
                or client.client_id in ctx.ambiguous_clients:
            continue
        fingerprint = reminder_fingerprint(appt)
        sent = work.postman.send("appointment_reminder", client.email,
                                 contexts.appointment_reminder(config, [appt], updated=True, client=client),
                                 key=f"{appt.appointment_id}:changed:{fingerprint}", consent=client.email_consent,
                                 to_client=True)
        if sent.outcome.status in ("sent", "already_sent"):
            work.ledger.record_reminded(appt.appointment_id, fingerprint, work.now)


def _intake_form_reminders(work: Work) -> None:
    ctx = work.ctx
    for finding in work.result.findings:
        if finding.rule != "scheduling.intake_forms_missing":
            continue
        client = ctx.clients.get(finding.refs["client"])
        appt = ctx.appointments.get(finding.refs["appointment"])
        if client is None or appt is None or not client.email or client.client_id in ctx.ambiguous_clients:
            continue
        work.postman.send("intake_forms_reminder", client.email, contexts.intake_forms_reminder(work.config, appt),
                          key=f"{client.client_id}:{appt.appointment_id}", consent=client.email_consent,
                          to_client=True)


def _balance_notices(work: Work) -> None:
    for finding in work.result.findings:
        if finding.rule != "billing.balance_due":
            continue
        client = work.ctx.clients.get(finding.refs["client"])
        if client is None or not client.email or client.client_id in work.ctx.ambiguous_clients:
            continue
        work.postman.send("balance_notice", client.email, contexts.office_only(work.config),
                          key=f"{client.client_id}:{client.balance_since}", consent=client.email_consent,
                          to_client=True)


def _waitlist_openings(work: Work) -> None:
    """A PHI-free note to a prospect whose waitlist match the VA marked Approved; then the match is Done."""
    current = {f.id: f for f in work.result.findings if f.rule == "scheduling.waitlist_match"}
    prospects = {p.prospect_id: p for p in work.ctx.practice.waitlist}
    done = []
    for state in work.ledger.queue_rows().values():
        finding = current.get(state["finding_id"])
        if finding is None or state["status"] != APPROVED:
            continue
        prospect = prospects.get(finding.refs["prospect"])
        if prospect is None or not prospect.email:
            continue
        sent = work.postman.send("waitlist_opening", prospect.email, contexts.office_only(work.config), key=finding.id)
        if sent.outcome.status in ("sent", "already_sent"):
            note = f"opening notice sent {work.today.isoformat()}"
            done.append({**state, "status": DONE, "status_since": work.today.isoformat(),
                         "notes": f"{state['notes']} ({note})".strip() if state["notes"] else note})
    if done:
        work.ledger.save_queue_rows(done)


def _calendar_invites(work: Work) -> None:
    """Invitations that follow the tracker: a REQUEST for a new or changed session, a CANCEL for a
    cancelled one, for one reassigned away from a clinician (the new one gets a REQUEST), and for a
    future session whose row was deleted. What each attendee was last shown is in the ledger."""
    config, ctx = work.config, work.ctx
    blocked: Counter = Counter()
    why: dict[str, str] = {}
    attending: set[tuple[str, str]] = set()
    for appt in sorted(ctx.practice.appointments, key=lambda a: (a.date, a.time)):
        if appt.date < work.today or (appt.status not in UPCOMING_STATUSES
                                      and appt.status not in invites.CANCELLED_STATUSES):
            continue
        shown = contexts.invite_shown(config, ctx, appt)
        for name, email, consent, to_client in _attendees(work, appt):
            attending.add((appt.appointment_id, email.lower()))
            planned = _invite_to_send(work.ledger, appt, email, ctx.length_of(appt), config.email.from_)
            if planned is None:
                continue
            method, uid, sequence, fingerprint = planned
            status, reason = _invite(work, appt.appointment_id, shown, (name, email), method, uid, sequence,
                                     fingerprint, consent, to_client)
            if status == "blocked" and not to_client:
                blocked[name] += 1
                why[name] = reason
    _cancel_what_is_gone(work, attending)
    for name, count in blocked.items():
        work.message_blocked("calendar_invite", name, why[name], "calendar invitation(s)", count)


def _attendees(work: Work, appt) -> list[tuple[str, str, str | None, bool]]:
    ctx = work.ctx
    provider = ctx.providers.get(person_key(appt.provider))
    client = ctx.clients.get(appt.client_id)
    found: list[tuple[str, str, str | None, bool]] = []
    if provider is not None and provider.email:
        found.append((provider.provider, provider.email, None, False))
    if (work.config.invites.to_clients and client is not None and client.email
            and client.client_id not in ctx.ambiguous_clients):
        found.append((appt.client_id, client.email, client.email_consent, True))
    return found


def _invite(work: Work, appointment_id: str, shown: dict, attendee: tuple[str, str], method: str, uid: str,
            sequence: int, fingerprint: str, consent: str | None = None, to_client: bool = False) -> tuple[str, str]:
    config = work.config
    name, email = attendee
    ics = contexts.calendar_body(config, shown, method=method, uid=uid, sequence=sequence, attendee=attendee,
                                 now=work.now)
    sent = work.postman.send("calendar_invite", email, contexts.calendar_invite(config, shown, method),
                             key=f"{appointment_id}:{sequence}:{method}", consent=consent, to_client=to_client,
                             calendar=(ics, method))
    if sent.outcome.status in ("sent", "already_sent"):
        work.ledger.record_invite(appointment_id, email, uid, sequence, fingerprint, method, work.now, shown)
    return sent.outcome.status, sent.why_blocked


def _invite_to_send(ledger: Ledger, appt, email: str, minutes: int, sender: str):
    """(method, uid, sequence, fingerprint) to send now, or None when the attendee is up to date."""
    fingerprint = invites.fingerprint(appt, minutes)
    cancelled = appt.status in invites.CANCELLED_STATUSES
    state = ledger.invite_state(appt.appointment_id, email)
    if state is None:
        return None if cancelled else ("REQUEST", invites.uid_for(appt.appointment_id, sender,
                                                                  ledger.practice_key("invite-uid")), 0, fingerprint)
    uid, sequence, old_fingerprint, old_method = state
    if cancelled:
        return None if old_method == "CANCEL" else ("CANCEL", uid, sequence + 1, fingerprint)
    if fingerprint != old_fingerprint or old_method == "CANCEL":
        return "REQUEST", uid, sequence + 1, fingerprint
    return None


def _cancel_what_is_gone(work: Work, attending: set[tuple[str, str]]) -> None:
    """A calendar still showing a future session it should not: the session was reassigned to
    someone else, or its row deleted. Cancelled from what the ledger says it shows."""
    ahead = [i for i in work.ledger.live_invites()
             if i["shown"].get("start") and datetime.fromisoformat(i["shown"]["start"]) >= work.now]
    gone = [i for i in ahead if (i["appointment_id"], i["recipient"]) not in attending]
    if len(gone) > MASS_CANCEL_FLOOR and len(gone) > len(ahead) / 2:
        work.result.notices.append(f"{len(gone)} of {len(ahead)} future sessions with invitations are gone from the "
                                   f"appointments tracker at once, which looks like a damaged or filtered sheet; no "
                                   f"invitation was cancelled. Check the tracker: restore the rows, or, if the "
                                   f"sessions were really removed, remove them from the clinicians' calendars")
        return
    for invite in gone:
        _invite(work, invite["appointment_id"], invite["shown"], (invite["recipient"], invite["recipient"]), "CANCEL",
                invite["uid"], invite["sequence"] + 1, "gone")


# digests: for the practice's own people ---------------------------------------------------------

def digests_job(work: Work) -> None:
    """Four outputs, each its own bulkhead: one that fails (an unwritable folder for the EAP reports)
    is a notice, and the others still go."""
    findings = work.all_findings()
    work.step("clinician digests", lambda w: _clinician_digests(w, findings))
    work.step("billing escalation", lambda w: _billing_escalation(w, findings))
    _eap_reports(work, findings)
    work.step("credentialing reminders", lambda w: _credentialing_reminders(w, findings))


def _clinician_digests(work: Work, findings: list[Finding]) -> None:
    config, ctx = work.config, work.ctx
    for provider in ctx.practice.providers:
        if not provider.email:
            continue
        context = digests.clinician_digest(ctx, provider.provider, findings, config.practice.name)
        context.pop("practice_name")
        sent = work.postman.send("clinician_digest", provider.email, context,
                                 key=f"{provider.provider}:{work.today.isoformat()}")
        if sent.outcome.status == "blocked":
            work.message_blocked("clinician_digest", provider.provider, sent.why_blocked, "morning digest")


def _billing_escalation(work: Work, findings: list[Finding]) -> None:
    config, ctx = work.config, work.ctx
    first_seen = {fid: state["first_seen"] for fid, state in work.ledger.queue_rows().items()}
    escalation = digests.billing_escalation(findings, first_seen, work.today, config.practice.name, ctx)
    escalation.pop("practice_name")
    if escalation["items"] and config.people.billing:
        sent = work.postman.send("billing_escalation", config.people.billing, escalation, key=work.today.isoformat())
        if sent.outcome.status == "blocked":
            work.message_blocked("billing_escalation", "the billing manager", sent.why_blocked, "billing escalation")


def _credentialing_reminders(work: Work, findings: list[Finding]) -> None:
    config, ctx = work.config, work.ctx
    week = f"{work.today.isocalendar().year}-W{work.today.isocalendar().week:02d}"
    recipients: list[tuple[str, str | None, str]] = [(va, None, "the VA") for va in config.people.va]
    recipients += [(p.email, p.provider, p.provider) for p in ctx.practice.providers if p.email]
    for address, about, who in recipients:
        items = digests.credentialing_items(findings, work.today, about)
        if not items:
            continue
        sent = work.postman.send("credentialing_reminder", address, {
            "today": work.today.isoformat(), "items": items, "provider": about or ""}, key=week)
        if sent.outcome.status == "blocked":
            work.message_blocked("credentialing_reminder", who, sent.why_blocked, "credentialing reminder")


def _eap_reports(work: Work, findings: list[Finding]) -> None:
    """Each EAP case whose report is due: its workbook, beside the work queue, to the VA encrypted;
    each report its own bulkhead."""
    for report in eap_reports.reports(work.ctx, findings):
        work.step(f"EAP report {report.authorization_id}", partial(_eap_report, report=report))


def _eap_report(work: Work, report: eap_reports.EapReport) -> None:
    name = file_name("eap-report", report.authorization_id, suffix=".xlsx")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) if work.dry_run else work.config.work_queue.path.parent
        path = eap_reports.write(inside(folder, name), report, work.config.practice.name)
        data = path.read_bytes()
    for va in work.config.people.va:
        sent = work.postman.send("eap_report", va, {
            "today": work.today.isoformat(), "authorization_id": report.authorization_id, "vendor": report.vendor,
            "due": report.due.isoformat() if report.due else "-", "status": report.status, "file": name},
            key=f"{report.authorization_id}:{report.due}", attachments=((name, data, XLSX),))
        if sent.outcome.status == "blocked":
            work.message_blocked("eap_report", "the VA", sent.why_blocked, "EAP report")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def weekly_summary_job(work: Work) -> None:
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


def _weekly_summary(work: Work, figures, week: str, path: Path) -> None:
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
    if sent.outcome.status == "blocked":
        work.message_blocked("weekly_summary", "the owner", sent.why_blocked, "weekly summary")


def reconcile(work: Work) -> None:
    """The rules ran when the trackers were read; the queue and the VA's note come in ``finish``."""


STEPS = {"reconcile": reconcile, "reminders": reminders, "digests": digests_job,
         "weekly-summary": weekly_summary_job}


def compliance_binder(config: Config, today: date) -> Path:
    """Write the compliance binder beside the work queue; reads the ledger, sends nothing."""
    result = check(config, today)
    if not result.usable or result.practice is None:
        raise PracticeOpsError("; ".join(result.unavailable) or "the trackers could not be read")
    ledger = Ledger.snapshot(config.state.dir)
    try:
        disclosures = ledger.disclosures()
    finally:
        ledger.close()
    path = config.work_queue.path.parent / f"compliance-binder-{today.isoformat()}.xlsx"
    return binder.write(path, RuleContext(result.practice, config.thresholds(), today), result.findings, disclosures,
                        config.practice.name)


def verify_audit(config: Config) -> tuple[int, list[str]]:
    ledger = Ledger(config.state.dir, config.state.audit_head)
    try:
        return ledger.verify_audit()
    finally:
        ledger.close()

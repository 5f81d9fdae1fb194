"""`check`: read every tracker and apply every rule, writing and sending nothing (but the tracker
cache): a check of the same day over unchanged trackers is kept and given again; a large practice
shares its sheets and rules with the second process."""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from .. import rules
from ..config import Config
from ..errors import CellError, PracticeOpsError
from ..messages.certificates import CertificateStore
from ..messages.kinds import check_overrides
from ..messages.smime import load_signer
from ..rules.catalogue import rules_switched_off
from ..rules.credentialing import unknown_license_types
from ..rules.findings import Finding, from_dict
from ..setup_check import setup_gaps
from ..trackers.cache import TrackerCache, code_version, issue_data, issue_from
from ..trackers.load import Loaded, load_practice, reading_settings, unchanged_since_cached
from ..trackers.records import TRACKERS, Practice
from ..trackers.second_process import RULES_IN_SECOND_PROCESS, RulesJob, SecondProcess, worth_sharing_rules
from .result import Progress, RunResult


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


def tracker_cache(config: Config, writable: bool = True) -> TrackerCache | None:
    """The parsed-tracker cache in the state folder, when that folder is practice-ops' own."""
    from ..folders import claim_folder, folder_problem

    state = Path(config.state.dir)
    if folder_problem(state, "state") is not None:
        return None
    if writable:
        try:
            claim_folder(state, "state", private=True)   # the run makes it in a moment anyway
        except PracticeOpsError:
            return None
    return TrackerCache(state / "cache", writable=writable and state.is_dir())

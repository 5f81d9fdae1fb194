"""What will not work, said before anything runs: the config with the files it names (every
command loads it through ``load_config``), and the gaps `check` prints for a new practice (or one
that changed its set-up) so the first morning's mail is not a surprise. The config itself is data
(config.py, at the bottom); what needs the trackers' reader to judge a setting is judged here."""

from __future__ import annotations

import difflib
import zipfile
from pathlib import Path

from . import config as config_module
from .config import Config, TrackerSource, secret_gaps
from .errors import TrackerUnavailable
from .folders import output_problems
from .messages.certificates import CertificateStore
from .messages.compose import is_address
from .trackers.excel import EXCEL_SUFFIXES, refuse_unsafe, sheet_parts
from .trackers.records import Practice


def load_config(path: Path | str) -> Config:
    """The config (config.load) and the files it names: each Excel tracker safe to open and
    holding its sheet, each output folder usable; one ``ConfigError`` lists every problem."""
    return config_module.load(path, also=file_problems)


def file_problems(config: Config) -> list[str]:
    problems = []
    for name, tracker in config.trackers.items():
        if tracker.source == "excel" and tracker.path is not None:
            problems.extend(_check_excel_sheet(name, tracker))
    trackers = [t.path for t in config.trackers.values() if t.source == "excel" and t.path is not None]
    problems.extend(output_problems(config.work_queue.path if config.work_queue.source == "excel" else None,
                                    config.state.dir, config.email.outbox_dir, trackers, config.state.audit_head))
    return problems


def setup_gaps(config: Config, practice: Practice | None, certificates: CertificateStore) -> list[str]:
    gaps: list[str] = []
    gateway = bool(config.security.gateway_subject_tag.strip())
    staff = [(config.people.owner, "the owner", "the weekly summary"),
             (config.people.billing, "the biller", "billing escalations"),
             *((va, "the VA", "credentialing reminders and EAP reports") for va in config.people.va)]
    staff += [(p.email, p.provider, "the morning digest") for p in (practice.providers if practice else []) if p.email]
    for address, who, what in staff:
        if not address:
            continue
        if not is_address(address):
            gaps.append(f"{who}: {address!r} is not an email address; nothing can be sent to it")
            continue
        if not gateway and certificates.for_address(address) is None:
            gaps.append(f"{who} ({address}): {certificates.why_not(address)} and no encryption gateway is set, so "
                        f"{what} (full PHI) will be blocked; put ADDRESS.pem in {config.security.certificates} or "
                        f"set [security] gateway_subject_tag")
    for key, value in (("people.owner", config.people.owner), ("people.billing", config.people.billing)):
        if not value:
            gaps.append(f"{key} is empty: " + ("no weekly summary goes out" if key == "people.owner"
                                               else "billing escalations have no one to go to"))
    if not config.people.va:
        gaps.append("people.va is empty: no one gets the work queue note or credentialing reminders")
    gaps.extend(secret_gaps(config.email))
    if not config.practice.phone.strip():
        gaps.append("practice.phone is empty: reminders and notices to clients give no number to call")
    return gaps


def _check_excel_sheet(name: str, tracker: TrackerSource) -> list[str]:
    """The workbook is safe to open and has the sheet, read from its index alone (the run reads the
    sheet once, later)."""
    assert tracker.path is not None
    try:
        if tracker.path.is_file() and tracker.path.suffix.lower() not in EXCEL_SUFFIXES:
            raise TrackerUnavailable(tracker.path.name, "is not an .xlsx workbook: save it as Excel Workbook (.xlsx)")
        refuse_unsafe(tracker.path, tracker.path.name)
        sheets = list(sheet_parts(tracker.path))
    except TrackerUnavailable as exc:
        return [f"trackers.{name}.path: {tracker.path}: {exc.why}"]
    except (OSError, KeyError, zipfile.BadZipFile, ValueError) as exc:
        return [f"trackers.{name}.path: {tracker.path}: cannot be opened as an Excel workbook "
                f"({exc.__class__.__name__})"]
    if tracker.sheet in sheets:
        return []
    guess = difflib.get_close_matches(tracker.sheet, sheets, n=1)
    hint = f" (did you mean {guess[0]!r}?)" if guess else ""
    return [f"trackers.{name}.sheet: {Path(tracker.location).name} has no sheet {tracker.sheet!r}{hint}; "
            f"it has: {', '.join(sheets)}"]

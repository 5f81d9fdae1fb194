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
    gaps.extend(texting_gaps(config))
    if not config.practice.phone.strip():
        gaps.append("practice.phone is empty: reminders and notices to clients give no number to call")
    return gaps


def texting_gaps(config: Config) -> list[str]:
    """What a practice must know before it texts clients or reads their answers (DOMAIN.md "Replies
    and texts"): Twilio's BAA, 10DLC registration, the secrets; and reminders that ask for an answer
    nobody reads."""
    import os

    gaps = []
    sms = config.sms
    if sms is not None and sms.provider == "twilio":
        gaps.append("[sms]: a text carries limited PHI (the practice's name, a time, a video link) in clear; Twilio "
                    "signs a BAA only on its higher editions: have one in place before texting clients. Every US text "
                    "from a 10-digit number needs a registered 10DLC brand and campaign")
        if not sms.account_sid and not os.environ.get("TWILIO_EMULATOR_HOST"):
            gaps.append("sms.account_sid is empty: no text can go until it is set (it starts with AC; the Twilio "
                        "console shows it)")
        if not (sms.from_number or sms.messaging_service_sid):
            gaps.append("sms.from_number is empty: set the practice's texting number (+1 and ten digits) or "
                        "messaging_service_sid, or no text can go")
        if not os.environ.get("TWILIO_EMULATOR_HOST") and not os.environ.get(sms.auth_token_env):
            gaps.append(f"{sms.auth_token_env} is not set here: Twilio needs the account's auth token, so every text "
                        f"would wait for it (set it where the scheduled runs start)")
    if config.reminders.ask_to_confirm and config.email.transport == "outbox" and config.replies.inbox_dir is None \
            and "email" in config.reminders.channels:
        gaps.append("reminders.ask_to_confirm: emailed reminders ask for an answer, but in the outbox no mailbox is "
                    "read (set [replies] inbox_dir to review answers saved as .eml files)")
    if config.reminders.ask_to_confirm and config.email.transport == "smtp" and not config.replies.imap_host \
            and "email" in config.reminders.channels:
        gaps.append("reminders.ask_to_confirm: emailed reminders ask for an answer, but no mailbox is read: set "
                    "[replies] imap_host (and PRACTICE_OPS_IMAP_PASSWORD) so the answers are read")
    if config.replies.imap_host and config.email.transport == "smtp" \
            and not os.environ.get(config.replies.imap_password_env):
        gaps.append(f"{config.replies.imap_password_env} is not set here: the inbox cannot be read for replies")
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

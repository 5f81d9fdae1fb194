"""The practice's TOML config: loaded, validated, paths resolved against the file's folder.

Every mistake is reported at once, one per line, as ``file: key: what is wrong`` (with a
did-you-mean for misspelt keys), so a VA fixes the file in one pass.
"""

from __future__ import annotations

import difflib
import re
import tomllib
import typing
from collections.abc import Callable
from datetime import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from .errors import ConfigError
from .rules.thresholds import Thresholds, threshold_fields
from .timetable import validate as validate_schedule
from .trackers.records import TRACKERS, columns_of
from .trackers.values import fold

DEFAULT_CONFIG = Path("config/practice.toml")


def known_zone(value: str) -> str:
    """A time zone's name as the tz database knows it (what a practice or an agency sets)."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a time zone name (e.g. America/New_York)") from None
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PracticeSection(Strict):
    name: str
    timezone: str = "America/New_York"
    phone: str = ""          # shown to clients in reminders and notices
    address: str = ""        # the office, shown in in-person reminders
    portal_url: str = ""     # where clients complete forms and pay
    age_of_consent: int = Field(default=18, ge=1, le=30)  # for outpatient mental-health care; varies by state

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)


class People(Strict):
    owner: str | None = None
    billing: str | None = None
    va: list[str] = Field(default_factory=list)

    @field_validator("va", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class TrackerSource(Strict):
    source: Literal["excel", "gsheets"] = "excel"
    path: Path | None = None
    spreadsheet_id: str | None = None
    sheet: str
    header_row: int | None = Field(default=None, ge=1, le=1000)
    columns: dict[str, str] = Field(default_factory=dict)

    @property
    def location(self) -> str:
        return str(self.path) if self.source == "excel" else str(self.spreadsheet_id)


EnvName = Annotated[str, AfterValidator(lambda name: _env_name(name))]
"""A ``*_env`` key: the name of the environment variable that holds a secret, never the secret."""


def _env_name(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,99}", name):
        raise ValueError(SECRET_HINT)
    return name


SECRET_HINT = ("must name an environment variable (such as PRACTICE_OPS_SMTP_PASSWORD); put the secret itself in "
               "that variable, never in this file")


def is_loopback(host: str) -> bool:
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class SmtpSettings(Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str = ""
    password_env: EnvName = "PRACTICE_OPS_SMTP_PASSWORD"
    timeout_seconds: float = Field(default=30, gt=0, le=600)
    ca_bundle: str = ""              # a CA file to trust for the server (a practice's own mail server's CA)

    @model_validator(mode="after")
    def _no_password_in_clear(self) -> SmtpSettings:
        if self.security == "none" and self.username and not is_loopback(self.host):
            raise ValueError(f"security = \"none\" would send the password for {self.username} to {self.host} in "
                             f"clear; use starttls or ssl (\"none\" is for a relay on this computer)")
        return self


class GraphSettings(Strict):
    """Microsoft 365 through Microsoft Graph: an app registration with Mail.Send (application)."""

    tenant_id: str = ""
    client_id: str = ""
    client_secret_env: EnvName = "PRACTICE_OPS_GRAPH_CLIENT_SECRET"
    sender: str = ""                 # the mailbox to send as; blank: the `from` address
    timeout_seconds: float = 30
    authority: str = "https://login.microsoftonline.com"   # Entra ID; a national cloud's, or a local test's
    ca_bundle: str = ""              # a CA file to trust for the authority (tests; a TLS-inspecting proxy)


class GmailSettings(Strict):
    """Google Workspace through the Gmail API: a service account with domain-wide delegation of
    gmail.send; its key file is named by the environment variable, never by this file."""

    credentials_env: EnvName = "GOOGLE_APPLICATION_CREDENTIALS"
    sender: str = ""                 # the mailbox to send as; blank: the `from` address


class ExchangeSettings(Strict):
    """Exchange Server (on premises) through EWS. Exchange Online practices use `graph`."""

    server: str = ""                 # e.g. mail.practice.example (the EWS URL is derived) ...
    service_endpoint: str = ""       # ... or the full https://.../EWS/Exchange.asmx
    username: str = ""               # e.g. PRACTICE\\office or office@practice.example
    password_env: EnvName = "PRACTICE_OPS_EWS_PASSWORD"
    sender: str = ""                 # the mailbox to send from; blank: the `from` address

    @property
    def exchange_online(self) -> str:
        """The Exchange Online host these settings point at, or "": its EWS is being switched off."""
        from urllib.parse import urlparse

        host = (urlparse(self.service_endpoint).hostname if self.service_endpoint else self.server) or ""
        host = host.lower().strip()
        return host if any(host == h or host.endswith("." + h) for h in EXCHANGE_ONLINE_HOSTS) else ""


EXCHANGE_ONLINE_HOSTS = ("outlook.office365.com", "outlook.office.com", "outlook.office365.us", "partner.outlook.cn")


class EmailSettings(Strict):
    transport: Literal["outbox", "smtp", "gmail", "exchange", "graph"] = "outbox"
    from_: str = Field(default="practice-ops <practice-ops@localhost>", alias="from")
    client_sender_name: str = ""     # a neutral display name and subject for client mail, e.g. "Appointments"
    outbox_dir: Path = Path("outbox")
    max_per_minute: int | None = Field(default=None, ge=1, le=10000)  # pacing; blank: the transport's default
    max_wait_seconds: float = Field(default=300, ge=0, le=3600)  # waiting for the pace or a Retry-After, per run
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    graph: GraphSettings = Field(default_factory=GraphSettings)
    gmail: GmailSettings = Field(default_factory=GmailSettings)
    exchange: ExchangeSettings = Field(default_factory=ExchangeSettings)

    @field_validator("from_")
    @classmethod
    def _one_sender(cls, value: str) -> str:
        """One address with an optional name: a line break here once passed `check` and then failed
        every message of the run (it would also let a header be added to every message)."""
        from email.utils import getaddresses

        _no_control(value)
        found = getaddresses([value])
        if len(found) != 1 or not found[0][1]:
            raise ValueError("must be one address, e.g. \"Riverbend Counseling <office@riverbend.example>\"")
        from .trackers.values import parse_email

        parse_email(found[0][1])
        return value

    @field_validator("client_sender_name")
    @classmethod
    def _a_plain_name(cls, value: str) -> str:
        _no_control(value)
        if any(c in value for c in '<>@,;:"'):
            raise ValueError("must be a plain name such as Appointments, without <, >, @, comma, semicolon, colon "
                             "or quotes")
        return value

    @property
    def sender_address(self) -> str:
        from email.utils import parseaddr

        return parseaddr(self.from_)[1]


class WorkQueueSettings(Strict):
    source: Literal["excel", "gsheets"] = "excel"
    path: Path = Path("work-queue.xlsx")
    spreadsheet_id: str | None = None
    link: str = ""      # where the VA opens the queue (a SharePoint or shared-drive link): the morning note links it


class StateSettings(Strict):
    dir: Path = Path("var")
    audit_head: Path = Path(".practice-ops-audit-head.json")
    """Kept apart from the ledger (beside this config by default): the newest audit entry, so that a
    deleted tail, a rebuilt chain or a vanished ledger is noticed."""
    database_url: str = ""
    """"" = the ledger is ledger.sqlite3 in ``dir``; ``postgresql://...`` = in that database, in the
    schema ``ledger_schema``: what an agency sets from its own ``database_url`` so that every machine
    sees one ledger (the password from PGPASSWORD or ~/.pgpass, never the file)."""
    ledger_schema: str = ""


Channel = Literal["email", "sms"]


class ReminderSettings(Strict):
    hours_before: list[int] = Field(default_factory=lambda: [48, 24])
    sending_hours: str = "08:00-20:00"
    channels: list[Channel] = Field(default_factory=lambda: list[Channel](["email"]))
    """Each client gets reminders by the channels listed here that they consented to."""
    ask_to_confirm: bool = False
    """Reminders say "Reply C to confirm or R to reschedule"; the `replies` job reads the answers."""
    confirm_hours: int = Field(default=24, ge=1, le=336)
    """A session asked about and not confirmed this close to its start is on the VA's call list."""

    @field_validator("channels")
    @classmethod
    def _some_channel(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError('name at least one channel: ["email"], ["sms"] or ["email", "sms"]')
        return list(dict.fromkeys(value))

    @field_validator("hours_before")
    @classmethod
    def _plausible_hours(cls, value: list[int]) -> list[int]:
        if not value or any(not 1 <= hours <= 24 * 14 for hours in value):
            raise ValueError("each reminder is 1 to 336 hours before the session")
        return value

    @field_validator("sending_hours")
    @classmethod
    def _real_times(cls, value: str) -> str:
        try:
            if not re.fullmatch(r"\d{2}:\d{2}-\d{2}:\d{2}", value):
                raise ValueError(value)
            opens, closes = sending_window(value)
        except ValueError:
            raise ValueError(f"{value!r} is not two times of day, e.g. 08:00-20:00") from None
        if opens >= closes:
            raise ValueError(f"{value!r}: the sending hours must open before they close") from None
        return value


def sending_window(sending_hours: str) -> tuple[time, time]:
    """`08:00-20:00` as (opens, closes): the one reading of ``[reminders] sending_hours``."""
    opens, closes = sending_hours.split("-")
    return time.fromisoformat(opens), time.fromisoformat(closes)


def _no_control(value: str) -> str:
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("holds a line break or another control character; write it on one line")
    return value


class SmsSettings(Strict):
    """Text messages (DOMAIN.md "Replies and texts"): Twilio Programmable Messaging, or the outbox
    (each text a file beside the emails, for review)."""

    provider: Literal["twilio", "outbox"] = "twilio"
    account_sid: str = ""
    from_number: str = ""            # the practice's texting number, +1 and ten digits ...
    messaging_service_sid: str = ""  # ... or a Messaging Service that holds it
    auth_token_env: EnvName = "PRACTICE_OPS_TWILIO_AUTH_TOKEN"
    max_per_minute: int = Field(default=60, ge=1, le=6000)
    timeout_seconds: float = Field(default=30, gt=0, le=600)

    @field_validator("from_number")
    @classmethod
    def _a_number(cls, value: str) -> str:
        if value and not re.fullmatch(r"\+[1-9]\d{6,14}", value):
            raise ValueError("must be the number in international form, e.g. +15550100199")
        return value


class RepliesSettings(Strict):
    """Where clients' answers are read: the practice's mailbox through the email transport's own
    service (Graph, Gmail, Exchange), IMAP for an SMTP practice, or a folder of .eml files beside the
    outbox for a practice that reviews its mail there; texts come back through [sms]."""

    mailbox: str = ""                # whose inbox (Graph, Gmail, EWS); blank: the `from` address
    imap_host: str = ""              # only with the smtp transport
    imap_port: int = Field(default=993, ge=1, le=65535)
    imap_security: Literal["ssl", "starttls", "none"] = "ssl"
    imap_username: str = ""          # blank: the SMTP username
    imap_password_env: EnvName = "PRACTICE_OPS_IMAP_PASSWORD"
    imap_ca_bundle: str = ""
    inbox_dir: Path | None = None    # the outbox's counterpart: replies saved as .eml files here


class ReferralSettings(Strict):
    contact_business_days: int = Field(default=1, ge=1, le=30)
    """A referral's first contact is due this many business days after it arrives."""


class RecallSettings(Strict):
    days: int = Field(default=21, ge=7, le=365)
    """An active client with nothing booked this long after their last session is the VA's to call."""


class SecuritySettings(Strict):
    certificates: Path = Path("certs")
    gateway_subject_tag: Annotated[str, AfterValidator(_no_control)] = ""
    signing_cert: Path | None = None     # the practice's own S/MIME certificate, to sign before encrypting
    signing_key: Path | None = None      # its private key (PEM); a password comes from the environment
    signing_key_password_env: EnvName = "PRACTICE_OPS_SIGNING_KEY_PASSWORD"
    copy_to_practice: bool = False       # also encrypt each message to signing_cert, so Sent Items stay readable


class InviteSettings(Strict):
    detail: Literal["none", "initials"] = "none"   # "initials": the client's initials and id (limited PHI, encrypted)
    to_clients: bool = False             # also invite clients (limited PHI: only where their consent allows)


MAX_THRESHOLD = 3660
"""No threshold counts past ten years of days (or minutes, or sessions): 99999999999 once crashed every
run's date arithmetic, and a negative one was taken as given."""


def _threshold_model(name: str, doc: str, extra: dict | None = None) -> type[BaseModel]:
    """A config table whose keys are the rule thresholds, each optional (None keeps the default)."""
    spec: dict[str, Any] = {
        f.name: (f.metadata["type"] | None, Field(default=None, description=f.metadata["doc"], ge=0, le=MAX_THRESHOLD)
                 if f.metadata["type"] is int else Field(default=None, description=f.metadata["doc"]))
        for f in threshold_fields()}
    model = create_model(name, __base__=Strict, __doc__=doc, **spec, **(extra or {}))
    return model


if TYPE_CHECKING:  # the fields are the thresholds, made at import time
    class RuleSettings(Strict):
        def __getattr__(self, name: str) -> Any: ...

    class PayerRules(Strict):
        aliases: list[str]
        program: str

        def __getattr__(self, name: str) -> Any: ...
else:
    RuleSettings = _threshold_model("RuleSettings", "Practice-wide thresholds; unset keys keep DOMAIN.md's default.")
    PayerRules = _threshold_model("PayerRules", "One payer's overrides of any threshold, and other names it goes by.",
                                  {"aliases": (list[str], Field(default_factory=list)),
                                   "program": (Literal["medicare", "medicaid", ""], Field(default=""))})


class Config(Strict):
    practice: PracticeSection
    people: People = Field(default_factory=People)
    trackers: dict[str, TrackerSource] = Field(default_factory=dict)
    payers: dict[str, PayerRules] = Field(default_factory=dict)
    rules: RuleSettings = Field(default_factory=RuleSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    work_queue: WorkQueueSettings = Field(default_factory=WorkQueueSettings)
    state: StateSettings = Field(default_factory=StateSettings)
    reminders: ReminderSettings = Field(default_factory=ReminderSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    invites: InviteSettings = Field(default_factory=InviteSettings)
    sms: SmsSettings | None = None
    replies: RepliesSettings = Field(default_factory=RepliesSettings)
    referrals: ReferralSettings = Field(default_factory=ReferralSettings)
    recall: RecallSettings = Field(default_factory=RecallSettings)
    schedule: dict[str, str] = Field(default_factory=dict)

    path: Path = Path("practice.toml")  # set by ``load``; not a key of the file

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.practice.timezone)

    def thresholds(self) -> Thresholds:
        base = self.rules.model_dump(exclude_none=True)
        overrides = {}
        for name, rules in self.payers.items():
            override = rules.model_dump(exclude_none=True, exclude={"aliases", "program"})
            for known_as in (name, *rules.aliases):
                overrides[fold(known_as)] = override
        aliases = {fold(alias): fold(name) for name, rules in self.payers.items() for alias in (name, *rules.aliases)}
        programs = {fold(alias): rules.program for name, rules in self.payers.items() if rules.program
                    for alias in (name, *rules.aliases)}
        return Thresholds(**base, age_of_consent=self.practice.age_of_consent,
                          reminder_hours=max(self.reminders.hours_before), payer_overrides=overrides,
                          reminder_channels=tuple(c for c in self.reminders.channels if c != "sms" or self.sms),
                          referral_contact_business_days=self.referrals.contact_business_days,
                          recall_days=self.recall.days,
                          payer_aliases=aliases, payer_programs=programs)

JOBS = ("reconcile", "replies", "reminders", "digests", "weekly-summary")
"""The jobs, by the names `run` and `[schedule]` use: the one list of them (jobs.runner composes one
module per job under these names)."""


def load(path: Path | str = DEFAULT_CONFIG, also: Callable[[Config], list[str]] = lambda _: []) -> Config:
    """Read and validate the config as data; raise ``ConfigError`` listing every problem, with
    those ``also`` finds in a valid config (setup_check.load_config judges the files it names: the
    config sits below the trackers' reader and cannot)."""
    path = Path(path)
    label = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"{label}: no such config file (pass --config PATH)"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{label}: not valid TOML: {exc}"]) from None
    except OSError as exc:
        raise ConfigError([f"{label}: cannot be read ({exc.strerror or exc.__class__.__name__}); pass the path of "
                           f"the practice's .toml file"]) from None
    except UnicodeDecodeError:
        raise ConfigError([f"{label}: cannot be read (it is not text); pass the path of the practice's .toml file"]) \
            from None
    if "path" in data:
        raise ConfigError([f"{label}: path: unknown key"])
    try:
        config = Config.model_validate({**data, "path": path})
    except ValidationError as exc:
        raise ConfigError([f"{label}: {_describe(error)}" for error in exc.errors()]) from None
    config = _resolve_paths(config, path.resolve().parent)
    problems = [f"{label}: {problem}" for problem in (*_check_contents(config), *also(config))]
    if problems:
        raise ConfigError(problems)
    return config


RETIRED_KEYS = {"reminder_hours": "a reminder that cannot go is due when its reminder would go, which "
                                   "[reminders] hours_before says (its earliest); remove this line"}
"""Keys an older config may hold, with what replaced them."""


def _describe(error: Any) -> str:
    loc = tuple(error["loc"])
    key = ".".join(str(part) for part in loc)
    if error["type"] == "extra_forbidden" and str(loc[-1]) in RETIRED_KEYS:
        return f"{key}: is no longer a key: {RETIRED_KEYS[str(loc[-1])]}"
    if error["type"] == "extra_forbidden":
        known = _known_keys(loc[:-1])
        guess = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f" (did you mean {'.'.join(map(str, (*loc[:-1], guess[0])))}?)" if guess else ""
        return f"{key}: unknown key{hint}"
    if error["type"] == "missing":
        return f"{key}: is required but missing"
    value = error.get("input")
    secret = str(loc[-1]).endswith("_env") or "password" in key or "secret" in key
    shown = f" (got {value!r})" if not isinstance(value, (dict, list)) and not secret else ""
    return f"{key}: {error['msg'].removeprefix('Value error, ')}{shown}"


def _known_keys(loc: tuple) -> list[str]:
    """The keys allowed at ``loc``, walking the models (and dict values) from the top."""
    node: Any = Config
    for part in loc:
        if isinstance(node, type) and issubclass(node, BaseModel):
            field_info = node.model_fields.get(str(part)) or next(
                (f for f in node.model_fields.values() if f.alias == part), None)
            if field_info is None:
                return []
            node = field_info.annotation
        elif typing.get_origin(node) is dict:
            node = typing.get_args(node)[1]
        else:
            return []
    if isinstance(node, type) and issubclass(node, BaseModel):
        return [f.alias or name for name, f in node.model_fields.items() if name != "path"]
    return []


def _resolve_paths(config: Config, base: Path) -> Config:
    def resolve(p: Path | None) -> Path | None:
        return None if p is None else (p if p.is_absolute() else (base / p).resolve())

    trackers = {name: t.model_copy(update={"path": resolve(t.path)}) for name, t in config.trackers.items()}
    return config.model_copy(update={
        "trackers": trackers,
        "email": config.email.model_copy(update={"outbox_dir": resolve(config.email.outbox_dir)}),
        "work_queue": config.work_queue.model_copy(update={"path": resolve(config.work_queue.path)}),
        "state": config.state.model_copy(update={"dir": resolve(config.state.dir),
                                                 "audit_head": resolve(config.state.audit_head)}),
        "replies": config.replies.model_copy(update={"inbox_dir": resolve(config.replies.inbox_dir)}),
        "security": config.security.model_copy(update={
            "certificates": resolve(config.security.certificates), "signing_cert": resolve(config.security.signing_cert),
            "signing_key": resolve(config.security.signing_key)}),
    })


def _check_contents(config: Config) -> list[str]:
    problems: list[str] = []
    for name, tracker in config.trackers.items():
        if name not in TRACKERS:
            guess = difflib.get_close_matches(name, list(TRACKERS), n=1)
            hint = f" (did you mean trackers.{guess[0]}?)" if guess else f" (known: {', '.join(TRACKERS)})"
            problems.append(f"trackers.{name}: unknown tracker{hint}")
            continue
        canonical = [spec.name for spec in columns_of(name)]
        for column in tracker.columns:
            if column not in canonical:
                guess = difflib.get_close_matches(column, canonical, n=1)
                hint = f" (did you mean {guess[0]}?)" if guess else ""
                problems.append(f"trackers.{name}.columns.{column}: not a column of the {name} tracker{hint}")
        if tracker.source == "excel" and tracker.path is None:
            problems.append(f"trackers.{name}.path: is required for an excel tracker")
        elif tracker.source == "gsheets" and not tracker.spreadsheet_id:
            problems.append(f"trackers.{name}.spreadsheet_id: is required for a gsheets tracker")
    problems.extend(_transport_problems(config.email))
    if config.email.transport != "outbox" and "from_" not in config.email.model_fields_set:
        problems.append("email.from: is not set, so messages would come from practice-ops@localhost; set the "
                        "practice's address, e.g. from = \"Riverbend Counseling <office@riverbend.example>\"")
    if config.email.transport != "outbox" and not config.practice.phone.strip():
        problems.append("practice.phone: is empty, so reminders and notices would ask clients to call with no number "
                        "to call; set the number clients should use (in the outbox, for review, it is only a note)")
    if config.email.transport == "exchange":
        online = config.email.exchange.exchange_online
        if online:
            problems.append(f"email.exchange: {online} is Exchange Online, whose EWS Microsoft is switching off "
                            f"(2026-10-01 to 2027-04-01): use transport = \"graph\" for Microsoft 365")
    problems.extend(_channel_problems(config))
    if config.work_queue.source == "gsheets" and not config.work_queue.spreadsheet_id:
        problems.append("work_queue.spreadsheet_id: is required for a work queue in Google Sheets")
    for job, spec in config.schedule.items():
        if job not in JOBS:
            guess = difflib.get_close_matches(job, JOBS, n=1)
            hint = f" (did you mean schedule.{guess[0]}?)" if guess else ""
            problems.append(f"schedule.{job}: not a job{hint}")
            continue
        try:
            validate_schedule(job, spec, config.practice.timezone)
        except ConfigError as exc:
            problems.extend(exc.problems)
    return problems


def _channel_problems(config: Config) -> list[str]:
    """Texts need [sms]; IMAP is for SMTP practices, the replies folder for the outbox."""
    problems = []
    if "sms" in config.reminders.channels and config.sms is None:
        problems.append('reminders.channels: "sms" needs an [sms] table (provider, account_sid, from_number)')
    if config.replies.imap_host and config.email.transport != "smtp":
        problems.append(f"replies.imap_host: is for a practice sending through SMTP; with transport = "
                        f"\"{config.email.transport}\" replies are read through that service (set replies.mailbox)")
    if config.replies.inbox_dir is not None and config.email.transport != "outbox":
        problems.append("replies.inbox_dir: is the outbox's counterpart, for review; a live transport reads the "
                        "practice's mailbox (replies.mailbox, or replies.imap_host with SMTP)")
    return problems


def _transport_problems(email: EmailSettings) -> list[str]:
    """Settings without which the chosen transport would fail every message of every run (a local
    stand-in, named by its *_EMULATOR_HOST, needs no account)."""
    import os

    transport = email.transport
    if os.environ.get({"graph": "GRAPH_EMULATOR_HOST", "exchange": "EWS_EMULATOR_HOST"}.get(transport, "-")):
        return []
    if transport == "smtp" and "smtp" not in email.model_fields_set:
        return ['email.smtp: transport = "smtp" needs an [email.smtp] table naming the mail server (host, port, '
                'security, username)']
    if transport == "graph" and not (email.graph.tenant_id and email.graph.client_id):
        return ['email.graph: transport = "graph" needs tenant_id and client_id (the app registration with Mail.Send)']
    if transport == "exchange" and not ((email.exchange.server or email.exchange.service_endpoint)
                                        and email.exchange.username):
        return ['email.exchange: transport = "exchange" needs server (or service_endpoint) and username']
    return []


def secret_gaps(email: EmailSettings) -> list[str]:
    """The transport's secret missing from this environment: every message would wait for it."""
    import os

    wanted = {"smtp": email.smtp.password_env if email.smtp.username else "",
              "graph": email.graph.client_secret_env, "exchange": email.exchange.password_env,
              "gmail": email.gmail.credentials_env}.get(email.transport, "")
    if wanted and not os.environ.get(wanted):
        return [f"{wanted} is not set here: the {email.transport} transport needs it, so every message would wait "
                f"for it (set it where the scheduled runs start)"]
    return []

"""The agency file (``agency.toml``): who the agency is, where its runs are kept, and which practices
it runs, each by its own config. A practice's config stays the practice's: the agency only tells it
where its ledger lives when the agency spans machines (``[agency] database_url``)."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, ValidationError, field_validator

from ..config import Config, EmailSettings, Strict, known_zone
from ..errors import ConfigError
from ..timetable import validate


class AgencySection(Strict):
    name: str
    lead: str = ""
    database_url: str = ""
    """"" = DBOS's state in SQLite beside the agency file (one machine); postgresql://... = several machines."""
    timezone: str = ""
    """The lead's time zone (the overview's morning); "" = the first practice's."""
    overview: str = "daily 07:00"
    workers: int = Field(default=0, ge=0, le=256)
    """Practices run at once on this machine; 0 = twice its cores (runs mostly wait on mail services)."""
    job_minutes: int = Field(default=30, ge=1, le=24 * 60)
    """A practice's run stopped after this long, so one stuck practice never holds a worker for ever."""
    takeover_seconds: int = Field(default=60, ge=5, le=3600)
    """A machine not heard from this long is taken as dead; another finishes its runs."""

    @field_validator("database_url")
    @classmethod
    def _a_database(cls, value: str) -> str:
        if value and not re.match(r"postgres(ql)?://", value):
            raise ValueError("is not a postgresql://... address (leave it \"\" for one machine)")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value) if value else value


class PracticeEntry(Strict):
    config: Path
    id: str = ""
    """What names the practice's runs, schedules and ledger schema; "" = from its [practice] name. Set
    it before renaming a practice, so its history stays its own."""


class AgencyFile(Strict):
    agency: AgencySection
    practices: list[PracticeEntry] = Field(default_factory=list)
    email: EmailSettings = Field(default_factory=EmailSettings)
    """How the lead's morning note goes: the same keys as a practice's [email]."""


@dataclass(frozen=True)
class AgencyPractice:
    id: str
    config_path: Path


@dataclass(frozen=True)
class Agency:
    path: Path
    settings: AgencySection
    email: EmailSettings
    practices: tuple[AgencyPractice, ...]

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def state_dir(self) -> Path:
        """The agency's own state: DBOS's SQLite file, the lead's note's ledger, the overview."""
        return self.folder / "agency-state"

    @property
    def workers(self) -> int:
        return self.settings.workers or 2 * (os.cpu_count() or 1)

    def practice(self, practice_id: str) -> AgencyPractice:
        for practice in self.practices:
            if practice.id == practice_id:
                return practice
        raise ConfigError([f"{self.path}: no practice {practice_id!r}; practices: "
                           + ", ".join(p.id for p in self.practices)])

    def practice_config(self, practice_id: str) -> Config:
        """The practice's own config, checked as `check` checks it, and told where its ledger lives."""
        from ..ledger_postgres import schema_for
        from ..setup_check import load_config

        config = load_config(self.practice(practice_id).config_path)
        if not self.settings.database_url:
            return config
        return config.model_copy(update={"state": config.state.model_copy(update={
            "database_url": self.settings.database_url, "ledger_schema": schema_for(practice_id)})})

    def timezone(self) -> str:
        if self.settings.timezone:
            return self.settings.timezone
        for practice in self.practices:
            zone = _peek(practice.config_path).get("practice", {}).get("timezone")
            if isinstance(zone, str):
                return zone
        return "America/New_York"


def practice_id(text: str) -> str:
    """A practice's name as an id: lower case, words joined by hyphens (``Riverbend Counseling`` ->
    ``riverbend-counseling``)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "practice"


def _peek(path: Path) -> dict:
    """The practice's TOML as data, unvalidated: its name and zone are wanted even when the rest of
    its config has a problem (`check` reports that problem as the practice's)."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}


def load_agency(path: Path | str) -> Agency:
    """Read and validate the agency file; one ``ConfigError`` lists every problem. The practices'
    own configs are read when each practice runs (one broken config stops only its practice)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such agency file (pass --agency PATH)"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot be read ({exc.strerror})"]) from None
    try:
        parsed = AgencyFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([f"{path}: {'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
                           for error in exc.errors()]) from None
    problems: list[str] = []
    try:
        validate("overview", parsed.agency.overview, parsed.agency.timezone or "UTC")
    except ConfigError as exc:
        problems.extend(f"{path}: agency.{p}" for p in exc.problems)
    practices: list[AgencyPractice] = []
    seen: dict[str, Path] = {}
    for n, entry in enumerate(parsed.practices, start=1):
        config_path = (path.parent / entry.config).resolve()
        name = _peek(config_path).get("practice", {}).get("name")
        pid = practice_id(entry.id or (name if isinstance(name, str) else config_path.parent.name))
        if pid in seen:
            problems.append(f"{path}: practices[{n}]: {config_path} has the id {pid!r} that {seen[pid]} has; give "
                            f"one of them its own id = \"...\"")
            continue
        seen[pid] = config_path
        practices.append(AgencyPractice(pid, config_path))
    if not practices:
        problems.append(f"{path}: no [[practices]]; add one per practice: config = \"../riverbend/practice.toml\"")
    if problems:
        raise ConfigError(problems)
    email = parsed.email.model_copy(update={"outbox_dir": path.parent / parsed.email.outbox_dir})
    return Agency(path.resolve(), parsed.agency, email, tuple(practices))

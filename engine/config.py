"""Installation settings from ``config.toml`` (validated with pydantic).

Paths in the file are relative to the file's directory. Environment overrides:
``BEVAKA_CONFIG`` (which file), ``BEVAKA_DB`` (database path) and ``BEVAKA_SMTP_PASSWORD``
(never put the password in the file).
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from engine.rules.library import shipped_packs_dir
from engine.rules.valuetypes import suggest
from facts.errors import UserError
from facts.orgs import DEFAULT_ORG, check_org
from facts.pydantic_sv import message_sv


class ConfigError(UserError):
    """config.toml is missing or wrong; the message names the file and key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatabaseConfig(_Section):
    path: str = "bevaka.db"


class RulesConfig(_Section):
    shipped: bool = True  # use the rule library that ships with bevaka
    local: list[str] = []  # folders with the installation's own packs
    disable: list[str] = []  # pack names to leave out (shipped or local)
    dir: str | None = None  # (before 0.2) a folder of packs used instead of the shipped library
    resolved_window_days: int = Field(92, ge=0)
    warn_days: int = Field(14, ge=0)


class SmtpConfig(_Section):
    host: str = "127.0.0.1"
    port: int = 25
    ssl: bool = False
    starttls: bool = False
    sender: str = "bevaka@kommun.example"
    login: str = ""
    timeout: float = 30.0

    @field_validator("sender")
    @classmethod
    def _sender(cls, v: str) -> str:
        if "@" not in v:
            raise ValueError("sender ska vara en hel e-postadress (med @)")
        return v

    @property
    def password(self) -> str | None:
        return os.environ.get("BEVAKA_SMTP_PASSWORD") or None


class NotifyConfig(_Section):
    dry_run_dir: str = "outbox"
    max_attempts: int = Field(10, ge=1)
    retry_minutes: int = Field(15, ge=1)  # the first retry; each later one waits twice as long
    max_retry_minutes: int = Field(24 * 60, ge=1)  # … but never longer than this
    send_budget_seconds: int = Field(300, ge=1)  # one run's sending stops after this long
    # a message whose sending was cut off by a crash may have been delivered: "skip" marks it
    # failed (not sent again unless `bevaka notify --retry-failed`), "resend" sends it again
    after_crash: Literal["skip", "resend"] = "skip"
    max_items: int = Field(100, ge=1)  # reminders written out in one digest; the rest counted
    list_url: str = ""  # where a capped digest sends the reader for the rest (e.g. the web view)


class ScheduleConfig(_Section):
    time: str = "06:30"
    timezone: str = "Europe/Stockholm"
    outbox_every_minutes: int = Field(15, ge=1)

    @field_validator("time")
    @classmethod
    def _time(cls, v: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", v):
            raise ValueError("time ska skrivas HH:MM, t.ex. 06:30")
        return v


class IvoConfig(_Section):
    """``[ivo]``: the municipality's own settings for the särskild-avgift estimate (never IVO's
    decision): the time it holds reasonable before the estimate counts months, the monthly cost
    of each insats, and how many days before the two-year limit the report warns."""

    reasonable_months: int = Field(3, ge=0)
    alert_days: int = Field(90, ge=0)
    monthly_cost: dict[str, float] = {}

    @field_validator("monthly_cost")
    @classmethod
    def _costs(cls, v: dict[str, float]) -> dict[str, float]:
        for insats, kr in v.items():
            if kr < 0:
                raise ValueError(f"månadskostnaden för {insats!r} kan inte vara negativ")
        return v


class AuditConfig(_Section):
    """``[audit]``: where the chain head is anchored outside the database after every run."""

    anchor_path: str = ""  # empty: the database's path + ".anchor"
    anchor_email: str = ""  # the auditors' address: each new head is mailed there
    anchor_syslog: bool = False  # each new head is also sent to syslog
    anchor_syslog_address: str = "/dev/log"  # a socket path, or host:port (UDP)

    @field_validator("anchor_email")
    @classmethod
    def _email(cls, v: str) -> str:
        if v and "@" not in v:
            raise ValueError("anchor_email ska vara en hel e-postadress (med @)")
        return v


class OrgSection(_Section):
    """``[org]``: the organisation of commands run without ``--org``."""

    default: str = DEFAULT_ORG

    @field_validator("default")
    @classmethod
    def _org(cls, v: str) -> str:
        return check_org(v)


class OrgConfig(_Section):
    """``[orgs."kommun/nämnd"]``: one organisation's name, and the role addresses and rule
    parameters where it differs from the installation-wide ``[roles]`` and ``[params]``."""

    name: str = ""
    roles: dict[str, str] = {}
    params: dict[str, Any] = {}
    rule_params: dict[str, dict[str, Any]] = {}


class Config(_Section):
    database: DatabaseConfig = DatabaseConfig()
    org: OrgSection = OrgSection()
    orgs: dict[str, OrgConfig] = {}
    rules: RulesConfig = RulesConfig()
    params: dict[str, Any] = {}
    rule_params: dict[str, dict[str, Any]] = {}
    rule_tables: dict[str, dict[str, dict[str, Any]]] = {}
    roles: dict[str, str] = {}
    smtp: SmtpConfig = SmtpConfig()
    notify: NotifyConfig = NotifyConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    ivo: IvoConfig = IvoConfig()
    audit: AuditConfig = AuditConfig()

    base_dir: Path = Path(".")

    @field_validator("orgs")
    @classmethod
    def _orgs(cls, v: dict[str, OrgConfig]) -> dict[str, OrgConfig]:
        for key in v:
            check_org(key)
        return v

    def resolve(self, path: str) -> Path:
        p = Path(path)
        return p if p.is_absolute() else self.base_dir / p

    @property
    def db_path(self) -> Path:
        env = os.environ.get("BEVAKA_DB")
        return Path(env) if env else self.resolve(self.database.path)

    def anchor_path(self, db_path: Path) -> Path:
        """The anchor file of the database at ``db_path``: ``[audit] anchor_path``, or
        the database's path with ``.anchor`` added."""
        if self.audit.anchor_path:
            return self.resolve(self.audit.anchor_path)
        return db_path.with_name(db_path.name + ".anchor")

    @property
    def rules_dir(self) -> Path:
        """The first folder of packs: ``[rules] dir`` if set, else the shipped library."""
        return self.rule_sources[0] if self.rule_sources else shipped_packs_dir()

    @property
    def rule_sources(self) -> list[Path]:
        """The folders of packs to load, in order: the shipped library (unless ``shipped =
        false``, or ``dir`` replaces it), then each of ``local``."""
        first = [self.resolve(self.rules.dir)] if self.rules.dir else (
            [shipped_packs_dir()] if self.rules.shipped else [])
        return [*first, *(self.resolve(d) for d in self.rules.local)]

    @property
    def default_org(self) -> str:
        return self.org.default

    def org_config(self, org: str | None) -> OrgConfig:
        return self.orgs.get(org or "", OrgConfig())

    def org_name(self, org: str) -> str:
        """The organisation's name for people (``[orgs."…"] name``), or its key."""
        return self.org_config(org).name or org

    def params_for(self, rule_id: str, org: str | None = None) -> dict[str, Any]:
        """Overrides for one rule, most specific last: [params], [rule_params."id"], then the
        organisation's params and rule_params."""
        oc = self.org_config(org)
        merged = dict(self.params)
        merged.update(self.rule_params.get(rule_id, {}))
        merged.update(oc.params)
        merged.update(oc.rule_params.get(rule_id, {}))
        return merged

    def tables_for(self, rule_id: str) -> dict[str, Any]:
        """Decision-table overrides for one rule: [rule_tables."id".<table name>]."""
        return self.rule_tables.get(rule_id, {})

    def roles_for(self, org: str | None = None) -> dict[str, str]:
        """Role key → address for an organisation: [roles], overridden by its own roles."""
        return {**self.roles, **self.org_config(org).roles}

    def address(self, recipient: str, org: str | None = None) -> str | None:
        """An e-mail address for a recipient: itself if it has @, else the role's address in
        the organisation (falling back to the installation-wide [roles])."""
        if "@" in recipient:
            return recipient
        return self.roles_for(org).get(recipient)


def load_config(path: str | Path | None = None) -> Config:
    """Load ``path`` (or ``BEVAKA_CONFIG``, or ``./config.toml``; defaults if none exists).

    Every problem is one :class:`ConfigError` line naming the file and the line or key: a
    file that is missing (when it was named), unreadable or not UTF-8, TOML that does not
    parse, an unknown key, a value of the wrong type."""
    chosen = path or os.environ.get("BEVAKA_CONFIG")
    file = Path(chosen) if chosen else Path("config.toml")
    if not file.exists():
        if chosen:
            raise ConfigError(f"{file}: konfigurationsfilen finns inte (angiven med --config "
                              "eller BEVAKA_CONFIG); "
                              "rätta sökvägen eller kopiera config.toml från bevaka")
        return Config(base_dir=Path.cwd())
    text = _read(file)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_toml_problem(file, text, str(exc))) from None
    try:
        return Config(**data, base_dir=file.resolve().parent)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(str(p) for p in err["loc"])
        key = ".".join(p if re.fullmatch(r"[A-Za-z0-9_-]+", p) else f'"{p}"' for p in loc)
        line = _key_line(text, loc)
        where = f"{file}:{line}" if line else str(file)
        if err["type"] == "extra_forbidden":
            hint = _suggest(loc) or "; se den kommenterade mallen som bevaka init skriver"
            raise ConfigError(f"{where}: [{key}] okänd inställning{hint}") from None
        raise ConfigError(f"{where}: [{key}] {message_sv(err)}") from None


def _read(file: Path) -> str:
    try:
        raw = file.read_bytes()
    except IsADirectoryError:
        raise ConfigError(f"{file}: är en mapp, inte en konfigurationsfil") from None
    except OSError as exc:
        raise ConfigError(f"{file}: konfigurationsfilen kan inte läsas ({exc.strerror or exc})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{file}:{line}: filen är inte UTF-8; spara den som UTF-8") from None


_TOML_SV = [
    ("Invalid value", "ett värde saknas eller är ogiltigt (text ska stå inom \"…\")"),
    ("Cannot overwrite a value", "samma nyckel står två gånger"),
    ("Cannot declare", "samma tabell [ … ] står två gånger"),
    ("Expected ']' at the end of a table declaration", "en tabellrubrik [ … ] är inte stängd"),
    ("Unterminated string", "en text saknar sitt avslutande citattecken"),
    ("Expected '=' after a key", "likhetstecken saknas efter nyckeln (nyckel = värde)"),
    ("Expected newline or end of document after a statement", "något står efter värdet på "
     "samma rad (datum skrivs ÅÅÅÅ-MM-DD, text inom \"…\")"),
    ("Invalid statement", "raden är varken nyckel = värde eller en tabellrubrik [ … ]"),
    ("Unescaped '\\'", "ett ensamt \\ i en text (skriv \\\\ eller använd '…')"),
    ("Illegal character", "ett tecken som inte får stå i en TOML-fil"),
]


def _toml_problem(file: Path, text: str, message: str) -> str:
    m = re.search(r"\(at line (\d+), column (\d+)\)", message)
    where = f"{file}:{m[1]}:{m[2]}" if m else f"{file}:{text.count(chr(10)) + 1}"
    bare = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
    for english, swedish in _TOML_SV:
        if bare.startswith(english):
            return f"{where}: ogiltig TOML: {swedish}"
    return f"{where}: ogiltig TOML ({bare})"


def _key_line(text: str, loc: tuple[str, ...]) -> int | None:
    """The line of key ``loc`` (``("smtp", "port")``) in the TOML text, or of its table."""
    table: tuple[str, ...] = ()
    best: int | None = None
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("["):
            table = tuple(_parts(line.strip("[] ")))
            if table == loc[: len(table)] and best is None:
                best = n
            continue
        if "=" in line and not line.startswith("#"):
            key = (*table, *_parts(line.split("=", 1)[0]))
            if key == loc[: len(key)] and len(key) > len(table):
                return n
    return best


def _parts(key: str) -> list[str]:
    return [p.strip().strip('"').strip("'") for p in re.findall(r'"[^"]*"|\'[^\']*\'|[^.]+', key.strip())]


def _suggest(loc: tuple[str, ...]) -> str:
    model: Any = Config
    for part in loc[:-1]:
        field = getattr(model, "model_fields", {}).get(part)
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return ""
        model = annotation
    names = [n for n in getattr(model, "model_fields", {}) if n != "base_dir"]
    return suggest(loc[-1], names) if names else ""

"""The schema of rule files (pydantic). See docs/rules.md for the language reference."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SEVERITIES = ("info", "low", "medium", "high", "critical")
NAME = r"^[A-Za-z_ÅÄÖåäö][A-Za-z0-9_ÅÄÖåäö]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LegalBasis(_Strict):
    """One citation: ``text``, or ``field``, a text field of the fact whose value is cited
    (split at ``;``; nothing when empty), so an obligation can carry its own basis.
    ``valid_from``/``valid_to`` make it effective-dated; ``when`` limits it to facts for which
    the expression holds (e.g. ``law == 'LSS'``)."""

    text: str | None = None
    field: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    when: str | None = None

    @model_validator(mode="after")
    def _one(self) -> LegalBasis:
        if (self.text is None) == (self.field is None):
            raise ValueError("ange antingen text (citatet) eller field (fältet som citeras)")
        return self

    def cited(self, env: dict[str, Any]) -> list[str]:
        """The citations for one fact's values."""
        if self.text is not None:
            return [self.text]
        value = env.get(self.field or "")
        return [p.strip() for p in str(value).split(";") if p.strip()] if value else []


class Param(_Strict):
    default: Any
    choices: list[Any] | None = None
    doc: str = ""


def _check_severity(v: str | None) -> str | None:
    if v is not None and v not in SEVERITIES:
        raise ValueError(f"severity ska vara en av {', '.join(SEVERITIES)}")
    return v


class Escalation(_Strict):
    """When an overdue deadline is escalated, to whom: ``after_days`` days after the due date,
    or ``at`` a date the rule computes (``at: meeting_on``: on the meeting day). Exactly one."""

    after_days: int | None = Field(default=None, ge=0)
    at: str | None = None  # ("on" would be read as true by YAML)
    to: list[str]
    severity: str | None = None

    _sev = field_validator("severity")(classmethod(lambda cls, v: _check_severity(v)))

    @model_validator(mode="after")
    def _one(self) -> Escalation:
        if (self.after_days is None) == (self.at is None):
            raise ValueError("escalate: ange antingen after_days (dagar efter fristen) eller on "
                             "(ett datum, t.ex. at: meeting_on)")
        return self


KINDS = ("deadline", "check", "measure")

#: The finding keys each kind takes (besides subject, severity, recipients, why).
KIND_KEYS: dict[str, tuple[str, ...]] = {
    "deadline": ("start", "due", "done", "escalate"),
    "check": ("start", "end", "holds"),
    "measure": ("start", "end", "value", "target", "target_is", "band", "unit"),
}
REQUIRED: dict[str, tuple[str, ...]] = {"deadline": ("due",), "check": ("holds",),
                                        "measure": ("value",)}


class FindingSpec(_Strict):
    """What a matched fact gives. A ``deadline`` has a due date (``start``/``due``/``done``);
    a ``check`` a condition that holds or fails (``holds``); a ``measure`` a value against a
    target or a band (``value``, ``target``, ``target_is``, ``band``, ``unit``). A check or a
    measure is listed from ``start`` to ``end`` (each optional)."""

    subject: str = "id"
    start: str | None = None
    due: str | None = None
    done: str | None = None
    end: str | None = None
    holds: str | None = None
    value: str | None = None
    target: str | None = None
    target_is: Literal["min", "max"] | None = None
    band: str | None = None
    unit: str | None = None
    severity: str | None = None
    recipients: list[str] = []
    escalate: Escalation | None = None
    why: str

    _sev = field_validator("severity")(classmethod(lambda cls, v: _check_severity(v)))


class ExpectedFinding(_Strict):
    subject: str
    occurrence: date | None = None
    kind: str | None = None
    status: str | None = None
    value: float | None = None
    target: float | None = None
    band: str | None = None
    due_on: date | None = None
    done_on: date | None = None
    late_days: int | None = Field(default=None)
    severity: str | None = None
    escalated: bool | None = None
    why_contains: str | None = None
    recipients: list[str] | None = None

    def checks(self) -> dict[str, Any]:
        """Only the fields the example author wrote (``late_days: null`` included)."""
        return {k: getattr(self, k) for k in self.model_fields_set
                if k not in ("subject", "occurrence")}


class DecisionTableSpec(_Strict):
    """A decision table (see engine/rules/tables.py): rows of unary tests over ``inputs``
    giving values for ``outputs``."""

    name: str = Field(pattern=NAME)
    hit: Literal["first", "unique"]
    inputs: list[str]
    outputs: list[str] = Field(min_length=1)
    rows: list[dict[str, Any]]

    @field_validator("outputs")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        bad = [o for o in v if not re.fullmatch(NAME, o)]
        if bad:
            raise ValueError(f"utdata ska vara namn (bokstäver, siffror, _), inte {bad[0]!r}")
        return v


class TableOverride(_Strict):
    """A table that replaces the rule's table of the same name (in an example, or from the
    installation); ``hit``, ``inputs`` and ``outputs`` default to the rule's."""

    name: str
    hit: Literal["first", "unique"] | None = None
    inputs: list[str] | None = None
    outputs: list[str] | None = None
    rows: list[dict[str, Any]]


class Example(_Strict):
    name: str
    as_of: date
    facts: dict[str, list[dict[str, Any]]]
    params: dict[str, Any] = {}
    tables: list[TableOverride] = []
    expect: list[ExpectedFinding]


class Rule(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    version: int = Field(ge=1, le=1_000_000)  # stored as an SQLite integer, named in keys
    title: str
    description: str = ""
    applies_to: str
    owner: str = ""
    severity: str = "medium"
    tags: list[str] = []
    valid_from: date | None = None
    valid_to: date | None = None
    legal_basis: list[LegalBasis]
    kind: Literal["deadline", "check", "measure"] = "deadline"
    params: dict[str, Param] = {}
    each: str | None = None
    derive: dict[str, str] = {}
    tables: list[DecisionTableSpec] = []
    when: str = "true"
    finding: FindingSpec
    report: dict[str, str] = {}
    examples: list[Example] = []

    @field_validator("severity")
    @classmethod
    def _sev(cls, v: str) -> str:
        if v not in SEVERITIES:
            raise ValueError(f"severity ska vara en av {', '.join(SEVERITIES)}")
        return v

    @field_validator("legal_basis")
    @classmethod
    def _basis(cls, v: list[LegalBasis]) -> list[LegalBasis]:
        if not v:
            raise ValueError("minst en rättslig grund (legal_basis) krävs")
        return v

    def valid_on(self, d: date) -> bool:
        return (self.valid_from is None or self.valid_from <= d) and (
            self.valid_to is None or d <= self.valid_to
        )


class Pack(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str
    description: str = ""
    roles: dict[str, str] = {}

    @field_validator("roles")
    @classmethod
    def _role_keys(cls, v: dict[str, str]) -> dict[str, str]:
        bad = [k for k in v if not re.fullmatch(r"[a-z][a-z0-9_]*", k)]
        if bad:
            raise ValueError(f"en rollnyckel skrivs med små bokstäver, siffror och _, inte {bad[0]!r}")
        return v

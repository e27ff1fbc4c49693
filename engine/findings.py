"""Findings: what an evaluation says about one fact under one rule as of a date.

A finding is of one of three kinds, each with its own statuses:

* ``deadline`` (a due date): ``upcoming``, ``due``, ``overdue``, ``resolved``;
* ``check`` (a condition that should hold): ``passed`` or ``failed``;
* ``measure`` (a value against a target or a band): ``met`` or ``not_met`` against a target,
  ``measured`` without one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, computed_field

from facts.orgs import DEFAULT_ORG


class Kind(StrEnum):
    deadline = "deadline"
    check = "check"
    measure = "measure"


class Status(StrEnum):
    upcoming = "upcoming"  # deadline: not met, due date after as_of
    due = "due"  # deadline: not met, due date is as_of
    overdue = "overdue"  # deadline: not met, due date before as_of
    resolved = "resolved"  # deadline: met on or before as_of (late_days says how late)
    passed = "passed"  # check: the condition holds
    failed = "failed"  # check: it does not (or cannot be known)
    met = "met"  # measure: the value meets its target
    not_met = "not_met"  # measure: it does not
    measured = "measured"  # measure without a target: a value (and band) only


STATUS_SV = {
    Status.upcoming: "kommande",
    Status.due: "förfaller i dag",
    Status.overdue: "försenad",
    Status.resolved: "åtgärdad",
    Status.passed: "uppfylld",
    Status.failed: "avviker",
    Status.met: "målet nått",
    Status.not_met: "målet ej nått",
    Status.measured: "uppmätt",
}

def status_sv(code: object) -> str:
    """A status code as the user reads it (an unknown code as it is)."""
    return STATUS_SV[Status(code)] if isinstance(code, str) and code in Status.__members__ \
        else str(code)


KIND_SV = {Kind.deadline: "frist", Kind.check: "kontroll", Kind.measure: "mått"}

#: Statuses that ask someone to act (reminders, the committee pack's "att åtgärda").
OPEN = frozenset({Status.upcoming, Status.due, Status.overdue, Status.failed, Status.not_met})

#: The order findings are listed in: what needs action first.
ORDER = {s: i for i, s in enumerate((Status.overdue, Status.due, Status.failed, Status.not_met,
                                     Status.upcoming, Status.measured, Status.met, Status.passed,
                                     Status.resolved))}

SEVERITIES = ("info", "low", "medium", "high", "critical")
#: The severities as a reader sees them (the web view, reports).
SEVERITY_SV = {"info": "information", "low": "låg", "medium": "medel", "high": "hög",
               "critical": "kritisk"}


class Finding(BaseModel):
    """One finding's state as of ``as_of``.

    Deadlines: ``due_on``; ``late_days`` is null while the deadline is not met, 0 when met on
    time, > 0 when met late; ``days_overdue`` is the days past the due date of an unmet
    deadline (else 0). Checks and measures have no due date; a measure has ``value`` and,
    where the rule sets them, ``target`` (``target_is`` ``min`` or ``max``), ``band`` and
    ``unit``. Both are listed from ``start_on`` to ``end_on``.

    ``why`` is written from the rule's template the first time it is read (a finding that is
    only counted, or compared with yesterday's, never renders one); ``Finding(why=…)`` gives it
    directly.
    """

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    id: str
    org: str = DEFAULT_ORG
    rule_id: str
    rule_version: int
    rule_title: str
    fact_type: str
    subject: str
    kind: Kind = Kind.deadline
    status: Status
    as_of: date
    start_on: date | None
    occurrence: date | None = None  # for rules with ``each``: the date this finding repeats for
    due_on: date | None
    done_on: date | None
    late_days: int | None
    days_overdue: int
    end_on: date | None = None
    value: float | None = None
    target: float | None = None
    target_is: str | None = None
    band: str | None = None
    unit: str | None = None
    severity: str
    recipients: list[str]
    escalated: bool = False
    legal_basis: list[str]
    why_text: str | None = Field(default=None, alias="why", exclude=True, repr=False)
    tags: list[str] = []
    report: dict[str, str] = {}
    context: dict[str, Any] = {}
    _render_why: Callable[[], str] | None = PrivateAttr(default=None)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def why(self) -> str:
        """The plain-Swedish why text (rendered on first use)."""
        if self.why_text is None:
            text = self._render_why() if self._render_why is not None else ""
            object.__setattr__(self, "why_text", text)  # a cache, not a change of state
            return text
        return self.why_text

    def model_copy(self, *, update: Mapping[str, Any] | None = None,
                   deep: bool = False) -> Finding:
        """As pydantic's, with ``update={"why": …}`` replacing the why text."""
        if update and "why" in update:
            update = {("why_text" if k == "why" else k): v for k, v in update.items()}
        return super().model_copy(update=update, deep=deep)

    @property
    def is_open(self) -> bool:
        """True if someone should act on it (see :data:`OPEN`)."""
        return self.status in OPEN

    def sort_key(self) -> tuple[Any, ...]:
        return (ORDER[self.status], self.due_on or self.start_on or date.min, self.rule_id,
                self.subject)

    def public_dict(self) -> dict[str, Any]:
        """The JSON shape of ``check --json`` (dates as ISO strings; no fact context)."""
        return self.model_dump(mode="json", exclude={"context"})


class Evaluation(BaseModel):
    """One evaluation run: what was evaluated, with which rules, on which facts, and the result.

    ``orgs`` are the organisations evaluated; ``rules_revision`` is a hash of the rule files
    and effective parameters; ``facts_hash`` a hash of the content of every fact of those
    organisations (see ``facts.snapshot_hash``).
    """

    run_id: str
    as_of: date
    orgs: list[str] = []
    evaluated_at: str  # UTC ISO timestamp
    rules_revision: str
    facts_hash: str
    findings: list[Finding]
    failed_rules: list[dict[str, str]] = []  # FailedRule.to_dict(): org, rule_id, reason …

    @property
    def ok(self) -> bool:
        """True if every rule was brought up to date (no rule failed in this run)."""
        return not self.failed_rules

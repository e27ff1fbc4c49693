"""Findings: what an evaluation says about one watched deadline as of a date."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from facts.orgs import DEFAULT_ORG


class Status(StrEnum):
    upcoming = "upcoming"  # not met, due date after as_of
    due = "due"  # not met, due date is as_of
    overdue = "overdue"  # not met, due date before as_of
    resolved = "resolved"  # met on or before as_of (late_days says how late)


STATUS_SV = {
    Status.upcoming: "kommande",
    Status.due: "förfaller i dag",
    Status.overdue: "försenad",
    Status.resolved: "åtgärdad",
}

SEVERITIES = ("info", "low", "medium", "high", "critical")


class Finding(BaseModel):
    """One watched deadline's state as of ``as_of``.

    ``late_days``: null while the deadline is not met; 0 when met on time; > 0 when met late.
    ``days_overdue``: for an unmet deadline, days past the due date as of ``as_of`` (else 0).
    """

    model_config = ConfigDict(frozen=True)

    id: str
    org: str = DEFAULT_ORG
    rule_id: str
    rule_version: int
    rule_title: str
    fact_type: str
    subject: str
    status: Status
    as_of: date
    start_on: date | None
    occurrence: date | None = None  # for rules with ``each``: the date this finding repeats for
    due_on: date
    done_on: date | None
    late_days: int | None
    days_overdue: int
    severity: str
    recipients: list[str]
    escalated: bool = False
    legal_basis: list[str]
    why: str
    tags: list[str] = []
    report: dict[str, str] = {}
    context: dict[str, Any] = {}

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

"""Project the materialised rows of ``deadlines`` onto a date: findings as of ``as_of``.

A deadline's status follows from its start, due and done dates and the date; a check's and a
measure's status was decided when it was materialised, and the date only says whether it is
listed (from ``start_on`` to ``end_on``).
"""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta
from functools import cache
from typing import Any

from sqlite_utils import Database

from engine.findings import STATUS_SV, Finding, Kind, Status
from engine.materialize import FailedRule
from engine.rules.evaluator import holds
from engine.rules.loaded import LoadedRule, RuleSet, WhyError
from engine.rules.nodes import names
from engine.rules.recipients import resolve
from engine.rules.schema import SEVERITIES
from engine.rules.valuetypes import model_types
from facts.orgs import DEFAULT_ORG
from facts.personnummer import PERSONNUMMER_REMOVED, replace_personnummer
from facts.types import FACT_TYPES

log = logging.getLogger(__name__)


def status_of(due: date, done: date | None, as_of: date) -> tuple[Status, int | None, int]:
    """(status, late_days, days_overdue) of one deadline as of a date."""
    if done is not None and done <= as_of:
        return Status.resolved, max(0, (done - due).days), 0
    if due > as_of:
        return Status.upcoming, None, 0
    if due == as_of:
        return Status.due, None, 0
    return Status.overdue, None, (as_of - due).days


def _d(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


@cache
def _date_fields(fact_type: str) -> frozenset[str]:
    return frozenset(k for k, t in model_types(FACT_TYPES[fact_type].model).items() if t == "date")


def _context_env(lr: LoadedRule, ctx: dict[str, Any]) -> dict[str, Any]:
    dates = _date_fields(lr.rule.applies_to)
    env = dict(ctx)
    for k, v in ctx.items():
        if isinstance(v, str) and (k in dates or _looks_iso(v)):
            env[k] = date.fromisoformat(v)
    return env


def _looks_iso(v: str) -> bool:
    return len(v) == 10 and v[4] == "-" and v[7] == "-" and v[:4].isdigit()


def legal_basis(lr: LoadedRule, env: dict[str, Any], as_of: date,
                cache: dict[tuple[Any, ...], list[str]] | None = None) -> list[str]:
    """The texts of ``lr``'s legal basis in force on ``as_of`` whose condition holds for
    ``env``. With ``cache``, remembered per the values the conditions and the cited fields
    read (``law``, ``legal_basis``)."""
    if cache is not None:
        key = (lr.key, as_of, *(_hashable(env.get(n)) for n in _basis_names(lr)))
        hit = cache.get(key)
        if hit is None:
            hit = cache[key] = legal_basis(lr, env, as_of)
        return list(hit)
    out = []
    for basis, cond in zip(lr.rule.legal_basis, lr.basis_when, strict=True):
        if basis.valid_from and as_of < basis.valid_from:
            continue
        if basis.valid_to and as_of > basis.valid_to:
            continue
        if cond is not None and not holds(cond, {**dict.fromkeys(names(cond)), **env}):
            continue
        out.extend(basis.cited(env))
    return out


#: id(basis conditions) → (the conditions, the names they read). The conditions are kept so
#: their id cannot be reused by another rule's list after this one is freed (rules reloaded:
#: a stale entry gave one rule's cache key to another, and a SoL finding the LSS paragraph).
_BASIS_NAMES: dict[int, tuple[object, tuple[str, ...]]] = {}


def _basis_names(lr: LoadedRule) -> tuple[str, ...]:
    key = id(lr.basis_when)
    cached = _BASIS_NAMES.get(key)
    if cached is None or cached[0] is not lr.basis_when:
        read = {n for node in lr.basis_when if node is not None for n in names(node)}
        read |= {b.field for b in lr.rule.legal_basis if b.field}  # cited fields vary too
        cached = _BASIS_NAMES[key] = (lr.basis_when, tuple(sorted(read)))
    return cached[1]


def _hashable(value: Any) -> Any:
    return json.dumps(value, sort_keys=True, default=str) if isinstance(value, list | dict) else value


def bump(severity: str) -> str:
    i = SEVERITIES.index(severity)
    return SEVERITIES[min(i + 1, len(SEVERITIES) - 1)]


def make_finding(lr: LoadedRule, row: dict[str, Any], as_of: date,
                 basis_cache: dict[tuple[Any, ...], list[str]] | None = None,
                 strict: bool = False) -> Finding:
    """One row of ``deadlines`` as a finding as of ``as_of``; its why text is rendered when it
    is first read (:attr:`Finding.why`). A why that cannot be written for this finding's values
    raises :class:`WhyError` when ``strict``; otherwise the text says so, naming the rule file
    and line (and the failure is logged), so one odd row never stops a command's output."""
    ctx = json.loads(row["context"])
    env = _context_env(lr, ctx)
    spec = lr.rule.finding
    severity = spec.severity or lr.rule.severity
    recipients = json.loads(row["recipients"])
    start, due, done, end = _d(row["start_on"]), _d(row["due_on"]), _d(row["done_on"]), _d(row["end_on"])
    late_days: int | None = None
    days_overdue = 0
    escalated = False
    if lr.kind == Kind.deadline:
        assert due is not None
        status, late_days, days_overdue = status_of(due, done, as_of)
        esc = spec.escalate
        escalate_on = _d(row.get("escalate_on"))
        if esc and status is Status.overdue and escalate_on is not None and as_of >= escalate_on:
            escalated = True
            severity = esc.severity or bump(severity)
            stored = row.get("escalate_to")
            for r in (json.loads(stored) if stored else resolve(lr.escalate_to, env)):
                if r not in recipients:
                    recipients.append(r)
        if status is not Status.resolved:
            done = None
    else:
        status = Status(row["status"])
    builtin: dict[str, Any] = dict(
        status=status.value, status_sv=STATUS_SV[status], as_of=as_of, start_on=start,
        end_on=end, subject=row["subject"], rule_id=lr.rule.id, rule_title=lr.rule.title,
        value=row["value"], target=row["target"], band=row["band"],
    )
    if due is not None:  # a deadline's own dates (a check's why sees the fact's fields instead)
        builtin.update(due_on=due, done_on=done, late_days=late_days, days_overdue=days_overdue,
                       days_left=(due - as_of).days)
    finding = Finding.model_construct(  # every value below is already of its field's type
        id=row["id"], org=row["org"], rule_id=lr.rule.id, rule_version=lr.rule.version,
        rule_title=lr.rule.title, fact_type=row["fact_type"], subject=row["subject"],
        kind=Kind(lr.kind), status=status, as_of=as_of, start_on=start,
        occurrence=_d(ctx.get("occurrence")), due_on=due, done_on=done, late_days=late_days,
        days_overdue=days_overdue, end_on=end, value=row["value"], target=row["target"],
        target_is=(spec.target_is or "min") if row["target"] is not None else None,
        band=row["band"], unit=spec.unit, severity=severity, recipients=recipients,
        escalated=escalated, legal_basis=legal_basis(lr, env, as_of, basis_cache),
        why_text=None, tags=list(lr.rule.tags), report=dict(lr.rule.report), context=ctx,
    )

    def render() -> str:
        # only the names the template uses: a smaller context renders faster
        try:
            text = lr.render({k: builtin[k] if k in builtin else env.get(k) for k in lr.why_names},
                             row["id"])
        except WhyError as exc:
            if strict:
                raise
            log.warning("%s", exc)
            text = f"(Förklaringen kunde inte skrivas: {exc})"
        # a why text that quotes a fact's free text never carries a personnummer out
        return replace_personnummer(text, PERSONNUMMER_REMOVED)

    finding._render_why = render
    return finding


# A deadline is listed from its start until it has been met for longer than the window; a
# check or a measure from its start to its end.
_LISTED = """SELECT * FROM deadlines WHERE org = :org AND rule_key = :key
               AND (start_on IS NULL OR start_on <= :d)
               AND (CASE kind WHEN 'deadline'
                      THEN done_on IS NULL OR done_on > :d OR done_on >= :window
                      ELSE end_on IS NULL OR end_on >= :d END)
             ORDER BY due_on, subject"""


def project(db: Database, ruleset: RuleSet, as_of: date, window_days: int,
            org: str = DEFAULT_ORG, skip: set[str] | frozenset[str] = frozenset(),
            failed: list[FailedRule] | None = None) -> list[Finding]:
    """Organisation ``org``'s findings as of ``as_of`` from the materialised rows of the rules
    valid that day (except the rule keys in ``skip``: rules that failed this run).

    A rule whose why text cannot be written (tried on its first finding; the rest are written
    when read, and one that fails then says so in its text) is appended to ``failed`` and left
    out (without a ``failed`` list the error is raised)."""
    window = (as_of - timedelta(days=window_days)).isoformat()
    d = as_of.isoformat()
    findings: list[Finding] = []
    basis: dict[tuple[Any, ...], list[str]] = {}
    for lr in ruleset.valid_on(as_of):
        if lr.key in skip:
            continue
        cur = db.execute(_LISTED, {"org": org, "key": lr.key, "d": d, "window": window})
        names_ = [c[0] for c in cur.description]
        cur_rows = [dict(zip(names_, values, strict=True)) for values in cur.fetchall()]
        found = [make_finding(lr, row, as_of, basis) for row in cur_rows]
        try:  # a template that cannot be written at all fails its rule in this run
            if found:
                found[0] = make_finding(lr, cur_rows[0], as_of, basis, strict=True)
                found[0].why  # noqa: B018 - rendered to find out
        except WhyError as exc:
            if failed is None:
                raise
            failed.append(FailedRule(org, lr.rule.id, lr.key, str(lr.path), str(exc)))
            continue
        findings.extend(found)
    findings.sort(key=Finding.sort_key)
    return findings

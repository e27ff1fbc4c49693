"""``evaluate(as_of)``: project the materialised deadlines onto a date and produce findings.

The daily run does not re-match facts: ``materialize.refresh`` only touches what changed,
and the projection is one indexed query over ``deadlines`` plus the status arithmetic.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from sqlite_utils import Database

from engine.config import Config
from engine.findings import STATUS_SV, Evaluation, Finding, Status
from engine.materialize import FailedRule, refresh
from engine.rules.evaluator import holds
from engine.rules.loaded import WhyError
from engine.rules.loader import LoadedRule, RuleSet, load_rules
from engine.rules.recipients import resolve
from engine.rules.schema import SEVERITIES
from engine.rules.valuetypes import model_types
from facts.orgs import DEFAULT_ORG
from facts.store import organisations, snapshot_hash
from facts.types import FACT_TYPES


def load_ruleset(config: Config, org: str | None = None, rules_dir: Any = None) -> RuleSet:
    """The rule packs in ``rules_dir`` (default ``config.rules_dir``) with the parameter
    overrides of the installation (and of organisation ``org``, if given), its table overrides
    (``[rule_tables]``) and the role keys of ``[roles]`` and of every organisation."""
    roles = {*config.roles, *(k for oc in config.orgs.values() for k in oc.roles)}
    return load_rules(rules_dir or config.rules_dir, lambda rule_id: config.params_for(rule_id, org),
                      known_roles=roles, config_tables=config.tables_for)


class RuleSets:
    """The rule set per organisation: one shared load for every organisation without its own
    parameters, one of its own for each that has them (``[orgs."…"] params``)."""

    def __init__(self, config: Config, base: RuleSet | None = None):
        self.config = config
        self._base = base
        self._own: dict[str, RuleSet] = {}

    @property
    def base(self) -> RuleSet:
        if self._base is None:
            self._base = load_ruleset(self.config)
        return self._base

    def for_org(self, org: str) -> RuleSet:
        oc = self.config.org_config(org)
        if not (oc.params or oc.rule_params):
            return self.base
        if org not in self._own:
            self._own[org] = load_ruleset(self.config, org)
        return self._own[org]


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


def legal_basis(lr: LoadedRule, env: dict[str, Any], as_of: date) -> list[str]:
    out = []
    for basis, cond in zip(lr.rule.legal_basis, lr.basis_when, strict=True):
        if basis.valid_from and as_of < basis.valid_from:
            continue
        if basis.valid_to and as_of > basis.valid_to:
            continue
        if cond is not None and not holds(cond, env):
            continue
        out.append(basis.text)
    return out


def _bump(severity: str) -> str:
    i = SEVERITIES.index(severity)
    return SEVERITIES[min(i + 1, len(SEVERITIES) - 1)]


def make_finding(lr: LoadedRule, row: dict[str, Any], as_of: date) -> Finding:
    """One deadlines row as a finding as of ``as_of``."""
    due = _d(row["due_on"])
    assert due is not None
    done = _d(row["done_on"])
    status, late_days, days_overdue = status_of(due, done, as_of)
    ctx = json.loads(row["context"])
    env = _context_env(lr, ctx)
    spec = lr.rule.finding
    severity = spec.severity or lr.rule.severity
    recipients = json.loads(row["recipients"])
    escalated = False
    esc = spec.escalate
    if esc and status is Status.overdue and days_overdue >= esc.after_days:
        escalated = True
        severity = esc.severity or _bump(severity)
        resolve(lr.escalate_to, env, into=recipients)
    builtin = dict(
        status=status.value, status_sv=STATUS_SV[status], as_of=as_of, due_on=due,
        done_on=done if status is Status.resolved else None, start_on=_d(row["start_on"]),
        late_days=late_days, days_overdue=days_overdue, days_left=(due - as_of).days,
        subject=row["subject"], rule_id=lr.rule.id, rule_title=lr.rule.title,
    )
    # only the names the template uses: a smaller context renders faster
    names = {k: builtin[k] if k in builtin else env.get(k) for k in lr.why_names}
    why = lr.render(names, row["id"])
    return Finding(
        id=row["id"], org=row["org"], rule_id=lr.rule.id, rule_version=lr.rule.version,
        rule_title=lr.rule.title, fact_type=row["fact_type"], subject=row["subject"],
        status=status, as_of=as_of, start_on=_d(row["start_on"]),
        occurrence=_d(ctx.get("occurrence")), due_on=due,
        done_on=done if status is Status.resolved else None, late_days=late_days,
        days_overdue=days_overdue, severity=severity, recipients=recipients,
        escalated=escalated, legal_basis=legal_basis(lr, env, as_of), why=why,
        tags=lr.rule.tags, report=lr.rule.report, context=ctx,
    )


def project(db: Database, ruleset: RuleSet, as_of: date, window_days: int,
            org: str = DEFAULT_ORG, skip: set[str] | frozenset[str] = frozenset(),
            failed: list[FailedRule] | None = None) -> list[Finding]:
    """Organisation ``org``'s findings as of ``as_of`` from the materialised deadlines of the
    rules valid that day (except the rule keys in ``skip``: rules that failed this run).

    A rule whose why text cannot be written is appended to ``failed`` and left out (without a
    ``failed`` list the error is raised)."""
    window = (as_of - timedelta(days=window_days)).isoformat()
    d = as_of.isoformat()
    findings: list[Finding] = []
    order = {Status.overdue: 0, Status.due: 1, Status.upcoming: 2, Status.resolved: 3}
    for lr in ruleset.valid_on(as_of):
        if lr.key in skip:
            continue
        cur = db.execute(
            """SELECT * FROM deadlines WHERE org = ? AND rule_key = ?
                 AND (start_on IS NULL OR start_on <= ?)
                 AND (done_on IS NULL OR done_on > ? OR done_on >= ?)
               ORDER BY due_on, subject""",
            [org, lr.key, d, d, window],
        )
        names = [c[0] for c in cur.description]
        try:
            findings.extend([make_finding(lr, dict(zip(names, values, strict=True)), as_of)
                             for values in cur.fetchall()])
        except WhyError as exc:
            if failed is None:
                raise
            failed.append(FailedRule(org, lr.rule.id, lr.key, str(lr.path), str(exc)))
    findings.sort(key=lambda f: (order[f.status], f.due_on, f.rule_id, f.subject))
    return findings


def evaluate(db: Database, config: Config, as_of: date,
             ruleset: RuleSet | RuleSets | None = None, *, org: str | None = None) -> Evaluation:
    """Evaluate every rule valid on ``as_of`` against the facts of organisation ``org`` (or
    of every organisation in ``db``), each organisation with its own facts and meetings.

    ``ruleset`` fixes the rules for every organisation (tests, ``rules diff``); by default each
    organisation gets the installation's rules with its own parameters.

    Example::

        from datetime import date
        from bevaka import open_database
        from engine import evaluate, load_config
        ev = evaluate(open_database("bevaka.db"), load_config(), date(2024, 9, 30))
        overdue = [f for f in ev.findings if f.status == "overdue"]
    """
    sets = ruleset if isinstance(ruleset, RuleSets) else RuleSets(config, ruleset)
    orgs = [org] if org is not None else organisations(db)
    findings: list[Finding] = []
    revisions: dict[str, str] = {}
    failed: list[FailedRule] = []
    for o in orgs:
        rs = sets.for_org(o)
        refresh(db, rs, o, failed)
        broken = {f.rule_key for f in failed if f.org == o}
        findings.extend(project(db, rs, as_of, config.rules.resolved_window_days, o, broken, failed))
        revisions[o] = rs.revision
    return Evaluation(
        run_id=uuid.uuid4().hex,
        as_of=as_of,
        orgs=orgs,
        evaluated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        rules_revision=_combined(revisions) if orgs else sets.base.revision,
        facts_hash=snapshot_hash(db, orgs),
        findings=findings,
        failed_rules=[f.to_dict() for f in failed],
    )


def _combined(revisions: dict[str, str]) -> str:
    """One revision for a run: the rule set's own when every organisation used the same."""
    distinct = set(revisions.values())
    if len(distinct) == 1:
        return distinct.pop()
    text = ";".join(f"{o}={r}" for o, r in sorted(revisions.items()))
    return hashlib.sha256(text.encode()).hexdigest()

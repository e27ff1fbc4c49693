"""``evaluate(as_of)``: bring the materialised rows up to date and project them onto a date.

The daily run does not re-match facts: ``materialize.refresh`` only touches what changed,
and ``projection.project`` is one indexed query per rule over ``deadlines`` plus the status
arithmetic.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlite_utils import Database

from engine.config import Config
from engine.findings import Evaluation, Finding, Kind, Status
from engine.materialize import FailedRule, refresh
from engine.projection import project
from engine.rules.library import load_rules
from engine.rules.loader import RuleSet
from facts.store import current_rev, organisations, snapshot_hash


def load_ruleset(config: Config, org: str | None = None, rules_dir: Any = None) -> RuleSet:
    """The rule packs in ``rules_dir`` (default ``config.rules_dir``) with the parameter
    overrides of the installation (and of organisation ``org``, if given), its table overrides
    (``[rule_tables]``) and the role keys of ``[roles]`` and of every organisation."""
    roles = {*config.roles, *(k for oc in config.orgs.values() for k in oc.roles)}
    sources = [rules_dir] if rules_dir else config.rule_sources
    return load_rules(sources, lambda rule_id: config.params_for(rule_id, org),
                      known_roles=roles, config_tables=config.tables_for,
                      disabled=config.rules.disable)


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


@dataclass
class Outcome:
    """One evaluation and what it needs for its log record: the rule set each organisation
    was evaluated with, and the rules that failed."""

    evaluation: Evaluation
    rulesets: dict[str, RuleSet]
    failed: list[FailedRule]

    @property
    def skip(self) -> list[tuple[str, str]]:
        """(org, rule key) of the failed rules: their findings keep their logged state."""
        return [(f.org, f.rule_key) for f in self.failed]

    def failure_findings(self) -> list[Finding]:
        return [failure_finding(f, self.evaluation.as_of) for f in self.failed]


def run(db: Database, config: Config, as_of: date, ruleset: RuleSet | RuleSets | None = None,
        *, org: str | None = None, listed: bool = True) -> Outcome:
    """Bring every organisation's rows up to date and, with ``listed``, project them onto
    ``as_of`` as findings (with their why texts). Without ``listed`` the evaluation holds only
    the failed rules' IT checks: the daily job finds its changes and reminders in SQL."""
    sets = ruleset if isinstance(ruleset, RuleSets) else RuleSets(config, ruleset)
    orgs = [org] if org is not None else organisations(db)
    findings: list[Finding] = []
    rulesets: dict[str, RuleSet] = {}
    failed: list[FailedRule] = []
    for o in orgs:
        rs = rulesets[o] = sets.for_org(o)
        refresh(db, rs, o, failed)
        if listed:
            broken = {f.rule_key for f in failed if f.org == o}
            findings.extend(project(db, rs, as_of, config.rules.resolved_window_days, o, broken,
                                    failed))
    findings.extend(failure_finding(f, as_of) for f in failed)
    findings.sort(key=Finding.sort_key)
    revisions = {o: rs.revision for o, rs in rulesets.items()}
    evaluation = Evaluation(
        run_id=uuid.uuid4().hex,
        as_of=as_of,
        orgs=orgs,
        evaluated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        rules_revision=_combined(revisions) if orgs else sets.base.revision,
        facts_hash=facts_hash(db, orgs),
        findings=findings,
        failed_rules=[f.to_dict() for f in failed],
    )
    return Outcome(evaluation, rulesets, failed)


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
    return run(db, config, as_of, ruleset, org=org).evaluation


def facts_hash(db: Database, orgs: list[str]) -> str:
    """:func:`facts.snapshot_hash` of the organisations, kept while no import changes a fact
    (the daily run then does not read every fact to hash it)."""
    key = json.dumps({"orgs": sorted(orgs), "rev": current_rev(db)})
    row = db.execute("SELECT value FROM state_meta WHERE key = 'facts_hash'").fetchone()
    if row:
        cached = json.loads(row[0])
        if cached.get("key") == key:
            return str(cached["hash"])
    value = snapshot_hash(db, orgs)
    with db.atomic():
        db.execute("INSERT OR REPLACE INTO state_meta (key, value) VALUES ('facts_hash', ?)",
                   [json.dumps({"key": key, "hash": value})])
    return value


FAILURE_RULE = "bevaka.regelfel"
FAILURE_ROLE = "it"


def failure_finding(f: FailedRule, as_of: date) -> Finding:
    """A failed rule as a ``check`` finding for the IT role (``[roles] it``): it is listed,
    logged and sent like any other, once per rule until the rule works again."""
    return Finding(
        id=f"{FAILURE_RULE}/{f.rule_id}", org=f.org, rule_id=FAILURE_RULE, rule_version=1,
        rule_title="Regel som inte kunde utvärderas", fact_type="rule", subject=f.rule_id,
        kind=Kind.check, status=Status.failed, as_of=as_of, start_on=as_of, due_on=None,
        done_on=None, late_days=None, days_overdue=0, severity="high",
        recipients=[FAILURE_ROLE], legal_basis=[],
        why=(f"Regeln {f.rule_id} ({f.path}) kunde inte utvärderas för {f.org} per {as_of}: "
             f"{f.reason}. Dess bevakningar saknas i körningen tills regeln eller uppgifterna "
             "är rättade."),
    )


def _combined(revisions: dict[str, str]) -> str:
    """One revision for a run: the rule set's own when every organisation used the same."""
    distinct = set(revisions.values())
    if len(distinct) == 1:
        return distinct.pop()
    text = ";".join(f"{o}={r}" for o, r in sorted(revisions.items()))
    return hashlib.sha256(text.encode()).hexdigest()

"""Explain a finding ("why"), or why a fact has no finding for a rule ("why not")."""

from __future__ import annotations

import difflib
import json
from datetime import date
from typing import Any

from sqlite_utils import Database

from engine.config import Config
from engine.derivation import derived_env, occurrences
from engine.evaluate import evaluate, load_ruleset
from engine.lookups_store import StoreLookups, fact_key, typed_env
from engine.memo import Memo
from engine.rules.evaluator import evaluate as eval_expr
from engine.rules.expr import Binary, IsNull, Node
from engine.rules.loader import LoadedRule, RuleSet
from engine.rules.valuetypes import suggest
from facts.errors import UserError
from facts.store import load_facts
from facts.types import FACT_TYPES


class ExplainError(UserError, LookupError):
    pass


def _rule_for(ruleset: RuleSet, rule_id: str, as_of: date) -> LoadedRule:
    versions = ruleset.by_id(rule_id)
    if not versions:
        known = ", ".join(sorted({r.rule.id for r in ruleset.rules}))
        raise ExplainError(f"ingen regel {rule_id!r}; kända regler: {known}")
    valid = [r for r in versions if r.rule.valid_on(as_of)]
    return (valid or versions)[-1]


def id_form(lr: LoadedRule) -> str:
    """The form of the ids of a rule's findings: the rule id, the subject (named by its
    column, e.g. ``ÄRENDE``, ``RAD``) and, for a rule with ``each``, the occurrence's date."""
    ft = FACT_TYPES[lr.rule.applies_to]
    text = lr.rule.finding.subject.strip()
    part = ft.header_for(text) if text in ft.model.model_fields else text
    return f"{lr.rule.id}/{part.upper()}" + ("/ÅÅÅÅ-MM-DD" if lr.each is not None else "")


def _unknown_finding(db: Database, ruleset: RuleSet, finding_id: str, as_of: date, org: str,
                     listed: list[str]) -> str:
    """The message for an id that names no finding: the id form of the rule it names (with an
    existing id of that rule) and the closest ids of that rule, or that no such rule exists
    (with the closest rule id)."""
    head = f"ingen bevakning {finding_id!r} i {org} per {as_of}"
    rule_id = finding_id.split("/", 1)[0]
    versions = ruleset.by_id(rule_id)
    if not versions:
        hint = suggest(rule_id, sorted({r.rule.id for r in ruleset.rules}))
        return (f"{head}: ingen regel {rule_id!r}{hint} (id börjar med regelns id, se "
                "`bevaka rules list`)")
    valid = [r for r in versions if r.rule.valid_on(as_of)]
    lr = (valid or versions)[-1]
    same = [i for i in listed if i.split("/", 1)[0] == rule_id]
    if not same:
        row = db.execute("SELECT id FROM deadlines WHERE org = ? AND rule_id = ? ORDER BY id "
                         "LIMIT 1", [org, rule_id]).fetchone()
        same = [row[0]] if row else []
    example = f", t.ex. {same[0]}" if same else ""
    message = f"{head}; id:n för regeln {rule_id} har formen {id_form(lr)}{example}"
    close = difflib.get_close_matches(finding_id, same, n=3, cutoff=0.6)
    if close and close != same[:1]:
        message += "; menade du " + " eller ".join(repr(c) for c in close) + "?"
    return message + " (se `bevaka check`)"


def _provenance(db: Database, lr: LoadedRule, org: str, key: str) -> dict[str, Any] | None:
    ft = FACT_TYPES[lr.rule.applies_to]
    for row in load_facts(db, ft, org):
        if fact_key(ft, typed_env(ft, row)) == key:
            return {"source": row["_source"], "row": row["_row"], "imported_at": row["_imported_at"]}
    return None


def explain_finding(db: Database, config: Config, finding_id: str, as_of: date, org: str,
                    ruleset: RuleSet | None = None) -> dict[str, Any]:
    """The finding, its rule's metadata, the values that produced it and where the fact came from.

    Brings ``deadlines`` up to date first: call it inside a transaction that is rolled back
    (``Bevaka.explain`` does) to leave the database unchanged.
    """
    ruleset = ruleset or load_ruleset(config, org)
    ev = evaluate(db, config, as_of, ruleset, org=org)
    found = next((f for f in ev.findings if f.id == finding_id), None)
    if found is None:
        raise ExplainError(_unknown_finding(db, ruleset, finding_id, as_of, org,
                                            [f.id for f in ev.findings]))
    lr = _rule_for(ruleset, found.rule_id, as_of)
    row = db.execute("SELECT fact_key FROM deadlines WHERE org = ? AND rule_key = ? AND id = ?",
                     [org, lr.key, finding_id]).fetchone()
    derived = {k: found.context.get(k) for k in lr.computed_names}
    return {
        "finding": found.public_dict(),
        "rule": {"id": lr.rule.id, "version": lr.rule.version, "title": lr.rule.title,
                 "description": lr.rule.description.strip(), "file": str(lr.path),
                 "params": lr.params},
        "derived": derived,
        "provenance": _provenance(db, lr, org, row[0]) if row else None,
        "run_id": ev.run_id,
    }


def _conditions(node: Node) -> list[Node]:
    """The top-level conjuncts of a condition."""
    if isinstance(node, Binary) and node.op == "and":
        return _conditions(node.left) + _conditions(node.right)
    return [node]


def _start(node: Node) -> int:
    if isinstance(node, Binary):
        return _start(node.left)
    if isinstance(node, IsNull):
        return _start(node.operand)
    return node.pos


def why_not(db: Database, config: Config, subject: str, rule_id: str, as_of: date, org: str,
            ruleset: RuleSet | None = None) -> dict[str, Any]:
    """Why ``subject`` has (or has no) finding for ``rule_id`` as of a date (see
    :func:`explain_finding` about writes)."""
    ruleset = ruleset or load_ruleset(config, org)
    lr = _rule_for(ruleset, rule_id, as_of)
    ft = FACT_TYPES[lr.rule.applies_to]
    lookups = StoreLookups(db, org)
    rows = [typed_env(ft, r) for r in load_facts(db, ft, org)]
    match = [r for r in rows if str(r.get("id", fact_key(ft, r))) == subject
             or fact_key(ft, r) == subject]
    if not match:
        raise ExplainError(f"inget {ft.title_sv.lower()} med id {subject!r} i {org}")
    memo = Memo(lr, lookups)
    dates = occurrences(lr, match[0], memo)
    first = dates[0] if dates else None
    env = derived_env(lr, match[0], memo, first)
    reasons: list[str] = []
    if lr.each is not None and not dates:
        reasons.append(f"each ({lr.rule.each}) ger inga datum för {subject}")
    if not lr.rule.valid_on(as_of):
        reasons.append(f"regeln {lr.key} gäller inte {as_of}")
    checks = []
    for cond in _conditions(lr.when):
        value = eval_expr(cond, env, lookups)
        text = _cond_text(lr.rule.when, cond)
        checks.append({"condition": text, "holds": value is True})
        if value is not True:
            reasons.append(f"villkoret {text!r} är inte uppfyllt"
                           + (" (värdet saknas)" if value is None else ""))
    ev = evaluate(db, config, as_of, ruleset, org=org)
    finding = next((f for f in ev.findings if f.rule_id == rule_id and f.subject == subject), None)
    start = eval_expr(lr.start, env, lookups) if lr.start else None
    if finding is None and not reasons:
        reasons.append(_unlisted(lr, env, lookups, start, as_of, config.rules.resolved_window_days))
    values = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in env.items()
              if k in lr.computed_names or k in lr.params}
    return {
        "subject": subject, "rule_id": rule_id, "as_of": as_of.isoformat(),
        "finding": finding.public_dict() if finding else None,
        "conditions": checks, "values": json.loads(json.dumps(values, default=str)),
        "reasons": reasons,
    }


def _unlisted(lr: LoadedRule, env: dict[str, Any], lookups: StoreLookups, start: date | None,
              as_of: date, window: int) -> str:
    """Why a matched fact is not listed on ``as_of``."""
    if lr.kind == "deadline" and (lr.due is None or eval_expr(lr.due, env, lookups) is None):
        return "inget förfallodatum kunde räknas ut (datum saknas)"
    if lr.kind == "measure" and (lr.value is None or eval_expr(lr.value, env, lookups) is None):
        return "inget värde kunde räknas ut (värdet saknas)"
    if start and start > as_of:
        return f"bevakningen börjar {start}, efter {as_of}"
    if lr.kind == "deadline":
        return f"fristen möttes för mer än {window} dagar sedan"
    return f"bevakningen gällde till {eval_expr(lr.end, env, lookups) if lr.end else '?'}"


def _cond_text(source: str, cond: Node) -> str:
    """The source text of one conjunct: from its first token to the next top-level 'and'."""
    start = _start(cond)
    depth = 0
    i = start
    while i < len(source):
        ch = source[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and source[i:i + 5] == " and ":
            break
        i += 1
    return source[start:i].strip()

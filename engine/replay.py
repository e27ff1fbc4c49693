"""Replay decision records: decide a logged finding again from its record and compare.

A decision record (:mod:`engine.decisions`) holds the fact the rule applied to (masked), the
derived values the condition saw and the result. :func:`replay_run` evaluates each record
again with the rule **at the recorded revision**, loaded from the ``rule`` row the log holds
for it (file text, parameters, table overrides; the revision is recomputed and must match),
and says whether the outcome is the same. It does the same with the current rules, so after
a rule file is edited it tells which outcomes would differ.

What a replay can and cannot decide: the rule's own fields, parameters, derived values,
tables, ``when``, the kind's outcome and the state on the run's date are all evaluated
again. Derived values that read other facts (look-ups such as ``earliest(… for s in
submission …)``, meetings) are taken from the record, as long as the rule computes them with
the same expression; a rule that reads a masked field, or looks up other facts in a new way,
is reported as not replayable rather than guessed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from engine.audit import decisions_for_run, rule_sources
from engine.derivation import escalation_date, kind_outcome
from engine.lookups_store import typed_env
from engine.memo import Memo
from engine.projection import status_of
from engine.rules.evaluator import evaluate
from engine.rules.loaded import LoadedRule, RuleSet
from engine.rules.loader import FileLoader
from engine.rules.lookups import related_types
from engine.rules.nodes import names, to_source
from facts.errors import UserError
from facts.types import FACT_TYPES

#: The parts of a result a replay compares.
COMPARED = ("id", "kind", "status", "due_on", "done_on", "value", "band", "escalated")


class NotReplayable(Exception):
    """The record does not hold what this rule needs (said in Swedish)."""


class _RecordLookups:
    """Look-ups for a replay: the record holds no other facts."""

    def rows(self, fact_type: str) -> list[dict[str, Any]]:
        raise NotReplayable(f"regeln läser andra fakta ({fact_type}) som beslutsposten inte har")

    def index(self, fact_type: str, keys: tuple[str, ...]) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
        raise NotReplayable(f"regeln läser andra fakta ({fact_type}) som beslutsposten inte har")

    def meetings(self, body: str) -> list[date]:
        raise NotReplayable("regeln läser sammanträden som beslutsposten inte har")


@dataclass
class Replayed:
    """One record replayed: ``outcome`` is ``same``, ``differs`` or ``not_replayable``, with
    the recorded rule revision; ``current`` the same with the current rules."""

    org: str
    finding_id: str
    rule: str
    revision: str | None
    outcome: str
    recorded: dict[str, Any]
    replayed: dict[str, Any] | None = None
    problem: str | None = None
    current: str | None = None
    current_revision: str | None = None
    current_result: dict[str, Any] | None = None
    current_problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _typed(value: Any) -> Any:
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def outcome(lr: LoadedRule, rec: dict[str, Any], window: int) -> dict[str, Any]:
    """What ``lr`` decides for the record's fact on the record's date (the compared keys, and
    ``listed``). Raises :class:`NotReplayable`."""
    ft = FACT_TYPES[lr.rule.applies_to]
    fields = dict.fromkeys(ft.model.model_fields)
    fields.update((rec.get("input") or {}).get("fields") or {})
    env = {**typed_env(ft, fields), **lr.params}
    nodes = (lr.when, lr.subject, lr.start, lr.due, lr.done, lr.end, lr.holds, lr.value,
             lr.target, lr.band, lr.each, *lr.derive.values(), *(n for t in lr.tables for n in t.nodes()))
    read = set().union(*(names(n) for n in nodes if n is not None))
    hidden = sorted(set(rec.get("masked") or []) & read)
    if hidden:
        raise NotReplayable(f"regeln läser maskerade fält ({', '.join(hidden)})")
    derived = rec.get("derived") or {}
    occ = _typed(derived.get("occurrence"))
    if occ is not None:
        env["occurrence"] = occ
    recorded_lookups = rec.get("looked_up") or {}
    lookups = _RecordLookups()
    memo = Memo(lr, lookups)
    for name, node in lr.derive.items():
        if related_types(node):
            if recorded_lookups.get(name) != to_source(node):
                raise NotReplayable(f"{name} läser andra fakta med ett uttryck som posten inte har")
            env[name] = _typed(derived.get(name))
        else:
            env[name] = memo.eval(node, env)
    for table in lr.tables:
        env.update(memo.decide(table, env))
    as_of = date.fromisoformat(rec["as_of"])
    if lr.each is not None and related_types(lr.each):
        if recorded_lookups.get("each") != to_source(lr.each):
            raise NotReplayable("each läser andra fakta med ett uttryck som posten inte har")
    elif lr.each is not None and occ not in (memo.eval(lr.each, env) or []):
        return {"listed": False, "why": "each ger inte längre detta datum"}
    if evaluate(lr.when, env, lookups) is not True:
        return {"listed": False, "why": "villkoret when gäller inte"}
    kinds = kind_outcome(lr, env, memo)
    if kinds is None:
        return {"listed": False, "why": "inget förfallodatum eller värde"}
    subject = str(memo.eval(lr.subject, env))
    out: dict[str, Any] = {"id": f"{lr.rule.id}/{subject}" + (f"/{occ.isoformat()}" if occ else ""),
                           "kind": lr.kind, "value": kinds["value"], "band": kinds["band"],
                           "escalated": False}
    start = memo.eval(lr.start, env) if lr.start is not None else None
    listed = lr.rule.valid_on(as_of) and (start is None or start <= as_of)
    if lr.kind == "deadline":
        due = date.fromisoformat(kinds["due_on"])
        done = _typed(kinds["done_on"])
        status, _, overdue = status_of(due, done, as_of)
        esc_on = escalation_date(lr, memo, env, due)
        out.update(status=status.value, due_on=due.isoformat(),
                   done_on=done.isoformat() if status.value == "resolved" else None,
                   escalated=bool(esc_on and status.value == "overdue"
                                  and as_of >= date.fromisoformat(esc_on)))
        listed = listed and (done is None or done > as_of or done >= as_of - timedelta(days=window))
    else:
        end = _typed(kinds["end_on"])
        out.update(status=kinds["status"], due_on=None, done_on=None)
        listed = listed and (end is None or end >= as_of)
    out["listed"] = bool(listed)
    return out


def _compare(lr: LoadedRule | None, rec: dict[str, Any], window: int,
             missing: str) -> tuple[str, dict[str, Any] | None, str | None]:
    if lr is None:
        return "not_replayable", None, missing
    try:
        got = outcome(lr, rec, window)
    except NotReplayable as exc:
        return "not_replayable", None, str(exc)
    want = {k: rec["result"].get(k) for k in COMPARED}
    same = got.get("listed") and all(got.get(k) == v for k, v in want.items())
    return ("same" if same else "differs"), got, None


class RuleCache:
    """Rules at the revisions the log holds, loaded once each."""

    def __init__(self, db: Database, known: list[RuleSet]):
        self.sources = rule_sources(db)
        self.loaded: dict[str, LoadedRule] = {lr.revision: lr for rs in known for lr in rs.rules}
        self._dir = tempfile.TemporaryDirectory(prefix="bevaka-replay-")

    def at(self, revision: str | None) -> LoadedRule | None:
        if not revision:
            return None
        if revision not in self.loaded:
            src = self.sources.get(revision)
            if src is None:
                return None
            path = Path(self._dir.name) / revision / src["file"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(src["text"], encoding="utf-8")
            loader = FileLoader(path, src["pack"], src.get("params") or {}, src.get("roles") or (),
                                src.get("tables") or {})
            lr = loader.load()
            if lr is None or lr.revision != revision:
                raise UserError(f"regelkällan för revision {revision[:12]} i revisionsloggen ger inte "
                                "samma revision när den läses in; loggen eller bevaka har ändrats")
            self.loaded[revision] = lr
        return self.loaded[revision]

    def close(self) -> None:
        self._dir.cleanup()


def _current_rule(ruleset: RuleSet | None, rec: dict[str, Any]) -> LoadedRule | None:
    if ruleset is None:
        return None
    versions = ruleset.by_id(rec["rule"]["id"])
    same = [lr for lr in versions if lr.rule.version == rec["rule"]["version"]]
    valid = [lr for lr in versions if lr.rule.valid_on(date.fromisoformat(rec["as_of"]))]
    found = same or valid
    return found[0] if found else None


def replay_run(db: Database, run_id: str, current: Callable[[str], RuleSet], window: int,
               finding_id: str | None = None) -> list[Replayed]:
    """Replay the decision records of run ``run_id`` (of one finding, if given), each with
    its recorded rule revision and with ``current(org)``'s rules."""
    records = decisions_for_run(db, run_id, finding_id)
    orgs = sorted({r["org"] for r in records})
    rulesets = {o: current(o) for o in orgs}
    cache = RuleCache(db, list(rulesets.values()))
    out = []
    try:
        for rec in records:
            rule = rec["rule"]
            if rec.get("input") is None or rec["input"].get("erased"):
                why = ("faktat har gallrats; bara ärendet och en kontrollsumma finns kvar"
                       if rec.get("input") else "ingen regel avgjorde bevakningen (regelfel)")
                out.append(Replayed(rec["org"], rec["finding_id"], rule["id"], None, "not_replayable",
                                    rec["result"], problem=why))
                continue
            lr = cache.at(rule["revision"])
            verdict, got, problem = _compare(lr, rec, window, "regelkällan saknas i revisionsloggen")
            now = _current_rule(rulesets.get(rec["org"]), rec)
            c_verdict, c_got, c_problem = _compare(now, rec, window, "regeln finns inte längre")
            out.append(Replayed(rec["org"], rec["finding_id"], f"{rule['id']}@{rule['version']}",
                                rule["revision"], verdict, rec["result"], got, problem, c_verdict,
                                now.revision if now else None, c_got, c_problem))
    finally:
        cache.close()
    return out

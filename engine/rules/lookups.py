"""Look-ups over other facts: ``earliest``, ``latest``, ``count`` and ``ratio``.

``earliest(s.submitted_on for s in submission where s.obligation_id == id)``: the alias ``s``
is bound to each row of the fact type; ``s.field`` is checked against the fact model when
the rule is loaded, bare names are the rule's own. When evaluated, the conjuncts
``alias.field == <expression without the alias>`` of the condition pick rows through an
index (:meth:`Lookups.index`); the rest of the condition is evaluated per row.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any

from engine.rules.errors import EvalError
from engine.rules.expr import ExprError, parse
from engine.rules.functions import Lookups
from engine.rules.nodes import (
    Binary,
    Call,
    FieldRef,
    Literal,
    Lookup,
    Name,
    Node,
    calls,
    lookups,
    to_source,
    uses_alias,
)
from engine.rules.valuetypes import model_types, suggest
from facts.types import FACT_TYPES

Scope = dict[str, str]
Infer = Callable[[Node, Scope], str]
Evaluate = Callable[[Node, dict[str, Any], "Lookups | None"], Any]
ROW = "row:"  # scope type of an alias: "row:submission"
MEETING_FUNCTIONS = ("next_meeting", "meetings")


class LookupTypeError(ValueError):
    def __init__(self, message: str, pos: int):
        self.message = message
        self.pos = pos
        super().__init__(message)


@cache
def field_types(fact_type: str) -> dict[str, str]:

    return model_types(FACT_TYPES[fact_type].model)


# ---- type checking -------------------------------------------------------------------------


def infer_lookup(node: Lookup, scope: Scope, infer: Infer) -> str:

    if node.fact_type not in FACT_TYPES:
        raise LookupTypeError(f"okänd faktatyp {node.fact_type!r}{suggest(node.fact_type, FACT_TYPES)}",
                              node.type_pos)
    if node.alias in scope:
        raise LookupTypeError(f"aliaset {node.alias!r} skuggar namnet {node.alias!r} i regeln; "
                              "välj ett annat alias", node.alias_pos)
    inner = {**scope, node.alias: ROW + node.fact_type}
    if node.where is not None:
        t = infer(node.where, inner)
        if t not in ("bool", "any", "null"):
            raise LookupTypeError(f"efter where väntas ett villkor, inte {t}", node.where.pos)
    if node.value is None:
        return "number"
    t = infer(node.value, inner)
    if not uses_alias(node.value, node.alias):
        raise LookupTypeError(f"{node.kind} ska läsa ett fält ur {node.alias}, t.ex. "
                              f"{node.alias}.{next(iter(field_types(node.fact_type)))}", node.value.pos)
    if node.kind == "ratio":
        if t not in ("bool", "any", "null"):
            raise LookupTypeError(f"ratio räknar rader där ett villkor gäller, inte {t}", node.value.pos)
        return "number"
    return t


def infer_field(node: FieldRef, scope: Scope) -> str:
    bound = scope.get(node.alias, "")
    if not bound.startswith(ROW):
        aliases = [k for k, t in scope.items() if t.startswith(ROW)]
        hint = (f"; här heter aliaset {' eller '.join(map(repr, aliases))}" if aliases else
                ": fält i andra fakta läses i en look-up, t.ex. count(x in typ where x.fält == …)")
        raise LookupTypeError(f"okänt alias {node.alias!r}{hint}", node.pos)
    fact_type = bound[len(ROW):]
    types = field_types(fact_type)
    if node.field not in types:

        raise LookupTypeError(f"okänt fält {node.field!r} i {fact_type}{suggest(node.field, types)}",
                              node.field_pos)
    return types[node.field]


def old_form(call: Call, scope: Scope) -> str:
    """The message for ``earliest('submission', 'submitted_on', obligation_id=id, where="…")``:
    the old text form is gone; say how to write it now (one line)."""
    args = [a.value if isinstance(a, Literal) else None for a in call.args]
    fact_type = args[0] if args and isinstance(args[0], str) else "typ"
    alias = next(a for a in (*fact_type[:1], "x", "y", "z", "rad") if a not in scope)
    fields = set(field_types(fact_type)) if fact_type in FACT_TYPES else set()

    def cond(text: Any) -> str | None:
        if not isinstance(text, str):
            return None
        try:
            return to_source(_qualify(parse(text), alias, fields))
        except ExprError:
            return text

    filters = [f"{alias}.{k} == {to_source(v)}" for k, v in call.kwargs if k not in ("where", "of")]
    kw = {k: v.value for k, v in call.kwargs if isinstance(v, Literal)}
    base = cond(kw.get("of" if call.func == "ratio" else "where"))
    parts = [*filters, *([base] if base else [])]
    where = f" where {' and '.join(parts)}" if parts else ""
    if call.func == "count":
        new = f"count({alias} in {fact_type}{where})"
    elif call.func == "ratio":
        new = f"ratio({cond(kw.get('where')) or 'villkor'} for {alias} in {fact_type}{where})"
    else:
        field = args[1] if len(args) > 1 and isinstance(args[1], str) else "fält"
        new = f"{call.func}({alias}.{field} for {alias} in {fact_type}{where})"
    return f"look-ups skrivs inte längre med text; skriv {new}"


def _qualify(node: Node, alias: str, fields: set[str]) -> Node:
    """``node`` with the names that are fields of the looked-up type read through ``alias``."""
    from dataclasses import fields as dc_fields
    from dataclasses import replace

    if isinstance(node, Name) and node.name in fields:
        return FieldRef(node.pos, alias, node.name, node.pos)
    changes: dict[str, Any] = {}
    for f in dc_fields(node):
        value = getattr(node, f.name)
        if isinstance(value, Node):
            changes[f.name] = _qualify(value, alias, fields)
        elif isinstance(value, tuple) and value and isinstance(value[0], Node):
            changes[f.name] = tuple(_qualify(v, alias, fields) for v in value)
        elif isinstance(value, tuple) and value and isinstance(value[0], tuple):
            changes[f.name] = tuple((k, _qualify(v, alias, fields)) for k, v in value)
    return replace(node, **changes)


def related_types(node: Node) -> set[str]:
    """The fact types ``node`` reads besides its own fact (``meeting`` for the meeting functions)."""
    out = {lk.fact_type for lk in lookups(node)}
    if any(c.func in MEETING_FUNCTIONS for c in calls(node)):
        out.add("meeting")
    return out


# ---- evaluation ----------------------------------------------------------------------------

_PLANS: dict[int, tuple[Lookup, tuple[tuple[str, Node], ...], Node | None]] = {}


def _plan(node: Lookup) -> tuple[tuple[tuple[str, Node], ...], Node | None]:
    """(index keys as (field, expression) sorted by field, the rest of the condition)."""
    cached = _PLANS.get(id(node))
    if cached is not None and cached[0] is node:
        return cached[1], cached[2]
    keys: dict[str, Node] = {}
    rest: list[Node] = []
    for part in _conjuncts(node.where):
        key = _key(part, node.alias)
        if key is not None and key[0] not in keys:
            keys[key[0]] = key[1]
        else:
            rest.append(part)
    residual: Node | None = None
    for part in rest:
        residual = part if residual is None else Binary(part.pos, "and", residual, part)
    plan = tuple(sorted(keys.items()))
    _PLANS[id(node)] = (node, plan, residual)
    return plan, residual


def _conjuncts(node: Node | None) -> list[Node]:
    if node is None:
        return []
    if isinstance(node, Binary) and node.op == "and":
        return _conjuncts(node.left) + _conjuncts(node.right)
    return [node]


def _key(part: Node, alias: str) -> tuple[str, Node] | None:
    if not (isinstance(part, Binary) and part.op == "=="):
        return None
    for this, other in ((part.left, part.right), (part.right, part.left)):
        if isinstance(this, FieldRef) and this.alias == alias and not uses_alias(other, alias):
            return this.field, other
    return None


def _norm(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def matching_rows(node: Lookup, env: dict[str, Any], facts: Lookups,
                  evaluate: Evaluate) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The rows for which the condition holds, and the scope (``env`` + the alias) to use."""
    keys, residual = _plan(node)
    values = tuple(_norm(evaluate(expr, env, facts)) for _, expr in keys)
    if any(v is None for v in values):  # alias.field == null is unknown: nothing matches
        return [], env
    try:
        rows = (facts.index(node.fact_type, tuple(k for k, _ in keys)).get(values, [])
                if keys else facts.rows(node.fact_type))
    except TypeError:  # an unhashable key value (a list): test every row instead
        rows, residual = facts.rows(node.fact_type), node.where
    scope = dict(env)
    if residual is None:
        return rows, scope
    out = []
    for row in rows:
        scope[node.alias] = row
        if evaluate(residual, scope, facts) is True:
            out.append(row)
    return out, scope


def run_lookup(node: Lookup, env: dict[str, Any], facts: Lookups | None, evaluate: Evaluate) -> Any:
    if facts is None:
        raise EvalError(f"{node.kind} behöver tillgång till andra fakta")
    rows, scope = matching_rows(node, env, facts, evaluate)
    if node.kind == "count":
        return len(rows)
    assert node.value is not None
    values = []
    for row in rows:
        scope[node.alias] = row
        values.append(evaluate(node.value, scope, facts))
    if node.kind == "ratio":
        return 100.0 * sum(v is True for v in values) / len(rows) if rows else None
    present = [v for v in values if v is not None]
    if not present:
        return None
    return min(present) if node.kind == "earliest" else max(present)


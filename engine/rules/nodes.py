"""The syntax tree of the expression language (see docs/rules.md, "Grammar").

Every node carries ``pos``, the 0-based offset of its first character in the expression text,
which the loader turns into ``FILE:LINE:COL``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Node:
    pos: int


@dataclass(frozen=True)
class Literal(Node):
    value: Any


@dataclass(frozen=True)
class Name(Node):
    name: str


@dataclass(frozen=True)
class FieldRef(Node):
    """``alias.field`` inside a look-up; ``pos`` is the alias, ``field_pos`` the field name."""

    alias: str
    field: str
    field_pos: int


@dataclass(frozen=True)
class ListExpr(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Unary(Node):
    op: str  # "-" or "not"
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    op: str  # + - * / == != < <= > >= and or in notin
    left: Node
    right: Node


@dataclass(frozen=True)
class IsNull(Node):
    operand: Node
    negated: bool


@dataclass(frozen=True)
class Call(Node):
    func: str
    args: tuple[Node, ...]
    kwargs: tuple[tuple[str, Node], ...] = field(default=())


@dataclass(frozen=True)
class DurationExpr(Node):
    """``3 months``, ``n working days``, ``P90D``: a count (an expression) and a unit."""

    count: Node
    unit: str  # the unit word as written: "months", "månader", "working days", "P" …


@dataclass(frozen=True)
class Lookup(Node):
    """``earliest(v for a in type where c)``, ``latest(…)``, ``count(a in type where c)``,
    ``ratio(c2 for a in type where c)``. ``value`` is None for ``count``."""

    kind: str
    value: Node | None
    alias: str
    alias_pos: int
    fact_type: str
    type_pos: int
    where: Node | None


@dataclass(frozen=True)
class Test(Node):
    """One unary test of a decision-table cell: ``< 4``, ``'gul'``, ``[5..9]``.

    ``op`` is a comparison operator (the input is the left operand) or ``range``, whose
    bounds are ``value`` and ``high`` with ``low_open``/``high_open`` for ``(``/``)``."""

    op: str
    value: Node
    high: Node | None = None
    low_open: bool = False
    high_open: bool = False


def children(node: Node) -> Iterator[Node]:
    """The direct sub-expressions of ``node``."""
    if isinstance(node, Unary | IsNull):
        yield node.operand
    elif isinstance(node, Binary):
        yield node.left
        yield node.right
    elif isinstance(node, ListExpr):
        yield from node.items
    elif isinstance(node, Call):
        yield from node.args
        yield from (v for _, v in node.kwargs)
    elif isinstance(node, DurationExpr):
        yield node.count
    elif isinstance(node, Test):
        yield node.value
        if node.high is not None:
            yield node.high
    elif isinstance(node, Lookup):
        if node.value is not None:
            yield node.value
        if node.where is not None:
            yield node.where


def walk(node: Node) -> Iterator[Node]:
    """``node`` and every node below it, parents first."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(list(children(n))))


def names(node: Node) -> set[str]:
    """Every name of the rule's scope the expression reads (not functions, not look-up fields)."""
    return {n.name for n in walk(node) if isinstance(n, Name)}


def calls(node: Node) -> list[Call]:
    """Every function call in the expression, outermost first."""
    return [n for n in walk(node) if isinstance(n, Call)]


def lookups(node: Node) -> list[Lookup]:
    """Every look-up in the expression, outermost first."""
    return [n for n in walk(node) if isinstance(n, Lookup)]


def uses_alias(node: Node, alias: str) -> bool:
    """True if ``node`` reads a field of the look-up alias ``alias``."""
    return any(isinstance(n, FieldRef) and n.alias == alias for n in walk(node))


# ---- back to source text (for messages that show the new way to write something) --------

_PRECEDENCE = {"or": 1, "and": 2, "==": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4, "in": 4,
               "notin": 4, "+": 5, "-": 5, "*": 6, "/": 6}


def _prec(node: Node) -> int:
    if isinstance(node, Binary):
        return _PRECEDENCE[node.op]
    if isinstance(node, Unary):
        return 3 if node.op == "not" else 7
    return 4 if isinstance(node, IsNull) else 8


def to_source(node: Node) -> str:
    """The expression as text, with only the parentheses precedence needs."""

    def sub(child: Node, least: int) -> str:
        text = to_source(child)
        return f"({text})" if _prec(child) < least else text

    if isinstance(node, Literal):
        v = node.value
        if isinstance(v, str):
            return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"
        if v is None:
            return "null"
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v)
    if isinstance(node, Name):
        return node.name
    if isinstance(node, FieldRef):
        return f"{node.alias}.{node.field}"
    if isinstance(node, ListExpr):
        return "[" + ", ".join(to_source(i) for i in node.items) + "]"
    if isinstance(node, Unary):
        return ("not " if node.op == "not" else "-") + sub(node.operand, _prec(node))
    if isinstance(node, IsNull):
        return sub(node.operand, 5) + (" is not null" if node.negated else " is null")
    if isinstance(node, Binary):
        p = _PRECEDENCE[node.op]
        op = "not in" if node.op == "notin" else node.op
        return f"{sub(node.left, p)} {op} {sub(node.right, p + 1)}"
    if isinstance(node, Call):
        args = [to_source(a) for a in node.args] + [f"{k}={to_source(v)}" for k, v in node.kwargs]
        return f"{node.func}({', '.join(args)})"
    if isinstance(node, DurationExpr):
        unit = "working days" if node.unit == "working_days" else node.unit
        return f"{sub(node.count, 8)} {unit}"
    if isinstance(node, Lookup):
        head = f"{node.alias} in {node.fact_type}"
        if node.value is not None:
            head = f"{to_source(node.value)} for {head}"
        where = f" where {to_source(node.where)}" if node.where is not None else ""
        return f"{node.kind}({head}{where})"
    raise ValueError(f"okänd nod {node!r}")

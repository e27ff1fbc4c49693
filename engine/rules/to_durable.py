"""Compile a ``when`` expression into a durable_rules JSON condition.

Durable gets the structure of the condition (and/or, ``in``, ``is null``) and every
comparison of a field with a constant (constant arithmetic is folded first: ``1900 + 50``).
Everything else (function calls, comparisons between two fields or computed values) is
*hoisted*: computed in Python into a hidden message field ``_hN`` (a value, or the boolean
result of the comparison) that durable then tests. Comparisons between fields are hoisted
because durable treats null == null as a match, where the rule language says "unknown".
``not`` is pushed down to the leaves (De Morgan;
``<`` ↔ ``>=`` …), which keeps the three-valued null logic of the Python evaluator: a
comparison with null matches neither way, exactly as in durable.

Parameters are constants: they are substituted before compiling.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.rules.evaluator import evaluate
from engine.rules.expr import Binary, Call, IsNull, ListExpr, Literal, Name, Node, Unary

TAG = "_bvk"  # every message carries this field; the catch-all rule matches on it
ALWAYS: dict[str, Any] = {"$ex": {TAG: 1}}
NEVER: dict[str, Any] = {"$nex": {TAG: 1}}

_NEGATE = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}
_FLIP = {"==": "==", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}
_DURABLE_OP = {"!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}
_ARITH = {"+": "$add", "-": "$sub", "*": "$mul", "/": "$div"}


class CompileError(ValueError):
    def __init__(self, message: str, pos: int):
        self.pos = pos
        super().__init__(message)


@dataclass
class Compiled:
    condition: dict[str, Any]
    hoisted: dict[str, Node] = field(default_factory=dict)


def substitute(node: Node, params: dict[str, Any]) -> Node:
    """Replace parameter names by their values."""
    if isinstance(node, Name) and node.name in params:
        return Literal(node.pos, params[node.name])
    if isinstance(node, Unary):
        return Unary(node.pos, node.op, substitute(node.operand, params))
    if isinstance(node, IsNull):
        return IsNull(node.pos, substitute(node.operand, params), node.negated)
    if isinstance(node, Binary):
        return Binary(node.pos, node.op, substitute(node.left, params),
                      substitute(node.right, params))
    if isinstance(node, ListExpr):
        return ListExpr(node.pos, tuple(substitute(i, params) for i in node.items))
    if isinstance(node, Call):
        return Call(node.pos, node.func, tuple(substitute(a, params) for a in node.args),
                    tuple((k, substitute(v, params)) for k, v in node.kwargs))
    return node


class _Compiler:
    def __init__(self) -> None:
        self.hoisted: dict[str, Node] = {}

    def hoist(self, node: Node) -> str:
        for name, existing in self.hoisted.items():
            if existing == node:
                return name
        name = f"_h{len(self.hoisted) + 1}"
        self.hoisted[name] = node
        return name

    def cond(self, node: Node, negate: bool = False) -> dict[str, Any]:
        if isinstance(node, Literal):
            if isinstance(node.value, bool):
                return ALWAYS if node.value != negate else NEVER
            raise CompileError("ett villkor ska vara sant eller falskt", node.pos)
        if isinstance(node, Unary) and node.op == "not":
            return self.cond(node.operand, not negate)
        if isinstance(node, Binary) and node.op in ("and", "or"):
            op = node.op if not negate else ("or" if node.op == "and" else "and")
            parts = [self.cond(node.left, negate), self.cond(node.right, negate)]
            return {f"${op}": parts}
        if isinstance(node, IsNull):
            field = self.operand_field(node.operand)
            is_null = node.negated == negate  # "is null" unless exactly one negation
            return {field: None} if is_null else {"$neq": {field: None}}
        if isinstance(node, Binary) and node.op in ("in", "notin"):
            return self.membership(node, negate)
        if isinstance(node, Binary) and node.op in _NEGATE:
            op = _NEGATE[node.op] if negate else node.op
            return self.compare(op, node.left, node.right)
        if isinstance(node, Name | Call):  # a boolean field or function
            field = self.operand_field(node)
            return {field: not negate}
        raise CompileError("uttrycket är inget villkor", node.pos)

    def membership(self, node: Binary, negate: bool) -> dict[str, Any]:
        if not isinstance(node.right, ListExpr):
            raise CompileError("'in' kräver en lista med värden", node.right.pos)
        inside = (node.op == "in") != negate
        field = self.operand_field(node.left)
        values = [self.constant(i) for i in node.right.items]
        if not values:
            return NEVER if inside else {"$neq": {field: None}}
        if inside:
            return {"$or": [{field: v} for v in values]} if len(values) > 1 else {field: values[0]}
        parts: list[dict[str, Any]] = [{"$neq": {field: v}} for v in values]
        return {"$and": parts} if len(parts) > 1 else parts[0]

    def constant(self, node: Node) -> Any:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Unary) and node.op == "-" and isinstance(node.operand, Literal):
            return -node.operand.value
        raise CompileError("listan får bara innehålla konstanter", node.pos)

    def operand_field(self, node: Node) -> str:
        if isinstance(node, Name):
            return node.name
        return self.hoist(node)

    def compare(self, op: str, left: Node, right: Node) -> dict[str, Any]:
        if _constant(left) and _constant(right):  # e.g. a parameter compared with a constant
            return ALWAYS if evaluate(Binary(left.pos, op, left, right), {}) is True else NEVER
        if not isinstance(left, Name) and isinstance(right, Name) and _constant(left):
            left, right, op = right, left, _FLIP[op]
        if isinstance(left, Name) and _constant(right):
            value = evaluate(right, {})  # fold constant arithmetic: 1900 + 50 → 1950
            if value is None:  # a comparison with null is unknown: it never holds
                return NEVER
            if op == "==":
                return {left.name: value}
            return {_DURABLE_OP[op]: {left.name: value}}
        # Two fields, or a computed value, on both sides: durable would treat null == null as a
        # match, so the comparison is made in Python (three-valued) and durable tests the result.
        return {self.hoist(Binary(left.pos, op, left, right)): True}


def _constant(node: Node) -> bool:
    """True if ``node`` reads no field and calls no function (it can be folded)."""
    if isinstance(node, Literal):
        return True
    if isinstance(node, Unary):
        return node.op == "-" and _constant(node.operand)
    if isinstance(node, Binary):
        return node.op in _ARITH and _constant(node.left) and _constant(node.right)
    return False


def compile_when(node: Node, params: dict[str, Any]) -> Compiled:
    """The durable condition for ``node`` and the values to compute in Python first."""
    c = _Compiler()
    condition = c.cond(substitute(node, params))
    return Compiled(condition, c.hoisted)

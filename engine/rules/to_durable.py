"""Compile a ``when`` expression into a durable_rules JSON condition.

Durable compares a message field with a constant, another field (``$m``) or binary
arithmetic on fields and constants. Everything else (function calls, arithmetic on the left
side, comparisons of two computed values) is *hoisted*: computed in Python into a hidden
message field ``_hN`` and compared there. ``not`` is pushed down to the leaves (De Morgan;
``<`` ↔ ``>=`` …), which keeps the three-valued null logic of the Python evaluator: a
comparison with null matches neither way, exactly as in durable.

Parameters are constants: they are substituted before compiling.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
        if not isinstance(left, Name) and isinstance(right, Name):
            left, right, op = right, left, _FLIP[op]
        field = self.operand_field(left)
        value = self.value(right)
        if op == "==":
            if value is None:
                return {"$eq": {field: None}}
            return {field: value}
        return {_DURABLE_OP[op]: {field: value}}

    def value(self, node: Node) -> Any:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Name):
            return {"$m": node.name}
        if isinstance(node, Unary) and node.op == "-" and isinstance(node.operand, Literal):
            return -node.operand.value
        if isinstance(node, Binary) and node.op in _ARITH:
            return {_ARITH[node.op]: {"$l": self.value(node.left), "$r": self.value(node.right)}}
        return {"$m": self.hoist(node)}


def compile_when(node: Node, params: dict[str, Any]) -> Compiled:
    """The durable condition for ``node`` and the values to compute in Python first."""
    c = _Compiler()
    condition = c.cond(substitute(node, params))
    return Compiled(condition, c.hoisted)

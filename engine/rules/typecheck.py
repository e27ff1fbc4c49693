"""Type-check expressions against the fact model, derived values and parameters.

Errors carry the position of the offending node and, for an unknown name, the closest
known name ("menade du 'decided_on'?").
"""

from __future__ import annotations

import difflib
import typing
from datetime import date
from enum import Enum
from typing import Any

from pydantic import BaseModel

from engine.rules.expr import Binary, Call, IsNull, ListExpr, Literal, Name, Node, Unary
from engine.rules.functions import FUNCTIONS
from facts.types import unwrap_annotation


class TypeCheckError(ValueError):
    def __init__(self, message: str, pos: int):
        self.message = message
        self.pos = pos
        super().__init__(message)


def value_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, date):
        return "date"
    if isinstance(value, list):
        return "list"
    return "str"


def annotation_type(annotation: Any) -> str:
    annotation = unwrap_annotation(annotation)
    if annotation is date:
        return "date"
    if isinstance(annotation, type):
        if issubclass(annotation, bool):
            return "bool"
        if issubclass(annotation, Enum):
            return "str"
        if issubclass(annotation, int | float):
            return "number"
        if issubclass(annotation, str):
            return "str"
    return "any"


def model_types(model: type[BaseModel]) -> dict[str, str]:
    return {name: annotation_type(f.annotation) for name, f in model.model_fields.items()}


def suggest(name: str, known: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"; menade du {close[0]!r}?" if close else ""


def _compatible(a: str, b: str) -> bool:
    if "any" in (a, b) or "null" in (a, b) or a == b:
        return True
    return {a, b} == {"date", "str"}  # ISO text compares with dates


def infer(node: Node, scope: dict[str, str]) -> str:
    """The type of ``node`` given ``scope`` (name → type). Raises TypeCheckError."""
    if isinstance(node, Literal):
        return value_type(node.value)
    if isinstance(node, Name):
        if node.name not in scope:
            raise TypeCheckError(f"okänt fält {node.name!r}{suggest(node.name, scope)}", node.pos)
        return scope[node.name]
    if isinstance(node, ListExpr):
        for item in node.items:
            infer(item, scope)
        return "list"
    if isinstance(node, Unary):
        t = infer(node.operand, scope)
        if node.op == "-" and t not in ("number", "any", "null"):
            raise TypeCheckError(f"minustecken kräver ett tal, inte {t}", node.pos)
        if node.op == "not" and t not in ("bool", "any", "null"):
            raise TypeCheckError(f"'not' kräver ett villkor, inte {t} (skriv t.ex. 'x is null')",
                                 node.pos)
        return "bool" if node.op == "not" else "number"
    if isinstance(node, IsNull):
        infer(node.operand, scope)
        return "bool"
    if isinstance(node, Binary):
        return _binary(node, scope)
    if isinstance(node, Call):
        return _call(node, scope)
    raise TypeCheckError("okänt uttryck", node.pos)


def _binary(node: Binary, scope: dict[str, str]) -> str:
    left, right = infer(node.left, scope), infer(node.right, scope)
    if node.op in ("and", "or"):
        for t, n in ((left, node.left), (right, node.right)):
            if t not in ("bool", "any", "null"):
                raise TypeCheckError(f"'{node.op}' kräver villkor på båda sidor, inte {t} "
                                     "(skriv t.ex. 'x is not null')", n.pos)
        return "bool"
    if node.op in ("in", "notin"):
        if right not in ("list", "any"):
            raise TypeCheckError("efter 'in' väntas en lista, t.ex. ['SoL', 'LSS']", node.right.pos)
        if isinstance(node.right, ListExpr):
            for item in node.right.items:
                t = infer(item, scope)
                if not _compatible(left, t):
                    raise TypeCheckError(f"listan innehåller {t} men fältet är {left}", item.pos)
        return "bool"
    if node.op == "+" and "str" in (left, right) and {left, right} <= {"str", "any", "null"}:
        return "str"  # text + text joins: id + '/' + year
    if node.op in ("+", "-", "*", "/"):
        for t, n in ((left, node.left), (right, node.right)):
            if t not in ("number", "any", "null"):
                hint = " (använd add_days/add_months för datum)" if t == "date" else ""
                raise TypeCheckError(f"räkneoperatorn {node.op} kräver tal, inte {t}{hint}", n.pos)
        return "number"
    if not _compatible(left, right):
        raise TypeCheckError(f"kan inte jämföra {left} med {right}", node.pos)
    return "bool"


def _call(node: Call, scope: dict[str, str]) -> str:
    fn = FUNCTIONS.get(node.func)
    if fn is None:
        raise TypeCheckError(
            f"okänd funktion {node.func!r}{suggest(node.func, FUNCTIONS)}", node.pos
        )
    arg_types = [infer(a, scope) for a in node.args]
    for _, v in node.kwargs:
        infer(v, scope)
    variadic = bool(fn.params) and fn.params[-1].startswith("*")
    fixed = [p.lstrip("*") for p in fn.params]
    if not variadic and len(arg_types) != len(fixed):
        raise TypeCheckError(
            f"{node.func} tar {len(fixed)} argument men fick {len(arg_types)}", node.pos
        )
    for i, t in enumerate(arg_types):
        want = fixed[min(i, len(fixed) - 1)]
        if want != "any" and not _compatible(want, t):
            raise TypeCheckError(
                f"argument {i + 1} till {node.func} ska vara {want}, inte {t}", node.args[i].pos
            )
    allowed = set(fn.kwargs)
    for key, v in node.kwargs:
        if "**" not in allowed and key not in allowed:
            raise TypeCheckError(f"{node.func} har inget argument {key!r}", v.pos)
    if fn.returns.startswith("arg"):
        idx = int(fn.returns[3:])
        return arg_types[idx] if idx < len(arg_types) else "any"
    return fn.returns

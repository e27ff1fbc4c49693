"""Evaluate expressions in Python (``derive`` values, and ``when`` for explain/why-not).

Null logic is SQL-like: a comparison or arithmetic with null gives null ("unknown"), and so
does arithmetic without a finite result (``x / 0``, a float overflow); ``and``/``or``/``not``
use three-valued logic, and a ``when`` holds only if it is exactly true. This is also what the
durable_rules compilation does, so both agree (tests/test_when_agreement.py).
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from engine.rules import nodes as ast
from engine.rules.durations import Duration
from engine.rules.errors import EvalError
from engine.rules.functions import FUNCTIONS, CallContext, Lookups
from engine.rules.lookups import run_lookup

__all__ = ["EvalError", "evaluate", "holds"]


def _coerce_pair(a: Any, b: Any) -> tuple[Any, Any]:
    if isinstance(a, date) and isinstance(b, str):
        return a.isoformat(), b
    if isinstance(b, date) and isinstance(a, str):
        return a, b.isoformat()
    return a, b


def compare(op: str, a: Any, b: Any) -> bool | None:
    if a is None or b is None:
        return None
    a, b = _coerce_pair(a, b)
    try:
        if op == "==":
            return bool(a == b)
        if op == "!=":
            return bool(a != b)
        if op == "<":
            return bool(a < b)
        if op == "<=":
            return bool(a <= b)
        if op == ">":
            return bool(a > b)
        if op == ">=":
            return bool(a >= b)
    except TypeError:
        raise EvalError(f"kan inte jämföra {a!r} och {b!r}") from None
    raise EvalError(f"okänd operator {op}")


def _and(a: Any, b: Any) -> bool | None:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return bool(a) and bool(b)


def _or(a: Any, b: Any) -> bool | None:
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return bool(a) or bool(b)


def evaluate(node: ast.Node, env: dict[str, Any], lookups: Lookups | None = None) -> Any:
    """The value of ``node`` with names from ``env``. Unknown names are an EvalError."""
    if isinstance(node, ast.Literal):
        return node.value
    if isinstance(node, ast.Name):
        if node.name not in env:
            raise EvalError(f"okänt namn {node.name!r}")
        return env[node.name]
    if isinstance(node, ast.FieldRef):
        row = env.get(node.alias)
        if not isinstance(row, dict):
            raise EvalError(f"okänt alias {node.alias!r}")
        return row.get(node.field)
    if isinstance(node, ast.Lookup):
        return run_lookup(node, env, lookups, evaluate)
    if isinstance(node, ast.DurationExpr):
        count = evaluate(node.count, env, lookups)
        if count is None:
            return None
        try:
            return Duration.of(count, node.unit)
        except ValueError as exc:
            raise EvalError(str(exc)) from None
    if isinstance(node, ast.ListExpr):
        return [evaluate(i, env, lookups) for i in node.items]
    if isinstance(node, ast.Unary):
        v = evaluate(node.operand, env, lookups)
        if v is None:
            return None
        if node.op == "not":
            return not v
        if not isinstance(v, int | float) or isinstance(v, bool):
            raise EvalError(f"minustecken kräver ett tal, inte {_show(v)}")
        return -v
    if isinstance(node, ast.IsNull):
        v = evaluate(node.operand, env, lookups)
        return (v is not None) if node.negated else (v is None)
    if isinstance(node, ast.Binary):
        return _binary(node, env, lookups)
    if isinstance(node, ast.Call):
        return _call(node, env, lookups)
    raise EvalError(f"okänd nod {node!r}")


def _binary(node: ast.Binary, env: dict[str, Any], lookups: Lookups | None) -> Any:
    if node.op == "and":
        left = evaluate(node.left, env, lookups)
        if left is False:
            return False
        return _and(left, evaluate(node.right, env, lookups))
    if node.op == "or":
        left = evaluate(node.left, env, lookups)
        if left is True:
            return True
        return _or(left, evaluate(node.right, env, lookups))
    a = evaluate(node.left, env, lookups)
    b = evaluate(node.right, env, lookups)
    if node.op in ("in", "notin"):
        if a is None or b is None:
            return None
        items = [_coerce_pair(a, x)[1] for x in b]
        found = _coerce_pair(a, a)[0] in items
        return found if node.op == "in" else not found
    if node.op in ("+", "-", "*", "/"):
        if a is None or b is None:
            return None
        try:
            result = _arithmetic(node.op, a, b)
        except OverflowError:  # a date before year 1 or after 9999: no such date
            raise EvalError(f"{_show(a)} {node.op} {_show(b)} ger inget datum eller tal som "
                            "finns (utanför år 1–9999?)") from None
        except (TypeError, ValueError):
            if isinstance(a, date) and isinstance(b, Duration):  # year 835352 is out of range
                raise EvalError(f"{_show(a)} {node.op} {_show(b)} ger inget datum som finns "
                                "(utanför år 1–9999?)") from None
            raise EvalError(f"kan inte räkna {_show(a)} {node.op} {_show(b)}") from None
        if isinstance(result, float) and not math.isfinite(result):
            return None  # a float overflow has no value, as x / 0 has none
        return result
    return compare(node.op, a, b)


def _arithmetic(op: str, a: Any, b: Any) -> Any:
    if isinstance(b, Duration) and isinstance(a, date):
        return b.apply(a, -1 if op == "-" else 1)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        if isinstance(a, str | list) or isinstance(b, str | list):
            raise TypeError("repetition")  # 'x' * 10**9 would fill the memory
        return a * b
    return None if b == 0 else a / b


def _show(v: Any) -> str:
    if isinstance(v, Duration):
        return f"{v.count} {v.unit}"
    text = repr(v.isoformat() if isinstance(v, date) else v)
    return text if len(text) <= 60 else text[:60] + "…"


def _call(node: ast.Call, env: dict[str, Any], lookups: Lookups | None) -> Any:
    fn = FUNCTIONS.get(node.func)
    if fn is None:
        raise EvalError(f"okänd funktion {node.func!r}")
    if fn.lazy:  # if(cond, a, b): evaluate only the branch taken
        cond = evaluate(node.args[0], env, lookups)
        return evaluate(node.args[1] if cond is True else node.args[2], env, lookups)
    args = [evaluate(a, env, lookups) for a in node.args]
    kwargs = {k: evaluate(v, env, lookups) for k, v in node.kwargs}
    if fn.needs_lookups:
        if lookups is None:
            raise EvalError(f"{node.func} behöver tillgång till andra fakta")
        return fn.impl(CallContext(lookups, env, holds), *args, **kwargs)
    try:
        return fn.impl(*args, **kwargs)
    except OverflowError:
        raise EvalError(f"{node.func}(…) ger inget datum eller tal som finns (utanför år "
                        "1–9999?)") from None
    except (TypeError, ValueError, ArithmeticError) as exc:
        if isinstance(exc, EvalError):
            raise
        if type(exc).__module__.split(".")[0] in ("engine", "facts"):  # our own, in Swedish
            raise EvalError(str(exc)) from None
        shown = ", ".join(_show(a) for a in args)
        raise EvalError(f"{node.func}({shown}) kan inte räknas ut") from None


def holds(node: ast.Node, env: dict[str, Any], lookups: Lookups | None = None) -> bool:
    """True only if the condition is exactly true (null counts as not holding)."""
    return evaluate(node, env, lookups) is True

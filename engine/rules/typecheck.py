"""Type-check expressions against the fact model, derived values and parameters.

Errors carry the position of the offending node and, for an unknown name, the closest
known name ("menade du 'decided_on'?"). Types: ``date``, ``number``, ``str``, ``bool``,
``list``, ``duration`` (only ever added to or subtracted from a date), ``any`` and ``null``;
inside a look-up the alias has the type ``row:<fact type>``.
"""

from __future__ import annotations

from engine.rules import nodes as ast
from engine.rules.expr import LOOKUP_KINDS
from engine.rules.functions import FUNCTIONS
from engine.rules.lookups import ROW, LookupTypeError, infer_field, infer_lookup, old_form
from engine.rules.valuetypes import suggest, value_type


class TypeCheckError(ValueError):
    def __init__(self, message: str, pos: int):
        self.message = message
        self.pos = pos
        super().__init__(message)


DURATION_USE = "en tidslängd kan bara läggas till eller dras från ett datum (decided_on + 3 months)"
PASS_THROUGH = ("if", "coalesce")  # functions whose result may be a duration


def no_duration(t: str, node: ast.Node) -> str:
    """``t``, unless it is a duration used where none can be."""
    if t == "duration":
        raise TypeCheckError(DURATION_USE, node.pos)
    return t


def compatible(a: str, b: str) -> bool:
    if "duration" in (a, b):
        return False
    if "any" in (a, b) or "null" in (a, b) or a == b:
        return True
    return {a, b} == {"date", "str"}  # ISO text compares with dates


def infer(node: ast.Node, scope: dict[str, str]) -> str:
    """The type of ``node`` given ``scope`` (name → type). Raises TypeCheckError."""
    try:
        return _infer(node, scope)
    except LookupTypeError as exc:
        raise TypeCheckError(exc.message, exc.pos) from None


def _infer(node: ast.Node, scope: dict[str, str]) -> str:
    if isinstance(node, ast.Literal):
        return value_type(node.value)
    if isinstance(node, ast.Name):
        if node.name not in scope:
            known = [k for k, t in scope.items() if not t.startswith(ROW)]
            raise TypeCheckError(f"okänt fält {node.name!r}{suggest(node.name, known)}", node.pos)
        if scope[node.name].startswith(ROW):
            raise TypeCheckError(f"{node.name!r} är en rad ur {scope[node.name][len(ROW):]}; "
                                 f"läs ett fält: {node.name}.fält", node.pos)
        return scope[node.name]
    if isinstance(node, ast.FieldRef):
        return infer_field(node, scope)
    if isinstance(node, ast.Lookup):
        return infer_lookup(node, scope, _infer)
    if isinstance(node, ast.DurationExpr):
        return _duration(node, scope)
    if isinstance(node, ast.ListExpr):
        for item in node.items:
            no_duration(infer(item, scope), item)
        return "list"
    if isinstance(node, ast.Unary):
        t = infer(node.operand, scope)
        if t == "duration":
            raise TypeCheckError(f"{DURATION_USE}; skriv datum - tidslängd", node.pos)
        if node.op == "-" and t not in ("number", "any", "null"):
            raise TypeCheckError(f"minustecken kräver ett tal, inte {t}", node.pos)
        if node.op == "not" and t not in ("bool", "any", "null"):
            raise TypeCheckError(f"'not' kräver ett villkor, inte {t} (skriv t.ex. 'x is null')",
                                 node.pos)
        return "bool" if node.op == "not" else "number"
    if isinstance(node, ast.IsNull):
        no_duration(infer(node.operand, scope), node.operand)
        return "bool"
    if isinstance(node, ast.Binary):
        return _binary(node, scope)
    if isinstance(node, ast.Call):
        return _call(node, scope)
    raise TypeCheckError("okänt uttryck", node.pos)


def _duration(node: ast.DurationExpr, scope: dict[str, str]) -> str:
    t = infer(node.count, scope)
    if t not in ("number", "any", "null"):
        raise TypeCheckError(f"antalet i en tidslängd ska vara ett tal, inte {t}", node.count.pos)
    count = node.count.value if isinstance(node.count, ast.Literal) else 0
    if isinstance(count, float) and not count.is_integer():
        raise TypeCheckError("en tidslängd ska vara ett helt antal", node.count.pos)
    return "duration"


def _date_arithmetic(node: ast.Binary, left: str, right: str) -> str | None:
    """The type of ``date ± duration``; None when neither side is a duration."""
    if "duration" not in (left, right):
        return None
    if node.op in ("+", "-") and right == "duration" and left in ("date", "any", "null"):
        return "date"
    if node.op == "+" and left == "duration" and right in ("date", "any", "null"):
        raise TypeCheckError("skriv datumet först: datum + tidslängd", node.left.pos)
    bad = node.left if left == "duration" else node.right
    if node.op in ("+", "-") and right == "duration":
        raise TypeCheckError(f"en tidslängd kan bara läggas till eller dras från ett datum, "
                             f"inte {left}", node.left.pos)
    raise TypeCheckError(DURATION_USE, bad.pos)


def _binary(node: ast.Binary, scope: dict[str, str]) -> str:
    left, right = infer(node.left, scope), infer(node.right, scope)
    dated = _date_arithmetic(node, left, right)
    if dated is not None:
        return dated
    if node.op in ("and", "or"):
        for t, n in ((left, node.left), (right, node.right)):
            if t not in ("bool", "any", "null"):
                raise TypeCheckError(f"'{node.op}' kräver villkor på båda sidor, inte {t} "
                                     "(skriv t.ex. 'x is not null')", n.pos)
        return "bool"
    if node.op in ("in", "notin"):
        if right not in ("list", "any"):
            raise TypeCheckError("efter 'in' väntas en lista, t.ex. ['SoL', 'LSS']", node.right.pos)
        if isinstance(node.right, ast.ListExpr):
            for item in node.right.items:
                t = infer(item, scope)
                if not compatible(left, t):
                    raise TypeCheckError(f"listan innehåller {t} men fältet är {left}", item.pos)
        return "bool"
    if node.op == "+" and "str" in (left, right) and {left, right} <= {"str", "any", "null"}:
        return "str"  # text + text joins: id + '/' + year
    if node.op in ("+", "-", "*", "/"):
        for t, n in ((left, node.left), (right, node.right)):
            if t not in ("number", "any", "null"):
                hint = ""
                if t == "date":
                    hint = (" (dagar mellan två datum: days_between(a, b))"
                            if node.op == "-" and left == right == "date"
                            else " (flytta ett datum med en tidslängd, t.ex. + 3 months)")
                raise TypeCheckError(f"räkneoperatorn {node.op} kräver tal, inte {t}{hint}", n.pos)
        return "number"
    if not compatible(left, right):
        raise TypeCheckError(f"kan inte jämföra {left} med {right}", node.pos)
    return "bool"


def _call(node: ast.Call, scope: dict[str, str]) -> str:
    if node.func in LOOKUP_KINDS:
        raise TypeCheckError(old_form(node, scope), node.pos)
    fn = FUNCTIONS.get(node.func)
    if fn is None:
        raise TypeCheckError(
            f"okänd funktion {node.func!r}{suggest(node.func, [*FUNCTIONS, *LOOKUP_KINDS])}",
            node.pos,
        )
    arg_types = [infer(a, scope) for a in node.args]
    if node.func not in PASS_THROUGH:
        for t, a in zip(arg_types, node.args, strict=True):
            no_duration(t, a)
    for _, v in node.kwargs:
        no_duration(infer(v, scope), v)
    variadic = bool(fn.params) and fn.params[-1].startswith("*")
    fixed = [p.lstrip("*") for p in fn.params]
    if not variadic and len(arg_types) != len(fixed):
        raise TypeCheckError(
            f"{node.func} tar {len(fixed)} argument men fick {len(arg_types)}", node.pos
        )
    for i, t in enumerate(arg_types):
        want = fixed[min(i, len(fixed) - 1)]
        if want != "any" and not compatible(want, t):
            raise TypeCheckError(
                f"argument {i + 1} till {node.func} ska vara {want}, inte {t}", node.args[i].pos
            )
    allowed = set(fn.kwargs)
    for key, v in node.kwargs:
        if key not in allowed:
            raise TypeCheckError(f"{node.func} har inget argument {key!r}{suggest(key, allowed)}",
                                 v.pos)
    if node.func in ("min", "max", "coalesce"):  # one type: max(1, decided_on) has no answer
        known = [(t, a) for t, a in zip(arg_types, node.args, strict=True)
                 if t not in ("null", "any")]
        for t, a in known[1:]:
            if not compatible(known[0][0], t):
                raise TypeCheckError(f"{node.func} blandar {known[0][0]} och {t}; alla argument "
                                     "ska vara av samma typ", a.pos)
    if fn.returns.startswith("arg"):
        idx = int(fn.returns[3:])
        if fn.params and fn.params[-1].startswith("*"):  # coalesce, min, max: the first non-null
            return next((t for t in arg_types if t != "null"), "null")
        return arg_types[idx] if idx < len(arg_types) else "any"
    return fn.returns

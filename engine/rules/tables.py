"""Decision tables (in the shape of GoRules zen's): bands and matrices without nested ``if()``.

A table has ``inputs`` (expressions over the rule's scope), ``outputs`` (names it defines) and
``rows``; each row maps a column (an input as written, or an output name) to a cell. Input
cells are unary tests (``-`` or empty: any value; ``< 4``; ``<= green_max``; ``[5..9]``;
``(0..1]``; ``'gul'`` or a number: equality; ``'a', 'b'``: any of them), output cells are
literal values. ``hit: first``: the first row whose every input cell holds wins; ``hit:
unique``: two matching rows are an error naming them. No matching row gives null outputs.
Tables are evaluated after ``derive``, in file order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from engine.rules.errors import EvalError
from engine.rules.evaluator import compare, evaluate
from engine.rules.expr import ExprError, parse, parse_unary_tests
from engine.rules.functions import Lookups
from engine.rules.nodes import Literal, Node, Test
from engine.rules.typecheck import TypeCheckError, compatible, infer
from engine.rules.valuetypes import suggest, value_type

# report(column or None, offset in the cell or None, message)
Report = Callable[[Any, int | None, str], None]
_ORDERED = ("number", "date", "str", "any", "null")


@dataclass(frozen=True)
class Row:
    tests: tuple[tuple[Test, ...], ...]  # per input; () = any value
    outputs: dict[str, Any]


@dataclass
class DecisionTable:
    name: str
    hit: str
    inputs: tuple[Node, ...]
    columns: tuple[str, ...]  # the inputs as written (the row keys)
    outputs: tuple[str, ...]
    output_types: dict[str, str]
    rows: tuple[Row, ...]
    origin: str = ""  # "FILE:LINE" of the table, for evaluation errors

    def nodes(self) -> list[Node]:
        """Every expression of the table: the inputs and the values in the cells."""
        return [*self.inputs, *(x for row in self.rows for tests in row.tests for test in tests
                                for x in (test.value, test.high) if x is not None)]

    def decide(self, env: dict[str, Any], lookups: Lookups | None = None) -> dict[str, Any]:
        """The outputs for the names in ``env``: the winning row's, or null for each."""
        values = [evaluate(node, env, lookups) for node in self.inputs]
        hits = []
        for n, row in enumerate(self.rows, start=1):
            if all(_holds(tests, v, env, lookups) for tests, v in zip(row.tests, values, strict=True)):
                hits.append(n)
                if self.hit == "first":
                    break
        if len(hits) > 1:
            shown = ", ".join(f"{c} = {v!r}" for c, v in zip(self.columns, values, strict=True))
            raise EvalError(f"{self.origin}: tabellen {self.name!r} har hit: unique men raderna "
                            f"{', '.join(map(str, hits))} gäller samtidigt ({shown})")
        if not hits:
            return dict.fromkeys(self.outputs)
        winner = self.rows[hits[0] - 1]
        return {o: winner.outputs.get(o) for o in self.outputs}


def _holds(tests: tuple[Test, ...], value: Any, env: dict[str, Any], lookups: Lookups | None) -> bool:
    if not tests:
        return True
    return any(_test(t, value, env, lookups) for t in tests)


def _test(t: Test, value: Any, env: dict[str, Any], lookups: Lookups | None) -> bool:
    bound = evaluate(t.value, env, lookups)
    if t.op != "range":
        return compare(t.op, value, bound) is True
    assert t.high is not None
    high = evaluate(t.high, env, lookups)
    return (compare(">" if t.low_open else ">=", value, bound) is True
            and compare("<" if t.high_open else "<=", value, high) is True)


# ---- loading -------------------------------------------------------------------------------


def build_table(spec: Any, scope: dict[str, str], report: Report, origin: str,
                base: DecisionTable | None = None) -> DecisionTable | None:
    """A checked table from ``spec`` (a schema.DecisionTableSpec, or an override of ``base``).
    Problems go to ``report``; None if there was any."""
    problems = 0

    def bad(column: Any, pos: int | None, message: str) -> None:
        nonlocal problems
        problems += 1
        report(column, pos, message)

    hit = spec.hit or (base.hit if base else "first")
    texts = list(spec.inputs) if spec.inputs is not None else list(base.columns if base else [])
    outputs = tuple(spec.outputs) if spec.outputs is not None else (base.outputs if base else ())
    inputs: list[Node] = []
    types: list[str] = []
    for i, text in enumerate(texts):
        node, t = _input(text, scope, partial(bad, ("inputs", i)))
        inputs.append(node)
        types.append(t)
    if base is not None and outputs != base.outputs:
        bad(("outputs",), None, f"tabellen {spec.name!r} ska ha utdata {', '.join(base.outputs)}")
    for o in outputs:
        if o in scope and base is None:
            bad(("outputs",), None, f"{o!r} finns redan som fält, parameter eller härlett värde")
    out_types: dict[str, str] = {}
    rows = []
    for j, cells in enumerate(spec.rows):
        rows.append(_row(j, cells, texts, types, outputs, out_types, scope, bad))
    for o in outputs:
        want = base.output_types.get(o) if base else None
        if want not in (None, "null") and out_types.get(o, want) != want:
            bad(("outputs",), None, f"utdata {o!r} ska vara {want} som i regelns tabell")
    if problems:
        return None
    return DecisionTable(spec.name, hit, tuple(inputs), tuple(texts), outputs,
                         {o: out_types.get(o, "null") for o in outputs}, tuple(rows), origin)


def _input(text: str, scope: dict[str, str], bad: Callable[[int | None, str], None]) -> tuple[Node, str]:
    try:
        node = parse(text)
        t = infer(node, scope)
    except ExprError as exc:
        bad(exc.pos, exc.message)
        return Literal(0, None), "any"
    except TypeCheckError as exc:
        bad(exc.pos, exc.message)
        return Literal(0, None), "any"
    if t == "duration":
        bad(0, "en tabells indata kan inte vara en tidslängd")
    return node, t


def _row(j: int, cells: dict[str, Any], texts: list[str], types: list[str], outputs: tuple[str, ...],
         out_types: dict[str, str], scope: dict[str, str], bad: Report) -> Row:
    tests: list[tuple[Test, ...]] = [()] * len(texts)
    values: dict[str, Any] = {}
    for column, cell in cells.items():
        where = ("rows", j, column)
        if column in texts:
            i = texts.index(column)
            tests[i] = _cell(cell, types[i], scope, partial(bad, where))
        elif column in outputs:
            if cell is not None and not isinstance(cell, str | int | float | bool):
                bad(where, 0, f"en utdatacell ska vara text, ett tal eller true/false, inte {cell!r}")
                continue
            t = value_type(cell)
            known = out_types.setdefault(column, t) if t != "null" else t
            if t != "null" and known != t:
                bad(where, 0, f"utdata {column!r} är {known} i en tidigare rad men {t} här")
            values[column] = cell
        else:
            hint = suggest(str(column), [*texts, *outputs])
            bad((*where, "__key__"), 0, f"okänd kolumn {column!r}{hint}")
    return Row(tuple(tests), values)


def _cell(cell: Any, input_type: str, scope: dict[str, str],
          bad: Callable[[int | None, str], None]) -> tuple[Test, ...]:
    if cell is None or (isinstance(cell, str) and cell.strip() in ("", "-")):
        return ()
    if isinstance(cell, list):
        bad(0, "skriv cellen inom citattecken, t.ex. \"[5..9]\" (YAML läser [..] som en lista)")
        return ()
    if not isinstance(cell, str):
        if not isinstance(cell, bool | int | float | date):
            bad(0, f"ogiltig cell {cell!r}")
            return ()
        tests: tuple[Test, ...] = (Test(0, "==", Literal(0, cell)),)
    else:
        try:
            tests = parse_unary_tests(cell)
        except ExprError as exc:
            bad(exc.pos, exc.message)
            return ()
    for t in tests:
        try:
            _check_test(t, input_type, scope)
        except TypeCheckError as exc:
            bad(exc.pos if isinstance(cell, str) else 0, exc.message)
    return tests


def _check_test(t: Test, input_type: str, scope: dict[str, str]) -> None:
    for bound in (t.value, t.high):
        if bound is None:
            continue
        bt = infer(bound, scope)
        if not compatible(input_type, bt):
            raise TypeCheckError(f"kan inte jämföra indata ({input_type}) med {bt}", bound.pos)
        if t.op not in ("==", "!=") and (input_type not in _ORDERED or bt not in _ORDERED):
            raise TypeCheckError(f"{t.op if t.op != 'range' else 'ett intervall'} kräver tal, "
                                 f"datum eller text, inte {bt if bt not in _ORDERED else input_type}",
                                 t.pos)

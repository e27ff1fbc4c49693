"""Hypothesis strategies for facts, read from the fact models (``FACT_TYPES[…].model``).

A fact is generated the way the importer meets a register row: a cell for each column (each
field that declares Swedish headers; the fields a model derives itself, such as a balanslista
item's ``due_kind`` or a recurring obligation's ``frequency``, are left to the model). A cell's
values follow the field's annotation (dates 2022–2027, whole numbers, numbers, enums, yes/no,
text; None often when the field is optional; left out sometimes when it has a default), mixed
with :class:`Hints`:

* the constants the shipped rules compare the field with, and their neighbours
  (``cost_tkr >= 10000``: 9999, 9999.9, the floats either side of 10000, 10000, 10000.1,
  10001; a date ± 1 day; ``topic == 'psb'``: ``psb`` and ``psbx``; every value of an enum),
  so equality and boundary branches are hit;
* the values the shipped rules' own examples write for the field (schedules, due texts, case
  references that other facts refer to), shared between the two sides of a look-up's join
  (``s.obligation_id == id``), so look-ups find rows.

:func:`valid` runs a row through ``model.model_validate``; a row the model rejects (executed
before decided, a schedule that does not parse) is dropped, so only facts the importer could
store are used.
"""

from __future__ import annotations

import functools
import math
import sys
import types
import typing
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta
from enum import Enum
from typing import Any

from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from engine.rules.evaluator import evaluate
from engine.rules.loader import LoadedRule
from engine.rules.nodes import Binary, FieldRef, ListExpr, Literal, Lookup, Name, Node, Unary, children, walk
from engine.rules.to_durable import substitute
from facts.fields import headers_of
from facts.types import FACT_TYPES, FactType, fact_type, unwrap_annotation

FIRST_DAY, LAST_DAY = date(2022, 1, 1), date(2027, 12, 31)
COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">=", "in", "notin"})
OMIT = object()  # a column the register does not have: the field's default applies

Field = tuple[str, str]  # (fact type, field)


def columns(ft: FactType) -> list[str]:
    """The fields a register row can give: those that declare headers."""
    return [name for name, info in ft.model.model_fields.items()
            if headers_of(info.json_schema_extra)]


def valid(ft: FactType, row: dict[str, Any]) -> BaseModel | None:
    """The fact the importer would store for ``row``, or None if the model rejects it."""
    try:
        return ft.model.model_validate(row)
    except ValidationError:
        return None


# ---- hints: what the rules compare fields with, and what their examples write ---------------


class Hints:
    """Values worth generating per (fact type, field), collected from a set of rules."""

    def __init__(self, rules: Iterable[LoadedRule]):
        self.constants: dict[Field, list[Any]] = defaultdict(list)  # compared with, any rule
        self.examples: dict[Field, list[Any]] = defaultdict(list)
        self.by_rule: dict[str, dict[Field, list[Any]]] = {}
        self.example_rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        joins: list[tuple[Field, Field]] = []
        for lr in rules:
            found = compared_constants(lr, joins)
            self.by_rule[lr.key] = found
            for f, values in found.items():
                _extend(self.constants[f], values)
            for ex in lr.rule.examples:
                for kind, rows in ex.facts.items():
                    ft = fact_type(kind)
                    for row in rows:
                        self.example_rows[ft.name].append(row)
                        for header, value in row.items():
                            name = ft.field_for(header)
                            if name is not None:
                                _extend(self.examples[(ft.name, name)], [value])
        for a, b in joins:  # both sides of a join draw from the same values
            shared = [*self.examples[a], *self.examples[b]]
            _extend(self.examples[a], shared)
            _extend(self.examples[b], shared)

    @functools.cache  # noqa: B019 - one Hints per test session
    def accepts(self, kind: str, name: str, value: Any) -> bool:
        """True if the model accepts ``value`` for field ``name`` of an example fact of type
        ``kind`` (other fields' complaints, such as an order of dates, do not count)."""
        ft = FACT_TYPES[kind]
        base = next((row for row in self.example_rows.get(ft.name, []) if valid(ft, row)), None)
        if base is None:
            return True
        try:
            ft.model.model_validate({**base, name: value})
        except ValidationError as exc:
            return not any(err["loc"][:1] == (name,) for err in exc.errors())
        return True

    def special(self, f: Field) -> list[Any]:
        """Boundary values of the constants the field is compared with, then example values."""
        ft_name, name = f
        kind = unwrap_annotation(FACT_TYPES[ft_name].model.model_fields[name].annotation)
        out: list[Any] = []
        _extend(out, [v for c in self.constants.get(f, []) for v in neighbours(kind, c)])
        _extend(out, self.examples.get(f, []))
        return out

    def boundaries(self, lr: LoadedRule, f: Field) -> list[Any]:
        """The boundary values of the constants rule ``lr`` compares the field with."""
        kind = unwrap_annotation(FACT_TYPES[f[0]].model.model_fields[f[1]].annotation)
        out: list[Any] = []
        _extend(out, [v for c in self.by_rule[lr.key].get(f, []) for v in neighbours(kind, c)])
        return out


def _extend(target: list[Any], values: Iterable[Any]) -> None:
    for v in values:
        if not any(type(v) is type(t) and v == t for t in target):
            target.append(v)


def compared_constants(lr: LoadedRule, joins: list[tuple[Field, Field]] | None = None
                       ) -> dict[Field, list[Any]]:
    """(fact type, field) → the constants rule ``lr`` compares it with, in ``when``, ``derive``
    and ``each``, parameters substituted. Field-to-field comparisons are added to ``joins``."""
    own = lr.rule.applies_to
    found: dict[Field, list[Any]] = defaultdict(list)

    def field_of(node: Node, aliases: dict[str, str]) -> Field | None:
        if isinstance(node, Name) and node.name in FACT_TYPES[own].model.model_fields:
            return (own, node.name)
        if isinstance(node, FieldRef) and node.alias in aliases:
            return (aliases[node.alias], node.field)
        return None

    def visit(node: Node, aliases: dict[str, str]) -> None:
        if isinstance(node, Lookup):
            aliases = {**aliases, node.alias: node.fact_type}
        if isinstance(node, Binary) and node.op in COMPARISONS:
            left, right = field_of(node.left, aliases), field_of(node.right, aliases)
            if left and right and joins is not None:
                joins.append((left, right))
            for f, other in ((left, node.right), (right, node.left)):
                if f is None:
                    continue
                items = other.items if isinstance(other, ListExpr) else (other,)
                _extend(found[f], [evaluate(i, {}) for i in items if is_constant(i)])
        for child in children(node):
            visit(child, aliases)

    nodes = [lr.when, *lr.derive.values(), *([lr.each] if lr.each is not None else [])]
    for node in nodes:
        visit(substitute(node, lr.params), {})
    return dict(found)


def is_constant(node: Node) -> bool:
    """True if ``node`` reads no name and calls nothing (``true``, ``1900 + 50``)."""
    return all(isinstance(n, Literal | Unary | Binary) for n in walk(node))


def neighbours(kind: Any, value: Any) -> list[Any]:
    """``value`` and the values just either side of it, for a field of type ``kind``."""
    if kind is bool:
        return [True, False]
    if value is None or isinstance(value, bool):
        return [value]
    if kind is date:
        try:
            d = value if isinstance(value, date) else date.fromisoformat(str(value))
        except ValueError:
            return [value]
        return [d - timedelta(days=1), d, d + timedelta(days=1)]
    if isinstance(value, int | float) and kind is int:
        n = int(value)
        return [n - 1, n, n + 1, n + 2**32]  # and a whole number a 32-bit reader would wrap to n
    if isinstance(value, int | float) and kind is float:
        x = float(value)
        return [x - 1, x - 0.1, math.nextafter(x, -math.inf), x, math.nextafter(x, math.inf),
                x + 0.1, x + 1]
    if isinstance(kind, type) and issubclass(kind, Enum):
        return [e.value for e in kind]
    if isinstance(value, str):
        return [value, value + "x"]  # equal, and just not
    return [value]


# ---- strategies -------------------------------------------------------------------------


def _optional(annotation: Any) -> bool:
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    union = isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union
    return union and type(None) in typing.get_args(annotation)


def by_type(kind: Any, accepts: Callable[[Any], bool], year: int) -> st.SearchStrategy[Any]:
    """Values of a field's plain type, around ``year``: half the dates fall in it and years are
    often it or next to it, so one organisation's facts meet (a plan for 2025, the meetings of
    2025). Ranges the field's validator refuses outright (years for a risk level, free text for
    a schedule) are left out; a wide range is always kept, so values the model rejects occur."""
    if kind is bool:
        return st.booleans()
    if kind is date:
        return st.dates(date(year, 1, 1), date(year, 12, 31)) | st.dates(FIRST_DAY, LAST_DAY)
    ranges: list[tuple[Any, st.SearchStrategy[Any]]]
    wide: st.SearchStrategy[Any]
    if kind is int:
        years = st.sampled_from([year - 1, year, year + 1]) | st.integers(2021, 2028)
        ranges = [(5, st.integers(1, 12)), (2024, years), (500, st.integers(0, 10**6))]
        wide = st.integers(-(2**53) + 1, 2**53 - 1)
    elif kind is float:
        ranges = [(50.0, st.floats(0, 100)), (5000.0, st.integers(0, 100_000).map(float))]
        exponents = st.integers(-12, 20) | st.sampled_from([-320, -300, 300, 307, 308])
        magnitudes = st.builds(lambda digit, exp: digit * 10.0**exp, st.integers(1, 9),
                               exponents)  # 2e-05, 1e+16, 9e+307: one digit, any size
        wide = magnitudes | st.floats(allow_nan=False, allow_infinity=False)
    elif isinstance(kind, type) and issubclass(kind, Enum):
        return st.sampled_from([e.value for e in kind])
    else:
        ranges, wide = [("Text 1", st.text(min_size=1, max_size=12))], st.nothing()
    narrow = [s for probe, s in ranges if accepts(probe)]
    return st.one_of(*narrow, *narrow, wide)  # narrow ranges twice as often as the wide one


def cell(ft: FactType, name: str, hints: Hints, year: int) -> st.SearchStrategy[Any]:
    info = ft.model.model_fields[name]
    special = hints.special((ft.name, name))
    values = by_type(unwrap_annotation(info.annotation), lambda v: hints.accepts(ft.name, name, v),
                     year)
    if special:
        values = st.sampled_from(special) | values
    if _optional(info.annotation):
        values = st.none() | values
    if not info.is_required():
        values = st.just(OMIT) | values
    return values


@functools.cache
def rows(kind: str, hints: Hints, year: int) -> st.SearchStrategy[dict[str, Any]]:
    """Register rows of fact type ``kind`` around ``year`` (not yet validated)."""
    ft = FACT_TYPES[kind]
    cells = {name: cell(ft, name, hints, year) for name in columns(ft)}
    return st.fixed_dictionaries(cells).map(
        lambda row: {k: v for k, v in row.items() if v is not OMIT})


def facts(ft: FactType, hints: Hints, year: int, min_size: int, max_size: int
          ) -> st.SearchStrategy[list[BaseModel]]:
    """Valid facts of type ``ft`` around ``year``: generated rows the model accepts (the others
    dropped)."""
    models = rows(ft.name, hints, year).map(lambda row: valid(ft, row))
    return st.lists(models, min_size=min_size, max_size=max_size).map(
        lambda found: [m for m in found if m is not None])


# Numbers at the edges of what the models accept: the largest float and the smallest, floats
# Python writes with a bare exponent (1e+16, 1e-05), the largest whole number a float holds
# exactly and one past 32 bits.
EXTREMES: dict[type, list[Any]] = {
    float: [sys.float_info.max, 5e-324, 1e16, 1e-05],
    int: [2**53 - 1, 2**32 + 1],
}


def extremes(ft: FactType, name: str) -> list[Any]:
    """The extreme values for field ``name`` of ``ft`` (none for a field that is not a number)."""
    return EXTREMES.get(unwrap_annotation(ft.model.model_fields[name].annotation), [])


def variants(row: dict[str, Any], name: str, values: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """``row`` with field ``name`` set to each of ``values`` in turn."""
    for value in values:
        yield {**row, name: value}

"""The EBNF grammar in docs/rules.md and the parser agree.

The ```ebnf block of docs/rules.md is read and parsed here; hypothesis generates sentences
from its productions (``expression`` and ``unary_tests``) and the parser must accept every
one; a few mutations of each must be rejected with the right position. Every operator,
keyword, unit word and look-up the parser knows must occur in the grammar, and every
production must be reachable, so the test fails when the two drift apart in either
direction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.rules.durations import UNIT_WORDS, WORKING, WORKING_TAIL
from engine.rules.expr import KEYWORDS, LOOKUP_KINDS, OPERATORS, ExprError, parse, parse_unary_tests

RULES_MD = ROOT / "docs" / "rules.md"
START = {"expression": parse, "unary_tests": parse_unary_tests}
MAX_DEPTH = 7

# ---- reading the EBNF ------------------------------------------------------------------


@dataclass(frozen=True)
class Lit:
    text: str


@dataclass(frozen=True)
class Ref:
    name: str


@dataclass(frozen=True)
class Chars:
    regex: str  # a character class, or "." (any character but a line break)


@dataclass(frozen=True)
class Rep:
    item: Any
    op: str  # "?", "*" or "+"


@dataclass(frozen=True)
class Seq:
    items: tuple[Any, ...]


@dataclass(frozen=True)
class Alt:
    options: tuple[Any, ...]


@dataclass(frozen=True)
class Minus:
    base: Any
    exclude: Any


_EBNF_TOKEN = re.compile(r"""\s*(?:("[^"]*"|'[^']*')       # a literal
                           |(\[(?:\\.|[^\]\\])*\])        # a character class
                           |([A-Za-z_]\w*)                 # a rule name
                           |(::=|[|()?*+.\-]))""", re.X)


def _ebnf_text() -> str:
    text = RULES_MD.read_text(encoding="utf-8")
    m = re.search(r"^```ebnf\n(.*?)^```", text, re.M | re.S)
    assert m, "docs/rules.md has no ```ebnf block"
    return re.sub(r"\(\*.*?\*\)", "", m.group(1), flags=re.S)


def _tokens(body: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while body[pos:].strip():
        m = _EBNF_TOKEN.match(body, pos)
        assert m, f"cannot read the grammar at {body[pos:pos + 30]!r}"
        kind = ("lit", "chars", "name", "op")[next(i for i in range(4) if m.group(i + 1))]
        out.append((kind, m.group(m.lastindex or 0)))
        pos = m.end()
    return out


class _Reader:
    def __init__(self, tokens: list[tuple[str, str]]):
        self.tokens, self.i = tokens, 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def alt(self) -> Any:
        options = [self.minus()]
        while self.peek() == ("op", "|"):
            self.i += 1
            options.append(self.minus())
        return options[0] if len(options) == 1 else Alt(tuple(options))

    def minus(self) -> Any:
        base = self.seq()
        if self.peek() == ("op", "-"):
            self.i += 1
            return Minus(base, self.seq())
        return base

    def seq(self) -> Any:
        items = []
        while (t := self.peek()) is not None and t not in (("op", "|"), ("op", ")"), ("op", "-")):
            items.append(self.item())
        return items[0] if len(items) == 1 else Seq(tuple(items))

    def item(self) -> Any:
        kind, value = self.tokens[self.i]
        self.i += 1
        atom: Any
        if kind == "lit":
            atom = Lit(value[1:-1])
        elif kind == "chars":
            atom = Chars(value)
        elif kind == "name":
            atom = Ref(value)
        elif value == ".":
            atom = Chars(".")
        else:
            assert value == "(", f"unexpected {value!r} in the grammar"
            atom = self.alt()
            assert self.tokens[self.i] == ("op", ")")
            self.i += 1
        if (t := self.peek()) and t[0] == "op" and t[1] in "?*+":
            self.i += 1
            return Rep(atom, t[1])
        return atom


@cache
def grammar() -> dict[str, Any]:
    rules: dict[str, Any] = {}
    for m in re.finditer(r"^(\w+)\s*::=(.*?)(?=^\w+\s*::=|\Z)", _ebnf_text(), re.M | re.S):
        reader = _Reader(_tokens(m.group(2)))
        rules[m.group(1)] = reader.alt()
        assert reader.i == len(reader.tokens), f"grammar rule {m.group(1)} not read to the end"
    return rules


def _lexical(name: str) -> bool:
    return name.isupper()


def _walk(node: Any) -> list[Any]:
    out = [node]
    for child in {Rep: lambda n: [n.item], Seq: lambda n: n.items, Alt: lambda n: n.options,
                  Minus: lambda n: [n.base, n.exclude]}.get(type(node), lambda n: [])(node):
        out.extend(_walk(child))
    return out


# ---- tokens as regular expressions -----------------------------------------------------


def _regex(node: Any) -> str:
    if isinstance(node, Lit):
        return re.escape(node.text)
    if isinstance(node, Chars):
        return node.regex
    if isinstance(node, Ref):
        return f"(?:{_regex(grammar()[node.name])})"
    if isinstance(node, Rep):
        return f"(?:{_regex(node.item)}){node.op}"
    if isinstance(node, Seq):
        return "".join(_regex(i) for i in node.items)
    if isinstance(node, Alt):
        return "(?:" + "|".join(_regex(o) for o in node.options) + ")"
    if isinstance(node, Minus):
        return _regex(node.base)  # the exclusion is applied when generating
    raise AssertionError(node)


@cache
def token_strategy(name: str) -> st.SearchStrategy[str]:
    node = grammar()[name]
    strategy = st.from_regex(re.compile(_regex(node)), fullmatch=True)
    if isinstance(node, Minus):
        excluded = re.compile(_regex(node.exclude))
        strategy = strategy.filter(lambda s: not excluded.fullmatch(s))
    return strategy


# ---- generating sentences --------------------------------------------------------------


def _height(node: Any, h: dict[str, int] | None = None) -> int:
    """The fewest rule expansions a sentence of ``node`` needs (to stop the recursion)."""
    h = heights() if h is None else h
    if isinstance(node, Ref):
        return 0 if _lexical(node.name) else h[node.name] + 1
    if isinstance(node, Seq):
        return max((_height(i, h) for i in node.items), default=0)
    if isinstance(node, Alt):
        return min(_height(o, h) for o in node.options)
    if isinstance(node, Rep):
        return 0 if node.op in "?*" else _height(node.item, h)
    return 0


@cache
def heights() -> dict[str, int]:
    h = {n: 0 if _lexical(n) else 10**6 for n in grammar()}
    for _ in range(len(h) + 1):
        for name, node in grammar().items():
            if not _lexical(name):
                h[name] = _height(node, h)
    return h


def generate(data: Any, node: Any, depth: int = 0) -> list[str]:
    if isinstance(node, Lit):
        return [node.text]
    if isinstance(node, Ref):
        if _lexical(node.name):
            return [data.draw(token_strategy(node.name))]
        return generate(data, grammar()[node.name], depth + 1)
    if isinstance(node, Rep):
        most = 0 if depth >= MAX_DEPTH else 2
        least = 1 if node.op == "+" else 0
        n = data.draw(st.integers(least, max(least, most if node.op != "?" else min(most, 1))))
        return [t for _ in range(n) for t in generate(data, node.item, depth)]
    if isinstance(node, Seq):
        return [t for i in node.items for t in generate(data, i, depth)]
    if isinstance(node, Alt):
        options = list(node.options)
        if depth >= MAX_DEPTH:
            low = min(_height(o) for o in options)
            options = [o for o in options if _height(o) == low]
        return generate(data, data.draw(st.sampled_from(options)), depth)
    raise AssertionError(f"cannot generate {node!r} outside a token")


GENERATE = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _sentence(data: Any, start: str) -> tuple[str, list[int]]:
    """A sentence of ``start`` and the offsets at which its tokens begin."""
    tokens = generate(data, Ref(start), -1)
    text, starts = "", []
    for t in tokens:
        if text:
            text += data.draw(st.sampled_from([" ", " ", "  ", "\n", "\n  "]))
        starts.append(len(text))
        text += t
    return text, starts


# ---- the tests -------------------------------------------------------------------------


@pytest.mark.parametrize("start", sorted(START))
@GENERATE
@given(data=st.data())
def test_the_parser_accepts_every_sentence_of_the_grammar(start: str, data: Any) -> None:
    text, _ = _sentence(data, start)
    try:
        START[start](text)
    except ExprError as exc:
        pytest.fail(f"the grammar in docs/rules.md allows {text!r} ({start}) but the parser says {exc}")


def _rejected_at(text: str, *positions: int) -> None:
    """``text`` is an ExprError at one of ``positions``, with the matching line and column."""
    with pytest.raises(ExprError) as exc:
        parse(text)
    pos = exc.value.pos
    assert pos in positions, (text, str(exc.value), positions)
    before = text[:pos]
    assert (exc.value.line, exc.value.col) == (before.count("\n") + 1,
                                               pos - (before.rfind("\n") + 1) + 1), text


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_mutated_sentences_are_rejected_with_a_position(data: Any) -> None:
    text, starts = _sentence(data, "expression")
    _rejected_at(text + " )", len(text) + 1)      # a parenthesis too many
    _rejected_at("( " + text, len(text) + 2)       # one too few: the end is reached
    # an operator without an operand: at the end, or at the "+" after a comparison
    _rejected_at(text + " +", len(text) + 2, len(text) + 1)
    at = data.draw(st.sampled_from(starts))
    _rejected_at(text[:at] + "$ " + text[at:], at)  # a character that is no token


def _terminals() -> set[str]:
    return {n.text for node in grammar().values() for n in _walk(node) if isinstance(n, Lit)}


def test_every_token_of_the_parser_is_in_the_grammar() -> None:
    words = {*OPERATORS, *KEYWORDS, *UNIT_WORDS, WORKING, *WORKING_TAIL, *LOOKUP_KINDS} - {"="}
    missing = sorted(words - _terminals())
    assert not missing, f"the parser knows {missing} but the grammar in docs/rules.md does not"
    assert "=" in _terminals()  # keyword arguments


def test_every_production_is_used() -> None:
    used = {n.name for node in grammar().values() for n in _walk(node) if isinstance(n, Ref)}
    unused = sorted(set(grammar()) - used - set(START))
    undefined = sorted(used - set(grammar()))
    assert not unused and not undefined, (unused, undefined)


def test_the_grammar_block_is_read() -> None:
    g = grammar()
    assert {"expression", "lookup", "duration", "unit", "unary_tests", "NAME", "FIELD_REF"} <= set(g)
    assert heights()["expression"] < 10**6  # every production can end

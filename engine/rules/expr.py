"""The expression language of rule files: tokenizer and parser.

The grammar is written out (EBNF) in docs/rules.md, section "Grammar"; tests/test_grammar.py
generates sentences from that block and checks that this parser accepts them, so the two
cannot drift apart. A syntax error raises :class:`ExprError` carrying the 1-based line and
column. The syntax tree is in :mod:`engine.rules.nodes` (re-exported here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.rules.durations import UNIT_WORDS, WORKING, WORKING_TAIL, iso_unit
from engine.rules.nodes import (
    Binary,
    Call,
    DurationExpr,
    FieldRef,
    IsNull,
    ListExpr,
    Literal,
    Lookup,
    Name,
    Node,
    Test,
    Unary,
    calls,
    children,
    lookups,
    names,
    walk,
)

__all__ = ["Binary", "Call", "DurationExpr", "ExprError", "FieldRef", "IsNull", "ListExpr",
           "Literal", "Lookup", "Name", "Node", "Test", "Unary", "calls", "children", "lookups",
           "names", "parse", "parse_unary_tests", "walk"]


class ExprError(ValueError):
    def __init__(self, message: str, text: str, pos: int):
        self.message = message
        self.pos = max(0, min(pos, len(text)))
        before = text[: self.pos]
        self.line = before.count("\n") + 1
        self.col = self.pos - (before.rfind("\n") + 1) + 1
        super().__init__(f"{self.line}:{self.col}: {message}")


# ---- tokens ----------------------------------------------------------------------------

OPERATORS = ("==", "!=", "<=", ">=", "..", "<", ">", "+", "-", "*", "/", "(", ")", "[", "]",
             ",", "=")
_IDENT = r"[A-Za-z_ÅÄÖåäö][\wÅÄÖåäö]*"
_TOKEN = re.compile(
    rf"""
    (?P<ws>\s+)
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<op>{"|".join(re.escape(o) for o in OPERATORS)})
  | (?P<name>{_IDENT}(?:\.{_IDENT})*)
    """,
    re.VERBOSE,
)
KEYWORDS = {"and", "or", "not", "in", "is", "null", "true", "false", "for", "where"}
LOOKUP_KINDS = ("earliest", "latest", "count", "ratio")


@dataclass(frozen=True)
class Token:
    kind: str  # num str op name kw end
    value: str
    pos: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            ch = text[pos]
            if ch in "'\"":
                raise ExprError("strängen saknar avslutande citattecken", text, pos)
            raise ExprError(f"oväntat tecken {ch!r}", text, pos)
        kind = m.lastgroup or ""
        value = m.group()
        if kind == "name" and value in KEYWORDS:
            kind = "kw"
        if kind != "ws":
            tokens.append(Token(kind, value, pos))
        pos = m.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


# ---- parser ----------------------------------------------------------------------------

MAX_DEPTH = 60
_COMPARE = {"==", "!=", "<", "<=", ">", ">="}


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, n: int = 1) -> Token:
        return self.tokens[min(self.i + n, len(self.tokens) - 1)]

    def error(self, message: str, tok: Token | None = None) -> ExprError:
        return ExprError(message, self.text, (tok or self.tok).pos)

    def take(self) -> Token:
        t = self.tok
        self.i += 1
        return t

    def accept(self, value: str) -> Token | None:
        if self.tok.value == value and self.tok.kind in ("op", "kw"):
            return self.take()
        return None

    def expect(self, value: str, hint: str = "") -> Token:
        t = self.accept(value)
        if t is None:
            found = self.tok.value or "slutet av uttrycket"
            raise self.error(f"väntade {value!r} men fann {found!r}{hint}")
        return t

    def expect_name(self, what: str, hint: str = "") -> Token:
        t = self.tok
        if t.kind != "name" or "." in t.value:
            found = t.value or "slutet av uttrycket"
            raise self.error(f"väntade {what} men fann {found!r}{hint}")
        return self.take()

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise self.error("uttrycket är tomt")
        node = self.parse_or()
        self.expect_end()
        return node

    def expect_end(self) -> None:
        if self.tok.kind != "end":
            if self.tok.value == "=":
                raise self.error("skriv == för likhet")
            raise self.error(f"oväntat {self.tok.value!r}")

    def enter(self) -> None:
        """One nesting level deeper; refuse before Python's own recursion limit is reached."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"uttrycket är för djupt nästlat (högst {MAX_DEPTH} nivåer)")

    def parse_or(self) -> Node:
        self.enter()
        node = self.parse_and()
        while (t := self.accept("or")) is not None:
            node = Binary(t.pos, "or", node, self.parse_and())
        self.depth -= 1
        return node

    def parse_and(self) -> Node:
        node = self.parse_not()
        while (t := self.accept("and")) is not None:
            node = Binary(t.pos, "and", node, self.parse_not())
        return node

    def parse_not(self) -> Node:
        t = self.accept("not")
        if t is not None:
            self.enter()
            node = Unary(t.pos, "not", self.parse_not())
            self.depth -= 1
            return node
        return self.parse_compare()

    def parse_compare(self) -> Node:
        node = self.parse_sum()
        t = self.tok
        if t.kind == "op" and t.value in _COMPARE:
            self.take()
            right = self.parse_sum()
            # "x == null" means "x is null" (and != means "is not null"), for Python and durable alike
            if t.value in ("==", "!=") and _is_null(right) != _is_null(node):
                operand = node if _is_null(right) else right
                return IsNull(t.pos, operand, negated=t.value == "!=")
            return Binary(t.pos, t.value, node, right)
        if t.kind == "op" and t.value == "=":
            raise self.error("skriv == för likhet")
        if t.value == "in" and t.kind == "kw":
            self.take()
            return Binary(t.pos, "in", node, self.parse_sum())
        if t.value == "not" and t.kind == "kw" and self.peek().value == "in":
            self.take()
            self.take()
            return Binary(t.pos, "notin", node, self.parse_sum())
        if t.value == "is" and t.kind == "kw":
            self.take()
            negated = self.accept("not") is not None
            if self.accept("null") is None:
                raise self.error("efter 'is' väntas 'null' eller 'not null'")
            return IsNull(t.pos, node, negated)
        return node

    def parse_sum(self) -> Node:
        node = self.parse_product()
        while self.tok.kind == "op" and self.tok.value in ("+", "-"):
            t = self.take()
            node = Binary(t.pos, t.value, node, self.parse_product())
        return node

    def parse_product(self) -> Node:
        node = self.parse_unary()
        while self.tok.kind == "op" and self.tok.value in ("*", "/"):
            t = self.take()
            node = Binary(t.pos, t.value, node, self.parse_unary())
        return node

    def parse_unary(self) -> Node:
        if self.tok.kind == "op" and self.tok.value == "-":
            t = self.take()
            self.enter()
            node = Unary(t.pos, "-", self.parse_unary())
            self.depth -= 1
            return node
        return self.parse_primary()

    def unit(self, count: Node) -> Node:
        """``count`` followed by a duration unit (``3 months``, ``n working days``), or ``count``."""
        t = self.tok
        if t.kind != "name":
            return count
        if t.value in UNIT_WORDS:
            self.take()
            return DurationExpr(count.pos, count, t.value)
        if t.value == WORKING:
            self.take()
            if self.tok.kind != "name" or self.tok.value not in WORKING_TAIL:
                raise self.error("efter 'working' väntas 'days' (working days)")
            self.take()
            return DurationExpr(count.pos, count, "working_days")
        return count

    def parse_primary(self) -> Node:
        t = self.tok
        if t.kind == "num":
            self.take()
            return self.unit(Literal(t.pos, float(t.value) if "." in t.value else int(t.value)))
        if t.kind == "str":
            self.take()
            body = t.value[1:-1]
            return Literal(t.pos, re.sub(r"\\(.)", r"\1", body))
        if t.kind == "kw" and t.value in ("true", "false", "null"):
            self.take()
            return Literal(t.pos, {"true": True, "false": False, "null": None}[t.value])
        if t.kind == "name":
            return self.parse_name()
        if self.accept("(") is not None:
            node = self.parse_or()
            self.expect(")")
            return self.unit(node)
        if self.accept("[") is not None:
            items: list[Node] = []
            if self.accept("]") is None:
                items.append(self.parse_or())
                while self.accept(",") is not None:
                    items.append(self.parse_or())
                self.expect("]")
            return ListExpr(t.pos, tuple(items))
        if t.kind == "end":
            raise self.error("uttrycket tar slut för tidigt")
        raise self.error(f"oväntat {t.value!r}")

    def parse_name(self) -> Node:
        t = self.take()
        if "." in t.value:
            alias, _, rest = t.value.partition(".")
            if "." in rest:
                raise self.error(f"{t.value!r}: bara ett fält kan läsas (alias.fält)", t)
            return FieldRef(t.pos, alias, rest, t.pos + len(alias) + 1)
        iso = iso_unit(t.value)
        if iso is not None:
            return DurationExpr(t.pos, Literal(t.pos, iso[0]), iso[1])
        if self.accept("(") is not None:
            if t.value in LOOKUP_KINDS and self.tok.kind != "str":
                return self.parse_lookup(t)
            return self.parse_call(t)  # the old text form of a look-up is reported by the checker
        return self.unit(Name(t.pos, t.value))

    def parse_lookup(self, name: Token) -> Lookup:
        """After ``earliest(``: ``value for alias in type [where cond] )``; ``count(alias in …)``."""
        self.enter()
        form = {"count": "count(a in typ where villkor)", "ratio": "ratio(villkor for a in typ)"}
        hint = f" (skriv {form.get(name.value, name.value + '(a.fält for a in typ)')})"
        value: Node | None = None
        if name.value != "count":
            value = self.parse_or()
            self.expect("for", hint)
        alias = self.expect_name("ett alias", hint)
        self.expect("in", hint)
        fact_type = self.expect_name("en faktatyp", hint)
        where = self.parse_or() if self.accept("where") is not None else None
        self.expect(")", hint if where is None else "")
        self.depth -= 1
        return Lookup(name.pos, name.value, value, alias.value, alias.pos, fact_type.value,
                      fact_type.pos, where)

    def parse_call(self, name: Token) -> Call:
        args: list[Node] = []
        kwargs: list[tuple[str, Node]] = []
        if self.accept(")") is None:
            while True:
                key_like = self.tok.kind == "name" or self.tok.value == "where"  # old look-up form
                if key_like and self.peek().value == "=" and "." not in self.tok.value:
                    key = self.take().value
                    self.take()
                    kwargs.append((key, self.parse_or()))
                else:
                    if kwargs:
                        raise self.error("positionella argument ska stå före namngivna")
                    args.append(self.parse_or())
                if self.accept(",") is None:
                    break
            self.expect(")")
        return Call(name.pos, name.value, tuple(args), tuple(kwargs))

    # ---- decision-table cells (unary tests) ---------------------------------------------

    def parse_tests(self) -> tuple[Test, ...]:
        if self.tok.kind == "end" or (self.tok.value == "-" and self.peek().kind == "end"):
            return ()  # "-" or empty: any value
        tests = [self.parse_test()]
        while self.accept(",") is not None:
            tests.append(self.parse_test())
        self.expect_end()
        return tuple(tests)

    def parse_test(self) -> Test:
        t = self.tok
        if t.kind == "op" and t.value in _COMPARE:
            self.take()
            return Test(t.pos, t.value, self.parse_sum())
        if t.kind == "op" and t.value in ("[", "("):
            interval = self.parse_interval()
            if interval is not None:
                return interval
        return Test(t.pos, "==", self.parse_sum())

    def parse_interval(self) -> Test | None:
        """``[a..b]``, ``(a..b)``, ``[a..b)``, ``(a..b]``; None (and nothing read) if it is not one."""
        start, depth = self.i, self.depth
        opening = self.take()
        try:
            low = self.parse_sum()
        except ExprError:
            low = None
        if low is None or self.accept("..") is None:
            self.i, self.depth = start, depth
            return None
        high = self.parse_sum()
        closing = self.accept("]") or self.accept(")")
        if closing is None:
            raise self.error("ett intervall slutar med ']' eller ')'")
        return Test(opening.pos, "range", low, high, opening.value == "(", closing.value == ")")


def _is_null(node: Node) -> bool:
    return isinstance(node, Literal) and node.value is None


def parse(text: str) -> Node:
    """Parse one expression. Raises :class:`ExprError` with line and column on bad input."""
    if not isinstance(text, str):
        raise ExprError("uttrycket ska vara text", "", 0)
    node = _Parser(text).parse()
    _check_depth(node, text)
    return node


MAX_TREE_DEPTH = 2 * MAX_DEPTH  # a chain a + b + c … nests without brackets


def _check_depth(node: Node, text: str) -> None:
    """Refuse a tree deeper than the evaluator and the type checker can follow (a chain of
    hundreds of ``+`` or ``and`` nests one level per operator)."""
    stack = [(node, 1)]
    while stack:
        n, depth = stack.pop()
        if depth > MAX_TREE_DEPTH:
            raise ExprError(f"uttrycket är för långt eller djupt nästlat (högst {MAX_TREE_DEPTH} "
                            "nivåer); dela upp det i flera derive-värden", text, getattr(n, "pos", 0))
        stack.extend((c, depth + 1) for c in children(n))


def parse_unary_tests(text: str) -> tuple[Test, ...]:
    """Parse a decision-table input cell (``< 4``, ``'a', 'b'``, ``[5..9]``); () means any."""
    return _Parser(text).parse_tests()

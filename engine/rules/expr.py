"""The expression language of rule files (``when`` conditions and ``derive`` values).

Grammar (lowest precedence first)::

    expr     := or
    or       := and ("or" and)*
    and      := not ("and" not)*
    not      := "not" not | compare
    compare  := sum [ ("==" | "!=" | "<" | "<=" | ">" | ">=") sum
                    | ["not"] "in" sum
                    | "is" ["not"] "null" ]
    sum      := product (("+" | "-") product)*
    product  := unary (("*" | "/") unary)*
    unary    := "-" unary | primary
    primary  := NUMBER | STRING | "true" | "false" | "null" | list
              | NAME | NAME "(" [arg ("," arg)*] ")" | "(" expr ")"
    arg      := [NAME "="] expr
    list     := "[" [expr ("," expr)*] "]"

Strings use single or double quotes. Names are fact fields, derived values or parameters.
A syntax error raises :class:`ExprError` carrying the 1-based line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


class ExprError(ValueError):
    def __init__(self, message: str, text: str, pos: int):
        self.message = message
        self.pos = max(0, min(pos, len(text)))
        before = text[: self.pos]
        self.line = before.count("\n") + 1
        self.col = self.pos - (before.rfind("\n") + 1) + 1
        super().__init__(f"{self.line}:{self.col}: {message}")


# ---- AST -------------------------------------------------------------------------------


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


# ---- tokens ----------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<op>==|!=|<=|>=|<|>|\+|-|\*|/|\(|\)|\[|\]|,|=)
  | (?P<name>[A-Za-z_ÅÄÖåäö][\wÅÄÖåäö]*(?:\.[A-Za-z_ÅÄÖåäö][\wÅÄÖåäö]*)*)
    """,
    re.VERBOSE,
)
KEYWORDS = {"and", "or", "not", "in", "is", "null", "true", "false"}


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

    def expect(self, value: str) -> Token:
        t = self.accept(value)
        if t is None:
            found = self.tok.value or "slutet av uttrycket"
            raise self.error(f"väntade {value!r} men fann {found!r}")
        return t

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise self.error("uttrycket är tomt")
        node = self.parse_or()
        if self.tok.kind != "end":
            if self.tok.value == "=":
                raise self.error("skriv == för likhet")
            raise self.error(f"oväntat {self.tok.value!r}")
        return node

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
        if t.value == "not" and t.kind == "kw" and self.tokens[self.i + 1].value == "in":
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

    def parse_primary(self) -> Node:
        t = self.tok
        if t.kind == "num":
            self.take()
            return Literal(t.pos, float(t.value) if "." in t.value else int(t.value))
        if t.kind == "str":
            self.take()
            body = t.value[1:-1]
            return Literal(t.pos, re.sub(r"\\(.)", r"\1", body))
        if t.kind == "kw" and t.value in ("true", "false", "null"):
            self.take()
            return Literal(t.pos, {"true": True, "false": False, "null": None}[t.value])
        if t.kind == "name":
            self.take()
            if self.accept("(") is not None:
                return self.parse_call(t)
            return Name(t.pos, t.value)
        if self.accept("(") is not None:
            node = self.parse_or()
            self.expect(")")
            return node
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

    def parse_call(self, name: Token) -> Call:
        args: list[Node] = []
        kwargs: list[tuple[str, Node]] = []
        if self.accept(")") is None:
            while True:
                if self.tok.kind == "name" and self.tokens[self.i + 1].value == "=":
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


def _is_null(node: Node) -> bool:
    return isinstance(node, Literal) and node.value is None


def parse(text: str) -> Node:
    """Parse one expression. Raises :class:`ExprError` with line and column on bad input."""
    if not isinstance(text, str):
        raise ExprError("uttrycket ska vara text", "", 0)
    return _Parser(text).parse()


def names(node: Node) -> set[str]:
    """Every name the expression reads (not function names)."""
    out: set[str] = set()

    def walk(n: Node) -> None:
        if isinstance(n, Name):
            out.add(n.name)
        elif isinstance(n, (Unary, IsNull)):
            walk(n.operand)
        elif isinstance(n, Binary):
            walk(n.left)
            walk(n.right)
        elif isinstance(n, ListExpr):
            for i in n.items:
                walk(i)
        elif isinstance(n, Call):
            for a in n.args:
                walk(a)
            for _, a in n.kwargs:
                walk(a)

    walk(node)
    return out


def calls(node: Node) -> list[Call]:
    out: list[Call] = []

    def walk(n: Node) -> None:
        if isinstance(n, Call):
            out.append(n)
            for a in n.args:
                walk(a)
            for _, a in n.kwargs:
                walk(a)
        elif isinstance(n, Unary | IsNull):
            walk(n.operand)
        elif isinstance(n, Binary):
            walk(n.left)
            walk(n.right)
        elif isinstance(n, ListExpr):
            for i in n.items:
                walk(i)

    walk(node)
    return out

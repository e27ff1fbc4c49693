"""Read one rule file (or pack.yaml) as YAML: every way it can be unreadable is one Swedish
problem with its line, never an exception of the YAML library or of Python.

Covered: bytes that are not UTF-8 (the line of the first bad byte), YAML syntax (libyaml's
problem in Swedish, tabs named as such), values YAML cannot build (an unquoted date that does
not exist such as ``2024-02-30``, an unknown ``!!tag``), a key written twice in one mapping,
aliases that refer to themselves and nesting too deep for the loader.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml if built
MAX_BYTES = 2 << 20  # a rule file is a page or two; a larger file is a mistake
MAX_VALUES = 200_000  # values after aliases are expanded (the shipped files have < 2,000)
MAX_DEPTH = 60  # nesting of YAML collections (the shipped files use at most 7)

_PROBLEMS_SV = [
    ("mapping values are not allowed", "ett kolon där det inte får stå (citera värdet, "
                                       "t.ex. \"a: b\")"),
    ("found character that cannot start any token", "ett tecken som inte får inleda ett värde"),
    ("could not find expected ':'", "kolon saknas efter nyckeln"),
    ("did not find expected key", "indraget stämmer inte (en nyckel väntades)"),
    ("did not find expected '-' indicator", "indraget stämmer inte (ett listelement väntades)"),
    ("did not find expected ',' or ']'", "en lista [ … ] är inte stängd"),
    ("did not find expected ',' or '}'", "en mappning { … } är inte stängd"),
    ("found unexpected end of stream", "filen tar slut mitt i ett värde (ett citat som inte "
                                       "är stängt?)"),
    ("found undefined alias", "ett alias (*namn) utan ankare (&namn)"),
    ("found unhashable key", "en lista eller mappning som nyckel"),
    ("could not determine a constructor", "en okänd YAML-tagg (!!…)"),
    ("exceeded maximum nesting depth", f"för djupt nästlad (högst {MAX_DEPTH} nivåer)"),
    ("expected a single document", "filen har flera YAML-dokument (---); en regel per fil"),
    ("control characters are not allowed", "ett styrtecken som inte får stå i en textfil"),
    ("found duplicate anchor", "samma ankare (&namn) två gånger"),
    ("expected alphabetic or numeric character", "ett alias eller ankare utan namn"),
    ("found unknown escape character", "en okänd escape-sekvens (\\…) i en citerad text"),
]


class YamlProblem(ValueError):
    def __init__(self, line: int, message: str, column: int | None = None):
        self.line, self.column, self.message = line, column, message
        super().__init__(message)

    def where(self, path: Path | str) -> str:
        col = f":{self.column}" if self.column else ""
        return f"{path}:{self.line}{col}: {self.message}"


def read_yaml_file(path: Path) -> tuple[str, yaml.Node | None, Any]:
    """``(text, node, data)`` of ``path``. Raises :class:`YamlProblem`."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise YamlProblem(1, f"filen kan inte läsas ({exc.strerror or exc})") from None
    if len(raw) > MAX_BYTES:
        raise YamlProblem(1, f"filen är {len(raw) // 1024} KiB; en regelfil får vara högst "
                             f"{MAX_BYTES >> 20} MiB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        byte = raw[exc.start: exc.start + 1].hex()
        raise YamlProblem(line, f"filen är inte UTF-8 (byte 0x{byte}); spara den som UTF-8") from None
    return (text, *parse_text(text))


def parse_text(text: str) -> tuple[yaml.Node | None, Any]:
    """The node tree and the data of one YAML document. Raises :class:`YamlProblem`."""
    if "\x00" in text:
        raise YamlProblem(text[: text.index("\x00")].count("\n") + 1, "filen innehåller NUL-tecken "
                          "(en binärfil?)")
    try:
        node, data = _parse(text)
    except yaml.YAMLError as exc:
        raise _syntax(exc, text) from None
    except RecursionError:
        raise YamlProblem(1, f"för djupt nästlad (högst {MAX_DEPTH} nivåer)") from None
    return node, data


def _parse(text: str) -> tuple[yaml.Node | None, Any]:
    loader = _LOADER(text)  # composed first: the nodes are checked before they are built
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _check_nodes(node, 0, set(), frozenset())
        if _expanded(node, {}) > MAX_VALUES:
            raise YamlProblem(1, f"aliasen (*namn) gör filen till mer än {MAX_VALUES} värden")
        try:
            data = loader.construct_document(node)
        except ValueError as exc:  # a value YAML recognises but cannot build: 2024-02-30
            raise _bad_value(node, exc) from None
    finally:
        loader.dispose()
    return node, data


def _check_nodes(node: yaml.Node, depth: int, seen: set[int], above: frozenset[int]) -> None:
    line = node.start_mark.line + 1
    if depth > MAX_DEPTH:
        raise YamlProblem(line, f"för djupt nästlad (högst {MAX_DEPTH} nivåer)")
    if id(node) in above:
        raise YamlProblem(line, "ett YAML-alias hänvisar till sig självt (&namn … *namn inuti)")
    if id(node) in seen:  # an alias: checked where its anchor is
        return
    seen.add(id(node))
    above = above | {id(node)}
    if isinstance(node, yaml.MappingNode):
        first: dict[Any, int] = {}
        for key, value in node.value:
            line = key.start_mark.line + 1
            if isinstance(key, yaml.ScalarNode):
                if key.value in first and key.tag != "tag:yaml.org,2002:merge":
                    raise YamlProblem(line, f"nyckeln {key.value!r} står två gånger i samma "
                                            f"mappning (rad {first[key.value]} och {line})")
                first[key.value] = line
            _check_nodes(key, depth + 1, seen, above)
            _check_nodes(value, depth + 1, seen, above)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_nodes(item, depth + 1, seen, above)


def _expanded(node: yaml.Node, sizes: dict[int, int]) -> int:
    """How many values ``node`` becomes with every alias written out (a "billion laughs"
    file is small but expands without end). The tree has no cycles and is at most
    MAX_DEPTH deep (checked first)."""
    if id(node) not in sizes:
        kids = ([n for kv in node.value for n in kv] if isinstance(node, yaml.MappingNode)
                else node.value if isinstance(node, yaml.SequenceNode) else [])
        sizes[id(node)] = 1 + sum(_expanded(k, sizes) for k in kids)
    return sizes[id(node)]


_TIMESTAMP = "tag:yaml.org,2002:timestamp"


def _bad_value(node: yaml.Node, exc: ValueError) -> YamlProblem:
    """The scalar that could not be built (e.g. an unquoted ``2024-02-30``), found again."""
    todo = [node]
    constructor = yaml.constructor.SafeConstructor()
    while todo:
        n = todo.pop()
        if isinstance(n, yaml.MappingNode):
            todo.extend(v for kv in n.value for v in kv)
        elif isinstance(n, yaml.SequenceNode):
            todo.extend(n.value)
        elif isinstance(n, yaml.ScalarNode) and n.tag == _TIMESTAMP:
            try:
                constructor.construct_yaml_timestamp(n)
            except ValueError:
                return YamlProblem(n.start_mark.line + 1, f"{n.value} är inget datum som finns; "
                                   "skriv datum som ÅÅÅÅ-MM-DD", n.start_mark.column + 1)
    return YamlProblem(1, f"ett värde som YAML inte kan läsa ({exc})")


def _syntax(exc: yaml.YAMLError, text: str) -> YamlProblem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, None)
    if isinstance(exc, yaml.reader.ReaderError):
        line = text[: exc.position].count("\n") + 1
        return YamlProblem(line, f"ett styrtecken ({exc.character!r}) som inte får stå i en textfil")
    problem = str(getattr(exc, "problem", None) or exc).splitlines()[0]
    if mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t":
        return YamlProblem(line, "ett tabbtecken i indraget; YAML dras in med mellanslag", col)
    for english, swedish in _PROBLEMS_SV:
        if english in problem:
            return YamlProblem(line, f"ogiltig YAML: {swedish}", col)
    problem = re.sub(r"\s+", " ", problem)
    return YamlProblem(line, f"ogiltig YAML (YAML-läsarens text: {problem})", col)

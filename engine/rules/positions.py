"""Where things are in a rule file: the line of every YAML node, and the file line and column
of an offset inside a YAML scalar (an expression), whatever its style.

YAML may fold a scalar (``>``, plain and quoted scalars over several lines turn line breaks
into spaces) and unescape it (``\\"``, ``''``), so the value's offsets are not the file's.
:meth:`Positions.offset` aligns the value with the source text character by character.
"""

from __future__ import annotations

from typing import Any

import yaml


class Positions:
    """Line/column of every YAML node by its key path."""

    def __init__(self, node: yaml.Node | None, text: str = ""):
        self.text = text
        self.marks: dict[tuple[Any, ...], yaml.Node] = {}
        self._line_starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                self._line_starts.append(i + 1)
        if node is not None:
            self._walk(node, ())

    def _walk(self, node: yaml.Node, path: tuple[Any, ...]) -> None:
        self.marks[path] = node
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                self.marks[(*path, k.value, "__key__")] = k
                self._walk(v, (*path, k.value))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                self._walk(v, (*path, i))

    def line(self, path: tuple[Any, ...]) -> int:
        while path and path not in self.marks:
            path = path[:-1]
        node = self.marks.get(path)
        return node.start_mark.line + 1 if node else 1

    def _line_col(self, index: int) -> tuple[int, int]:
        lo, hi = 0, len(self._line_starts) - 1
        while lo < hi:  # the last line start <= index
            mid = (lo + hi + 1) // 2
            if self._line_starts[mid] <= index:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1, index - self._line_starts[lo] + 1

    def offset(self, path: tuple[Any, ...], pos: int) -> tuple[int, int]:
        """File line and column of offset ``pos`` in the value of the scalar at ``path``."""
        node = self.marks.get(path)
        if node is not None and not isinstance(node, yaml.ScalarNode):  # a list or mapping
            return node.start_mark.line + 1, node.start_mark.column + 1
        if node is None:
            return self.line(path), pos + 1
        start, end = node.start_mark.index, node.end_mark.index
        source = self.text[start:end]
        if node.style in ("|", ">"):  # the content starts on the line after the indicator
            first = source.find("\n")
            skip = first + 1 if first >= 0 else len(source)
        else:
            skip = 1 if node.style in ("'", '"') else 0
        index = _align(node.value, source, skip, pos)
        return self._line_col(start + index)

    def expr_pos(self, path: tuple[Any, ...], line: int, col: int) -> tuple[int, int]:
        """File line and column of (line, col), 1-based, inside the expression at ``path``."""
        node = self.marks.get(path)
        value = node.value if isinstance(node, yaml.ScalarNode) else ""
        lines = value.split("\n")
        pos = sum(len(x) + 1 for x in lines[: line - 1]) + col - 1
        return self.offset(path, pos)


def _align(value: str, source: str, skip: int, pos: int) -> int:
    """The index in ``source`` of character ``pos`` of ``value`` (``pos == len(value)``: just
    after the last one). ``value`` is what YAML made of ``source[skip:]``: the same characters
    in order, except that line breaks (with indentation) may have become one space and that
    escapes and doubled quotes stand for one character."""
    j = skip
    last = skip - 1
    for i, ch in enumerate(value):
        while j < len(source) and source[j] != ch and not (ch == " " and source[j] in " \n\t"):
            j += 1
        if j >= len(source):
            return last + 1 if i >= pos else last
        if i == pos:
            return j
        last = j
        if ch == " ":  # a folded line break: skip the indentation of the next line
            while j + 1 < len(source) and source[j + 1] in " \t\n" and (
                    i + 1 >= len(value) or value[i + 1] not in " \t\n"):
                j += 1
        j += 1
    return last + 1

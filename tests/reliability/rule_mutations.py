"""Mutations of the shipped rule files, as a careless editor or a hostile one would make them.

Each mutator takes a random generator and one rule file's text and returns the pack folder's
rule files as ``{file name: bytes}`` (usually one file; "duplicate id" gives two). They are
the classes the reliability campaign measured: non-UTF-8 bytes, truncation, unquoted bad dates,
unknown keys, deep nesting (YAML and expressions), huge version numbers, ``max()`` of a number
and a date, bad Jinja, wrong types, duplicate ids and tabs, and a few more of the same kind.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

import yaml

Files = dict[str, bytes]
Mutator = Callable[[random.Random, str, str], Files]

_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def _one(name: str, text: str | bytes) -> Files:
    return {name: text if isinstance(text, bytes) else text.encode("utf-8")}


def _data(text: str) -> dict[str, Any]:
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)


def non_utf8(rng: random.Random, name: str, text: str) -> Files:
    raw = text.encode("utf-8")
    if rng.random() < 0.3:  # the whole file saved in Windows-1252 (å, ä, ö as single bytes)
        return _one(name, text.encode("cp1252", errors="replace"))
    at = rng.randrange(len(raw))
    junk = rng.choice([b"\xff", b"\xe5", b"\x80\x81", b"\xc3", b"\xfe\xff", b"\x00", b"\xed\xa0\x80"])
    return _one(name, raw[:at] + junk + raw[at:])


def truncate(rng: random.Random, name: str, text: str) -> Files:
    raw = text.encode("utf-8")
    return _one(name, raw[: rng.randrange(len(raw))])  # may cut a UTF-8 character in half


BAD_DATES = ["2024-02-30", "2024-13-01", "2024-00-10", "0000-01-01", "2023-02-29", "9999-12-32",
             "2024-1-1", "2024-06-31"]


def bad_date(rng: random.Random, name: str, text: str) -> Files:
    spots = list(_DATE.finditer(text))
    bad = rng.choice(BAD_DATES)
    if not spots or rng.random() < 0.3:
        return _one(name, text.replace("\nversion:", f"\nvalid_from: {bad}\nversion:", 1))
    m = rng.choice(spots)
    return _one(name, text[: m.start()] + bad + text[m.end():])


def _mappings(node: Any, out: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        out.append(node)
        for v in node.values():
            _mappings(v, out)
    elif isinstance(node, list):
        for v in node:
            _mappings(v, out)
    return out


def unknown_key(rng: random.Random, name: str, text: str) -> Files:
    data = _data(text)
    target = rng.choice(_mappings(data, []))
    target[rng.choice(["okand", "tittle", "whn", "Finding", "due_date", "reciepients", "x"])] = 1
    return _one(name, _dump(data))


def yaml_nesting(rng: random.Random, name: str, text: str) -> Files:
    n = rng.choice([60, 500, 3000, 20_000, 100_000])
    deep = rng.choice(["[" * n + "]" * n, "{a: " * n + "1" + "}" * n, "".join(
        f"{'  ' * i}a:\n" for i in range(min(n, 3000))) + "  " * min(n, 3000) + "b: 1"])
    key = rng.choice(["derive", "params", "finding", "examples", "zz"])
    if deep.startswith(("[", "{")):
        return _one(name, f"{text}\n{key}: {deep}\n" if key == "zz" else text.replace(
            f"\n{key}:", f"\n{key}: {deep}\n{key}_old:", 1))
    return _one(name, f"{text}\n{deep}\n")


def expr_nesting(rng: random.Random, name: str, text: str) -> Files:
    n = rng.choice([50, 300, 1000, 5000, 50_000])
    expr = rng.choice(["(" * n + "true" + ")" * n, "not " * n + "true", " + ".join(["1"] * n) + " > 0",
                       "[" * n + "]" * n + " == []", "coalesce(" * n + "true" + ")" * n,
                       "-" * n + "1 > 0"])
    return _one(name, re.sub(r"\nwhen: .*", lambda _: f'\nwhen: "{expr}"', text, count=1))


def huge_version(rng: random.Random, name: str, text: str) -> Files:
    value = rng.choice(["99999999999999999999999", str(2**63), str(10**400), "-1", "0", "1.5",
                        "1e309", ".inf", ".nan", "ett", "2.0", "0x7fffffffffffffff", "true"])
    return _one(name, re.sub(r"\nversion: .*", f"\nversion: {value}", text, count=1))


def _date_field(text: str) -> str:
    for f in ("decided_on", "interrupted_on", "received_on", "meeting_on", "valid_from", "due_on",
              "start_on", "occurred_on", "reported_on"):
        if f in text:
            return f
    return "as_of"


MIXED = ["max(1, {d})", "min({d}, 'x')", "max({d}, 2.5, 'a')", "{d} + 99999999 days",
         "{d} - 1", "{d} > 3", "1 / 0", "{d} + 1", "'a' - 1", "max()", "{d} + 400000 years",
         "{d} + 10000000 months", "count(1)", "1 % 0", "{d} == 'x'", "if({d}, 1, 'a')"]


def type_clash(rng: random.Random, name: str, text: str) -> Files:
    """A derived value that mixes types (``max()`` of a number and a date …), used by ``when``."""
    data = _data(text)
    expr = rng.choice(MIXED).format(d=_date_field(text))
    derive = data.get("derive") if isinstance(data.get("derive"), dict) else {}
    data["derive"] = {**derive, "blandat": expr}
    if rng.random() < 0.5:
        data["when"] = f"({data.get('when', 'true')}) and blandat is not null"
    else:
        finding = data.get("finding") or {}
        finding["why"] = f"{finding.get('why', '')} {{{{ blandat }}}}"
        data["finding"] = finding
    return _one(name, _dump(data))


BAD_JINJA = [
    "{{ ''.__class__.__mro__[1].__subclasses__()|length }}", "{{ 1/0 }}", "{{ subject|okant }}",
    "{{ nosuchname }}", "{% if %}", "{{ subject", "{% for x in subject %}{{ x }}", "{{ subject.__class__ }}",
    "{{ cycler.__init__.__globals__ }}", "{{ subject|int(1, 2, 3) }}", "{{ range(10**9)|list|length }}",
    "{{ subject * 100000000 }}", "{% raw %}", "{{ due_on.year / 0 }}", "{{ as_of|dagar(1, 2) }}",
    "{{ frist_status() }}", "{{ subject[1000] }}", "{% include 'x' %}", "{% extends 'x' %}",
    "{{ lipsum() }}", "{{ (1,)|batch(0)|list }}", "{{ self }}", "{{ '%s' % subject }}",
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "{{ subject|datum|dagar|upper }}",
    "{{ status|attr('__class__') }}", "{{ days_left + 'x' }}", "{{ ['a']|join(1) }}",
]


def bad_jinja(rng: random.Random, name: str, text: str) -> Files:
    data = _data(text)
    finding = data.get("finding")
    if not isinstance(finding, dict):
        return _one(name, text)
    bad = rng.choice(BAD_JINJA)
    why = str(finding.get("why", ""))
    finding["why"] = bad if rng.random() < 0.3 else f"{why} {bad}"
    return _one(name, _dump(data))


WRONG = [[], {}, 5, None, "x", True, 1.5, [1, 2], {"a": 1}, "2024-01-01", -3, "", ["x"]]


def _paths(node: Any, path: tuple[Any, ...], out: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    if path:
        out.append(path)
    if isinstance(node, dict):
        for k, v in node.items():
            _paths(v, (*path, k), out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _paths(v, (*path, i), out)
    return out


def wrong_type(rng: random.Random, name: str, text: str) -> Files:
    data = _data(text)
    path = rng.choice(_paths(data, (), []))
    parent: Any = data
    for p in path[:-1]:
        parent = parent[p]
    parent[path[-1]] = rng.choice(WRONG)
    return _one(name, _dump(data))


def duplicate_id(rng: random.Random, name: str, text: str) -> Files:
    files = _one(name, text)
    if rng.random() < 0.5:  # a copy of the file under another name
        files[f"kopia-{name}"] = text.encode()
    else:  # the same key twice in one mapping
        key = rng.choice(["id", "version", "when", "title"])
        files[name] = re.sub(rf"\n{key}: (.*)", lambda m: f"\n{key}: {m[1]}\n{key}: {m[1]}x",
                             text, count=1).encode()
    return files


def tabs(rng: random.Random, name: str, text: str) -> Files:
    lines = text.split("\n")
    indented = [i for i, line in enumerate(lines) if line.startswith(" ")] or [0]
    for i in rng.sample(indented, k=min(len(indented), rng.choice([1, 3, 1000]))):
        lines[i] = "\t" + lines[i].lstrip(" ")
    return _one(name, "\n".join(lines))


def odd_document(rng: random.Random, name: str, text: str) -> Files:
    return _one(name, rng.choice([
        b"", b"# bara en kommentar\n", b"- en\n- lista\n", b"42\n", b"null\n", b"---\n---\n",
        b"a: &a [*a]\n", b"id: x\n---\nid: y\n", text.encode() + b"\n---\nid: andra\n",
        b"\xef\xbb\xbf" + text.encode(), text.replace("\n", "\r").encode(), bytes(range(256)),
        b"id: !!python/object/apply:os.system ['true']\n", b"? [a, b]\n: c\n" + text.encode(),
        b"a: " + b"&x " * 3 + b"1\n", text.encode() + b"\n" + b"x" * 300_000 + b": 1\n",
    ]))


def scramble(rng: random.Random, name: str, text: str) -> Files:
    lines = text.split("\n")
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    if rng.random() < 0.5:
        lines[i], lines[j] = lines[j], lines[i]
    else:
        del lines[i]
    return _one(name, "\n".join(lines))


MUTATORS: dict[str, Mutator] = {
    "non_utf8": non_utf8, "truncate": truncate, "bad_date": bad_date, "unknown_key": unknown_key,
    "yaml_nesting": yaml_nesting, "expr_nesting": expr_nesting, "huge_version": huge_version,
    "type_clash": type_clash, "bad_jinja": bad_jinja, "wrong_type": wrong_type,
    "duplicate_id": duplicate_id, "tabs": tabs, "odd_document": odd_document, "scramble": scramble,
}

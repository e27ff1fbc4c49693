"""Load rule packs from ``rules/``: YAML → pydantic → parsed, type-checked, compiled rules.

Every problem becomes one line ``file:line[:col]: message`` (column for expressions), and
all problems of all files are collected before :class:`RuleLoadError` is raised.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import yaml
from pydantic import ValidationError

from engine.rules.expr import ExprError, Node, calls, parse
from engine.rules.schema import Pack, Rule
from engine.rules.to_durable import Compiled, CompileError, compile_when
from engine.rules.typecheck import TypeCheckError, infer, model_types, suggest, value_type
from facts.readers import parse_yaml
from facts.types import FACT_TYPES

# Names a "why" template may use besides fact fields, derived values and parameters.
WHY_NAMES = {"status", "status_sv", "as_of", "due_on", "done_on", "start_on", "late_days",
             "days_overdue", "days_left", "subject", "rule_id", "rule_title"}


class RuleLoadError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class LoadedRule:
    rule: Rule
    path: Path
    pack: str
    params: dict[str, Any]
    derive: dict[str, Node]
    when: Node
    subject: Node
    start: Node | None
    due: Node
    done: Node | None
    compiled: Compiled
    basis_when: list[Node | None]
    why: jinja2.Template
    each: Node | None = None
    why_names: frozenset[str] = frozenset()
    related_types: set[str] = field(default_factory=set)
    revision: str = ""

    @property
    def key(self) -> str:
        return f"{self.rule.id}@{self.rule.version}"

    @property
    def ruleset_name(self) -> str:
        return f"{self.key}#{self.revision[:12]}"


@dataclass
class RuleSet:
    packs: dict[str, Pack]
    rules: list[LoadedRule]
    revision: str

    def by_id(self, rule_id: str) -> list[LoadedRule]:
        return [r for r in self.rules if r.rule.id == rule_id]

    def valid_on(self, d: Any) -> list[LoadedRule]:
        return [r for r in self.rules if r.rule.valid_on(d)]


class _Positions:
    """Line/column of every YAML node by its key path."""

    def __init__(self, node: yaml.Node | None, text: str = ""):
        self.lines = text.splitlines()
        self.marks: dict[tuple[Any, ...], yaml.Node] = {}
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

    def expr_pos(self, path: tuple[Any, ...], line: int, col: int) -> tuple[int, int]:
        """File line and column of (line, col) inside the expression at ``path``."""
        node = self.marks.get(path)
        if node is None or not isinstance(node, yaml.ScalarNode):
            return self.line(path), col
        start = node.start_mark
        if node.style in ("|", ">"):
            # Block scalar: the content starts on the next line, at that line's indentation.
            index = start.line + line  # 0-based index of the content line
            content = self.lines[index] if index < len(self.lines) else ""
            indent = len(content) - len(content.lstrip(" "))
            return index + 1, indent + col
        offset = 1 if node.style in ("'", '"') else 0
        if line == 1:
            return start.line + 1, start.column + offset + col
        return start.line + line, col


def _revision(text: str, params: dict[str, Any]) -> str:
    digest = hashlib.sha256(text.encode())
    digest.update(json.dumps(params, sort_keys=True, default=str).encode())
    return digest.hexdigest()


class _FileLoader:
    def __init__(self, path: Path, pack: str, overrides: dict[str, Any]):
        self.path = path
        self.pack = pack
        self.overrides = overrides
        self.problems: list[str] = []
        self.pos = _Positions(None)
        self.why_names: frozenset[str] = frozenset()

    def err(self, path: tuple[Any, ...], message: str) -> None:
        self.problems.append(f"{self.path}:{self.pos.line(path)}: {message}")

    def expr_err(self, path: tuple[Any, ...], line: int, col: int, message: str) -> None:
        fl, fc = self.pos.expr_pos(path, line, col)
        self.problems.append(f"{self.path}:{fl}:{fc}: {message}")

    def parse_expr(self, path: tuple[Any, ...], text: str, scope: dict[str, str]) -> Node | None:
        try:
            node = parse(text)
        except ExprError as exc:
            self.expr_err(path, exc.line, exc.col, exc.message)
            return None
        try:
            infer(node, scope)
        except TypeCheckError as exc:
            before = text[: exc.pos]
            line = before.count("\n") + 1
            col = exc.pos - (before.rfind("\n") + 1) + 1
            self.expr_err(path, line, col, exc.message)
            return None
        return node

    def load(self) -> LoadedRule | None:
        text = self.path.read_text(encoding="utf-8")
        try:
            node, data = parse_yaml(text)
            self.pos = _Positions(node, text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{mark.line + 1}:{mark.column + 1}" if mark else "1"
            self.problems.append(f"{self.path}:{where}: ogiltig YAML: {getattr(exc, 'problem', exc)}")
            return None
        if not isinstance(data, dict):
            self.problems.append(f"{self.path}:1: en regelfil ska vara en mappning")
            return None
        try:
            rule = Rule.model_validate(data)
        except ValidationError as exc:
            for e in exc.errors():
                loc = tuple(e["loc"])
                msg = str(e["msg"]).removeprefix("Value error, ")
                if e["type"] == "extra_forbidden":
                    known = Rule.model_fields if len(loc) == 1 else {}
                    msg = f"okänd nyckel {loc[-1]!r}{suggest(str(loc[-1]), known)}"
                    self.err((*loc, "__key__"), msg)
                    continue
                if e["type"] == "missing":
                    msg = "saknas"
                self.err(loc, f"{'.'.join(str(p) for p in loc)}: {msg}")
            return None
        return self.check(rule, text)

    def check(self, rule: Rule, text: str) -> LoadedRule | None:
        if rule.applies_to not in FACT_TYPES:
            self.err(("applies_to",), f"okänd faktatyp {rule.applies_to!r}"
                     f"{suggest(rule.applies_to, FACT_TYPES)}")
            return None
        ft = FACT_TYPES[rule.applies_to]
        params = {k: p.default for k, p in rule.params.items()}
        for key, value in self.overrides.items():
            if key in rule.params:
                choices = rule.params[key].choices
                if choices and value not in choices:
                    self.err(("params", key), f"värdet {value!r} för {key} i config.toml är "
                             f"inte tillåtet; välj {', '.join(map(str, choices))}")
                params[key] = value
        scope = model_types(ft.model)
        scope.update({k: value_type(v) for k, v in params.items()})
        each = None
        if rule.each is not None:
            each = self.parse_expr(("each",), rule.each, scope)
            if each is not None and infer(each, scope) not in ("list", "any"):
                self.err(("each",), "each ska ge en lista med datum, t.ex. monthly(valid_from, valid_to)")
            scope["occurrence"] = "date"
        derive: dict[str, Node] = {}
        for name, expr in rule.derive.items():
            if name in scope:
                self.err(("derive", name, "__key__"), f"{name!r} finns redan som fält eller parameter")
                continue
            node = self.parse_expr(("derive", name), expr, scope)
            if node is not None:
                derive[name] = node
                scope[name] = infer(node, scope)
        when = self.parse_expr(("when",), rule.when, scope)
        spec = rule.finding
        nodes: dict[str, Node | None] = {}
        for key in ("subject", "start", "due", "done"):
            expr = getattr(spec, key)
            if expr is None:
                nodes[key] = None
                continue
            node = self.parse_expr(("finding", key), expr, scope)
            nodes[key] = node
            if node is not None and key != "subject" and infer(node, scope) not in ("date", "any"):
                self.err(("finding", key), f"finding.{key} ska vara ett datum")
        for i, r in enumerate(spec.recipients):
            if r in scope and scope[r] not in ("str", "any"):
                self.err(("finding", "recipients", i), f"mottagarfältet {r!r} är inte text")
        basis_when = [
            self.parse_expr(("legal_basis", i, "when"), b.when, scope) if b.when else None
            for i, b in enumerate(rule.legal_basis)
        ]
        why = self.template(rule.finding.why, scope)
        compiled = None
        if when is not None:
            try:
                compiled = compile_when(when, params)
            except CompileError as exc:
                self.expr_err(("when",), 1, exc.pos + 1, str(exc))
        if self.problems or when is None or compiled is None or why is None or nodes["due"] is None:
            return None
        related = {
            str(getattr(c.args[0], "value", ""))
            for n in [*derive.values(), *(v for v in nodes.values() if v is not None), when,
                      *([each] if each else [])]
            for c in calls(n)
            if c.func in ("earliest", "latest", "count", "ratio") and c.args
        }
        every = [*derive.values(), when, *(v for v in nodes.values() if v is not None),
                 *([each] if each else [])]
        if any(c.func in ("next_meeting", "meetings") for n in every for c in calls(n)):
            related.add("meeting")
        for t in related - set(FACT_TYPES):
            self.err(("derive",), f"okänd faktatyp {t!r} i en funktion{suggest(t, FACT_TYPES)}")
        return LoadedRule(
            rule=rule, path=self.path, pack=self.pack, params=params, derive=derive, when=when,
            subject=nodes["subject"] or parse("id"), start=nodes["start"], due=nodes["due"],
            done=nodes["done"], compiled=compiled, basis_when=basis_when, why=why,
            related_types=related & set(FACT_TYPES), revision=_revision(text, params),
            each=each, why_names=self.why_names,
        )

    def template(self, source: str, scope: dict[str, str]) -> jinja2.Template | None:
        env = _jinja_env()
        try:
            ast = env.parse(source)
        except jinja2.TemplateSyntaxError as exc:
            self.expr_err(("finding", "why"), exc.lineno, 1, f"mallfel: {exc.message}")
            return None
        used = jinja2.meta.find_undeclared_variables(ast)
        unknown = used - set(scope) - WHY_NAMES
        for name in sorted(unknown):
            self.err(("finding", "why"), f"okänt namn {name!r} i why{suggest(name, [*scope, *WHY_NAMES])}")
        self.why_names = frozenset(used)
        return None if unknown else env.from_string(source)


def _jinja_env() -> jinja2.Environment:
    return jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False,
                              keep_trailing_newline=False)


def load_rules(directory: str | Path, config_params: Any = None) -> RuleSet:
    """Load every pack under ``directory`` (``<pack>/pack.yaml`` + ``<pack>/*.yaml``).

    ``config_params(rule_id) -> dict`` supplies installation overrides (config.toml).
    """
    root = Path(directory)
    if not root.is_dir():
        raise RuleLoadError([f"{root}: regelkatalogen finns inte"])
    problems: list[str] = []
    packs: dict[str, Pack] = {}
    rules: list[LoadedRule] = []
    for pack_dir in sorted(p for p in root.iterdir() if p.is_dir() and p.name[0] not in "._"):
        meta = pack_dir / "pack.yaml"
        if not meta.exists():
            problems.append(f"{meta}:1: pack.yaml saknas (name, title)")
            continue
        try:
            pack = Pack.model_validate(yaml.safe_load(meta.read_text(encoding="utf-8")))
        except (ValidationError, yaml.YAMLError) as exc:
            problems.append(f"{meta}:1: ogiltig pack.yaml: {str(exc).splitlines()[0]}")
            continue
        packs[pack.name] = pack
        for path in sorted(pack_dir.glob("*.yaml")):
            if path.name == "pack.yaml":
                continue
            rule_id = _peek_id(path)
            overrides = config_params(rule_id) if config_params and rule_id else {}
            loader = _FileLoader(path, pack.name, overrides)
            loaded = loader.load()
            problems.extend(loader.problems)
            if loaded is not None:
                rules.append(loaded)
    problems.extend(_check_versions(rules))
    if problems:
        raise RuleLoadError(problems)
    revision = hashlib.sha256("".join(sorted(r.revision for r in rules)).encode()).hexdigest()
    return RuleSet(packs, rules, revision)


def _peek_id(path: Path) -> str | None:
    try:
        _, data = parse_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return None
    return str(data.get("id")) if isinstance(data, dict) and data.get("id") else None


def _check_versions(rules: list[LoadedRule]) -> list[str]:
    problems = []
    seen: dict[str, LoadedRule] = {}
    by_id: dict[str, list[LoadedRule]] = {}
    for r in rules:
        if r.key in seen:
            problems.append(f"{r.path}:1: {r.key} finns redan i {seen[r.key].path}")
        seen[r.key] = r
        by_id.setdefault(r.rule.id, []).append(r)
    for versions in by_id.values():
        versions.sort(key=lambda r: (r.rule.valid_from or __import__("datetime").date.min))
        for a, b in zip(versions, versions[1:], strict=False):
            if a.rule.valid_to is None or (b.rule.valid_from and a.rule.valid_to >= b.rule.valid_from):
                problems.append(f"{b.path}:1: giltighetstiden för {b.key} överlappar {a.key}; "
                                f"sätt valid_to på den äldre versionen")
    return problems

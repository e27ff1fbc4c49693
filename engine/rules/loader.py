"""Load rule packs from ``rules/``: YAML → pydantic → parsed, type-checked, compiled rules.

Every problem becomes one line ``file:line[:col]: message`` (column for expressions and
table cells), and all problems of all files are collected before :class:`RuleLoadError` is
raised.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from engine.rules.expr import ExprError, Node, parse
from engine.rules.kinds import finding_nodes
from engine.rules.loaded import LoadedRule, RuleSet
from engine.rules.lookups import related_types
from engine.rules.positions import Positions
from engine.rules.recipients import Recipient, RecipientError, parse_recipient
from engine.rules.schema import DecisionTableSpec, Rule, TableOverride
from engine.rules.tables import DecisionTable, build_table
from engine.rules.templates import WHY_NAMES, TemplateProblem, compile_why, try_render
from engine.rules.to_durable import CompileError, compile_when
from engine.rules.typecheck import DURATION_USE, TypeCheckError, infer
from engine.rules.valuetypes import model_types, suggest, value_type
from engine.rules.yamlfile import YamlProblem, read_yaml_file
from facts.errors import UserError
from facts.pydantic_sv import message_sv
from facts.types import FACT_TYPES

__all__ = ["WHY_NAMES", "FileLoader", "LoadedRule", "RuleLoadError", "RuleSet"]

Path_ = tuple[Any, ...]


class RuleLoadError(UserError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def _revision(text: str, params: dict[str, Any], tables: dict[str, Any]) -> str:
    digest = hashlib.sha256(text.encode())
    digest.update(json.dumps(params, sort_keys=True, default=str).encode())
    if tables:
        digest.update(json.dumps(tables, sort_keys=True, default=str).encode())
    return digest.hexdigest()


class FileLoader:
    def __init__(self, path: Path, pack: str, overrides: dict[str, Any],
                 roles: Iterable[str] = (), tables: dict[str, Any] | None = None,
                 origin: str = "config.toml"):
        self.path = path
        self.pack = pack
        self.overrides = overrides
        self.roles = frozenset(roles)
        self.table_overrides = tables or {}
        self.origin = origin  # where table_overrides come from, for messages
        self.problems: list[str] = []
        self.pos = Positions(None)
        self.failed_tables: set[str] = set()

    def err(self, path: Path_, message: str) -> None:
        self.problems.append(f"{self.path}:{self.pos.line(path)}: {message}")

    def at(self, path: Path_, pos: int | None, message: str) -> None:
        """A problem at offset ``pos`` of the scalar at ``path`` (its line if pos is None)."""
        if pos is None:
            self.err(path, message)
            return
        line, col = self.pos.offset(path, pos)
        self.problems.append(f"{self.path}:{line}:{col}: {message}")

    def parse_expr(self, path: Path_, text: str, scope: dict[str, str]) -> Node | None:
        try:
            node = parse(text)
            if infer(node, scope) == "duration":
                raise TypeCheckError(DURATION_USE, 0)
        except (ExprError, TypeCheckError) as exc:
            self.at(path, exc.pos, exc.message)
            return None
        return node

    def load(self) -> LoadedRule | None:
        try:
            text, node, data = read_yaml_file(self.path)
            self.pos = Positions(node, text)
        except YamlProblem as exc:
            self.problems.append(exc.where(self.path))
            return None
        if not isinstance(data, dict):
            self.problems.append(f"{self.path}:1: en regelfil ska vara en mappning (id, version, "
                                 "title …)")
            return None
        try:
            rule = Rule.model_validate(data)
        except ValidationError as exc:
            self.schema_errors(exc, ())
            return None
        except RecursionError:  # an alias that refers to itself (a: &a [*a])
            self.problems.append(f"{self.path}:1: ett YAML-alias hänvisar till sig självt")
            return None
        return self.check(rule, text)

    def schema_errors(self, exc: ValidationError, base: Path_, prefix: str = "") -> None:
        for e in exc.errors():
            loc = (*base, *e["loc"])
            if e["type"] == "extra_forbidden":
                known = Rule.model_fields if len(loc) == 1 else {}
                self.err((*loc, "__key__"), f"{prefix}okänd nyckel {loc[-1]!r}{suggest(str(loc[-1]), known)}")
                continue
            self.err(loc, f"{prefix}{'.'.join(str(p) for p in loc)}: {message_sv(e)}")

    def check(self, rule: Rule, text: str) -> LoadedRule | None:
        if rule.applies_to not in FACT_TYPES:
            self.err(("applies_to",), f"okänd faktatyp {rule.applies_to!r}"
                     f"{suggest(rule.applies_to, FACT_TYPES)}")
            return None
        params = self.params(rule)
        scope = model_types(FACT_TYPES[rule.applies_to].model)
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
            # a value that failed is already reported: later uses of it are not errors too
            scope[name] = infer(node, scope) if node is not None else "any"
        tables = self.tables(rule, scope)
        when = self.parse_expr(("when",), rule.when, scope)
        spec = rule.finding
        nodes = finding_nodes(rule.kind, spec, scope, self.parse_expr, self.err)
        roles = self.roles
        recipients = self.recipients(("finding", "recipients"), spec.recipients, scope, params, roles)
        escalate = (self.recipients(("finding", "escalate", "to"), spec.escalate.to, scope, params, roles)
                    if spec.escalate else ())
        escalate_on = None
        if spec.escalate and spec.escalate.at is not None:
            escalate_on = self.parse_expr(("finding", "escalate", "at"), spec.escalate.at, scope)
            if escalate_on is not None and infer(escalate_on, scope) not in ("date", "any"):
                self.err(("finding", "escalate", "at"), "finding.escalate.at ska vara ett datum")
        basis_when = [self.basis(i, b.when, scope) for i, b in enumerate(rule.legal_basis)]
        for i, b in enumerate(rule.legal_basis):
            if b.field is not None and scope.get(b.field) not in ("str", "any"):
                self.err(("legal_basis", i, "field"), f"legal_basis.field: {b.field!r} är inget "
                         f"textfält i {rule.applies_to}{suggest(b.field, scope)}")
        why, why_names = self.template(rule.finding.why, scope, rule.kind)
        for i, ex in enumerate(rule.examples):
            overrides = {t.name: t for t in ex.tables}
            self.override(tables, scope, overrides, partial(_example_table, i))
        compiled = None
        if when is not None:
            try:
                compiled = compile_when(when, params)
            except CompileError as exc:
                self.at(("when",), exc.pos, str(exc))
        if self.problems or when is None or compiled is None or why is None:
            return None
        every = [*derive.values(), when, *(v for v in nodes.values() if v is not None),
                 *([escalate_on] if escalate_on else []),
                 *([each] if each else []), *(n for t in tables for n in t.nodes())]
        related = set().union(*(related_types(n) for n in every))
        return LoadedRule(
            rule=rule, path=self.path, pack=self.pack, params=params, derive=derive, when=when,
            subject=nodes["subject"] or parse("id"), start=nodes["start"], due=nodes["due"],
            done=nodes["done"], end=nodes["end"], holds=nodes["holds"], value=nodes["value"],
            target=nodes["target"], band=nodes["band"], compiled=compiled, basis_when=basis_when, why=why,
            related_types=related, revision=_revision(text, params, self.table_overrides_json()),
            each=each, why_names=why_names, tables=tuple(tables), recipients=recipients,
            escalate_to=escalate, escalate_on=escalate_on,
            why_line=self.pos.line(("finding", "why")), known_roles=roles,
            table_overrides=dict(self.table_overrides),
        )

    def params(self, rule: Rule) -> dict[str, Any]:
        params = {k: p.default for k, p in rule.params.items()}
        for key, value in self.overrides.items():
            if key in rule.params:
                choices = rule.params[key].choices
                if choices and value not in choices:
                    self.err(("params", key), f"värdet {value!r} för {key} i config.toml är "
                             f"inte tillåtet; välj {', '.join(map(str, choices))}")
                params[key] = value
        return params

    def recipients(self, path: Path_, entries: list[str], scope: dict[str, str],
                   params: dict[str, Any], roles: frozenset[str]) -> tuple[Recipient, ...]:
        out = []
        for i, entry in enumerate(entries):
            try:
                r = parse_recipient(entry, scope, roles)
            except RecipientError as exc:
                self.at((*path, i), exc.offset, str(exc))
                continue
            value = params.get(entry) if r.kind == "field" else None
            if isinstance(value, str) and value and "@" not in value and value not in roles:
                self.at((*path, i), 0, f"parametern {entry!r} är {value!r}, som inte är en känd roll"
                        f"{suggest(value, roles)}")
            out.append(r)
        return tuple(out)

    def basis(self, i: int, text: str | None, scope: dict[str, str]) -> Node | None:
        node = self.parse_expr(("legal_basis", i, "when"), text, scope) if text else None
        if node is not None and related_types(node):
            self.err(("legal_basis", i, "when"), "legal_basis.when kan inte läsa andra fakta; "
                     "räkna ut värdet i derive och använd namnet")
        return node

    def tables(self, rule: Rule, scope: dict[str, str]) -> list[DecisionTable]:
        out: list[DecisionTable] = []
        for k, spec in enumerate(rule.tables):
            if spec.name in {t.name for t in out}:
                self.err(("tables", k, "name"), f"tabellen {spec.name!r} finns redan")
                continue
            table = self.build(spec, scope, ("tables", k), None)
            if table is not None:
                out.append(table)
                scope.update(table.output_types)
            else:  # reported already; its outputs and overrides are not errors too
                self.failed_tables.add(spec.name)
                scope.update(dict.fromkeys(spec.outputs, "any"))
        overrides: dict[str, Any] = {}
        for name, raw in self.table_overrides.items():
            try:
                overrides[name] = raw if isinstance(raw, TableOverride) else \
                    TableOverride.model_validate({"name": name, **raw})
            except ValidationError as exc:
                first = exc.errors()[0]
                self.err(("tables",), f"{self.origin}, tabellen {name!r}: "
                         f"{'.'.join(map(str, first['loc']))}: {message_sv(first)}")
        replaced = self.override(out, scope, overrides, None)
        return [replaced.get(t.name, t) for t in out]

    def override(self, tables: list[DecisionTable], scope: dict[str, str], overrides: dict[str, Any],
                 where: Callable[[int], Path_] | None) -> dict[str, DecisionTable]:
        """Check table overrides (an example's when ``where`` gives their path, else the
        installation's) against the rule's tables; the checked tables by name."""
        out = {}
        for k, (name, spec) in enumerate(overrides.items()):
            base = next((t for t in tables if t.name == name), None)
            path = where(k) if where else None
            if name in self.failed_tables:
                continue
            if base is None:
                known = ", ".join(t.name for t in tables) or "inga"
                message = f"ingen tabell {name!r} i regeln (tabeller: {known})"
                if path is None:
                    self.err(("tables",), f"{self.origin}, tabellen {name!r}: {message}")
                else:
                    self.err((*path, "name"), message)
                continue
            # the override's inputs see the scope as the rule's table did (without its outputs)
            inner = {n: t for n, t in scope.items() if n not in base.outputs}
            table = self.build(spec, inner, path, base)
            if table is not None:
                out[name] = table
        return out

    def build(self, spec: DecisionTableSpec | TableOverride, scope: dict[str, str],
              path: Path_ | None, base: DecisionTable | None) -> DecisionTable | None:
        """A checked table; ``path`` None: from the installation (no position in the file)."""

        def report(sub: Any, pos: int | None, message: str) -> None:
            if path is None:
                self.err(("tables",), f"{self.origin}, tabellen {spec.name!r}: {_describe(sub)}{message}")
            else:
                self.at((*path, *sub), pos, message)

        origin = f"{self.path}:{self.pos.line(path or ('tables',))}"
        return build_table(spec, scope, report, origin, base)

    def table_overrides_json(self) -> dict[str, Any]:
        return {k: (v.model_dump() if isinstance(v, TableOverride) else v)
                for k, v in self.table_overrides.items()}

    def template(self, source: str, scope: dict[str, str], kind: str) -> tuple[Any, frozenset[str]]:
        try:
            template, used = compile_why(source)
        except TemplateProblem as exc:
            line = exc.line or 1
            value_lines = source.split("\n")
            offset = sum(len(x) + 1 for x in value_lines[: line - 1])
            self.at(("finding", "why"), offset, exc.message)
            return None, frozenset()
        unknown = used - set(scope) - WHY_NAMES
        for name in sorted(unknown):
            self.err(("finding", "why"), f"okänt namn {name!r} i why{suggest(name, [*scope, *WHY_NAMES])}")
        if unknown:
            return None, used | WHY_NAMES
        problem = try_render(template, used, scope, kind)
        if problem is not None:
            self.err(("finding", "why"), problem)
            return None, used | WHY_NAMES
        return template, used | WHY_NAMES


def _example_table(i: int, k: int) -> Path_:
    return ("examples", i, "tables", k)


def _describe(sub: Any) -> str:
    if sub and sub[0] == "rows":
        return f"rad {sub[1] + 1}, kolumn {sub[2]!r}: "
    return f"{sub[0]}: " if sub else ""

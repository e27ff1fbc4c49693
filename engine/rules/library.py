"""The rule library: where the shipped packs are (the data package ``bevaka_rules``, i.e. the
checkout's ``rules/`` folder installed with the package, found the same way in a wheel and in
an editable install), and loading packs from one or more folders into a :class:`RuleSet`."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from engine.rules.loaded import LoadedRule, RuleSet
from engine.rules.loader import FileLoader, RuleLoadError
from engine.rules.positions import Positions
from engine.rules.schema import Pack
from engine.rules.yamlfile import YamlProblem, read_yaml_file
from facts.pydantic_sv import message_sv


def shipped_packs_dir() -> Path:
    """The folder holding the shipped packs (``<pack>/pack.yaml`` + rule files)."""
    return Path(str(resources.files("bevaka_rules")))


def pack_dirs(sources: Iterable[str | Path], disabled: Iterable[str] = ()) -> tuple[list[Path], list[str]]:
    """The pack folders of ``sources`` (folders of packs, in order) except the ``disabled``
    pack names, and the problems found: a missing folder, a pack name given twice."""
    problems: list[str] = []
    off = set(disabled)
    seen: dict[str, Path] = {}
    out: list[Path] = []
    for source in sources:
        root = Path(source)
        if not root.is_dir():
            problems.append(f"{root}: regelkatalogen finns inte")
            continue
        for pack_dir in sorted(p for p in root.iterdir() if p.is_dir() and p.name[0] not in "._"):
            if pack_dir.name in off:
                continue
            if pack_dir.name in seen:
                problems.append(f"{pack_dir}: paketet {pack_dir.name!r} finns redan i {seen[pack_dir.name]}; "
                                f"stäng av det ena med [rules] disable = [\"{pack_dir.name}\"]")
                continue
            seen[pack_dir.name] = pack_dir.parent
            out.append(pack_dir)
    return out, problems


def load_rules(directory: str | Path | Sequence[str | Path], config_params: Any = None,
               known_roles: Iterable[str] = (),
               config_tables: Callable[[str], dict[str, Any]] | None = None,
               disabled: Iterable[str] = ()) -> RuleSet:
    """Load every pack under ``directory`` (``<pack>/pack.yaml`` + ``<pack>/*.yaml``), or
    under each of several folders in turn, leaving out the ``disabled`` pack names.

    ``config_params(rule_id) -> dict`` supplies installation parameter overrides
    (config.toml), ``known_roles`` the role keys the installation has (``[roles]``), besides
    those each pack declares, and ``config_tables(rule_id) -> {name: table}`` decision-table
    overrides (``[rule_tables]``), checked like the rule's own tables.
    """
    sources = [directory] if isinstance(directory, str | Path) else list(directory)
    dirs, problems = pack_dirs(sources, disabled)
    if problems and not dirs:
        raise RuleLoadError(problems)
    packs: dict[str, Pack] = {}
    rules: list[LoadedRule] = []
    for pack_dir in dirs:
        meta = pack_dir / "pack.yaml"
        if not meta.exists():
            problems.append(f"{meta}:1: pack.yaml saknas (name, title)")
            continue
        try:
            _, node, data = read_yaml_file(meta)
            pack = Pack.model_validate(data)
        except YamlProblem as exc:
            problems.append(exc.where(meta))
            continue
        except ValidationError as exc:
            problems.append(_pack_problem(meta, node, exc))
            continue
        packs[pack.name] = pack
        for path in sorted(pack_dir.glob("*.yaml")):
            if path.name == "pack.yaml":
                continue
            rule_id = _peek_id(path)
            overrides = config_params(rule_id) if config_params and rule_id else {}
            tables = config_tables(rule_id) if config_tables and rule_id else {}
            loader = FileLoader(path, pack.name, overrides, {*known_roles, *pack.roles}, tables)
            loaded = loader.load()
            problems.extend(loader.problems)
            if loaded is not None:
                rules.append(loaded)
    problems.extend(_check_versions(rules))
    if problems:
        raise RuleLoadError(problems)
    revision = hashlib.sha256("".join(sorted(r.revision for r in rules)).encode()).hexdigest()
    return RuleSet(packs, rules, revision)


def reload(lr: LoadedRule, params: dict[str, Any], tables: dict[str, Any]) -> LoadedRule:
    """``lr`` loaded again with other parameter values and table overrides (for examples)."""
    loader = FileLoader(lr.path, lr.pack, {**lr.params, **params}, lr.known_roles,
                         {**lr.table_overrides, **tables}, origin="exemplet")
    loaded = loader.load()
    if loaded is None:
        raise RuleLoadError(loader.problems)
    return loaded


def _pack_problem(meta: Path, node: Any, exc: ValidationError) -> str:
    """The first schema problem of a pack.yaml, at its key's line."""
    e = exc.errors()[0]
    loc = tuple(e["loc"])
    what = "okänd nyckel" if e["type"] == "extra_forbidden" else message_sv(e)
    return f"{meta}:{Positions(node).line(loc)}: ogiltig pack.yaml: {'.'.join(map(str, loc))}: {what}"


def _peek_id(path: Path) -> str | None:
    try:
        _, _, data = read_yaml_file(path)
    except (YamlProblem, RecursionError):
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
        versions.sort(key=lambda r: r.rule.valid_from or date.min)
        for a, b in zip(versions, versions[1:], strict=False):
            if a.rule.valid_to is None or (b.rule.valid_from and a.rule.valid_to >= b.rule.valid_from):
                problems.append(f"{b.path}:1: giltighetstiden för {b.key} överlappar {a.key}; "
                                f"sätt valid_to på den äldre versionen")
    return problems

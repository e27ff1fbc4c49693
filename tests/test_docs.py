"""The documentation keeps up with the code.

Data-driven: every check walks the real objects (the click command tree, the rule packs on
disk, FUNCTIONS, the rule schema, FACT_TYPES, config.toml), so a command, pack, rule,
function, schema key, fact type, header alias or config key added later fails here until it
is documented.
"""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

import click
import pytest
import yaml
from pydantic import BaseModel

from bevaka.cli import cli
from engine.rules.functions import FUNCTIONS
from engine.rules.schema import (
    Escalation,
    Example,
    ExpectedFinding,
    FindingSpec,
    LegalBasis,
    Pack,
    Param,
    Rule,
)
from facts.types import FACT_TYPES, FactType, normalise_header

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
RULES_MD = DOCS / "rules.md"
FACTS_MD = DOCS / "facts.md"
CLI_MD = DOCS / "cli.md"
RULES_DIR = ROOT / "rules"
CONFIG = ROOT / "config.toml"


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_cli_reference", DOCS / "gen_cli_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


def _text(path: Path) -> str:
    assert path.exists(), f"{path.relative_to(ROOT)} is missing"
    return path.read_text(encoding="utf-8")


def _mentions(text: str, word: str) -> bool:
    """``word`` occurs in ``text`` as a whole token (ids contain '.' and '-')."""
    return re.search(rf"(?<![\w.-]){re.escape(word)}(?![\w-])", text) is not None


def _code_spans(text: str) -> list[str]:
    """Inline code spans (`...`) of a Markdown text."""
    return re.findall(r"`([^`\n]+)`", text)


# ---- CLI -------------------------------------------------------------------------------

COMMANDS = list(gen.walk(cli))
COMMAND_IDS = [gen.title(path) for path, _ in COMMANDS]


def test_cli_md_is_up_to_date() -> None:
    assert gen.is_up_to_date(CLI_MD), (
        "docs/cli.md is out of date: run `make docs` (.venv/bin/python docs/gen_cli_reference.py)"
    )


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=COMMAND_IDS)
def test_every_command_has_a_section_in_cli_md(path: tuple[str, ...], command: click.Command) -> None:
    heading = f"## {gen.title(path)}"
    assert re.search(rf"^{re.escape(heading)}$", _text(CLI_MD), re.M), (
        f"{gen.title(path)} has no section in docs/cli.md: run `make docs`"
    )


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=COMMAND_IDS)
def test_every_command_has_help_text(path: tuple[str, ...], command: click.Command) -> None:
    assert (command.help or "").strip(), f"{gen.title(path)} has no help text (docstring)"


def test_the_command_walk_finds_subcommands() -> None:
    # guards the walk itself: nested groups must be visited
    assert "bevaka rules test" in COMMAND_IDS and "bevaka report ivo" in COMMAND_IDS


# ---- rules.md --------------------------------------------------------------------------

PACK_DIRS = sorted(p for p in RULES_DIR.iterdir() if p.is_dir())


def _rule_ids() -> list[tuple[str, str]]:
    out = []
    for pack in PACK_DIRS:
        for path in sorted(pack.glob("*.y*ml")):
            if path.name in ("pack.yaml", "pack.yml"):
                continue
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("id"):
                out.append((str(path.relative_to(ROOT)), str(data["id"])))
    return out


RULE_IDS = _rule_ids()


def test_rule_packs_exist() -> None:
    assert PACK_DIRS and RULE_IDS


@pytest.mark.parametrize("pack", PACK_DIRS, ids=[p.name for p in PACK_DIRS])
def test_every_pack_directory_is_in_rules_md(pack: Path) -> None:
    assert f"rules/{pack.name}/" in _text(RULES_MD), f"pack rules/{pack.name}/ is not in docs/rules.md"


@pytest.mark.parametrize(("path", "rule_id"), RULE_IDS, ids=[r for _, r in RULE_IDS])
def test_every_rule_id_is_in_rules_md(path: str, rule_id: str) -> None:
    assert _mentions(_text(RULES_MD), rule_id), f"rule {rule_id} ({path}) is not in docs/rules.md"


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_has_a_section_in_rules_md(name: str) -> None:
    heading = re.compile(rf"^#{{2,5}} `{re.escape(name)}\(", re.M)
    assert heading.search(_text(RULES_MD)), (
        f"function {name} has no section (a heading like #### `{name}(...)`) in docs/rules.md"
    )


def _section(text: str, heading: str) -> str:
    """The text under ``## heading`` up to the next ``## `` heading."""
    m = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert m, f"docs/rules.md has no section '## {heading}'"
    return m.group(1)


@pytest.mark.parametrize("key", list(Rule.model_fields))
def test_every_rule_key_is_in_the_key_table(key: str) -> None:
    table = _section(_text(RULES_MD), "Top-level keys")
    row = re.compile(rf"^\|\s*`{re.escape(key)}`\s*\|", re.M)
    assert row.search(table), f"top-level key {key!r} has no row in 'Top-level keys' of docs/rules.md"


@pytest.mark.parametrize("key", list(FindingSpec.model_fields))
def test_every_finding_key_is_documented(key: str) -> None:
    row = re.compile(rf"^\|\s*`finding\.{re.escape(key)}`\s*\|", re.M)
    assert row.search(_text(RULES_MD)), f"finding key {key!r} has no `finding.{key}` row in docs/rules.md"


SUB_MODELS: list[type[BaseModel]] = [Pack, LegalBasis, Param, Escalation, Example, ExpectedFinding]


@pytest.mark.parametrize(
    ("model", "key"),
    [(m, k) for m in SUB_MODELS for k in m.model_fields],
    ids=[f"{m.__name__}.{k}" for m in SUB_MODELS for k in m.model_fields],
)
def test_every_nested_schema_key_is_documented(model: type[BaseModel], key: str) -> None:
    assert f"`{key}`" in _text(RULES_MD), f"{model.__name__}.{key} is not documented in docs/rules.md"


# ---- facts.md --------------------------------------------------------------------------

FACTS = list(FACT_TYPES.values())


@pytest.mark.parametrize("ft", FACTS, ids=[f.name for f in FACTS])
def test_every_fact_type_is_in_facts_md(ft: FactType) -> None:
    text = _text(FACTS_MD)
    for word in (ft.name, ft.table, ft.title_sv):
        assert word in text, f"fact type {ft.name}: {word!r} is not in docs/facts.md"
    assert re.search(rf"^#{{2,3}} `?{re.escape(ft.name)}`?\b", text, re.M), (
        f"fact type {ft.name} has no section in docs/facts.md"
    )


@pytest.mark.parametrize("ft", FACTS, ids=[f.name for f in FACTS])
def test_every_field_of_a_fact_type_is_in_facts_md(ft: FactType) -> None:
    spans = set(_code_spans(_text(FACTS_MD)))
    missing = [f for f in ft.model.model_fields if f not in spans]
    assert not missing, f"fields of {ft.name} not documented in docs/facts.md: {missing}"


@pytest.mark.parametrize("ft", FACTS, ids=[f.name for f in FACTS])
def test_every_header_alias_is_in_facts_md(ft: FactType) -> None:
    documented = {normalise_header(s) for s in _code_spans(_text(FACTS_MD))}
    missing = sorted(alias for alias in ft.headers if alias not in documented)
    assert not missing, f"header aliases of {ft.name} not in docs/facts.md: {missing}"


# ---- config.toml -----------------------------------------------------------------------


def _config_sources() -> dict[str, str]:
    """The documents a config key may be documented in (README.md only if it exists)."""
    out = {"docs/rules.md": _text(RULES_MD), "docs/facts.md": _text(FACTS_MD)}
    readme = ROOT / "README.md"
    if readme.exists():
        out["README.md"] = readme.read_text(encoding="utf-8")
    return out


def _leaf_keys(section: str, table: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    out = []
    for key, value in table.items():
        if isinstance(value, dict):
            out.extend(_leaf_keys(section, value, (*prefix, key)))
        else:
            out.append((section, key))
    return out


CONFIG_DATA = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
SECTIONS = sorted(set(CONFIG_DATA) | {"params", "rule_params"})
CONFIG_KEYS = sorted(
    {k for s, t in CONFIG_DATA.items() if isinstance(t, dict) for k in _leaf_keys(s, t)}
)


@pytest.mark.parametrize("section", SECTIONS)
def test_every_config_section_is_documented(section: str) -> None:
    sources = _config_sources()
    assert any(f"[{section}]" in t or f"[{section}." in t for t in sources.values()), (
        f"config.toml section [{section}] is not documented in {', '.join(sources)}"
    )


@pytest.mark.parametrize(("section", "key"), CONFIG_KEYS, ids=[f"{s}.{k}" for s, k in CONFIG_KEYS])
def test_every_config_key_is_documented(section: str, key: str) -> None:
    sources = _config_sources()

    def documented(text: str) -> bool:
        return (f"[{section}]" in text or f"[{section}." in text) and any(
            _mentions(span, key) for span in _code_spans(text)
        )

    assert any(documented(t) for t in sources.values()), (
        f"config.toml key [{section}] {key} is not documented in {', '.join(sources)}"
    )

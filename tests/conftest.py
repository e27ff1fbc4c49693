"""Shared fixtures: a tmp config.toml pointing at the real rules, a CLI runner bound to a tmp
database, and writers for small decision registers (CSV and real XLSX via openpyxl).

Nothing of ours is mocked: the CLI is ``bevaka.cli.cli`` through click's CliRunner, the
database is a real SQLite file in ``tmp_path`` and matching runs in durable_rules.
"""

from __future__ import annotations

import csv
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import settings
from openpyxl import Workbook

# `make test` (and CI) draws the same examples every run, so a red run is the code's doing
# and repeats; `make fuzz` draws new ones each time (HYPOTHESIS_PROFILE=fuzz), more of them.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("fuzz", derandomize=False, max_examples=1000, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parents[1]
RULES_DIR = ROOT / "rules"
EXAMPLES = ROOT / "examples"
REGISTER_XLSX = EXAMPLES / "beslut-2024.xlsx"
REGISTER_CSV = EXAMPLES / "beslut-2024.csv"

# Provenance columns that differ between two imports of the same facts.
PROVENANCE = {"_source", "_row", "_imported_at", "_rev"}

SV_HEADERS = ["Ärende", "Lag", "Verksamhet", "Insats", "Beslutsdatum", "Verkställd", "Avbrott",
              "Återupptagen", "Kön", "Födelseår", "Handläggare"]


def config_text(rules_dir: Path = RULES_DIR, params: dict[str, str] | None = None,
                extra: str = "") -> str:
    lines = ["[rules]", f'dir = "{rules_dir.resolve().as_posix()}"', ""]
    if params:
        lines.append("[params]")
        lines += [f'{k} = "{v}"' for k, v in params.items()]
        lines.append("")
    lines.append("[roles]")
    lines.append('enhetschef = "enhetschef@kommun.example"')
    lines.append('bistand_ao = "bistand.ao@kommun.example"')
    return "\n".join(lines) + "\n" + extra


def write_config(path: Path, rules_dir: Path = RULES_DIR,
                 params: dict[str, str] | None = None) -> Path:
    path.write_text(config_text(rules_dir, params), encoding="utf-8")
    return path


def write_csv(path: Path, headers: Sequence[str], rows: Sequence[Sequence[Any]],
              delimiter: str = ";") -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(headers)
        for r in rows:
            w.writerow(["" if v is None else v for v in r])
    return path


def write_xlsx(path: Path, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Beslut"
    ws.append(list(headers))
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return path


def open_db(path: Path) -> Any:
    """The real database at ``path`` with every package's schema (a new file is created)."""
    from bevaka import open_database

    return open_database(path, create=True)


def dump(db_path: Path) -> list[str]:
    """Every table's schema and rows (``_bevaka_meta`` with facts_rev included), as SQL."""
    conn = sqlite3.connect(db_path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


@dataclass
class Bevaka:
    """The CLI bound to one tmp database and config file."""

    tmp: Path
    db_path: Path
    config_path: Path

    def run(self, *args: str, config: Path | None = None) -> Result:
        runner = CliRunner()
        from bevaka.cli import cli

        return runner.invoke(
            cli, ["--db", str(self.db_path), "--config", str(config or self.config_path), *args],
            catch_exceptions=False,
        )

    def ok(self, *args: str, config: Path | None = None) -> Result:
        result = self.run(*args, config=config)
        assert result.exit_code == 0, result.output
        return result

    def config_with(self, name: str, **params: str) -> Path:
        return write_config(self.tmp / name, params=params)


@pytest.fixture
def bevaka(tmp_path: Path) -> Bevaka:
    return Bevaka(tmp_path, tmp_path / "bevaka.db", write_config(tmp_path / "config.toml"))


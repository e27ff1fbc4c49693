"""Failures stay local: a rule that raises is named and left out; every other rule's findings
and reminders go out, and the command exits non-zero with the work done."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

from click.testing import CliRunner
from conftest import EXAMPLES, RULES_DIR

from bevaka import Bevaka, heartbeats
from bevaka.cli import cli
from engine.config import load_config

BROKEN_RULE = """\
id: trasig.datum
version: 1
title: En regel som fallerar vid utvärdering
applies_to: decision
legal_basis: [{text: "Ingen"}]
derive:
  wrong: "date(id)"
finding:
  due: wrong
  recipients: [officer]
  why: "Kommer aldrig fram."
examples:
  - name: ett exempel utan fakta
    as_of: 2024-01-01
    facts: {}
    expect: []
"""


def _installation(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR / "ivo", rules / "ivo")
    (rules / "trasig").mkdir()
    (rules / "trasig" / "pack.yaml").write_text("name: trasig\ntitle: Trasig\n", encoding="utf-8")
    (rules / "trasig" / "datum.yaml").write_text(BROKEN_RULE, encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f'[rules]\ndir = "{rules.as_posix()}"\n[roles]\n'
                      'bistand_ao = "ao@kommun.example"\nenhetschef = "ec@kommun.example"\n'
                      'it = "it@kommun.example"\n'
                      f'[notify]\ndry_run_dir = "{(tmp_path / "eml").as_posix()}"\n',
                      encoding="utf-8")
    return config


def test_a_raising_rule_is_named_and_the_others_go_out(tmp_path: Path) -> None:
    config = _installation(tmp_path)
    base = ["--db", str(tmp_path / "b.db"), "--config", str(config)]
    runner = CliRunner()
    assert runner.invoke(cli, [*base, "import", str(EXAMPLES / "beslut-2024.csv")]).exit_code == 0

    result = runner.invoke(cli, [*base, "notify", "--as-of", "2024-12-31", "--dry-run"])
    assert result.exit_code == 3, result.output
    assert "Regeln trasig.datum (kommun/von) misslyckades" in result.output
    assert "Traceback" not in result.output
    emls = list((tmp_path / "eml").glob("*.eml"))
    assert emls, "the IVO rules' reminders must still be written"
    to_it = [e for e in emls if "it_at_kommun.example" in e.name]
    assert len(to_it) == 1 and "trasig.datum" in to_it[0].read_text(encoding="utf-8")

    checked = runner.invoke(cli, [*base, "check", "--as-of", "2024-12-31", "--json"])
    assert checked.exit_code == 3
    found = json.loads(checked.stdout)
    assert {f["rule_id"] for f in found} == {"ivo.ej-verkstallt", "ivo.avbrott", "bevaka.regelfel"}
    (it,) = [f for f in found if f["rule_id"] == "bevaka.regelfel"]
    assert (it["kind"], it["status"], it["subject"], it["recipients"]) == (
        "check", "failed", "trasig.datum", ["it"])
    assert it["due_on"] is None and "inget datum" in it["why"]

    runs = json.loads(runner.invoke(cli, [*base, "audit", "log", "--json"]).output)
    assert runs[0]["failed_rules"][0]["rule_id"] == "trasig.datum"
    assert "inget datum" in runs[0]["failed_rules"][0]["reason"]


def test_the_heartbeat_names_the_failed_rule(tmp_path: Path) -> None:
    app = Bevaka(load_config(_installation(tmp_path)), tmp_path / "b.db")
    app.import_files([EXAMPLES / "beslut-2024.csv"])
    slot = datetime(2024, 12, 31, 6, 30, tzinfo=UTC)
    beat = heartbeats.run_recorded(app.db, "daily", slot,
                                   lambda: app.notify(date(2024, 12, 31), dry_run=True))
    assert beat["ok"] is True  # the run was done; a catch-up would only fail the same way
    assert beat["error"].startswith("regler som misslyckades: trasig.datum (kommun/von)")
    assert beat["summary"]["failed_rules"][0]["rule_id"] == "trasig.datum"
    assert beat["summary"]["findings"] > 0

"""The rule packs in rules/: ``rules validate`` (positions, suggestions) and ``rules test``
(the examples inside the rule files), on the real packs and on broken copies in tmp_path."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import RULES_DIR, Bevaka, write_config

from engine.rules.library import load_rules
from engine.rules.loader import RuleLoadError

EJ_FILE = Path("ivo") / "ej-verkstallt.yaml"
WHEN_LINE = "when: \"law in ['SoL', 'LSS']\""


def _copy_rules(tmp: Path) -> Path:
    dest = tmp / "rules"
    shutil.copytree(RULES_DIR, dest)
    return dest


def _use(bevaka: Bevaka, rules: Path) -> Path:
    return write_config(bevaka.tmp / "copy.toml", rules_dir=rules)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _position(path: Path, needle: str) -> tuple[int, int]:
    """1-based line and column of ``needle`` in the file."""
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return no, line.index(needle) + 1
    raise AssertionError(needle)


def _example_count() -> int:
    return sum(len((yaml.safe_load(p.read_text(encoding="utf-8")) or {}).get("examples", []))
               for p in RULES_DIR.glob("*/*.yaml") if p.name != "pack.yaml")


# ---- rules test -------------------------------------------------------------------------------

def test_rules_test_passes_on_the_real_packs(bevaka: Bevaka) -> None:
    result = bevaka.ok("rules", "test")
    n = _example_count()
    assert n >= 13
    assert result.output.strip().splitlines()[-1] == f"{n} godkända exempel, 0 underkända"
    assert "FEL" not in result.output
    data = json.loads(bevaka.ok("rules", "test", "--json").stdout)
    assert (data["ok"], data["passed"], data["failed"], data["pack_problems"]) == (True, n, 0, [])


def test_rules_test_fails_on_a_changed_expectation(bevaka: Bevaka) -> None:
    rules = _copy_rules(bevaka.tmp)
    _edit(rules / EJ_FILE, "{subject: D-1, status: resolved, late_days: 19, done_on: 2024-10-17}",
          "{subject: D-1, status: resolved, late_days: 18, done_on: 2024-10-17}")
    result = bevaka.run("rules", "test", config=_use(bevaka, rules))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    n = _example_count()
    assert result.output.strip().splitlines()[-1] == f"{n - 1} godkända exempel, 1 underkänt"
    assert "FEL  ivo.ej-verkstallt: Samma beslut efter verkställigheten" in result.output
    assert "D-1: late_days är 19, väntat 18" in result.output


def test_rules_test_fails_on_a_wrong_subject_and_unexpected_finding(bevaka: Bevaka) -> None:
    rules = _copy_rules(bevaka.tmp)
    _edit(rules / "ivo" / "avbrott.yaml",
          "        - {id: D-9, law: LSS, decided_on: 2024-01-10, executed_on: 2024-02-01}",
          "        - {id: D-9, law: LSS, decided_on: 2024-01-10, executed_on: 2024-02-01, "
          "interrupted_on: 2024-03-01}")
    result = bevaka.run("rules", "test", config=_use(bevaka, rules))
    assert result.exit_code == 1
    assert "oväntad bevakning för D-9 (overdue)" in result.output


def test_a_pack_without_examples_fails(bevaka: Bevaka) -> None:
    rules = _copy_rules(bevaka.tmp)
    avtal = [p for p in sorted((rules / "avtal").glob("*.yaml")) if p.name != "pack.yaml"]
    for path in avtal:  # strip the examples of every rule in the pack
        text = path.read_text(encoding="utf-8")
        path.write_text(text[: text.index("\nexamples:")] + "\n", encoding="utf-8")
    config = _use(bevaka, rules)
    bevaka.ok("rules", "validate", config=config)  # the rules themselves are still valid
    result = bevaka.run("rules", "test", config=config)
    assert result.exit_code == 1
    assert "FEL  paketet 'avtal' har inga exempel" in result.output
    assert "regeln avtal.rapport-fore-sammantrade har inga exempel" in result.output
    assert re.search(r"\d+ godkända exempel, (1 underkänt|([2-9]|\d\d+) underkända)$",
                     result.output.strip())
    data = json.loads(bevaka.run("rules", "test", "--json", config=config).stdout)
    assert data["ok"] is False and data["failed"] == 0
    assert len(data["pack_problems"]) == 1 + len(avtal)  # the pack, and each of its rules


# ---- rules validate ---------------------------------------------------------------------------

def _rule_files() -> list[Path]:
    return [p for p in sorted(RULES_DIR.glob("*/*.yaml")) if p.name != "pack.yaml"]


def test_validate_the_real_packs(bevaka: Bevaka) -> None:
    out = bevaka.ok("rules", "validate").output
    n_rules = len(_rule_files())  # one rule version per file
    n_packs = len([p for p in RULES_DIR.iterdir() if (p / "pack.yaml").exists()])
    assert n_rules >= 3 and n_packs >= 2
    assert re.match(rf"{n_rules} regler i {n_packs} paket är giltiga \(revision [0-9a-f]{{12}}\)\.", out)
    data = json.loads(bevaka.ok("rules", "validate", "--json").stdout)
    assert data["ok"] is True and data["rules"] == n_rules


def _validate_fails(bevaka: Bevaka, rules: Path) -> list[str]:
    result = bevaka.run("rules", "validate", config=_use(bevaka, rules))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stdout == ""
    data = json.loads(bevaka.run("rules", "validate", "--json", config=_use(bevaka, rules)).stdout)
    assert data["ok"] is False
    assert result.stderr.strip().splitlines() == data["problems"]
    return list(data["problems"])


def test_validate_unknown_field_has_position_and_suggestion(bevaka: Bevaka) -> None:
    rules = _copy_rules(bevaka.tmp)
    path = rules / EJ_FILE
    _edit(path, WHEN_LINE, "when: \"lawx == 'SoL'\"")
    line, col = _position(path, "lawx")
    problems = _validate_fails(bevaka, rules)
    assert problems == [f"{path}:{line}:{col}: okänt fält 'lawx'; menade du 'law'?"]


def test_validate_malformed_condition_has_position(bevaka: Bevaka) -> None:
    rules = _copy_rules(bevaka.tmp)
    path = rules / EJ_FILE
    _edit(path, WHEN_LINE, "when: \"law in ['SoL'\"")
    line, col = _position(path, "law in")
    problems = _validate_fails(bevaka, rules)
    (problem,) = problems
    end = col + len("law in ['SoL'")  # just past the expression
    assert problem == f"{path}:{line}:{end}: väntade ']' men fann 'slutet av uttrycket'"


def test_validate_unquoted_condition_and_typo_in_derive(bevaka: Bevaka) -> None:
    rules = _copy_rules(bevaka.tmp)
    path = rules / EJ_FILE
    _edit(path, WHEN_LINE, "when: law in ['SoL', 'LSS'] and decided_on > '2020-01-01' and x = 1")
    _edit(path, "decided_on + 3 months)", "add_month(decided_on, 3))")
    problems = _validate_fails(bevaka, rules)
    wl, wc = _position(path, "x = 1")
    dl, dc = _position(path, "add_month(")
    assert f"{path}:{dl}:{dc}: okänd funktion 'add_month'; menade du 'add_months'?" in problems
    assert f"{path}:{wl}:{wc + 2}: skriv == för likhet" in problems


def test_validate_block_scalar_condition_position(bevaka: Bevaka) -> None:
    rules = _copy_rules(bevaka.tmp)
    path = rules / EJ_FILE
    _edit(path, WHEN_LINE, "when: |\n  law in ['SoL', 'LSS']\n  and lawx == 'SoL'")
    line, col = _position(path, "lawx")
    problems = _validate_fails(bevaka, rules)
    assert problems == [f"{path}:{line}:{col}: okänt fält 'lawx'; menade du 'law'?"]


def test_validate_schema_type_and_template_errors(bevaka: Bevaka) -> None:
    rules = _copy_rules(bevaka.tmp)
    ej, avbrott = rules / EJ_FILE, rules / "ivo" / "avbrott.yaml"
    _edit(ej, WHEN_LINE, "wehn: \"law in ['SoL', 'LSS']\"")
    _edit(avbrott, "when: \"interrupted_on is not null and law in ['SoL', 'LSS'] and in_history == 0\"",
          "when: \"interrupted_on + 1 > 5\"")
    _edit(avbrott, "avbröts {{ interrupted_on }}", "avbröts {{ interupted_on }}")
    problems = _validate_fails(bevaka, rules)
    line, _ = _position(ej, "wehn:")
    assert f"{ej}:{line}: okänd nyckel 'wehn'; menade du 'when'?" in problems
    line, col = _position(avbrott, "interrupted_on + 1")
    assert (f"{avbrott}:{line}:{col}: räkneoperatorn + kräver tal, inte date "
            "(flytta ett datum med en tidslängd, t.ex. + 3 months)") in problems
    assert any(p.startswith(f"{avbrott}:") and "okänt namn 'interupted_on' i why; menade du "
               "'interrupted_on'?" in p for p in problems)
    assert len(problems) == 3


def test_validate_rejects_a_bad_parameter_in_config(bevaka: Bevaka) -> None:
    config = bevaka.config_with("bad.toml", three_months="weekly")
    result = bevaka.run("rules", "validate", config=config)
    assert result.exit_code == 1
    assert "värdet 'weekly' för three_months i config.toml är inte tillåtet" in result.output
    assert "Traceback" not in result.output
    result = bevaka.run("check", "--as-of", "2024-12-31", config=config)
    assert result.exit_code == 1
    assert "Traceback" not in result.output and result.output.count("Fel:") == 1


def test_overlapping_versions_are_rejected(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    text = (rules / EJ_FILE).read_text(encoding="utf-8")
    (rules / "ivo" / "ej-verkstallt-v2.yaml").write_text(
        text.replace("version: 1", "version: 2").replace("applies_to:", "valid_from: 2025-07-01\n"
                                                         "applies_to:"), encoding="utf-8")
    with pytest.raises(RuleLoadError) as exc:
        load_rules(rules)
    assert any("överlappar ivo.ej-verkstallt@1" in p for p in exc.value.problems)
    (rules / EJ_FILE).write_text(text.replace("applies_to:", "valid_to: 2025-06-30\napplies_to:"),
                                 encoding="utf-8")
    rs = load_rules(rules)
    assert sorted(r.key for r in rs.by_id("ivo.ej-verkstallt")) == ["ivo.ej-verkstallt@1",
                                                                   "ivo.ej-verkstallt@2"]


def test_rules_list(bevaka: Bevaka) -> None:
    rows = json.loads(bevaka.ok("rules", "list", "--json").stdout)
    by_id = {r["id"]: r for r in rows}
    on_disk = {str(yaml.safe_load(p.read_text(encoding="utf-8"))["id"]) for p in _rule_files()}
    assert set(by_id) == on_disk
    assert {"ivo.ej-verkstallt", "ivo.avbrott", "avtal.rapport-fore-sammantrade"} <= set(by_id)
    assert by_id["ivo.avbrott"]["params"] == {"three_months": "calendar"}
    config = bevaka.config_with("d90.toml", three_months="90-days")
    rows = json.loads(bevaka.ok("rules", "list", "--json", config=config).stdout)
    assert {r["id"]: r["params"] for r in rows}["ivo.avbrott"] == {"three_months": "90-days"}

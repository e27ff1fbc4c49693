"""Decision tables: unary-test cells, hit policies, positions of bad cells, overrides from
examples and the installation, and evaluating a table for arbitrary inputs."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from conftest import RULES_DIR, Bevaka, config_text
from test_rules_files import _copy_rules, _edit, _position, _validate_fails

from engine.config import load_config
from engine.evaluate import load_ruleset
from engine.rules.errors import EvalError
from engine.rules.library import load_rules
from engine.rules.loader import RuleLoadError

PACK = "name: tabell\ntitle: Tabelltest\n"
RULE = """
id: tabell.band
version: 1
title: Band
applies_to: control_point
legal_basis: [{text: "Kommunallagen (2017:725) 6 kap. 6 §"}]
derive:
  risk: "consequence * likelihood"
tables:
  - name: band
    hit: HIT
    inputs: [risk, area]
    outputs: [colour, score]
    rows:
      - {risk: "< 4", colour: grön, score: 1}
      - {risk: "[4..9]", area: "'A', 'B'", colour: gul, score: 2}
      - {risk: "(9..12]", colour: orange}
      - {risk: "[9..16)", colour: röd, score: 4}
      - {risk: "== 25", colour: svart}
when: "true"
finding:
  subject: nr
  due: "date_of(year, 12, 31)"
  why: "{{ colour }} {{ score }}"
"""
RISK = Path("internkontroll") / "risk.yaml"


def _rule(tmp: Path, hit: str = "first", text: str = RULE) -> Path:
    pack = tmp / "rules" / "tabell"
    pack.mkdir(parents=True, exist_ok=True)
    (pack / "pack.yaml").write_text(PACK, encoding="utf-8")
    (pack / "band.yaml").write_text(text.replace("HIT", hit), encoding="utf-8")
    return tmp / "rules"


@pytest.mark.parametrize(("c", "s", "area", "want"), [
    (1, 3, "A", ("grön", 1)),       # < 4
    (2, 2, "A", ("gul", 2)),        # [4..9] and 'A'
    (3, 3, "B", ("gul", 2)),        # 9 is inside [4..9]
    (3, 3, "C", ("röd", 4)),        # 'C' is not any of 'A', 'B'; 9 is outside (9..12]
    (2, 5, None, ("orange", None)),  # (9..12]; the row has no score: null
    (3, 5, "A", ("röd", 4)),        # 15 in [9..16)
    (4, 4, "A", (None, None)),      # 16 matches no row: null outputs
    (5, 5, "A", ("svart", None)),
    (None, 3, "A", (None, None)),   # a null input passes only "-"
])
def test_first_hit(tmp_path: Path, c: int | None, s: int, area: str | None,
                   want: tuple[str | None, int | None]) -> None:
    lr = load_rules(_rule(tmp_path)).rules[0]
    out = lr.evaluate_table("band", consequence=c, likelihood=s, area=area)
    assert (out["colour"], out["score"]) == want
    env = lr.compute({"consequence": c, "likelihood": s, "area": area, "year": 2024}, None)
    assert (env["colour"], env["score"]) == want


def test_unique_hit_is_an_error_naming_the_rows(tmp_path: Path) -> None:
    lr = load_rules(_rule(tmp_path, "unique")).rules[0]
    assert lr.evaluate_table("band", consequence=1, likelihood=3)["colour"] == "grön"  # 3: one row
    with pytest.raises(EvalError) as exc:
        lr.evaluate_table("band", consequence=3, likelihood=4)  # 12: (9..12] and [9..16)
    assert "tabellen 'band' har hit: unique men raderna 3, 4 gäller samtidigt (risk = 12" in str(exc.value)
    assert str(exc.value).startswith(f"{lr.path}:")


@pytest.mark.parametrize(("old", "new", "needle", "offset", "message"), [
    ('risk: "< 4"', 'risk: "< 4 +"', "< 4 +", 5, "uttrycket tar slut för tidigt"),
    ('risk: "[4..9]"', 'risk: "[4..9"', "[4..9", 5, "ett intervall slutar med ']' eller ')'"),
    ('risk: "(9..12]"', 'risk: "(9..rsk]"', "rsk", 0, "okänt fält 'rsk'; menade du 'risk'?"),
    ('area: "\'A\', \'B\'"', 'area: "< \'A\', 5"', "5\"", 0, "kan inte jämföra indata (str) med number"),
    ('{risk: "== 25", colour: svart}', '{risk: "== 25", colour: 3}', "3}", 0,
     "utdata 'colour' är str i en tidigare rad men number här"),
    ('{risk: "== 25", colour: svart}', '{riks: "== 25", colour: svart}', "riks", 0,
     "okänd kolumn 'riks'; menade du 'risk'?"),
    ('{risk: "< 4", colour: grön, score: 1}', '{risk: [1..3], colour: grön, score: 1}', "[1..3]", 0,
     'skriv cellen inom citattecken, t.ex. "[5..9]" (YAML läser [..] som en lista)'),
])
def test_a_bad_cell_is_reported_with_its_position(tmp_path: Path, old: str, new: str, needle: str,
                                                  offset: int, message: str) -> None:
    rules = _rule(tmp_path)
    path = rules / "tabell" / "band.yaml"
    _edit(path, old, new)
    with pytest.raises(RuleLoadError) as exc:
        load_rules(rules)
    line, col = _position(path, needle)
    assert exc.value.problems == [f"{path}:{line}:{col + offset}: {message}"]


def test_outputs_are_names_the_rule_does_not_have(tmp_path: Path) -> None:
    # the row with an area input cell loses it (two area keys in one row are a YAML error)
    rules = _rule(tmp_path, text=RULE.replace("outputs: [colour, score]", "outputs: [colour, area]")
                  .replace('area: "\'A\', \'B\'", ', "").replace("score: ", "area: "))
    with pytest.raises(RuleLoadError) as exc:
        load_rules(rules)
    assert any("'area' finns redan som fält" in p for p in exc.value.problems)


def test_a_derived_value_cannot_use_a_table_output(tmp_path: Path) -> None:
    rules = _rule(tmp_path, text=RULE.replace('  risk: "consequence * likelihood"\n',
                                              '  risk: "consequence * likelihood"\n  c2: "colour"\n'))
    with pytest.raises(RuleLoadError) as exc:
        load_rules(rules)
    assert [p.split(": ", 1)[1] for p in exc.value.problems] == ["okänt fält 'colour'"]


# ---- the shipped risk table, overrides ---------------------------------------------------


def test_the_risk_band_table_for_every_cell_of_the_matrix() -> None:
    lr = load_rules(RULES_DIR).by_id("internkontroll.risk")[0]
    grid = {(k, s): lr.evaluate_table("riskband", consequence=k, likelihood=s)["band"]
            for k in range(1, 7) for s in range(1, 6)}
    assert grid[(1, 4)] == grid[(2, 2)] == "grön"            # <= 4
    assert grid[(1, 5)] == grid[(3, 3)] == "gul"             # 5..9
    assert grid[(2, 5)] == grid[(3, 4)] == "orange"          # 10..14
    assert grid[(3, 5)] == grid[(5, 5)] == "röd"             # 15..25
    assert {grid[(6, s)] for s in range(1, 6)} == {"utanför matrisen"}
    # the parameters are read: a smaller matrix, tighter bands
    small = load_rules(RULES_DIR, lambda rid: {"matrix_size": 4, "orange_max": 12}).by_id(
        "internkontroll.risk")[0]
    assert small.evaluate_table("riskband", consequence=5, likelihood=1)["band"] == "utanför matrisen"
    assert small.evaluate_table("riskband", consequence=4, likelihood=3)["band"] == "orange"
    assert small.evaluate_table("riskband", {"consequence": 2, "likelihood": 7})["band"] == "utanför matrisen"


def test_an_example_with_a_bad_table_override_fails_validation(bevaka: Bevaka) -> None:
    rules = _copy_rules(bevaka.tmp)
    _edit(rules / RISK, '- {risk: "[7..11]", band: orange}', '- {risk: "[7..elva]", band: orange}')
    problems = _validate_fails(bevaka, rules)
    line, col = _position(rules / RISK, "elva")
    assert problems == [f"{rules / RISK}:{line}:{col}: okänt fält 'elva'"]
    rules = _copy_rules(bevaka.tmp / "b")
    _edit(rules / RISK, "      - name: riskband\n        rows:", "      - name: riskbnad\n        rows:")
    problems = _validate_fails(bevaka, rules)
    assert problems == [f"{rules / RISK}:{_position(rules / RISK, 'riskbnad')[0]}: ingen tabell "
                        "'riskbnad' i regeln (tabeller: riskband)"]


def test_an_installation_overrides_a_table_in_config_toml(bevaka: Bevaka) -> None:
    override = ('[rule_tables."internkontroll.risk".riskband]\n'
                'rows = [{in_matrix = false, band = "utanför matrisen"}, {risk = "<= 10", band = "grön"},'
                ' {risk = "-", band = "röd"}]\n')
    config = bevaka.tmp / "tables.toml"
    config.write_text(config_text(extra=override), encoding="utf-8")
    lr = load_ruleset(load_config(config)).by_id("internkontroll.risk")[0]
    assert [lr.evaluate_table("riskband", consequence=k, likelihood=3)["band"] for k in (3, 4)] == [
        "grön", "röd"]
    default = load_ruleset(load_config(bevaka.config_path)).by_id("internkontroll.risk")[0]
    assert lr.revision != default.revision  # the deadlines are recomputed
    bad = bevaka.tmp / "bad.toml"
    bad.write_text(config_text(extra=override.replace('risk = "<= 10"', 'risk = "<= tio"')),
                   encoding="utf-8")
    result = bevaka.run("rules", "validate", "--json", config=bad)
    assert result.exit_code == 1
    (problem,) = json.loads(result.stdout)["problems"]
    assert problem.endswith(": config.toml, tabellen 'riskband': rad 2, kolumn 'risk': okänt fält 'tio'")
    assert problem.startswith(f"{RULES_DIR / RISK}:")


def test_the_table_output_is_stored_with_the_measure(bevaka: Bevaka) -> None:
    plan = bevaka.tmp / "plan.yaml"
    plan.write_text("control_points:\n  - {plan: IK 2024, year: 2024, nr: 1, area: A, control_step: K,"
                    " owner: us, consequence: 3, likelihood: 4}\n", encoding="utf-8")
    bevaka.ok("import", str(plan))
    out = json.loads(bevaka.ok("explain", "internkontroll.risk/1/2024-01-01", "--as-of", "2024-03-01",
                               "--json").stdout)
    assert out["derived"]["band"] == "orange" and out["derived"]["risk"] == 12
    assert (out["finding"]["value"], out["finding"]["band"]) == (12, "orange")
    assert date.fromisoformat(out["finding"]["end_on"]) == date(2024, 12, 31)

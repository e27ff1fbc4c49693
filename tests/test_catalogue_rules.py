"""Every catalogue rule issue 10 found missing has a rule that names it and examples that
``bevaka rules test`` runs and passes; the PSB examples show 2025-03-03 and 2026-03-02."""

from __future__ import annotations

import json

import pytest
from conftest import Bevaka

from engine.config import Config
from engine.evaluate import load_ruleset

MISSING = ["R-N02", "R-N17", "R-N18", "R-N28", "R-O06", "R-O08", "R-O09", "R-O10", "R-O11",
           "R-O13", "R-O15", "R-O17", "R-O18", "R-O19", "R-O20", "R-O21", "R-O27"]
RULES = load_ruleset(Config()).rules


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    from conftest import write_config

    tmp = tmp_path_factory.mktemp("katalog")
    bevaka = Bevaka(tmp, tmp / "b.db", write_config(tmp / "config.toml"))
    report = json.loads(bevaka.ok("rules", "test", "--json").output)
    assert report["ok"] is True
    return report["results"]


@pytest.mark.parametrize("catalogue_id", MISSING)
def test_each_missing_rule_is_named_and_has_passing_examples(catalogue_id: str,
                                                             results: list[dict]) -> None:
    named = {lr.rule.id for lr in RULES if catalogue_id in lr.rule.description}
    assert named, f"no rule's description names {catalogue_id}"
    # the generic obligation rule covers many ids: its examples name theirs
    examples = [r for r in results if r["rule_id"] in named
                and (catalogue_id in r["name"] or r["rule_id"] != "skyldighet.aterkommande")]
    assert examples and all(r["ok"] for r in examples), (catalogue_id, named)


def test_psb_rolls_forward_to_the_next_working_day(results: list[dict]) -> None:
    psb = [r["name"] for r in results if r["rule_id"] == "skyldighet.aterkommande"
           and r["name"].startswith("R-O12") and r["ok"]]
    assert any("2025-03-01 → 2025-03-03" in n for n in psb), psb
    assert any("2026-03-01 → 2026-03-02" in n for n in psb), psb

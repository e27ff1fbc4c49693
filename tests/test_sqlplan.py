"""The set-based plan (engine/sqlplan.py) writes exactly the rows the fact-by-fact Python path
writes: on every shipped rule over the bundled examples, and on generated decisions for
conditions that mix fields, nulls, parameters and derived values."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, SV_HEADERS, Bevaka, write_config, write_csv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bevaka import Bevaka as App
from engine.config import load_config
from engine.derivation import COLUMNS, RuleFailure
from engine.materialize import refresh
from engine.sqlplan import eligible

NYKOPING = ["beslut-2024.xlsx", "nykoping-2024.yaml", "nykoping-2026.yaml", "inlamnade-2024.csv"]
OXELOSUND = ["oxelosund-moten.yaml", "balanslista-2023-12-13.yaml", "internkontroll-2024.xlsx",
             "kontrollresultat-2024.csv", "utredningar-bou-2024.csv", "klagomal-2024.csv",
             "avtal-aterkommande.yaml"]


def _rows(app: App) -> list[tuple[Any, ...]]:
    return sorted(app.db.execute(f"SELECT {', '.join(COLUMNS)} FROM deadlines").fetchall(),
                  key=repr)


def _rebuild(app: App, plan: str, org: str) -> list[tuple[Any, ...]]:
    with app.db.atomic():
        app.db.execute("DELETE FROM materialized")
    refresh(app.db, app.rulesets.for_org(org), org, plan=plan)
    return [r for r in _rows(app) if r[0] == org]


def test_every_shipped_rule_gives_the_same_rows_both_ways(bevaka: Bevaka) -> None:
    app = App(load_config(bevaka.config_path), bevaka.db_path)
    app.import_files([EXAMPLES / n for n in NYKOPING], org="nykoping/von")
    app.import_files([EXAMPLES / n for n in OXELOSUND], org="oxelosund/von")
    rules = app.rulesets.for_org("nykoping/von").rules
    assert sum(eligible(lr) for lr in rules) >= 15  # all but the rules with each, and measures
    for org in ("nykoping/von", "oxelosund/von"):
        python = _rebuild(app, "python", org)
        sql = _rebuild(app, "sql", org)
        assert len(python) > 50
        assert sql == python, org


RULE = """
id: test.plan
version: 1
title: Plan
applies_to: decision
legal_basis: [{{text: "SoL (2025:400) 34 kap. 1 §"}}]
params:
  months: {{default: 3}}
  lag: {{default: SoL}}
derive:
  deadline: "decided_on + months months"
  late: "if(executed_on > deadline, 'sent', 'i tid')"
when: "{when}"
finding:
  subject: id
  start: decided_on
  due: "{due}"
  done: executed_on
  recipients: [officer, role:enhetschef]
  why: "{{{{ subject }}}} {{{{ late }}}} {{{{ law }}}}"
"""

PACK = "name: test\ntitle: Test\nroles:\n  enhetschef: Enhetschef\n"

WHENS = [
    "law == lag",
    "law in ['SoL', 'LSS'] and executed_on is null",
    "executed_on > deadline or interrupted_on is not null",
    "not (law == 'LSS') and decided_on >= '2024-03-01'",
    "late == 'sent' or service == 'hemtjänst'",
    "true",
]
DUES = ["deadline", "coalesce(interrupted_on, deadline)", "if(law == 'LSS', decided_on + 10 days, deadline)"]

_day = st.dates(date(2023, 11, 1), date(2024, 6, 30))
_decision = st.fixed_dictionaries({
    "law": st.sampled_from(["SoL", "LSS"]),
    "service": st.sampled_from(["hemtjänst", "boende", None]),
    "decided_on": _day,
    "executed_after": st.one_of(st.none(), st.integers(0, 200)),
    "interrupted": st.one_of(st.none(), st.integers(1, 100)),
    "officer": st.sampled_from(["handlaggare_a", "b@kommun.se", None]),
})


def _write(path: Path, decisions: list[dict[str, Any]]) -> Path:
    rows = []
    for i, d in enumerate(decisions):
        executed = d["decided_on"] + timedelta(days=d["executed_after"]) \
            if d["executed_after"] is not None else None
        interrupted = executed + timedelta(days=d["interrupted"]) \
            if executed and d["interrupted"] else None
        rows.append([f"D-{i}", d["law"], "", d["service"] or "", d["decided_on"].isoformat(),
                     executed.isoformat() if executed else "",
                     interrupted.isoformat() if interrupted else "", "", "", "",
                     d["officer"] or ""])
    return write_csv(path, SV_HEADERS, rows)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_decision, min_size=1, max_size=40), st.sampled_from(WHENS), st.sampled_from(DUES))
def test_generated_decisions_give_the_same_rows_both_ways(tmp_path_factory: Any,
                                                          decisions: list[dict[str, Any]],
                                                          when: str, due: str) -> None:
    tmp = tmp_path_factory.mktemp("plan")
    (tmp / "rules" / "test").mkdir(parents=True)
    (tmp / "rules" / "test" / "plan.yaml").write_text(RULE.format(when=when, due=due), "utf-8")
    (tmp / "rules" / "test" / "pack.yaml").write_text(PACK, "utf-8")
    app = App(load_config(write_config(tmp / "config.toml", tmp / "rules")), tmp / "b.db")
    app.import_files([_write(tmp / "d.csv", decisions)])
    python = _rebuild(app, "python", "kommun/von")
    assert _rebuild(app, "sql", "kommun/von") == python


def test_two_facts_with_one_finding_id_fail_the_rule_naming_it(tmp_path: Path) -> None:
    (tmp_path / "rules" / "test").mkdir(parents=True)
    rule = RULE.format(when="true", due="deadline").replace("subject: id", "subject: law")
    (tmp_path / "rules" / "test" / "plan.yaml").write_text(rule, "utf-8")
    (tmp_path / "rules" / "test" / "pack.yaml").write_text(PACK, "utf-8")
    app = App(load_config(write_config(tmp_path / "config.toml", tmp_path / "rules")),
              tmp_path / "b.db")
    app.import_files([_write(tmp_path / "d.csv", [
        {"law": "SoL", "service": None, "decided_on": date(2024, 1, 5), "executed_after": None,
         "interrupted": None, "officer": None}] * 2)])
    for plan in ("sql", "python"):
        with pytest.raises(RuleFailure, match="två fakta ger samma bevakning 'test.plan/SoL'"):
            _rebuild(app, plan, "kommun/von")

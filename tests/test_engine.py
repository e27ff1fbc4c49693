"""Evaluation through the Python API: status and late_days, the two IVO clocks, escalation, the
resolved window, and incremental materialisation of deadlines."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, REGISTER_CSV, SV_HEADERS, open_db, write_config, write_csv

import facts
from engine import Config, Status, evaluate, load_config, load_ruleset
from engine.findings import Finding
from engine.materialize import refresh
from engine.projection import status_of
from facts.store import current_rev

EJ = "ivo.ej-verkstallt"
AVBROTT = "ivo.avbrott"


def _config(tmp_path: Path, **params: str) -> Config:
    name = "config-" + "-".join(f"{k}{v}" for k, v in params.items()) + ".toml"
    return load_config(write_config(tmp_path / name, params=params or None))


def _find(findings: list[Finding], rule_id: str, subject: str) -> Finding | None:
    return next((f for f in findings if f.rule_id == rule_id and f.subject == subject), None)


def _register(tmp_path: Path, rows: list[list[Any]], name: str = "beslut.csv") -> Any:
    db = open_db(tmp_path / "bevaka.db")
    facts.import_files(db, [write_csv(tmp_path / name, SV_HEADERS, rows)])
    return db


def _row(id_: str, law: str, decided: str, executed: str = "", interrupted: str = "",
         resumed: str = "", officer: str = "bistand_ao") -> list[Any]:
    return [id_, law, "ÄO", "SÄBO", decided, executed, interrupted, resumed, "", "", officer]


# ---- status and late_days ---------------------------------------------------------------------

D = date.fromisoformat


@pytest.mark.parametrize(("due", "done", "as_of", "status", "late", "overdue"), [
    ("2024-09-28", None, "2024-09-27", Status.upcoming, None, 0),
    ("2024-09-28", None, "2024-09-28", Status.due, None, 0),
    ("2024-09-28", None, "2024-09-30", Status.overdue, None, 2),
    ("2024-09-28", "2024-09-28", "2024-09-28", Status.resolved, 0, 0),  # on the due date
    ("2024-09-28", "2024-09-01", "2024-09-30", Status.resolved, 0, 0),  # early
    ("2024-09-28", "2024-10-17", "2024-12-31", Status.resolved, 19, 0),  # late
    ("2024-09-28", "2024-10-17", "2024-10-16", Status.overdue, None, 18),  # done after as_of
    ("2024-09-28", "2024-09-29", "2024-09-20", Status.upcoming, None, 0),
])
def test_status_of(due: str, done: str | None, as_of: str, status: Status, late: int | None,
                   overdue: int) -> None:
    assert status_of(D(due), D(done) if done else None, D(as_of)) == (status, late, overdue)


def test_late_days_through_the_engine(tmp_path: Path) -> None:
    db = _register(tmp_path, [
        _row("L-1", "SoL", "2024-06-28", "2024-10-17"),  # due 09-28, 19 days late
        _row("L-2", "SoL", "2024-02-14", "2024-05-14"),  # executed on the due date
        _row("L-3", "SoL", "2024-02-14", "2024-04-15"),  # early
        _row("L-4", "SoL", "2024-05-02"),                # never executed
        _row("L-5", "LSS", "2024-11-30"),                # due 2025-02-28: upcoming
    ])
    config = _config(tmp_path)
    ev = evaluate(db, config, D("2024-06-30"))
    got = {f.subject: (f.status, f.late_days) for f in ev.findings if f.rule_id == EJ}
    assert got["L-2"] == (Status.resolved, 0)
    assert got["L-3"] == (Status.resolved, 0)
    assert got["L-1"] == (Status.upcoming, None)
    assert got["L-4"] == (Status.upcoming, None)
    assert "L-5" not in got  # start_on (decided_on) is after as_of
    ev = evaluate(db, config, D("2024-12-31"))
    got = {f.subject: (f.status, f.late_days) for f in ev.findings if f.rule_id == EJ}
    assert got["L-1"] == (Status.resolved, 19)
    assert got["L-4"] == (Status.overdue, None)
    assert got["L-5"] == (Status.upcoming, None)
    assert "L-2" not in got and "L-3" not in got  # met more than 92 days ago
    l1 = _find(ev.findings, EJ, "L-1")
    assert l1 is not None and l1.public_dict()["late_days"] == 19
    assert "19 dagar för sent" in l1.why
    l4 = _find(ev.findings, EJ, "L-4")
    assert l4 is not None and l4.public_dict()["late_days"] is None


def test_resolved_window(tmp_path: Path) -> None:
    db = _register(tmp_path, [_row("W-1", "SoL", "2024-02-14", "2024-05-14")])
    config = _config(tmp_path)
    assert config.rules.resolved_window_days == 92
    assert _find(evaluate(db, config, D("2024-08-14")).findings, EJ, "W-1") is not None
    assert _find(evaluate(db, config, D("2024-08-15")).findings, EJ, "W-1") is None


# ---- the two clocks ---------------------------------------------------------------------------

def test_clock_a(tmp_path: Path) -> None:
    db = _register(tmp_path, [_row("A-1", "SoL", "2024-06-28", "2024-10-17")])
    config = _config(tmp_path)
    f = _find(evaluate(db, config, D("2024-09-30")).findings, EJ, "A-1")
    assert f is not None
    assert (f.status, f.due_on, f.late_days, f.days_overdue) == (Status.overdue, D("2024-09-28"),
                                                                 None, 2)
    assert f.legal_basis == ["SoL (2001:453) 16 kap. 6 f § första stycket"]
    assert f.recipients == ["bistand_ao"] and f.severity == "high" and not f.escalated
    f = _find(evaluate(db, config, D("2024-12-31")).findings, EJ, "A-1")
    assert f is not None
    assert (f.status, f.done_on, f.late_days) == (Status.resolved, D("2024-10-17"), 19)
    f = _find(evaluate(db, _config(tmp_path, three_months="90-days"), D("2024-12-31")).findings,
              EJ, "A-1")
    assert f is not None and (f.due_on, f.late_days) == (D("2024-09-26"), 21)


def test_clock_b_calendar_and_90_days(tmp_path: Path) -> None:
    db = _register(tmp_path, [_row("B-1", "SoL", "2024-04-10", "2024-07-15", "2024-10-01")])
    f = _find(evaluate(db, _config(tmp_path), D("2024-12-31")).findings, AVBROTT, "B-1")
    assert f is not None
    assert (f.status, f.due_on, f.late_days) == (Status.upcoming, D("2025-01-01"), None)
    f = _find(evaluate(db, _config(tmp_path, three_months="90-days"), D("2024-12-31")).findings,
              AVBROTT, "B-1")
    assert f is not None
    assert (f.status, f.due_on, f.days_overdue) == (Status.overdue, D("2024-12-30"), 1)


def test_clock_b_not_before_the_interruption(tmp_path: Path) -> None:
    db = _register(tmp_path, [_row("B-2", "LSS", "2024-01-22", "2024-02-12", "2024-03-11",
                                   "2024-07-22")])
    config = _config(tmp_path)
    assert _find(evaluate(db, config, D("2024-03-10")).findings, AVBROTT, "B-2") is None
    f = _find(evaluate(db, config, D("2024-06-30")).findings, AVBROTT, "B-2")
    assert f is not None and f.status is Status.overdue and f.due_on == D("2024-06-11")
    assert f.legal_basis == ["LSS 28 f § andra stycket"]
    f = _find(evaluate(db, config, D("2024-09-30")).findings, AVBROTT, "B-2")
    assert f is not None and (f.status, f.late_days) == (Status.resolved, 41)


def test_escalation_after_30_days(tmp_path: Path) -> None:
    db = _register(tmp_path, [_row("E-1", "SoL", "2024-05-02")])  # due 2024-08-02
    config = _config(tmp_path)
    f = _find(evaluate(db, config, D("2024-08-31")).findings, EJ, "E-1")  # 29 days
    assert f is not None and not f.escalated and f.severity == "high"
    f = _find(evaluate(db, config, D("2024-09-01")).findings, EJ, "E-1")  # 30 days
    assert f is not None and f.escalated and f.days_overdue == 30
    assert f.severity == "critical"
    assert f.recipients == ["bistand_ao", "enhetschef"]


def test_legal_basis_follows_the_date(tmp_path: Path) -> None:
    db = _register(tmp_path, [_row("N-1", "SoL", "2025-03-03")])
    config = _config(tmp_path)
    f = _find(evaluate(db, config, D("2025-06-30")).findings, EJ, "N-1")
    assert f is not None and f.legal_basis == ["SoL (2001:453) 16 kap. 6 f § första stycket"]
    f = _find(evaluate(db, config, D("2025-07-01")).findings, EJ, "N-1")
    assert f is not None and f.legal_basis == ["SoL (2025:400) 34 kap. 1 § första stycket"]


def test_example_register_outcomes(tmp_path: Path) -> None:
    """Spot checks of examples/README.md against the full register."""
    db = open_db(tmp_path / "bevaka.db")
    facts.import_files(db, [EXAMPLES / "beslut-2024.xlsx"])
    cal, d90 = _config(tmp_path), _config(tmp_path, three_months="90-days")
    ev = evaluate(db, cal, D("2024-12-31")).findings
    ev90 = evaluate(db, d90, D("2024-12-31")).findings

    def get(fs: list[Finding], rule: str, s: str) -> Finding:
        f = _find(fs, rule, s)
        assert f is not None, s
        return f

    assert get(ev, EJ, "D-2024-004").due_on == D("2025-02-28")
    assert get(ev90, EJ, "D-2024-004").due_on == D("2025-02-28")
    assert get(ev, EJ, "D-2024-012").status is Status.upcoming
    assert get(ev90, EJ, "D-2024-012").due_on == D("2025-02-02")
    assert (get(ev, EJ, "D-2024-001").late_days, get(ev90, EJ, "D-2024-001").late_days) == (19, 21)
    five_cal = evaluate(db, cal, D("2024-11-30")).findings
    five_90 = evaluate(db, d90, D("2024-11-30")).findings
    assert get(five_cal, EJ, "D-2024-005").late_days == 0
    assert get(five_90, EJ, "D-2024-005").late_days == 1
    assert get(evaluate(db, cal, D("2024-06-30")).findings, EJ, "D-2024-011").late_days == 0
    seven = evaluate(db, cal, D("2024-09-30")).findings
    assert get(seven, AVBROTT, "D-2024-007").late_days == 41
    assert get(seven, EJ, "D-2024-010").late_days == 25
    # decisions 013-040 are on time under both readings
    for fs in (ev, ev90):
        late = {f.subject for f in fs if f.late_days or f.status is Status.overdue}
        assert not {f"D-2024-{i:03d}" for i in range(13, 41)} & late


# ---- incremental materialisation --------------------------------------------------------------

def _materialized(db: Any) -> dict[str, dict[str, Any]]:
    return {r["rule_key"]: r for r in db.table("materialized").rows}


def _deadlines(db: Any) -> dict[tuple[str, str], tuple[Any, ...]]:
    cur = db.execute("SELECT rowid, rule_key, id, due_on, done_on, context FROM deadlines")
    return {(r[1], r[2]): (r[0], r[3], r[4], r[5]) for r in cur.fetchall()}


def _mark(db: Any) -> None:
    """Stamp computed_at so that any rewrite of a materialized row shows, whatever the clock."""
    with db.conn:
        db.execute("UPDATE materialized SET computed_at = 'mark'")


def test_incremental_materialisation(tmp_path: Path) -> None:
    register = tmp_path / "beslut.csv"
    shutil.copy(REGISTER_CSV, register)
    db = open_db(tmp_path / "bevaka.db")
    facts.import_files(db, [register])
    config = _config(tmp_path)
    ruleset = load_ruleset(config)
    keys = {f"{EJ}@1", f"{AVBROTT}@1"}

    evaluate(db, config, D("2024-12-31"), ruleset)
    m1 = _materialized(db)
    assert set(m1) >= keys
    assert {m1[k]["facts_rev"] for k in keys} == {1}
    assert m1[f"{EJ}@1"]["rows"] == 40
    d1 = _deadlines(db)
    assert len([k for k in d1 if k[0] == f"{EJ}@1"]) == 40

    # nothing changed: no rule is re-matched, no row rewritten
    _mark(db)
    assert refresh(db, ruleset) == {}
    evaluate(db, config, D("2025-01-10"), ruleset)
    assert {k: m["computed_at"] for k, m in _materialized(db).items()} == dict.fromkeys(
        _materialized(db), "mark")
    assert _deadlines(db) == d1

    # one changed row in the register: only that fact is re-derived and re-matched
    text = register.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("D-2024-003;"))
    cells = line.split(";")
    assert cells[5] == ""
    cells[5] = "2024-12-01"
    register.write_text(text.replace(line, ";".join(cells)), encoding="utf-8")
    report = facts.import_files(db, [register])
    assert report.changed == 1 and current_rev(db) == 2
    redone = refresh(db, ruleset)  # other packs' rules on decisions re-derive the fact too
    assert {k: redone.get(k) for k in keys} == {f"{EJ}@1": 1, f"{AVBROTT}@1": 1}
    assert all(n <= 1 for n in redone.values()), redone  # nothing recomputed whole
    m2 = _materialized(db)
    assert {m2[k]["facts_rev"] for k in keys} == {2}
    assert all(m2[k]["computed_at"] != "mark" for k in keys)
    assert m2[f"{EJ}@1"]["revision"] == m1[f"{EJ}@1"]["revision"]
    d2 = _deadlines(db)
    assert set(d2) == set(d1)
    changed = {k for k in d1 if d1[k] != d2[k]}
    assert changed == {(f"{EJ}@1", f"{EJ}/D-2024-003")}
    assert d2[(f"{EJ}@1", f"{EJ}/D-2024-003")][2] == "2024-12-01"
    f = _find(evaluate(db, config, D("2024-12-31"), ruleset).findings, EJ, "D-2024-003")
    assert f is not None and f.status is Status.resolved and f.late_days == 121

    # a changed parameter in config.toml is a new rule revision: recomputed whole
    _mark(db)
    config90 = _config(tmp_path, three_months="90-days")
    ruleset90 = load_ruleset(config90)
    redone90 = refresh(db, ruleset90)
    assert {k: redone90.pop(k) for k in keys} == {f"{EJ}@1": 40, f"{AVBROTT}@1": 40}
    # the other rules that take three_months (interruption history, parts) have no facts here
    assert redone90 == {"ivo.avbrott-historik@1": 0, "ivo.delvis-verkstallt@1": 0}
    m3 = _materialized(db)
    assert m3[f"{EJ}@1"]["revision"] != m2[f"{EJ}@1"]["revision"]
    assert {m3[k]["facts_rev"] for k in keys} == {2}
    d3 = _deadlines(db)
    assert d3[(f"{EJ}@1", f"{EJ}/D-2024-001")][1] == "2024-09-26"
    assert d3[(f"{AVBROTT}@1", f"{AVBROTT}/D-2024-002")][1] == "2024-12-30"
    # and evaluating again with the same parameters changes nothing
    _mark(db)
    d3 = _deadlines(db)
    evaluate(db, config90, D("2024-12-31"), ruleset90)
    assert all(m["computed_at"] == "mark" for m in _materialized(db).values())
    assert _deadlines(db) == d3
    # back to calendar months: recomputed again, same dates as before
    evaluate(db, config, D("2024-12-31"))
    d4 = _deadlines(db)
    assert {k: v[1:] for k, v in d4.items()} == {k: v[1:] for k, v in d2.items()}


def test_related_fact_type_change_recomputes_the_rule(tmp_path: Path) -> None:
    db = open_db(tmp_path / "bevaka.db")
    facts.import_files(db, [EXAMPLES / "nykoping-2026.yaml", REGISTER_CSV])
    config = _config(tmp_path)
    ruleset = load_ruleset(config)
    rule = "avtal.rapport-fore-sammantrade"
    ev = evaluate(db, config, D("2026-03-03"), ruleset)
    f = _find(ev.findings, rule, "2026-05")
    assert f is not None and f.status is Status.overdue and f.due_on == D("2026-03-02")
    sub = tmp_path / "inlamnat.yaml"
    sub.write_text("submissions:\n  - {obligation_id: '2026-05', submitted_on: 2026-03-04}\n",
                   encoding="utf-8")
    facts.import_files(db, [sub])
    # submissions are looked up by the avtal rule: it is recomputed whole; decisions are not
    # (other rules that look up submissions are recomputed too, over their 0 facts here)
    assert {k: n for k, n in refresh(db, ruleset).items() if n} == {f"{rule}@2": 10}
    f = _find(evaluate(db, config, D("2026-03-05"), ruleset).findings, rule, "2026-05")
    assert f is not None and (f.status, f.late_days) == (Status.resolved, 2)


def test_rows_of_a_retired_rule_version_are_removed(tmp_path: Path) -> None:
    db = open_db(tmp_path / "bevaka.db")
    facts.import_files(db, [REGISTER_CSV])
    config = _config(tmp_path)
    evaluate(db, config, D("2024-12-31"))
    keys = {r[0] for r in db.execute("SELECT DISTINCT rule_key FROM deadlines")}
    assert f"{EJ}@1" in keys
    # the same rules without the IVO clock A: its rows and its materialised state go
    rules = tmp_path / "rules"
    shutil.copytree(Path(load_ruleset(config).rules[0].path).parents[1], rules)
    (rules / "ivo" / "ej-verkstallt.yaml").unlink()
    fewer = write_config(tmp_path / "fewer.toml", rules_dir=rules)
    evaluate(db, load_config(fewer), D("2024-12-31"))
    assert not db.execute("SELECT count(*) FROM deadlines WHERE rule_key = ?", [f"{EJ}@1"]).fetchone()[0]
    assert not db.execute("SELECT count(*) FROM materialized WHERE rule_key = ?", [f"{EJ}@1"]).fetchone()[0]
    assert db.execute("SELECT count(*) FROM deadlines WHERE rule_key = ?", [f"{AVBROTT}@1"]).fetchone()[0]


def test_the_legal_basis_cache_never_takes_another_rules_names(tmp_path: Path) -> None:
    # A rule set loaded after another was freed can get a list at the same address; the cache
    # of the names a rule's basis reads then gave SoL decisions the LSS paragraph (seen in CI).
    from engine import projection

    config = _config(tmp_path)
    lr = next(r for r in load_ruleset(config).rules if r.rule.id == EJ)
    projection._BASIS_NAMES[id(lr.basis_when)] = (object(), ())  # a freed rule's entry
    cache: dict[tuple[Any, ...], list[str]] = {}
    cited = {law: projection.legal_basis(lr, {"law": law}, D("2024-09-30"), cache)
             for law in ("SoL", "LSS")}
    assert cited == {"SoL": ["SoL (2001:453) 16 kap. 6 f § första stycket"],
                     "LSS": ["LSS 28 f § första stycket"]}

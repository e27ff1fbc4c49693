"""Decision records in the audit log: written for changed findings only, masked, chained, shown
and replayed (with the recorded rule revision, and against an edited rule file)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import RULES_DIR
from demo_db import CONFIG, build_demo
from sqlite_utils import Database

from bevaka import Bevaka
from bevaka.cli import cli
from engine.decision_inputs import restore
from engine.decisions import MASK_POLICY
from facts.personnummer import find_personnummer


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo(tmp_path_factory.mktemp("demo"))


def _cli(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--db", str(db), "--config", str(CONFIG), *args])
    return result.exit_code, result.output


def _runs(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [r for (r,) in conn.execute("SELECT run_id FROM audit_log WHERE kind = 'run' ORDER BY seq")]
    finally:
        conn.close()


def test_one_masked_decision_per_new_or_changed_finding(demo: Path) -> None:
    conn = sqlite3.connect(demo)
    rows = conn.execute("SELECT run_id, kind, payload FROM audit_log ORDER BY seq").fetchall()
    conn.close()
    changes = [json.loads(p) for _, k, p in rows if k == "finding"]
    chained = [json.loads(p) for _, k, p in rows if k == "decision"]
    # the chain keeps the case and a salted hash; the input is beside it (erasable)
    assert all("derived" not in d and set(d["input"] or {"sha256": 1}) <= {
        "fact_type", "key", "sha256"} for d in chained)
    decisions = restore(Database(demo), chained)
    assert len(decisions) == sum(c["op"] in ("new", "changed") for c in changes) > 100
    for d in decisions:
        fields = (d["input"] or {}).get("fields", {})
        assert not set(fields) & set(MASK_POLICY), d["finding_id"]
        assert d["rule"]["revision"] and d["result"]["id"] == d["finding_id"]
    ivo = next(d for d in decisions if d["finding_id"] == "ivo.ej-verkstallt/D-2024-001")
    assert {"birth_date", "birth_year", "note", "reason", "sex"} <= set(ivo["masked"])
    assert ivo["input"]["key"] == "D-2024-001" and ivo["derived"] == {"deadline": "2024-09-28"}
    text = "\n".join(p for _, k, p in rows)
    assert not find_personnummer(text)
    for secret in ("Erbjuden plats 241010", "Ingen ledig plats", "Kvinna", '"birth_year":'):
        assert secret not in text
    assert {json.loads(p)["revision"] for _, k, p in rows if k == "rule"} >= {
        d["rule"]["revision"] for d in decisions}


def test_a_decision_row_edited_breaks_the_chain(demo: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    shutil.copy(demo, copy)
    exe = shutil.which("sqlite3")
    assert exe, "sqlite3 command-line tool needed (make test installs it)"
    subprocess.run([exe, str(copy)], check=True, text=True, input=(
        "DROP TRIGGER audit_log_no_update;\n"
        "UPDATE audit_log SET payload = replace(payload, '2024-09-28', '2024-10-28') "
        "WHERE kind = 'decision' AND payload LIKE '%D-2024-001\"%';\n"))
    code, out = _cli(copy, "audit", "verify")
    assert code == 1 and "hash stämmer inte" in out


def test_show_prints_a_findings_record(demo: Path) -> None:
    first = _runs(demo)[0]
    code, out = _cli(demo, "audit", "show", first, "--finding", "ivo.ej-verkstallt/D-2024-001")
    assert code == 0, out
    assert "regel      ivo.ej-verkstallt v1" in out and "decision D-2024-001" in out
    assert "maskerat   birth_date, birth_year, note, reason, sex" in out and "1936" not in out
    code, out = _cli(demo, "audit", "show", first, "--finding", "ivo.ej-verkstallt/D-9999", "--json")
    assert code == 1 and "ingen beslutspost" in out


def test_replay_reproduces_every_finding_and_names_outcomes_an_edit_changes(demo: Path,
                                                                          tmp_path: Path) -> None:
    for run_id in _runs(demo):
        code, out = _cli(demo, "audit", "replay", run_id, "--json")
        assert code == 0, out
        results = json.loads(out)
        assert results and all(r["outcome"] == "same" and r["current"] == "same" for r in results)
    edited = tmp_path / "rules"
    shutil.copytree(RULES_DIR, edited)
    rule = edited / "ivo" / "ej-verkstallt.yaml"
    rule.write_text(rule.read_text(encoding="utf-8").replace(
        "decided_on + 3 months)", "decided_on + 4 months)"), encoding="utf-8")
    first = _runs(demo)[0]
    code, out = _cli(demo, "audit", "replay", first, "--rules", str(edited))
    assert code == 0, out
    assert "33 av 33 utfall återskapade med den loggade revisionen" in out
    assert "ivo.ej-verkstallt/D-2024-001: samma utfall" in out
    assert "med nuvarande regler" in out
    assert "frist 2024-10-28 i stället för åtgärdad, frist 2024-09-28" in out
    with Bevaka.from_files(config=CONFIG, db=demo) as app:
        results = app.audit_replay(first, rules_dir=edited)
    differ = {r.finding_id for r in results if r.current == "differs"}
    assert differ and all(f.startswith("ivo.ej-verkstallt/") for f in differ)


@pytest.mark.parametrize(("change", "found"), [
    ("UPDATE decision_inputs SET content = replace(content, '\"fields\":{', '\"fields\":{\"x\":1,') "
     "WHERE rowid = (SELECT min(rowid) FROM decision_inputs)", "har ändrats efter att posten"),
    ("DELETE FROM decision_inputs WHERE rowid = (SELECT min(rowid) FROM decision_inputs)",
     "saknas, men faktat har inte gallrats"),
])
def test_the_input_beside_the_chain_is_verified(demo: Path, tmp_path: Path, change: str,
                                                found: str) -> None:
    db = tmp_path / "bevaka.db"
    shutil.copy(demo, db)
    assert _cli(db, "audit", "verify")[0] == 0
    conn = sqlite3.connect(db)
    with conn:
        assert conn.execute(change).rowcount == 1
    conn.close()
    code, out = _cli(db, "audit", "verify")
    assert code != 0 and found in out, out

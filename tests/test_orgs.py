"""Organisations: the demo's two kommuner in one database never decide each other's deadlines."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from conftest import EXAMPLES, Bevaka

NYKOPING = ["beslut-2024.xlsx", "nykoping-2024.yaml", "nykoping-2026.yaml", "inlamnade-2024.csv"]
OXELOSUND = ["oxelosund-moten.yaml", "balanslista-2023-12-13.yaml", "internkontroll-2024.xlsx",
             "kontrollresultat-2024.csv", "utredningar-bou-2024.csv", "klagomal-2024.csv",
             "avtal-aterkommande.yaml"]


def _meetings(name: str) -> set[str]:
    data = yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
    return {str(m["date"]) for m in data["meetings"]}


def _load_both(bevaka: Bevaka) -> None:
    bevaka.ok("import", "--org", "nykoping/von", *(str(EXAMPLES / n) for n in NYKOPING))
    bevaka.ok("import", *(str(EXAMPLES / n) for n in OXELOSUND), "--org", "oxelosund/von")


def _findings(bevaka: Bevaka, as_of: str, *extra: str) -> list[dict]:
    return json.loads(bevaka.ok("check", "--as-of", as_of, "--json", *extra).output)


def test_no_oxelosund_finding_is_due_at_a_nykoping_meeting(bevaka: Bevaka) -> None:
    _load_both(bevaka)
    nykoping = _meetings("nykoping-2024.yaml") | _meetings("nykoping-2026.yaml")
    oxelosund = _meetings("oxelosund-moten.yaml")
    assert nykoping and oxelosund and not nykoping & oxelosund
    seen_orgs = set()
    for as_of in ("2023-12-13", "2024-06-30", "2024-12-31"):
        for f in _findings(bevaka, as_of):
            seen_orgs.add(f["org"])
            if f["org"] == "oxelosund/von":
                assert f["due_on"] not in nykoping, f
    assert seen_orgs == {"nykoping/von", "oxelosund/von"}


def test_control_point_3_is_due_at_oxelosunds_may_meeting_only(bevaka: Bevaka) -> None:
    _load_both(bevaka)
    points = [f for f in _findings(bevaka, "2024-06-30", "--rule", "internkontroll.rapportering")
              if f["subject"] == "3" and f["due_on"].startswith("2024-05")]
    assert [(f["org"], f["due_on"]) for f in points] == [("oxelosund/von", "2024-05-22")]


def test_org_filter_and_default(bevaka: Bevaka) -> None:
    _load_both(bevaka)
    only = _findings(bevaka, "2024-12-31", "--org", "oxelosund/von")
    assert only and {f["org"] for f in only} == {"oxelosund/von"}
    nyk = _findings(bevaka, "2024-12-31", "--org", "nykoping/von")
    assert {f["org"] for f in nyk} == {"nykoping/von"}
    assert not {f["id"] for f in only} & {f["id"] for f in nyk if f["rule_id"].startswith("ivo.")}
    # the IVO report of the default organisation (kommun/von in the test config) is empty; the
    # report of nykoping/von has the register's decisions
    empty = json.loads(bevaka.ok("report", "ivo", "--quarter", "2024Q4", "--json").output)
    assert all(not ids for law in ("SoL", "LSS") for ids in empty[law].values())
    full = json.loads(bevaka.ok("report", "ivo", "--quarter", "2024Q4", "--org", "nykoping/von",
                                "--json").output)
    assert any(full[law]["not_executed"] for law in ("SoL", "LSS"))


def test_a_misspelt_org_is_a_one_line_error(bevaka: Bevaka, tmp_path: Path) -> None:
    result = bevaka.run("import", str(EXAMPLES / "beslut-2024.csv"), "--org", "Oxelösund")
    assert result.exit_code == 1
    assert result.output.count("Fel:") == 1 and "kommun/nämnd" in result.output

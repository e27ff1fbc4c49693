"""A command line that never misleads (issue 7): a mistyped ``--db`` folder, rule id, status or
register kind is one ``Fel:`` line with exit 1 (with "menade du …?" where a near name exists);
statuses are accepted in Swedish; global options work after the command too."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner, Result
from conftest import EXAMPLES, REGISTER_XLSX, Bevaka

from bevaka.cli import cli


def _one_error(result: Result, *parts: str) -> None:
    output = result.output
    assert result.exit_code == 1, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Fel: "), output
    for part in parts:
        assert part in lines[0], output


def test_a_db_in_a_folder_that_does_not_exist_is_one_line_and_creates_nothing(tmp_path: Path
                                                                            ) -> None:
    db = tmp_path / "no" / "such" / "dir" / "x.db"
    for args in (["report", "ivo", "--quarter", "2024Q4"], ["audit", "verify"],
                 ["import", str(REGISTER_XLSX)]):
        result = CliRunner().invoke(cli, ["--db", str(db), *args])
        _one_error(result, "finns inte", "--db")
    assert not (tmp_path / "no").exists()


def test_a_mistyped_rule_is_an_error_with_a_suggestion(bevaka: Bevaka) -> None:
    bevaka.ok("import", str(REGISTER_XLSX))
    _one_error(bevaka.run("check", "--as-of", "2024-12-31", "--rule", "ivo.ejverkstallt"),
               "okänd regel 'ivo.ejverkstallt'", "menade du 'ivo.ej-verkstallt'?")


def test_status_in_swedish_and_an_unknown_status(bevaka: Bevaka) -> None:
    bevaka.ok("import", str(REGISTER_XLSX))
    swedish = json.loads(bevaka.ok("check", "--as-of", "2024-12-31", "--status", "försenad",
                                   "--json").stdout)
    english = json.loads(bevaka.ok("check", "--as-of", "2024-12-31", "--status", "overdue",
                                   "--json").stdout)
    assert swedish == english and swedish and {f["status"] for f in swedish} == {"overdue"}
    _one_error(bevaka.run("check", "--status", "forsenad"), "okänd status", "menade du 'försenad'?")


def test_an_unknown_kind_is_one_line_with_a_suggestion(bevaka: Bevaka) -> None:
    _one_error(bevaka.run("import", str(REGISTER_XLSX), "--kind", "decisons"),
               "okänd registertyp 'decisons'", "menade du decisions?")


def test_global_options_after_the_command(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["check", "--db", str(tmp_path / "none" / "x.db")])
    _one_error(result, "finns inte")


def test_quarter_in_the_usual_spellings(bevaka: Bevaka) -> None:
    bevaka.ok("import", str(REGISTER_XLSX))
    canonical = json.loads(bevaka.ok("report", "kf", "--quarter", "2024Q4", "--json").stdout)
    for spelling in ("2024 Q4", "Q4-2024", "2024K4", "k4 2024"):
        assert json.loads(bevaka.ok("report", "kf", "--quarter", spelling, "--json").stdout) \
            == canonical, spelling
    _one_error(bevaka.run("report", "kf", "--quarter", "2024Q5"), "'2024Q5' är inget kvartal")


def test_an_unknown_config_key_is_swedish(bevaka: Bevaka, tmp_path: Path) -> None:
    config = tmp_path / "fel.toml"
    config.write_text("[rules]\nfoo = 1\n", encoding="utf-8")
    _one_error(bevaka.run("rules", "list", config=config), "[rules.foo] okänd inställning")


def test_rules_diff_of_a_missing_folder_is_swedish(bevaka: Bevaka) -> None:
    _one_error(bevaka.run("rules", "diff", "OLD", "NEW"), "OLD: regelkatalogen finns inte")


def test_diff_summaries_are_swedish() -> None:
    from engine.diff import _sv

    assert (_sv("status", "upcoming"), _sv("status", "overdue"), _sv("severity", "high"),
            _sv("escalated", True)) == ("kommande", "försenad", "hög", "ja")


def test_an_unknown_finding_id_hints_at_its_rule_s_real_id_form(bevaka: Bevaka) -> None:
    """A recurring rule's ids end with the occurrence's date and its subject is a list row,
    not a case: the hint says so, with a real id and the closest ones."""
    bevaka.ok("import", str(EXAMPLES / "balanslista-2023-12-13.yaml"),
              str(EXAMPLES / "oxelosund-moten.yaml"))
    _one_error(bevaka.run("explain", "balanslista.aterkommande/6", "--as-of", "2024-03-01"),
               "id:n för regeln balanslista.aterkommande har formen "
               "balanslista.aterkommande/RAD/ÅÅÅÅ-MM-DD, t.ex. balanslista.aterkommande/",
               "menade du 'balanslista.aterkommande/6/2024-02-21'")
    found = json.loads(bevaka.ok("explain", "balanslista.aterkommande/6/2024-02-21", "--as-of",
                                 "2024-03-01", "--json").stdout)
    assert found["finding"]["subject"] == "6"
    _one_error(bevaka.run("explain", "balanslista.aterkomande/6/2024-02-21", "--as-of",
                          "2024-03-01"),
               "ingen regel 'balanslista.aterkomande'; menade du 'balanslista.aterkommande'?")


def test_a_case_rule_s_hint_names_a_case(bevaka: Bevaka) -> None:
    bevaka.ok("import", str(REGISTER_XLSX))
    _one_error(bevaka.run("explain", "ivo.ej-verkstallt/D-2024-0011", "--as-of", "2024-12-31"),
               "har formen ivo.ej-verkstallt/ÄRENDE, t.ex. ivo.ej-verkstallt/D-2024-",
               "menade du 'ivo.ej-verkstallt/D-2024-001'")


def test_counts_are_in_the_right_number(bevaka: Bevaka) -> None:
    from facts.vocabulary import plural

    assert (plural(0, "rad", "rader"), plural(1, "rad", "rader"), plural(2, "rad", "rader")) \
        == ("0 rader", "1 rad", "2 rader")
    bevaka.ok("import", str(REGISTER_XLSX))
    bevaka.ok("check", "--as-of", "2024-12-31")
    out = bevaka.ok("audit", "verify").output
    assert re.search(r"Revisionsloggen är hel: \d+ rader, 1 körning\.", out), out
    bevaka.ok("check", "--as-of", "2025-01-31")
    assert ", 2 körningar." in bevaka.ok("audit", "verify").output
    ivo = bevaka.ok("report", "ivo", "--quarter", "2024Q4").output
    assert "SoL ej verkställda: " in ivo and "not_executed" not in ivo, ivo

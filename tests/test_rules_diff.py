"""`bevaka rules diff`: the dry run before a law change lists exactly the status changes."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

from click.testing import CliRunner
from dateutil.relativedelta import relativedelta
from openpyxl import load_workbook

from bevaka.cli import cli

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2024, 12, 31)


def _status(due: date, done: date | None) -> str:
    if done is not None and done <= AS_OF:
        return "resolved"
    return "upcoming" if due > AS_OF else "due" if due == AS_OF else "overdue"


def _expected_status_changes() -> set[str]:
    """Independent oracle: plain date arithmetic over the example register."""
    wb = load_workbook(ROOT / "examples" / "beslut-2024.xlsx", data_only=True)
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    head = [str(h) for h in rows[0]]
    from facts.dates import parse_date

    out = set()
    for values in rows[1:]:
        r = dict(zip(head, values, strict=False))
        case = r["Ärende"]
        for rule, start, done in (("ivo.ej-verkstallt", r["Beslutsdatum"], r["Verkställd"]),
                                  ("ivo.avbrott", r["Avbrott"], r["Återupptagen"])):
            s, d = parse_date(start), parse_date(done)
            if s is None:
                continue
            cal = _status(s + relativedelta(months=3), d)
            ninety = _status(s + relativedelta(days=90), d)
            if cal != ninety:
                out.add(f"{rule}/{case}")
    return out


def test_diff_against_90_days_lists_exactly_the_status_changes(tmp_path: Path) -> None:
    new_rules = tmp_path / "rules-90"
    shutil.copytree(ROOT / "rules", new_rules)
    for path in (new_rules / "ivo").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("default: calendar", "default: 90-days"), encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f'[rules]\ndir = "{ROOT / "rules"}"\n', encoding="utf-8")
    base = ["--db", str(tmp_path / "b.db"), "--config", str(config)]
    runner = CliRunner()
    assert runner.invoke(cli, [*base, "import", str(ROOT / "examples" / "beslut-2024.xlsx")]).exit_code == 0
    result = runner.invoke(cli, [*base, "rules", "diff", str(ROOT / "rules"), str(new_rules),
                                 "--as-of", AS_OF.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    expected = _expected_status_changes()
    assert expected, "the register should contain decisions the 90-day reading changes"
    assert {c["id"] for c in data["changed"]} == expected
    assert data["added"] == [] and data["removed"] == []
    assert all("status" not in m["changes"] for m in data["moved"])
    # the diff evaluates in a copy: the real database keeps no deadlines of the 90-day rules
    text = runner.invoke(cli, [*base, "rules", "diff", str(ROOT / "rules"), str(new_rules),
                               "--as-of", AS_OF.isoformat()]).output
    assert f"{len(expected)} med ändrad status" in text

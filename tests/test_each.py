"""Rules that repeat per date (``each``) and the functions that read other facts."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bevaka.cli import cli

PACK = "name: upprepning\ntitle: Test av each\n"

MONTHLY = """
id: test.manadsrapport
version: 1
title: Månadsrapport senast den 10:e
applies_to: obligation
legal_basis: [{text: "Överenskommelse VON–DSO 2026, avsnitt 1.5"}]
each: "monthly(due_on, meeting_on)"
derive:
  deadline: "date_of(year(occurrence), month(occurrence), 10)"
  submitted: >-
    earliest(s.submitted_on for s in submission
             where s.obligation_id == id and s.submitted_on >= occurrence)
finding:
  due: deadline
  done: submitted
  recipients: [responsible]
  why: "Rapport {{ subject }} för {{ occurrence }} senast {{ due_on }}: {{ status }}."
examples:
  - name: tre månader, en inlämnad i tid, en sent, en saknas
    as_of: 2026-03-31
    facts:
      obligation: [{id: M, title: Statistik, due_on: 2026-01-01, meeting_on: 2026-03-31}]
      submission:
        - {obligation_id: M, submitted_on: 2026-01-09}
        - {obligation_id: M, submitted_on: 2026-02-12}
    expect:
      - {subject: M, status: resolved, late_days: 2, due_on: 2026-02-10}
"""


def _run(tmp_path: Path, rule: str, files: dict[str, str], *args: str) -> tuple[int, str]:
    rules = tmp_path / "rules" / "upprepning"
    rules.mkdir(parents=True)
    (rules / "pack.yaml").write_text(PACK, encoding="utf-8")
    (rules / "regel.yaml").write_text(rule, encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f'[rules]\ndir = "{tmp_path / "rules"}"\n', encoding="utf-8")
    base = ["--db", str(tmp_path / "b.db"), "--config", str(config)]
    runner = CliRunner()
    for name, text in files.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        result = runner.invoke(cli, [*base, "import", str(path)])
        assert result.exit_code == 0, result.output
    result = runner.invoke(cli, [*base, *args])
    return result.exit_code, result.output


def test_each_month_is_its_own_finding(tmp_path: Path) -> None:
    files = {
        "o.yaml": "obligations:\n  - {id: M, title: Statistik, due_on: 2026-01-01, meeting_on: 2026-03-31}\n",
        "s.csv": "Rapport;Inlämnad\nM;2026-01-09\nM;2026-02-12\n",
    }
    code, out = _run(tmp_path, MONTHLY, files, "check", "--as-of", "2026-03-31", "--json")
    assert code == 0, out
    found = {f["id"]: f for f in json.loads(out)}
    assert set(found) == {"test.manadsrapport/M/2026-01-01", "test.manadsrapport/M/2026-02-01",
                          "test.manadsrapport/M/2026-03-01"}
    jan, feb, mar = (found[f"test.manadsrapport/M/2026-0{m}-01"] for m in (1, 2, 3))
    assert (jan["status"], jan["late_days"], jan["due_on"]) == ("resolved", 0, "2026-01-10")
    assert (feb["status"], feb["late_days"]) == ("resolved", 2)
    assert (mar["status"], mar["due_on"], mar["days_overdue"]) == ("overdue", "2026-03-10", 21)


def test_rules_test_matches_examples_per_occurrence(tmp_path: Path) -> None:
    code, out = _run(tmp_path, MONTHLY, {}, "rules", "test")
    assert code == 1  # the example names no occurrence: each month is a separate finding
    assert "oväntad bevakning för M (2026-01-01) (resolved)" in out
    expect = MONTHLY.replace(
        "      - {subject: M, status: resolved, late_days: 2, due_on: 2026-02-10}",
        "      - {subject: M, occurrence: 2026-01-01, status: resolved, late_days: 0}\n"
        "      - {subject: M, occurrence: 2026-02-01, status: resolved, late_days: 2}\n"
        "      - {subject: M, occurrence: 2026-03-01, status: overdue, due_on: 2026-03-10}")
    code, out = _run(tmp_path / "ok", expect, {}, "rules", "test")
    assert code == 0, out


RATIO = """
id: test.andel
version: 1
title: Andel långa utredningar
applies_to: meeting
legal_basis: [{text: "Kommunallagen (2017:725) 6 kap. 6 §"}]
derive:
  share: "ratio(d.executed_on is null for d in decision where d.decided_on <= date)"
  decided: "count(d in decision where d.law == 'LSS')"
  next: "next_meeting(date + 1 day)"
when: "share > 10"
finding:
  subject: "period_key(date, 'month')"
  due: date
  why: "{{ share }} % ej verkställda av {{ decided }} LSS, nästa möte {{ next }}."
"""


def test_ratio_count_and_meetings_read_other_facts(tmp_path: Path) -> None:
    files = {
        "m.yaml": "meetings:\n  - {body: VON, date: 2024-05-20}\n  - {body: VON, date: 2024-11-20}\n",
        "d.csv": ("Ärende;Lag;Beslutsdatum;Verkställd\nA;LSS;2024-01-01;2024-02-01\n"
                  "B;LSS;2024-02-01;\nC;SoL;2024-06-01;\n"),
    }
    code, out = _run(tmp_path, RATIO, files, "check", "--as-of", "2024-12-31", "--json")
    assert code == 0, out
    found = {f["id"]: f for f in json.loads(out)}
    assert set(found) == {"test.andel/2024-05", "test.andel/2024-11"}
    # of: decisions decided by the meeting; where: not executed. May: A, B → 50 %; November:
    # A, B, C → 66.7 %. count: the two LSS decisions. next_meeting: the following meeting.
    assert found["test.andel/2024-05"]["why"] == "50.0 % ej verkställda av 2 LSS, nästa möte 2024-11-20."
    assert found["test.andel/2024-11"]["why"].startswith("66.66")
    assert found["test.andel/2024-11"]["why"].endswith("nästa möte None.")


def test_same_finding_id_from_two_facts_fails_that_rule_with_a_clear_error(tmp_path: Path) -> None:
    rule = RATIO.replace("subject: \"period_key(date, 'month')\"", "subject: body")
    files = {"m.yaml": "meetings:\n  - {body: VON, date: 2024-05-20}\n  - {body: VON, date: 2024-11-20}\n",
             "d.csv": "Ärende;Lag;Beslutsdatum\nB;LSS;2024-02-01\n"}
    code, out = _run(tmp_path, rule, files, "check", "--as-of", "2024-12-31")
    assert code == 3  # the rule failed locally: named, the run done for every other rule
    assert "samma bevakning 'test.andel/VON'" in out and "Traceback" not in out


def test_text_join_and_months_as_text(tmp_path: Path) -> None:
    rule = """
id: test.moten
version: 1
title: Rapport vid möten i vissa månader
applies_to: obligation
legal_basis: [{text: "Kommunallagen (2017:725) 6 kap. 6 §"}]
each: "meetings(due_on, meeting_on, months=form)"
finding:
  subject: "id + '-' + body"
  due: occurrence
  why: "{{ subject }} {{ occurrence }}"
"""
    files = {
        "m.yaml": ("meetings:\n  - {body: VON, date: 2024-05-21}\n  - {body: VON, date: 2024-09-10}\n"
                   "  - {body: VON, date: 2024-11-19}\n"),
        "o.yaml": ("obligations:\n  - {id: IK, title: Internkontroll, form: '5,11', "
                   "due_on: 2024-01-01, meeting_on: 2024-12-31}\n"),
    }
    code, out = _run(tmp_path, rule, files, "check", "--as-of", "2024-12-31", "--json")
    assert code == 0, out
    assert sorted(f["id"] for f in json.loads(out)) == ["test.moten/IK-VON/2024-05-21",
                                                        "test.moten/IK-VON/2024-11-19"]

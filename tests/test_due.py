"""The daily job's reminders, chosen in SQL, are exactly those chosen from every finding."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import EXAMPLES, Bevaka, config_text
from smtp_server import SmtpServer, smtp_server  # noqa: F401

from bevaka import Bevaka as App
from engine.config import load_config
from engine.evaluate import run
from notifications.due import select_due
from notifications.select import Selection, select_reminders

NYKOPING = ["beslut-2024.xlsx", "nykoping-2024.yaml", "nykoping-2026.yaml", "inlamnade-2024.csv"]
OXELOSUND = ["oxelosund-moten.yaml", "balanslista-2023-12-13.yaml", "internkontroll-2024.xlsx",
             "kontrollresultat-2024.csv", "utredningar-bou-2024.csv", "klagomal-2024.csv",
             "avtal-aterkommande.yaml", "kvalitetsregister-2024.csv", "investeringar.csv"]
ROLES = """
mas = "mas@kommun.example"
us = "us@kommun.example"
namndsekreterare = "ns@kommun.example"
"""


def _shape(sel: Selection) -> tuple[dict, set]:
    digests = {(d.org, d.address): sorted((it.finding.id, str(it.level)) for it in d.items)
               for d in sel.digests}
    missing = {(u.org, u.finding_id, u.role, str(u.level)) for u in sel.unaddressed}
    return digests, missing


@pytest.mark.parametrize("day", ["2023-12-13", "2024-05-20", "2024-09-30", "2024-12-31",
                                 "2025-01-31", "2026-05-20"])
def test_sql_reminders_equal_the_reminders_of_every_finding(bevaka: Bevaka, day: str) -> None:
    config = bevaka.tmp / "roles.toml"
    config.write_text(config_text(extra="") .replace("[roles]\n", "[roles]\n" + ROLES), encoding="utf-8")
    app = App(load_config(config), bevaka.db_path)
    app.import_files([EXAMPLES / n for n in NYKOPING], org="nykoping/von")
    app.import_files([EXAMPLES / n for n in OXELOSUND], org="oxelosund/von")
    as_of = date.fromisoformat(day)
    outcome = run(app.db, app.config, as_of, app.rulesets)
    by_findings = select_reminders(app.db, app.config, outcome.evaluation.findings, as_of)
    by_sql = select_due(app.db, app.config, outcome.rulesets, as_of, outcome.skip,
                        outcome.failure_findings())
    assert by_findings.digests, "the dates are chosen so that reminders are due"
    assert _shape(by_sql) == _shape(by_findings)
    # and the findings handed to the digests are the same, why texts included
    whys = {it.finding.id: it.finding.why for d in by_findings.digests for it in d.items}
    assert {it.finding.id: it.finding.why for d in by_sql.digests for it in d.items} == whys


def test_the_daily_job_sends_each_reminder_once(bevaka: Bevaka, smtp_server: SmtpServer) -> None:  # noqa: F811
    config = bevaka.tmp / "smtp.toml"
    config.write_text(config_text().replace("[roles]\n", "[roles]\n" + ROLES)
                      + f'\n[smtp]\nport = {smtp_server.port}\ntimeout = 5\n', encoding="utf-8")
    app = App(load_config(config), bevaka.db_path)
    app.import_files([EXAMPLES / n for n in NYKOPING], org="nykoping/von")
    first = app.notify(date(2024, 12, 31))
    sent = first["notify"]["send"]["sent"]
    assert sent > 0 and len(smtp_server.received) == sent
    again = app.notify(date(2024, 12, 31))
    assert again["notify"]["queue"]["queued"] == 0 and again["notify"]["send"]["sent"] == 0
    assert again["findings"] == first["findings"] > 0
    assert len(smtp_server.received) == sent
    later = app.notify(date(2025, 1, 10))  # new levels (escalations) go out, nothing twice
    assert later["notify"]["send"]["sent"] == len(smtp_server.received) - sent
    ids = [msg.message["Message-ID"] for msg in smtp_server.received]
    assert len(ids) == len(set(ids))
    told = app.db.execute("SELECT count(*), count(DISTINCT org || finding_id || recipient || level) "
                          "FROM notified").fetchone()
    assert told[0] == told[1] > 0

"""The scheduler down for days: the catch-up at start evaluates each missed day, so a reminder
"due today" on a missed day still goes out (marked late), and each missed slot gets a heartbeat.

A real SQLite file, the real daily job (``Bevaka.daily_job``, what ``bevaka serve`` runs), a
real SMTP server on loopback, and the clock injected into the catch-up.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from conftest import RULES_DIR, SV_HEADERS, write_csv
from smtp_server import SmtpServer, smtp_server  # noqa: F401
from trials import report, size

from bevaka import Bevaka, scheduling
from engine.config import load_config
from notifications.render import late_note

STHLM = ZoneInfo("Europe/Stockholm")
OFFICER = "ao@kommun.example"


def _app(tmp: Path, port: int, decided: date) -> Bevaka:
    (tmp / "config.toml").write_text(
        f'[rules]\ndir = "{RULES_DIR.as_posix()}"\n[roles]\nbistand_ao = "{OFFICER}"\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\ntimeout = 5\n', encoding="utf-8")
    register = write_csv(tmp / "beslut.csv", SV_HEADERS, [
        ["D-2026-0001", "SoL", "ÄO", "SÄBO", decided.isoformat(), "", "", "", "Kvinna", 1936,
         "bistand_ao"]])
    app = Bevaka(load_config(tmp / "config.toml"), tmp / "bevaka.db")
    app.import_files([register])
    return app


def _at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=STHLM)


def _due_on(app: Bevaka, as_of: date) -> date:
    (finding,) = [f for f in app.evaluate(as_of).findings if f.rule_id == "ivo.ej-verkstallt"]
    assert finding.due_on is not None
    return finding.due_on


def test_a_reminder_due_on_a_missed_day_is_sent_late_with_a_heartbeat_per_slot(
        tmp_path: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    app = _app(tmp_path, smtp_server.port, date(2026, 8, 28))
    due = _due_on(app, date(2026, 11, 1))
    last_run = due - timedelta(days=2)
    assert scheduling.run_catch_up(app.db, app.config, app.daily_job, _at(last_run, 7)) is not None
    before = len(smtp_server.messages)  # the warning ("förfaller snart") of the last day up

    back = due + timedelta(days=2)  # down from the day before the due date until two days after
    beats = scheduling.catch_up(app.db, app.config, app.daily_job, _at(back, 9))
    days = [last_run + timedelta(days=d) for d in (1, 2, 3, 4)]
    assert [b["scheduled_for"][:10] for b in beats] == [d.isoformat() for d in days]
    assert all(b["job"] == "catch-up" and b["ok"] for b in beats), beats
    assert [b["summary"]["caught_up"]["late"] for b in beats] == [True, True, True, False]

    sent = smtp_server.messages[before:]
    late_due = [m for m in sent if late_note(due) in str(m["Subject"])]
    assert len(late_due) == 1, [str(m["Subject"]) for m in sent]
    body = late_due[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Förfaller i dag" in body and "D-2026-0001" in body
    assert f"Detta är en {late_note(due)}" in body
    assert all(str(m["To"]) == OFFICER for m in sent)
    # the most recent slot's digest is on time: it does not say it is late
    assert not [m for m in sent if late_note(back) in str(m["Subject"])]

    rows = app.db.execute("SELECT job, scheduled_for, summary FROM heartbeats ORDER BY id")
    assert [(j, s[:10]) for j, s, _ in rows][1:] == [("catch-up", d.isoformat()) for d in days]
    # a second start the same day has nothing left to catch up
    assert scheduling.catch_up(app.db, app.config, app.daily_job, _at(back, 9, 5)) == []
    app.close()


def test_catch_up_over_random_gaps_keeps_every_days_due_reminder(
        tmp_path: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    """Gaps of 1-5 days around the due date: the "due today" reminder is sent exactly once,
    late when its day was missed, on time when it was not."""
    import random

    rng = random.Random(20261201)
    trials, failures = size(2, 12), 0
    for t in range(trials):
        tmp = tmp_path / f"t{t}"
        tmp.mkdir()
        smtp_server.handler.received.clear()
        app = _app(tmp, smtp_server.port, date(2026, 8, 28))
        due = _due_on(app, date(2026, 11, 1))
        down_from = due - timedelta(days=rng.randint(0, 4))  # the first missed day
        back = down_from + timedelta(days=rng.randint(1, 5))
        scheduling.run_catch_up(app.db, app.config, app.daily_job,
                                _at(down_from - timedelta(days=1), 7))
        scheduling.catch_up(app.db, app.config, app.daily_job, _at(back, 9))
        bodies = [(str(m["Subject"]), m.get_body(("plain",)).get_content())  # type: ignore[union-attr]
                  for m in smtp_server.messages]
        due_today = [s for s, b in bodies if "Förfaller i dag" in b]
        missed = down_from <= due < back
        expected = [late_note(due) in s for s in due_today] == [True] if missed else (
            len(due_today) == (1 if due == back else 0))
        beats = app.db.execute("SELECT count(*) FROM heartbeats WHERE job = 'catch-up'"
                               ).fetchone()[0]
        failures += (not expected) + (beats != 1 + (back - down_from).days + 1)
        app.close()
    report("catch-up after downtime", trials, failures)
    assert failures == 0


def test_the_heartbeat_summary_is_json_without_personal_data(
        tmp_path: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    app = _app(tmp_path, smtp_server.port, date(2026, 8, 28))
    scheduling.catch_up(app.db, app.config, app.daily_job, _at(date(2026, 11, 27), 9))
    (summary,) = app.db.execute("SELECT summary FROM heartbeats").fetchone()
    data = json.loads(summary)
    assert data["caught_up"] == {"late": False, "missed": 1}
    assert "1936" not in summary and OFFICER not in summary
    app.close()

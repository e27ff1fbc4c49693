"""The service loop on the real APScheduler and a real SQLite file, with an injected clock."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time as _time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from conftest import open_db

from bevaka import heartbeats, scheduling
from engine.config import Config, DatabaseConfig, ScheduleConfig

STHLM = ZoneInfo("Europe/Stockholm")


def _config(tmp_path: Path, at: str = "06:30") -> Config:
    return Config(
        database=DatabaseConfig(path=str(tmp_path / "bevaka.db")),
        schedule=ScheduleConfig(time=at, timezone="Europe/Stockholm", outbox_every_minutes=15),
        base_dir=tmp_path,
    )


class Recorder:
    def __init__(self, fail_first: int = 0) -> None:
        self.calls: list[date] = []
        self.late: list[date] = []
        self.fail_first = fail_first

    def __call__(self, as_of: date, *, late: bool = False) -> dict[str, Any]:
        self.calls.append(as_of)
        if late:
            self.late.append(as_of)
        if len(self.calls) <= self.fail_first:
            raise RuntimeError("regelfilen kunde inte läsas\nandra raden")
        return {"findings": 0, "as_of": as_of}


def _at(d: date, hh: int, mm: int) -> datetime:
    return datetime(d.year, d.month, d.day, hh, mm, tzinfo=STHLM)


def _heartbeats(db_path: Path) -> list[dict[str, Any]]:
    db = open_db(db_path)
    try:
        cur = db.execute("SELECT * FROM heartbeats ORDER BY id")
        names = [c[0] for c in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        db.close()


def _wait_for(pred: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = _time.monotonic() + timeout
    while _time.monotonic() < deadline:
        if pred():
            return
        _time.sleep(0.05)
    raise AssertionError("timed out")


TODAY = date(2025, 11, 12)


# (a) catch-up ---------------------------------------------------------------------------------


def test_latest_slot() -> None:
    cfg = Config(schedule=ScheduleConfig(time="06:30"))
    assert scheduling.latest_slot(cfg, _at(TODAY, 9, 0)) == _at(TODAY, 6, 30)
    assert scheduling.latest_slot(cfg, _at(TODAY, 6, 30)) == _at(TODAY, 6, 30)
    assert scheduling.latest_slot(cfg, _at(TODAY, 6, 29)) == _at(TODAY - timedelta(days=1), 6, 30)
    # a UTC clock is converted: 05:40 UTC is 06:40 in Stockholm in November
    utc = datetime(2025, 11, 12, 5, 40, tzinfo=UTC)
    assert scheduling.latest_slot(cfg, utc).isoformat() == "2025-11-12T06:30:00+01:00"


def test_catch_up_after_yesterdays_run(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    db = open_db(cfg.db_path)
    job = Recorder()
    assert scheduling.run_catch_up(db, cfg, job, _at(TODAY - timedelta(days=1), 7, 0))
    assert job.calls == [TODAY - timedelta(days=1)]

    hb = scheduling.run_catch_up(db, cfg, job, _at(TODAY, 9, 0))
    assert job.calls == [TODAY - timedelta(days=1), TODAY]
    assert hb is not None and hb["job"] == "catch-up" and hb["ok"] is True
    assert hb["scheduled_for"] == "2025-11-12T06:30:00+01:00"
    assert hb["summary"] == {"findings": 0, "as_of": "2025-11-12",
                             "caught_up": {"late": False, "missed": 1}}
    assert len(_heartbeats(cfg.db_path)) == 2


def test_no_catch_up_when_todays_slot_is_covered(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    db = open_db(cfg.db_path)
    job = Recorder()
    assert scheduling.run_catch_up(db, cfg, job, _at(TODAY, 6, 31)) is not None
    assert scheduling.run_catch_up(db, cfg, job, _at(TODAY, 9, 0)) is None
    assert scheduling.run_catch_up(db, cfg, job, _at(TODAY + timedelta(days=1), 6, 29)) is None
    assert job.calls == [TODAY]


def test_three_days_down_runs_each_missed_day_late(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    db = open_db(cfg.db_path)
    job = Recorder()
    scheduling.run_catch_up(db, cfg, job, _at(TODAY - timedelta(days=4), 7, 0))
    job.calls.clear()
    assert scheduling.run_catch_up(db, cfg, job, _at(TODAY, 9, 0)) is not None
    assert scheduling.run_catch_up(db, cfg, job, _at(TODAY, 9, 1)) is None
    missed = [TODAY - timedelta(days=d) for d in (3, 2, 1)]
    assert job.calls == [*missed, TODAY] and job.late == missed
    beats = _heartbeats(cfg.db_path)[1:]
    assert [(b["job"], b["scheduled_for"][:10]) for b in beats] == [
        ("catch-up", d.isoformat()) for d in job.calls]
    assert [json.loads(b["summary"])["caught_up"] for b in beats] == [
        {"late": True, "missed": 4}] * 3 + [{"late": False, "missed": 4}]


def test_a_long_gap_is_caught_up_for_at_most_catch_up_days(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    db = open_db(cfg.db_path)
    job = Recorder()
    scheduling.run_catch_up(db, cfg, job, _at(TODAY - timedelta(days=100), 7, 0))
    job.calls.clear()
    scheduling.run_catch_up(db, cfg, job, _at(TODAY, 9, 0))
    assert len(job.calls) == scheduling.CATCH_UP_DAYS
    assert job.calls[0] == TODAY - timedelta(days=scheduling.CATCH_UP_DAYS - 1)


def test_no_heartbeat_at_all_runs_once(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    db = open_db(cfg.db_path)
    job = Recorder()
    scheduling.run_catch_up(db, cfg, job, _at(TODAY, 9, 0))
    scheduling.run_catch_up(db, cfg, job, _at(TODAY, 9, 0))
    assert job.calls == [TODAY]


def test_failed_run_does_not_cover_the_slot(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    db = open_db(cfg.db_path)
    job = Recorder(fail_first=1)
    hb = scheduling.run_catch_up(db, cfg, job, _at(TODAY, 9, 0))
    assert hb is not None and hb["ok"] is False
    assert hb["error"] == "RuntimeError: regelfilen kunde inte läsas andra raden"
    assert hb["summary"] is None
    assert scheduling.run_catch_up(db, cfg, job, _at(TODAY, 9, 5)) is not None
    assert job.calls == [TODAY, TODAY]
    last = heartbeats.last_heartbeat(db)
    assert last is not None and last["ok"] is True
    assert heartbeats.last_heartbeat(db, "outbox") is None


def test_catch_up_across_dst_change(tmp_path: Path) -> None:
    # Stockholm goes from +01:00 to +02:00 on 2025-03-30.
    cfg = _config(tmp_path)
    db = open_db(cfg.db_path)
    job = Recorder()
    scheduling.run_catch_up(db, cfg, job, _at(date(2025, 3, 29), 7, 0))
    hb = scheduling.run_catch_up(db, cfg, job, _at(date(2025, 3, 30), 9, 0))
    assert hb is not None and hb["scheduled_for"] == "2025-03-30T06:30:00+02:00"
    assert scheduling.run_catch_up(db, cfg, job, _at(date(2025, 3, 30), 23, 0)) is None


# (b) a raising job through the real scheduler ---------------------------------------------------


def test_raising_job_is_recorded_and_scheduler_keeps_going(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    job = Recorder(fail_first=1)
    outbox_calls: list[int] = []

    def outbox() -> dict[str, Any]:
        outbox_calls.append(1)
        return {"sent": 0}

    sched = scheduling.build_scheduler(cfg, job, outbox, db_path=cfg.db_path)
    sched.start()
    try:
        daily = sched.get_job("daily")
        daily.modify(next_run_time=datetime.now(STHLM))
        _wait_for(lambda: len(_heartbeats(cfg.db_path)) >= 1)
        first = _heartbeats(cfg.db_path)[0]
        assert (first["job"], first["ok"]) == ("daily", 0)
        assert first["error"].startswith("RuntimeError: regelfilen kunde inte läsas")
        assert first["summary"] is None

        assert sched.running
        nxt = sched.get_job("daily").next_run_time
        assert nxt > datetime.now(STHLM) and (nxt.hour, nxt.minute) == (6, 30)

        sched.get_job("daily").modify(next_run_time=datetime.now(STHLM))
        _wait_for(lambda: len(_heartbeats(cfg.db_path)) >= 2)
        second = _heartbeats(cfg.db_path)[1]
        assert (second["job"], second["ok"], second["error"]) == ("daily", 1, None)
        assert len(job.calls) == 2

        sched.get_job("outbox").modify(next_run_time=datetime.now(STHLM))
        _wait_for(lambda: len(_heartbeats(cfg.db_path)) >= 3)
        third = _heartbeats(cfg.db_path)[2]
        assert (third["job"], third["ok"]) == ("outbox", 1)
        assert json.loads(third["summary"]) == {"sent": 0}
    finally:
        sched.shutdown(wait=True)


# (c) job defaults ------------------------------------------------------------------------------


def test_job_defaults_and_trigger(tmp_path: Path) -> None:
    cfg = _config(tmp_path, at="07:45")
    sched = scheduling.build_scheduler(cfg, Recorder(), lambda: {}, db_path=cfg.db_path)
    sched.start(paused=True)
    try:
        job = sched.get_job("daily")
        assert job.misfire_grace_time is None
        assert job.coalesce is True
        assert job.max_instances == 1
        assert isinstance(job.trigger, CronTrigger)
        assert str(job.trigger.timezone) == "Europe/Stockholm"
        fields = {f.name: str(f) for f in job.trigger.fields}
        assert (fields["hour"], fields["minute"]) == ("7", "45")
        nxt = job.next_run_time.astimezone(STHLM)
        assert (nxt.hour, nxt.minute) == (7, 45)
        assert str(sched.timezone) == "Europe/Stockholm"

        outbox = sched.get_job("outbox")
        assert outbox.misfire_grace_time is None and outbox.coalesce is True
        assert outbox.trigger.interval == timedelta(minutes=15)
    finally:
        sched.shutdown(wait=True)


def test_serve_in_thread_with_stop_event(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    job = Recorder()
    stop = threading.Event()
    open_db(cfg.db_path).close()  # schema first: the poll below must not race the migrations
    t = threading.Thread(target=scheduling.serve, args=(cfg, cfg.db_path, job), kwargs={"stop_event": stop})
    t.start()
    try:
        _wait_for(lambda: cfg.db_path.exists() and len(_heartbeats(cfg.db_path)) == 1)
        with pytest.raises(scheduling.AlreadyServing, match="körs redan"):
            scheduling.serve(cfg, cfg.db_path, job, stop_event=threading.Event())
    finally:
        stop.set()
        t.join(10)
    assert not t.is_alive()
    assert [h["job"] for h in _heartbeats(cfg.db_path)] == ["catch-up"]


# (d) SIGTERM -----------------------------------------------------------------------------------

SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from engine.config import Config, DatabaseConfig
    from bevaka import open_database
    from bevaka.scheduling import serve

    db_path, marker = sys.argv[1], Path(sys.argv[2])

    def job(as_of):
        db = open_database(db_path, create=True)
        db["job_runs"].insert({"as_of": as_of.isoformat()})
        db.close()
        marker.write_text("running")
        time.sleep(1.5)  # SIGTERM arrives while the job is still running
        return {"findings": 0}

    serve(Config(database=DatabaseConfig(path=db_path)), db_path, job)
    print("clean exit")
    """
)


def test_sigterm_shuts_down_cleanly(tmp_path: Path) -> None:
    script = tmp_path / "serve_once.py"
    script.write_text(SCRIPT)
    db_path, marker = tmp_path / "bevaka.db", tmp_path / "marker"
    env = {k: v for k, v in os.environ.items() if k not in ("BEVAKA_DB", "BEVAKA_CONFIG")}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(db_path), str(marker)],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(marker.exists, timeout=20)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "clean exit" in out
    beats = _heartbeats(db_path)
    assert [(b["job"], b["ok"]) for b in beats] == [("catch-up", 1)]
    db = open_db(db_path)
    assert db.execute("SELECT count(*) FROM job_runs").fetchone()[0] == 1

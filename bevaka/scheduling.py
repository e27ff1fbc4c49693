"""The service loop: a daily evaluation job and an outbox job on APScheduler 3, with heartbeats.

This is the only module that imports APScheduler. Known APScheduler 3 traps and what we do:

* The default ``misfire_grace_time`` (1 s) silently drops a run that was due while the process
  was busy or suspended: jobs here have ``misfire_grace_time=None`` and ``coalesce=True`` (a
  late run still happens, once).
* Missed runs while the service was *down* are not seen by APScheduler at all (MemoryJobStore):
  at start-up :func:`run_catch_up` compares the daily slots since the last covered one with
  the ``heartbeats`` table and runs the job for each missed day, oldest first (at most
  :data:`CATCH_UP_DAYS`), so a reminder due on a missed day is still sent, marked late, and
  every missed slot gets its own ``catch-up`` heartbeat.
* A job store cannot be shared between processes: the store is in memory, and :func:`serve`
  takes an exclusive lock file next to the database so a second ``serve`` refuses to start.

Every run writes a heartbeat row (also when the job finds nothing, and when it raises).
``scheduled_for`` is the slot the run covers, in the configured time zone; ``started_at`` and
``finished_at`` are UTC. ``summary`` is the job's returned dict as JSON: jobs must not put
personal data in it.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlite_utils import Database

from bevaka.heartbeats import iso_seconds as _iso
from bevaka.heartbeats import last_covered_slot, run_recorded, slot_covered
from bevaka.schema import open_database
from engine.config import Config
from facts.errors import UserError

log = logging.getLogger("bevaka.scheduling")


class AlreadyServing(UserError):
    """Another ``bevaka serve`` holds the lock for this database."""

#: ``job(as_of)`` for a slot on time; ``job(as_of, late=True)`` for a day the service missed.
DailyJob = Callable[..., dict[str, Any]]

#: The most missed days one catch-up evaluates; an older gap starts at the oldest of them.
CATCH_UP_DAYS = 31
OutboxJob = Callable[[], dict[str, Any]]

JOB_DEFAULTS: dict[str, Any] = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}

# --- slots -------------------------------------------------------------------------------------


def _tz(config: Config) -> ZoneInfo:
    return ZoneInfo(config.schedule.timezone)


def _hour_minute(config: Config) -> tuple[int, int]:
    hh, mm = config.schedule.time.split(":")
    return int(hh), int(mm)


def _aware(now: datetime | None, tz: ZoneInfo) -> datetime:
    if now is None:
        return datetime.now(tz)
    if now.tzinfo is None:  # a naive clock is read as local time in the configured zone
        return now.replace(tzinfo=tz)
    return now.astimezone(tz)


def latest_slot(config: Config, now: datetime | None = None) -> datetime:
    """The most recent daily slot at or before ``now`` (aware, in the configured time zone)."""
    tz = _tz(config)
    local = _aware(now, tz)
    hour, minute = _hour_minute(config)
    day = local.date()
    for _ in range(3):
        # Round-trip through UTC so a wall time skipped by DST lands on a real instant;
        # compare in UTC because same-tzinfo datetimes compare by wall time.
        slot = datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC).astimezone(tz)
        if slot.astimezone(UTC) <= local.astimezone(UTC):
            return slot
        day -= timedelta(days=1)
    raise AssertionError("unreachable")  # pragma: no cover



def missed_slots(db: Database, config: Config, now: datetime | None = None) -> list[datetime]:
    """The daily slots up to ``now`` that no successful run covers, oldest first: every slot
    after the last covered one (at most :data:`CATCH_UP_DAYS`), or only the most recent slot
    of a service that has never run."""
    latest = latest_slot(config, now)
    if slot_covered(db, latest):
        return []
    last = last_covered_slot(db)
    slots = [latest]
    while last is not None and len(slots) < CATCH_UP_DAYS:
        before = latest_slot(config, slots[-1] - timedelta(seconds=1))
        if before.astimezone(UTC) <= last.astimezone(UTC):
            break
        slots.append(before)
    return slots[::-1]


def catch_up(
    db: Database, config: Config, job: DailyJob, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Run ``job`` for each missed slot (:func:`missed_slots`), oldest first, with ``as_of`` =
    the slot's date and, for every day before the most recent slot, ``late=True`` (the digests
    say they are late). Each writes a ``catch-up`` heartbeat for its slot whose summary holds
    ``caught_up``: whether the day was late and how many slots this catch-up covered. Returns
    the heartbeats."""
    slots = missed_slots(db, config, now)
    beats = []
    for slot in slots:
        day, late = slot.date(), slot.date() < slots[-1].date()
        log.info("kör ikapp missad körning för %s", _iso(slot))

        def one(day: date = day, late: bool = late) -> dict[str, Any]:
            result = job(day, late=True) if late else job(day)
            return {**(result or {}), "caught_up": {"late": late, "missed": len(slots)}}

        beats.append(run_recorded(db, "catch-up", slot, one))
    return beats


def run_catch_up(
    db: Database, config: Config, job: DailyJob, now: datetime | None = None
) -> dict[str, Any] | None:
    """:func:`catch_up`, returning the heartbeat of the most recent slot (None when nothing
    was missed)."""
    beats = catch_up(db, config, job, now)
    return beats[-1] if beats else None


# --- the scheduler -----------------------------------------------------------------------------


def build_scheduler(
    config: Config,
    job: DailyJob,
    outbox_job: OutboxJob | None = None,
    *,
    db_path: str | Path,
    clock: Callable[[], datetime] | None = None,
) -> BackgroundScheduler:
    """A (not yet started) scheduler with the ``daily`` job and, if given, the ``outbox`` job.

    Each run opens its own connection to ``db_path`` to write the
    heartbeat (the schema is created here, before any worker runs). One worker thread: runs
    never overlap, so SQLite sees one writer at a time.
    """
    tz = _tz(config)
    path = Path(db_path)
    # Create/migrate the schema now: two first-time open_db calls racing on a fresh file
    # (worker thread vs. a reader) can fail with "database is locked".
    open_database(path, create=True).close()

    def now() -> datetime:
        return _aware(clock() if clock else None, tz)

    def daily() -> None:
        slot = latest_slot(config, now())
        _with_db(path, lambda db: run_recorded(db, "daily", slot, lambda: job(slot.date())))

    def outbox() -> None:
        assert outbox_job is not None
        slot = now().replace(microsecond=0)
        _with_db(path, lambda db: run_recorded(db, "outbox", slot, outbox_job))

    scheduler = BackgroundScheduler(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults=dict(JOB_DEFAULTS),
        timezone=tz,
    )
    hour, minute = _hour_minute(config)
    scheduler.add_job(
        daily,
        CronTrigger(hour=hour, minute=minute, timezone=tz),
        id="daily",
        name="daily",
        **JOB_DEFAULTS,
    )
    if outbox_job is not None:
        scheduler.add_job(
            outbox,
            IntervalTrigger(minutes=config.schedule.outbox_every_minutes, timezone=tz),
            id="outbox",
            name="outbox",
            **JOB_DEFAULTS,
        )
    return scheduler


def _with_db(path: Path, fn: Callable[[Database], Any]) -> None:
    try:
        db = open_database(path)
    except Exception:  # noqa: BLE001
        log.exception("kunde inte öppna databasen %s för hjärtslag", path)
        return
    try:
        fn(db)
    except Exception:  # noqa: BLE001 - e.g. the heartbeat insert failed; keep the scheduler up
        log.exception("kunde inte skriva hjärtslag")
    finally:
        db.close()


@contextmanager
def _single_instance(db_path: Path) -> Iterator[None]:
    """An exclusive lock file beside the database: two ``serve`` processes would both run jobs."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no guard
        yield
        return
    lock_path = db_path.with_name(db_path.name + ".serve.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+", encoding="ascii") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            pid = fh.read().strip()
            raise AlreadyServing(
                f"bevaka serve körs redan för databasen {db_path}"
                + (f" (pid {pid})" if pid.isdigit() else f" (låsfil {lock_path})")
                + "; stoppa den först eller använd en annan databas"
            ) from None
        try:
            fh.truncate(0)  # the holder's pid, for the message a second serve prints
            fh.write(str(os.getpid()))
            fh.flush()
            yield
        finally:
            fh.truncate(0)
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def serve(
    config: Config,
    db_path: str | Path,
    job: DailyJob,
    outbox_job: OutboxJob | None = None,
    *,
    stop_event: threading.Event | None = None,
    started: Callable[[], None] | None = None,
) -> None:
    """Run the service until SIGTERM/SIGINT (or ``stop_event``), then shut down cleanly;
    ``started`` is called once the single-instance lock is held (a second ``serve`` raises
    :class:`AlreadyServing`, naming the first one's pid, before it).

    Order: take the single-instance lock, start the scheduler paused (so a slot passing during
    catch-up is still run afterwards), run the catch-up in this thread, resume. On a signal the
    handler only sets the stop event; the running job (if any) finishes and writes its heartbeat
    before ``shutdown(wait=True)`` returns.
    """
    stop = stop_event or threading.Event()
    db_path = Path(db_path)
    previous: dict[int, Any] = {}

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("signal %s: stänger av", signal.Signals(signum).name)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, on_signal)
    try:
        with _single_instance(db_path):
            if started is not None:
                started()
            scheduler = build_scheduler(config, job, outbox_job, db_path=db_path)
            scheduler.start(paused=True)
            try:
                db = open_database(db_path)
                try:
                    run_catch_up(db, config, job)
                finally:
                    db.close()
                if not stop.is_set():
                    scheduler.resume()
                    log.info("schemaläggaren är igång (dagligen %s)", config.schedule.time)
                while not stop.wait(1.0):
                    pass
            finally:
                scheduler.shutdown(wait=True)
                log.info("schemaläggaren är avstängd")
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

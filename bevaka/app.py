"""The composition root: one object that does everything the command line and the service do.

A :class:`Bevaka` holds the installation's configuration, the database path and the rule set,
and wires the packages together in the one direction data flows: facts → engine →
notifications. Every ``bevaka`` command is a few lines over one of its methods, and
``bevaka serve`` calls the same methods on its schedule.

Example::

    from datetime import date
    from bevaka import Bevaka

    app = Bevaka.from_files(config="config.toml")
    app.import_files(["examples/beslut-2024.xlsx"])
    run = app.check(date(2024, 9, 30))
    for f in run.findings:
        print(f.id, f.status, f.due_on, f.why)
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from functools import cached_property, partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from bevaka.anchoring import anchor_run, kept_copies, verify_anchored
from bevaka.app_reports import Reports
from bevaka.corrections import gallra, log_retractions, retract, vacuum
from bevaka.scheduling import serve
from bevaka.schema import open_database
from engine.audit import decisions_for_run, record_run, runs
from engine.audit_anchor import Head, current_head
from engine.audit_anchor import appending as anchor_appending
from engine.audit_anchor import reading as anchor_reading
from engine.audit_anchor import size as anchor_size
from engine.audit_verify import UnknownRun, VerifyResult, state_at
from engine.config import Config, load_config
from engine.decisions import decider
from engine.delta import changes
from engine.diff import diff_rulesets
from engine.evaluate import Outcome, RuleSets, evaluate, load_ruleset, run
from engine.explain import explain_finding, why_not
from engine.findings import Evaluation, Finding
from engine.replay import Replayed, replay_run
from engine.rule_tests import TestReport, run_tests
from engine.rules.loader import RuleSet
from engine.state import status_counts
from facts.erase import Erasure
from facts.errors import UserError
from facts.importer import ImportReport, import_files
from facts.orgs import check_org
from facts.store import organisations
from notifications import NotifyResult, SendResult, notify, send_pending
from notifications import retry_failed as retry_failed_messages
from notifications.calendar import Feed, build_feed
from notifications.due import select_due
from notifications.failures import delivery_findings, dismiss
from notifications.files import staged_file
from notifications.published import for_recipient, published
from notifications.web.app import check_bind
from notifications.web.app import serve as serve_web
from notifications.web.snapshot import make_snapshot


class Bevaka(Reports):
    """An installation: configuration, database and rules, with a method per task.

    The database is opened on first use (``create`` only by methods that write facts);
    the rule set is loaded on first use and reused for the object's lifetime.
    """

    def __init__(self, config: Config | None = None, db_path: str | Path | None = None):
        self.config = config or load_config()
        self.db_path = Path(db_path) if db_path is not None else self.config.db_path
        self._db: Database | None = None

    @classmethod
    def from_files(cls, config: str | Path | None = None, db: str | Path | None = None) -> Bevaka:
        """Load ``config`` (or ``BEVAKA_CONFIG`` / ``./config.toml`` / defaults) and use ``db``
        (or ``BEVAKA_DB`` / the config's ``[database] path``)."""
        return cls(load_config(config), db)

    # ---- resources ------------------------------------------------------------------------

    def database(self, *, create: bool = False) -> Database:
        """The open database (schema up to date); ``create`` allows a new file."""
        if self._db is None:
            self._db = open_database(self.db_path, create=create)
        return self._db

    @property
    def db(self) -> Database:
        return self.database()

    @cached_property
    def rulesets(self) -> RuleSets:
        """The rules per organisation (shared unless an organisation has its own params)."""
        return RuleSets(self.config)

    @property
    def rules(self) -> RuleSet:
        """The installation's rule set (without any organisation's own parameters)."""
        return self.rulesets.base

    def org(self, org: str | None) -> str:
        """``org`` checked, or the configured default organisation (``[org] default``)."""
        return check_org(org) if org else self.config.default_org

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> Bevaka:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def today(self) -> date:
        """Today in the configured time zone (the default ``as_of`` of every command)."""
        return datetime.now(ZoneInfo(self.config.schedule.timezone)).date()

    @contextmanager
    def _read_only(self) -> Iterator[Database]:
        """The database inside a transaction that is rolled back: nothing is written."""
        db = self.db
        db.conn.execute("BEGIN")
        try:
            yield db
        finally:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")

    # ---- facts ----------------------------------------------------------------------------

    def import_files(self, paths: Sequence[str | Path], kind: str | None = None,
                     org: str | None = None, *, sheet: str | None = None,
                     list_date: date | None = None, whole_register: bool = False,
                     dry_run: bool = False) -> ImportReport:
        """Import register files as facts of ``org`` (default ``[org] default``), all or
        nothing per file (see :func:`facts.import_files`): ``sheet`` chooses an XLSX
        worksheet, ``list_date`` dates a list whose file has no date column. With
        ``whole_register`` the facts a file no longer has are retracted, and each file's
        retractions are one ``retraction`` row of the audit log; ``dry_run`` writes nothing."""
        db = self.database(create=not dry_run)
        return import_files(db, paths, kind=kind, org=self.org(org), sheet=sheet,
                            list_date=list_date, whole_register=whole_register,
                            dry_run=dry_run, on_retract=partial(log_retractions, db))

    def retract(self, kind: str, key: str, reason: str, org: str | None = None
                ) -> dict[str, Any]:
        """Retract one fact (its findings end at the next run), logged with ``reason``."""
        return retract(self.db, kind, key, reason, self.org(org))

    def gallra(self, before: date, org: str | None = None, dry_run: bool = False) -> Erasure:
        """Erase the facts of cases closed before ``before`` (gallring), then bring the
        derived rows up to date so none of theirs is left; ``dry_run`` only lists them."""
        result = gallra(self.db, before, org, dry_run)
        if result.count and not dry_run:
            for o in sorted(result.facts):
                self.evaluate(self.today(), o)  # the erased facts' derived rows go
            vacuum(self.db)
        return result

    # ---- evaluation -----------------------------------------------------------------------

    def evaluate(self, as_of: date, org: str | None = None) -> Evaluation:
        """Bring the deadlines up to date and project them onto ``as_of``, for ``org`` or
        every organisation in the database; nothing is logged."""
        return evaluate(self.db, self.config, as_of, self.rulesets,
                        org=check_org(org) if org else None)

    def check(self, as_of: date, org: str | None = None, command: str = "check") -> Evaluation:
        """Evaluate as of ``as_of`` and append the run to the audit log."""
        return self._logged(as_of, org, command, listed=True)

    def run(self, as_of: date, org: str | None = None, command: str = "run") -> dict[str, Any]:
        """The daily evaluation without reminders: bring the deadlines up to date and log the
        run (what changed since the last logged run, and the new state's commitment). Its work
        grows with what changed, not with the register: no finding is listed. Returns the
        run's summary (counts per status of the logged state)."""
        return self._summary(self._run(as_of, org, command, listed=False).evaluation, as_of)

    def _summary(self, ev: Evaluation, as_of: date) -> dict[str, Any]:
        by_status = status_counts(self.db, ev.orgs)
        return {"run_id": ev.run_id, "as_of": as_of.isoformat(), "orgs": ev.orgs,
                "failed_rules": ev.failed_rules, "findings": sum(by_status.values()),
                "by_status": by_status}

    def _logged(self, as_of: date, org: str | None, command: str, listed: bool) -> Evaluation:
        """Evaluate and append the run to the audit log: what changed since each
        organisation's last logged run, found in SQL, and the new state's commitment."""
        return self._run(as_of, org, command, listed).evaluation

    def _run(self, as_of: date, org: str | None, command: str, listed: bool) -> Outcome:
        outcome = run(self.db, self.config, as_of, self.rulesets,
                      org=check_org(org) if org else None, listed=listed)
        undelivered = delivery_findings(self.db, as_of, outcome.evaluation.orgs)
        if listed and undelivered:
            outcome.evaluation.findings.extend(undelivered)
            outcome.evaluation.findings.sort(key=Finding.sort_key)
        window = self.config.rules.resolved_window_days
        ev = outcome.evaluation
        with anchor_appending(self.anchor_path) as anchor:  # the anchor's lock: see verify
            record_run(self.db, ev,
                       lambda: changes(self.db, outcome.rulesets, as_of, window, outcome.skip,
                                       self._extras(outcome)), command,
                       decide=decider(self.db, outcome.rulesets, as_of))
            anchor_run(self.db, self.config, anchor, self.anchor_path, ev.run_id,
                       ev.orgs[0] if ev.orgs else self.config.default_org)
        return outcome

    @property
    def anchor_path(self) -> Path:
        """The anchor file beside the database (``[audit] anchor_path``)."""
        return self.config.anchor_path(self.db_path)

    def _extras(self, outcome: Outcome) -> list[Finding]:
        """The findings without a rule row: failed rules' and undelivered messages' IT checks."""
        ev = outcome.evaluation
        return [*outcome.failure_findings(), *delivery_findings(self.db, ev.as_of, ev.orgs)]

    def explain(self, finding_id: str, as_of: date, org: str | None = None) -> dict[str, Any]:
        """The finding, its rule, derived values and source row. Writes nothing."""
        o = self.org(org)
        with self._read_only() as db:
            return explain_finding(db, self.config, finding_id, as_of, o, self.rulesets.for_org(o))

    def why_not(self, subject: str, rule_id: str, as_of: date,
                org: str | None = None) -> dict[str, Any]:
        """Why ``subject`` has (or has no) finding for ``rule_id``. Writes nothing."""
        o = self.org(org)
        with self._read_only() as db:
            return why_not(db, self.config, subject, rule_id, as_of, o, self.rulesets.for_org(o))

    # ---- reminders ------------------------------------------------------------------------

    def notify(self, as_of: date, dry_run: bool = False, out_dir: str | Path | None = None,
               org: str | None = None, retry_failed: bool = False,
               dismiss_failed: Sequence[int] = (), late: bool = False,
               send_now: bool = False) -> dict[str, Any]:
        """The main job: evaluate (``org`` or every organisation), log, queue one digest per
        organisation and recipient and send (or write ``.eml`` files with ``dry_run``).
        ``retry_failed`` first queues every failed message again; ``dismiss_failed`` marks
        those failed messages as dealt with; ``late``: the catch-up's run for a day the service
        missed (the digests say they are late); ``send_now``: pending messages waiting for
        their back-off are tried in this run too. Returns a summary without personal data; its
        ``notify.send.failed_messages`` are the messages that failed in this run, and
        ``notify.send.reason`` says why messages are left pending."""
        if out_dir is not None and not dry_run:
            raise UserError("--out gäller bara med --dry-run: utan det skickas posten på riktigt")
        if send_now and dry_run:
            raise UserError("--now gäller inte med --dry-run: en provkörning skickar inget")
        unknown = sorted(set(dismiss_failed) - set(dismiss(self.db, dismiss_failed)))
        if unknown:
            raise UserError(f"inget misslyckat meddelande med id {unknown[0]} att avfärda "
                            "(se bevaka notify --json: notify.send.failed_messages)")
        retried = retry_failed_messages(self.db) if retry_failed else []
        outcome = self._run(as_of, org, "daily --dry-run" if dry_run else "daily", listed=False)
        ev = outcome.evaluation
        if dry_run and out_dir is None:
            out_dir = self.config.resolve(self.config.notify.dry_run_dir)
        due = select_due(self.db, self.config, outcome.rulesets, as_of, outcome.skip,
                         self._extras(outcome))
        result: NotifyResult = notify(self.db, self.config, due, as_of, ev.run_id,
                                      dry_run=dry_run, out_dir=out_dir, late=late,
                                      ignore_backoff=send_now)
        return {**self._summary(ev, as_of), "notify": result.to_dict(), "retried": retried}

    def calendar(self, who: str, org: str | None = None) -> Feed:
        """The calendar feed (iCalendar text) of a role key or address in ``org``: its
        deadlines in the last logged state, open ones with an alarm ``[rules] warn_days``
        before, met ones cancelled (see :mod:`notifications.calendar`)."""
        o = self.org(org)
        roles = self.config.roles_for(o)
        key = who.strip().lower()
        if key not in roles and "@" not in key:
            known = ", ".join(sorted(roles))
            raise UserError(f"--role {who!r}: ingen roll med det namnet i {o}; ange en roll "
                            f"({known}) eller en e-postadress")
        last = self.db.execute("SELECT a.recorded_at FROM run_state r JOIN audit_log a ON "
                               "a.run_id = r.run_id AND a.kind = 'run' WHERE r.org = ?",
                               [o]).fetchone()
        if last is None:
            raise UserError(f"ingen loggad körning för {o}; kör bevaka check eller bevaka run först")
        rows = list(published(self.db, self.config, {o: self.rulesets.for_org(o)}))
        return build_feed(for_recipient(rows, key), f"{who} ({o})", self.config.rules.warn_days,
                          datetime.fromisoformat(last[0]))

    def daily_job(self, as_of: date, *, late: bool = False) -> dict[str, Any]:
        """The service's daily job (and its catch-up's, per missed day with ``late``):
        :meth:`notify` as of ``as_of`` on a connection of its own."""
        with Bevaka(self.config, self.db_path) as app:
            return app.notify(as_of, late=late)

    def send_pending(self) -> SendResult:
        """Send what is pending in the outbox (the service's retry job)."""
        return send_pending(self.db, self.config)

    # ---- the web view ----------------------------------------------------------------------

    def web_snapshot(self, out: str | Path) -> dict[str, Any]:
        """Write the web view's snapshot to ``out`` and verify its audit log: the chain status
        the view shows (:func:`engine.audit_verify.verify` on the served file, and the check
        against the database's anchor file)."""
        orgs = organisations(self.db)

        def write(p: Path) -> Path:
            make_snapshot(self.db, self.db_path, self.config,
                          {o: self.rulesets.for_org(o) for o in orgs}, p)
            return p

        with anchor_reading(self.anchor_path):  # the lines of the runs the snapshot holds
            size = anchor_size(self.anchor_path)
            path = staged_file(out, write)
        snap = Database(sqlite3.connect(f"file:{path}?mode=ro", uri=True))
        try:
            result = verify_anchored(lambda: snap, self.anchor_path, [], size)
        finally:
            snap.close()
        return {**result.to_dict(), "snapshot": str(path),
                "snapshot_at": datetime.now(ZoneInfo(self.config.schedule.timezone))
                .isoformat(timespec="seconds")}

    def web(self, host: str = "127.0.0.1", port: int = 8001, token: str | None = None,
            snapshot: str | Path | None = None,
            started: Callable[[dict[str, Any]], None] | None = None) -> None:
        """Serve the read-only web view (Datasette) of a snapshot of the database until
        interrupted; beyond loopback only with ``token`` (see :mod:`notifications.web.app`).
        ``started`` gets the chain status before the server starts."""
        check_bind(host, token)
        with tempfile.TemporaryDirectory(prefix="bevaka-web-") as tmp:
            path = Path(snapshot) if snapshot else Path(tmp) / "bevaka.db"
            chain = self.web_snapshot(path)
            if started:
                started(chain)
            serve_web(path, chain, self.config.rules.warn_days, host, port, token)

    # ---- rules ----------------------------------------------------------------------------

    def validate_rules(self, rules_dir: str | Path | None = None) -> RuleSet:
        """Load and type-check the rule packs; raises ``RuleLoadError`` listing every problem."""
        if rules_dir is None:
            return self.rules
        return load_ruleset(self.config, rules_dir=rules_dir)

    def test_rules(self) -> TestReport:
        """Run the examples inside the rule files."""
        return run_tests(self.rules, self.config.rules.resolved_window_days)

    def diff_rules(self, old_dir: str | Path, new_dir: str | Path, as_of: date,
                   org: str | None = None) -> dict[str, Any]:
        """Findings of ``org`` that appear, disappear or change between two rule directories."""
        return diff_rulesets(self.db, self.config, old_dir, new_dir, as_of, self.org(org))

    # ---- audit ----------------------------------------------------------------------------

    def audit_verify(self, kept: Sequence[str | Path] = ()) -> VerifyResult:
        """Verify the log (:func:`engine.audit_verify.verify`), then check it against the
        anchor file beside the database and against each ``kept`` copy of anchor lines an
        auditor kept (:func:`engine.audit_anchor.check`); ``anchors`` holds those checks."""
        return verify_anchored(lambda: self.db, self.anchor_path, kept_copies(kept))

    def audit_anchor(self) -> Head | None:
        """The log's current head (its last run's end row): the line an auditor keeps."""
        return current_head(self.db)

    def audit_runs(self, limit: int = 20) -> list[dict[str, Any]]:
        return runs(self.db, limit=limit)

    def audit_state(self, run_id: str, org: str | None = None) -> list[dict[str, Any]]:
        """The complete finding state after run ``run_id``, replayed from the audit log (of
        one organisation, or all)."""
        state = state_at(self.db, run_id)
        return [s for s in state if org is None or s["org"] == check_org(org)]

    def audit_show(self, run_id: str, finding_id: str | None = None) -> list[dict[str, Any]]:
        """The decision records of run ``run_id`` (of one finding): how each new or changed
        finding was decided, masked by the log's policy."""
        self._known_run(run_id)
        found = decisions_for_run(self.db, run_id, finding_id)
        if finding_id is not None and not found:
            raise UnknownRun(f"ingen beslutspost för {finding_id!r} i körning {run_id}; en post "
                             "skrivs bara när bevakningen var ny eller ändrades i körningen")
        return found

    def audit_replay(self, run_id: str, finding_id: str | None = None,
                     rules_dir: str | Path | None = None) -> list[Replayed]:
        """Decide the records of run ``run_id`` (of one finding) again, with each rule at its
        recorded revision and with the current rules (or those in ``rules_dir``)."""
        records = self.audit_show(run_id, finding_id)
        if not records:
            return []

        def current(org: str) -> RuleSet:
            if rules_dir is not None:
                return load_ruleset(self.config, org, rules_dir=rules_dir)
            return self.rulesets.for_org(org)

        return replay_run(self.db, run_id, current, self.config.rules.resolved_window_days,
                          finding_id)

    def _known_run(self, run_id: str) -> None:
        if not self.db.execute("SELECT 1 FROM audit_log WHERE run_id = ? AND kind = 'run'",
                               [run_id]).fetchone():
            raise UnknownRun(f"ingen körning {run_id!r} i revisionsloggen; se bevaka audit log")

    # ---- the service ----------------------------------------------------------------------

    def serve(self, stop_event: Any = None, started: Callable[[], None] | None = None) -> None:
        """Run the scheduler against this installation's database until SIGTERM; ``started``
        is called once no other ``serve`` holds the database (else ``AlreadyServing``)."""
        def outbox_job() -> dict[str, Any]:
            with Bevaka(self.config, self.db_path) as app:
                return app.send_pending().to_dict()

        self.database(create=True)
        serve(self.config, self.db_path, self.daily_job, outbox_job, stop_event=stop_event,
              started=started)

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
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from bevaka.anchoring import anchor_run, kept_copies, verify_anchored
from bevaka.scheduling import serve
from bevaka.schema import open_database
from engine.audit import decisions_for_run, record_run, runs
from engine.audit_anchor import Head, current_head
from engine.audit_anchor import appending as anchor_appending
from engine.audit_anchor import reading as anchor_reading
from engine.audit_anchor import size as anchor_size
from engine.audit_verify import UnknownRun, VerifyResult, state_at
from engine.calendar import parse_quarter
from engine.config import Config, load_config
from engine.decisions import decider
from engine.delta import changes
from engine.diff import diff_rulesets
from engine.evaluate import Outcome, RuleSets, evaluate, load_ruleset, run
from engine.explain import explain_finding, why_not
from engine.findings import Evaluation, Finding
from engine.ivo import IvoReport, build_report, quarter_label
from engine.ivo_avgift import avgift_report
from engine.ivo_kf import KfReport, check_reconciled, reconcile
from engine.ivo_worksheet import Worksheet, worksheet
from engine.replay import Replayed, replay_run
from engine.rule_tests import TestReport, run_tests
from engine.rules.loader import RuleSet
from engine.state import status_counts
from facts.errors import UserError
from facts.importer import ImportReport, import_files
from facts.kinds_ivo import IVO_REPORTED, IvoReported
from facts.orgs import check_org
from facts.store import organisations, upsert_facts
from notifications import NotifyResult, SendResult, notify, send_pending
from notifications import retry_failed as retry_failed_messages
from notifications.calendar import Feed, build_feed
from notifications.due import select_due
from notifications.failures import delivery_findings, dismiss
from notifications.published import for_recipient, published
from notifications.reports.findings import write_findings
from notifications.reports.internkontroll import (
    ControlReport,
    build_control_report,
    write_control_report,
)
from notifications.reports.ivo_avgift import write_avgift
from notifications.reports.ivo_kf import write_kf
from notifications.reports.ivo_report import DEFAULT_FORMATS, write_report
from notifications.reports.ivo_revision import write_revision
from notifications.reports.ivo_worksheet import write_worksheet
from notifications.reports.namnd import CommitteePack, build_pack, write_pack
from notifications.web.app import check_bind
from notifications.web.app import serve as serve_web
from notifications.web.snapshot import make_snapshot

ALL_FORMATS = frozenset({"csv", "xlsx", "html", "pdf"})


class Bevaka:
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
                     org: str | None = None) -> ImportReport:
        """Import register files as facts of ``org`` (default ``[org] default``), all or
        nothing per file (see :func:`facts.import_files`)."""
        return import_files(self.database(create=True), paths, kind=kind, org=self.org(org))

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

    # ---- reports --------------------------------------------------------------------------

    def quarter(self, quarter: str, org: str | None = None,
                command: str | None = None) -> IvoReport:
        """The IVO quarter's snapshot of ``org``: one evaluation as of the quarter's last day,
        logged as a run, sorted into the report's lists. The IVO, KF, auditors' and worksheet
        reports are all made from it."""
        label = quarter_label(quarter)  # a mistyped quarter is reported before the database opens
        o = self.org(org)
        _, end = parse_quarter(quarter)
        ev = self._logged(end, o, command or f"report ivo --quarter {label}", listed=True)
        return build_report(self.db, ev, label, o)

    def mark_reported(self, quarter: str, reported_on: date, org: str | None = None) -> None:
        """Mark ``quarter`` as reported to IVO on ``reported_on`` (a fact of the organisation;
        the reporting-window reminders stop). The next logged run records the command."""
        label = quarter_label(quarter)
        fact = IvoReported(quarter=label, reported_on=reported_on)
        db = self.database(create=True)
        with db.atomic():
            upsert_facts(db, IVO_REPORTED, [(fact, "bevaka report ivo --mark-reported", 1)],
                         self.org(org))

    def report_ivo(self, quarter: str, out_dir: str | Path | None = None,
                   org: str | None = None, formats: frozenset[str] = DEFAULT_FORMATS,
                   mark_reported: date | None = None) -> tuple[IvoReport, list[Path]]:
        """The IVO quarter report of ``org`` (logged as a run), and its files if ``out_dir``
        (only when the three reports of the quarter agree: ``ReconciliationError``).
        ``mark_reported``: first mark the quarter as reported on that date."""
        label = quarter_label(quarter)
        command = f"report ivo --quarter {label}"
        if mark_reported is not None:
            self.mark_reported(label, mark_reported, org)
            command += f" --mark-reported {mark_reported.isoformat()}"
        rep = self.quarter(label, org, command)
        files: list[Path] = []
        if out_dir:
            check_reconciled(rep)
            files = write_report(rep, out_dir, formats)
        return rep, files

    def report_kf(self, quarter: str, out_dir: str | Path | None = None, org: str | None = None,
                  formats: frozenset[str] = ALL_FORMATS) -> tuple[KfReport, list[Path]]:
        """The statistics report to kommunfullmäktige (SoL 34 kap. 3 §, LSS 28 h §) from the
        quarter's snapshot; raises ``ReconciliationError`` if it disagrees with the others."""
        rep = self.quarter(quarter, org, f"report kf --quarter {quarter_label(quarter)}")
        kf, _ = check_reconciled(rep)
        files = write_kf(kf, out_dir, self.config.org_name(rep.org), rep.evaluation.run_id,
                         formats) if out_dir else []
        return kf, files

    def report_revision(self, quarter: str, out_dir: str | Path | None = None,
                        org: str | None = None, formats: frozenset[str] = ALL_FORMATS,
                        ) -> tuple[dict[str, Any], list[Path]]:
        """The auditors' report: the quarter's decisions with run id, rule revision and why."""
        rep = self.quarter(quarter, org, f"report revision --quarter {quarter_label(quarter)}")
        _, data = check_reconciled(rep)
        files = write_revision(data, out_dir, self.config.org_name(rep.org),
                               formats) if out_dir else []
        return data, files

    def report_individrapport(self, quarter: str, out_dir: str | Path, org: str | None = None,
                              formats: frozenset[str] = frozenset({"xlsx", "pdf"}),
                              ) -> tuple[Worksheet, list[Path]]:
        """The individrapport worksheets (XLSX, PDF) for IVO's e-tjänst: the only files with
        a birth date (in IVO's pseudo-identifier)."""
        rep = self.quarter(quarter, org,
                           f"report individrapport --quarter {quarter_label(quarter)}")
        check_reconciled(rep)
        ws = worksheet(rep)
        return ws, write_worksheet(ws, out_dir, self.config.org_name(rep.org), formats)

    def report_avgift(self, as_of: date, out_dir: str | Path | None = None,
                      org: str | None = None, formats: frozenset[str] = ALL_FORMATS,
                      ) -> tuple[dict[str, Any], list[Path]]:
        """Särskild avgift exposure as of ``as_of`` (an estimate, never IVO's decision)."""
        o = self.org(org)
        ev = self._logged(as_of, o, f"report avgift --as-of {as_of.isoformat()}", listed=False)
        data = avgift_report(self.db, self.config, self.rulesets.for_org(o), o, as_of)
        data["run_id"] = ev.run_id
        files = write_avgift(data, out_dir, self.config.org_name(o), formats) if out_dir else []
        return data, files

    def reconciliation(self, rep: IvoReport) -> list[dict[str, Any]]:
        """The differences between the quarter's three reports (empty when they agree)."""
        return [d.to_dict() for d in reconcile(rep)]
    def report_namnd(self, meeting: date, out_dir: str | Path | None = None,
                     org: str | None = None, body: str = "VON") -> tuple[CommitteePack, list[Path]]:
        """The committee pack for the meeting of ``body`` on ``meeting`` (logged as a run as of
        the meeting day), and its HTML, PDF and XLSX files if ``out_dir``."""
        o = self.org(org)
        if meeting not in self._meeting_dates(o, body):
            raise UserError(f"{body} i {o} har inget sammanträde {meeting.isoformat()}; importera "
                            "sammanträdena (t.ex. examples/oxelosund-moten.yaml) eller ange ett av "
                            "dem med --meeting")
        ev = self._logged(meeting, o, f"report namnd --meeting {meeting.isoformat()}", listed=True)
        pack = build_pack(self.db, self.config, ev, self.rulesets.for_org(o), o, meeting, body)
        return pack, (write_pack(pack, out_dir) if out_dir else [])

    def report_internkontroll(self, year: int, as_of: date, out_dir: str | Path | None = None,
                              org: str | None = None) -> tuple[ControlReport, list[Path]]:
        """The follow-up of ``org``'s internal-control plan for ``year`` as of ``as_of`` (logged
        as a run), and its HTML, PDF, XLSX and heat map (PNG, SVG) if ``out_dir``."""
        o = self.org(org)
        ev = self._logged(as_of, o, f"report internkontroll --plan {year}", listed=True)
        rep = build_control_report(self.db, self.config, ev, self.rulesets.for_org(o), o, year, as_of)
        return rep, (write_control_report(rep, out_dir) if out_dir else [])

    def _meeting_dates(self, org: str, body: str) -> set[date]:
        rows = self.db.execute("SELECT date FROM meetings WHERE org = ? AND body = ?",
                               [org, body]).fetchall()
        return {date.fromisoformat(r[0]) for r in rows}

    def export_findings(self, evaluation: Evaluation, findings: list[Finding], fmt: str,
                        path: str | Path) -> Path:
        """Write ``findings`` of ``evaluation`` as ``fmt`` (``csv``: UTF-8 with BOM, ``xlsx``:
        real dates, frozen header and filters, ``html`` or ``pdf``) to ``path``."""
        return write_findings(evaluation, findings, fmt, path)

    # ---- reminders ------------------------------------------------------------------------

    def notify(self, as_of: date, dry_run: bool = False, out_dir: str | Path | None = None,
               org: str | None = None, retry_failed: bool = False,
               dismiss_failed: Sequence[int] = ()) -> dict[str, Any]:
        """The main job: evaluate (``org`` or every organisation), log, queue one digest per
        organisation and recipient and send (or write ``.eml`` files with ``dry_run``).
        ``retry_failed`` first queues every failed message again; ``dismiss_failed`` marks
        those failed messages as dealt with. Returns a summary without personal data; its
        ``notify.send.failed_messages`` are the messages that failed in this run."""
        if out_dir is not None and not dry_run:
            raise UserError("--out gäller bara med --dry-run: utan det skickas posten på riktigt")
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
                                      dry_run=dry_run, out_dir=out_dir)
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

    def send_pending(self) -> SendResult:
        """Send what is pending in the outbox (the service's retry job)."""
        return send_pending(self.db, self.config)

    # ---- the web view ----------------------------------------------------------------------

    def web_snapshot(self, out: str | Path) -> dict[str, Any]:
        """Write the web view's snapshot to ``out`` and verify its audit log: the chain status
        the view shows (:func:`engine.audit_verify.verify` on the served file, and the check
        against the database's anchor file)."""
        path = Path(out)
        orgs = organisations(self.db)
        with anchor_reading(self.anchor_path):  # the lines of the runs the snapshot holds
            size = anchor_size(self.anchor_path)
            make_snapshot(self.db, self.db_path, self.config,
                          {o: self.rulesets.for_org(o) for o in orgs}, path)
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

    def serve(self, stop_event: Any = None) -> None:
        """Run the scheduler against this installation's database until SIGTERM."""
        def job(as_of: date) -> dict[str, Any]:
            with Bevaka(self.config, self.db_path) as app:
                return app.notify(as_of)

        def outbox_job() -> dict[str, Any]:
            with Bevaka(self.config, self.db_path) as app:
                return app.send_pending().to_dict()

        self.database(create=True)
        serve(self.config, self.db_path, job, outbox_job, stop_event=stop_event)

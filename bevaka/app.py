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

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from bevaka.scheduling import serve
from bevaka.schema import open_database
from engine.audit import record_run, runs
from engine.audit_verify import VerifyResult, state_at, verify
from engine.calendar import parse_quarter
from engine.config import Config, load_config
from engine.delta import changes
from engine.diff import diff_rulesets
from engine.evaluate import Outcome, RuleSets, evaluate, load_ruleset, run
from engine.explain import explain_finding, why_not
from engine.findings import Evaluation, Finding
from engine.ivo import IvoReport, build_report, write_report
from engine.rule_tests import TestReport, run_tests
from engine.rules.loader import RuleSet
from engine.state import status_counts
from facts.errors import UserError
from facts.importer import ImportReport, import_files
from facts.orgs import check_org
from notifications import NotifyResult, SendResult, notify, send_pending
from notifications.due import select_due
from notifications.reports.findings import write_findings
from notifications.reports.internkontroll import ControlReport, build_control_report, write_control_report
from notifications.reports.namnd import CommitteePack, build_pack, write_pack


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
        window = self.config.rules.resolved_window_days
        record_run(self.db, outcome.evaluation,
                   lambda: changes(self.db, outcome.rulesets, as_of, window, outcome.skip,
                                   outcome.failure_findings()), command)
        return outcome

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

    def report_ivo(self, quarter: str, out_dir: str | Path | None = None,
                   org: str | None = None) -> tuple[IvoReport, list[Path]]:
        """The IVO quarter report of ``org`` (logged as a run), and its CSV/XLSX files if
        ``out_dir``."""
        parse_quarter(quarter)  # a mistyped quarter is reported before the database is opened
        o = self.org(org)
        _, end = parse_quarter(quarter)
        label = f"{end.year}Q{(end.month - 1) // 3 + 1}"
        rep = build_report(self.db, self._logged(end, o, f"report ivo --quarter {label}",
                                                 listed=True), quarter, o)
        files = write_report(rep, out_dir) if out_dir else []
        return rep, files

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
               org: str | None = None) -> dict[str, Any]:
        """The main job: evaluate (``org`` or every organisation), log, queue one digest per
        organisation and recipient and send (or write ``.eml`` files with ``dry_run``).
        Returns a summary without personal data."""
        outcome = self._run(as_of, org, "daily --dry-run" if dry_run else "daily", listed=False)
        ev = outcome.evaluation
        if dry_run and out_dir is None:
            out_dir = self.config.resolve(self.config.notify.dry_run_dir)
        due = select_due(self.db, self.config, outcome.rulesets, as_of, outcome.skip,
                         outcome.failure_findings())
        result: NotifyResult = notify(self.db, self.config, due, as_of, ev.run_id,
                                      dry_run=dry_run, out_dir=out_dir)
        return {**self._summary(ev, as_of), "notify": result.to_dict()}

    def send_pending(self) -> SendResult:
        """Send what is pending in the outbox (the service's retry job)."""
        return send_pending(self.db, self.config)

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

    def audit_verify(self) -> VerifyResult:
        return verify(self.db)

    def audit_runs(self, limit: int = 20) -> list[dict[str, Any]]:
        return runs(self.db, limit=limit)

    def audit_state(self, run_id: str, org: str | None = None) -> list[dict[str, Any]]:
        """The complete finding state after run ``run_id``, replayed from the audit log (of
        one organisation, or all)."""
        state = state_at(self.db, run_id)
        return [s for s in state if org is None or s["org"] == check_org(org)]

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

"""The reports of :class:`bevaka.app.Bevaka`: the IVO quarter (IVO, KF, auditors, worksheets,
avgift), the committee pack, the internal-control report and findings exports.

Kept apart from the composition root so that each module stays one concern; ``Bevaka``
inherits these methods, so they are documented and called as ``Bevaka.report_ivo`` and so on.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.calendar import parse_quarter
from engine.config import Config
from engine.findings import Evaluation, Finding
from engine.ivo import IvoReport, build_report, quarter_label
from engine.ivo_avgift import avgift_report
from engine.ivo_kf import KfReport, check_reconciled, reconcile
from engine.ivo_worksheet import Worksheet, worksheet
from facts.errors import UserError
from facts.kinds_ivo import IVO_REPORTED, IvoReported
from facts.store import upsert_facts
from notifications.files import staged, staged_file
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

if TYPE_CHECKING:
    from sqlite_utils import Database

    from engine.evaluate import RuleSets

ALL_FORMATS = frozenset({"csv", "xlsx", "html", "pdf"})


class Reports:
    """Report methods; the attributes below are :class:`bevaka.app.Bevaka`'s."""

    config: Config

    if TYPE_CHECKING:
        @property
        def db(self) -> Database: ...

        @property
        def rulesets(self) -> RuleSets: ...

        def database(self, *, create: bool = False) -> Database: ...

        def org(self, org: str | None) -> str: ...

        def _logged(self, as_of: date, org: str | None, command: str,
                    listed: bool) -> Evaluation: ...

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
            files = staged(out_dir, lambda d: write_report(rep, d, formats))
        return rep, files

    def report_kf(self, quarter: str, out_dir: str | Path | None = None, org: str | None = None,
                  formats: frozenset[str] = ALL_FORMATS) -> tuple[KfReport, list[Path]]:
        """The statistics report to kommunfullmäktige (SoL 34 kap. 3 §, LSS 28 h §) from the
        quarter's snapshot; raises ``ReconciliationError`` if it disagrees with the others."""
        rep = self.quarter(quarter, org, f"report kf --quarter {quarter_label(quarter)}")
        kf, _ = check_reconciled(rep)
        files = staged(out_dir, lambda d: write_kf(kf, d, self.config.org_name(rep.org),
                                                   rep.evaluation.run_id, formats)) \
            if out_dir else []
        return kf, files

    def report_revision(self, quarter: str, out_dir: str | Path | None = None,
                        org: str | None = None, formats: frozenset[str] = ALL_FORMATS,
                        ) -> tuple[dict[str, Any], list[Path]]:
        """The auditors' report: the quarter's decisions with run id, rule revision and why."""
        rep = self.quarter(quarter, org, f"report revision --quarter {quarter_label(quarter)}")
        _, data = check_reconciled(rep)
        files = staged(out_dir, lambda d: write_revision(data, d, self.config.org_name(rep.org),
                                                         formats)) if out_dir else []
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
        return ws, staged(out_dir, lambda d: write_worksheet(ws, d, self.config.org_name(rep.org),
                                                             formats))

    def report_avgift(self, as_of: date, out_dir: str | Path | None = None,
                      org: str | None = None, formats: frozenset[str] = ALL_FORMATS,
                      ) -> tuple[dict[str, Any], list[Path]]:
        """Särskild avgift exposure as of ``as_of`` (an estimate, never IVO's decision)."""
        o = self.org(org)
        ev = self._logged(as_of, o, f"report avgift --as-of {as_of.isoformat()}", listed=False)
        data = avgift_report(self.db, self.config, self.rulesets.for_org(o), o, as_of)
        data["run_id"] = ev.run_id
        files = staged(out_dir, lambda d: write_avgift(data, d, self.config.org_name(o),
                                                       formats)) if out_dir else []
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
        return pack, (staged(out_dir, lambda d: write_pack(pack, d)) if out_dir else [])

    def report_internkontroll(self, year: int, as_of: date, out_dir: str | Path | None = None,
                              org: str | None = None) -> tuple[ControlReport, list[Path]]:
        """The follow-up of ``org``'s internal-control plan for ``year`` as of ``as_of`` (logged
        as a run), and its HTML, PDF, XLSX and heat map (PNG, SVG) if ``out_dir``."""
        o = self.org(org)
        ev = self._logged(as_of, o, f"report internkontroll --plan {year}", listed=True)
        rep = build_control_report(self.db, self.config, ev, self.rulesets.for_org(o), o, year, as_of)
        return rep, (staged(out_dir, lambda d: write_control_report(rep, d)) if out_dir else [])

    def _meeting_dates(self, org: str, body: str) -> set[date]:
        rows = self.db.execute("SELECT date FROM meetings WHERE org = ? AND body = ?",
                               [org, body]).fetchall()
        return {date.fromisoformat(r[0]) for r in rows}

    def export_findings(self, evaluation: Evaluation, findings: list[Finding], fmt: str,
                        path: str | Path) -> Path:
        """Write ``findings`` of ``evaluation`` as ``fmt`` (``csv``: UTF-8 with BOM, ``xlsx``:
        real dates, frozen header and filters, ``html`` or ``pdf``) to ``path``."""
        return staged_file(path, lambda p: write_findings(evaluation, findings, fmt, p))

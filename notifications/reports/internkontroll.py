"""The internal-control report for a plan and a follow-up date: ``bevaka report internkontroll``.

For every point of the plan (``control_point`` rows of the plan year): owner, frequency,
sample and reporting, consequence × likelihood = risk and its band (``internkontroll.risk``),
the traffic light of the latest follow-up on or before the date (``internkontroll.trafikljus``;
its rules are parameters and a table the plan can set), the results performed by the date
against the sample sizes, the action plans with their due dates, the stated-risk check
(``internkontroll.risk-angiven``) and a heat map of the points on the plan's S × K matrix
(:mod:`notifications.reports.heatmap`). HTML (the picture embedded), PDF and XLSX.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from engine.config import Config
from engine.findings import STATUS_SV, Evaluation, Finding, Status
from engine.rules.loader import RuleSet
from facts.errors import UserError
from notifications.reports import document
from notifications.reports.export import Column, Table, write_xlsx
from notifications.reports.findings import footer, run_notes
from notifications.reports.heatmap import MapPoint, write_heatmap

__all__ = ["ControlReport", "build_control_report", "write_control_report"]

LIGHT_SV = {"grön": "grön", "gul": "gul", "röd": "röd"}
LIGHT_CLASS = {"grön": "gron", "gul": "gul", "röd": "rod"}


@dataclass
class ControlReport:
    org: str
    org_name: str
    year: int
    plan: str
    as_of: date
    evaluation: Evaluation
    matrix_size: int
    matrix_version: str
    points: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    action_plans: list[dict[str, Any]] = field(default_factory=list)
    stated_risk: list[Finding] = field(default_factory=list)
    consequence_labels: dict[str, str] = field(default_factory=dict)
    likelihood_labels: dict[str, str] = field(default_factory=dict)
    cell_band: dict[tuple[int, int], str] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return f"internkontroll-{self.org.replace('/', '-')}-{self.year}-{self.as_of.isoformat()}"

    def lights(self) -> dict[str, int]:
        out = dict.fromkeys(("grön", "gul", "röd", "ingen"), 0)
        for p in self.points:
            out[p["light"] or "ingen"] += 1
        return out


def _rows(db: Database, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = db.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur]


def _rule(ruleset: RuleSet, rule_id: str) -> Any:
    found = ruleset.by_id(rule_id)
    if not found:
        raise UserError(f"regeln {rule_id} finns inte i regeluppsättningen (är paketet "
                        "internkontroll avstängt?)")
    return max(found, key=lambda lr: lr.rule.version)


def build_control_report(db: Database, config: Config, evaluation: Evaluation, ruleset: RuleSet,
                         org: str, year: int, as_of: date) -> ControlReport:
    points = _rows(db, "SELECT * FROM control_points WHERE org = ? AND year = ? ORDER BY nr",
                   [org, year])
    if not points:
        raise UserError(f"{org} har ingen internkontrollplan för {year}; importera planen "
                        "(t.ex. examples/internkontroll-2024.xlsx)")
    risk_rule = _rule(ruleset, "internkontroll.risk")
    size = int(risk_rule.params["matrix_size"])
    rep = ControlReport(org, config.org_name(org), year, points[0]["plan"], as_of, evaluation, size,
                        str(risk_rule.params["matrix_version"]),
                        consequence_labels=dict(risk_rule.params["consequence_labels"]),
                        likelihood_labels=dict(risk_rule.params["likelihood_labels"]))
    rep.cell_band = {(k, s): str(risk_rule.evaluate_table("riskband", consequence=k, likelihood=s)["band"])
                     for k in range(1, size + 1) for s in range(1, size + 1)}
    mine = [f for f in evaluation.findings if f.org == org]

    def of(rule_id: str, nr: int) -> list[Finding]:
        return [f for f in mine if f.rule_id == rule_id and f.subject == str(nr)
                and (f.occurrence is None or f.occurrence.year == year)]

    results = _rows(db, "SELECT * FROM control_results WHERE org = ? AND plan = ? AND performed_on <= ? "
                        "ORDER BY nr, performed_on", [org, rep.plan, as_of.isoformat()])
    for p in points:
        nr = p["nr"]
        risk = next(iter(of("internkontroll.risk", nr)), None)
        lights = sorted(of("internkontroll.trafikljus", nr), key=lambda f: f.occurrence or date.min)
        past = [f for f in lights if f.occurrence and f.occurrence <= as_of]
        light = past[-1] if past else (lights[0] if lights else None)
        reporting = sorted(of("internkontroll.rapportering", nr), key=lambda f: f.due_on or date.min)
        mine_results = [r for r in results if r["nr"] == nr]
        product = p["consequence"] * p["likelihood"]
        rep.points.append({
            **p, "risk": int(risk.value) if risk and risk.value is not None else product,
            "band": risk.band if risk else rep.cell_band.get((p["consequence"], p["likelihood"])),
            "light": light.band if light else None,
            "light_class": LIGHT_CLASS.get(light.band or "", "") if light else "",
            "light_on": light.occurrence if light else None,
            "light_final": bool(past), "light_why": light.why if light else "Ingen uppföljning är planerad.",
            "reporting_status": [(f.due_on, STATUS_SV[f.status], f.status.value) for f in reporting],
            "reviewed": sum(r["sample_size"] for r in mine_results),
            "deviations": sum(r["deviations"] for r in mine_results),
            "controls": len(mine_results),
        })
        for r in mine_results:
            enough = p["required_sample"] is None or r["sample_size"] >= p["required_sample"]
            rep.results.append({**r, "area": p["area"], "required": p["required_sample"],
                                "enough": "ja" if enough else "nej",
                                "scope": p["scope"] or ""})
            if r["action_plan_due"]:
                due = date.fromisoformat(r["action_plan_due"])
                rep.action_plans.append({
                    "nr": nr, "area": p["area"], "performed_on": r["performed_on"],
                    "deviations": r["deviations"], "due": due, "owner": p["owner"],
                    "status": "passerad" if due < as_of else "i dag" if due == as_of else "kommande"})
    rep.stated_risk = [f for f in mine if f.rule_id == "internkontroll.risk-angiven"
                       and f.status is Status.failed]
    return rep


# ---- output ----------------------------------------------------------------------------------


def tables(rep: ControlReport) -> list[Table]:
    return [
        Table("Kontrollpunkter", [
            Column("Nr", "nr", "int"), Column("Område", "area", width=30),
            Column("Kontrollmoment", "control_step", width=50), Column("Ansvarig", "owner"),
            Column("Frekvens", "frequency"), Column("Omfattning", "scope"),
            Column("Urval per mätning", "required_sample", "int"), Column("Rapportering", "reporting"),
            Column("Konsekvens", "consequence", "int"), Column("Sannolikhet", "likelihood", "int"),
            Column("Risk", "risk", "int"), Column("Riskband", "band"), Column("Trafikljus", "light"),
            Column("Uppföljning", "light_on", "date"), Column("Kontroller", "controls", "int"),
            Column("Granskade", "reviewed", "int"), Column("Avvikelser", "deviations", "int"),
        ], rep.points),
        Table("Resultat", [
            Column("Nr", "nr", "int"), Column("Område", "area"), Column("Utförd", "performed_on", "date"),
            Column("Granskade", "sample_size", "int"), Column("Urval", "required", "int"),
            Column("Tillräckligt urval", "enough"), Column("Avvikelser", "deviations", "int"),
            Column("Åtgärdsplan senast", "action_plan_due", "date"),
            Column("Rapporterad", "reported_on", "date"),
        ], rep.results),
        Table("Åtgärdsplaner", [
            Column("Nr", "nr", "int"), Column("Område", "area"), Column("Kontroll", "performed_on", "date"),
            Column("Avvikelser", "deviations", "int"), Column("Senast", "due", "date"),
            Column("Ansvarig", "owner"), Column("Status", "status"),
        ], rep.action_plans),
    ]


def write_control_report(rep: ControlReport, out_dir: str | Path) -> list[Path]:
    """``<slug>.html``, ``.pdf``, ``.xlsx`` and the heat map ``<slug>-karta.png``/``.svg``."""
    out = Path(out_dir)
    png, svg = write_heatmap(
        [MapPoint(p["nr"], p["consequence"], p["likelihood"]) for p in rep.points],
        rep.matrix_size, lambda k, s: rep.cell_band[(k, s)], out / f"{rep.slug}-karta",
        title=f"{rep.plan}: punkterna i riskmatrisen",
        consequence_labels=rep.consequence_labels, likelihood_labels=rep.likelihood_labels)
    text = document.render(
        "internkontroll.html.j2",
        title=f"Uppföljning av internkontrollplan {rep.year}",
        subtitle=f"{rep.org_name} · {rep.plan} · per {rep.as_of.isoformat()}",
        footer=footer(rep.evaluation), rep=rep, heatmap=document.data_uri(png),
        lights=rep.lights())
    return [document.write_html(text, out / f"{rep.slug}.html"),
            document.write_pdf(text, out / f"{rep.slug}.pdf"),
            write_xlsx(tables(rep), out / f"{rep.slug}.xlsx",
                       notes=[("Plan", rep.plan), ("Uppföljning per", rep.as_of),
                              ("Riskmatris", rep.matrix_version), *run_notes(rep.evaluation)]),
            png, svg]

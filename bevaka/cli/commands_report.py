"""``bevaka report …``: the IVO quarter (ivo, kf, revision, individrapport) and avgift."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from bevaka.cli import context as cx
from bevaka.cli.output import emit_json, finish
from engine.calendar import normalise_quarter
from facts.errors import UserError
from facts.vocabulary import plural

FORMATS = ("csv", "xlsx", "html", "pdf")


def _formats(value: str, allowed: tuple[str, ...] = FORMATS) -> frozenset[str]:
    chosen = {v.strip().lower() for v in value.split(",") if v.strip()}
    wrong = sorted(chosen - set(allowed))
    if wrong or not chosen:
        raise UserError(f"--format: {', '.join(wrong) or 'inget format'} går inte; välj bland "
                        f"{', '.join(allowed)} (kommaseparerat)")
    return frozenset(chosen)


def _files(files: list[Any]) -> None:
    if files:
        click.echo("Skrev " + ", ".join(str(f) for f in files))


def format_option(default: str) -> Any:
    return click.option("--format", "fmt", default=default, show_default=True,
                        help="Filformat med --out, kommaseparerat: csv, xlsx, html, pdf.")


def _quarter(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--quarter`` in any usual spelling, as ``2024Q4``."""
    return normalise_quarter(value) if value is not None else None


#: --quarter of every quarter report, its usual spellings read by _quarter.
quarter_option = click.option("--quarter", required=True, callback=_quarter,
                              help="Kvartalet, t.ex. 2024Q4 (eller 2024 K4, Q4-2024).")


#: The IVO report's categories as the command prints them (the JSON keeps the English keys).
IVO_SV = {"not_executed": "ej verkställda", "interrupted": "ej verkställda efter avbrott",
          "executed": "verkställda", "closed": "avslutade utan verkställighet",
          "lov_postponed": "uppskjutna på den enskildes begäran", "declined_offers":
          "tackat nej till erbjudet verkställande", "partial": "delvis verkställda"}


@click.group()
def report() -> None:
    """Rapporter: IVO-kvartalet (ivo, kf, revision, individrapport) och särskild avgift."""


@report.command("ivo")
@quarter_option
@click.option("--out", "out_dir", help="Skriv rapporten som filer i denna katalog.")
@format_option("csv,xlsx")
@click.option("--mark-reported", is_flag=True,
              help="Markera kvartalet som rapporterat till IVO (påminnelserna om "
                   "rapporteringsperioden upphör); loggas i revisionsloggen.")
@click.option("--reported-on", help="Datum för --mark-reported (standard: i dag).")
@cx.org_option()
@click.option("--json", "as_json", is_flag=True)
@cx.global_options
@cx.pass_ctx
def report_ivo(obj: cx.Ctx, quarter: str, out_dir: str | None, fmt: str, mark_reported: bool,
               reported_on: str | None, org: str | None, as_json: bool) -> None:
    """Kvartalsrapporten om ej verkställda gynnande beslut (SoL, LSS) per kvartalets sista dag.

    Listorna per lag: ej verkställda, avbrott och verkställda under kvartalet; dessutom delvis
    verkställda, avslutade utan verkställighet, LOV-väntan och tackat nej. Filerna skrivs bara
    när kvartalets tre rapporter stämmer överens.

    \b
    Exempel:
        bevaka report ivo --quarter 2024Q4 --out rapporter/ --json
        bevaka report ivo --quarter 2024Q4 --mark-reported --reported-on 2025-01-20
    """
    app = obj.app
    formats = _formats(fmt)
    marked: date | None = cx.parse_as_of(reported_on, app) if mark_reported else None
    if reported_on and not mark_reported:
        raise UserError("--reported-on används tillsammans med --mark-reported")
    rep, files = app.report_ivo(quarter, out_dir, org, formats, mark_reported=marked)
    data = rep.to_dict()
    data["reconciliation"] = app.reconciliation(rep)
    if as_json:
        emit_json(data)
    else:
        for law in ("SoL", "LSS"):
            for cat in ("not_executed", "interrupted", "executed"):
                ids = data[law][cat]
                click.echo(f"{law} {IVO_SV[cat]}: {len(ids)}  {' '.join(ids)}")
            for key in ("closed", "lov_postponed", "declined_offers"):
                if data[key][law]:
                    click.echo(f"{law} {IVO_SV[key]}: {len(data[key][law])}  "
                               f"{' '.join(data[key][law])}")
            part = data["partial"][law]["not_executed"]
            if part:
                click.echo(f"{law} {IVO_SV['partial']}: {len(part)}  {' | '.join(part)}")
        w = data["window"]
        click.echo(f"Rapporteringsperiod {w['opens_on']}–{w['closes_on']}; "
                   + (f"markerat som rapporterat {data['reported']['reported_on']}"
                      if data["reported"]["marked"] else "inte markerat som rapporterat"))
        _files(files)
    finish(rep.evaluation.failed_rules)


@report.command("kf")
@quarter_option
@click.option("--out", "out_dir", help="Skriv rapporten som filer i denna katalog.")
@format_option("csv,xlsx,html,pdf")
@cx.org_option()
@click.option("--json", "as_json", is_flag=True)
@cx.global_options
@cx.pass_ctx
def report_kf(obj: cx.Ctx, quarter: str, out_dir: str | None, fmt: str, org: str | None,
              as_json: bool) -> None:
    """Statistikrapporten till kommunfullmäktige (SoL 34 kap. 3 §, LSS 28 h §).

    Antal ej verkställda beslut och avbrott per typ av insats och per tid sedan beslutet,
    fördelade på kvinnor och män, ur samma körning som IVO-rapporten.

    \b
    Exempel:
        bevaka report kf --quarter 2024Q4 --json
        bevaka report kf --quarter 2024Q4 --out rapporter/
    """
    kf, files = obj.app.report_kf(quarter, out_dir, org, _formats(fmt))
    if as_json:
        emit_json(kf.to_dict())
    else:
        for law in ("SoL", "LSS"):
            t = kf.by_law[law]["totals"]
            click.echo(f"{law}: ej verkställda {t['not_executed']['kvinnor']} kvinnor, "
                       f"{t['not_executed']['män']} män; avbrott {t['interrupted']['kvinnor']} "
                       f"kvinnor, {t['interrupted']['män']} män ({kf.by_law[law]['citation']})")
            other = kf.by_law[law]["other_or_unknown_sex"]
            if any(other.values()):
                click.echo(f"{law}: kön annat eller ej angivet: ej verkställda "
                           f"{other['not_executed']}, avbrott {other['interrupted']}")
        _files(files)


@report.command("revision")
@quarter_option
@click.option("--out", "out_dir", help="Skriv rapporten som filer i denna katalog.")
@format_option("csv,xlsx,html,pdf")
@cx.org_option()
@click.option("--json", "as_json", is_flag=True)
@cx.global_options
@cx.pass_ctx
def report_revision(obj: cx.Ctx, quarter: str, out_dir: str | None, fmt: str, org: str | None,
                    as_json: bool) -> None:
    """Underlaget för revisorerna: kvartalets beslut med körning, regelrevision och varför.

    \b
    Exempel:
        bevaka report revision --quarter 2024Q4 --out rapporter/
    """
    data, files = obj.app.report_revision(quarter, out_dir, org, _formats(fmt))
    if as_json:
        emit_json(data)
    else:
        click.echo(f"Körning {data['run_id']}, regelrevision {data['rules_revision'][:12]}: "
                   f"{len(data['rows'])} beslut")
        _files(files)


@report.command("individrapport")
@quarter_option
@click.option("--out", "out_dir", required=True, help="Katalogen för XLSX och PDF.")
@format_option("xlsx,pdf")
@cx.org_option()
@cx.global_options
@cx.pass_ctx
def report_individrapport(obj: cx.Ctx, quarter: str, out_dir: str, fmt: str,
                          org: str | None) -> None:
    """Underlag för IVO:s e-tjänst: en individrapport per beslut, i e-tjänstens ordning.

    Innehåller IVO:s personnummerformat (födelsedatum och kön): de enda filer bevaka skriver
    med födelsedatum. Hantera dem som sekretesskyddade; skicka dem inte med e-post.

    \b
    Exempel:
        bevaka report individrapport --quarter 2024Q4 --out /säker/katalog/
    """
    ws, files = obj.app.report_individrapport(quarter, out_dir, org, _formats(fmt, ("xlsx", "pdf")))
    missing = sum(1 for r in ws.rows if r["missing"])
    click.echo(f"{plural(len(ws.rows), 'individrapport', 'individrapporter')} för {ws.quarter}"
               + (f"; {missing} behöver kompletteras (se kolumnen Att komplettera)" if missing else ""))
    _files(files)


@report.command("avgift")
@cx.as_of_option
@click.option("--out", "out_dir", help="Skriv rapporten som filer i denna katalog.")
@format_option("csv,xlsx,html,pdf")
@cx.org_option()
@click.option("--json", "as_json", is_flag=True)
@cx.global_options
@cx.pass_ctx
def report_avgift(obj: cx.Ctx, as_of: str | None, out_dir: str | None, fmt: str,
                  org: str | None, as_json: bool) -> None:
    """Uppskattad risk för särskild avgift per beslut (en uppskattning, inte IVO:s beslut).

    Lägsta och högsta avgift efter beslutsdatum (från 2026-01-01 15 000–1 500 000 kr), en
    uppskattning ur [ivo] monthly_cost och reasonable_months i config.toml, och en varning
    före tvåårsgränsen.

    \b
    Exempel:
        bevaka report avgift --as-of 2025-12-31 --json
    """
    app = obj.app
    data, files = app.report_avgift(cx.parse_as_of(as_of, app), out_dir, org, _formats(fmt))
    if as_json:
        emit_json(data)
    else:
        click.echo(data["label"])
        t = data["totals"]
        click.echo(f"{t['decisions']} beslut: lägst {t['floor']} kr, högst {t['ceiling']} kr, "
                   f"uppskattat {t['estimate']} kr ({t['without_cost']} utan månadskostnad)")
        for ref in data["alerts"]:
            click.echo(f"Varning: tvåårsgränsen närmar sig för {ref}")
        _files(files)


@report.command("namnd")
@click.option("--meeting", "meeting", required=True, help="Sammanträdets datum, t.ex. 2023-12-13.")
@click.option("--body", default="VON", show_default=True, help="Nämnden vars sammanträde det är.")
@click.option("--out", "out_dir", default="rapporter", show_default=True,
              help="Katalogen där HTML, PDF och XLSX skrivs.")
@cx.org_option()
@click.option("--json", "as_json", is_flag=True)
@cx.global_options
@cx.pass_ctx
def report_namnd(obj: cx.Ctx, meeting: str, body: str, out_dir: str, org: str | None,
                 as_json: bool) -> None:
    """Nämndens underlag inför ett sammanträde: det som ska behandlas (per ansvarig), det som är
    kvar sedan förra sammanträdet, balanslistan, delegationsbesluten, internkontrollen,
    IVO-kvartalet och synpunkterna i siffror. Skrivs som HTML, PDF och XLSX.

    \b
    Exempel:
        bevaka report namnd --org oxelosund/von --meeting 2023-12-13 --out rapporter/
    """
    day = cx.parse_as_of(meeting, obj.app)
    pack, files = obj.app.report_namnd(day, out_dir, org, body)
    if as_json:
        emit_json({"org": pack.org, "meeting": pack.meeting.isoformat(),
                   "previous": pack.previous.isoformat() if pack.previous else None,
                   "run_id": pack.evaluation.run_id,
                   "at_meeting": {role: [f.id for f in fs] for role, fs in pack.at_meeting.items()},
                   "backlog": [f.id for f in pack.backlog],
                   "balanslista": [{"row": b["row"], "status": b["status"]} for b in pack.balanslista],
                   "delegation": [d["id"] for d in pack.delegation],
                   "internal_control": [f.id for f in pack.internal_control],
                   "ivo": {"quarter": pack.ivo["quarter"], "counts": pack.ivo["counts"]},
                   "complaints": {k: v for k, v in pack.complaints.items() if k not in ("from", "to")},
                   "files": [str(f) for f in files]})
    else:
        n = sum(len(fs) for fs in pack.at_meeting.values())
        click.echo(f"Underlag till {pack.body} {pack.meeting}: {n} att behandla, "
                   f"{len(pack.backlog)} kvar sedan tidigare, "
                   f"{plural(len(pack.balanslista), 'rad', 'rader')} i balanslistan, "
                   f"{plural(len(pack.delegation), 'delegationsredovisning', 'delegationsredovisningar')}")
        click.echo("Skrev " + ", ".join(str(f) for f in files))
    finish(pack.evaluation.failed_rules)


@report.command("internkontroll")
@click.option("--plan", "year", required=True, type=int, help="Planåret, t.ex. 2024.")
@cx.as_of_option
@click.option("--out", "out_dir", default="rapporter", show_default=True,
              help="Katalogen där HTML, PDF, XLSX och riskkartan (PNG, SVG) skrivs.")
@cx.org_option()
@click.option("--json", "as_json", is_flag=True)
@cx.global_options
@cx.pass_ctx
def report_internkontroll(obj: cx.Ctx, year: int, as_of: str | None, out_dir: str, org: str | None,
                          as_json: bool) -> None:
    """Uppföljningen av internkontrollplanen per ett datum: varje kontrollpunkt med ansvarig,
    frekvens, urval och resultat, trafikljus (grön/gul/röd), åtgärdsplaner, kontrollen av
    angiven risk och en riskkarta över planens matris.

    \b
    Exempel:
        bevaka report internkontroll --org oxelosund/von --plan 2024 --as-of 2024-11-20
    """
    day = cx.parse_as_of(as_of, obj.app)
    rep, files = obj.app.report_internkontroll(year, day, out_dir, org)
    if as_json:
        emit_json({"org": rep.org, "plan": rep.plan, "year": rep.year, "as_of": day.isoformat(),
                   "run_id": rep.evaluation.run_id, "lights": rep.lights(),
                   "points": [{"nr": p["nr"], "risk": p["risk"], "band": p["band"],
                               "light": p["light"], "followed_up": str(p["light_on"] or "")}
                              for p in rep.points],
                   "files": [str(f) for f in files]})
    else:
        lights = rep.lights()
        click.echo(f"{rep.plan} per {day}: {plural(len(rep.points), 'punkt', 'punkter')}, "
                   f"{plural(lights['grön'], 'grön', 'gröna')}, {plural(lights['gul'], 'gul', 'gula')}, "
                   f"{plural(lights['röd'], 'röd', 'röda')}")
        click.echo("Skrev " + ", ".join(str(f) for f in files))
    finish(rep.evaluation.failed_rules)


COMMANDS = [report]

"""``bevaka report …``."""

from __future__ import annotations

import click

from bevaka.cli.context import Ctx, as_of_option, global_options, org_option, parse_as_of, pass_ctx
from bevaka.cli.output import emit_json, finish


@click.group()
def report() -> None:
    """Rapporter."""


@report.command("ivo")
@click.option("--quarter", required=True, help="Kvartalet, t.ex. 2024Q4.")
@click.option("--out", "out_dir", help="Skriv CSV och XLSX i denna katalog.")
@org_option()
@click.option("--json", "as_json", is_flag=True)
@global_options
@pass_ctx
def report_ivo(obj: Ctx, quarter: str, out_dir: str | None, org: str | None,
               as_json: bool) -> None:
    """Kvartalsrapporten om ej verkställda gynnande beslut (SoL, LSS) per kvartalets sista dag.

    \b
    Exempel:
        bevaka report ivo --quarter 2024Q4 --out rapporter/ --json
    """
    rep, files = obj.app.report_ivo(quarter, out_dir, org)
    if as_json:
        emit_json(rep.to_dict())
    else:
        data = rep.to_dict()
        for law in ("SoL", "LSS"):
            for cat, ids in data[law].items():
                click.echo(f"{law} {cat}: {len(ids)}  {' '.join(ids)}")
        if files:
            click.echo("Skrev " + ", ".join(str(f) for f in files))
    finish(rep.evaluation.failed_rules)


@report.command("namnd")
@click.option("--meeting", "meeting", required=True, help="Sammanträdets datum, t.ex. 2023-12-13.")
@click.option("--body", default="VON", show_default=True, help="Nämnden vars sammanträde det är.")
@click.option("--out", "out_dir", default="rapporter", show_default=True,
              help="Katalogen där HTML, PDF och XLSX skrivs.")
@org_option()
@click.option("--json", "as_json", is_flag=True)
@global_options
@pass_ctx
def report_namnd(obj: Ctx, meeting: str, body: str, out_dir: str, org: str | None,
                 as_json: bool) -> None:
    """Nämndens underlag inför ett sammanträde: det som ska behandlas (per ansvarig), det som är
    kvar sedan förra sammanträdet, balanslistan, delegationsbesluten, internkontrollen,
    IVO-kvartalet och synpunkterna i siffror. Skrivs som HTML, PDF och XLSX.

    \b
    Exempel:
        bevaka report namnd --org oxelosund/von --meeting 2023-12-13 --out rapporter/
    """
    day = parse_as_of(meeting, obj.app)
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
                   f"{len(pack.backlog)} kvar sedan tidigare, {len(pack.balanslista)} rader i "
                   f"balanslistan, {len(pack.delegation)} delegationsredovisningar")
        click.echo("Skrev " + ", ".join(str(f) for f in files))
    finish(pack.evaluation.failed_rules)


@report.command("internkontroll")
@click.option("--plan", "year", required=True, type=int, help="Planåret, t.ex. 2024.")
@as_of_option
@click.option("--out", "out_dir", default="rapporter", show_default=True,
              help="Katalogen där HTML, PDF, XLSX och riskkartan (PNG, SVG) skrivs.")
@org_option()
@click.option("--json", "as_json", is_flag=True)
@global_options
@pass_ctx
def report_internkontroll(obj: Ctx, year: int, as_of: str | None, out_dir: str, org: str | None,
                          as_json: bool) -> None:
    """Uppföljningen av internkontrollplanen per ett datum: varje kontrollpunkt med ansvarig,
    frekvens, urval och resultat, trafikljus (grön/gul/röd), åtgärdsplaner, kontrollen av
    angiven risk och en riskkarta över planens matris.

    \b
    Exempel:
        bevaka report internkontroll --org oxelosund/von --plan 2024 --as-of 2024-11-20
    """
    day = parse_as_of(as_of, obj.app)
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
        click.echo(f"{rep.plan} per {day}: {len(rep.points)} punkter, {lights['grön']} gröna, "
                   f"{lights['gul']} gula, {lights['röd']} röda")
        click.echo("Skrev " + ", ".join(str(f) for f in files))
    finish(rep.evaluation.failed_rules)


COMMANDS = [report]

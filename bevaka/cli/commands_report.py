"""``bevaka report …``."""

from __future__ import annotations

import click

from bevaka.cli.context import Ctx, global_options, org_option, pass_ctx
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


COMMANDS = [report]

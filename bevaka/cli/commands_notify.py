"""``bevaka notify`` and ``bevaka serve``."""

from __future__ import annotations

from pathlib import Path

import click

from bevaka.cli import context as cx
from bevaka.cli.output import emit_json, finish


@click.command()
@cx.as_of_option
@click.option("--dry-run", is_flag=True, help="Skriv .eml-filer i stället för att skicka.")
@click.option("--out", "out_dir", help="Katalog för .eml vid --dry-run (standard: [notify] dry_run_dir).")
@cx.org_option(all_by_default=True)
@click.option("--retry-failed", is_flag=True,
              help="Köa om meddelanden som misslyckats (t.ex. efter en rättad adress).")
@click.option("--dismiss-failed", "dismiss", type=int, multiple=True, metavar="ID",
              help="Avfärda ett misslyckat meddelande (det skickas inte och påminner inte IT).")
@click.option("--json", "as_json", is_flag=True)
@cx.global_options
@cx.pass_ctx
def notify(obj: cx.Ctx, as_of: str | None, dry_run: bool, out_dir: str | None, org: str | None,
           retry_failed: bool, dismiss: tuple[int, ...], as_json: bool) -> None:
    """Utvärdera och skicka en sammanställning per mottagare. Redan skickat skickas inte igen;
    meddelanden som inte gick iväg skickas vid nästa körning. Ett meddelande som servern
    vägrar ta emot (5xx) namnges, påminner rollen it och gör att kommandot avslutas med 4.

    \b
    Exempel:
        bevaka notify --dry-run --out utkorg/
        bevaka notify --retry-failed
    """
    app = obj.app
    summary = app.notify(cx.parse_as_of(as_of, app), dry_run=dry_run, out_dir=out_dir, org=org,
                         retry_failed=retry_failed, dismiss_failed=dismiss)
    failed = (summary["notify"].get("send") or {}).get("failed_messages", [])
    if as_json:
        emit_json(summary)
        finish(summary["failed_rules"], failed)
        return
    n = summary["notify"]
    q = n.get("queue") or {}
    line = (f"{summary['findings']} bevakningar per {summary['as_of']}: "
            f"{q.get('queued', 0)} sammanställningar köade ({q.get('reminders', 0)} påminnelser), "
            f"{q.get('blocked', 0)} stoppade (personnummer)")
    if n.get("send"):
        s = n["send"]
        line += f"; skickade {s.get('sent', 0)}, kvar i utkorgen {s.get('pending', 0)}"
    if n.get("files"):
        line += f"; {len(n['files'])} .eml-filer i {Path(n['files'][0]).parent}"
    click.echo(line)
    for org, role in sorted({(u["org"], u["role"]) for u in q.get("unaddressed", [])}):
        click.echo(f"Ingen adress för rollen {role} ({org}): lägg till den under [roles] i "
                   "config.toml", err=True)
    finish(summary["failed_rules"], failed)


@click.command()
@cx.global_options
@cx.pass_ctx
def serve(obj: cx.Ctx) -> None:
    """Kör schemaläggaren: dagligt jobb vid [schedule] time (Europe/Stockholm), ikappkörning vid
    start för varje missad dag (högst 31; påminnelserna markeras som försenade), nya
    sändningsförsök var [schedule] outbox_every_minutes. Avslutas rent på SIGTERM.

    \b
    Exempel:
        bevaka serve
    """
    app = obj.app
    click.echo(f"bevaka serve: dagligt jobb {app.config.schedule.time} {app.config.schedule.timezone}"
               f", databas {app.db_path}")
    app.serve()


COMMANDS = [notify, serve]

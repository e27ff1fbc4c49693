"""``bevaka notify`` and ``bevaka serve``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from bevaka.cli import context as cx
from bevaka.cli.output import emit_json, finish
from facts.vocabulary import plural


@click.command()
@cx.as_of_option
@click.option("--dry-run", is_flag=True, help="Skriv .eml-filer i stället för att skicka.")
@click.option("--out", "out_dir", help="Katalog för .eml vid --dry-run (standard: [notify] dry_run_dir).")
@cx.org_option(all_by_default=True)
@click.option("--retry-failed", is_flag=True,
              help="Köa om meddelanden som misslyckats (t.ex. efter en rättad adress).")
@click.option("--dismiss-failed", "dismiss", type=int, multiple=True, metavar="ID",
              help="Avfärda ett misslyckat meddelande (det skickas inte och påminner inte IT).")
@click.option("--now", "send_now", is_flag=True,
              help="Försök genast med meddelanden som väntar på nästa försök (bara i denna "
                   "körning; skickat eller under sändning skickas inte igen).")
@click.option("--json", "as_json", is_flag=True)
@cx.global_options
@cx.pass_ctx
def notify(obj: cx.Ctx, as_of: str | None, dry_run: bool, out_dir: str | None, org: str | None,
           retry_failed: bool, dismiss: tuple[int, ...], send_now: bool, as_json: bool) -> None:
    """Utvärdera och skicka en sammanställning per mottagare. Redan skickat skickas inte igen;
    meddelanden som inte gick iväg ligger kvar i utkorgen och försöks igen, med allt längre
    väntan ([notify] retry_minutes, fördubblad upp till max_retry_minutes), eller genast med
    --now.

    \b
    Slutkoder:
        0  allt köat är skickat
        3  en regel misslyckades (den namnges; resten gjordes)
        4  ett meddelande kunde inte levereras (servern vägrade, 5xx): det namnges och
           påminner rollen it
        5  meddelanden ligger kvar i utkorgen (t.ex. SMTP-servern svarar inte): skälet och
           tiden för nästa försök skrivs ut (med --json i notify.send.reason)

    \b
    Exempel:
        bevaka notify --dry-run --out utkorg/
        bevaka notify --retry-failed
        bevaka notify --now
    """
    app = obj.app
    summary = app.notify(cx.parse_as_of(as_of, app), dry_run=dry_run, out_dir=out_dir, org=org,
                         retry_failed=retry_failed, dismiss_failed=dismiss, send_now=send_now)
    send = summary["notify"].get("send") or {}
    failed = send.get("failed_messages", [])
    left = pending_line(send, app.config.schedule.timezone)
    if as_json:
        emit_json(summary)
        finish(summary["failed_rules"], failed, left)
        return
    n = summary["notify"]
    q = n.get("queue") or {}
    line = (f"{plural(summary['findings'], 'bevakning', 'bevakningar')} per {summary['as_of']}: "
            f"{plural(q.get('queued', 0), 'sammanställning köad', 'sammanställningar köade')} "
            f"({plural(q.get('reminders', 0), 'påminnelse', 'påminnelser')}), "
            f"{q.get('blocked', 0)} stoppade (personnummer)")
    if send:
        line += f"; skickade {send.get('sent', 0)}, kvar i utkorgen {send.get('pending', 0)}"
    if n.get("files"):
        line += f"; {plural(len(n['files']), '.eml-fil', '.eml-filer')} i {Path(n['files'][0]).parent}"
    click.echo(line)
    for org, role in sorted({(u["org"], u["role"]) for u in q.get("unaddressed", [])}):
        click.echo(f"Ingen adress för rollen {role} ({org}): lägg till den under [roles] i "
                   "config.toml", err=True)
    finish(summary["failed_rules"], failed, left)


def pending_line(send: dict[str, Any], timezone: str) -> str | None:
    """One line on the messages left in the outbox: how many, why, and when the next try is."""
    n = send.get("pending") or 0
    if not n:
        return None
    when = "vid nästa körning"
    if send.get("next_attempt_at"):
        at = datetime.fromisoformat(send["next_attempt_at"]).astimezone(ZoneInfo(timezone))
        today = datetime.now(ZoneInfo(timezone)).date()
        when = f"kl. {at:%H:%M}" if at.date() == today else f"{at:%Y-%m-%d} kl. {at:%H:%M}"
    return (f"{plural(n, 'meddelande', 'meddelanden')} kvar i utkorgen: {send.get('reason')}; "
            f"nytt försök {when} eller kör bevaka notify --now")


@click.command()
@cx.global_options
@cx.pass_ctx
def serve(obj: cx.Ctx) -> None:
    """Kör schemaläggaren: dagligt jobb vid [schedule] time (Europe/Stockholm), ikappkörning vid
    start för varje missad dag (högst 31; påminnelserna markeras som försenade), nya
    sändningsförsök var [schedule] outbox_every_minutes. Avslutas rent på SIGTERM. En andra
    serve mot samma databas vägrar starta (en rad med den första processens pid, slutkod 1).

    \b
    Exempel:
        bevaka serve
    """
    app = obj.app
    app.serve(started=lambda: click.echo(
        f"bevaka serve: dagligt jobb {app.config.schedule.time} {app.config.schedule.timezone}"
        f", databas {app.db_path}"))


COMMANDS = [notify, serve]

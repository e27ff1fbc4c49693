"""``bevaka web`` and ``bevaka ics``: the outbound read-only channels."""

from __future__ import annotations

import os
from typing import Any

import click

from bevaka.cli.context import Ctx, global_options, org_option, pass_ctx
from bevaka.cli.output import emit_json
from facts.vocabulary import plural
from notifications.files import write_private

TOKEN_ENV = "BEVAKA_WEB_TOKEN"


@click.command("web")
@click.option("--host", default="127.0.0.1", show_default=True,
              help=f"Adressen att lyssna på; annat än 127.0.0.1 kräver {TOKEN_ENV}.")
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--snapshot", "snapshot", metavar="FIL",
              help="Spara ögonblicksbilden här (standard: en tillfällig fil som tas bort efteråt).")
@global_options
@pass_ctx
def web(obj: Ctx, host: str, port: int, snapshot: str | None) -> None:
    """Visa bevakningar, körningar, beslutsposter och utkorg i webbläsaren (Datasette), ur en
    skrivskyddad ögonblicksbild av databasen. Fritt SQL är avstängt; vyerna, de färdiga frågorna
    och CSV-export finns, liksom en sida och ett kalenderflöde per roll eller adress. Lyssnar
    bara på 127.0.0.1 om inte miljövariabeln BEVAKA_WEB_TOKEN är satt; då krävs token (Bearer
    eller som lösenord i Basic) i varje anrop.

    \b
    Exempel:
        bevaka web --port 8001
        BEVAKA_WEB_TOKEN=… bevaka web --host 0.0.0.0
    """
    token = os.environ.get(TOKEN_ENV) or None

    def started(chain: dict[str, Any]) -> None:
        state = "hel" if chain["ok"] else f"BRUTEN: {chain['problem']}"
        click.echo(f"Granskningsvyn: http://{host}:{port}/  (ögonblicksbild {chain['snapshot_at']}, "
                   f"revisionsloggen {state}){'  [token krävs]' if token else ''}", err=True)

    obj.app.web(host, port, token, snapshot, started)


@click.command("ics")
@click.option("--role", "who", required=True, metavar="ROLL|ADRESS",
              help="Rollnyckeln (t.ex. bistand_ao) eller e-postadressen.")
@click.option("--out", "out", required=True, metavar="FIL", help="Kalenderfilen (.ics) att skriva.")
@org_option()
@click.option("--json", "as_json", is_flag=True)
@global_options
@pass_ctx
def ics(obj: Ctx, who: str, out: str, org: str | None, as_json: bool) -> None:
    """Skriv en rolls eller adress frister som kalenderfil (iCalendar): en händelse per öppen
    frist med påminnelse [rules] warn_days dagar före, åtgärdade frister som inställda, samma
    UID (bevakningens id) i varje körning. Bara ärendenummer och förklaringar, aldrig
    personnummer. Bygger på den senast loggade körningen.

    \b
    Exempel:
        bevaka ics --role bistand_ao --out bistand_ao.ics
    """
    feed = obj.app.calendar(who, org)
    write_private(out, feed.text.encode("utf-8"))
    if as_json:
        emit_json({**feed.to_dict(), "file": out})
        return
    click.echo(f"{out}: {plural(feed.events, 'öppen frist', 'öppna frister')}, "
               f"{plural(feed.cancelled, 'inställd', 'inställda')} (åtgärdade)"
               + (f", {feed.blocked} utelämnade (personnummer)" if feed.blocked else ""))


COMMANDS = [web, ics]

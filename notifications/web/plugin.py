"""The Datasette plugin of the web view: only the views are served, never SQL; the chain
banner on every page; the officer pages and calendar feeds.

Routes: ``/-/sidor`` (every role and address with findings), ``/-/sida/KOMMUN/NÄMND/VEM``
(an officer's page) and ``/-/kalender/KOMMUN/NÄMND/VEM.ics`` (the feed), ``/-/kedja.json``
(the chain status of the served snapshot).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Base400, Response
from datasette.views.base import DatasetteError

from notifications.calendar import build_feed
from notifications.published import for_recipient
from notifications.web.metadata import DB, PLUGIN
from notifications.web.pages import WEEKDAYS, calendar_grid, heat_map, open_findings
from notifications.web.snapshot import VIEWS
from notifications.web.svenska import TEMPLATE_VARS, error, number

log = logging.getLogger(__name__)


@hookimpl
def permission_allowed(datasette: Any, actor: Any, action: str, resource: Any) -> bool | None:
    """Views only, and no SQL: a raw table (the log, the private tables) is refused whatever
    the metadata says, and so is every query that is not a canned one."""
    if action == "execute-sql":
        return False
    if action == "view-table":
        return isinstance(resource, tuple) and resource[0] == DB and resource[1] in VIEWS
    return None


def _settings(datasette: Any) -> dict[str, Any]:
    return datasette.plugin_config(PLUGIN) or {}


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    """The Swedish helpers of the templates (every page, error pages too)."""
    env.globals.update(TEMPLATE_VARS)
    env.filters["tal"] = number


@hookimpl
def extra_template_vars(datasette: Any) -> dict[str, Any]:
    return {"kedja": _settings(datasette).get("chain", {})}


@hookimpl
def handle_exception(datasette: Any, request: Any, exception: Exception) -> Any:
    """Every error page in Swedish, with the banner and the crumbs. A page that is not there
    or not allowed (4xx) is no fault and logs nothing (Datasette's own handler, which
    :func:`notifications.web.app.datasette` unregisters, printed a page of traceback for each
    404); a fault (5xx) is logged with its traceback as an internal fault."""
    client = isinstance(exception, Base400 | DatasetteError)
    status = int(getattr(exception, "status", 500)) if client else 500
    if status >= 500:
        log.error("internt fel i granskningsvyn (%s): %s", request.path, exception,
                  exc_info=exception)

    async def inner() -> Response:
        if request.path.endswith(".json"):
            return Response.json({"ok": False, "status": status, "error": error(status)[1]},
                                 status=status)
        html = await datasette.render_template("error.html", {"status": status}, request=request)
        return Response.html(html, status=status)

    return inner


async def _rows(datasette: Any, org: str) -> list[dict[str, Any]]:
    db = datasette.get_database(DB)
    result = await db.execute("SELECT * FROM _bevakningar WHERE organisation = ?", [org])
    return [dict(r) for r in result.rows]


async def _last_run(datasette: Any, org: str) -> tuple[date | None, datetime | None]:
    db = datasette.get_database(DB)
    result = await db.execute("SELECT r.as_of, a.recorded_at FROM run_state r LEFT JOIN audit_log a "
                              "ON a.run_id = r.run_id AND a.kind = 'run' WHERE r.org = ?", [org])
    row = result.first()
    if row is None:
        return None, None
    stamp = datetime.fromisoformat(row[1]) if row[1] else datetime.now(UTC)
    return date.fromisoformat(row[0]), stamp


def _who(request: Any) -> tuple[str, str]:
    args = request.url_vars
    return f"{args['kommun']}/{args['namnd']}", args["vem"]


async def officer_page(request: Any, datasette: Any) -> Response:
    org, who = _who(request)
    rows = await _rows(datasette, org)
    as_of, _ = await _last_run(datasette, org)
    mine = open_findings(rows, who)
    cells = await datasette.get_database(DB).execute(
        "SELECT * FROM _riskkarta WHERE organisation = ? ORDER BY konsekvens, sannolikhet", [org])
    context = {
        "org": org, "who": who, "as_of": as_of, "findings": mine,
        "deadlines": [r for r in mine if r["frist"]],
        "weeks": calendar_grid(mine, as_of) if as_of else [], "weekdays": WEEKDAYS,
        "heat": heat_map([dict(c) for c in cells.rows]),
        "feed": f"/-/kalender/{org}/{who}.ics", "known": bool(for_recipient(rows, who)),
    }
    return Response.html(await datasette.render_template("bevaka_sida.html", context, request=request))


async def pages(request: Any, datasette: Any) -> Response:
    db = datasette.get_database(DB)
    roles = await db.execute("SELECT organisation, roll, adress FROM _roller ORDER BY organisation, roll")
    entries = []
    for r in roles.rows:
        rows = await _rows(datasette, r["organisation"])
        n = len([x for x in for_recipient(rows, r["roll"]) if int(x["oppen"])])
        if n:
            entries.append({"org": r["organisation"], "roll": r["roll"], "adress": r["adress"], "open": n})
    return Response.html(await datasette.render_template("bevaka_sidor.html", {"entries": entries},
                                                         request=request))


async def feed(request: Any, datasette: Any) -> Response:
    org, who = _who(request)
    rows = await _rows(datasette, org)
    _, stamp = await _last_run(datasette, org)
    result = build_feed(for_recipient(rows, who), f"{who} ({org})",
                        int(_settings(datasette).get("warn_days", 14)), stamp or datetime.now(UTC))
    return Response(result.text, content_type="text/calendar; charset=utf-8",
                    headers={"content-disposition": f'inline; filename="{who}.ics"'})


async def chain(request: Any, datasette: Any) -> Response:
    return Response.json(_settings(datasette).get("chain", {}))


_PERSON = r"(?P<kommun>[^/]+)/(?P<namnd>[^/]+)/(?P<vem>[^/]+?)"


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/-/sidor$", pages), (rf"^/-/sida/{_PERSON}$", officer_page),
            (rf"^/-/kalender/{_PERSON}\.ics$", feed), (r"^/-/kedja\.json$", chain)]

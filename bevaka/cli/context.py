"""What every command shares: the global options and the :class:`Bevaka` they select."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import click

from bevaka.app import Bevaka
from engine.config import load_config
from facts.dates import DateParseError, parse_date
from facts.errors import UserError

F = TypeVar("F", bound=Callable[..., Any])


class Ctx:
    """The global options, set before or after the command name, and the app they open."""

    def __init__(self, db: str | None = None, config: str | None = None):
        self.db_option = db
        self.config_option = config
        self._app: Bevaka | None = None

    @property
    def app(self) -> Bevaka:
        if self._app is None:
            self._app = Bevaka(load_config(self.config_option), self.db_option)
        return self._app

    def close(self) -> None:
        if self._app is not None:
            self._app.close()


def _set(attr: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is not None:
            setattr(ctx.ensure_object(Ctx), attr, value)

    return callback


DB_HELP = "SQLite-databasen (standard: BEVAKA_DB eller config.toml [database] path)."
CONFIG_HELP = "Konfigurationsfilen (standard: BEVAKA_CONFIG eller ./config.toml)."


def global_options(fn: F) -> F:
    """``--db`` and ``--config`` on a command too, so they work after the command name."""
    fn = click.option("--config", "config_option", expose_value=False, is_eager=True,
                      callback=_set("config_option"), help=CONFIG_HELP)(fn)
    fn = click.option("--db", "db_option", expose_value=False, is_eager=True,
                      callback=_set("db_option"), help=DB_HELP)(fn)
    return fn


pass_ctx = click.make_pass_decorator(Ctx, ensure=True)


def org_option(all_by_default: bool = False) -> Callable[[F], F]:
    """``--org kommun/nämnd``: which organisation (default ``[org] default``, or every
    organisation in the database for commands that take ``all_by_default``)."""
    default = "alla organisationer i databasen" if all_by_default else "config.toml [org] default"
    return click.option("--org", "org", metavar="KOMMUN/NÄMND",
                        help=f"Organisationen, t.ex. oxelosund/von (standard: {default}).")


def as_of_option(fn: F) -> F:
    return click.option("--as-of", "as_of", help="Per detta datum (standard: i dag).")(fn)


def parse_as_of(value: str | None, app: Bevaka) -> date:
    """``--as-of`` in any date form the importer reads; today in [schedule] timezone if empty."""
    if not value:
        return app.today()
    try:
        parsed = parse_date(value)
    except DateParseError as exc:
        raise UserError(f"--as-of: {exc}") from None
    if parsed is None:
        raise UserError("--as-of: ange ett datum, t.ex. 2024-09-30")
    return parsed


def output_format(fmt: str | None, out: str | None, formats: tuple[str, ...] = (
        "csv", "xlsx", "html", "pdf")) -> str | None:
    """``--format`` and ``--out`` checked together: a format needs a file; a file without a
    format takes its format from its suffix."""
    if fmt and not out:
        raise UserError(f"--format {fmt}: ange filen med --out, t.ex. --out bevakningar.{fmt}")
    if out and not fmt:
        suffix = out.rsplit(".", 1)[-1].lower() if "." in out else ""
        if suffix not in formats:
            raise UserError(f"--out {out}: ange --format ({', '.join(formats)}) eller en fil "
                            "som slutar på ett av dem")
        return suffix
    return fmt

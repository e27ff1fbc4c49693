"""The ``bevaka`` command line: a thin layer over :class:`bevaka.Bevaka`.

Every command is a few lines: read the options, call one method, print a table (or JSON with
``--json``). Errors are reported by :mod:`bevaka.cli.errors`.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from bevaka.cli import (
    click_sv,
    commands_audit,
    commands_check,
    commands_facts,
    commands_init,
    commands_notify,
    commands_report,
    commands_rules,
    commands_web,
)
from bevaka.cli.context import CONFIG_HELP, DB_HELP, Ctx
from bevaka.cli.errors import UserFacingError, report_fault
from facts.errors import UserError


class BevakaGroup(click.Group):
    """A click group that turns user mistakes into one ``Fel:`` line and faults into one line
    naming the file that holds the traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except UserError as exc:
            raise UserFacingError(str(exc)) from None
        except Exception as exc:  # noqa: BLE001 - a fault in bevaka, reported as one
            raise report_fault(exc) from None
        finally:
            obj = ctx.find_object(Ctx)
            if obj is not None and ctx.parent is None:
                obj.close()


@click.group(cls=BevakaGroup)
@click.option("--db", envvar="BEVAKA_DB", help=DB_HELP)
@click.option("--config", "config_path", envvar="BEVAKA_CONFIG", help=CONFIG_HELP)
@click.version_option(package_name="bevaka", help="Visa versionen och avsluta.")
@click.pass_context
def cli(ctx: click.Context, db: str | None, config_path: str | None) -> None:
    """bevaka: bevakar frister i socialtjänstens register och överenskommelser.

    \b
    Exempel:
        bevaka import examples/beslut-2024.xlsx
        bevaka check --as-of 2024-09-30
        bevaka report ivo --quarter 2024Q4 --out rapporter/
    """
    ctx.obj = Ctx(db, config_path)


for module in (commands_init, commands_facts, commands_check, commands_rules, commands_audit,
               commands_notify, commands_report, commands_web):
    for command in module.COMMANDS:
        cli.add_command(command)
click_sv.install(cli)  # click's own words (usage, help headings, its errors) in Swedish


#: Files bevaka creates are for its owner only: the database (and SQLite's -wal and -shm,
#: which take the database's mode), reports, .eml files, anchors, locks (``0600``/``0700``).
PRIVATE_UMASK = 0o077


def main() -> None:
    os.umask(PRIVATE_UMASK)
    try:
        cli(prog_name="bevaka")
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()

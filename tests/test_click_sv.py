"""click's own words in Swedish (issue 7, point 5): usage lines, help headings and the messages
for a mistyped command line, through the real CLI."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bevaka.cli import cli
from bevaka.cli.click_sv import SV, SV_PLURAL

#: click's English that a user could meet; none may be left
ENGLISH = ("Usage", "Options", "Commands", "Show this message", "Try ", "Error", "No such",
           "Missing", "requires", "Invalid value", "is not", "does not exist", "Did you mean",
           "unexpected", "default:", "required", "OPTIONS", "COMMAND", "INTEGER")

MISTAKES = [
    ["check", "--nope"],
    ["check", "--stat", "x"],
    ["retract"],
    ["retract", "decisions"],
    ["check", "--as-of"],
    ["web", "--port", "x"],
    ["nosuch"],
    ["chek"],
    ["report"],
    ["report", "ivo", "extra", "args"],
    ["audit", "log", "--limit", "x"],
    ["gallra"],
]


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [path]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            out += _commands(command, (*path, name))
        else:
            out.append((*path, name))
    return out


@pytest.mark.parametrize("args", MISTAKES, ids=" ".join)
def test_a_mistyped_command_line_is_answered_in_swedish(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args, prog_name="bevaka")
    assert result.exit_code == 2, result.output
    found = [w for w in ENGLISH if re.search(rf"(?<![\w-]){re.escape(w)}", result.output)]
    assert not found, result.output
    assert "Fel:" in result.output or "Användning:" in result.output


@pytest.mark.parametrize("path", _commands(cli), ids=lambda p: " ".join(p) or "bevaka")
def test_every_help_page_is_swedish(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="bevaka")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Användning: bevaka")
    found = [w for w in ("Usage:", "Options:", "Commands:", "Show this", "Show the", "[OPTIONS]",
                         "[default:", "required", "COMMAND [ARGS]", "PATHS", "FOLDER",
                         "FINDING_ID", "INTEGER") if w in result.output]
    assert not found, (path, found)


def test_every_translated_message_is_one_click_has() -> None:
    # a newer click that rewords a message would otherwise leave it in English, unnoticed
    source = "".join(p.read_text(encoding="utf-8") for p in Path(click.__file__).parent.glob("*.py"))
    missing = [m for m in [*SV, *(s for pair in SV_PLURAL for s in pair)]
               if repr(m)[1:-1] not in source and m not in source]
    assert not missing, missing

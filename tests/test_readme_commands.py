"""Every command line in README.md's "Using it" section runs against the demo database (issue
7): placeholders in capitals (RUN) are replaced by real values, ``[…]`` options are left out,
``a | b`` alternatives run one by one; the long-running ``serve`` and ``web`` are started only
by their own tests (tests/test_scheduling.py, tests/test_web.py)."""

from __future__ import annotations

import re
import shlex
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, ROOT
from demo_db import build_demo
from smtp_server import SmtpServer

from bevaka.cli import cli

LONG_RUNNING = {"serve", "web"}


def _lines() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Using it", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```sh\n(.*?)```", section, re.S)
    out = []
    for raw in block.splitlines():
        line = re.split(r"\s#\s", raw, maxsplit=1)[0].strip()
        if not line.startswith("bevaka "):
            continue
        line = re.sub(r"\s*\[[^\]]*\]", "", line)  # optional parts
        head, _, rest = line.partition(" ")
        if "|" in rest:  # bevaka rules validate | list | test | diff OLD NEW
            first, *others = [p.strip() for p in rest.split("|")]
            group = first.split()[0]
            out.append(f"{head} {first}")
            out.extend(f"{head} {group} {o}" for o in others)
        else:
            out.append(line)
    return out


LINES = _lines()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    build_demo(folder)
    shutil.copytree(EXAMPLES, folder / "examples")
    shutil.copy(ROOT / "config.toml", folder / "config.toml")
    (folder / "ny").mkdir()  # bevaka init FOLDER: the folder exists, bevaka fills it
    return folder


def _run_for(db: Path, args: list[str]) -> str:
    """The latest run that decided the finding the line names (``--finding``), else the
    latest run."""
    finding = args[args.index("--finding") + 1] if "--finding" in args else None
    conn = sqlite3.connect(db)
    try:
        if finding:
            row = conn.execute("SELECT run_id FROM audit_log WHERE kind = 'decision' AND "
                               "json_extract(payload, '$.finding_id') = ? ORDER BY seq DESC "
                               "LIMIT 1", [finding]).fetchone()
        else:
            row = conn.execute("SELECT run_id FROM audit_log WHERE kind = 'run' "
                               "ORDER BY seq DESC LIMIT 1").fetchone()
        return str(row[0])
    finally:
        conn.close()


def test_the_section_has_the_commands() -> None:
    assert len(LINES) >= 25, LINES


@pytest.mark.parametrize("line", LINES)
def test_a_readme_command_runs_against_the_demo_database(demo: Path, line: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    args = shlex.split(line)[1:]
    redirect = args.index(">>") if ">>" in args else None  # the shell's append, not an argument
    saved = args[redirect + 1] if redirect is not None else None
    args = args[:redirect] if redirect is not None else args
    if args[0] in LONG_RUNNING:  # runs until stopped (its own test file runs it): the line's
        # options, optional ones in [ ] included, must parse; --help then stops before serving
        line_args = [a.strip("[]") for a in args]
        result = CliRunner().invoke(cli, [*line_args, "--help"])
        assert result.exit_code == 0, f"{line}\n{result.output}"
        assert all(a in result.output for a in line_args[1:] if a.startswith("--")), result.output
        return
    db = demo / "bevaka.db"
    values = {"RUN": _run_for(db, args), "OLD": str(ROOT / "rules"), "NEW": str(ROOT / "rules"),
              "DIR": str(ROOT / "rules"), "FOLDER": str(demo / "ny")}
    args = [values.get(a, a) for a in args]
    monkeypatch.chdir(demo)
    monkeypatch.setenv("BEVAKA_DB", str(db))
    monkeypatch.setenv("BEVAKA_CONFIG", str(demo / "config.toml"))
    server = None
    if args[0] == "notify" and "--dry-run" not in args:  # sends for real: to a real server
        server = SmtpServer()
        server.start()
        config = demo / "config-smtp.toml"
        config.write_text(re.sub(r"(?m)^port = 8025", f"port = {server.port}",
                                 (demo / "config.toml").read_text(encoding="utf-8")),
                          encoding="utf-8")
        monkeypatch.setenv("BEVAKA_CONFIG", str(config))
    try:
        result = CliRunner().invoke(cli, args)
    finally:
        if server is not None:
            server.stop()
    assert "Traceback" not in result.output
    assert result.exit_code == 0, f"{line}\n{result.output}"
    if saved is not None:  # what the line appends is what a later line reads back
        (demo / saved).open("a", encoding="utf-8").write(result.output)

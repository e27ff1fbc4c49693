"""The audit log's anchor: written by every run (0600, one line per run), printed by ``bevaka
audit anchor``, checked by ``bevaka audit verify`` (also against a copy an auditor kept), mailed
to the auditors through a real SMTP server and sent to syslog over a real UDP socket."""

from __future__ import annotations

import json
import logging
import shutil
import socket
import sqlite3
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import EXAMPLES, config_text
from smtp_server import SmtpServer, smtp_server  # noqa: F401  (fixture)

from bevaka import Bevaka
from bevaka.cli import cli
from engine.audit_anchor import parse_line
from engine.config import load_config
from notifications.privacy import find_personnummer


def _app(folder: Path, extra: str = "") -> Bevaka:
    (folder / "config.toml").write_text(config_text(extra=extra), encoding="utf-8")
    return Bevaka(load_config(folder / "config.toml"), folder / "bevaka.db")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """config.toml, bevaka.db with two logged runs, and bevaka.db.anchor."""
    folder = tmp_path_factory.mktemp("anchor-base")
    with _app(folder) as app:
        app.import_files([EXAMPLES / "beslut-2024.xlsx"])
        app.run(date(2024, 9, 30))
        app.run(date(2024, 12, 31))
    return folder


@pytest.fixture()
def copy(base: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "db"
    shutil.copytree(base, folder)
    return folder


def _cli(folder: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", str(folder / "bevaka.db"), "--config",
                                    str(folder / "config.toml"), *args])


def test_every_run_appends_its_head_to_an_anchor_file_only_the_owner_can_read(copy: Path) -> None:
    anchor = copy / "bevaka.db.anchor"
    assert stat.S_IMODE(anchor.stat().st_mode) == 0o600
    heads = [parse_line(line, "x") for line in anchor.read_text().splitlines()]
    conn = sqlite3.connect(copy / "bevaka.db")
    ends = conn.execute("SELECT seq, hash, run_id FROM audit_log WHERE kind = 'end' "
                        "ORDER BY seq").fetchall()
    assert [(h.seq, h.hash, h.run_id) for h in heads] == ends
    assert heads[0].first_seq == 1 and heads[1].first_seq == heads[0].seq + 1
    printed = _cli(copy, "audit", "anchor")
    assert printed.exit_code == 0 and printed.stdout.strip() == anchor.read_text().splitlines()[-1]
    as_json = json.loads(_cli(copy, "audit", "anchor", "--json").stdout)
    assert as_json == {k: v for k, v in json.loads(printed.stdout).items() if k != "v"}


def test_the_anchor_path_can_be_set_in_config(tmp_path: Path) -> None:
    with _app(tmp_path, '[audit]\nanchor_path = "ankare/logg.anchor"\n') as app:
        (tmp_path / "ankare").mkdir()
        app.import_files([EXAMPLES / "beslut-2024.xlsx"])
        app.run(date(2024, 9, 30))
        assert app.anchor_path == tmp_path / "ankare" / "logg.anchor"
    assert len((tmp_path / "ankare" / "logg.anchor").read_text().splitlines()) == 1
    assert not (tmp_path / "bevaka.db.anchor").exists()
    result = _cli(tmp_path, "audit", "verify")
    assert result.exit_code == 0 and "logg.anchor: 1 rad, till seq" in result.stdout


def test_verify_without_an_anchor_file_says_what_it_could_not_check(copy: Path) -> None:
    (copy / "bevaka.db.anchor").unlink()
    result = _cli(copy, "audit", "verify")
    assert result.exit_code == 0
    assert result.stderr.strip() == (
        f"Varning: ingen ankarfil ({copy / 'bevaka.db.anchor'}): kontrollen mot ett ankare kunde "
        "inte göras, och en omskrivning av hela loggen kan då inte upptäckas.")


def test_a_kept_copy_finds_a_rewrite_of_the_database_and_the_anchor_file(copy: Path) -> None:
    """The attacker deletes the last run and the anchor file's last line: the live check
    passes, the head the auditor kept does not."""
    kept = copy / "revisorns-ankare.txt"
    kept.write_text(_cli(copy, "audit", "anchor").stdout, encoding="utf-8")
    anchor = copy / "bevaka.db.anchor"
    first, last = anchor.read_text().splitlines()
    anchor.write_text(first + "\n")
    conn = sqlite3.connect(copy / "bevaka.db", isolation_level=None)
    conn.execute("DROP TRIGGER audit_log_no_delete")
    conn.execute("DELETE FROM audit_log WHERE seq > ?", [json.loads(first)["seq"]])
    conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'audit_log'",
                 [json.loads(first)["seq"]])
    conn.execute("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT "
                 "RAISE(ABORT, 'audit_log är skrivskyddad: rader får inte tas bort'); END")
    conn.close()
    fooled = _cli(copy, "audit", "verify")
    assert fooled.exit_code == 0 and "Stämmer med ankaret" in fooled.stdout
    result = _cli(copy, "audit", "verify", "--anchor", str(kept))
    assert result.exit_code == 1
    assert "körningar har tagits bort i slutet" in result.stderr
    assert str(kept) in result.stderr


def test_a_kept_copy_that_is_older_than_the_log_covers_the_runs_up_to_it(copy: Path) -> None:
    kept = copy / "revisorns-ankare.txt"
    kept.write_text((copy / "bevaka.db.anchor").read_text().splitlines()[0] + "\n")
    result = _cli(copy, "audit", "verify", "--anchor", str(kept))
    assert result.exit_code == 0, result.output
    assert "1 senare körning täcks inte av kopian" in result.stdout
    data = json.loads(_cli(copy, "audit", "verify", "--anchor", str(kept), "--json").stdout)
    assert [a["kept"] for a in data["anchors"]] == [False, True]
    assert data["anchors"][1]["not_covered"] == 1


@pytest.mark.parametrize(("text", "message"), [
    ("inte json\n", "raden är inte ett ankare"),
    ('{"seq": 1}\n', "ankaret saknar fältet 'hash'"),
    ('{"seq": 2, "first_seq": 1, "hash": "abc", "run_id": "r", "at": "t"}\n',
     "hash ska vara 64 hexadecimala tecken"),
])
def test_a_broken_anchor_file_is_one_line_naming_the_file_and_line(
        copy: Path, text: str, message: str) -> None:
    anchor = copy / "bevaka.db.anchor"
    anchor.write_text(anchor.read_text() + text)
    result = _cli(copy, "audit", "verify")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Fel: {anchor}:3: {message}")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_kept_copy_that_does_not_exist_is_an_error(copy: Path) -> None:
    result = _cli(copy, "audit", "verify", "--anchor", str(copy / "saknas.txt"))
    assert result.exit_code == 1 and "ankarfilen finns inte" in result.stderr


def test_anchor_on_a_log_without_runs_is_one_line(tmp_path: Path) -> None:
    with _app(tmp_path) as app:
        app.import_files([EXAMPLES / "beslut-2024.xlsx"])
    result = _cli(tmp_path, "audit", "anchor")
    assert result.exit_code == 1
    assert result.stderr.startswith("Fel: revisionsloggen har ingen hel körning ännu")


def test_each_head_is_mailed_to_the_auditors_without_personal_data(
        tmp_path: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    extra = (f'[smtp]\nport = {smtp_server.port}\n\n'
             '[audit]\nanchor_email = "revisorer@kommun.example"\n')
    with _app(tmp_path, extra) as app:
        app.import_files([EXAMPLES / "beslut-2024.xlsx"])
        app.notify(date(2024, 9, 30))
    line = (tmp_path / "bevaka.db.anchor").read_text().splitlines()[-1]
    mails = [m for m in smtp_server.messages if m["To"] == "revisorer@kommun.example"]
    assert len(mails) == 1
    body = mails[0].get_content()
    assert line in body
    assert str(mails[0]["Subject"]) == f"bevaka: revisionsloggens ankare, seq {json.loads(line)['seq']}"
    assert not find_personnummer(body) and not find_personnummer(str(mails[0]["Subject"]))
    assert len(smtp_server.messages) > 1  # the reminders went too


def test_each_head_is_sent_to_syslog(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        server.settimeout(10)
        port = server.getsockname()[1]
        extra = f'[audit]\nanchor_syslog = true\nanchor_syslog_address = "127.0.0.1:{port}"\n'
        with _app(tmp_path, extra) as app:
            app.import_files([EXAMPLES / "beslut-2024.xlsx"])
            app.run(date(2024, 9, 30))
        datagram = server.recv(4096).decode("utf-8")
    line = (tmp_path / "bevaka.db.anchor").read_text().splitlines()[-1]
    assert datagram == f"<36>bevaka-ankare: {line}\x00"  # auth.warning, as SysLogHandler ends it


def test_a_syslog_that_cannot_be_reached_is_a_warning_and_the_run_stands(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    extra = f'[audit]\nanchor_syslog = true\nanchor_syslog_address = "{tmp_path / "ingen.sock"}"\n'
    with _app(tmp_path, extra) as app, caplog.at_level(logging.WARNING, "bevaka.audit"):
        app.import_files([EXAMPLES / "beslut-2024.xlsx"])
        app.run(date(2024, 9, 30))
        assert app.audit_verify().ok
    seq = json.loads((tmp_path / "bevaka.db.anchor").read_text())["seq"]
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        f"ankaret för seq {seq} kunde inte skickas till syslog"]


CHILD = """
import sys
from datetime import date, timedelta
from bevaka import Bevaka
from engine.config import load_config
with Bevaka(load_config(sys.argv[1]), sys.argv[2]) as app:
    for i in range(int(sys.argv[3])):
        app.run(date(2025, 1, 1) + timedelta(days=i))
"""


def test_verify_while_runs_are_recorded_never_fails(copy: Path) -> None:
    """A run's commit and its anchor line happen under the anchor's lock, and verify takes the
    log's snapshot and the anchor's length under it: a verify that overlaps runs passes."""
    runs = 3
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(copy / "config.toml"),
                              str(copy / "bevaka.db"), str(runs)], stderr=subprocess.PIPE)
    results = []
    with Bevaka(load_config(copy / "config.toml"), copy / "bevaka.db") as app:
        while child.poll() is None:
            results.append(app.audit_verify())
    assert child.wait() == 0, child.stderr.read() if child.stderr else ""
    assert results and all(r.ok for r in results), [r.problem for r in results if not r.ok]
    lines = (copy / "bevaka.db.anchor").read_text().splitlines()
    assert len(lines) == 2 + runs
    print(f"\n[anchor] {len(results)} verifies overlapping {runs} runs, all passed")


def test_anchor_after_drop_table_is_one_line(copy: Path) -> None:
    conn = sqlite3.connect(copy / "bevaka.db")
    conn.execute("DROP TABLE audit_log")
    conn.close()
    result = _cli(copy, "audit", "anchor")
    assert result.exit_code == 1
    assert result.stderr.strip() == ("Fel: tabellen audit_log saknas – revisionsloggen har "
                                     "tagits bort; kör bevaka audit verify")

"""``bevaka notify`` when messages stay in the outbox (issue 7): one Swedish line says how many,
why (the connection error that kept them) and when the next try is, with exit 5 (and the same
reason in ``--json``); ``--now`` retries at once what waits for its back-off, never resends what
was sent, and respects the sender lock. A real SMTP server on loopback, a real SQLite file."""

from __future__ import annotations

import json
import re

from conftest import REGISTER_XLSX, Bevaka, config_text
from smtp_server import SmtpServer, smtp_server  # noqa: F401  (fixture)

from bevaka import open_database
from notifications.delivery import sender_lock

AS_OF = "2024-12-31"


def _with_server(bevaka: Bevaka, server: SmtpServer) -> None:
    bevaka.config_path.write_text(config_text(extra=(
        f'[smtp]\nhost = "127.0.0.1"\nport = {server.port}\ntimeout = 5\n')), encoding="utf-8")
    bevaka.ok("import", str(REGISTER_XLSX))


def _pending(bevaka: Bevaka) -> int:
    db = open_database(bevaka.db_path)
    try:
        return int(db.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()[0])
    finally:
        db.close()


def test_server_down_says_why_and_exits_5_then_now_sends_once(
        bevaka: Bevaka, smtp_server: SmtpServer) -> None:  # noqa: F811
    _with_server(bevaka, smtp_server)
    smtp_server.stop()
    down = bevaka.run("notify", "--as-of", AS_OF)
    assert down.exit_code == 5, down.output
    n = _pending(bevaka)
    assert n >= 1
    counted = f"{n} meddelande" if n == 1 else f"{n} meddelanden"
    where = f"127.0.0.1:{smtp_server.port}"
    pattern = (rf"^{counted} kvar i utkorgen: SMTP-servern {re.escape(where)} svarar inte "
               r"\(anslutning nekad\); nytt försök kl\. \d\d:\d\d eller kör bevaka notify --now$")
    assert [line for line in down.stderr.splitlines() if re.match(pattern, line)], down.stderr
    assert "Traceback" not in down.output

    smtp_server.start()  # back up, but the messages wait for their back-off (15 minutes)
    waiting = bevaka.run("notify", "--as-of", AS_OF)
    assert waiting.exit_code == 5 and smtp_server.received == [], waiting.output
    assert f"{counted} kvar i utkorgen: SMTP-servern {where} svarar inte" in waiting.stderr

    now = bevaka.run("notify", "--as-of", AS_OF, "--now")
    assert now.exit_code == 0, now.output
    assert len(smtp_server.received) == n and _pending(bevaka) == 0
    again = bevaka.run("notify", "--as-of", AS_OF, "--now")
    assert again.exit_code == 0 and len(smtp_server.received) == n, again.output


def test_json_carries_the_reason(bevaka: Bevaka, smtp_server: SmtpServer) -> None:  # noqa: F811
    _with_server(bevaka, smtp_server)
    smtp_server.stop()
    result = bevaka.run("notify", "--as-of", AS_OF, "--json")
    assert result.exit_code == 5, result.output
    send = json.loads(result.stdout)["notify"]["send"]
    assert send["pending"] >= 1 and send["sent"] == 0
    assert send["reason"] == f"SMTP-servern 127.0.0.1:{smtp_server.port} svarar inte (anslutning nekad)"
    assert send["next_attempt_at"] > "2000"
    assert f"kvar i utkorgen: {send['reason']}" in result.stderr


def test_now_respects_the_sender_lock(bevaka: Bevaka, smtp_server: SmtpServer) -> None:  # noqa: F811
    _with_server(bevaka, smtp_server)
    smtp_server.stop()
    assert bevaka.run("notify", "--as-of", AS_OF).exit_code == 5
    smtp_server.start()
    db = open_database(bevaka.db_path)
    try:
        with sender_lock(db) as held:  # another sender (serve's outbox job) is at work
            assert held
            busy = bevaka.run("notify", "--as-of", AS_OF, "--now")
    finally:
        db.close()
    assert busy.exit_code == 5 and smtp_server.received == [], busy.output
    assert "kvar i utkorgen: en annan process skickar från utkorgen just nu" in busy.stderr
    assert bevaka.run("notify", "--as-of", AS_OF, "--now").exit_code == 0
    assert smtp_server.received


def test_now_with_dry_run_is_an_error(bevaka: Bevaka) -> None:
    result = bevaka.run("notify", "--dry-run", "--now")
    assert result.exit_code == 1 and result.output.startswith("Fel: --now gäller inte med --dry-run")


def test_a_second_serve_is_one_line_naming_the_first(bevaka: Bevaka) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    lock = bevaka.db_path.with_name(bevaka.db_path.name + ".serve.lock")
    env = {k: v for k, v in os.environ.items() if k not in ("BEVAKA_DB", "BEVAKA_CONFIG")}
    first = subprocess.Popen(
        [sys.executable, "-m", "bevaka.cli", "--db", str(bevaka.db_path), "--config",
         str(bevaka.config_path), "serve"], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not (lock.exists() and lock.read_text().strip()):
            assert first.poll() is None and time.monotonic() < deadline, first.communicate()
            time.sleep(0.1)
        second = bevaka.run("serve")
    finally:
        first.send_signal(signal.SIGTERM)
        out, err = first.communicate(timeout=30)
    assert second.exit_code == 1, second.output
    assert second.output.splitlines() == [
        f"Fel: bevaka serve körs redan för databasen {bevaka.db_path} (pid {first.pid}); "
        "stoppa den först eller använd en annan databas"]
    assert first.returncode == 0, err
    assert out.startswith("bevaka serve: dagligt jobb")

"""The SMTP fault table, against a real SMTP server on loopback (aiosmtpd), through the CLI.

Each scenario imports the example register, runs ``bevaka notify`` against a server that
misbehaves in one way, and checks what the operator sees and what the outbox holds: every
digest is delivered exactly once (counted by Message-ID at the server), or stays in the outbox
as ``failed`` with the server's reply, named on stderr (exit 4) and listed by ``check`` as an
IT finding ``bevaka.leveransfel/<id>``; once the fault is gone, ``notify --retry-failed`` (or
the outbox job, for transient faults) delivers it, once.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import EXAMPLES, RULES_DIR
from smtp_server import SmtpServer
from trials import report

from bevaka import Bevaka
from bevaka.cli import cli
from bevaka.cli.errors import EXIT_UNDELIVERED
from engine.config import load_config

AS_OF = "2024-12-31"
ROLES = {"enhetschef": "ec@kommun.example", "bistand_ao": "ao@kommun.example",
         "bistand_fso": "fso@kommun.example", "ifo": "ifo@kommun.example",
         "it": "it@kommun.example"}


@dataclass
class Site:
    """One installation: config, database and the server it sends through."""

    tmp: Path
    server: SmtpServer
    runner: CliRunner = field(default_factory=CliRunner)

    @property
    def base(self) -> list[str]:
        return ["--db", str(self.tmp / "b.db"), "--config", str(self.tmp / "config.toml")]

    def cli(self, *args: str) -> Result:
        return self.runner.invoke(cli, [*self.base, *args])

    def notify(self, *args: str) -> Result:
        return self.cli("notify", "--as-of", AS_OF, *args)

    def outbox(self) -> list[tuple[int, str, str, str]]:
        """(id, recipient, status, last_error) of every message."""
        with Bevaka(load_config(self.tmp / "config.toml"), self.tmp / "b.db") as app:
            rows = app.db.execute("SELECT id, recipient, status, coalesce(last_error, '')"
                                  " FROM outbox ORDER BY id").fetchall()
        return [tuple(r) for r in rows]  # type: ignore[misc]

    def message_ids(self) -> dict[int, str]:
        with Bevaka(load_config(self.tmp / "config.toml"), self.tmp / "b.db") as app:
            return dict(app.db.execute("SELECT id, message_id FROM outbox").fetchall())

    def delivered(self) -> Counter[str]:
        """How often each Message-ID arrived at the server."""
        return Counter(str(m["Message-ID"]).strip() for m in self.server.messages)

    def outbox_job(self, minutes_later: int) -> dict[str, object]:
        """The service's outbox job, ``minutes_later`` than now (past any back-off)."""
        now = datetime.now(UTC) + timedelta(minutes=minutes_later)
        with Bevaka(load_config(self.tmp / "config.toml"), self.tmp / "b.db") as app:
            from notifications import send_pending
            return send_pending(app.db, app.config, now).to_dict()

    def it_findings(self) -> list[dict[str, object]]:
        checked = self.cli("check", "--as-of", AS_OF, "--json")
        assert "Traceback" not in checked.output
        return [f for f in json.loads(checked.stdout) if f["rule_id"] == "bevaka.leveransfel"]


def _site(tmp: Path, server: SmtpServer, timeout: float = 5, budget: int = 300) -> Site:
    roles = "\n".join(f'{k} = "{v}"' for k, v in ROLES.items())
    (tmp / "config.toml").write_text(
        f'[rules]\ndir = "{RULES_DIR.as_posix()}"\n[roles]\n{roles}\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {server.port}\ntimeout = {timeout}\n'
        f'[notify]\ndry_run_dir = "eml"\nsend_budget_seconds = {budget}\n', encoding="utf-8")
    site = Site(tmp, server)
    imported = site.cli("import", str(EXAMPLES / "beslut-2024.csv"))
    assert imported.exit_code == 0, imported.output
    return site


@dataclass
class Tally:
    """The campaign's figure: scenarios run, and messages neither delivered exactly once nor
    reported failed with the server's reply."""

    scenarios: int = 0
    failures: int = 0
    notes: list[str] = field(default_factory=list)

    def check(self, site: Site, name: str) -> None:
        got = site.delivered()
        reasons = {oid: (status, err) for oid, _, status, err in site.outbox()}
        bad = [(oid, mid, got[mid]) for oid, mid in site.message_ids().items()
               if got[mid] > 1 or (got[mid] == 0 and not (reasons[oid][0] == "failed"
                                                          and reasons[oid][1]))]
        self.scenarios += 1
        self.failures += len(bad)
        if bad:
            self.notes.append(f"{name}: {bad}")


TALLY = Tally()


def _undelivered_named(result: Result, site: Site, reply: str) -> list[int]:
    """The run exits 4 and names each failed message with the server's reply; the outbox and
    ``check`` agree. Returns the failed ids."""
    assert result.exit_code == EXIT_UNDELIVERED, result.output
    assert "Traceback" not in result.output
    failed = [(oid, err) for oid, _, status, err in site.outbox() if status == "failed"]
    assert failed, site.outbox()
    code, text = reply.split(" ", 1)
    for oid, err in failed:
        assert code in err and text in err, (oid, err)
        assert f"Meddelande {oid} till rollen" in result.stderr, result.stderr
    assert text in result.stderr
    found = site.it_findings()
    assert sorted(f["id"] for f in found) == sorted(f"bevaka.leveransfel/{i}" for i, _ in failed)
    assert all(f["recipients"] == ["it"] and text in str(f["why"]) for f in found)
    return [oid for oid, _ in failed]


def _retried(site: Site, fix: Callable[[], None]) -> None:
    """After the fault is fixed, ``notify --retry-failed`` delivers every failed message."""
    fix()
    again = site.notify("--retry-failed")
    assert again.exit_code == 0, again.output
    assert {s for _, _, s, _ in site.outbox()} == {"sent"}, site.outbox()
    assert site.it_findings() == []


@pytest.fixture
def server() -> SmtpServer:
    s = SmtpServer()
    s.start()
    yield s  # type: ignore[misc]
    s.stop()


def test_rcpt_550_is_failed_with_the_reply_reported_and_retryable(
        tmp_path: Path, server: SmtpServer) -> None:
    site = _site(tmp_path, server)
    for address in ROLES.values():
        server.handler.refuse[address] = "550 5.1.1 Mottagaren finns inte"
    result = site.notify()
    failed = _undelivered_named(result, site, "550 5.1.1 Mottagaren finns inte")
    assert len(failed) == len(site.outbox()) >= 3 and not server.messages
    _retried(site, server.handler.refuse.clear)
    TALLY.check(site, "RCPT 550")


def test_data_554_is_failed_with_the_reply_reported_and_retryable(
        tmp_path: Path, server: SmtpServer) -> None:
    site = _site(tmp_path, server)
    server.handler.data_reply = "554 5.6.0 Meddelandet vägras"
    failed = _undelivered_named(site.notify(), site, "554 5.6.0 Meddelandet vägras")
    assert len(failed) == len(site.outbox())

    def fix() -> None:
        server.handler.data_reply = None

    _retried(site, fix)
    TALLY.check(site, "DATA 554")


def test_one_refused_recipient_fails_alone_and_the_others_are_delivered_once(
        tmp_path: Path, server: SmtpServer) -> None:
    site = _site(tmp_path, server)
    server.handler.refuse[ROLES["ifo"]] = "550 5.1.1 Okänd adress"
    (failed,) = _undelivered_named(site.notify(), site, "550 5.1.1 Okänd adress")
    rows = {oid: (rcpt, status) for oid, rcpt, status, _ in site.outbox()}
    assert rows[failed] == (ROLES["ifo"], "failed")
    assert sum(s == "sent" for _, s in rows.values()) == len(rows) - 1 >= 2
    assert len(server.messages) == len(rows) - 1
    _retried(site, server.handler.refuse.clear)
    TALLY.check(site, "one recipient of several refused")


def test_4xx_backs_off_and_is_delivered_once_by_the_outbox_job(
        tmp_path: Path, server: SmtpServer) -> None:
    site = _site(tmp_path, server)
    server.handler.refuse[ROLES["enhetschef"]] = "451 4.3.0 Försök senare"
    result = site.notify()
    assert result.exit_code == 5, result.output  # left in the outbox, and why
    assert "kvar i utkorgen 1" in result.stdout
    assert "1 meddelande kvar i utkorgen: mottagaren tillfälligt nekad: 451 4.3.0 Försök senare; " \
        "nytt försök kl. " in result.stderr
    (pending,) = [r for r in site.outbox() if r[2] == "pending"]
    assert "451 4.3.0 Försök senare" in pending[3]
    server.handler.refuse.clear()
    assert site.outbox_job(minutes_later=1)["sent"] == 0  # still backing off
    assert site.outbox_job(minutes_later=16)["sent"] == 1
    assert {s for _, _, s, _ in site.outbox()} == {"sent"}
    TALLY.check(site, "4xx then success")


def test_421_at_data_defers_every_message_and_each_goes_out_once(
        tmp_path: Path, server: SmtpServer) -> None:
    site = _site(tmp_path, server)
    server.handler.data_reply = "421 4.3.2 Tjänsten stänger"
    result = site.notify()
    assert result.exit_code == 5 and "421" in result.stderr, result.output
    rows = site.outbox()
    assert {s for _, _, s, _ in rows} == {"pending"} and not server.received
    assert all("421" in err for *_, err in rows), rows
    server.handler.data_reply = None
    assert site.outbox_job(minutes_later=16)["sent"] == len(rows)
    TALLY.check(site, "421 at DATA, then success")


def test_4xx_until_max_attempts_is_failed_and_reminds_it(
        tmp_path: Path, server: SmtpServer) -> None:
    """A temporary refusal that never ends: after ``[notify] max_attempts`` the message is
    failed with the last reply ("gav upp efter 3 försök"), and the next run reminds the role
    ``it`` about it by mail (its own digest goes out)."""
    site = _site(tmp_path, server)
    text = (tmp_path / "config.toml").read_text(encoding="utf-8")
    (tmp_path / "config.toml").write_text(text.replace("[notify]\n", "[notify]\nmax_attempts = 3\n"),
                                          encoding="utf-8")
    server.handler.refuse[ROLES["enhetschef"]] = "452 4.2.2 Brevlådan är full"
    assert site.notify().exit_code == 5
    site.outbox_job(minutes_later=16)
    site.outbox_job(minutes_later=16 + 31)
    (gave_up,) = [r for r in site.outbox() if r[2] == "failed"]
    assert "452 4.2.2 Brevlådan är full" in gave_up[3] and "gav upp efter 3 försök" in gave_up[3]
    (found,) = site.it_findings()
    assert found["id"] == f"bevaka.leveransfel/{gave_up[0]}"
    reminded = site.notify()
    assert reminded.exit_code == 0, reminded.output
    to_it = [m for m in server.messages if str(m["To"]) == ROLES["it"]]
    assert len(to_it) == 1 and f"meddelande {gave_up[0]}" in to_it[0].get_body(
        ("plain",)).get_content()  # type: ignore[union-attr]
    _retried(site, server.handler.refuse.clear)
    TALLY.check(site, "4xx until max_attempts")


def test_a_server_that_is_down_defers_every_message_until_it_is_back(
        tmp_path: Path, server: SmtpServer) -> None:
    site = _site(tmp_path, server)
    server.stop()
    result = site.notify()
    assert result.exit_code == 5 and "svarar inte" in result.stderr, result.output
    rows = site.outbox()
    assert len(rows) >= 3 and {s for _, _, s, _ in rows} == {"pending"}
    assert all("svarar inte" in err for *_, err in rows), rows
    server.start()
    assert site.outbox_job(minutes_later=16)["sent"] == len(rows)
    TALLY.check(site, "server down")


@pytest.mark.parametrize("keeps", [False, True], ids=["drops-it", "keeps-it"])
def test_a_server_hanging_at_data_holds_a_run_for_one_timeout_not_one_per_message(
        tmp_path: Path, server: SmtpServer, keeps: bool) -> None:
    """The server answers the end of DATA only after the client gave up. The message may have
    arrived, so it is reported failed and not sent again (``after_crash = "skip"``); the rest
    are not tried in this run (one timeout, not one per message) and go out by the outbox job.
    The operator then sends it again (``--retry-failed``: the server had dropped it) or
    dismisses it (``--dismiss-failed``: the server had kept it)."""
    timeout = 0.5
    site = _site(tmp_path, server, timeout=timeout)
    server.handler.data_delay, server.handler.keep_before_delay = 3 * timeout, keeps
    result = site.notify()
    n = len(site.outbox())
    assert n >= 3
    assert server.handler.data_calls == 1  # one timeout, not one per message
    time.sleep(server.handler.data_delay)  # a late acceptance would land now
    assert len(server.received) == int(keeps)
    server.handler.data_delay = 0
    (failed,) = _undelivered_named(result, site, "SMTP-servern svarade inte inom")
    assert "kan ha levererats" in dict((r[0], r[3]) for r in site.outbox())[failed]
    assert site.outbox_job(minutes_later=16)["sent"] == n - 1
    assert len(server.received) == n - 1 + int(keeps)
    if keeps:
        dismissed = site.notify("--dismiss-failed", str(failed))
        assert dismissed.exit_code == 0, dismissed.output
        assert site.it_findings() == []
    else:
        _retried(site, lambda: None)
    TALLY.check(site, f"server hanging at DATA ({'keeps' if keeps else 'drops'} it)")


def test_a_slow_server_is_cut_off_by_the_send_budget(tmp_path: Path, server: SmtpServer) -> None:
    """Each DATA answered within the timeout, but slowly: the run stops at the budget and the
    rest go out in the next run, each once."""
    site = _site(tmp_path, server, timeout=5, budget=1)
    server.handler.data_delay = 0.6
    result = site.notify()
    assert result.exit_code == 5 and "send_budget_seconds" in result.stderr, result.output
    rows = site.outbox()
    sent = sum(s == "sent" for _, _, s, _ in rows)
    assert 1 <= sent < len(rows), rows
    server.handler.data_delay = 0
    site.outbox_job(minutes_later=0)
    assert {s for _, _, s, _ in site.outbox()} == {"sent"}
    TALLY.check(site, "slow server, send budget")


def test_zz_the_fault_table_figure() -> None:
    """The figure over every scenario above (runs last in this module)."""
    report("SMTP fault table", TALLY.scenarios, TALLY.failures, notes=TALLY.notes or "none")
    assert TALLY.failures == 0, TALLY.notes

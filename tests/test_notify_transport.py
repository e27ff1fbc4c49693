"""The yagmail wrapper against real servers: login, the @gmail.com trap, timeouts, setup errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest_smtp import AS_OF, counts, make_config, make_db, two_recipient_findings
from smtp_server import (  # noqa: F401  (fixtures)
    SmtpServer,
    silent_listener,
    smtp_auth_server,
    smtp_server,
)

from notifications import SmtpSetupError, notify, outbox_counts, queue_digests, send_pending
from notifications.transport import SmtpTransport, TransientError

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("BEVAKA_SMTP_PASSWORD", "hemligt")
    yield


def test_login_without_at_is_not_turned_into_gmail(
    tmp_path: Path, smtp_auth_server: SmtpServer, password: None  # noqa: F811
) -> None:
    db = make_db(tmp_path)
    config = make_config(tmp_path, smtp_auth_server.port, login="bevaka")
    result = notify(db, config, two_recipient_findings(), AS_OF, "run-1")
    assert result.send is not None and result.send.sent == 2
    assert smtp_auth_server.logins == ["bevaka"]  # one login for the batch, no @gmail.com
    assert {r.login for r in smtp_auth_server.received} == {"bevaka"}
    assert {r.mail_from for r in smtp_auth_server.received} == {"bevaka@kommun.example"}


def test_login_with_address(
    tmp_path: Path, smtp_auth_server: SmtpServer, password: None  # noqa: F811
) -> None:
    smtp_auth_server.credentials = {"bevaka@kommun.example": "hemligt"}
    db = make_db(tmp_path)
    config = make_config(tmp_path, smtp_auth_server.port, login="bevaka@kommun.example")
    assert notify(db, config, two_recipient_findings(), AS_OF, "r").send.sent == 2  # type: ignore[union-attr]
    assert smtp_auth_server.logins == ["bevaka@kommun.example"]


def test_wrong_password_stops_batch_and_keeps_pending(
    tmp_path: Path, smtp_auth_server: SmtpServer, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    monkeypatch.setenv("BEVAKA_SMTP_PASSWORD", "fel")
    db = make_db(tmp_path)
    config = make_config(tmp_path, smtp_auth_server.port, login="bevaka")
    queue_digests(db, config, two_recipient_findings(), AS_OF, "run-1")
    with pytest.raises(SmtpSetupError) as err:
        send_pending(db, config)
    message = str(err.value)
    assert "\n" not in message and "nekades" in message and "BEVAKA_SMTP_PASSWORD" in message
    assert "fel" not in message.split("(")[0].split()  # the password is never shown
    # smtplib tries AUTH PLAIN then LOGIN on one connection; no second connection follows
    assert set(smtp_auth_server.logins) == {"bevaka"} and len(smtp_auth_server.logins) <= 2
    assert outbox_counts(db)["pending"] == 2
    attempts = db.execute("SELECT attempts, next_attempt_at <= ? FROM outbox",
                          [datetime.now(UTC).isoformat(timespec="seconds")]).fetchall()
    assert attempts == [(0, 1), (0, 1)]  # untouched and still due: fix the password, rerun
    log = db.execute("SELECT event FROM notification_log").fetchall()
    assert log == [("smtp_setup",)]
    monkeypatch.setenv("BEVAKA_SMTP_PASSWORD", "hemligt")
    assert send_pending(db, config).sent == 2


def test_login_without_password_never_prompts(
    tmp_path: Path, smtp_auth_server: SmtpServer, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    monkeypatch.delenv("BEVAKA_SMTP_PASSWORD", raising=False)
    config = make_config(tmp_path, smtp_auth_server.port, login="bevaka")
    with pytest.raises(SmtpSetupError, match="BEVAKA_SMTP_PASSWORD saknas"):
        SmtpTransport(config).open()
    assert smtp_auth_server.logins == []


def test_login_required_but_not_configured_stops_batch(
    tmp_path: Path, smtp_auth_server: SmtpServer  # noqa: F811
) -> None:
    db = make_db(tmp_path)
    config = make_config(tmp_path, smtp_auth_server.port)  # no login
    queue_digests(db, config, two_recipient_findings(), AS_OF, "run-1")
    with pytest.raises(SmtpSetupError, match=r"SMTP 530: .*kontrollera \[smtp\] sender och login"):
        send_pending(db, config)
    rows = db.execute("SELECT status, attempts FROM outbox").fetchall()
    assert rows == [("pending", 0), ("pending", 0)]  # not failed: fix the config and rerun


def test_hanging_server_times_out_as_transient(tmp_path: Path) -> None:
    listener = silent_listener()
    try:
        port = listener.getsockname()[1]
        db = make_db(tmp_path)
        config = make_config(tmp_path, port, timeout=0.5)
        with pytest.raises(TransientError, match="inom 0.5 s"):
            SmtpTransport(config).open()
        queue_digests(db, config, two_recipient_findings(), AS_OF, "run-1")
        result = send_pending(db, config)
        assert counts(result) == {"sent": 0, "deferred": 2, "failed": 0, "pending": 2}
        errors = {r[0] for r in db.execute("SELECT last_error FROM outbox").fetchall()}
        assert errors == {f"SMTP-servern 127.0.0.1:{port} svarade inte inom 0.5 s"}
    finally:
        listener.close()


def test_one_connection_for_the_batch(tmp_path: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    db, config = make_db(tmp_path), make_config(tmp_path, smtp_server.port)
    queue_digests(db, config, two_recipient_findings(), AS_OF, "run-1")
    with SmtpTransport(config) as transport:
        first = transport._yag
        assert send_pending(db, config).sent == 2  # its own connection; ours still open
        assert transport.connected and transport._yag is first
    assert not transport.connected


def test_restart_mid_batch_reconnects(tmp_path: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    """A connection dropped between messages: the next message reconnects once."""
    db, config = make_db(tmp_path), make_config(tmp_path, smtp_server.port)
    queue_digests(db, config, two_recipient_findings(), AS_OF, "run-1")
    transport = SmtpTransport(config)
    transport.open()
    smtp_server.restart()  # the open connection is gone
    from notifications.delivery import _parse

    eml = db.execute("SELECT eml FROM outbox ORDER BY id LIMIT 1").fetchone()[0]
    with pytest.raises(TransientError):
        transport.send(_parse(eml))
    assert not transport.connected
    transport.send(_parse(eml))  # reopens
    transport.close()
    assert len(smtp_server.received) == 1
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert send_pending(db, config, now=later).sent == 2

"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, collecting what it receives.

``aiosmtpd.controller.Controller`` cannot be given port 0, so a free port is found by binding
a socket to port 0, reading the port and closing the socket. The server can be stopped and
started again on the same port (to test retries), refuse chosen recipients (to test
permanent and temporary refusals) and require a login.

Use the fixture::

    from smtp_server import SmtpServer, smtp_server  # noqa: F401

    def test_x(smtp_server: SmtpServer) -> None:
        ...
        assert smtp_server.messages[0]["To"] == "mas@kommun.example"
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    login: str | None

    @property
    def message(self) -> EmailMessage:
        msg = BytesParser(_class=EmailMessage, policy=default).parsebytes(self.data)
        assert isinstance(msg, EmailMessage)
        return msg


class CollectingHandler:
    """Accepts every message (unless told to refuse a recipient or the data) and keeps it.

    ``data_reply`` replaces the reply to DATA (``"554 5.6.0 vägras"``: nothing is kept);
    ``data_delay`` seconds pass before the reply (a server hanging at DATA; with
    ``keep_before_delay`` the message is kept first, as a server that delivers it but answers
    too late); ``on_data`` is
    called with each kept message before the reply is sent (to kill the sender right after
    the server accepted it)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refuse: dict[str, str] = {}  # address -> SMTP reply, e.g. "550 5.1.1 okänd"
        self.data_reply: str | None = None
        self.data_delay = 0.0
        self.keep_before_delay = False
        self.data_calls = 0  # every DATA the server was sent, kept or not
        self.on_data: Callable[[Received], None] | None = None

    async def handle_RCPT(  # noqa: N802 - aiosmtpd hook name
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.lower() in self.refuse:
            return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd hook name
        self, server: Any, session: Session, envelope: Envelope
    ) -> str:
        self.data_calls += 1
        if self.data_delay and not self.keep_before_delay:
            await asyncio.sleep(self.data_delay)
        if self.data_reply is not None:
            return self.data_reply
        content = envelope.original_content or b""
        auth = session.auth_data
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        received = Received(str(envelope.mail_from), list(envelope.rcpt_tos), bytes(content), login)
        self.received.append(received)
        if self.on_data is not None:
            self.on_data(received)
        if self.data_delay and self.keep_before_delay:
            await asyncio.sleep(self.data_delay)
        return "250 Message accepted for delivery"


class SmtpServer:
    """Start/stop/restart an aiosmtpd server on one fixed port."""

    def __init__(self, port: int | None = None, credentials: dict[str, str] | None = None):
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.handler = CollectingHandler()
        self.credentials = credentials
        self.logins: list[str] = []  # every login name tried, as the server saw it
        self._controller: Controller | None = None

    def _authenticate(
        self, server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword) or self.credentials is None:
            return AuthResult(success=False, handled=False)
        user, password = data.login.decode(), data.password.decode()
        self.logins.append(user)
        ok = self.credentials.get(user) == password
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

    def start(self) -> None:
        if self._controller is not None:
            return
        kwargs: dict[str, Any] = {}
        if self.credentials is not None:
            kwargs.update(authenticator=self._authenticate, auth_require_tls=False,
                          auth_required=True)
        self._controller = Controller(self.handler, hostname=self.host, port=self.port, **kwargs)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    @property
    def messages(self) -> list[EmailMessage]:
        return [r.message for r in self.handler.received]

    def raw(self) -> bytes:
        """Everything received, concatenated (to search for what must never arrive)."""
        return b"\n".join(r.data for r in self.handler.received)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_auth_server() -> Iterator[SmtpServer]:
    """A server that requires AUTH (plain text allowed): login ``bevaka``, password ``hemligt``."""
    server = SmtpServer(credentials={"bevaka": "hemligt"})
    server.start()
    try:
        yield server
    finally:
        server.stop()


def silent_listener() -> socket.socket:
    """A socket that accepts connections but never speaks: an SMTP server that hangs."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(5)
    return s

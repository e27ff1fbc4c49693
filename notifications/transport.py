"""SMTP delivery through yagmail 0.16: the only module that imports yagmail.

yagmail's own ``send()`` is not used, because it turns every newline into ``<br>``, attaches
any content string that happens to be an existing path, logs in again per message, retries
only on a disconnect and keeps unsent mail in memory. Instead one ``yagmail.SMTP`` connection
is opened (``login()`` once) and every prepared :class:`email.message.EmailMessage` goes out
unchanged with ``yag.smtp.send_message(msg)``.

yagmail appends ``@gmail.com`` to a user name without ``@``: with no login the sender address
is passed as the user; a login without ``@`` is passed as ``{login: sender}`` (user, alias).
TLS (``ssl`` or ``starttls``) always verifies the server certificate (smtplib on its own does
not).

Errors are classified:

* :class:`TransientError`: refused connection, timeout, disconnect, any 4xx reply: retry later;
* :class:`PermanentError`: 5xx reply for this message (e.g. recipient refused): give up;
* :class:`SmtpSetupError`: login failed, login required, the sender refused, or the server
  cannot do what ``[smtp]`` asks: stop the whole batch and tell the operator (one line).
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from email.message import EmailMessage
from types import TracebackType
from typing import Any

import yagmail

from engine.config import Config
from facts.errors import UserError

__all__ = ["DeliveryError", "PermanentError", "SmtpSetupError", "SmtpTransport", "TransientError"]


class DeliveryError(Exception):
    """A message could not be delivered; ``str(err)`` is one line for logs and operators."""


class TransientError(DeliveryError):
    """Try again later. ``connection_lost``: the SMTP connection cannot be reused.
    ``uncertain``: the whole message had been sent when the connection failed (the server's
    reply to the end of DATA never came), so it may have been delivered."""

    def __init__(self, message: str, *, connection_lost: bool = True,
                 uncertain: bool = False) -> None:
        super().__init__(message)
        self.connection_lost = connection_lost
        self.uncertain = uncertain


class PermanentError(DeliveryError):
    """This message will never be accepted (e.g. recipient refused with 5xx)."""


class SmtpSetupError(DeliveryError, UserError):
    """Login failed or ``[smtp]`` does not fit the server: stop and tell the operator.

    A ``UserError`` too, like ``ConfigError``: the CLI shows it as a one-line error.
    """


def _one_line(text: object) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(str(text).split())[:300]


# Authentication required / mechanism too weak / credentials invalid / encryption required:
# the same for every message, so the batch stops instead of failing each message.
_SETUP_CODES = frozenset({530, 534, 535, 538})


def _timed_out(exc: BaseException) -> bool:
    """smtplib reports a read timeout as SMTPServerDisconnected; the cause tells."""
    return isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError)


def _reply(code: int, message: object) -> str:
    return f"SMTP {code}: {_one_line(message)}"


class SmtpTransport:
    """One SMTP connection for a batch of messages.

    Example::

        >>> with SmtpTransport(config) as smtp:   # connects and logs in once
        ...     smtp.send(msg)                     # raises TransientError/PermanentError/...
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self._yag: Any = None
        self._body_sent = False  # the current message's final "." has gone to the server

    def _watch_body(self, smtp: Any) -> None:
        """Note when smtplib sends a message's end (``CRLF . CRLF``, only ever sent by
        ``data()`` after the body): a failure after that may follow a delivery."""
        plain_send = smtp.send

        def send(data: bytes | str) -> None:
            plain_send(data)
            if isinstance(data, bytes) and data.endswith(b"\r\n.\r\n"):
                self._body_sent = True

        smtp.send = send

    @property
    def where(self) -> str:
        return f"{self.config.smtp.host}:{self.config.smtp.port}"

    @property
    def connected(self) -> bool:
        return self._yag is not None

    def _client(self) -> Any:
        s = self.config.smtp
        if s.login:
            password = s.password
            if not password:
                raise SmtpSetupError(
                    f"[smtp] login är satt men BEVAKA_SMTP_PASSWORD saknas ({self.where})"
                )
            user: str | dict[str, str] = s.login if "@" in s.login else {s.login: s.sender}
        else:
            password, user = None, s.sender
        extra: dict[str, Any] = {}
        if s.ssl:
            extra["context"] = ssl.create_default_context()
        starttls: bool | dict[str, Any] = (
            {"context": ssl.create_default_context()} if s.starttls and not s.ssl else False
        )
        return yagmail.SMTP(
            user=user,
            password=password,
            host=s.host,
            port=s.port,
            smtp_ssl=s.ssl,
            smtp_starttls=starttls,
            smtp_skip_login=not s.login,
            soft_email_validation=False,
            timeout=s.timeout,
            **extra,
        )

    def open(self) -> None:
        """Connect (and log in, if ``[smtp] login`` is set) once."""
        if self._yag is not None:
            return
        yag = self._client()
        try:
            yag.login()
        except Exception as exc:
            self._quiet_close(yag)
            raise self._classify_connect(exc) from exc
        self._watch_body(yag.smtp)
        self._yag = yag

    def _classify_connect(self, exc: Exception) -> DeliveryError:
        s = self.config.smtp
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return SmtpSetupError(
                f"SMTP-inloggningen som {s.login!r} på {self.where} nekades ({exc.smtp_code});"
                " kontrollera [smtp] login och BEVAKA_SMTP_PASSWORD"
            )
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return SmtpSetupError(
                f"SMTP-servern {self.where} stöder inte det [smtp] kräver: {_one_line(exc)}"
            )
        if isinstance(exc, ssl.SSLCertVerificationError):
            return SmtpSetupError(
                f"SMTP-servern {self.where}: certifikatet kunde inte verifieras ({exc.reason})"
            )
        if isinstance(exc, smtplib.SMTPResponseException):
            return TransientError(f"{self.where} svarade {_reply(exc.smtp_code, exc.smtp_error)}")
        if isinstance(exc, ConnectionRefusedError):
            return TransientError(f"SMTP-servern {self.where} svarar inte (anslutning nekad)")
        if _timed_out(exc):
            return TransientError(
                f"SMTP-servern {self.where} svarade inte inom {s.timeout:g} s"
            )
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            return TransientError(f"SMTP-servern {self.where} stängde anslutningen")
        if isinstance(exc, OSError):
            return TransientError(f"SMTP-servern {self.where}: {_one_line(exc) or type(exc)}")
        raise exc

    def send(self, msg: EmailMessage) -> None:
        """Send one prepared message over the open connection, exactly as built."""
        if self._yag is None:
            self.open()
        self._body_sent = False
        try:
            refused = self._yag.smtp.send_message(msg)
        except smtplib.SMTPAuthenticationError as exc:
            self._drop()
            raise SmtpSetupError(f"{self.where}: {_reply(exc.smtp_code, exc.smtp_error)}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise self._refused(exc.recipients) from exc
        except smtplib.SMTPResponseException as exc:
            code = exc.smtp_code
            if code in _SETUP_CODES or (
                isinstance(exc, smtplib.SMTPSenderRefused) and code >= 500
            ):
                self._drop()
                raise SmtpSetupError(
                    f"SMTP-servern {self.where} tar inte emot post från"
                    f" {self.config.smtp.sender}: {_reply(code, exc.smtp_error)};"
                    " kontrollera [smtp] sender och login"
                ) from exc
            if 400 <= code < 500:
                lost = code == 421
                if lost:
                    self._drop()
                raise TransientError(_reply(code, exc.smtp_error), connection_lost=lost) from exc
            raise PermanentError(_reply(code, exc.smtp_error)) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentError(f"SMTP-servern kan inte ta emot meddelandet: {_one_line(exc)}") \
                from exc
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            uncertain = self._body_sent
            after = " efter att hela meddelandet skickats" if uncertain else ""
            if _timed_out(exc):
                raise TransientError(
                    f"SMTP-servern {self.where} svarade inte inom {self.config.smtp.timeout:g} s"
                    f"{after}", uncertain=uncertain) from exc
            raise TransientError(
                f"SMTP-servern {self.where}: {_one_line(exc) or type(exc).__name__}{after}",
                uncertain=uncertain) from exc
        if refused:
            raise self._refused(refused)

    @staticmethod
    def _refused(recipients: dict[str, tuple[int, bytes]]) -> DeliveryError:
        replies = [(int(code), _one_line(text)) for code, text in recipients.values()]
        detail = "; ".join(f"{code} {text}" for code, text in replies)
        if replies and all(400 <= code < 500 for code, _ in replies):
            return TransientError(f"mottagaren tillfälligt nekad: {detail}", connection_lost=False)
        return PermanentError(f"mottagaren nekad: {detail}")

    @staticmethod
    def _quiet_close(yag: Any) -> None:
        # QUIT on a broken connection can fail any way; then close the socket directly.
        with contextlib.suppress(Exception):
            yag.close()
        with contextlib.suppress(Exception):
            if yag.smtp is not None:
                yag.smtp.close()

    def _drop(self) -> None:
        if self._yag is not None:
            self._quiet_close(self._yag)
            self._yag = None

    def close(self) -> None:
        """QUIT and close the connection (safe to call twice)."""
        self._drop()

    def __enter__(self) -> SmtpTransport:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

"""Serve the web view: Datasette over the immutable snapshot, on loopback unless a token guards it.

Read-only by construction: the snapshot is a copy that holds only what may be shown
(:mod:`notifications.web.snapshot`), Datasette opens it ``immutable`` (SQLite's
``immutable=1``: read-only, never locked, never written), arbitrary SQL is switched off and
refused by the plugin's permission hook, there are no writable canned queries and no write
plugins, every request that is not GET or HEAD is refused before Datasette sees it, and the
database file cannot be downloaded. Datasette's own ``/-/`` tool pages are not served.

Access (:func:`check_bind`, :class:`TokenGuard`): by default the view binds to 127.0.0.1
only. To bind to any other address a token is required (``BEVAKA_WEB_TOKEN``); every request
must then carry it, as ``Authorization: Bearer TOKEN`` or as the password of HTTP Basic
(any user name; a browser asks for it, a calendar client takes ``https://x:TOKEN@host/…``).
Limits: one shared secret for everyone (no users, no per-person log of who read what), sent
in clear text unless a TLS proxy sits in front, no lockout after wrong guesses. Put it
behind the municipality's reverse proxy with TLS and its own sign-in for anything more.
"""

from __future__ import annotations

import base64
import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from datasette.app import Datasette
from datasette.database import Database
from datasette.plugins import pm

from facts.errors import UserError
from notifications.web import plugin
from notifications.web.metadata import DB, SETTINGS, metadata

TEMPLATES = Path(__file__).parent / "templates"
ASGI = Callable[[dict[str, Any], Callable[..., Awaitable[Any]], Callable[..., Awaitable[Any]]],
                Awaitable[None]]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to listen beyond loopback without a token."""
    if not is_loopback(host) and not token:
        raise UserError(f"--host {host}: granskningsvyn lyssnar bara på 127.0.0.1 utan token; sätt "
                        "BEVAKA_WEB_TOKEN (och helst en TLS-proxy framför) för att öppna den för andra")


def datasette(snapshot: Path, chain: dict[str, Any], warn_days: int) -> Datasette:
    """Datasette over ``snapshot`` (immutable) with the Swedish metadata and the plugin."""
    if not pm.is_registered(plugin):
        pm.register(plugin, name="bevaka-web")
    # the plugin's handle_exception answers every error; Datasette's own printed a traceback
    # with every local variable for each 404 (every hook's answer is awaited, not just the first)
    default_errors = pm.get_plugin("datasette.handle_exception")
    if default_errors is not None:
        pm.unregister(default_errors)
    ds = Datasette(metadata=metadata(chain, warn_days), template_dir=str(TEMPLATES),
                   settings=SETTINGS)
    # is_mutable=False: SQLite's immutable=1 (read-only, never locked), whatever the file's name
    ds.add_database(Database(ds, path=str(snapshot), is_mutable=False), name=DB)
    if "_memory" in ds.databases:  # Datasette adds an empty in-memory database without files
        ds.remove_database("_memory")
    return ds


class TokenGuard:
    """ASGI middleware: every HTTP request needs the token (Bearer, or Basic's password)."""

    def __init__(self, app: ASGI, token: str):
        self.app = app
        self.token = token.encode()

    def _ok(self, header: bytes) -> bool:
        scheme, _, value = header.partition(b" ")
        if scheme.lower() == b"bearer":
            return hmac.compare_digest(value.strip(), self.token)
        if scheme.lower() == b"basic":
            try:
                _, _, password = base64.b64decode(value.strip()).partition(b":")
            except ValueError:
                return False
            return hmac.compare_digest(password, self.token)
        return False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            if not self._ok(headers.get(b"authorization", b"")):
                await send({"type": "http.response.start", "status": 401, "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"www-authenticate", b'Basic realm="bevaka", charset="UTF-8"')]})
                await send({"type": "http.response.body",
                            "body": "Inloggning krävs (token).".encode()})
                return
        await self.app(scope, receive, send)


class ReadOnlyGuard:
    """ASGI middleware: only GET and HEAD reach Datasette; anything that could write (POST,
    PUT, PATCH, DELETE) is refused with 405 before any view sees it."""

    def __init__(self, app: ASGI):
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("method") not in ("GET", "HEAD"):
            await send({"type": "http.response.start", "status": 405, "headers": [
                (b"content-type", b"text/plain; charset=utf-8"), (b"allow", b"GET, HEAD")]})
            await send({"type": "http.response.body",
                        "body": "Granskningsvyn är skrivskyddad: bara läsning (GET).".encode()})
            return
        await self.app(scope, receive, send)


#: the ``/-/`` pages that are served: Datasette's styles and scripts and the plugin's pages;
#: Datasette's own (/-/versions, /-/databases with the snapshot's path, /-/metadata with the
#: canned queries' SQL, /-/threads, /-/messages …) are English tools for whoever runs it
OWN_PAGES = ("/-/static/", "/-/static-plugins/", "/-/sidor", "/-/sida/", "/-/kalender/",
             "/-/kedja.json")


class PagesGuard:
    """ASGI middleware: of the ``/-/`` pages only :data:`OWN_PAGES` reach Datasette."""

    def __init__(self, app: ASGI):
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith("/-/") and not path.startswith(OWN_PAGES):
            await send({"type": "http.response.start", "status": 404, "headers": [
                (b"content-type", b"text/plain; charset=utf-8")]})
            await send({"type": "http.response.body",
                        "body": b"Hittades inte: sidan finns inte i granskningsvyn."})
            return
        await self.app(scope, receive, send)


def asgi_app(ds: Datasette, token: str | None) -> Any:
    """Datasette's app behind the read-only and pages guards and, with a token, the token
    guard."""
    app: Any = ReadOnlyGuard(PagesGuard(ds.app()))
    return TokenGuard(app, token) if token else app


def serve(snapshot: Path, chain: dict[str, Any], warn_days: int, host: str, port: int,
          token: str | None) -> None:
    """Serve until interrupted (uvicorn, as ``datasette serve`` does)."""
    import uvicorn

    check_bind(host, token)
    uvicorn.run(asgi_app(datasette(snapshot, chain, warn_days), token), host=host, port=port,
                log_level="warning")

"""Deep links without 404s: an ASGI middleware that tells Streamlit's frontend its base URL.

Streamlit's frontend (1.67) finds its server by probing. Without
``window.__streamlit.BACKEND_BASE_URL`` it takes the page's own path as a possible base path,
so a deep link such as ``/data?archive=demo`` makes it ask ``/data/_stcore/health`` and
``/data/_stcore/host-config`` first; the server answers 404 on purpose (those names are
reserved, so a probe cannot mistake the app's HTML for a health check) and the frontend
falls back to ``/``. The app then works, but the browser logs two 404s on every deep link
(streamlit/streamlit#7074).

:class:`BackendBaseUrl` inserts, before the first ``<script`` of every HTML page the server
sends to a browser, a script that sets ``window.__streamlit.BACKEND_BASE_URL`` to the
origin plus the configured base path (``server.baseUrlPath``), which the bundle reads when it
loads: it then probes only the real base. Requests that do not ask for HTML (scripts,
styles, the websocket, media) pass through untouched. Pure ASGI: no Streamlit import here;
``app.py`` installs it through ``st.App(..., middleware=[...])``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["BackendBaseUrl", "base_url_script", "inject_base_url"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def base_url_script(base_url_path: str = "") -> bytes:
    """The ``<script>`` that sets ``window.__streamlit.BACKEND_BASE_URL`` (keeping whatever
    else a host put in ``window.__streamlit``) to the origin plus ``base_url_path``."""
    base = "/" + base_url_path.strip("/")
    path = json.dumps(base if base == "/" else base + "/")
    return (
        "<script>window.__streamlit=Object.assign({},window.__streamlit,"
        f"{{BACKEND_BASE_URL:new URL({path},window.location.origin).href}});</script>"
    ).encode()


def inject_base_url(html: bytes, base_url_path: str = "") -> bytes:
    """The page with :func:`base_url_script` before its first ``<script`` (or its ``</head>``);
    a page that already sets ``BACKEND_BASE_URL`` is returned as it is."""
    if b"BACKEND_BASE_URL" in html:
        return html
    script = base_url_script(base_url_path)
    lower = html.lower()
    for marker in (b"<script", b"</head>"):
        at = lower.find(marker)
        if at >= 0:
            return html[:at] + script + html[at:]
    return html


def _asks_for_html(scope: Scope) -> bool:
    if scope.get("type") != "http" or scope.get("method") not in ("GET", "HEAD"):
        return False
    headers = dict(scope.get("headers") or [])
    return b"text/html" in headers.get(b"accept", b"")


class BackendBaseUrl:
    """ASGI middleware: :func:`inject_base_url` on the HTML answers to browsers' page loads.

    Such a request reaches the app without ``Accept-Encoding`` (so the page comes back
    uncompressed and can be edited); the answer's ``Content-Length`` is corrected."""

    def __init__(self, app: ASGIApp, base_url_path: str = "") -> None:
        self.app = app
        self.base_url_path = base_url_path or ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _asks_for_html(scope):
            await self.app(scope, receive, send)
            return
        scope = dict(scope)
        scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"accept-encoding"]
        start: Message | None = None
        body: list[bytes] = []

        async def edit(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers") or [])
                if headers.get(b"content-type", b"").startswith(b"text/html"):
                    start = message
                    return
            elif start is not None and message["type"] == "http.response.body":
                body.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                await _send_edited(send, start, b"".join(body), self.base_url_path)
                return
            await send(message)

        await self.app(scope, receive, edit)


async def _send_edited(send: Send, start: Message, html: bytes, base_url_path: str) -> None:
    if not html:  # a HEAD request, or an empty page: the headers stand as they are
        await send(start)
        await send({"type": "http.response.body", "body": html, "more_body": False})
        return
    edited = inject_base_url(html, base_url_path)
    headers = [(k, v) for k, v in start.get("headers") or [] if k != b"content-length"]
    headers.append((b"content-length", str(len(edited)).encode()))
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": edited, "more_body": False})

"""Deep links: the frontend is told its base URL, so it never probes ``/<page>/_stcore/``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from seisgan_core.appserver import BackendBaseUrl, base_url_script, inject_base_url

PROJECT = Path(__file__).resolve().parents[2]


def _streamlit_static() -> Path:
    import streamlit

    return Path(streamlit.__file__).parent / "static"


def test_the_frontend_reads_the_base_url_we_set():
    # the bundle takes window.__streamlit.BACKEND_BASE_URL when the page defines it: if a
    # Streamlit upgrade renames it, this fails before the deep links log 404s again
    bundles = list((_streamlit_static() / "static" / "js").glob("index.*.js"))
    assert bundles, "no Streamlit frontend bundle found"
    text = "".join(b.read_text(encoding="utf-8", errors="replace") for b in bundles)
    assert "window.__streamlit" in text
    assert "BACKEND_BASE_URL" in text


def test_script_goes_before_the_bundle_in_streamlits_own_page():
    html = (_streamlit_static() / "index.html").read_bytes()
    edited = inject_base_url(html)
    script = base_url_script()
    assert edited.count(script) == 1
    assert edited.index(script) < edited.index(b'<script type="module"')
    assert edited.replace(script, b"") == html
    assert inject_base_url(edited) == edited  # set once only


@pytest.mark.parametrize(
    ("base", "path"), [("", '"/"'), ("/", '"/"'), ("studio", '"/studio/"'), ("/a/b/", '"/a/b/"')]
)
def test_base_path_in_the_script(base, path):
    assert f"new URL({path},window.location.origin)".encode() in base_url_script(base)


def test_a_page_without_script_gets_it_before_head_end():
    assert inject_base_url(b"<html><head></head></html>") == (
        b"<html><head>" + base_url_script() + b"</head></html>"
    )
    assert inject_base_url(b"plain") == b"plain"


def _call(app, *, method="GET", accept=b"text/html", encoding=b"gzip"):
    sent, seen = [], {}

    async def inner(scope, receive, send):
        seen.update(dict(scope["headers"]))
        await app(scope, receive, send)

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": "/data",
        "headers": [(b"accept", accept), (b"accept-encoding", encoding)],
    }
    asyncio.run(BackendBaseUrl(inner, base_url_path="")(scope, receive, send))
    return sent, seen


def _app(content_type: bytes, chunks: list[bytes]):
    async def app(scope, receive, send):
        body_len = str(sum(map(len, chunks))).encode()
        headers = [(b"content-type", content_type), (b"content-length", body_len)]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for i, chunk in enumerate(chunks):
            more = i < len(chunks) - 1
            await send({"type": "http.response.body", "body": chunk, "more_body": more})

    return app


def test_middleware_edits_a_browsers_page_load():
    page = [b"<html><head><scr", b"ipt src=x></script></head></html>"]  # split mid-tag
    sent, seen = _call(_app(b"text/html; charset=utf-8", page))
    assert b"accept-encoding" not in seen  # the page comes back uncompressed to be edited
    start, body = sent
    expected = inject_base_url(b"".join(page))
    assert body["body"] == expected and body["more_body"] is False
    assert dict(start["headers"])[b"content-length"] == str(len(expected)).encode()


def test_middleware_leaves_everything_else_alone():
    script = [b"console.log(1)"]
    sent, seen = _call(_app(b"text/javascript", script), accept=b"*/*")
    assert seen[b"accept-encoding"] == b"gzip"
    assert [m.get("body") for m in sent[1:]] == script
    # an HTML answer to a request that did not ask for HTML (a fetch) is not touched either
    sent, _ = _call(_app(b"text/html", [b"<script></script>"]), accept=b"*/*")
    assert sent[1]["body"] == b"<script></script>"
    # HEAD: the headers stand, nothing to edit
    sent, _ = _call(_app(b"text/html", [b""]), method="HEAD")
    assert dict(sent[0]["headers"])[b"content-length"] == b"0"
    assert sent[1]["body"] == b""


def test_streamlit_run_serves_app_py_through_the_middleware():
    from streamlit.web.server.app_discovery import discover_asgi_app

    found = discover_asgi_app(PROJECT / "app.py")
    assert found.is_asgi_app and found.import_string == "app:app"

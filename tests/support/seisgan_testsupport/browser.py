"""A real `streamlit run app.py` on a free localhost port and Debian's chromium driven by
Playwright, recording every request and console message so that tests can fail on any request
that leaves the machine, any console error and any Streamlit exception box.

tests/e2e/conftest.py makes the fixtures here available to the e2e tests."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

PROJECT = Path(__file__).resolve().parents[3]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}
VIEWPORT = {"width": 1400, "height": 1000}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    home: Path
    process: subprocess.Popen
    log: Path


@pytest.fixture(scope="session")
def e2e_home(tmp_path_factory) -> Path:
    """The data folders the app serves in these tests (SEISGAN_HOME), filled per contract."""
    from seisgan_testsupport.app_support import esm_archive, prepared_set, run_folder

    home = tmp_path_factory.mktemp("seisgan_home")
    archive = esm_archive(home / "data" / "raw" / "test", n_events=4, n_stations=5)
    prepared_set(home / "data" / "processed" / "tiny", archive=archive)
    run_folder(home / "models" / "tiny-run", epochs=3, k=2)
    return home


@pytest.fixture(scope="session")
def server(e2e_home, tmp_path_factory) -> Server:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is absent (.ci/run installs Debian's chromium)")
    port = _free_port()
    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    env = dict(os.environ, SEISGAN_HOME=str(e2e_home), PYTHONUNBUFFERED="1")
    env.pop("PYTHONWARNINGS", None)
    with open(log, "wb") as handle:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(port),
                "--server.headless",
                "true",
                "--server.fileWatcherType",
                "none",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=PROJECT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://localhost:{port}"
    deadline = time.monotonic() + 180  # a hang guard: the other xdist worker shares the CPU
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail("streamlit did not start:\n" + log.read_text()[-3000:])
    yield Server(url, e2e_home, process, log)
    stop_group(process, timeout_s=10)


def stop_group(process: subprocess.Popen, *, timeout_s: float) -> None:
    """SIGTERM to the process group this test started (start_new_session), SIGKILL if it is
    still there after ``timeout_s``."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@dataclass
class Recorder:
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        return [
            u
            for u in self.requests
            if urlparse(u).scheme in ("http", "https", "ws", "wss")
            and urlparse(u).hostname not in LOCAL_HOSTS
        ]


def launch_chromium(pw):
    """Debian's chromium, headless, with nothing of its own reaching out (a Browser from the
    sync API, a coroutine giving one from the async API)."""
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def record(context, pg) -> Recorder:
    """Record the context's requests and bad responses and the page's console errors and
    uncaught exceptions (the handlers are plain functions: sync and async API alike)."""
    recorder = Recorder()
    context.on("request", lambda request: recorder.requests.append(request.url))
    context.on(
        "response",
        lambda r: recorder.bad_responses.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    pg.on(
        "console",
        lambda msg: recorder.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    pg.on("pageerror", lambda exc: recorder.page_errors.append(str(exc)))
    return recorder


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is absent")
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport=VIEWPORT)
    pg = context.new_page()
    pg.recorder = record(context, pg)
    yield pg
    context.close()


SCREENSHOTS = PROJECT / "docs" / "screenshots"


def save_screenshot(pg, name: str) -> None:
    """Keep a screenshot of the page for the README (only when asked: SEISGAN_SCREENSHOTS=1)."""
    if os.environ.get("SEISGAN_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tmp = SCREENSHOTS / f".{name}.png.tmp"
        pg.screenshot(path=str(tmp), full_page=True, type="png")
        shutil.move(tmp, SCREENSHOTS / f"{name}.png")

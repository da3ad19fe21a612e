"""The app under load: ten browser sessions at once walk every page of one `streamlit run`.

One chromium (Debian's, launched as conftest.py launches it) holds one browser context per
session; Playwright's async API drives them together from one event loop, in a thread of its
own so that it never meets the sync API's loop of the `browser` fixture. Every session opens the
app at its root and follows the sidebar from page to page, as a user does in one session
(test_browser.py opens pages by their links too). A page's time runs from the navigation (the
`goto` of the root, or the click on its sidebar link) until it has rendered: its main block
and its title are there and no "Running..." status widget or spinner is left, still so half a
second later.

Bounded: ten sessions, a hard timeout per page (PAGE_TIMEOUT_S) and for each phase, and
pytest-timeout for the whole test. Localhost only: any request off the machine fails the test.
The test asserts on errors and requests only; the page times and CPU seconds it measures are
turned into ratios by `bench/bench_load.py` (tests never assert on time).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from test_browser import PAGES

from seisgan_testsupport.browser import VIEWPORT, Recorder, launch_chromium, record

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SESSIONS = 10
# Hang guards only (the test asserts no time; bench/bench_load.py reports the ratios): wide
# enough for ten sessions of every page on 2 shared cores.
PAGE_TIMEOUT_S = 120.0  # one page in one session, navigation to rendered
SINGLE_TIMEOUT_S = 180.0  # one session's walk of the six pages
LOAD_TIMEOUT_S = 420.0  # the ten sessions' walks together
SETTLE_S = 0.5  # "rendered" must still hold this long after it is first seen
# The page's h1 (each page's title starts with its sidebar label; the home page is the app's).
TITLES = {name: ("SeisGAN Studio" if name == "home" else label) for name, label in PAGES.items()}

RENDERED_JS = """(title) => {
    const main = document.querySelector('[data-testid="stMainBlockContainer"]');
    if (!main || main.getClientRects().length === 0) return false;
    if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
    if (document.querySelector('[data-testid="stSpinner"]')) return false;
    const h1 = main.querySelector('h1');
    return !!h1 && h1.getClientRects().length > 0 && h1.innerText.trim().startsWith(title);
}"""


@dataclass
class Walk:
    """One session's walk: seconds per page rendered, what it recorded, what went wrong."""

    times: dict[str, float] = field(default_factory=dict)
    recorder: Recorder = field(default_factory=Recorder)
    problems: list[str] = field(default_factory=list)


async def _rendered(pg, title: str) -> float:
    """Wait until the page has rendered and stays so for SETTLE_S; the moment it first did.

    Streamlit shows its status widget only a moment after a run starts, so a page can look
    finished between the first elements and the widget; the second look catches that."""
    deadline = time.monotonic() + PAGE_TIMEOUT_S
    while True:
        left_ms = max(1.0, (deadline - time.monotonic()) * 1000)
        await pg.wait_for_function(RENDERED_JS, arg=title, timeout=left_ms, polling=50)
        seen = time.monotonic()
        await asyncio.sleep(SETTLE_S)
        if await pg.evaluate(RENDERED_JS, title):
            return seen
        if time.monotonic() > deadline:
            raise TimeoutError(f"{title!r} did not stay rendered within {PAGE_TIMEOUT_S} s")


async def walk(browser, url: str) -> Walk:
    """Open the app at its root, then every other page through the sidebar, timing each."""
    out = Walk()
    context = await browser.new_context(viewport=VIEWPORT)
    try:
        pg = await context.new_page()
        out.recorder = record(context, pg)
        for name, label in PAGES.items():
            start = time.monotonic()
            try:
                if name == "home":
                    await pg.goto(url, timeout=PAGE_TIMEOUT_S * 1000)
                else:
                    link = pg.locator('[data-testid="stSidebarNav"] a', has_text=label).first
                    await link.click(timeout=PAGE_TIMEOUT_S * 1000)
                    await pg.wait_for_url(
                        re.compile(rf"/{name}(\?.*)?$"), timeout=PAGE_TIMEOUT_S * 1000
                    )
                done = await _rendered(pg, TITLES[name])
            except Exception as exc:  # a timeout or a closed page: reported, the walk ends
                out.problems.append(f"{name}: not rendered: {type(exc).__name__}: {exc}")
                break
            out.times[name] = done - start
            boxes = pg.locator('[data-testid="stException"]')
            if await boxes.count():
                out.problems.append(f"{name}: exception box: {await boxes.first.inner_text()}")
    finally:
        await context.close()
    return out


_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float]:
    """A process's parent and CPU seconds, its reaped children's included (proc(5): fields
    4, 14-17 of /proc/PID/stat; the name in field 2 may hold spaces, hence the split at ')')."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return int(fields[1]), sum(int(f) for f in fields[11:15]) / _TICK


def cpu_seconds(server_pid: int) -> tuple[float, float]:
    """CPU seconds so far of the streamlit server, and of the browser side (every other process
    started from this one: Playwright's driver, chromium and its renderers)."""
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stats[int(entry)] = _stat(int(entry))
            except (FileNotFoundError, ProcessLookupError):
                continue  # exited while we looked
    browser = 0.0
    for pid, (parent, cpu) in stats.items():
        while parent not in (0, 1, os.getpid(), server_pid) and parent in stats:
            parent = stats[parent][0]
        if parent == os.getpid() and pid != server_pid:
            browser += cpu
    return stats[server_pid][1], browser


async def _single_then_load(url: str, server_pid: int) -> tuple[Walk, Walk, list[Walk], list]:
    from playwright.async_api import async_playwright

    cpu = []  # (server, browser) CPU seconds before the single walk, after it, after the load

    async with async_playwright() as pw:
        browser = await launch_chromium(pw)
        try:
            # The first walk fills Streamlit's caches and the server's lazy imports, so that
            # the single-session times compared below are those of a warm server, as the ten
            # sessions meet it.
            warm = await asyncio.wait_for(walk(browser, url), SINGLE_TIMEOUT_S)
            cpu.append(cpu_seconds(server_pid))
            single = await asyncio.wait_for(walk(browser, url), SINGLE_TIMEOUT_S)
            cpu.append(cpu_seconds(server_pid))
            many = await asyncio.wait_for(
                asyncio.gather(*(walk(browser, url) for _ in range(SESSIONS))), LOAD_TIMEOUT_S
            )
            cpu.append(cpu_seconds(server_pid))
        finally:
            await browser.close()
    return warm, single, list(many), cpu


@dataclass
class LoadRun:
    warm: Walk
    single: Walk
    many: list[Walk]
    cpu: list[tuple[float, float]]
    cores: int

    def per_walk_cpu(self) -> tuple[float, float, float, float]:
        """CPU seconds per session walk: server alone, server under load, browser side alone,
        browser side under load."""
        c, n = self.cpu, len(self.many)
        return (
            c[1][0] - c[0][0],
            (c[2][0] - c[1][0]) / n,
            c[1][1] - c[0][1],
            (c[2][1] - c[1][1]) / n,
        )

    def table(self) -> str:
        lines = [
            f"{n:8s} single {s:5.2f} s  load median {m:5.2f} s  max {x:5.2f} s"
            for n, s, m, x in self.rows()
        ]
        s1, sl, b1, bl = self.per_walk_cpu()
        lines.append(
            f"CPU s per walk: server {s1:.2f} alone, {sl:.2f} under load; browser side "
            f"{b1:.2f} alone, {bl:.2f} under load; {self.cores} cores, load average "
            f"{os.getloadavg()[0]:.1f}"
        )
        return "\n".join(lines)

    def rows(self) -> list[tuple[str, float, float, float]]:
        """Per page: single-session time, median and max under load (pages every walk
        rendered)."""
        out = []
        for name in PAGES:
            under_load = [w.times[name] for w in self.many if name in w.times]
            if name in self.single.times and under_load:
                one = self.single.times[name]
                out.append((name, one, statistics.median(under_load), max(under_load)))
        return out

    def report(self) -> dict:
        """The figures bench/bench_load.py turns into ratios (tests assert on none of them)."""
        server_one, server_each, browser_one, browser_each = self.per_walk_cpu()
        return {
            "sessions": len(self.many),
            "cores": self.cores,
            "pages": {
                n: {"single_s": s, "load_median_s": m, "load_max_s": x}
                for n, s, m, x in self.rows()
            },
            "cpu_per_walk_s": {
                "server_one": server_one,
                "server_each": server_each,
                "browser_one": browser_one,
                "browser_each": browser_each,
            },
            "settle_s": SETTLE_S,
        }


# pytest-timeout bounds each test, the first one including the walks (the module's fixture)
pytestmark.append(pytest.mark.timeout(SINGLE_TIMEOUT_S * 2 + LOAD_TIMEOUT_S + 60))


@pytest.fixture(scope="module")
def load_run(server) -> LoadRun:
    with ThreadPoolExecutor(max_workers=1) as pool:
        warm, single, many, cpu = pool.submit(
            asyncio.run, _single_then_load(server.url, server.process.pid)
        ).result()
    run = LoadRun(warm, single, many, cpu, len(os.sched_getaffinity(0)))
    print(f"\npage times, 1 session vs {SESSIONS} at once:\n{run.table()}")
    report = os.environ.get("SEISGAN_LOAD_REPORT")
    if report:  # bench/bench_load.py reads the timings from here
        Path(report).write_text(json.dumps(run.report(), indent=1))
    return run


def test_ten_sessions_render_every_page_clean_and_offline(load_run):
    walks = {"warm-up": load_run.warm, "single": load_run.single}
    walks |= {f"session {i}": w for i, w in enumerate(load_run.many)}
    assert len(load_run.many) == SESSIONS
    for who, w in walks.items():
        assert w.problems == [], f"{who}: {w.problems}"
        assert set(w.times) == set(PAGES), f"{who} rendered only {sorted(w.times)}"
        assert w.recorder.foreign_requests() == [], who
        assert w.recorder.bad_responses == [], who
        assert w.recorder.console_errors == [], who
        assert w.recorder.page_errors == [], who

"""Screenshots of every page for the README, from a real installation.

    python tests/e2e/screenshots.py HOME   # HOME holds data/raw/demo, data/processed/demo, models/

Starts `streamlit run app.py` with SEISGAN_HOME=HOME on a free localhost port, opens each page
in Debian's chromium by its link (offline flags as the e2e tests) and writes
docs/screenshots/<shot>.png (SHOTS). Last, it starts a one-epoch `seisgan train` of the demo
preset into HOME/models/screenshot-progress (one thread), shoots the Train page following it
inside its first epoch (train-progress.png), stops it with SIGTERM and removes that folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

# run as a script, not by pytest: its pythonpath setting does not apply
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from seisgan_testsupport.browser import CHROMIUM, CHROMIUM_ARGS, PROJECT, _free_port, stop_group

PAGES = ["home", "data", "prepare", "train", "samples", "compare"]


def wait_idle(pg, timeout_ms: int = 180000) -> None:
    pg.wait_for_selector('[data-testid="stMainBlockContainer"]', timeout=timeout_ms)
    for _ in range(2):
        pg.wait_for_timeout(1500)
        pg.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
            timeout=timeout_ms,
        )


def click_largest_event(page) -> None:
    """Click the Data map's largest event marker (its biggest Mw) with the mouse."""
    frame_el = page.locator("iframe").first
    frame = frame_el.element_handle().content_frame()
    frame.wait_for_selector(".leaflet-container", timeout=60000)
    point = frame.evaluate(
        """() => {
            const events = [], stations = [];
            window.map.eachLayer(l => {
                const p = l.feature && l.feature.properties;
                if (!p || (p.kind !== 'event' && p.kind !== 'station')) return;
                const xy = window.map.latLngToContainerPoint(l.getLatLng());
                (p.kind === 'event' ? events : stations).push({r: p.radius, x: xy.x, y: xy.y});
            });
            // the largest event with no station marker drawn over it
            const clear = e => stations.every(s => Math.hypot(s.x - e.x, s.y - e.y) > 8);
            events.sort((a, b) => b.r - a.r);
            const hit = events.find(clear) || events[0];
            return {x: hit.x, y: hit.y};
        }"""
    )
    box = frame_el.bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_url("**event=**", timeout=60000)


def open_tab(page, label: str) -> None:
    """Click a page's tab and bring it into view."""
    tab = page.get_by_role("tab", name=label)
    tab.click()
    wait_idle(page)
    tab.scroll_into_view_if_needed()
    page.wait_for_timeout(1500)


def show(page, text: str, block: str = "end") -> None:
    """Scroll the main column so that ``text`` is at the bottom (``block="start"``: the top)
    of the screenshot."""
    page.get_by_text(text).first.evaluate(f"e => e.scrollIntoView({{block: '{block}'}})")
    page.wait_for_timeout(1500)


def viewer(page) -> None:
    """The Data page's record viewer, its first record's traces in view."""
    open_tab(page, "Record viewer")
    show(page, "Acceleration in", block="start")


PROGRESS_RUN = "screenshot-progress"  # a one-epoch run started (and removed) for the Train shot


def start_progress_run(home: Path) -> subprocess.Popen | None:
    """Start `seisgan train` on HOME's demo set into models/screenshot-progress, so that the
    Train page has a run to follow inside its first epoch; None if that folder exists."""
    out = home / "models" / PROGRESS_RUN
    if out.exists():
        print(f"{out} exists: the in-epoch progress shot is skipped")
        return None
    argv = [sys.executable, "-m", "seisgan_core.cli", "train", "--data",
            str(home / "data" / "processed" / "demo"), "--preset", "demo", "--epochs", "1",
            "--out", str(out), "--threads", "1", "--no-progress"]  # fmt: skip
    return subprocess.Popen(
        argv, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip


def follow_progress(page, url: str, home: Path) -> None:
    """The Train page following the run inside its first epoch (batch of batches, rate, time
    left), once the trainer has written a few batches."""
    status = home / "models" / PROGRESS_RUN / "status.json"
    for _ in range(600):
        try:
            if json.loads(status.read_text()).get("batch", 0) >= 3:
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.5)
    page.goto(f"{url}/train?run={PROGRESS_RUN}")
    wait_idle(page)
    heading = page.get_by_role("heading", name="Runs").first  # the table, then the bar
    heading.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(1500)


def stop_progress_run(process: subprocess.Popen, home: Path) -> None:
    """Stop the run (SIGTERM, as the Train page's Stop) and remove the folder it wrote."""
    stop_group(process, timeout_s=60)
    shutil.rmtree(home / "models" / PROGRESS_RUN, ignore_errors=True)


# (file name, page, what to do on it before the screenshot), in the order a user goes
SHOTS = [
    ("home", "home", None),
    ("data", "data", click_largest_event),
    ("data-records", "data", lambda page: show(page, "Nearest first.")),
    ("data-record-viewer", "data", lambda page: viewer(page)),
    ("prepare", "prepare", None),
    ("train", "train", None),
    ("samples", "samples", None),
    ("samples-scenario", "samples", lambda p: show(p, "Generate for a scenario", block="start")),
    ("samples-spectrum", "samples", lambda p: show(p, "BSSA14 takes R_JB", block="start")),
    ("compare", "compare", None),
    ("compare-bins", "compare", lambda page: open_tab(page, "By scenario bin")),
    ("compare-statistics", "compare", lambda page: open_tab(page, "Statistics")),
]


def main(home: Path) -> None:
    from playwright.sync_api import sync_playwright

    port = _free_port()
    env = dict(os.environ, SEISGAN_HOME=str(home))
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.headless", "true", "--server.fileWatcherType", "none"],
        cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://localhost:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        out = PROJECT / "docs" / "screenshots"
        out.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            current = None
            for name, where, action in SHOTS:
                if where != current:  # open the page by its link, as a shared URL is
                    page.goto(f"{url}/{'' if where == 'home' else where}")
                    wait_idle(page)
                    current = where
                if action is not None:
                    action(page)
                    wait_idle(page)
                page.wait_for_timeout(2000)  # map zoom animations
                tmp = out / f".{name}.png.tmp"
                page.screenshot(path=str(tmp), full_page=False, type="png")
                tmp.replace(out / f"{name}.png")
                print("wrote", out / f"{name}.png")
            trainer = start_progress_run(home)
            if trainer is not None:
                try:
                    follow_progress(page, url, home)
                    tmp = out / ".train-progress.png.tmp"
                    page.screenshot(path=str(tmp), full_page=False, type="png")
                    tmp.replace(out / "train-progress.png")
                    print("wrote", out / "train-progress.png")
                finally:
                    stop_progress_run(trainer, home)
            browser.close()
    finally:
        stop_group(server, timeout_s=20)


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())

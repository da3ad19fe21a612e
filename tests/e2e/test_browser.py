"""Every page in a real browser: no exception box, no console error, no request off the machine."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from seisgan_testsupport.browser import save_screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PAGES = {
    "home": "Home",
    "data": "Data",
    "prepare": "Prepare",
    "train": "Train",
    "samples": "Samples",
    "compare": "Compare",
}


def wait_for_script(pg, timeout_ms: int = 60000) -> None:
    """Wait until Streamlit has rendered the app and finished running the script."""
    pg.wait_for_selector('[data-testid="stMainBlockContainer"]', timeout=timeout_ms)
    pg.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
        timeout=timeout_ms,
    )
    pg.wait_for_timeout(500)
    pg.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
        timeout=timeout_ms,
    )


def goto_page(pg, server, name: str, query: str = "") -> None:
    """Open a page by its link (a deep link: ``/data?...``), as a shared URL is opened."""
    pg.goto(f"{server.url}/{'' if name == 'home' else name}{query}")
    wait_for_script(pg)


def follow_sidebar(pg, name: str) -> None:
    """Follow the sidebar's link to a page, as a user does."""
    pg.locator('[data-testid="stSidebarNav"] a', has_text=PAGES[name]).first.click()
    pg.wait_for_url(re.compile(rf"/{name}(\?.*)?$"))
    wait_for_script(pg)


def plotly_traces(pg, at_least: int = 1, timeout_ms: int = 30000) -> int:
    """Traces plotly drew on the page, once at least ``at_least`` are there."""
    pg.wait_for_function(
        f"() => document.querySelectorAll('.js-plotly-plot .trace').length >= {at_least}",
        timeout=timeout_ms,
    )
    return pg.locator(".js-plotly-plot .trace").count()


def assert_clean(pg) -> None:
    exceptions = pg.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.first.inner_text()
    rec = pg.recorder
    assert rec.foreign_requests() == []
    assert rec.bad_responses == []
    assert rec.console_errors == []
    assert rec.page_errors == []


@pytest.mark.parametrize("name", list(PAGES))
def test_page_loads_clean_and_offline(page, server, name):
    goto_page(page, server, name)
    if name in ("data", "prepare", "train", "samples"):
        assert plotly_traces(page, 1) >= 1  # the page's charts drew their traces
    assert_clean(page)
    assert (
        page.locator("h1")
        .first.inner_text()
        .startswith("SeisGAN Studio" if name == "home" else PAGES[name])
    )
    save_screenshot(page, name)


def test_deep_link_opens_the_page_with_its_state_and_no_probe(page, server):
    """A shared link (page path and query) opens that page with that selection; the frontend
    knows its base URL, so it never probes ``/data/_stcore/...`` (no 404 in the console)."""
    goto_page(page, server, "data", "?archive=archive%3A+test&mw_min=4.5&dist_max=120")
    mw_above = page.get_by_role("spinbutton", name="Mw above")
    expect(mw_above).to_have_value("4.50", timeout=60000)  # a hang guard on a loaded machine
    expect(page.get_by_role("spinbutton", name="R_epi to (km)")).to_have_value(
        "120.00", timeout=60000
    )
    probes = [u for u in page.recorder.requests if "/data/_stcore/" in u]
    assert probes == []
    follow_sidebar(page, "train")
    follow_sidebar(page, "data")  # the bounds come back with the page
    expect(mw_above).to_have_value("4.50", timeout=60000)
    assert_clean(page)


def map_frame(pg):
    """The frame holding the page's Leaflet map (st_folium's component, or a plain iframe)."""
    frame_el = pg.locator("iframe").first
    frame_el.wait_for(timeout=30000)
    frame = frame_el.element_handle().content_frame()
    frame.wait_for_selector(".leaflet-container", timeout=30000)
    return frame


_LEAFLET_MAP = "(window.map || window[Object.keys(window).find(k => k.startsWith('map_'))])"


def map_layers(pg) -> dict[str, int]:
    """What Leaflet drew in the page's map iframe (a canvas: counted from the map's layers)."""
    frame = map_frame(pg)
    frame.wait_for_function(f"() => {_LEAFLET_MAP} !== undefined", timeout=30000)
    return frame.evaluate(
        f"""() => {{
            const n = {{markers: 0, lines: 0, polygons: 0, rings: 0}};
            {_LEAFLET_MAP}.eachLayer(l => {{
                if (l instanceof L.CircleMarker) {{
                    n.markers += l.feature ? 1 : 0;
                    n.rings += l.feature ? 0 : 1;
                }}
                else if (l instanceof L.Polygon) n.polygons += 1;
                else if (l instanceof L.Polyline) n.lines += 1;
            }});
            return n;
        }}"""
    )


def click_marker(pg, prop: str, value: str) -> None:
    """Click, with the mouse, the map's circle marker whose feature has ``prop == value``."""
    frame_el = pg.locator("iframe").first
    frame = map_frame(pg)
    point = frame.evaluate(
        f"""() => {{
            let hit = null;
            {_LEAFLET_MAP}.eachLayer(l => {{
                if (l.feature && l.feature.properties[{prop!r}] === {value!r}) hit = l;
            }});
            const p = {_LEAFLET_MAP}.latLngToContainerPoint(hit.getLatLng());
            const box = document.querySelector('.leaflet-container').getBoundingClientRect();
            return {{x: p.x + box.left, y: p.y + box.top}};
        }}"""
    )
    box = frame_el.bounding_box()
    pg.mouse.click(box["x"] + point["x"], box["y"] + point["y"])


def select_on_map(pg, prop: str, value: str, url: re.Pattern, tries: int = 3) -> None:
    """Click the marker of ``prop == value`` until the page's URL matches ``url``.

    After a selection the page reruns and st_folium mounts the map again (a new iframe, which
    reports its initial value once more); a click that lands while it is being replaced is
    lost, for a user as for this test (one CI run of many, 2026-11-30: no navigation in 60 s
    after the second click). Each try waits for the script to finish and the map to be drawn
    first; the selection must still happen within ``tries`` clicks.
    """
    for attempt in range(tries):
        wait_for_script(pg)
        map_layers(pg)  # the map's layers exist: it is mounted and drawn
        click_marker(pg, prop, value)
        try:
            pg.wait_for_url(url, timeout=20000)
            return
        except PlaywrightTimeoutError:
            if attempt == tries - 1:
                raise


def test_prepare_map_draws_events_by_split_and_charts_draw_traces(page, server):
    goto_page(page, server, "prepare")
    assert map_layers(page)["markers"] == 4  # the tiny set's four events
    assert plotly_traces(page, 3) >= 3  # histograms per split
    assert_clean(page)


def test_data_map_click_selects_an_event_and_a_station(page, server):
    goto_page(page, server, "data")
    drawn = map_layers(page)
    assert drawn["markers"] == 2 + 4  # two events with Mw > 4, four stations in Italy
    assert drawn["polygons"] >= 20  # Italy and its neighbours
    assert drawn["lines"] == 0 and drawn["rings"] == 0
    # a click on the event's marker selects it: the list follows, the map rings it and draws
    # its paths, and its records are listed nearest first
    select_on_map(page, "event_id", "EV002", re.compile(r"event=EV002"))
    wait_for_script(page)
    drawn = map_layers(page)
    assert drawn["lines"] == 1 and drawn["rings"] == 1  # one MultiLineString: its four paths
    event_box = page.locator('[data-testid="stSelectbox"]', has_text="Event").first
    shown = event_box.locator("input").first.input_value()
    assert " UTC · " in shown and "Mw 5" in shown, shown
    assert page.locator("h3", has_text="km deep").count() == 1
    page.get_by_text("Nearest first.").wait_for(timeout=30000)
    save_screenshot(page, "data")
    # a click on a station selects it and lists its records
    select_on_map(page, "station", "IT.ST02", re.compile(r"station=IT\.ST02"))
    wait_for_script(page)
    assert "event=" not in page.url
    page.get_by_text("Records at station IT.ST02").wait_for(timeout=30000)
    assert plotly_traces(page, 3) >= 3  # the distributions
    assert_clean(page)


def test_train_start_follow_and_stop_from_the_page(page, server):
    """A tiny training run started from the form shows progress and is stopped from the page."""
    goto_page(page, server, "train")
    page.get_by_text("Start a new run").click()
    form = page.locator('[data-testid="stForm"]')
    form.get_by_role("textbox", name="Run name").fill("e2e-run")
    form.get_by_role("textbox", name="epochs", exact=True).fill("500")
    form.get_by_role("textbox", name="batch_size", exact=True).fill("4")  # 10 training records
    form.get_by_role("button", name="Start training").click()
    # the run appears and follows live inside an epoch: its batch, from status.json
    inside = re.compile(r"running: epoch \d+ of 500 · batch \d+ of \d+ · \d+ %")
    page.get_by_text(inside).first.wait_for(timeout=180000)
    assert page.get_by_text("Samples per second").count() >= 1
    page.get_by_role("button", name="Stop training").click()
    page.get_by_text("stopped: epoch").first.wait_for(timeout=120000)
    status = (server.home / "models" / "e2e-run" / "status.json").read_text()
    assert '"stopped"' in status
    assert_clean(page)
    save_screenshot(page, "train")


def test_compare_draws_the_panel_of_the_run_trained_above(page, server):
    """Runs after the training test: its stopped run has a checkpoint to compare."""
    if not (server.home / "models" / "e2e-run" / "checkpoints" / "last.pt").is_file():
        pytest.skip("no checkpoint: the training test did not run first")
    goto_page(page, server, "compare")
    assert plotly_traces(page, 2, timeout_ms=120000) >= 2  # nearest real beside generated
    assert "run=e2e-run" in page.url
    assert_clean(page)


@pytest.mark.parametrize("fmt", ["ASDF", "miniSEED", "SAC", "ASCII"])
def test_data_record_downloads_name_and_metadata(page, server, fmt, tmp_path):
    """Each download of the real record: its file name and the metadata inside."""
    import io
    import zipfile

    import obspy

    goto_page(page, server, "data")
    page.get_by_role("tab", name="Record viewer").click()
    button = page.get_by_role("button", name=f"{fmt} (cm/s², 3 components)")
    button.wait_for(timeout=60000)
    record = re.search(r"record=([^&]+)", page.url).group(1)
    with page.expect_download(timeout=60000) as info:
        button.click()
    download = info.value
    suffix = {"ASDF": ".h5", "miniSEED": ".mseed", "SAC": ".zip", "ASCII": ".txt"}[fmt]
    assert download.suggested_filename == f"{record}.{fmt.lower()}{suffix}"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    network, station = record.split(".")[1:3]
    if fmt == "ASDF":
        import pyasdf

        with pyasdf.ASDFDataSet(str(path), mode="r") as ds:
            assert ds.events[0].magnitudes[0].magnitude_type == "Mw"
            stream = ds.waveforms[f"{network}.{station}"]["processed_acceleration"]
    elif fmt == "SAC":
        with zipfile.ZipFile(path) as archive:
            stream = obspy.Stream(
                [obspy.read(io.BytesIO(archive.read(n)))[0] for n in sorted(archive.namelist())]
            )
        assert stream[0].stats.sac.mag > 4.0 and stream[0].stats.sac.dist > 0
    else:
        stream = obspy.read(str(path))
    assert sorted(tr.stats.channel for tr in stream) == ["HNE", "HNN", "HNZ"]
    assert {tr.stats.station for tr in stream} == {station}
    assert stream[0].stats.sampling_rate == pytest.approx(200.0)
    assert_clean(page)

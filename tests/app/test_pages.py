"""Every page run server-side by Streamlit's AppTest on small inputs built per the contracts."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.proto.Metric_pb2 import Metric as MetricProto
from streamlit.testing.v1 import AppTest

from seisgan_core import jobs
from seisgan_testsupport.app_support import esm_archive, prepared_set, run_folder

# Hang guards only (no test asserts on time): wide enough for a page run, or a job the page
# started, on a core another xdist worker shares (pyproject.toml's addopts).
TIMEOUT_S = 180
HANG_GUARD_S = 600
APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def home(tmp_path, monkeypatch):
    archive = esm_archive(tmp_path / "data" / "raw" / "test", n_events=4, n_stations=5)
    prepared_set(tmp_path / "data" / "processed" / "tiny", archive=archive)
    run_folder(tmp_path / "models" / "tiny-run", epochs=3, k=2)
    monkeypatch.setenv("SEISGAN_HOME", str(tmp_path))
    monkeypatch.setenv("SEISGAN_DEMO_RECORDS", "30")
    return tmp_path


def run_page(page: str | None = None, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page is not None:
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def frame_with(at: AppTest, column: str):
    """The first dataframe the page shows that has ``column``."""
    for element in at.dataframe:
        frame = element.value
        if column in frame.columns or column == frame.index.name:
            return frame
    raise AssertionError(f"no dataframe with a column {column!r}")


def plotly_array(value) -> np.ndarray:
    """A trace's values from a chart's JSON spec (plotly packs arrays as base64 'bdata')."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
    return np.asarray(value, dtype=float)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_home_lists_what_is_here(home):
    at = run_page()
    assert at.title[0].value == "SeisGAN Studio"
    archives, prepared = at.dataframe[0].value, at.dataframe[1].value
    assert archives.to_dict("records") == [
        {"archive": "test", "files": 60, "MB": 2.5, "kinds": ".asc ×60"}
    ]
    assert prepared.to_dict("records") == [
        {"set": "tiny", "records": 20, "samples": 8000, "noise": False}
    ]
    assert any(e.label == "What am I looking at?" for e in at.expander)


def test_home_reads_a_folder_confined_to_the_data_roots(home):
    mine = home / "data" / "raw" / "mine"
    mine.mkdir()
    source = home / "data" / "raw" / "test"
    for comp in "ENZ":  # one whole record
        name = f"IT.ST01..HN{comp}.D.EV001.ACC.ASC"
        (mine / name).write_bytes((source / name).read_bytes())
    lines = (source / "IT.ST02..HNE.D.EV001.ACC.ASC").read_text().splitlines()
    (mine / "IT.ST02..HNE.D.EV001.ACC.ASC").write_text("\n".join(lines[:70]) + "\n")
    at = run_page()
    typed = next(t for t in at.text_input if t.label.startswith("Folder or file"))
    typed.set_value("mine")
    next(b for b in at.button if b.label == "Read").click()
    at.run()
    assert not at.exception
    assert at.success[0].value.startswith(
        "1 earthquake records of 1 events at 1 stations read from"
    )
    skipped = frame_with(at, "reason")
    assert len(skipped) >= 1
    listed = frame_with(at, "path")  # relative to the folder read: no server path shown
    assert set(listed["path"]) == {"IT.ST02..HNE.D.EV001.ACC.ASC"}
    assert not any(str(home) in reason for reason in listed["reason"])
    # outside the data roots: refused with the project's error, naming what was expected
    typed = next(t for t in at.text_input if t.label.startswith("Folder or file"))
    typed.set_value("/etc")
    next(b for b in at.button if b.label == "Read").click()
    at.run()
    assert "expected a path inside" in at.error[0].value


def test_home_upload_saves_under_a_safe_name_and_reads(home):
    source = home / "data" / "raw" / "test"
    files = [
        (f"../../IT.ST01..HN{c}.D.EV001.ACC.ASC", (source / f"IT.ST01..HN{c}.D.EV001.ACC.ASC")
         .read_bytes(), "text/plain")
        for c in "ENZ"
    ]  # fmt: skip
    at = run_page()
    next(t for t in at.text_input if t.label.startswith("Archive name")).set_value("my upload")
    at.get("file_uploader")[0].set_value(files)
    next(b for b in at.button if b.label == "Upload and read").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    saved = sorted(p.name for p in (home / "data" / "raw" / "my-upload").iterdir())
    assert saved == [f"IT.ST01..HN{c}.D.EV001.ACC.ASC" for c in "ENZ"]  # no '..' kept
    assert at.success[0].value.startswith("1 earthquake records of 1 events at 1 stations")


@pytest.mark.slow
def test_first_start_builds_and_prepares_the_demo(tmp_path, monkeypatch):
    monkeypatch.setenv("SEISGAN_HOME", str(tmp_path))
    monkeypatch.setenv("SEISGAN_DEMO_RECORDS", "12")
    at = run_page()
    assert (tmp_path / "data" / "raw" / "demo" / "demo.h5").is_file()
    assert (tmp_path / "data" / "processed" / "demo" / "waveforms.npy").is_file()
    archives = frame_with(at, "archive")
    assert archives["archive"].tolist() == ["demo"]
    prepared = frame_with(at, "set")
    assert prepared["set"].tolist() == ["demo"]
    assert 0 < prepared["records"].iloc[0] <= 12
    at.run()  # a second start finds everything and builds nothing
    assert not at.exception


def test_prepare_page_counts_records_per_split(home):
    at = run_page("prepare")
    assert at.title[0].value == "Prepare"
    assert metrics(at) == {"Records": "20", "train": "10", "val": "5", "test": "5"}
    # a share of the set, not a change: no up-arrow
    shares = {m.label: (m.proto.delta, m.proto.direction) for m in at.metric if m.proto.delta}
    assert shares == {
        "train": ("50 % of the records", MetricProto.MetricDirection.NONE),
        "val": ("25 % of the records", MetricProto.MetricDirection.NONE),
        "test": ("25 % of the records", MetricProto.MetricDirection.NONE),
    }
    assert at.query_params["prepared"] == "tiny"


@pytest.mark.slow
def test_data_page_selects_as_the_study_and_shows_the_numbers(home):
    at = run_page("data")
    assert at.query_params["archive"] == "archive: test"
    # Mw > 4 (exclusive) drops EV000 (Mw 4.0) and EV003 (no Mw); ST00 (41.5N 12.5E) is at sea
    # counted over the selection, earthquakes and noise windows apart
    assert metrics(at) == {
        "Earthquake records": "8",
        "Noise windows": "0",
        "Events": "2",
        "Stations": "4",
        "Records without Mw": "0",
    }
    assert any(
        "Selected from 20 earthquake records of 4 events at 5 stations" in c.value
        for c in at.caption
    )
    removed = dict(frame_with(at, "records removed").itertuples(index=False))
    assert removed["mw > 4"] == 10
    assert removed["station in Italy"] == 2
    summary = frame_with(at, "quantity")
    assert summary.loc["Mw", "count"] == 8
    assert summary.loc["Mw", "mean"] == pytest.approx(4.75)
    headers = [d.value.set_index("field")["value"] for d in at.dataframe if "field" in d.value]
    raw, row = headers  # the DYNA 1.2 header of the E file, then the record table's row
    assert row["record_id"] == at.query_params["record"]
    assert len(raw) == 64 and raw["STREAM"] == "HNE" and raw["UNITS"] == "cm/s^2"
    assert raw["STATION_CODE"] == row["station"]
    # distributions, coverage, the record's three components, its FAS and its PSA
    charts = at.get("plotly_chart")
    assert len(charts) == 5
    fas = json.loads(charts[3].proto.spec)["data"]
    # each component is a 5 Hz burst (app_support.esm_archive): the FAS peaks at 5 Hz
    for trace in fas:
        x, y = plotly_array(trace["x"]), plotly_array(trace["y"])
        assert x[int(np.argmax(y))] == pytest.approx(5.0, rel=0.1)


def test_data_page_event_and_record_from_the_url(home):
    at = run_page(
        "data", {"archive": "prepared: tiny", "event": "EV002", "record": "EV002.IT.ST02..HN"}
    )
    assert at.query_params["event"] == "EV002"
    assert at.query_params["record"] == "EV002.IT.ST02..HN"
    assert next(s for s in at.selectbox if s.label == "Record").value == "EV002.IT.ST02..HN"
    event_records = frame_with(at, "R_epi (km)")
    assert sorted(event_records["station"]) == ["IT.ST01", "IT.ST02", "IT.ST03", "IT.ST04"]
    # nearest first; R_hypo = sqrt(R_epi^2 + depth^2) >= R_epi >= R_JB
    r_epi = event_records["R_epi (km)"].to_numpy(dtype=float)
    assert np.all(np.diff(r_epi) >= 0)
    assert np.all(event_records["R_hypo (km)"].to_numpy(dtype=float) >= r_epi)
    assert np.all(event_records["R_JB (km)"].to_numpy(dtype=float) <= r_epi)
    assert list(event_records.columns[-3:]) == ["EC8", "Vs30 (m/s)", "PGA (cm/s²)"]
    shown = next(d for d in at.dataframe if "R_epi (km)" in d.value.columns)
    config = json.loads(shown.proto.columns)
    formats = {c: v["type_config"]["format"] for c, v in config.items() if "type_config" in v}
    assert formats == dict.fromkeys(("R_epi (km)", "R_hypo (km)", "R_JB (km)"), "%.1f")
    summary = next(d for d in at.dataframe if "median" in d.value.columns)
    config = json.loads(summary.proto.columns)
    assert {c: config[c]["type_config"]["format"] for c in ("mean", "median", "std")} == (
        dict.fromkeys(("mean", "median", "std"), "%.4g")
    )
    # the event is named by origin time, place (its nearest town), Mw and depth, not by its id
    title = at.subheader[0].value
    assert " UTC · " in title and "Mw " in title and "km deep" in title and "EV002" not in title
    assert " of " in title or " · in " in title  # "12 km NE of <town> (...)" or "in <town>"


def test_data_page_station_from_the_url_lists_its_records(home):
    at = run_page("data", {"archive": "archive: test", "station": "IT.ST02"})
    records = frame_with(at, "R_epi (km)")
    assert set(records["station"]) == {"IT.ST02"}
    assert len(records) == 2  # Mw > 4 keeps EV001 and EV002
    assert at.subheader[0].value == "Records at station IT.ST02"


def test_data_page_keeps_bounds_and_record_across_pages(home):
    at = run_page("data")
    next(n for n in at.sidebar.number_input if n.label == "Mw above").set_value(3.0).run()
    record = next(s for s in at.selectbox if s.label == "Record")
    chosen = record.options[-1]
    record.set_value(chosen).run()
    assert at.query_params["mw_min"] == "3.0" and at.query_params["record"] == chosen
    # another bound changes: the chosen record is still in the selection and stays chosen
    next(n for n in at.sidebar.number_input if n.label == "Depth below (km)").set_value(40.0).run()
    assert next(s for s in at.selectbox if s.label == "Record").value == chosen
    # leave the page and come back: the bounds and the record are as they were
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert next(n for n in at.sidebar.number_input if n.label == "Mw above").value == 3.0
    assert next(n for n in at.sidebar.number_input if n.label == "Depth below (km)").value == 40.0
    assert next(s for s in at.selectbox if s.label == "Record").value == chosen
    assert metrics(at)["Earthquake records"] == "12"


def test_data_page_bounds_change_the_numbers(home):
    at = run_page("data")
    at.sidebar.number_input[0].set_value(3.0).run()  # Mw above 3: EV000 comes back
    assert metrics(at)["Earthquake records"] == "12"
    assert metrics(at)["Events"] == "3"


@pytest.mark.slow
def test_prepare_page_builds_a_set_in_the_background(home):
    import time

    at = run_page("prepare")
    form_inputs = {t.label: t for t in at.text_input}
    form_inputs["Name of the prepared set"].set_value("from-page")
    next(n for n in at.number_input if n.label == "Mw above").set_value(3.0)
    next(b for b in at.button if b.label == "Prepare").click()
    at.run()
    assert not at.exception
    out = home / "data" / "processed" / "from-page"
    deadline = time.monotonic() + HANG_GUARD_S
    while not (out / "waveforms.npy").is_file() and time.monotonic() < deadline:
        time.sleep(0.5)
    log = home / "data" / "processed" / ".app" / "from-page" / "prepare.log"
    job = jobs.read_job(log)
    while job is not None and jobs.is_alive(job.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert (out / "records.parquet").is_file(), jobs.tail_lines(log)
    # Mw > 3 keeps EV000-EV002 (EV003 has no Mw) at the four stations in Italy
    assert np.load(out / "waveforms.npy", mmap_mode="r").shape == (12, 3, 8000)
    at.run()  # the page sees the job ended: it reruns with the message and the new set
    # it says it finished, with the counts from the command's progress file, and selects it
    assert any("Prepared from-page: 12 records and" in s.value for s in at.success), [
        e.value for e in [*at.success, *at.error, *at.code]
    ]
    chosen = next(s for s in at.selectbox if s.label == "Prepared set")
    assert chosen.value == "from-page"
    progress = json.loads((home / "data" / "processed" / ".app" / "from-page" / "progress.json")
                          .read_text())  # fmt: skip
    assert progress["state"] == "finished" and progress["n_records"] == 12


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A home with a conditional run trained for 2 epochs by the real `seisgan train`."""
    import subprocess

    home = tmp_path_factory.mktemp("trained")
    archive = esm_archive(home / "data" / "raw" / "test", n_events=4, n_stations=5)
    prepared_set(home / "data" / "processed" / "tiny", archive=archive)
    subprocess.run(
        jobs.cli_argv(
            "train",
            "--data",
            str(home / "data" / "processed" / "tiny"),
            "--preset",
            "demo",
            "--out",
            str(home / "models" / "cond-run"),
            "--epochs",
            "2",
            "--batch-size",
            "4",
            "--threads",
            "1",
            "--no-progress",
        ),
        check=True,
        capture_output=True,
        env={**__import__("os").environ, "PYTHONPATH": str(Path(APP).parent)},
    )
    return home


def test_train_page_shows_runs_and_follows_one(home):
    at = run_page("train", {"run": "tiny-run"})
    runs = frame_with(at, "preset")
    assert runs.to_dict("records") == [
        {
            "run": "tiny-run",
            "preset": "demo",
            "state": "finished",
            "progress": "epoch 3 of 10 · 30 %",
            "loss_critic": pytest.approx(-1 / 3),
            "loss_generator": 1.5,
            "message": "test run",
        }
    ]
    # the losses are headed in words, with significant figures that fit them
    shown = next(d for d in at.dataframe if "loss_critic" in d.value.columns)
    config = json.loads(shown.proto.columns)
    assert config["loss_critic"]["label"] == "critic loss"
    assert config["loss_generator"]["label"] == "generator loss"
    assert config["loss_critic"]["type_config"]["format"] == "%.4g"
    # the last epoch of the run folder: wasserstein 1/3, GP 0.1, 53 samples/s
    assert metrics(at) == {
        "Wasserstein estimate": "0.333",
        "Gradient penalty": "0.1",
        "Samples per second": "53.0",
        "Time left": "–",
    }
    # the bar says what the table says
    assert any("finished: epoch 3 of 10 · 30 %" in str(p.proto.text) for p in at.get("progress"))


def test_a_run_whose_process_died_shows_failed_with_its_log(home):
    import subprocess
    import sys

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    run_folder(home / "models" / "died", epochs=1, state="running", pid=dead.pid)
    log = home / "models" / ".app" / "died" / "train.log"
    log.parent.mkdir(parents=True)
    log.write_text("epoch 1\nRuntimeError: CUDA out of memory\n")
    at = run_page("train", {"run": "died"})
    runs = frame_with(at, "preset").set_index("run")
    assert runs.loc["died", "state"] == "failed"
    assert "ended without finishing" in at.error[0].value
    assert "RuntimeError: CUDA out of memory" in at.code[0].value
    assert any(b.label == "Resume training" for b in at.button)


@pytest.mark.slow
def test_train_page_starts_a_real_run_and_refuses_a_second(trained, monkeypatch):
    import time

    monkeypatch.setenv("SEISGAN_HOME", str(trained))
    at = run_page("train")
    fields = {t.label: t for t in at.text_input}
    fields["Run name"].set_value("page run")
    fields["epochs"].set_value("2")
    fields["batch_size"].set_value("4")
    next(b for b in at.button if b.label == "Start training").click()
    at.run()
    assert not at.exception
    log = trained / "models" / ".app" / "page-run" / "train.log"
    job = jobs.read_job(log)
    assert job is not None and "--preset" in job.argv, [e.value for e in at.error]
    # the form's values went into the preset file the trainer reads
    preset = json.loads((trained / "models" / ".app" / "page-run" / "demo-edited.json").read_text())
    assert (preset["epochs"], preset["batch_size"]) == (2, 4)
    # a second click on the same name while it runs is refused
    at.run()
    fields = {t.label: t for t in at.text_input}
    fields["Run name"].set_value("page-run")
    next(b for b in at.button if b.label == "Start training").click()
    at.run()
    # refused: "already running" while it trains, "exists" once it has finished
    errors = [e.value for e in at.error]
    assert any("already running" in e or "exists: resume it" in e for e in errors), errors
    deadline = time.monotonic() + HANG_GUARD_S
    while jobs.is_alive(job.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    at = run_page("train", {"run": "page-run"})
    runs = frame_with(at, "preset").set_index("run")
    assert runs.loc["page-run", "state"] == "finished", jobs.tail_lines(log)
    assert runs.loc["page-run", "progress"] == "epoch 2 of 2 · 100 %"


@pytest.mark.slow
def test_samples_page_epoch_from_url_and_conditional_generation(trained, monkeypatch):
    monkeypatch.setenv("SEISGAN_HOME", str(trained))
    at = run_page("samples", {"run": "cond-run", "epoch": "1"})
    assert at.select_slider[0].value == 1
    assert at.query_params["epoch"] == "1"
    from seisgan_core import scenarios

    sliders = {s.label.split(" · ")[0]: s for s in at.slider}
    assert {"Mw", "R_epi (km)", "Depth (km)", "Vs30 (m/s)"} <= set(sliders)
    # each slider names the training data's range, and a value beyond it is called out
    config = json.loads((trained / "models" / "cond-run" / "config.json").read_text())
    ranges = scenarios.training_ranges_of(config, trained)
    lo, hi = ranges["mw"]
    plain = scenarios.plain_number
    assert sliders["Mw"].label == f"Mw · trained {plain(lo)}–{plain(hi)}"
    lo, hi = ranges["vs30_m_s"]  # hundreds of m/s: never in powers of ten
    assert sliders["Vs30 (m/s)"].label == f"Vs30 (m/s) · trained {plain(lo)}–{plain(hi)}"
    assert "e+" not in "".join(s.label for s in at.slider)
    assert not at.warning
    sliders["Mw"].set_value(6.0).run()
    assert not at.exception
    assert at.query_params["run"] == "cond-run"
    shown = metrics(at)
    # BSSA14 at Mw 6, 30 km, Vs30 450 m/s predicts a PGA of tens to a few hundred cm/s²,
    # shown to three significant figures
    median = shown["BSSA14 PGA (cm/s²)"]
    assert 20.0 < float(median) < 400.0 and len(median.replace(".", "")) <= 3
    assert {"Mean ln residual", "Residual in σ"} <= set(shown)
    helps = {m.label: m.help for m in at.metric}
    assert helps["Mean ln residual"].startswith("ln(generated PGA / BSSA14 median)")
    if 6.0 > ranges["mw"][1]:
        assert f"Mw 6 above the training maximum {plain(ranges['mw'][1])}" in at.warning[0].value
    # the generated RotD50 over BSSA14's spectrum for the scenario and its sigma band
    spectrum = json.loads(at.get("plotly_chart")[-1].proto.spec)
    names = [t.get("name") for t in spectrum["data"]]
    assert names[:2] == ["BSSA14 ±1σ", "BSSA14 median"] and names[-1].startswith(
        "generated RotD50, median of"
    )
    band = plotly_array(spectrum["data"][0]["y"])
    middle = plotly_array(spectrum["data"][1]["y"])
    assert np.all(band[: len(middle)] > middle) and np.all(band[len(middle) :][::-1] < middle)


@pytest.mark.slow
def test_compare_page_panel_of_a_trained_run(trained, monkeypatch):
    monkeypatch.setenv("SEISGAN_HOME", str(trained))
    at = run_page("compare", {"run": "cond-run"})
    assert at.query_params["epoch"] == "best"
    shown = metrics(at)
    assert set(shown) == {
        "Lines failed",
        "Spectral Fréchet",
        "PSA bias (ln)",
        "Anderson GOF",
        "Memorisation",
    }
    assert 0.0 <= float(shown["Anderson GOF"]) <= 10.0
    # short labels (whole in their column); the help names the measure and its band
    helps = {m.label: m.help for m in at.metric}
    assert helps["Spectral Fréchet"].startswith("Spectral Fréchet distance over 0.1-80 Hz. Good:")
    assert "worst period of 0.05-3 s" in helps["PSA bias (ln)"]
    # every headline number says what good looks like, and the scorecard table has every line
    verdicts = [c.value for c in at.caption if c.value.startswith(("pass ·", "FAIL ·"))]
    assert len(verdicts) == 4 and all("good:" in v and "real vs real" in v for v in verdicts)
    table = frame_with(at, "verdict")
    assert len(table) > 50 and set(table["verdict"]) <= {"pass", "FAIL", "n/a"}
    shown = next(d for d in at.dataframe if "verdict" in d.value.columns)
    config = json.loads(shown.proto.columns)
    assert config["generated"]["type_config"]["format"] == "%.3g"
    study = frame_with(at, "statistic")
    assert len(study) == 9
    assert "not given" in set(study["real"])  # Run 3's max: the study gives none
    # one Mw and distance bin on both sides: the whole grid holds every compared record
    bins = {s.label: s for s in at.select_slider}
    bins["Mw bin"].set_value((3.0, 8.0))
    bins["R_epi bin (km)"].set_value((0, 300)).run()
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    in_bin = next(c for c in charts if "Mw 3.0–8.0" in str(c["layout"].get("title", "")))
    names = [t["name"] for t in in_bin["data"]]
    assert names[1].startswith("real, median of ") and names[3].startswith("generated, median of")
    assert names[1].split()[-1] == names[3].split()[-1]  # as many on each side
    # the ground-motion plot says which distance the records stand at: the tiny set has no
    # R_JB, so BSSA14 was fed R_epi
    gmm = next(c for c in charts if "PGA against distance" in json.dumps(c["layout"]))
    assert gmm["layout"]["xaxis2"]["title"]["text"] == "R_epi (km), BSSA14's R_JB taken as R_epi"
    buttons = at.get("download_button")
    labels = [b.proto.label for b in buttons]
    # two a row (ASDF miniSEED / SAC CSV): AppTest lists them column by column
    assert [label.split(" · ")[0] for label in labels] == ["ASDF", "SAC", "miniSEED", "CSV"]
    assert all(label.endswith(" records · cm/s²") for label in labels)
    # the file names (run, checkpoint, format, count): test_appstate's export-name test


def test_samples_page_play_steps_through_the_epochs(home):
    at = run_page("samples", {"run": "tiny-run"})
    assert at.select_slider[0].value == 3  # the last epoch by default
    next(b for b in at.button if b.label == "▶ Play").click()
    at.run()
    # play restarts from the first epoch and the fragment steps once per tick
    assert at.session_state["playing"] is True
    assert at.session_state["epoch"] == 2
    assert at.query_params["epoch"] == "2"
    assert any(b.label == "⏸ Pause" for b in at.button)


@pytest.mark.parametrize(
    ("page", "says"),
    [
        (
            "train",
            [
                "No prepared set under data/processed/: prepare one on the Prepare page first.",
                "No runs yet.",
            ],
        ),
        ("samples", ["No run has saved samples yet: start one on the Train page."]),
        ("compare", ["No run has a checkpoint yet: train one on the Train page."]),
    ],
)
def test_pages_with_nothing_built_say_what_to_do_next(tmp_path, monkeypatch, page, says):
    """An archive and nothing made from it: each page runs and names the step to take."""
    esm_archive(tmp_path / "data" / "raw" / "test", n_events=2, n_stations=2)
    monkeypatch.setenv("SEISGAN_HOME", str(tmp_path))
    at = run_page(page)
    assert at.title[0].value == page.capitalize()
    assert [i.value for i in at.info] == says
    assert not at.warning and not at.error


def test_home_reads_a_seisbench_folder_and_saves_it_for_prepare(home, monkeypatch):
    import seisbench

    from seisgan_core.io.seisbench import is_descriptor, write_seisbench_dataset

    monkeypatch.setattr(seisbench, "cache_data_root", home / "seisbench-cache")

    rng = np.random.default_rng(3)
    rows = [
        {"trace_name": f"T{i}", "source_id": f"EV{i % 2}", "source_magnitude": 4.0 + i,
         "source_magnitude_type": "Mw", "station_network_code": "IT", "station_code": f"S{i}"}
        for i in range(3)
    ]  # fmt: skip
    write_seisbench_dataset(
        home / "data" / "raw" / "sbset", rng.normal(size=(3, 3, 400)), rows, sampling_rate_hz=100
    )
    at = run_page()
    fields = {t.label: t for t in at.text_input}
    fields["Data set name or folder"].set_value("sbset")
    fields["Filter over its metadata"].set_value("source_magnitude >= 5")
    fields["Save as archive (a folder under data/raw/; empty: don't)"].set_value("sb-m5")
    next(b for b in at.button if b.label == "Read the data set").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.success[-1].value == "2 records of 2 events read."
    assert is_descriptor(home / "data" / "raw" / "sb-m5" / "source.seisbench.json")
    # a named set that is not in SeisBench's cache: said so, nothing downloaded
    fields = {t.label: t for t in at.text_input}
    fields["Data set name or folder"].set_value("AQ2009GM")
    fields["Save as archive (a folder under data/raw/; empty: don't)"].set_value("")
    next(b for b in at.button if b.label == "Read the data set").click()
    at.run()
    assert "AQ2009GM" in at.error[0].value and "downloading is off" in at.error[0].value
    assert str(home / "seisbench-cache" / "aq2009gm") in at.error[0].value


def test_data_page_skips_bad_files_without_server_paths(home):
    """A file with a year-2500 header and a zip with an encrypted member: the page shows the
    rest, the skips counted by reason, and no server path (issue 15 item 5)."""
    folder = home / "data" / "raw" / "test"
    good = next(folder.rglob("*.ASC"))
    lines = good.read_bytes().split(b"\n")
    lines = [
        b"EVENT_DATE_YYYYMMDD: 25000101" if line.startswith(b"EVENT_DATE_YYYYMMDD") else line
        for line in lines
    ]
    (folder / "future.ASC").write_bytes(b"\n".join(lines))
    at = run_page("data")
    assert metrics(at)["Earthquake records"] == "8"  # as without the bad file
    reasons = frame_with(at, "files")
    assert any("date bound" in r for r in reasons["reason"])
    shown = frame_with(at, "path")
    assert "future.ASC" in set(shown["path"])
    assert not any(str(home) in p or str(home) in r for p, r in shown.itertuples(index=False))
    # the count in words that agree with it ("1 file ...", "2 files ...")
    n = len(shown)
    expected = f"{n} file or record" if n == 1 else f"{n} files or records"
    assert f"{expected} could not be read" in [e.label for e in at.expander]


@pytest.mark.slow
def test_data_page_shows_the_archives_own_products_beside_the_projects(home):
    """A record downloaded with its SA (ITACA's own .rs of AQG) and VEL: the viewer shows
    them beside the project's PSA and integration (issue 14 section 1)."""
    from seisgan_testsupport.io_realdata import write_record_with_products

    folder = home / "data" / "raw" / "itaca"
    write_record_with_products(folder, n=6000)
    at = run_page("data", {"archive": "archive: itaca"})
    labels = [e.label for e in at.expander]
    assert "The archive's own products: VEL, DIS, SA, PSV, SD" in labels
    layouts = [json.loads(c.proto.spec)["layout"] for c in at.get("plotly_chart")]
    titles = [(layout.get("title") or {}).get("text", "") for layout in layouts]
    assert any(t.startswith("SA N: largest difference") for t in titles)
    assert "VEL N" in titles


def test_data_page_record_viewer_units_motion_and_downloads(home):
    at = run_page("data", {"archive": "archive: test", "record": "EV002.IT.ST02..HN"})
    record = json.loads(at.get("plotly_chart")[2].proto.spec)
    assert record["layout"]["yaxis"]["title"]["text"] == "E (cm/s²)"
    assert record["layout"]["xaxis3"]["title"]["text"] == "time (UTC)"
    peaks = [t for t in record["data"] if t.get("mode") == "markers+text"]
    # component c of record (2, 2) peaks at 3 * 3 * (c + 1) cm/s² (app_support.esm_archive)
    assert [p["text"][0] for p in peaks] == ["PGA 9 cm/s²", "PGA 18 cm/s²", "PGA 27 cm/s²"]
    next(r for r in at.radio if r.label == "Acceleration in").set_value("g").run()
    record = json.loads(at.get("plotly_chart")[2].proto.spec)
    assert record["layout"]["yaxis"]["title"]["text"] == "E (g)"
    peaks = [t for t in record["data"] if t.get("mode") == "markers+text"]
    assert peaks[0]["text"][0] == f"PGA {9 / 980.665:.3g} g"
    next(r for r in at.radio if r.label == "Show").set_value("velocity").run()
    record = json.loads(at.get("plotly_chart")[2].proto.spec)
    assert record["layout"]["yaxis"]["title"]["text"] == "E (cm/s)"
    assert any("integrated from the acceleration" in c.value for c in at.caption)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == [f"{f} (cm/s², 3 components)" for f in ("ASDF", "miniSEED", "SAC", "ASCII")]
    # the PSA beside the components: their geometric mean and RotD50
    psa = json.loads(at.get("plotly_chart")[4].proto.spec)
    names = [t["name"] for t in psa["data"]]
    assert names == ["E", "N", "Z", "geometric mean (E, N)", "RotD50"]
    # bounds, record and unit survive the radio changes
    assert at.query_params["record"] == "EV002.IT.ST02..HN"

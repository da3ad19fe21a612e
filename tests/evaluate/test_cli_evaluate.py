"""`seisgan evaluate` and `seisgan export` on a real prepared set (demo archive, prepared)."""

from __future__ import annotations

import io
import json
import os
import shutil
import zipfile

import numpy as np
import pytest

from seisgan_core import cli
from seisgan_core.evaluation.export import export_samples, write_export


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> tuple:
    root = tmp_path_factory.mktemp("evaluate-cli")
    assert cli.main(["demo", "--out", str(root / "raw"), "--records", "80", "--noise", "12"]) == 0
    assert cli.main(["prepare", str(root / "raw"), "--out", str(root / "processed")]) == 0
    from seisgan_core.preparation import load_prepared

    data = load_prepared(root / "processed")
    real = data.to_cm_s2().astype(np.float32)
    return root, root / "processed", real


def _copies(real: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.roll(real[rng.permutation(len(real))], 150, axis=-1) * 1.5


@pytest.mark.slow
def test_evaluate_generated_file_writes_metrics_and_caches(prepared, capsys):
    root, data, real = prepared
    gen_path = root / "copies.npy"
    np.save(gen_path, _copies(real).astype(np.float32))
    out = root / "eval-copies"
    args = ["evaluate", "--generated", str(gen_path), "--data", str(data), "--out", str(out),
            "--no-figures", "--quiet"]  # fmt: skip
    assert cli.main(args) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_generated"] == len(real) and metrics["n_real"] == len(real)
    # Copies of real records (shifted, rescaled) are caught as memorised.
    assert metrics["summary"]["memorisation_ratio"] < 0.3
    assert metrics["data"]["manifest_sha256"] and metrics["cache_key"]
    assert "skipped" not in metrics["gmm"]  # the real records carry Mw, distance, Vs30
    assert "earthquake_vs_noise" in metrics["augmentation"]
    capsys.readouterr()
    stamp = (out / "metrics.json").stat().st_mtime_ns
    assert cli.main(args) == 0
    assert capsys.readouterr().out.startswith("cached:")
    assert (out / "metrics.json").stat().st_mtime_ns == stamp
    assert cli.main([*args, "--force"]) == 0
    assert (out / "metrics.json").stat().st_mtime_ns != stamp
    # no temporary files left (the marker says `seisgan evaluate` wrote the folder)
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [".seisgan-output.json"]


@pytest.mark.slow
def test_evaluate_normalised_samples_with_sidecar_conditions(prepared):
    from seisgan_core.preparation import load_prepared

    root, data, real = prepared
    table = load_prepared(data).records.sort_values("row")
    rng = np.random.default_rng(1)
    norm = rng.standard_normal((len(real), 3, real.shape[2])).astype(np.float32) * 0.3
    path = root / "normalised.npy"
    np.save(path, norm)
    conditions = [
        {"mw": float(m), "distance_km": float(d)}
        for m, d in zip(table["mw"], table["epicentral_distance_km"], strict=True)
    ]
    path.with_suffix(".json").write_text(
        json.dumps({"units": "normalised", "run": "models/x", "epoch": 3, "conditions": conditions})
    )
    out = root / "eval-normalised"
    assert cli.main(["evaluate", "--generated", str(path), "--data", str(data), "--out",
                     str(out), "--no-figures", "--quiet"]) == 0  # fmt: skip
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["source"]["normalised_input"] is True and metrics["source"]["epoch"] == 3
    # Denormalised with each real record's std: the std of generated E is 0.3 x theirs.
    std_e = table["std_e"].to_numpy()
    assert metrics["study_statistics"]["generated"]["std"][0] == pytest.approx(
        0.3 * np.sqrt(np.mean(std_e**2)), rel=0.1
    )
    assert "generated" in metrics["gmm"]["imts"]["PGA"]  # conditions came from the sidecar


def _chromium() -> str | None:
    """The browser kaleido draws PNGs with: $BROWSER_PATH, else a Chromium or Chrome on PATH."""
    names = ("chromium", "chromium-browser", "google-chrome")
    return os.environ.get("BROWSER_PATH") or next(filter(None, map(shutil.which, names)), None)


@pytest.mark.slow
def test_evaluate_writes_png_figures(prepared):
    if _chromium() is None:
        pytest.skip("no Chromium for kaleido's PNG export (.ci/run installs Debian's chromium)")
    root, data, real = prepared
    gen_path = root / "for-figures.npy"
    np.save(gen_path, _copies(real).astype(np.float32))
    out = root / "eval-figures"
    assert cli.main(["evaluate", "--generated", str(gen_path), "--data", str(data), "--out",
                     str(out), "--quiet"]) == 0  # fmt: skip
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["figures"]["format"] == "png", metrics["figures"].get("note")
    files = metrics["figures"]["files"]
    assert {"psa.png", "waveforms.png"} <= set(files)
    for name in files:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert (out / name).stat().st_size > 1000


def test_figures_fall_back_to_html_without_a_browser(tmp_path, monkeypatch):
    import plotly.io as pio

    from seisgan_core.commands.evaluate import write_figures
    from seisgan_core.evaluation.panel import evaluate

    rng = np.random.default_rng(0)
    env = np.exp(-np.arange(1200) / 300.0)
    real = rng.standard_normal((8, 3, 1200)) * env
    gen = rng.standard_normal((8, 3, 1200)) * env
    panel = evaluate(gen, real, dt=0.01)

    def no_browser(*args, **kwargs):
        raise RuntimeError("Kaleido requires Google Chrome to be installed")

    monkeypatch.setattr(pio, "write_images", no_browser)
    info = write_figures(panel, tmp_path)
    assert info["format"] == "html" and "Chrome" in info["note"]
    html = (tmp_path / "figures.html").read_text()
    assert html.count("plotly-graph-div") >= 8 and "Pseudo-spectral" in html
    assert not list(tmp_path.glob("*.png")) and not list(tmp_path.glob(".*"))


def test_export_formats_round_trip_with_provenance(tmp_path):
    import obspy
    import pyasdf

    rng = np.random.default_rng(2)
    waves = rng.standard_normal((2, 3, 400)) * 30
    conditions = [{"mw": 5.1, "distance_km": 12.0}, {"mw": 6.0, "distance_km": 40.0}]
    prov = {"run": "models/demo", "epoch": 7, "seed": 0}
    mseed = zipfile.ZipFile(io.BytesIO(export_samples(waves, "mseed", provenance=prov,
                                                      conditions=conditions)))  # fmt: skip
    stream = obspy.read(io.BytesIO(mseed.read("generated.mseed")))
    assert len(stream) == 6 and stream[0].id == "SG.G0000..HNE"
    np.testing.assert_allclose(stream[4].data, waves[1, 1], rtol=1e-6)
    assert stream[0].stats.sampling_rate == 200.0
    meta = json.loads(mseed.read("provenance.json"))
    assert meta["epoch"] == 7 and meta["conditions"][1]["mw"] == 6.0

    sac = zipfile.ZipFile(io.BytesIO(export_samples(waves, "sac", conditions=conditions)))
    trace = obspy.read(io.BytesIO(sac.read("SG.G0001..HNZ.sac")))[0]
    assert trace.stats.sac.mag == pytest.approx(6.0) and trace.stats.sac.dist == pytest.approx(40)
    np.testing.assert_allclose(trace.data, waves[1, 2], rtol=1e-6)

    csv = zipfile.ZipFile(io.BytesIO(export_samples(waves, "csv")))
    table = np.loadtxt(io.StringIO(csv.read("G0001.csv").decode()), delimiter=",", skiprows=1)
    np.testing.assert_allclose(table[:, 1], waves[1, 0], rtol=1e-5, atol=1e-4)
    assert table[1, 0] == pytest.approx(0.005)

    path = write_export(tmp_path / "generated", waves, "asdf", provenance=prov)
    assert path.suffix == ".h5"
    with pyasdf.ASDFDataSet(str(path), mode="r") as ds:
        st = ds.waveforms["SG.G0001"]["generated_acceleration"]
        np.testing.assert_allclose(st.select(channel="HNN")[0].data, waves[1, 1], rtol=1e-6)
        info = ds.auxiliary_data.GenerationInfo.seisgan
        assert info.parameters["epoch"] == 7
        assert json.loads(info.parameters["metadata_json"])["run"] == "models/demo"
    with pytest.raises(ValueError, match="fmt"):
        export_samples(waves, "segy")
    with pytest.raises(ValueError, match="conditions"):
        export_samples(waves, "csv", conditions=conditions[:1])


def test_export_command_from_npy_with_sidecar(tmp_path):
    waves = np.random.default_rng(3).standard_normal((3, 3, 300)).astype(np.float32)
    path = tmp_path / "gen.npy"
    np.save(path, waves)
    path.with_suffix(".json").write_text(json.dumps({"run": "models/r", "epoch": 2,
                                                     "sampling_rate_hz": 100.0}))  # fmt: skip
    out = tmp_path / "out.zip"
    assert cli.main(["export", "--generated", str(path), "--format", "mseed", "--out",
                     str(out)]) == 0  # fmt: skip
    import obspy

    archive = zipfile.ZipFile(out)
    stream = obspy.read(io.BytesIO(archive.read("generated.mseed")))
    assert stream[0].stats.sampling_rate == 100.0 and len(stream) == 9
    assert json.loads(archive.read("provenance.json"))["run"] == "models/r"


@pytest.mark.slow
def test_evaluate_run_judges_best_pt_and_keys_the_cache_on_its_hash(prepared, tmp_path):
    """--run goes through evaluate_run (as the Compare page): best.pt by default, held-out
    (val and test) scenarios, scorecard.json beside metrics.json; the cache key is the hash of
    the checkpoint file used, so a new best.pt is evaluated again."""
    import shutil
    from pathlib import Path

    from seisgan_core.train.evaluation import file_sha256

    _, data, _ = prepared
    run_dir = tmp_path / "models" / "demo"
    shutil.copytree(Path(__file__).resolve().parents[2] / "models" / "demo", run_dir)
    best = run_dir / "checkpoints" / "best.pt"
    out = tmp_path / "eval-run"
    argv = ["evaluate", "--run", str(run_dir), "--data", str(data), "--out", str(out),
            "--no-figures", "--quiet", "--max-scenarios", "6", "--per-scenario", "1"]  # fmt: skip
    assert cli.main(argv) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    card = json.loads((out / "scorecard.json").read_text())
    assert metrics["source"]["checkpoint"] == "best.pt"
    assert metrics["source"]["checkpoint_sha256"] == file_sha256(best)
    assert metrics["source"]["heldout_rule"] == "val and test splits"
    assert metrics["n_generated"] == 6 == card["counts"]["generated"]
    assert card["n_lines"] == len(card["lines"]) > 40
    assert {"generated", "real_vs_real", "good", "passed"} <= set(card["lines"][0])
    written = (out / "metrics.json").stat().st_mtime_ns
    assert cli.main(argv) == 0  # cached: nothing written
    assert (out / "metrics.json").stat().st_mtime_ns == written
    # a new best.pt: the generator's weights moved a little (last.pt may be best.pt itself)
    from seisgan_core.train.checkpoint import load_checkpoint, save_checkpoint

    state = load_checkpoint(best)
    name, weight = next((k, v) for k, v in state["generator"].items() if v.is_floating_point())
    state["generator"][name] = weight + 1e-3
    save_checkpoint(best, state)
    assert cli.main(argv) == 0
    again = json.loads((out / "metrics.json").read_text())
    assert again["source"]["checkpoint_sha256"] == file_sha256(best)
    assert again["cache_key"] != metrics["cache_key"]


def test_bad_generated_files_fail_with_a_message(prepared, tmp_path, capsys):
    _, data, real = prepared
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((4, 2, real.shape[2]), np.float32))
    argv = ["evaluate", "--generated", str(bad), "--data", str(data), "--out",
            str(tmp_path / "o"), "--no-figures", "--quiet"]  # fmt: skip
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert "bad.npy" in err and "(N, 3, n_samples)" in err
    diverged = real[:6].copy()
    diverged[2, 1, 100] = np.nan
    np.save(bad, diverged)
    assert cli.main([*argv, "--force"]) == 1
    assert "finite" in capsys.readouterr().err
    assert not (tmp_path / "o" / "metrics.json").exists()
    assert cli.main(["export", "--generated", str(tmp_path / "absent.npy"), "--format", "csv",
                     "--out", str(tmp_path / "x.zip")]) == 1  # fmt: skip

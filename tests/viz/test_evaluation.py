"""The evaluation figures: built from a real panel, the traces carry the panel's numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from seisgan_core.evaluation.panel import evaluate
from seisgan_core.viz import evaluation as ev

DT = 0.01


def records(n: int, seed: int, scale: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(1500) * DT
    env = (t / 3) ** 2 * np.exp(-t / 3)
    return scale * rng.standard_normal((n, 3, 1500)) * env


@pytest.fixture(scope="module")
def panel() -> dict:
    n = 20
    rng = np.random.default_rng(0)
    table = pd.DataFrame(
        {
            "event_id": [f"e{i // 4}" for i in range(n)],
            "mw": rng.uniform(4, 6, n),
            "epicentral_distance_km": rng.uniform(5, 100, n),
            "vs30_m_s": 500.0,
        }
    )
    split = np.array(["train", "train", "test", "train"] * (n // 4))
    return evaluate(
        records(n, 1, 50.0),
        records(n, 2, 20.0),
        dt=DT,
        real_split=split,
        real_conditions=table,
        generated_conditions=table.drop(columns="event_id"),
    )


def _named(fig: go.Figure, name: str) -> list:
    return [t for t in fig.data if t.name == name]


def test_fas_and_psa_figures_show_medians_and_bands(panel):
    fig = ev.fas_figure(panel)
    medians = _named(fig, "generated median")
    assert len(medians) == 3 and sum(bool(t.showlegend) for t in medians) == 1  # legend once
    real_lines = [t for t in fig.data if t.mode == "lines" and t.legendgroup == "real"]
    assert len(real_lines) == 3
    np.testing.assert_allclose(real_lines[1].y, panel["fas"]["real"]["median"][1])
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    psa = ev.psa_figure(panel)
    gen_lines = [t for t in psa.data if t.mode == "lines" and t.legendgroup == "generated"]
    assert len(gen_lines) == 4  # E, N, Z and RotD50
    np.testing.assert_allclose(gen_lines[3].y, panel["psa"]["rotd50"]["generated"]["median"])
    # Generated records were 2.5 x the real ones: their PSA median lies above.
    assert np.all(np.asarray(gen_lines[0].y) > np.asarray(panel["psa"]["real"]["median"][0]))
    bands = [t for t in psa.data if t.fill == "toself"]
    assert len(bands) == 8
    psd = ev.psd_figure(panel)
    assert min(psd.data[1].x) > 0


def test_statistics_table_and_distributions(panel):
    table = ev.statistics_table(panel)
    cells = table.data[0].cells.values
    assert len(cells[0]) == 15 and cells[0][0] == "min (cm/s²)"
    assert list(cells[1][:3]) == ["E", "N", "Z"] and cells[0][-1] == "skewness (no unit)"
    # every row fits: the figure is as tall as its header and rows at their fixed height
    assert table.layout.height >= table.data[0].header.height + 15 * table.data[0].cells.height
    assert list(table.data[0].header.values[2:4]) == ["real", "generated"]
    assert float(cells[2][3]) == pytest.approx(
        panel["study_statistics"]["real"]["max"][0], rel=1e-3
    )
    dist = ev.distributions_figure(panel)
    hists = [t for t in dist.data if isinstance(t, go.Histogram)]
    assert len(hists) == 4
    arias_real = np.log10(np.asarray(panel["intensity"]["real"]["arias_m_s"]["values"])[:, :2])
    np.testing.assert_allclose(np.sort(hists[0].x), np.sort(arias_real.ravel()))


def test_gmm_figure_has_model_curve_points_and_residuals(panel):
    fig = ev.gmm_distance_figure(panel, "PGA")
    names = [t.name for t in fig.data]
    assert any(n.startswith("BSSA14 Italy") for n in names)
    assert any(n.startswith("real (mean residual") for n in names)
    curve = fig.data[0]
    np.testing.assert_allclose(curve.y, panel["gmm"]["imts"]["PGA"]["curve"]["median"])
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.xaxis2.title.text == "distance (km)"
    # the axis says which distance the records stand at (and BSSA14 was fed)
    titled = ev.gmm_distance_figure(panel, "PGA", distance_title="R_JB (km)")
    assert titled.layout.xaxis2.title.text == "R_JB (km)"
    with_rjb = pd.DataFrame({"rjb_km": [3.0, np.nan], "epicentral_distance_km": [5.0, 9.0]})
    assert ev.gmm_distance_title(with_rjb) == "R_JB (km)"
    assert ev.gmm_distance_title(with_rjb.drop(columns="rjb_km")).startswith("R_epi (km)")
    assert ev.gmm_distance_title(with_rjb.assign(rjb_km=np.nan)).startswith("R_epi (km)")
    skipped = ev.gmm_distance_figure({"gmm": {"skipped": "no conditions"}})
    assert "no conditions" in skipped.layout.annotations[0].text


def test_dashboard_and_waveforms_and_envelopes(panel):
    history = [
        {"epoch": 2, **panel["summary"]},
        {
            "epoch": 1,
            **{k: (v * 2 if isinstance(v, float) else v) for k, v in panel["summary"].items()},
        },
    ]
    fig = ev.dashboard_figure(history)
    first = fig.data[0]
    assert list(first.x) == [1, 2]  # sorted by epoch
    assert first.y[1] == pytest.approx(panel["summary"][first.name])
    with pytest.raises(ValueError, match="epoch"):
        ev.dashboard_figure([{"fd_spectral_ratio": 1.0}])
    real = records(1, 5, 10.0)[0]
    gen = records(1, 6, 10.0)[0]
    wave = ev.waveform_figure(gen, real, DT)
    assert len(wave.data) == 6
    np.testing.assert_allclose(wave.data[3].y, gen[0])
    with pytest.raises(ValueError, match="generated"):
        ev.waveform_figure(gen[:2], real, DT)
    env = ev.envelope_figure(panel)
    assert len([t for t in env.data if t.mode == "lines"]) == 6

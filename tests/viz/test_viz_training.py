"""Figures of training runs, fed with a run folder's metrics per docs/contracts.md."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from seisgan_core.viz import training as vtrain
from seisgan_testsupport.app_support import run_folder


def _metrics(tmp_path: Path, epochs: int = 4) -> pd.DataFrame:
    folder = run_folder(tmp_path / "r", epochs=epochs)
    lines = (folder / "metrics.jsonl").read_text().splitlines()
    return pd.DataFrame([json.loads(line) for line in lines])


def test_training_panel_plots_each_metric(tmp_path):
    fig = vtrain.training_panel(_metrics(tmp_path))
    names = [t.name for t in fig.data]
    assert names == [
        "critic loss",
        "generator loss",
        "Wasserstein estimate E[D(real)] - E[D(fake)]",
        "gradient penalty",
        "samples per second",
    ]
    np.testing.assert_allclose(fig.data[0].y, [-1.0, -0.5, -1 / 3, -0.25])
    np.testing.assert_allclose(fig.data[4].y, [51, 52, 53, 54])


def test_loss_overlay_several_runs_and_smoothing(tmp_path):
    m = _metrics(tmp_path)
    fig = vtrain.loss_overlay({"a": m, "b": m.iloc[:2]}, "loss_generator", smooth=2)
    assert [t.name for t in fig.data] == ["a", "b"]
    np.testing.assert_allclose(fig.data[0].y, [0.5, 0.75, 1.25, 1.75])


def test_samples_figure_grid(tmp_path):
    samples = np.zeros((3, 3, 8000), dtype=np.float16)
    samples[1, 2, 10] = 2.5
    fig = vtrain.samples_figure(samples, max_samples=2, labels=["a", "b"])
    assert len(fig.data) == 6
    assert fig.data[5].y[10] == np.float32(2.5)
    assert fig.data[0].x[-1] == 7999 / 200.0


def test_stats_figure_real_against_generated(tmp_path):
    fig = vtrain.stats_figure(_metrics(tmp_path, epochs=3), "max")
    assert len(fig.data) == 6
    assert list(fig.data[0].y) == [4.5, 4.5, 4.5]
    np.testing.assert_allclose(fig.data[5].y, [4.31, 4.32, 4.33])


def test_pga_against_gmm_band_is_median_times_exp_sigma():
    r = np.array([10.0, 100.0])
    fig = vtrain.pga_against_gmm(
        np.array([20.0]),
        np.array([50.0]),
        gmm_distance_km=r,
        gmm_median_cm_s2=np.array([100.0, 10.0]),
        gmm_sigma_ln=0.5,
    )
    band = fig.data[0].y
    np.testing.assert_allclose(band[:2], [100 * np.exp(0.5), 10 * np.exp(0.5)])
    np.testing.assert_allclose(band[2:], [10 * np.exp(-0.5), 100 * np.exp(-0.5)])
    assert list(fig.data[2].y) == [50.0]

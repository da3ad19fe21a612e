"""The whole panel: JSON-able, every section present, and it tells copies from new draws."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from seisgan_core.evaluation import panel
from seisgan_core.evaluation.panel import evaluate
from seisgan_testsupport.synthetic_records import DT, catalogue, noise_windows, simulate

N, NPTS = 40, 2000


def conditions(mw, dist, with_event=True) -> pd.DataFrame:
    table = pd.DataFrame({"mw": mw, "epicentral_distance_km": dist, "vs30_m_s": 450.0})
    if with_event:
        table["event_id"] = [f"ev{i // 4}" for i in range(len(mw))]
    return table


@pytest.fixture(scope="module")
def real_set():
    mw, dist = catalogue(N, seed=20)
    split = np.array(["train", "train", "train", "val", "test"] * (N // 5))
    return simulate(mw, dist, seed=21, npts=NPTS), mw, dist, split


@pytest.mark.slow
def test_full_panel_is_json_and_complete(real_set):
    real, mw, dist, split = real_set
    gmw, gdist = mw + 0.0, dist * 1.0  # same conditions, new random draws
    gen = simulate(gmw, gdist, seed=23, npts=NPTS)
    fractions = []
    result = evaluate(
        gen,
        real,
        dt=DT,
        real_split=split,
        real_conditions=conditions(mw, dist),
        generated_conditions=conditions(gmw, gdist, with_event=False),
        noise=noise_windows(16, seed=24, npts=NPTS),
        progress=lambda f, m: fractions.append(f),
    )
    text = json.dumps(result, allow_nan=True)
    assert json.loads(text)["n_generated"] == N
    assert fractions[-1] == 1.0 and all(0 <= f <= 1 for f in fractions)
    assert fractions == sorted(fractions)  # the side pass's progress too, in order
    for section in (
        "study_statistics", "fas", "psd", "psa", "intensity", "envelope", "gmm", "frechet",
        "nearest_real", "similarity", "augmentation", "summary",
    ):  # fmt: skip
        assert section in result, section
        assert "skipped" not in result[section], section
    assert len(result["psa"]["real"]["median"]) == 3
    normalised = result["study_statistics"]["normalised"]["generated"]
    assert normalised["mean"] == pytest.approx([0, 0, 0], abs=1e-6)
    assert normalised["std"] == pytest.approx([1, 1, 1], rel=1e-3)  # pooled z-scored records
    assert all(m > 2 for m in normalised["max"])
    assert len(result["psa"]["rotd50"]["generated"]["median"]) == len(result["psa"]["periods_s"])
    assert len(result["intensity"]["real"]["d5_95_s"]["values"]) == N
    # Same simulator and conditions, other draws: spectra agree within a factor ~1.5 and
    # the set is as spread as the real one; no copying.
    summary = result["summary"]
    assert summary["psa_log_bias"] < 0.5
    assert 0.6 < summary["diversity_ratio"] < 1.6
    assert summary["memorisation_ratio"] > 0.6
    assert "embedding" in result["frechet"] and result["frechet"]["embedding"]["ratio"] > 0
    assert set(result["augmentation"]) == {"earthquake_vs_noise", "magnitude_bin"}
    assert set(result["gmm"]["imts"]) == {"PGA", "SA(0.2)", "SA(1.0)"}


def test_panel_flags_copies_and_skips_what_it_cannot_compute(real_set):
    real, _, _, split = real_set
    train = real[split == "train"]
    copies = np.roll(train[:12], 40, axis=-1) * 1.3
    result = evaluate(copies, real, dt=DT, real_split=split)
    assert result["summary"]["memorisation_ratio"] < 0.3
    assert result["summary"]["fd_spectral_ratio"] is not None
    assert "skipped" in result["gmm"]
    assert "skipped" in result["frechet"]["embedding"]
    assert "skipped" in result["augmentation"]["earthquake_vs_noise"]
    json.dumps(result)


def test_panel_rejects_bad_shapes(real_set):
    real, mw, dist, split = real_set
    with pytest.raises(ValueError, match="generated"):
        evaluate(real[:, :2], real, dt=DT)
    with pytest.raises(ValueError, match="real_split"):
        evaluate(real, real, dt=DT, real_split=split[:5])
    with pytest.raises(ValueError, match="generated"):
        evaluate(real[:, :, :1000], real, dt=DT)
    # a conditions table of another length: named before any record is measured
    with pytest.raises(ValueError, match="real_conditions: expected 40 rows, found 39"):
        evaluate(real, real, dt=DT, real_conditions=conditions(mw[:39], dist[:39]))
    with pytest.raises(ValueError, match="generated_conditions: expected 8 rows, found 40"):
        evaluate(real[:8], real, dt=DT, generated_conditions=conditions(mw, dist))


@pytest.mark.parametrize(("cores", "threads"), [(1, 1), (2, 1), (4, 3), (9, 8), (64, 8)])
def test_the_pass_takes_one_thread_per_core_less_one(monkeypatch, cores, threads):
    monkeypatch.setattr(panel.os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    assert panel.pass_workers() == threads


def test_panel_values_do_not_depend_on_the_pass_threads(real_set):
    # The generated set is measured on a side thread while the real-only classifiers are
    # fitted: one thread or two for each pass, the same panel, value for value.
    real, mw, dist, split = real_set
    gmw, gdist = mw[:24] + 0.1, dist[:24] * 1.2
    gen = simulate(gmw, gdist, seed=25, npts=NPTS)
    kwargs = dict(
        dt=DT,
        real_split=split,
        real_conditions=conditions(mw, dist),
        generated_conditions=conditions(gmw, gdist, with_event=False),
        noise=noise_windows(12, seed=26, npts=NPTS),
    )
    one, two = (evaluate(gen, real, workers=w, **kwargs) for w in (1, 2))
    for result in (one, two):
        result.pop("timings_s")
    assert json.dumps(one, sort_keys=True) == json.dumps(two, sort_keys=True)
    aug = one["augmentation"]
    assert set(aug) == {"earthquake_vs_noise", "magnitude_bin"}
    assert all("skipped" not in task for task in aug.values())
    assert "skipped" not in one["frechet"]["embedding"]


def test_panel_survives_silent_generated_records(real_set):
    real, mw, dist, split = real_set
    gen = np.zeros((8, 3, NPTS))
    gen[:4] = real[:4]
    table = conditions(mw[:8], dist[:8], with_event=False)
    result = evaluate(
        gen, real, dt=DT, real_split=split, real_conditions=conditions(mw, dist),
        generated_conditions=table,
    )  # fmt: skip
    rot = np.asarray(result["psa"]["rotd50"]["generated"]["p16"])
    assert np.all(rot == 0)  # half the records are silent: the 16th percentile is 0
    pga_gen = result["gmm"]["imts"]["PGA"]["generated"]
    assert pga_gen["n_left_out_zero_amplitude"] == 4 and len(pga_gen["total"]) == 4
    from seisgan_core.viz.evaluation import gmm_distance_figure

    assert len(gmm_distance_figure(result).data) > 3
    json.dumps(result)

"""Cross-correlation, DTW, Frechet distances, nearest real record, classifier, augmentation."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize

from seisgan_core.evaluation import (
    augmentation_utility,
    dtw_distance,
    frechet_distance,
    max_cross_correlation,
    nearest_real,
    real_only_accuracies,
    spectral_features,
)
from seisgan_core.evaluation.classifier import MLPClassifier
from seisgan_core.evaluation.frechet import magnitude_distance_bins, train_embedding
from seisgan_testsupport.synthetic_records import DT, catalogue, noise_windows, simulate


def test_max_cross_correlation_finds_shift_and_sign():
    rng = np.random.default_rng(0)
    a = rng.standard_normal(2000)
    shifted = np.concatenate([np.zeros(120), a[:-120]])  # a delayed by 120 samples
    coef, lag = max_cross_correlation(shifted, a)
    assert lag == 120 and coef > 0.9
    coef, lag = max_cross_correlation(a, shifted)
    assert lag == -120
    coef, _ = max_cross_correlation(3 * a + 1, a)
    assert coef == pytest.approx(1.0)
    batch_coef, batch_lag = max_cross_correlation(np.stack([shifted, a]), np.stack([a, a]))
    np.testing.assert_array_equal(batch_lag, [120, 0])
    assert batch_coef.shape == (2,)


def test_dtw_distance_uses_dtaidistance_and_tolerates_warping():
    from dtaidistance import dtw

    t = np.linspace(0, 1, 300)
    a = np.sin(2 * np.pi * 3 * t)
    b = np.sin(2 * np.pi * 3 * t**1.1)  # time-warped copy
    assert dtw_distance(a, a) == 0.0
    assert dtw_distance(a, b) == pytest.approx(dtw.distance(a, b))
    euclid = np.sqrt(((a - b) ** 2).sum())
    assert dtw_distance(a, b) < 0.5 * euclid
    pairs = dtw_distance(np.stack([a, a]), np.stack([b, a]), window=20)
    assert pairs[1] == 0.0 and pairs[0] == pytest.approx(dtw.distance(a, b, window=20))
    assert dtw_distance(np.tile(a, 4), np.tile(b, 4), decimate=4) > 0


def test_frechet_of_a_set_with_itself_is_zero_and_grows_with_shift():
    rng = np.random.default_rng(1)
    feats = rng.standard_normal((500, 6)) @ rng.standard_normal((6, 6))
    assert frechet_distance(feats, feats) == pytest.approx(0.0, abs=1e-8)
    values = [frechet_distance(feats, feats + s) for s in (0.1, 0.5, 1.0, 2.0)]
    assert np.all(np.diff(values) > 0)
    # A pure mean shift by s in each of d dimensions adds d s^2 exactly.
    assert values[2] == pytest.approx(6 * 1.0**2, rel=1e-6)
    # Two 1-D Gaussians: (mu1 - mu2)^2 + (s1 - s2)^2.
    a = rng.normal(0.0, 1.0, (20000, 1))
    b = rng.normal(1.0, 2.0, (20000, 1))
    assert frechet_distance(a, b) == pytest.approx(1.0 + 1.0, rel=0.05)


def test_spectral_frechet_separates_magnitudes():
    mw, dist = catalogue(120, seed=2)
    real_a = simulate(mw, dist, seed=3, npts=2000)
    real_b = simulate(mw, dist, seed=4, npts=2000)
    bigger = simulate(mw + 1.0, dist, seed=5, npts=2000)
    fa, fb, fc = (spectral_features(x, DT) for x in (real_a, real_b, bigger))
    assert fa.shape == (120, 48)
    baseline = frechet_distance(fa, fb)
    assert frechet_distance(fa, fc) > 3 * baseline


def test_classifier_gradient_and_determinism():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 3))
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5).astype(int)
    clf = MLPClassifier(hidden=(5, 4), seed=0)
    classes, codes = np.unique(y, return_inverse=True)
    onehot = np.eye(classes.size)[codes]
    shapes = clf._shapes(3, classes.size)
    theta = rng.standard_normal(sum(a * b + b for a, b in shapes)) * 0.3
    sw = np.full(40, 1 / 40)
    err = scipy.optimize.check_grad(
        lambda th: clf.loss_and_grad(th, x, onehot, sw, shapes)[0],
        lambda th: clf.loss_and_grad(th, x, onehot, sw, shapes)[1],
        theta,
    )
    assert err < 1e-5
    a = MLPClassifier(hidden=(8,), seed=3).fit(x, y)
    b = MLPClassifier(hidden=(8,), seed=3).fit(x, y)
    np.testing.assert_array_equal(a.predict_proba(x), b.predict_proba(x))
    assert a.score(x, y) > 0.9
    assert a.embed(x).shape == (40, 8)
    with pytest.raises(ValueError, match="classifier"):
        MLPClassifier().predict(x)


def test_embedding_classifier_learns_magnitude_distance_bins():
    mw, dist = catalogue(360, seed=6)
    acc = simulate(mw, dist, seed=7, npts=2000)
    model = train_embedding(acc[:240], mw[:240], dist[:240], DT, seed=0)
    labels, _ = magnitude_distance_bins(mw[240:], dist[240:], model.edges)
    assert len(np.unique(labels)) > 3
    assert model.accuracy(acc[240:], mw[240:], dist[240:]) > 1.5 / 9  # chance is 1/9
    emb = model.embed(acc[240:])
    assert emb.shape == (120, 32)


def test_nearest_real_flags_copies_and_not_new_draws():
    mw, dist = catalogue(90, seed=8)
    train = simulate(mw[:60], dist[:60], seed=9, npts=2000)
    test = simulate(mw[60:], dist[60:], seed=10, npts=2000)
    # A "generator" that copies training records, shifted by 0.5 s and rescaled.
    copies = 1.7 * np.roll(train[:20], 100, axis=-1)
    honest = simulate(mw[:20], dist[:20], seed=11, npts=2000)
    copied = nearest_real(copies, train, real_test=test)
    np.testing.assert_array_equal(copied.index, np.arange(20))
    assert copied.memorisation_ratio < 0.3
    fresh = nearest_real(honest, train, real_test=test)
    assert 0.6 < fresh.memorisation_ratio < 1.6
    summary = fresh.to_dict()
    assert summary["n_generated"] == 20 and summary["memorisation_ratio"] == pytest.approx(
        fresh.memorisation_ratio
    )


def test_augmentation_utility_reports_both_accuracies():
    mw, dist = catalogue(160, seed=12)
    quakes = simulate(mw, dist, seed=13, npts=2000)
    noise = noise_windows(160, seed=14, npts=2000)
    x = np.concatenate([quakes, noise])
    y = np.concatenate([np.ones(160, int), np.zeros(160, int)])
    order = np.random.default_rng(0).permutation(320)
    x, y = x[order], y[order]
    generated = simulate(*catalogue(80, seed=15), seed=16, npts=2000)
    result = augmentation_utility(
        x[:80], y[:80], x[200:], y[200:], generated, np.ones(80, int), DT, seeds=(0,)
    )
    assert result["n_train"] == 80 and result["n_generated"] == 80 and result["n_test"] == 120
    assert 0.9 <= result["accuracy_real"] <= 1.0  # earthquakes vs noise is easy here
    assert 0.9 <= result["accuracy_real_plus_generated"] <= 1.0
    assert result["gain"] == pytest.approx(
        result["accuracy_real_plus_generated"] - result["accuracy_real"]
    )
    with pytest.raises(ValueError, match="labels"):
        augmentation_utility(x[:10], y[:9], x[:5], y[:5], generated[:2], [1, 1], DT)
    # the real-only accuracies fitted beforehand (as the panel does) give the same result
    real_only = real_only_accuracies(x[:80], y[:80], x[200:], y[200:], DT, seeds=(0,))
    assert real_only == [result["accuracy_real"]]
    again = augmentation_utility(
        x[:80], y[:80], x[200:], y[200:], generated, np.ones(80, int), DT, seeds=(0,),
        accuracy_real=real_only,
    )  # fmt: skip
    assert again == result
    with pytest.raises(ValueError, match="accuracy_real: expected one accuracy per seed"):
        augmentation_utility(
            x[:80], y[:80], x[200:], y[200:], generated, np.ones(80, int), DT, seeds=(0, 1),
            accuracy_real=real_only,
        )  # fmt: skip

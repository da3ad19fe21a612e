"""Frechet distances between sets of records, spectral and learned features, with baselines.

FD = |mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)): the 2-Wasserstein distance between
Gaussians fitted to the two feature sets (Dowson & Landau 1982; as FID, Heusel et al. 2017,
eq. 2). Its value depends on the features and on the set sizes, so it is only read against
the real-vs-real baseline (training split against test split), as a ratio.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg

from seisgan_core.evaluation._arrays import as_float_array, check_dt
from seisgan_core.evaluation.classifier import MLPClassifier
from seisgan_core.evaluation.intensity import significant_duration
from seisgan_core.evaluation.spectra import fas

__all__ = [
    "EmbeddingModel",
    "classifier_features",
    "frechet_distance",
    "magnitude_distance_bins",
    "spectral_features",
    "train_embedding",
]


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to two feature sets (n_a, d) and (n_b, d)."""
    a = np.asarray(features_a, dtype=np.float64)
    b = np.asarray(features_b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(
            f"features_b: expected (n, {a.shape[-1]}) like features_a, found {b.shape}"
        )
    if a.shape[0] < 2 or b.shape[0] < 2:
        raise ValueError("features: expected at least two records per set, found fewer")
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a = np.atleast_2d(np.cov(a, rowvar=False))
    cov_b = np.atleast_2d(np.cov(b, rowvar=False))
    covmean = _sqrtm(cov_a @ cov_b)
    if covmean is None:
        # Near-singular product (fewer records than features, say): regularise both
        # covariances slightly, as pytorch-fid does.
        eps = 1e-6 * np.eye(cov_a.shape[0])
        covmean = _sqrtm((cov_a + eps) @ (cov_b + eps), quiet=True)
    covmean = np.real(covmean)
    value = float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2.0 * covmean))
    return max(value, 0.0)


def _sqrtm(matrix: np.ndarray, *, quiet: bool = False) -> np.ndarray | None:
    """scipy's matrix square root; None where scipy finds the matrix singular or the result is
    not finite (``quiet``: the regularised retry, whose result is kept as it is)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore" if quiet else "error", scipy.linalg.LinAlgWarning)
        try:
            root = scipy.linalg.sqrtm(matrix)
        except scipy.linalg.LinAlgWarning:
            return None
    return root if quiet or np.all(np.isfinite(root)) else None


def spectral_features(acc: np.ndarray, dt: float, n_bands: int = 16) -> np.ndarray:
    """log10 of the Konno-Ohmachi-smoothed FAS at ``n_bands`` frequencies, per component.

    ``acc``: (n_records, n_components, n_samples) in cm/s^2. Frequencies are log-spaced from
    0.2 Hz to 0.8 x Nyquist (at most 30 Hz). Returns (n_records, n_components * n_bands).
    """
    dt = check_dt(dt)
    x = as_float_array(acc)
    _, amp = fas(x, dt, bandwidth=SPECTRAL_BANDWIDTH, freqs=spectral_frequencies(dt, n_bands))
    return _log_spectral(amp)


#: Konno-Ohmachi bandwidth of :func:`spectral_features`.
SPECTRAL_BANDWIDTH = 20


def spectral_frequencies(dt: float, n_bands: int = 16) -> np.ndarray:
    """The frequencies (Hz) of :func:`spectral_features`."""
    return np.geomspace(0.2, min(30.0, 0.4 / check_dt(dt)), n_bands)


def _log_spectral(amp: np.ndarray) -> np.ndarray:
    """Smoothed FAS (n_records, n_components, n_bands) to the features (n_records, d)."""
    return np.log10(np.maximum(amp, 1e-10)).reshape(amp.shape[0], -1)


def _with_durations(spec: np.ndarray, durations: np.ndarray, dt: float) -> np.ndarray:
    """Spectral features followed by log10 D5-95 per component (:func:`classifier_features`)."""
    dur = np.log10(np.maximum(durations, dt))
    return np.concatenate([spec, dur.reshape(spec.shape[0], -1)], axis=1)


def classifier_features(
    acc: np.ndarray, dt: float, *, d5_95_s: np.ndarray | None = None
) -> np.ndarray:
    """Spectral features plus log10 D5-95 per component: what the classifiers see.

    Already a 2-D feature matrix (n, d)? It is returned unchanged, so callers can compute the
    features of a set once and pass them to several models. ``d5_95_s``: the records'
    significant durations (n, n_components) where already computed.
    """
    if np.ndim(acc) == 2:
        return np.asarray(acc, dtype=np.float64)
    spec = spectral_features(acc, dt)
    durations = significant_duration(acc, dt) if d5_95_s is None else np.asarray(d5_95_s)
    return _with_durations(spec, durations, dt)


def magnitude_distance_bins(
    mw: np.ndarray, distance_km: np.ndarray, edges: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Class labels of a 3 x 3 grid of Mw and distance terciles (edges from the given data).

    Returns ``(labels, (mw_edges, distance_edges))``; pass the edges back to label other sets
    (generated, test) on the training grid.
    """
    mw = np.asarray(mw, float)
    dist = np.asarray(distance_km, float)
    if edges is None:
        edges = (np.quantile(mw, [1 / 3, 2 / 3]), np.quantile(dist, [1 / 3, 2 / 3]))
    labels = np.digitize(mw, edges[0]) * 3 + np.digitize(dist, edges[1])
    return labels, edges


class EmbeddingModel:
    """The classifier of Mw x distance bins whose last hidden layer gives the embedding."""

    def __init__(self, classifier: MLPClassifier, dt: float, edges):
        self.classifier = classifier
        self.dt = dt
        self.edges = edges

    def embed(self, acc: np.ndarray) -> np.ndarray:
        """Embedding (n, 32) of records (n, 3, n_samples) or of their classifier_features."""
        return self.classifier.embed(classifier_features(acc, self.dt))

    def accuracy(self, acc: np.ndarray, mw: np.ndarray, distance_km: np.ndarray) -> float:
        labels, _ = magnitude_distance_bins(mw, distance_km, self.edges)
        return self.classifier.score(classifier_features(acc, self.dt), labels)


def train_embedding(
    train_acc: np.ndarray,
    mw: np.ndarray,
    distance_km: np.ndarray,
    dt: float,
    *,
    seed: int = 0,
) -> EmbeddingModel:
    """Train the embedding classifier on the real training split (Mw x distance terciles)."""
    labels, edges = magnitude_distance_bins(mw, distance_km)
    clf = MLPClassifier(hidden=(64, 32), seed=seed).fit(classifier_features(train_acc, dt), labels)
    return EmbeddingModel(clf, dt, edges)

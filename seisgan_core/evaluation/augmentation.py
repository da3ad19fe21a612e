"""Does synthetic data help a downstream classifier? (the reference study's future work)

SeismoGen (Wang et al. 2021) trained an earthquake detector on real data alone and on real
plus generated data and scored both on real data (91.6 % against 94.8 %). Here the same
experiment runs with the project's small NumPy classifier on spectral and duration features:
trained on the real training split only, and on that split plus the generated records, both
scored on the real test split. Two tasks: earthquake against noise (where noise windows
exist) and the Mw bin (where the generated records carry their conditioning magnitude).
"""

from __future__ import annotations

import numpy as np

from seisgan_core.evaluation.classifier import MLPClassifier
from seisgan_core.evaluation.frechet import classifier_features

__all__ = ["augmentation_utility", "magnitude_bins", "real_only_accuracies"]


def magnitude_bins(
    mw: np.ndarray, edges: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Labels of Mw terciles (edges from the given magnitudes unless passed)."""
    mw = np.asarray(mw, float)
    if edges is None:
        edges = np.quantile(mw, [1 / 3, 2 / 3])
    return np.digitize(mw, edges), edges


def real_only_accuracies(
    train: np.ndarray,
    train_labels: np.ndarray,
    test: np.ndarray,
    test_labels: np.ndarray,
    dt: float,
    *,
    seeds: tuple[int, ...] = (0, 1, 2),
    hidden: tuple[int, ...] = (32, 16),
) -> list[float]:
    """Accuracy on the real test split of the classifier trained on the real training split
    alone, one per seed: :func:`augmentation_utility`'s ``accuracy_real`` before its mean."""
    x_train = classifier_features(train, dt)
    x_test = classifier_features(test, dt)
    y_train = np.asarray(train_labels)
    y_test = np.asarray(test_labels)
    if len(y_train) != len(x_train) or len(y_test) != len(x_test):
        raise ValueError("labels: expected one label per record in train and test")
    return [
        MLPClassifier(hidden=hidden, seed=seed).fit(x_train, y_train).score(x_test, y_test)
        for seed in seeds
    ]


def augmentation_utility(
    train: np.ndarray,
    train_labels: np.ndarray,
    test: np.ndarray,
    test_labels: np.ndarray,
    generated: np.ndarray,
    generated_labels: np.ndarray,
    dt: float,
    *,
    seeds: tuple[int, ...] = (0, 1, 2),
    hidden: tuple[int, ...] = (32, 16),
    accuracy_real: list[float] | None = None,
) -> dict:
    """Accuracy on the real test split of a classifier trained on real only and real+generated.

    Waveforms are (n, n_components, n_samples) in cm/s^2 (or their ``classifier_features``
    from seisgan_core.evaluation.frechet, computed once); labels are class ids per record
    (for earthquake-vs-noise: 1 for records, 0 for noise windows; generated records are all
    earthquakes). Each accuracy is the mean over ``seeds`` (the classifier is deterministic
    per seed). ``accuracy_real``: the real-only accuracies per seed where already computed
    (:func:`real_only_accuracies` of the same real sets; the panel fits them while the
    generated records are still being measured). Returns ``{"accuracy_real",
    "accuracy_real_plus_generated", "gain", "n_train", "n_generated", "n_test", "seeds"}``.
    """
    x_train = classifier_features(train, dt)
    x_test = classifier_features(test, dt)
    x_gen = classifier_features(generated, dt)
    y_train = np.asarray(train_labels)
    y_test = np.asarray(test_labels)
    y_gen = np.asarray(generated_labels)
    if not (
        len(y_train) == len(x_train) and len(y_test) == len(x_test) and len(y_gen) == len(x_gen)
    ):
        raise ValueError("labels: expected one label per record in train, test and generated")
    if accuracy_real is None:
        accuracy_real = real_only_accuracies(
            x_train, y_train, x_test, y_test, dt, seeds=seeds, hidden=hidden
        )
    if len(accuracy_real) != len(seeds):
        raise ValueError(
            f"accuracy_real: expected one accuracy per seed ({len(seeds)}), "
            f"found {len(accuracy_real)}"
        )
    x_aug = np.concatenate([x_train, x_gen])
    y_aug = np.concatenate([y_train, y_gen])
    acc_real, acc_aug = list(accuracy_real), []
    for seed in seeds:
        augmented = MLPClassifier(hidden=hidden, seed=seed).fit(x_aug, y_aug)
        acc_aug.append(augmented.score(x_test, y_test))
    a_real, a_aug = float(np.mean(acc_real)), float(np.mean(acc_aug))
    return {
        "accuracy_real": a_real,
        "accuracy_real_plus_generated": a_aug,
        "gain": a_aug - a_real,
        "n_train": len(y_train),
        "n_generated": len(y_gen),
        "n_test": len(y_test),
        "seeds": list(seeds),
    }

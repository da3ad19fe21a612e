"""A small, deterministic classifier in NumPy/SciPy for the embedding and utility measures.

A multilayer perceptron (two tanh hidden layers, softmax output) trained by L-BFGS
(scipy.optimize.minimize) on cross-entropy with L2 weight decay: the objective and its
gradient are written out below (backpropagation; Bishop 2006, Pattern Recognition and
Machine Learning, section 5.3). Seeded initialisation (Glorot & Bengio 2010, eq. 16) and a
deterministic optimiser make every fit reproducible, which the cached panel relies on.
The penultimate layer is the embedding used by the embedding Frechet distance.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize

__all__ = ["MLPClassifier"]


@dataclass
class MLPClassifier:
    """``hidden``: sizes of the hidden layers; ``l2``: weight decay; ``max_iter``: L-BFGS steps."""

    hidden: tuple[int, ...] = (64, 32)
    l2: float = 1e-3
    max_iter: int = 300
    seed: int = 0
    classes_: np.ndarray | None = field(default=None, init=False)
    _mean: np.ndarray | None = field(default=None, init=False, repr=False)
    _std: np.ndarray | None = field(default=None, init=False, repr=False)
    _weights: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list, init=False)

    def _shapes(self, n_in: int, n_out: int) -> list[tuple[int, int]]:
        sizes = [n_in, *self.hidden, n_out]
        return list(itertools.pairwise(sizes))

    def _unpack(self, theta: np.ndarray, shapes) -> list[tuple[np.ndarray, np.ndarray]]:
        out, pos = [], 0
        for a, b in shapes:
            w = theta[pos : pos + a * b].reshape(a, b)
            pos += a * b
            out.append((w, theta[pos : pos + b]))
            pos += b
        return out

    def _forward(self, x: np.ndarray, weights) -> list[np.ndarray]:
        acts = [x]
        for i, (w, b) in enumerate(weights):
            # acts @ w + b, then tanh, in the product's array (no temporaries; same values).
            z = acts[-1] @ w
            z += b
            acts.append(np.tanh(z, out=z) if i < len(weights) - 1 else z)
        return acts

    def loss_and_grad(
        self, theta: np.ndarray, xs: np.ndarray, onehot: np.ndarray, sw: np.ndarray, shapes
    ) -> tuple[float, np.ndarray]:
        """Weighted cross-entropy plus L2 decay, and its gradient by backpropagation."""
        weights = self._unpack(theta, shapes)
        acts = self._forward(xs, weights)
        logits = acts[-1]  # a new array: shifted in place
        logits -= logits.max(axis=1, keepdims=True)
        logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        loss = -(sw * (onehot * logp).sum(axis=1)).sum()
        loss += 0.5 * self.l2 * sum((w * w).sum() for w, _ in weights)
        # Backpropagation: d loss / d logits = sw * (softmax - onehot).
        delta = sw[:, None] * (np.exp(logp) - onehot)
        grads = []
        for i in range(len(weights) - 1, -1, -1):
            w, _ = weights[i]
            gw = acts[i].T @ delta + self.l2 * w
            gb = delta.sum(axis=0)
            grads.append((gw, gb))
            if i > 0:
                # (delta @ w.T) * (1 - acts^2), the same operations without temporaries.
                slope = acts[i] * acts[i]
                np.subtract(1.0, slope, out=slope)
                delta = delta @ w.T
                delta *= slope
        grads.reverse()
        return loss, np.concatenate([np.concatenate([gw.ravel(), gb]) for gw, gb in grads])

    def fit(self, x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None):
        """Fit on features ``x`` (n, d) and labels ``y`` (n,); features are standardised."""
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y)
        if x.ndim != 2 or x.shape[0] != y.shape[0] or x.shape[0] == 0:
            raise ValueError(f"x, y: expected (n, d) and (n,), found {x.shape} and {y.shape}")
        self.classes_, codes = np.unique(y, return_inverse=True)
        self._mean = x.mean(axis=0)
        std = x.std(axis=0)
        self._std = np.where(std > 0, std, 1.0)
        xs = (x - self._mean) / self._std
        n, k = xs.shape[0], self.classes_.size
        onehot = np.zeros((n, k))
        onehot[np.arange(n), codes] = 1.0
        sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
        sw = sw / sw.sum()
        shapes = self._shapes(xs.shape[1], k)
        rng = np.random.default_rng(self.seed)
        theta0 = []
        for a, b in shapes:
            limit = np.sqrt(6.0 / (a + b))  # Glorot uniform
            theta0 += [rng.uniform(-limit, limit, a * b), np.zeros(b)]
        theta0 = np.concatenate(theta0)

        from threadpoolctl import threadpool_limits

        # Matrices of a few thousand entries: BLAS threads only add spinning on small machines.
        with threadpool_limits(limits=1, user_api="blas"):
            result = scipy.optimize.minimize(
                self.loss_and_grad,
                theta0,
                args=(xs, onehot, sw, shapes),
                jac=True,
                method="L-BFGS-B",
                options={"maxiter": self.max_iter},
            )
        self._weights = self._unpack(result.x, shapes)
        return self

    def _check(self) -> None:
        if not self._weights:
            raise ValueError("classifier: expected a fitted model, found an unfitted one")

    def embed(self, x: np.ndarray) -> np.ndarray:
        """Activations of the last hidden layer (the embedding), shape (n, hidden[-1])."""
        self._check()
        xs = (np.asarray(x, dtype=np.float64) - self._mean) / self._std
        return self._forward(xs, self._weights)[-2]

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        self._check()
        xs = (np.asarray(x, dtype=np.float64) - self._mean) / self._std
        logits = self._forward(xs, self._weights)[-1]
        logits = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.classes_[self.predict_proba(x).argmax(axis=1)]

    def score(self, x: np.ndarray, y: np.ndarray) -> float:
        """Accuracy on (x, y)."""
        return float(np.mean(self.predict(x) == np.asarray(y)))

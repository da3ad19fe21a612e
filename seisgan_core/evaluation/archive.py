"""The project's spectra and integrations of a record beside the archive's own products.

ITACA and ESM ship each record's velocity and displacement (``*.VEL.ASC``, ``*.DIS.ASC``) and
its 5 %-damped response spectra (``*.SA.ASC``, ``*.PSV.ASC``, ``*.SD.ASC``) beside the
acceleration. :func:`compare_with_archive` computes the project's counterpart of each product
from the acceleration (PSA with :func:`~seisgan_core.evaluation.response.psa` at the archive's
own periods, velocity with :func:`~seisgan_core.evaluation.intensity.velocity`, displacement by
integrating that velocity once more with the same baseline fit) and the difference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.integrate

from seisgan_core.evaluation.intensity import velocity
from seisgan_core.evaluation.response import psa

__all__ = ["compare_with_archive", "displacement"]

_TWO_PI = 2.0 * np.pi


def displacement(acc_cm_s2: np.ndarray, dt: float) -> np.ndarray:
    """Ground displacement (cm): :func:`velocity` integrated with the trapezoidal rule, less
    its least-squares line (the same baseline scheme one integration further)."""
    v = velocity(acc_cm_s2, dt)
    d = scipy.integrate.cumulative_trapezoid(v, dx=dt, axis=-1, initial=0.0)
    t = np.arange(d.shape[-1], dtype=np.float64)
    tc = t - t.mean()
    slope = (d @ tc) / (tc @ tc)
    return d - d.mean(axis=-1, keepdims=True) - slope[..., None] * tc


def _spectrum(kind: str, acc: np.ndarray, dt: float, periods: np.ndarray) -> np.ndarray:
    """SA (cm/s^2, as PSA), PSV (cm/s) or SD (cm) at ``periods``, 5 % damped."""
    a = psa(acc, dt, periods, damping=0.05)
    omega = _TWO_PI / periods
    return {"SA": a, "PSV": a / omega, "SD": a / omega**2}[kind]


def compare_with_archive(
    data_cm_s2: np.ndarray,
    sampling_rate_hz: float,
    components: Sequence[str],
    products: Mapping[str, Mapping[str, Any]],
) -> dict[str, dict[str, dict[str, np.ndarray]]]:
    """``{product: {component: {...}}}`` for every product the archive has.

    Spectra (SA, PSV, SD): ``periods`` (s), ``archive``, ``ours`` and ``difference_pct``
    (100 (ours - archive) / archive). Time series (VEL, DIS): ``time_s``, ``archive``, ``ours``
    and ``difference`` (ours - archive, in cm/s or cm), cut to the shorter of the two.
    ``products`` is what :func:`seisgan_core.catalog.record_products` returns.
    """
    dt = 1.0 / float(sampling_rate_hz)
    rows = {c: i for i, c in enumerate(components)}
    out: dict[str, dict[str, dict[str, np.ndarray]]] = {}
    for product, by_component in products.items():
        for component, trace in by_component.items():
            if component not in rows:
                continue
            acc = np.asarray(data_cm_s2[rows[component]], dtype=np.float64)
            theirs = np.asarray(trace.data, dtype=np.float64)
            if product in ("SA", "PSV", "SD"):
                periods = np.asarray(trace.periods, dtype=np.float64)
                ours = _spectrum(product, acc, dt, periods)
                with np.errstate(divide="ignore", invalid="ignore"):
                    diff = np.where(theirs != 0, 100.0 * (ours - theirs) / theirs, np.nan)
                entry = {"periods": periods, "archive": theirs, "ours": ours}
                entry["difference_pct"] = diff
            elif product in ("VEL", "DIS"):
                ours = (velocity if product == "VEL" else displacement)(acc, dt)
                n = min(ours.size, theirs.size)
                entry = {
                    "time_s": np.arange(n) * dt,
                    "archive": theirs[:n],
                    "ours": ours[:n],
                    "difference": ours[:n] - theirs[:n],
                }
            else:
                continue
            out.setdefault(product, {})[component] = entry
    return out

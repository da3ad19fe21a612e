"""Residuals of observed (or generated) PGA and SA against an Italian ground-motion model.

The model is Boore, Stewart, Seyhan & Atkinson (2014, Earthquake Spectra 30(3), "BSSA14")
with its regional anelastic attenuation for Italy (Delta c3 of Italy and Japan, their eq. 3
and Table 2), as implemented in pygmm (Kottke). Residuals are in natural-log units:
total r_ij = ln(observed_ij) - ln(median_ij); the between-event term of event i is the
random-effects estimate of Abrahamson & Youngs (1992, BSSA 82(1), eq. 10),
eta_i = tau^2 sum_j r_ij / (n_i tau^2 + phi^2), and the within-event residual
epsilon_ij = r_ij - eta_i. BSSA14 predicts RotD50; pass RotD50 (or the geometric mean of the
horizontals, close to it) as the observation.
"""

from __future__ import annotations

import functools
import logging
import re
import warnings

import numpy as np
import pandas as pd

__all__ = ["G_CM_S2", "gmm_residuals", "imt_column", "parse_imt", "residual_summary"]

#: Standard gravity in cm/s^2: pygmm predicts in g.
G_CM_S2 = 980.665

_DISTANCE_COLUMNS = ("rjb_km", "epicentral_distance_km")

# pygmm builds a model per scenario (all 107 periods at once, ~1 ms); the panel asks for three
# IMTs of the same records, so models are kept (exact inputs as the key) between calls.
_MODEL_CACHE: dict[tuple, object] = {}
_MODEL_CACHE_SIZE = 20_000


def parse_imt(imt: str) -> tuple[str, float | None]:
    """``"PGA"`` -> ("PGA", None); ``"SA(0.2)"`` -> ("SA", 0.2); ``"PGV"`` -> ("PGV", None)."""
    text = imt.strip().upper()
    if text in ("PGA", "PGV"):
        return text, None
    match = re.fullmatch(r"SA\(\s*([0-9.]+)\s*S?\s*\)", text)
    if match is None:
        raise ValueError(f"imt: expected 'PGA', 'PGV' or 'SA(T)' with T in s, found {imt!r}")
    return "SA", float(match.group(1))


def imt_column(imt: str) -> str:
    """Default column of observations for an IMT: pga_cm_s2, pgv_cm_s or psa_<T>s_cm_s2."""
    kind, period = parse_imt(imt)
    if kind == "PGA":
        return "pga_cm_s2"
    if kind == "PGV":
        return "pgv_cm_s"
    return f"psa_{period:g}s_cm_s2"


class _Coefficients:
    """pygmm's BSSA14 coefficient table (a NumPy record array) as plain contiguous arrays.

    pygmm reads a column (``c.e_0``, ``c.M_h``, ...) about 60 times per model; on a record
    array each read builds a strided view through Python-level ``__getattribute__`` (about
    a third of a model's build time). The values are the same, read by name or by key.
    """

    def __init__(self, table: np.recarray) -> None:
        for name in table.dtype.names:
            setattr(self, name, np.ascontiguousarray(table[name]))

    def __getitem__(self, name: str) -> np.ndarray:
        return getattr(self, name)


@functools.cache
def _bssa14_class():
    """pygmm's BSSA14 model with :class:`_Coefficients` for its table (the same equations,
    the same coefficients)."""
    import pygmm

    base = pygmm.BooreStewartSeyhanAtkinson2014
    return type("BooreStewartSeyhanAtkinson2014", (base,), {"COEFF": _Coefficients(base.COEFF)})


def _models(table: pd.DataFrame, distance: np.ndarray, region: str):
    import pygmm

    mechanism = (
        table["mechanism"].fillna("U").astype(str).to_numpy()
        if "mechanism" in table
        else np.full(len(table), "U")
    )
    mags = table["mw"].to_numpy(dtype=float)
    vs30 = table["vs30_m_s"].to_numpy(dtype=float)
    cache = _MODEL_CACHE
    model_class = _bssa14_class()
    logger = logging.getLogger("pygmm")
    previous = logger.level
    # pygmm logs (not warns) when a scenario leaves the model's recommended range; the
    # residual table keeps such records, and the caller sees the ranges in the docstring.
    logger.setLevel(logging.ERROR)
    try:
        out = []
        for mag, dist, v, mech in zip(mags, distance, vs30, mechanism, strict=True):
            key = (float(mag), float(dist), float(v), str(mech), region)
            model = cache.get(key)
            if model is None:
                if len(cache) >= _MODEL_CACHE_SIZE:
                    cache.clear()
                scenario = pygmm.Scenario(
                    mag=mag, dist_jb=dist, v_s30=v, mechanism=mech, region=region
                )
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    model = model_class(scenario)
                cache[key] = model
            out.append(model)
        return out
    finally:
        logger.setLevel(previous)


def _distance_column(table: pd.DataFrame) -> str:
    """The distance column to use (``rjb_km``, else ``epicentral_distance_km``), after
    checking that the table has the columns the model needs."""
    missing = [c for c in ("event_id", "mw", "vs30_m_s") if c not in table]
    dist_col = next((c for c in _DISTANCE_COLUMNS if c in table), None)
    if missing or dist_col is None:
        need = missing + ([] if dist_col else ["rjb_km or epicentral_distance_km"])
        raise ValueError(f"table: expected columns {need}, found {list(table.columns)}")
    return dist_col


def _observations(table: pd.DataFrame, imt: str, observed: str | np.ndarray | None) -> np.ndarray:
    """The observed amplitudes: a column of ``table`` (by default :func:`imt_column`) or
    one value per row; all must be positive."""
    if isinstance(observed, str) or observed is None:
        column = observed or imt_column(imt)
        if column not in table:
            raise ValueError(f"observed: expected a column {column!r}, found {list(table.columns)}")
        obs = table[column].to_numpy(dtype=float)
    else:
        obs = np.asarray(observed, dtype=float)
        if obs.shape != (len(table),):
            raise ValueError(f"observed: expected {len(table)} values, found shape {obs.shape}")
    if np.any(~(obs > 0)):
        raise ValueError("observed: expected positive amplitudes, found zero, negative or NaN")
    return obs


def _interp_rows(x: float, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """``np.interp(x, xp, row)`` for every row of ``fp`` (rows, len(xp)) at one ``x``, by
    np.interp's own formula (slope times offset plus the left value; ends clamped)."""
    j = int(np.searchsorted(xp, x, side="right")) - 1
    if j < 0:
        return fp[:, 0].copy()
    if j >= xp.size - 1 or xp[j] == x:
        return fp[:, min(j, xp.size - 1)].copy()
    slope = (fp[:, j + 1] - fp[:, j]) / (xp[j + 1] - xp[j])
    return slope * (x - xp[j]) + fp[:, j]


def _model_terms(models: list, kind: str, period: float | None) -> np.ndarray:
    """Median (cm/s^2, or cm/s for PGV), tau and phi of pygmm BSSA14 models, (3, models).

    What pygmm's ``pga``, ``pgv`` and ``interp_spec_accels`` give, for all models at once:
    the median of SA(T) interpolated linearly in log period (NaN outside the model's
    periods, as pygmm's interp1d); tau and phi, kept per tabulated period, interpolated the
    same way (clamped at the ends).
    """
    if not models:
        return np.empty((3, 0))
    first = models[0]
    ln_resp = np.array([m._ln_resp for m in models])
    tau = np.array([m._tau for m in models])
    phi = np.array([m._phi for m in models])
    if kind in ("PGA", "PGV"):
        index = first.INDEX_PGA if kind == "PGA" else first.INDEX_PGV
        # pygmm returns PGA in g and PGV in cm/s.
        scale = G_CM_S2 if kind == "PGA" else first.PGV_SCALE
        return np.stack([np.exp(ln_resp[:, index]) * scale, tau[:, index], phi[:, index]])
    psa = first.INDICES_PSA
    log_periods, x = np.log(first.PERIODS[psa]), np.log(period)
    median = np.exp(_interp_rows(x, log_periods, ln_resp[:, psa])) * G_CM_S2
    if not log_periods[0] <= x <= log_periods[-1]:
        median[:] = np.nan
    return np.stack([median, _interp_rows(x, log_periods, tau[:, psa]),
                     _interp_rows(x, log_periods, phi[:, psa])])  # fmt: skip


def _split_residuals(out: pd.DataFrame) -> None:
    """Add ``between_event``, ``within_event`` and ``normalised`` to a table of ``event_id``,
    ``total``, ``tau``, ``phi`` and ``sigma``: Abrahamson & Youngs (1992) eq. 10, with the
    event's mean tau^2 and phi^2 (grouped sums, no Python call per event)."""
    codes, _ = pd.factorize(out["event_id"], sort=False)
    known = codes >= 0  # a missing event_id (-1) gets NaN, as pandas' groupby gives it
    group = codes[known]
    size = np.bincount(group)
    # pandas' sum and count of each event's totals pass over NaN (an SA period outside
    # the model's range): such an event gets a between-event term of 0.
    total = out["total"].to_numpy(float)[known]
    counts = np.bincount(group, weights=~np.isnan(total))
    sums = np.bincount(group, weights=np.where(np.isnan(total), 0.0, total))
    tau2 = np.bincount(group, weights=out["tau"].to_numpy(float)[known] ** 2) / size
    phi2 = np.bincount(group, weights=out["phi"].to_numpy(float)[known] ** 2) / size
    between = np.full(len(out), np.nan)
    between[known] = (tau2 * sums / (counts * tau2 + phi2))[group]
    out["between_event"] = between
    out["within_event"] = out["total"] - out["between_event"]
    out["normalised"] = out["total"] / out["sigma"]


def gmm_residuals(
    table: pd.DataFrame,
    imt: str,
    model: str = "BSSA14",
    region: str = "italy",
    *,
    observed: str | np.ndarray | None = None,
) -> pd.DataFrame:
    """Total, between-event and within-event residuals of one IMT against BSSA14.

    ``table``: one row per record with ``event_id``, ``mw``, ``vs30_m_s`` and a distance:
    ``rjb_km`` (Joyner-Boore) where present, else ``epicentral_distance_km`` (the same for
    small events whose rupture is near a point; larger events get a conservative proxy);
    optionally ``mechanism`` (U, SS, NS, RS). ``imt``: "PGA", "PGV" or "SA(T)".
    ``observed``: a column name or array, in cm/s^2 (PGA, SA) or cm/s (PGV); by default
    :func:`imt_column`. BSSA14's range: Mw 3-8.5, Rjb up to 300 km, Vs30 150-1500 m/s.

    Returns a DataFrame aligned with ``table``: ``median`` (cm/s^2 or cm/s), ``ln_observed``,
    ``ln_median``, ``sigma``, ``tau``, ``phi``, ``total``, ``between_event``,
    ``within_event`` and ``normalised`` (total / sigma).
    """
    if model.upper() != "BSSA14":
        raise ValueError(f"model: expected 'BSSA14', found {model!r}")
    kind, period = parse_imt(imt)
    dist_col = _distance_column(table)
    obs = _observations(table, imt, observed)
    models = _models(table, table[dist_col].to_numpy(dtype=float), region)
    median, tau, phi = _model_terms(models, kind, period)
    ln_obs = np.log(obs)
    ln_med = np.log(median)
    out = pd.DataFrame(
        {
            "event_id": table["event_id"].to_numpy(),
            "median": median,
            "ln_observed": ln_obs,
            "ln_median": ln_med,
            "sigma": np.hypot(tau, phi),
            "tau": tau,
            "phi": phi,
            "total": ln_obs - ln_med,
        },
        index=table.index,
    )
    _split_residuals(out)
    return out


def residual_summary(residuals: pd.DataFrame) -> dict[str, float]:
    """Mean and standard deviation of each residual, with the model's own tau, phi, sigma.

    Between-event statistics are over events (one value each), the others over records.
    """
    events = residuals.groupby("event_id", sort=False)["between_event"].first()
    return {
        "n_records": len(residuals),
        "n_events": int(events.size),
        "mean_total": float(residuals["total"].mean()),
        "std_total": float(residuals["total"].std(ddof=0)),
        "mean_between_event": float(events.mean()),
        "std_between_event": float(events.std(ddof=0)),
        "mean_within_event": float(residuals["within_event"].mean()),
        "std_within_event": float(residuals["within_event"].std(ddof=0)),
        "model_tau": float(np.sqrt(np.mean(residuals["tau"] ** 2))),
        "model_phi": float(np.sqrt(np.mean(residuals["phi"] ** 2))),
        "model_sigma": float(np.sqrt(np.mean(residuals["sigma"] ** 2))),
    }

"""The whole evaluation panel: generated against real records, as one JSON-able dict.

``evaluate(generated, real, ...)`` computes every measure of this package on two sets of
three-component records (cm/s^2) and returns plain lists and numbers (no NumPy types), so the
result can be written to metrics.json, cached, and drawn by ``seisgan_core.viz.evaluation``.

Which real records serve what: distributions (spectra, intensity measures, residuals) use all
real records passed; baselines use the real split: Frechet distances are reported for
generated-vs-test beside train-vs-test (and as a ratio), the memorisation ratio compares
generated-to-train with test-to-train distances, and the embedding and downstream classifiers
train on the training split and score on the test split.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from seisgan_core.evaluate._arrays import as_float_array, check_dt
from seisgan_core.evaluate._version import PANEL_VERSION
from seisgan_core.evaluate.augmentation import augmentation_utility, magnitude_bins
from seisgan_core.evaluate.frechet import classifier_features, frechet_distance, train_embedding
from seisgan_core.evaluate.gmm import gmm_residuals, residual_summary
from seisgan_core.evaluate.intensity import (
    arias_intensity,
    cav,
    envelope,
    pga,
    pgv,
    significant_duration,
)
from seisgan_core.evaluate.response import DEFAULT_PERIODS_S, psa_and_rotd50
from seisgan_core.evaluate.similarity import dtw_distance, nearest_real
from seisgan_core.evaluate.spectra import fas, psd
from seisgan_core.evaluate.statistics import COMPONENTS, study_statistics

__all__ = ["PANEL_VERSION", "evaluate", "headline"]


#: Intensity measures for GMM residuals and the distance plots.
GMM_IMTS = ("PGA", "SA(0.2)", "SA(1.0)")

Progress = Callable[[float, str], None]


def _bands(values: np.ndarray, axis: int = 0) -> dict[str, list]:
    """Median and 16th/84th percentiles (the +/-1 sigma band of a lognormal), as lists."""
    q = np.percentile(values, [16, 50, 84], axis=axis)
    return {"p16": q[0].tolist(), "median": q[1].tolist(), "p84": q[2].tolist()}


def _log_bias(real_median: np.ndarray, gen_median: np.ndarray) -> float:
    """Mean |ln(generated median / real median)| over ordinates and components."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.log(np.asarray(gen_median) / np.asarray(real_median))
    ratio = ratio[np.isfinite(ratio)]
    return float(np.mean(np.abs(ratio))) if ratio.size else float("nan")


def _split_masks(n_real: int, real_split) -> tuple[np.ndarray, np.ndarray]:
    if real_split is None:
        # No split given: alternate records (deterministic, keeps both halves alike).
        train = np.arange(n_real) % 2 == 0
        return train, ~train
    split = np.asarray(real_split).astype(str)
    if split.shape != (n_real,):
        raise ValueError(f"real_split: expected {n_real} labels, found shape {split.shape}")
    train, test = split == "train", split == "test"
    if train.sum() < 2 or test.sum() < 2:
        raise ValueError(
            f"real_split: expected at least 2 'train' and 2 'test' records, "
            f"found {int(train.sum())} and {int(test.sum())}"
        )
    return train, test


def _distance_column(table: pd.DataFrame) -> str | None:
    for name in ("rjb_km", "epicentral_distance_km"):
        if name in table:
            return name
    return None


def _gmm_section(
    sets: dict[str, tuple[pd.DataFrame, dict[str, np.ndarray]]], periods: np.ndarray
) -> dict:
    """Residuals of PGA and SA(T) for each set, plus BSSA14 median curves against distance."""
    import pygmm

    out: dict = {"model": "BSSA14", "region": "italy", "imts": {}}
    for imt in GMM_IMTS:
        entry: dict = {}
        for name, (table, values) in sets.items():
            observed = np.asarray(values[imt], float)
            # Residuals are logarithms: records with a zero amplitude (a silent generated
            # record) are left out and counted.
            positive = np.isfinite(observed) & (observed > 0)
            if positive.sum() == 0:
                entry[name] = {"skipped": "no record with a positive amplitude"}
                continue
            table = table[positive].reset_index(drop=True)
            observed = observed[positive]
            res = gmm_residuals(table, imt, observed=observed)
            entry[name] = {
                "summary": residual_summary(res),
                "n_left_out_zero_amplitude": int((~positive).sum()),
                "distance_km": table[_distance_column(table)].astype(float).tolist(),
                "mw": table["mw"].astype(float).tolist(),
                "observed": observed.tolist(),
                "total": res["total"].tolist(),
                "within_event": res["within_event"].tolist(),
                "between_event": res["between_event"].tolist(),
            }
        # Median curve at the real set's median Mw and Vs30 (what the plot's line shows).
        ref_table = next(iter(sets.values()))[0]
        mw_ref = float(np.median(ref_table["mw"]))
        vs30_ref = float(np.median(ref_table["vs30_m_s"]))
        dist = np.geomspace(1.0, 300.0, 40)
        curve_table = pd.DataFrame(
            {
                "event_id": "curve",
                "mw": mw_ref,
                "vs30_m_s": vs30_ref,
                "rjb_km": dist,
            }
        )
        curve_res = gmm_residuals(curve_table, imt, observed=np.ones(dist.size))
        med, sig = curve_res["median"], curve_res["sigma"]
        entry["curve"] = {
            "mw": mw_ref,
            "vs30_m_s": vs30_ref,
            "distance_km": dist.tolist(),
            "median": med.tolist(),
            "sigma_ln": sig.tolist(),
        }
        out["imts"][imt] = entry
    out["pygmm_version"] = getattr(pygmm, "__version__", "")
    return out


def _single_blas_thread(func: Callable) -> Callable:
    """Run ``func`` with BLAS single-threaded.

    The response spectra already run on a thread per core, and OpenBLAS's spinning threads on
    an oversubscribed machine made the panel's matrix products 10-50 times slower in
    measurements on the 2-core development machine.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return func(*args, **kwargs)

    return wrapper


@_single_blas_thread
def evaluate(
    generated: np.ndarray,
    real: np.ndarray,
    *,
    dt: float = 0.005,
    real_split: np.ndarray | list[str] | None = None,
    real_conditions: pd.DataFrame | None = None,
    generated_conditions: pd.DataFrame | None = None,
    noise: np.ndarray | None = None,
    periods: np.ndarray | None = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> dict:
    """Compute the whole panel for ``generated`` against ``real`` records.

    ``generated``, ``real``: (n, 3, n_samples) in cm/s^2, components E, N, Z. ``real_split``:
    'train' / 'val' / 'test' per real record (the prepared set's ``split`` column); without
    it, alternate records play train and test. ``real_conditions`` / ``generated_conditions``:
    tables aligned with the records holding ``mw``, a distance (``rjb_km`` or
    ``epicentral_distance_km``), ``vs30_m_s`` and, for real records, ``event_id``; they enable
    the GMM residuals, the embedding Frechet distance and the magnitude task of the downstream
    test. ``noise``: noise-only windows (n, 3, n_samples, cm/s^2) for the earthquake-vs-noise
    task. Sections that lack their inputs hold ``{"skipped": reason}``.
    """
    dt = check_dt(dt)
    gen = as_float_array(generated, "generated").astype(np.float32)
    rea = as_float_array(real, "real").astype(np.float32)
    for name, arr in (("generated", gen), ("real", rea)):
        if arr.ndim != 3 or arr.shape[1] != 3:
            raise ValueError(f"{name}: expected (n_records, 3, n_samples), found {arr.shape}")
        if arr.shape[0] < 4:
            raise ValueError(f"{name}: expected at least 4 records, found {arr.shape[0]}")
    if gen.shape[2] != rea.shape[2]:
        raise ValueError(
            f"generated: expected {rea.shape[2]} samples like real, found {gen.shape[2]}"
        )
    periods = DEFAULT_PERIODS_S if periods is None else np.asarray(periods, float)
    train_mask, test_mask = _split_masks(rea.shape[0], real_split)
    timings: dict[str, float] = {}
    report = progress or (lambda fraction, message: None)

    def stage(name: str, start: float, end: float):
        class _Stage:
            def __enter__(self_inner):
                self_inner.t0 = time.perf_counter()
                report(start, name)
                return lambda f, m: report(start + (end - start) * f, m)

            def __exit__(self_inner, *exc):
                timings[name] = round(time.perf_counter() - self_inner.t0, 3)
                return False

        return _Stage()

    sets = {"real": rea, "generated": gen}
    result: dict = {
        "panel_version": PANEL_VERSION,
        "n_generated": int(gen.shape[0]),
        "n_real": int(rea.shape[0]),
        "n_real_train": int(train_mask.sum()),
        "n_real_test": int(test_mask.sum()),
        "n_samples": int(gen.shape[2]),
        "dt_s": dt,
        "units": "cm/s^2",
        "components": list(COMPONENTS),
    }

    with stage("statistics", 0.0, 0.02):
        result["study_statistics"] = {k: study_statistics(v) for k, v in sets.items()}
        # The study's tables are of z-scored records (each component on its own, as prepare
        # does): the same statistics on that scale, comparable with its Tables 5.2 and 5.3.
        result["study_statistics"]["normalised"] = {
            k: study_statistics(_zscore(v)) for k, v in sets.items()
        }

    with stage("spectra", 0.02, 0.12):
        fas_out: dict = {}
        psd_out: dict = {}
        log_fas: dict[str, np.ndarray] = {}
        for k, v in sets.items():
            freqs, amp = fas(v, dt)
            fas_out[k] = _bands(amp)
            log_fas[k] = np.log10(np.maximum(amp, 1e-12))
            pfreqs, power = psd(v, dt)
            psd_out[k] = _bands(power)
        fas_out["freqs_hz"] = freqs.tolist()
        fas_out["bandwidth"] = 40
        psd_out["freqs_hz"] = pfreqs.tolist()
        result["fas"] = fas_out
        result["psd"] = psd_out

    psa_values: dict[str, np.ndarray] = {}
    rot_values: dict[str, np.ndarray] = {}
    with stage("response spectra", 0.12, 0.55) as sub:
        psa_out: dict = {"periods_s": periods.tolist(), "damping": 0.05}
        rot_out: dict = {}
        for i, (k, v) in enumerate(sets.items()):
            values, rot = psa_and_rotd50(
                v, dt, periods, progress=lambda f, m, i=i: sub((i + f) / 2, m)
            )
            psa_values[k], rot_values[k] = values, rot
            psa_out[k] = _bands(values)
            rot_out[k] = _bands(rot)
        psa_out["rotd50"] = rot_out
        result["psa"] = psa_out

    imt_values: dict[str, dict[str, np.ndarray]] = {}
    with stage("intensity measures", 0.55, 0.62):
        intensity: dict = {}
        env_out: dict = {}
        env_sets: dict[str, np.ndarray] = {}
        step = max(1, round(0.1 / dt))  # envelopes drawn at 10 Hz
        for k, v in sets.items():
            vals = {
                "pga_cm_s2": pga(v),
                "pgv_cm_s": pgv(v, dt),
                "arias_m_s": arias_intensity(v, dt),
                "cav_cm_s": cav(v, dt),
                "d5_95_s": significant_duration(v, dt, 0.05, 0.95),
            }
            imt_values[k] = vals
            intensity[k] = {
                name: {"values": arr.tolist(), **_bands(arr)} for name, arr in vals.items()
            }
            env = envelope(v)[..., ::step]
            env_sets[k] = env
            env_out[k] = _bands(env)
        env_out["time_s"] = (np.arange(env_out["real"]["median"][0].__len__()) * step * dt).tolist()
        result["intensity"] = intensity
        result["envelope"] = env_out

    with stage("ground-motion model", 0.62, 0.70):
        tables = {"real": real_conditions, "generated": generated_conditions}
        usable = {}
        reasons = []
        for k, table in tables.items():
            if table is None:
                reasons.append(f"no {k} conditions")
                continue
            table = table.reset_index(drop=True)
            need = [c for c in ("mw", "vs30_m_s") if c not in table]
            if need or _distance_column(table) is None:
                reasons.append(f"{k} conditions lack {need or ['a distance']}")
                continue
            if len(table) != sets[k].shape[0]:
                raise ValueError(
                    f"{k}_conditions: expected {sets[k].shape[0]} rows, found {len(table)}"
                )
            if "event_id" not in table:
                # Generated records have no event: records sharing a magnitude form one.
                table = table.assign(event_id=table["mw"].round(2).astype(str))
            ok = table[["mw", "vs30_m_s", _distance_column(table)]].notna().all(axis=1)
            horizontal_pga = np.sqrt(
                imt_values[k]["pga_cm_s2"][:, 0] * imt_values[k]["pga_cm_s2"][:, 1]
            )
            j02 = int(np.argmin(np.abs(periods - 0.2)))
            j10 = int(np.argmin(np.abs(periods - 1.0)))
            values = {
                "PGA": horizontal_pga[ok.to_numpy()],
                "SA(0.2)": rot_values[k][ok.to_numpy(), j02],
                "SA(1.0)": rot_values[k][ok.to_numpy(), j10],
            }
            usable[k] = (table[ok].reset_index(drop=True), values)
        if "real" in usable:
            result["gmm"] = _gmm_section(usable, periods)
        else:
            result["gmm"] = {"skipped": "; ".join(reasons) or "no conditions"}

    with stage("frechet distances", 0.70, 0.78):
        fd: dict = {}
        # Classifier features (log-FAS bands, then log D5-95 per component) once per set; the
        # spectral Frechet distance uses their log-FAS part.
        cfeat = {
            k: classifier_features(v, dt, d5_95_s=imt_values[k]["d5_95_s"]) for k, v in sets.items()
        }
        spec = {k: f[:, : -sets[k].shape[1]] for k, f in cfeat.items()}
        s_gen_test = frechet_distance(spec["generated"], spec["real"][test_mask])
        s_train_test = frechet_distance(spec["real"][train_mask], spec["real"][test_mask])
        fd["spectral"] = {
            "generated_vs_test": s_gen_test,
            "generated_vs_train": frechet_distance(spec["generated"], spec["real"][train_mask]),
            "train_vs_test": s_train_test,
            "ratio": s_gen_test / s_train_test if s_train_test > 0 else None,
            "features": "log10 Konno-Ohmachi FAS at 16 frequencies x 3 components",
        }
        if (
            real_conditions is not None
            and {"mw"} <= set(real_conditions)
            and _distance_column(real_conditions)
        ):
            rc = real_conditions.reset_index(drop=True)
            dist_col = _distance_column(rc)
            model = train_embedding(
                cfeat["real"][train_mask],
                rc["mw"].to_numpy(float)[train_mask],
                rc[dist_col].to_numpy(float)[train_mask],
                dt,
                seed=seed,
            )
            emb = {
                "generated": model.embed(cfeat["generated"]),
                "train": model.embed(cfeat["real"][train_mask]),
                "test": model.embed(cfeat["real"][test_mask]),
            }
            e_gen_test = frechet_distance(emb["generated"], emb["test"])
            e_train_test = frechet_distance(emb["train"], emb["test"])
            fd["embedding"] = {
                "generated_vs_test": e_gen_test,
                "generated_vs_train": frechet_distance(emb["generated"], emb["train"]),
                "train_vs_test": e_train_test,
                "ratio": e_gen_test / e_train_test if e_train_test > 0 else None,
                "classifier_test_accuracy": model.accuracy(
                    cfeat["real"][test_mask],
                    rc["mw"].to_numpy(float)[test_mask],
                    rc[dist_col].to_numpy(float)[test_mask],
                ),
                "features": "last hidden layer (32) of an MLP on Mw x distance terciles",
            }
        else:
            fd["embedding"] = {"skipped": "no real conditions (mw, distance) to train on"}
        result["frechet"] = fd

    with stage("nearest real record", 0.78, 0.90) as sub:
        near = nearest_real(gen, rea[train_mask], real_test=rea[test_mask], progress=sub)
        result["nearest_real"] = near.to_dict()
        train_rows = np.flatnonzero(train_mask)
        # Row in ``real`` of each generated record's nearest training record (for side-by-side
        # plots), and the distances themselves.
        result["nearest_real"]["nearest_real_row"] = train_rows[near.index].tolist()
        result["nearest_real"]["distance"] = near.distance.tolist()
        # Cross-correlation and DTW of each generated record with its nearest real record,
        # and of each test record with its nearest training record (the baseline). The
        # shift-tolerant distance is 1 - the mean over components of the maximum normalised
        # cross-correlation, so the correlations come with the search.
        xc_gen = 1.0 - near.distance
        xc_test = 1.0 - near.baseline_distance
        env_real = env_sets["real"]
        dtw_gen = dtw_distance(
            _unit(env_sets["generated"]), _unit(env_real[train_rows[near.index]]), window=50
        )
        dtw_test = dtw_distance(
            _unit(env_real[test_mask]), _unit(env_real[train_rows[near.baseline_index]]), window=50
        )
        result["similarity"] = {
            "max_cross_correlation": {
                "generated_median": float(np.median(xc_gen)),
                "baseline_median": float(np.median(xc_test)),
                "note": "mean over components, z-scored records at 50 Hz, nearest real record",
            },
            "dtw_envelope": {
                "generated_median": float(np.median(dtw_gen)),
                "baseline_median": float(np.median(dtw_test)),
                "note": "unit-peak envelopes at 10 Hz, Sakoe-Chiba window 5 s",
            },
            "diversity": _diversity(spec["generated"], spec["real"]),
        }

    with stage("downstream classifiers", 0.90, 1.0):
        aug: dict = {}
        if noise is not None:
            nz = classifier_features(as_float_array(noise, "noise").astype(np.float32), dt)
            # Noise windows split in the proportion of the real train and test splits.
            share = train_mask.mean() / (train_mask.mean() + test_mask.mean())
            n_tr = min(max(2, round(nz.shape[0] * share)), nz.shape[0] - 2)
            x_train = np.concatenate([cfeat["real"][train_mask], nz[:n_tr]])
            y_train = np.concatenate([np.ones(train_mask.sum(), int), np.zeros(n_tr, int)])
            x_test = np.concatenate([cfeat["real"][test_mask], nz[n_tr:]])
            y_test = np.concatenate(
                [np.ones(test_mask.sum(), int), np.zeros(nz.shape[0] - n_tr, int)]
            )
            aug["earthquake_vs_noise"] = augmentation_utility(
                x_train,
                y_train,
                x_test,
                y_test,
                cfeat["generated"],
                np.ones(gen.shape[0], int),
                dt,
                seeds=(seed,),
            )
        else:
            aug["earthquake_vs_noise"] = {"skipped": "no noise windows"}
        if (
            real_conditions is not None
            and generated_conditions is not None
            and "mw" in real_conditions
            and "mw" in generated_conditions
        ):
            mw_real = real_conditions["mw"].to_numpy(float)
            y_train, edges = magnitude_bins(mw_real[train_mask])
            y_test, _ = magnitude_bins(mw_real[test_mask], edges)
            y_gen, _ = magnitude_bins(generated_conditions["mw"].to_numpy(float), edges)
            aug["magnitude_bin"] = augmentation_utility(
                cfeat["real"][train_mask],
                y_train,
                cfeat["real"][test_mask],
                y_test,
                cfeat["generated"],
                y_gen,
                dt,
                seeds=(seed,),
            )
        else:
            aug["magnitude_bin"] = {"skipped": "no magnitudes for real and generated records"}
        result["augmentation"] = aug

    result["summary"] = headline(result)
    result["timings_s"] = timings
    report(1.0, "done")
    return result


def _zscore(x: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    std = x.std(axis=-1, keepdims=True)
    return (x - mean) / np.where(std > 0, std, 1.0)


def _unit(x: np.ndarray) -> np.ndarray:
    peak = np.abs(x).max(axis=-1, keepdims=True)
    return (x / np.where(peak > 0, peak, 1.0)).astype(np.float64)


def _diversity(gen_feats: np.ndarray, real_feats: np.ndarray) -> dict:
    """Spread of each set in spectral-feature space: mean distance to the set's centroid.

    A collapsed generator (the study's mode collapse) has a much smaller spread than the
    real records; the ratio reads ~1 for a generator as diverse as the data.
    """
    g = np.linalg.norm(gen_feats - gen_feats.mean(0), axis=1).mean()
    r = np.linalg.norm(real_feats - real_feats.mean(0), axis=1).mean()
    return {"generated": float(g), "real": float(r), "ratio": float(g / r) if r > 0 else None}


def headline(result: dict) -> dict:
    """The scalars a dashboard tracks across epochs (lower is better unless noted)."""
    out: dict = {}
    fd = result.get("frechet", {})
    out["fd_spectral_ratio"] = fd.get("spectral", {}).get("ratio")
    out["fd_embedding_ratio"] = fd.get("embedding", {}).get("ratio")
    out["memorisation_ratio"] = result.get("nearest_real", {}).get("memorisation_ratio")
    if "fas" in result:
        out["fas_log_bias"] = _log_bias(
            result["fas"]["real"]["median"], result["fas"]["generated"]["median"]
        )
    if "psa" in result:
        out["psa_log_bias"] = _log_bias(
            result["psa"]["real"]["median"], result["psa"]["generated"]["median"]
        )
        out["rotd50_log_bias"] = _log_bias(
            result["psa"]["rotd50"]["real"]["median"],
            result["psa"]["rotd50"]["generated"]["median"],
        )
    if "intensity" in result:
        for name in ("pga_cm_s2", "arias_m_s", "d5_95_s"):
            out[f"{name}_median_ratio"] = float(
                np.median(result["intensity"]["generated"][name]["median"])
                / max(np.median(result["intensity"]["real"][name]["median"]), 1e-30)
            )
    div = result.get("similarity", {}).get("diversity", {})
    out["diversity_ratio"] = div.get("ratio")
    gmm = result.get("gmm", {})
    pga_entry = gmm.get("imts", {}).get("PGA", {})
    for name in ("generated", "real"):
        if "summary" in pga_entry.get(name, {}):
            out[f"gmm_pga_mean_residual_{name}"] = pga_entry[name]["summary"]["mean_total"]
    return out

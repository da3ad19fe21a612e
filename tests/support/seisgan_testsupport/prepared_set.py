"""A tiny prepared training set for tests, written exactly as docs/contracts.md section 2 says.

Each record is stochastic ground motion in the manner of Boore (2003, "Simulation of ground
motion using the stochastic method", PAGEOPH 160): band-limited Gaussian noise shaped by a
Saragoni & Hart (1974) envelope, with a P onset before the S onset, a corner frequency that
falls with magnitude and a duration that grows with distance. The records are then z-scored
per component, as ``prepare`` does, and their PGA kept as ``log10_pga_*``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

FS = 200.0


def _record(rng: np.random.Generator, length: int, mw: float, dist_km: float) -> np.ndarray:
    t = np.arange(length) / FS
    duration = length / FS
    t_p = 0.08 * duration + 0.02 * min(dist_km, 100.0) * duration / 40
    t_s = t_p * 1.6 + 0.02 * duration
    corner_hz = float(np.clip(10 ** (1.1 - 0.35 * (mw - 4.0)), 0.8, 20.0))
    out = np.empty((3, length))
    for c in range(3):
        noise = rng.standard_normal(length)
        spec = np.fft.rfft(noise)
        f = np.fft.rfftfreq(length, 1 / FS)
        # omega-square source (Brune 1970) times a high-frequency fall-off (kappa 0.04 s)
        shape = (f / corner_hz) ** 2 / (1 + (f / corner_hz) ** 2) * np.exp(-np.pi * 0.04 * f)
        x = np.fft.irfft(spec * shape, n=length)
        tau = np.clip(t - t_s, 0, None)
        width = 0.05 * duration * (1 + dist_km / 50)
        env_s = (tau / width) ** 2 * np.exp(-2 * tau / width)
        env_p = 0.3 * np.exp(-(((t - t_p) / (0.2 * width)) ** 2)) * (t > t_p - 0.4 * width)
        amp = 1.0 if c < 2 else 0.6
        out[c] = amp * x * (env_s + env_p)
    return out


def make_prepared_set(
    path: str | Path,
    *,
    n: int = 64,
    length: int = 8000,
    seed: int = 0,
    val_fraction: float = 0.2,
    nan_rows: tuple[int, ...] = (),
) -> Path:
    """Write waveforms.npy, records.parquet and manifest.json; return the folder."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    mw = rng.uniform(4.0, 6.5, n)
    dist = 10 ** rng.uniform(0.5, 2.2, n)
    depth = rng.uniform(2.0, 30.0, n)
    vs30 = rng.uniform(200.0, 900.0, n)
    waves = np.empty((n, 3, length), dtype=np.float32)
    rows = []
    for i in range(n):
        x = _record(rng, length, mw[i], dist[i])
        # amplitudes in cm/s^2 by a simple attenuation law (for the amplitude head's target)
        log10_pga = 0.4 + 0.45 * (mw[i] - 4.0) - 1.2 * np.log10(dist[i] + 5.0) + 1.5
        x_cm = (
            x
            / np.abs(x).max(axis=1, keepdims=True)
            * 10 ** (log10_pga + rng.normal(0, 0.2, (3, 1)))
        )
        mean, std = x_cm.mean(axis=1), x_cm.std(axis=1)
        waves[i] = ((x_cm - mean[:, None]) / std[:, None]).astype(np.float32)
        pga = np.log10(np.abs(x_cm).max(axis=1))
        rows.append(
            {
                "record_id": f"SYN.{i:04d}",
                "event_id": f"EV{i // 2:04d}",
                "mw": mw[i],
                "epicentral_distance_km": dist[i],
                "event_depth_km": depth[i],
                "vs30_m_s": vs30[i],
                "row": i,
                "cluster_id": i // 2,
                "mean_e": mean[0],
                "mean_n": mean[1],
                "mean_z": mean[2],
                "std_e": std[0],
                "std_n": std[1],
                "std_z": std[2],
                "log10_pga_e": pga[0],
                "log10_pga_n": pga[1],
                "log10_pga_z": pga[2],
            }
        )
    for r in nan_rows:
        waves[r, 1, length // 2] = np.nan
    table = pd.DataFrame(rows)
    n_val = max(1, round(val_fraction * n))
    split = np.array(["train"] * n, dtype=object)
    split[-n_val:] = "val"
    table["split"] = split
    np.save(path / "waveforms.npy", waves)
    table.to_parquet(path / "records.parquet")
    (path / "manifest.json").write_text(json.dumps({"source": "seisgan_testsupport.prepared_set"}))
    return path

"""Small inputs built per docs/contracts.md for the app's tests: a record table, a prepared
set and a run folder, with values chosen so that tests can check the numbers pages show."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from seisgan_core.catalog import read_records, to_table
from seisgan_core.io.esm_ascii import write_esm_ascii

NPTS = 8000
RATE_HZ = 200.0


def record_table(n_events: int = 4, n_stations: int = 5, *, seed: int = 0) -> pd.DataFrame:
    """Every event recorded at every station: n_events * n_stations rows, typed as RECORD_COLUMNS.

    Event k has Mw 4.0 + 0.5 k (so Mw 4.0, 4.5, 5.0, ...), depth 5 + 3 k km; station j has
    Vs30 250 + 200 j m/s; the last event has no Mw (missing stays missing).
    """
    rng = np.random.default_rng(seed)
    rows = []
    ec8 = ["C", "B", "B", "A", None]
    for k in range(n_events):
        ev_lat, ev_lon = 42.0 + 0.3 * k, 13.0 + 0.2 * k
        for j in range(n_stations):
            st_lat, st_lon = 41.5 + 0.4 * j, 12.5 + 0.3 * j
            distance = float(np.hypot(ev_lat - st_lat, (ev_lon - st_lon) * 0.74) * 111.2)
            rows.append(
                {
                    "record_id": f"EV{k:03d}.IT.ST{j:02d}..HN",
                    "event_id": f"EV{k:03d}",
                    "event_time": pd.Timestamp("2016-08-24T01:36:32", tz="UTC")
                    + pd.Timedelta(days=k),
                    "event_latitude": ev_lat,
                    "event_longitude": ev_lon,
                    "event_depth_km": 5.0 + 3.0 * k,
                    "mw": np.nan if k == n_events - 1 else 4.0 + 0.5 * k,
                    "ml": 4.1 + 0.5 * k,
                    "network": "IT",
                    "station": f"ST{j:02d}",
                    "location": "",
                    "station_latitude": st_lat,
                    "station_longitude": st_lon,
                    "vs30_m_s": 250.0 + 200.0 * j,
                    "ec8_class": ec8[j % len(ec8)],
                    "epicentral_distance_km": distance,
                    "sampling_rate_hz": RATE_HZ,
                    "npts": 6000 + 100 * j,
                    "components": "E,N,Z",
                    "pga_cm_s2": float(rng.uniform(5, 200)),
                    "source_format": "esm_ascii",
                    "source_path": f"data/raw/test/EV{k:03d}.ST{j:02d}.ASC",
                }
            )
    for row in rows:
        row["record_duration_s"] = row["npts"] / row["sampling_rate_hz"]
        row["kind"] = "earthquake"
    return to_table(rows)


def esm_archive(folder: Path, n_events: int = 4, n_stations: int = 5, *, npts: int = 2000) -> Path:
    """Real ESM ASCII files (DYNA 1.2, one per component) for the records of ``record_table``.

    Component c of record (k, j) is a 5 Hz burst of peak (k + 1) * (j + 1) * (c + 1) cm/s^2.
    """
    folder.mkdir(parents=True, exist_ok=True)
    table = record_table(n_events, n_stations)
    t = np.arange(npts) / RATE_HZ
    burst = np.sin(2 * np.pi * 5.0 * t) * np.exp(-(((t - 4.0) / 1.5) ** 2))
    burst /= np.abs(burst).max()
    for i, row in table.iterrows():
        k, j = divmod(i, n_stations)
        time = row["event_time"]
        for c, comp in enumerate("ENZ"):
            peak = (k + 1) * (j + 1) * (c + 1)
            header = {
                "EVENT_NAME": f"TEST {row['event_id']}",
                "EVENT_ID": row["event_id"],
                "EVENT_DATE_YYYYMMDD": time.strftime("%Y%m%d"),
                "EVENT_TIME_HHMMSS": time.strftime("%H%M%S"),
                "EVENT_LATITUDE_DEGREE": row["event_latitude"],
                "EVENT_LONGITUDE_DEGREE": row["event_longitude"],
                "EVENT_DEPTH_KM": row["event_depth_km"],
                "MAGNITUDE_W": None if pd.isna(row["mw"]) else row["mw"],
                "MAGNITUDE_L": row["ml"],
                "NETWORK": row["network"],
                "STATION_CODE": row["station"],
                "STATION_LATITUDE_DEGREE": row["station_latitude"],
                "STATION_LONGITUDE_DEGREE": row["station_longitude"],
                "LOCATION": "",
                "VS30_M/S": row["vs30_m_s"],
                "SITE_CLASSIFICATION_EC8": None if pd.isna(row["ec8_class"]) else row["ec8_class"],
                "EPICENTRAL_DISTANCE_KM": row["epicentral_distance_km"],
                "DATE_TIME_FIRST_SAMPLE_YYYYMMDD_HHMMSS": time.strftime("%Y%m%d_%H%M%S"),
                "SAMPLING_INTERVAL_S": 1.0 / RATE_HZ,
                "STREAM": f"HN{comp}",
                "UNITS": "cm/s^2",
                "DATA_TYPE": "ACCELERATION",
                "PGA_CM/S^2": float(peak),
            }
            name = f"IT.{row['station']}..HN{comp}.D.{row['event_id']}.ACC.ASC"
            write_esm_ascii(folder / name, peak * burst, header)
    return folder


def _waveforms(n: int, seed: int) -> np.ndarray:
    """Decaying 5 Hz bursts with noise, z-scored per component (the contract's normalisation)."""
    rng = np.random.default_rng(seed)
    t = np.arange(NPTS) / RATE_HZ
    envelope = np.where(t > 5, (t - 5) * np.exp(-(t - 5) / 3.0), 0.0)
    x = np.sin(2 * np.pi * 5.0 * t)[None, None, :] * envelope[None, None, :]
    x = x * rng.uniform(0.5, 2.0, size=(n, 3, 1)) + 0.01 * rng.standard_normal((n, 3, NPTS))
    x = (x - x.mean(axis=-1, keepdims=True)) / x.std(axis=-1, keepdims=True)
    return x.astype(np.float32)


def prepared_set(
    folder: Path,
    *,
    n_events: int = 4,
    n_stations: int = 5,
    seed: int = 0,
    archive: Path | None = None,
) -> Path:
    """A prepared set (contracts.md section 2): waveforms.npy, records.parquet, manifest.json.

    Splits by event: the first events train, then one val, the last test. With ``archive``
    (an ``esm_archive`` folder) the records are read from its files, so their waveforms exist.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if archive is not None:
        table = read_records([archive]).table.sort_values("record_id").reset_index(drop=True)
    else:
        table = record_table(n_events, n_stations, seed=seed)
    n = len(table)
    np.save(folder / "waveforms.npy", _waveforms(n, seed))
    split_of_event = {
        f"EV{k:03d}": ("test" if k == n_events - 1 else "val" if k == n_events - 2 else "train")
        for k in range(n_events)
    }
    table["row"] = np.arange(n)
    table["split"] = table["event_id"].astype(str).map(split_of_event)
    table["cluster_id"] = table["event_id"].astype(str).str[-1].astype(int)
    for c in "enz":
        table[f"mean_{c}"] = 0.0
        table[f"std_{c}"] = 10.0
        table[f"log10_pga_{c}"] = np.log10(table["pga_cm_s2"].to_numpy())
    table.to_parquet(folder / "records.parquet")
    (folder / "manifest.json").write_text(json.dumps({"selection": {}, "sources": [], "steps": []}))
    return folder


def run_folder(
    folder: Path,
    *,
    epochs: int = 3,
    of_epochs: int = 10,
    k: int = 2,
    state: str = "finished",
    pid: int = 0,
    conditions: list[str] | None = None,
) -> Path:
    """A run folder (contracts.md section 3) with ``epochs`` epochs of metrics and samples.

    Epoch e has loss_critic -1.0/e, loss_generator 0.5 e, wasserstein 1.0/e,
    gradient_penalty 0.1, seconds 2.0, samples_per_s 50 + e.
    """
    (folder / "samples").mkdir(parents=True, exist_ok=True)
    (folder / "checkpoints").mkdir(exist_ok=True)
    config = {
        "run_id": folder.name,
        "preset": "demo",
        "hyperparameters": {"epochs": of_epochs, "batch_size": 4, "latent_dim": 16},
        "conditions": conditions or [],
        "data": {"path": "data/processed/demo", "manifest_sha256": "0" * 64},
        "code_version": "test",
        "seed": 0,
        "created": "2026-11-27T06:00:00Z",
    }
    (folder / "config.json").write_text(json.dumps(config))
    lines = []
    rng = np.random.default_rng(1)
    for e in range(1, epochs + 1):
        stats = {
            source: {
                "min": [-4.4, -4.3, -4.2],
                "max": [4.5, 4.4, 4.3 + 0.01 * e],
                "mean": [0.05, 0.04, 0.03],
                "std": [1.0, 1.0, 1.0],
                "skewness": [0.1, 0.09, 0.08],
            }
            for source in ("real", "generated")
        }
        lines.append(
            json.dumps(
                {
                    "epoch": e,
                    "step": 10 * e,
                    "loss_critic": -1.0 / e,
                    "loss_generator": 0.5 * e,
                    "wasserstein": 1.0 / e,
                    "gradient_penalty": 0.1,
                    "grad_norm_critic": 1.0,
                    "grad_norm_generator": 1.0,
                    "seconds": 2.0,
                    "samples_per_s": 50.0 + e,
                    "val_score": 0.5,
                    "stats": stats,
                }
            )
        )
        samples = rng.standard_normal((k, 3, NPTS)).astype(np.float16)
        np.save(folder / "samples" / f"epoch_{e:04d}.npy", samples)
    (folder / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "samples" / "conditions.json").write_text(json.dumps([{} for _ in range(k)]))
    status = {
        "state": state,
        "pid": pid,
        "heartbeat": 1.0e9,
        "epoch": epochs,
        "epochs": of_epochs,
        "message": "test run",
    }
    (folder / "status.json").write_text(json.dumps(status))
    return folder

"""A small SeisBench data set in ESM25's layout, written with SeisBench's own writer from the
real L'Aquila 2009 records (the SeisBench tests and the end-to-end flow share it)."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from seisgan_core.io.itaca_legacy import read_cor_acc

ESM25_MP = tuple(f"{m}_mp_{a}" for m in ("acc", "vel", "dis") for a in "uvw")
DT = 0.005


def strings(values) -> np.ndarray:
    return np.array(list(values), dtype=h5py.string_dtype())


def esm25_format(orientation: bool = True) -> dict:
    fmt = {
        "dimension_order": "CW",
        "component_order": strings(ESM25_MP),
        "sampling_rate": 200.0,
        "measurement": strings(["acceleration"] * 3 + ["velocity"] * 3 + ["displacement"] * 3),
        "unit": strings(["m/s^2"] * 3 + ["m/s"] * 3 + ["m"] * 3),
    }
    if orientation:
        fmt["component_orientation"] = strings("ENZ" * 3)
    return fmt


def esm25_metadata(row) -> dict:
    """SeisBench's standard columns plus what an ESM-like set adds (Vs30, EC8, ML, PGA)."""
    return {
        "trace_name": f"{row.event_id}_{row.network}_{row.station}",
        "source_id": row.event_id,
        "source_origin_time": row.event_time.isoformat(),
        "source_latitude_deg": row.event_latitude,
        "source_longitude_deg": row.event_longitude,
        "source_depth_km": row.event_depth_km,
        "source_magnitude": row.mw,
        "source_magnitude_type": "Mw",
        "source_magnitude_ml": row.ml,
        "station_network_code": row.network,
        "station_code": row.station,
        "station_location_code": "",
        "station_latitude_deg": row.station_latitude,
        "station_longitude_deg": row.station_longitude,
        "station_vs30_mps": row.vs30_m_s,
        "station_ec8": "B*",
        "path_ep_distance_km": row.epicentral_distance_km,
        "trace_channel": "HN",
        "trace_sampling_rate_hz": row.sampling_rate_hz,
        "trace_npts": int(row.npts),
        "trace_pga_mps2": row.pga_cm_s2 / 100.0,
    }


def acc_m_s2(row) -> np.ndarray:
    """The record's E, N, Z samples in m/s^2 exactly as the .cor.acc files hold them."""
    files = str(row.source_files).split("|")
    traces = [read_cor_acc(path).data for path in files]
    npts = min(len(t) for t in traces)
    return np.stack([t[:npts] for t in traces])


def write_esm25_like(folder: Path, table: pd.DataFrame, data_format: dict) -> dict[str, tuple]:
    """Write the records with SeisBench's writer; return trace_name -> (row, acc, vel)."""
    import seisbench.data as sbd

    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    with sbd.WaveformDataWriter(folder / "metadata.csv", folder / "waveforms.hdf5") as writer:
        writer.metadata_dict = None  # no column renaming (pandas 3 warns on SeisBench's)
        writer.data_format = data_format
        for row in table.itertuples(index=False):
            acc = acc_m_s2(row)
            vel = np.cumsum(acc, axis=1) * DT
            dis = np.cumsum(vel, axis=1) * DT
            meta = esm25_metadata(row)
            writer.add_trace(meta, np.concatenate([acc, vel, dis]).astype(np.float32))
            written[meta["trace_name"]] = (row, acc, vel)
    return written

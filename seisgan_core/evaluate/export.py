"""Generated (or any) records to standard seismological formats, with their provenance.

``export_samples`` returns the bytes of one downloadable file (what the app's download buttons
serve); ``write_export`` writes it atomically. Formats, all written by ObsPy or pyasdf:

- ``asdf``: one HDF5 file; waveforms under the tag ``generated_acceleration`` and the
  provenance (run, epoch, conditions, units) as auxiliary data ``GenerationInfo/seisgan``,
  the layout ``seisgan generate`` writes.
- ``mseed``: one miniSEED file (float32 samples) plus ``provenance.json``, zipped.
- ``sac``: one SAC file per trace plus ``provenance.json``, zipped; each SAC header carries
  the record's magnitude (``mag``) and distance (``dist``) where known.
- ``csv``: one CSV per record (time_s, E, N, Z) plus ``provenance.json``, zipped.
- ``seisbench``: a folder in SeisBench's format (``metadata.csv``, ``waveforms.hdf5``,
  written by SeisBench's ``WaveformDataWriter``) plus ``provenance.json``: data_format says
  components E, N, Z, acceleration, cm/s^2; each trace's metadata carries its scenario
  (``source_magnitude`` Mw, ``path_ep_distance_km``, ``source_depth_km``,
  ``station_vs30_mps``) and provenance (``seisgan_run``, ``seisgan_checkpoint``,
  ``seisgan_epoch``, ``seisgan_seed``). Written by :func:`write_export` only (a folder).

Traces: network ``SG`` (synthetic), station ``G0000``..., channels ``HNE``, ``HNN``, ``HNZ``,
start 2000-01-01T00:00:00, samples in cm/s^2 unless ``provenance["units"]`` says otherwise.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from seisgan_core.evaluate._arrays import as_float_array, check_dt

__all__ = ["EXPORT_FORMATS", "FOLDER_FORMATS", "export_samples", "write_export"]

EXPORT_FORMATS = ("asdf", "mseed", "sac", "csv")  # one file each (the app's downloads)
FOLDER_FORMATS = ("seisbench",)  # a folder, written by write_export only
_EXTENSIONS = {"asdf": ".h5", "mseed": ".zip", "sac": ".zip", "csv": ".zip"}
COMPONENTS = "ENZ"


def _traces(waveforms: np.ndarray, dt: float, conditions: list[dict] | None):
    import obspy

    start = obspy.UTCDateTime(2000, 1, 1)
    stream = obspy.Stream()
    for i, wave in enumerate(waveforms):
        for c, comp in enumerate(COMPONENTS):
            stream.append(
                obspy.Trace(
                    data=np.ascontiguousarray(wave[c], dtype=np.float32),
                    header={
                        "network": "SG",
                        "station": f"G{i:04d}",
                        "location": "",
                        "channel": f"HN{comp}",
                        "delta": dt,
                        "starttime": start,
                    },
                )
            )
    return stream


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def export_samples(
    waveforms: np.ndarray,
    fmt: str,
    *,
    dt: float = 0.005,
    provenance: dict[str, Any] | None = None,
    conditions: list[dict[str, float]] | None = None,
) -> bytes:
    """The bytes of one file holding ``waveforms`` (n, 3, n_samples) in format ``fmt``.

    ``provenance``: JSON-able facts (run, epoch, checkpoint, seed, units, ...); ``conditions``:
    one scenario dict per record (e.g. ``{"mw": 5.5, "distance_km": 20}``) or None.
    """
    fmt = fmt.lower()
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"fmt: expected one of {', '.join(EXPORT_FORMATS)}, found {fmt!r}")
    dt = check_dt(dt)
    x = as_float_array(waveforms, "waveforms")
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or x.shape[1] != 3:
        raise ValueError(f"waveforms: expected (n, 3, n_samples), found {x.shape}")
    if conditions is not None and len(conditions) != x.shape[0]:
        raise ValueError(f"conditions: expected {x.shape[0]} scenarios, found {len(conditions)}")
    meta = {
        "units": "cm/s^2",
        **(provenance or {}),
        "format": fmt,
        "n_records": int(x.shape[0]),
        "sampling_rate_hz": 1.0 / dt,
        "components": list(COMPONENTS),
        "network": "SG",
        "stations": [f"G{i:04d}" for i in range(x.shape[0])],
        "conditions": conditions,
    }
    meta_json = json.dumps(meta, indent=2, default=str).encode()
    if fmt == "csv":
        files = {"provenance.json": meta_json}
        t = np.arange(x.shape[2]) * dt
        for i, wave in enumerate(x):
            table = np.column_stack([t, wave.T])
            text = io.StringIO()
            np.savetxt(text, table, delimiter=",", fmt="%.6g", header="time_s,E,N,Z", comments="")
            files[f"G{i:04d}.csv"] = text.getvalue().encode()
        return _zip(files)
    stream = _traces(x, dt, conditions)
    if fmt == "mseed":
        buffer = io.BytesIO()
        stream.write(buffer, format="MSEED", encoding="FLOAT32")
        return _zip({"generated.mseed": buffer.getvalue(), "provenance.json": meta_json})
    if fmt == "sac":
        files = {"provenance.json": meta_json}
        for k, trace in enumerate(stream):
            i = k // 3
            scenario = (conditions or [{}] * x.shape[0])[i] or {}
            trace.stats.sac = {
                "kuser0": "seisgan",
                "kevnm": str(meta.get("run", ""))[-16:],
            }
            if "mw" in scenario:
                trace.stats.sac["mag"] = float(scenario["mw"])
            distance = scenario.get("distance_km", scenario.get("epicentral_distance_km"))
            if distance is not None:
                trace.stats.sac["dist"] = float(distance)
            buffer = io.BytesIO()
            trace.write(buffer, format="SAC")
            files[f"{trace.id}.sac"] = buffer.getvalue()
        return _zip(files)
    # ASDF: pyasdf writes HDF5 files only, so go through a temporary file.
    import pyasdf

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "generated.h5"
        with pyasdf.ASDFDataSet(str(path), mode="w", compression=None) as ds:
            ds.add_waveforms(stream, tag="generated_acceleration")
            log10_pga = np.log10(np.maximum(np.abs(x).max(axis=-1), 1e-12))
            ds.add_auxiliary_data(
                data=log10_pga.astype(np.float64),
                data_type="GenerationInfo",
                path="seisgan",
                parameters={
                    "run": str(meta.get("run", "")),
                    "epoch": int(meta.get("epoch") or 0),
                    "units": str(meta["units"]),
                    "metadata_json": meta_json.decode(),
                },
            )
        return path.read_bytes()


def write_export(path: str | Path, waveforms: np.ndarray, fmt: str, **kwargs: Any) -> Path:
    """Write :func:`export_samples` to ``path`` atomically (temporary file, then rename).

    A path without a suffix gets the format's (``.h5`` for ASDF, ``.zip`` for the others).
    """
    from seisgan_core.fsutil import atomic_write

    path = Path(path)
    if fmt.lower() == "seisbench":
        return _write_seisbench(path, waveforms, **kwargs)
    if not path.suffix:
        path = path.with_suffix(_EXTENSIONS[fmt.lower()])
    data = export_samples(waveforms, fmt, **kwargs)
    with atomic_write(path) as handle:
        handle.write(data)
    return path


def _scenario_metadata(scenario: dict[str, Any]) -> dict[str, Any]:
    """SeisBench metadata columns of one generated record's scenario."""
    out: dict[str, Any] = {}
    if scenario.get("mw") is not None:
        out["source_magnitude"] = float(scenario["mw"])
        out["source_magnitude_type"] = "Mw"
    distance = scenario.get("distance_km", scenario.get("epicentral_distance_km"))
    if distance is None and scenario.get("log10_distance_km") is not None:
        distance = 10.0 ** float(scenario["log10_distance_km"])
    if distance is not None:
        out["path_ep_distance_km"] = float(distance)
    depth = scenario.get("depth_km", scenario.get("event_depth_km"))
    if depth is not None:
        out["source_depth_km"] = float(depth)
    if scenario.get("vs30_m_s") is not None:
        out["station_vs30_mps"] = float(scenario["vs30_m_s"])
    return out


def _write_seisbench(
    path: Path,
    waveforms: np.ndarray,
    *,
    dt: float = 0.005,
    provenance: dict[str, Any] | None = None,
    conditions: list[dict[str, float]] | None = None,
) -> Path:
    """Generated records as a SeisBench data set folder (see the module's docstring)."""
    from seisgan_core.io.seisbench import write_seisbench_dataset

    dt = check_dt(dt)
    x = as_float_array(waveforms, "waveforms")
    x = x[None] if x.ndim == 2 else x
    if x.ndim != 3 or x.shape[1] != 3:
        raise ValueError(f"waveforms: expected (n, 3, n_samples), found {x.shape}")
    if conditions is not None and len(conditions) != x.shape[0]:
        raise ValueError(f"conditions: expected {x.shape[0]} scenarios, found {len(conditions)}")
    prov = dict(provenance or {})
    units = str(prov.get("units", "cm/s^2"))
    unit = "cm/s^2" if units.replace("^", "") in ("cm/s2", "cm/s^2") else "none/normalized"
    common = {
        "seisgan_run": str(prov.get("run", "")),
        "seisgan_checkpoint": str(prov.get("checkpoint", "")),
        "seisgan_epoch": prov.get("epoch"),
        "seisgan_seed": prov.get("seed"),
        "station_network_code": "SG",
        "station_location_code": "",
        "trace_channel": "HN",
        "trace_start_time": "2000-01-01T00:00:00.000000Z",
        "trace_category": "generated",
    }
    rows = [
        {
            "trace_name": f"G{i:04d}",
            "source_id": f"G{i:04d}",
            "station_code": f"G{i:04d}",
            **common,
            **_scenario_metadata((conditions or [{}] * len(x))[i] or {}),
        }
        for i in range(len(x))
    ]
    meta = {**prov, "writer": "seisgan", "format": "seisbench", "units": unit,
            "n_records": len(x), "sampling_rate_hz": 1.0 / dt,
            "components": list(COMPONENTS), "conditions": conditions}  # fmt: skip
    extra = {"provenance.json": json.dumps(meta, indent=2, default=str).encode()}
    return write_seisbench_dataset(
        path, x, rows, sampling_rate_hz=1.0 / dt, unit=unit, extra_files=extra
    )

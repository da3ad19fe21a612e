"""Generated (or any) records to standard seismological formats, with their provenance.

``export_samples`` returns the bytes of one downloadable file (what the app's download buttons
serve); ``write_export`` writes it atomically. Formats, all written by ObsPy or pyasdf:

- ``asdf``: one HDF5 file; waveforms under the tag ``generated_acceleration`` and the
  provenance (run, epoch, conditions, units) as auxiliary data ``GenerationInfo/seisgan``,
  the layout ``seisgan generate`` writes.
- ``mseed``: one miniSEED file (float32 samples) plus ``provenance.json``, zipped.
- ``sac``: one SAC file per trace plus ``provenance.json``, zipped; each SAC header carries
  the record's scenario: ``mag`` (Mw), ``dist`` (km), ``evdp`` (km), ``user0`` (Vs30).
- ``csv``: one CSV per record (time_s, E, N, Z) plus ``provenance.json``, zipped.
- ``seisbench``: a folder in SeisBench's format (``metadata.csv``, ``waveforms.hdf5``,
  written by SeisBench's ``WaveformDataWriter``) plus ``provenance.json``: data_format says
  components E, N, Z, acceleration, cm/s^2; each trace's metadata carries its scenario
  (``source_magnitude`` Mw, ``path_ep_distance_km``, ``source_depth_km``,
  ``station_vs30_mps``) and provenance (``seisgan_run``, ``seisgan_checkpoint``,
  ``seisgan_epoch``, ``seisgan_seed``). Written by :func:`write_export` only (a folder).

Traces: network ``SG`` (synthetic), station ``G0000``..., channels ``HNE``, ``HNN``, ``HNZ``,
record i starting i hours after the moment the records were generated (``provenance
["created"]``), samples in cm/s^2 unless ``provenance["units"]`` says otherwise. The scenario
travels with each trace: ASDF associates record i's traces with a QuakeML event of its scenario
(Mw, depth), SAC headers carry mag (Mw), dist, evdp and user0 (Vs30).
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from seisgan_core.errors import ConfigError
from seisgan_core.evaluation._arrays import as_float_array, check_dt

__all__ = [
    "EXPORT_FORMATS",
    "FOLDER_FORMATS",
    "export_samples",
    "record_starts",
    "scenario_event",
    "traces_of",
    "write_export",
    "write_generated_asdf",
]

EXPORT_FORMATS = ("asdf", "mseed", "sac", "csv")  # one file each (the app's downloads)
FOLDER_FORMATS = ("seisbench",)  # a folder, written by write_export only
_EXTENSIONS = {"asdf": ".h5", "mseed": ".zip", "sac": ".zip", "csv": ".zip"}
COMPONENTS = "ENZ"


def record_starts(n: int, created: str | None = None) -> list:
    """Each generated record's start time: the moment it was generated (``created``, ISO
    8601, as ``GeneratedSamples.metadata`` gives it; now where missing), one hour apart, so that
    records of different scenarios never overlap when their streams are merged."""
    import obspy

    try:
        first = obspy.UTCDateTime(created) if created else obspy.UTCDateTime()
    except (TypeError, ValueError):
        first = obspy.UTCDateTime()
    first = obspy.UTCDateTime(int(first.timestamp))  # to the second
    return [first + 3600.0 * i for i in range(n)]


def _scenario(conditions: list[dict] | None, i: int) -> dict[str, Any]:
    return dict((conditions or [])[i] or {}) if conditions and i < len(conditions) else {}


def _distance(scenario: dict[str, Any]) -> float | None:
    value = scenario.get("distance_km", scenario.get("epicentral_distance_km"))
    return None if value is None else float(value)


def scenario_event(i: int, scenario: dict[str, Any], origin_time):
    """A QuakeML event for generated record ``i``'s scenario (Mw, depth; no epicentre: a
    generated record has none), its origin at the record's first sample; None without Mw."""
    from obspy.core.event import Event, EventDescription, Magnitude, Origin, ResourceIdentifier

    if scenario.get("mw") is None:
        return None
    origin = Origin(
        resource_id=ResourceIdentifier(f"smi:local/seisgan/generated/G{i:04d}/origin"),
        time=origin_time,
        depth=None if scenario.get("depth_km") is None else float(scenario["depth_km"]) * 1000.0,
    )
    magnitude = Magnitude(
        resource_id=ResourceIdentifier(f"smi:local/seisgan/generated/G{i:04d}/magnitude"),
        mag=float(scenario["mw"]),
        magnitude_type="Mw",
        origin_id=origin.resource_id,
    )
    text = ", ".join(f"{k} {v:g}" for k, v in scenario.items() if isinstance(v, int | float))
    return Event(
        resource_id=ResourceIdentifier(f"smi:local/seisgan/generated/G{i:04d}"),
        event_type="earthquake",
        origins=[origin],
        magnitudes=[magnitude],
        preferred_origin_id=origin.resource_id,
        preferred_magnitude_id=magnitude.resource_id,
        event_descriptions=[EventDescription(text=f"generated scenario: {text}")],
    )


def traces_of(waveforms: np.ndarray, dt: float, starts: list):
    import obspy

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
                        "starttime": starts[i],
                    },
                )
            )
    return stream


def _sac_header(scenario: dict[str, Any], run: str) -> dict[str, Any]:
    """SAC header fields of a generated record's scenario: mag (Mw), dist (km), evdp (km),
    user0 (Vs30, m/s), origin time o = 0 (the first sample)."""
    header: dict[str, Any] = {"kuser0": "seisgan", "kevnm": run[-16:], "o": 0.0}
    if scenario.get("mw") is not None:
        header["mag"] = float(scenario["mw"])
    if _distance(scenario) is not None:
        header["dist"] = _distance(scenario)
    if scenario.get("depth_km") is not None:
        header["evdp"] = float(scenario["depth_km"])
    if scenario.get("vs30_m_s") is not None:
        header["user0"] = float(scenario["vs30_m_s"])
        header["kuser1"] = "vs30m/s"
    return header


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
        raise ConfigError(f"fmt: expected one of {', '.join(EXPORT_FORMATS)}, found {fmt!r}")
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
    starts = record_starts(x.shape[0], meta.get("created"))
    stream = traces_of(x, dt, starts)
    if fmt == "mseed":
        buffer = io.BytesIO()
        stream.write(buffer, format="MSEED", encoding="FLOAT32")
        return _zip({"generated.mseed": buffer.getvalue(), "provenance.json": meta_json})
    if fmt == "sac":
        files = {"provenance.json": meta_json}
        for k, trace in enumerate(stream):
            trace.stats.sac = _sac_header(_scenario(conditions, k // 3), str(meta.get("run", "")))
            buffer = io.BytesIO()
            trace.write(buffer, format="SAC")
            files[f"{trace.id}.sac"] = buffer.getvalue()
        return _zip(files)
    # ASDF: pyasdf writes HDF5 files only, so go through a temporary file.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "generated.h5"
        log10_pga = np.log10(np.maximum(np.abs(x).max(axis=-1), 1e-12))
        parameters = {
            "run": str(meta.get("run", "")),
            "epoch": int(meta.get("epoch") or 0),
            "units": str(meta["units"]),
            "metadata_json": meta_json.decode(),
        }
        write_generated_asdf(
            path, stream, conditions, starts, tag="generated_acceleration",
            log10_pga=log10_pga, parameters=parameters,
        )  # fmt: skip
        return path.read_bytes()


def write_generated_asdf(
    path: str | Path,
    stream,
    conditions: list[dict] | None,
    starts: list,
    *,
    tag: str,
    log10_pga: np.ndarray,
    parameters: dict[str, Any],
) -> None:
    """Generated records as ASDF (pyasdf): the three traces of record i under ``tag``,
    associated with an event of its scenario (Mw, depth; QuakeML) where it has one, and the
    provenance as auxiliary data ``GenerationInfo/seisgan`` (log10 PGA per record and
    component). The one writer behind ``export --format asdf`` and ``generate --out X.h5``."""
    import obspy
    import pyasdf

    with pyasdf.ASDFDataSet(str(path), mode="w", compression=None) as ds:
        events = [scenario_event(i, _scenario(conditions, i), t) for i, t in enumerate(starts)]
        catalog = obspy.Catalog([e for e in events if e is not None])
        if len(catalog):
            ds.add_quakeml(catalog)
        for i, event in enumerate(events):
            traces = obspy.Stream(stream[3 * i : 3 * i + 3])
            ds.add_waveforms(traces, tag=tag, event_id=event)
        ds.add_auxiliary_data(
            data=np.asarray(log10_pga, dtype=np.float64),
            data_type="GenerationInfo",
            path="seisgan",
            parameters=parameters,
        )


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
        "trace_category": "generated",
    }
    starts = record_starts(len(x), prov.get("created"))
    rows = [
        {
            "trace_name": f"G{i:04d}",
            "trace_start_time": str(starts[i]),
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

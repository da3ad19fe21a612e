"""SeisBench data sets (``metadata.csv`` + ``waveforms.hdf5``) as records, and back.

A *source* is either the folder of a data set in SeisBench's format, or ``seisbench:NAME``
for one of SeisBench's named data sets (``ESM25GoodMP``, ``ESM25GoodCV``, ``AQ2009GM``...),
read from SeisBench's cache (``$SEISBENCH_CACHE_ROOT/datasets/<name>``). A named set that is
not cached is downloaded by SeisBench (with its own progress) only when its server answers
within ``timeout_s``; otherwise :class:`SeisbenchUnavailableError` names the set and the
cache path. A small JSON *descriptor* (``{"format": "seisgan-seisbench-source", "dataset":
..., "where": ...}``, written by ``seisgan ingest --seisbench ... --source-file``) holds a
source and its filter, so that ``prepare`` can re-open it like any archive.

Which three components are the acceleration, in which order and in which unit is read from
the data set's ``data_format`` (``component_order``, ``measurement``, ``unit``, optional
``component_orientation``) and checked, never assumed:

- component names are SEED letters (``Z``, ``N``, ``E``, ``1``, ``2``, ``3``) or ESM25's
  ``<measurement>_<processing>_<axis>`` (``acc_mp_u``); axes ``u``/``v``/``w`` become E/N/Z
  only where ``data_format['component_orientation']`` (one letter per component) says so,
  else the horizontals stay non-geographic (``1``, ``2``) and ``w`` is the vertical;
- ``measurement`` (one for all, or one per component) must be acceleration; a name's prefix
  (``acc``/``vel``/``dis``) must agree with it; with no ``measurement`` the prefix decides;
- ``unit`` (one or per component) must convert to cm/s^2 (``m/s^2``, ``mps2``, ``cm/s^2``,
  ``gal``, ``mm/s^2``, ``g``).

Waveforms are read lazily through ``seisbench.data.WaveformDataset``, one record at a time.
"""

from __future__ import annotations

import difflib
import json
import logging
import math
import os
import re
import socket
import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import pandas as pd

from seisgan_core.io.errors import FormatError, SeisganIOError

__all__ = [
    "DESCRIPTOR_FORMAT",
    "NAMED_PREFIX",
    "AccelerationPlan",
    "SeisbenchUnavailableError",
    "acceleration_plan",
    "cache_path",
    "is_descriptor",
    "is_seisbench_folder",
    "open_source",
    "read_descriptor",
    "read_seisbench_record",
    "read_seisbench_rows",
    "resolve_source",
    "source_data_files",
    "write_descriptor",
    "write_seisbench_dataset",
]

NAMED_PREFIX = "seisbench:"
DESCRIPTOR_FORMAT = "seisgan-seisbench-source"

# unit text (lower case, spaces removed) -> factor to cm/s^2
_UNITS = {
    "m/s^2": 100.0,
    "m/s**2": 100.0,
    "m/s2": 100.0,
    "m/s/s": 100.0,
    "ms-2": 100.0,
    "ms^-2": 100.0,
    "mps2": 100.0,
    "cm/s^2": 1.0,
    "cm/s**2": 1.0,
    "cm/s2": 1.0,
    "cm/s/s": 1.0,
    "cms-2": 1.0,
    "cmps2": 1.0,
    "gal": 1.0,
    "mm/s^2": 0.1,
    "mm/s2": 0.1,
    "g": 980.665,
}
_MEASUREMENTS = {
    "acc": "acceleration",
    "acceleration": "acceleration",
    "vel": "velocity",
    "velocity": "velocity",
    "dis": "displacement",
    "displacement": "displacement",
}
_NAME = re.compile(r"^(?P<meas>acc|vel|dis)(?:_(?P<proc>[a-z0-9]+))?_(?P<axis>[a-z0-9])$", re.I)
_AXIS_DEFAULT = {"u": "1", "v": "2", "w": "Z"}
_SEED = {"E", "N", "Z", "1", "2", "3"}
_HORIZONTAL_ORDER = {"E": 0, "N": 1, "1": 2, "2": 3, "3": 4}


class SeisbenchUnavailableError(SeisganIOError):
    """A named SeisBench data set is neither cached nor downloadable now."""


# --------------------------------------------------------------------------- sources


def is_seisbench_folder(path: str | Path) -> bool:
    """True for a folder holding a SeisBench data set (metadata*.csv beside waveforms*.hdf5)."""
    path = Path(path)
    if not path.is_dir():
        return False
    names = {p.name for p in path.iterdir() if p.is_file()}
    metas = {n[len("metadata") : -len(".csv")] for n in names if _is_meta(n)}
    waves = {n[len("waveforms") : -len(".hdf5")] for n in names if _is_wave(n)}
    return bool(metas & waves)


def _is_meta(name: str) -> bool:
    return name.startswith("metadata") and name.endswith(".csv")


def _is_wave(name: str) -> bool:
    return name.startswith("waveforms") and name.endswith(".hdf5")


def is_descriptor(path: str | Path) -> bool:
    """True for a seisgan SeisBench source descriptor (a small JSON file)."""
    path = Path(path)
    if not path.is_file() or path.stat().st_size > 65536:
        return False
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, ValueError):
        return False
    return isinstance(data, dict) and data.get("format") == DESCRIPTOR_FORMAT


def read_descriptor(path: str | Path) -> tuple[str, str | None]:
    """(source, where) from a descriptor; a folder given relative is taken from its folder."""
    path = Path(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("format") != DESCRIPTOR_FORMAT:
        raise FormatError(path, None, f"format {DESCRIPTOR_FORMAT!r}", repr(data), field="format")
    source = data.get("dataset")
    if not isinstance(source, str) or not source:
        raise FormatError(path, None, "a data set name or folder", repr(source), field="dataset")
    where = data.get("where")
    if where is not None and not isinstance(where, str):
        raise FormatError(path, None, "a pandas query text or null", repr(where), field="where")
    if not source.startswith(NAMED_PREFIX) and not os.path.isabs(source):
        source = os.path.abspath(path.parent / source)
    return source, where or None


def write_descriptor(path: str | Path, source: str, where: str | None) -> Path:
    """Write a descriptor (atomically); refuses to replace a file that is not a descriptor."""
    from seisgan_core.fsutil import atomic_write_json

    path = Path(path)
    if path.exists() and not is_descriptor(path):
        raise FileExistsError(f"{path}: exists and is not a SeisBench source descriptor; kept")
    atomic_write_json(path, {"format": DESCRIPTOR_FORMAT, "dataset": source, "where": where})
    return path


def resolve_source(name_or_folder: str | Path) -> str:
    """The canonical source text: an absolute folder, or ``seisbench:ClassName``."""
    text = str(name_or_folder)
    if text.startswith(NAMED_PREFIX):
        text = text[len(NAMED_PREFIX) :]
    elif os.path.isdir(text) or os.sep in text or text.startswith("."):
        folder = os.path.abspath(text)
        if not is_seisbench_folder(folder):
            raise FormatError(
                folder,
                None,
                "a folder holding a SeisBench data set (metadata.csv and waveforms.hdf5)",
                "no such folder" if not os.path.isdir(folder) else "no metadata/waveforms pair",
            )
        return folder
    return NAMED_PREFIX + _dataset_class(text).__name__


def _dataset_class(name: str) -> type:
    import seisbench.data as sbd

    candidates = {
        n: c
        for n in dir(sbd)
        if isinstance(c := getattr(sbd, n), type) and issubclass(c, sbd.WaveformBenchmarkDataset)
    }
    if name in candidates:
        return candidates[name]
    spectra = getattr(sbd, name, None)
    if isinstance(spectra, type) and issubclass(spectra, sbd.SpectrumBenchmarkDataset):
        raise FormatError(
            f"{NAMED_PREFIX}{name}", None, "a SeisBench waveform data set", "a spectra data set"
        )
    close = difflib.get_close_matches(name, sorted(candidates), n=4, cutoff=0.5)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise FormatError(
        f"{NAMED_PREFIX}{name}",
        None,
        f"a SeisBench {__import__('seisbench').__version__} data set class or a data set folder",
        f"no data set named {name!r}{hint}",
    )


def cache_path(name: str) -> Path:
    """Where SeisBench keeps (or would keep) a named data set."""
    return _dataset_class(name.removeprefix(NAMED_PREFIX))._path_internal()


def _reachable(url: str, timeout_s: float) -> str | None:
    """None when ``url``'s host accepts a connection within ``timeout_s``, else why not.

    Runs in a daemon thread so that a name lookup that never returns cannot hang the caller.
    """
    parsed = urlparse(url)
    host, port = parsed.hostname or "", parsed.port or (443 if parsed.scheme == "https" else 80)
    outcome: list[str | None] = []

    def probe() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout_s).close()
            outcome.append(None)
        except OSError as exc:
            outcome.append(f"{type(exc).__name__}: {exc}")

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout_s + 0.5)
    if not outcome:
        return f"no answer within {timeout_s:g} s"
    return outcome[0]


def _open_named(name: str, timeout_s: float, allow_download: bool) -> Any:
    import seisbench
    import seisbench.data as sbd

    cls = _dataset_class(name)
    path = cls._path_internal()
    if is_seisbench_folder(path):
        with _quiet_seisbench():
            return sbd.WaveformDataset(path, dimension_order="NCW", cache=None)
    where = f"SeisBench's cache has no {cls.__name__} at {path}"
    if not allow_download:
        raise SeisbenchUnavailableError(
            f"{NAMED_PREFIX}{cls.__name__}: {where}, and downloading is off; download it where "
            "there is a network (or copy the folder there, or set SEISBENCH_CACHE_ROOT)"
        )
    why = _reachable(seisbench.remote_data_root, timeout_s)
    if why is not None:
        raise SeisbenchUnavailableError(
            f"{NAMED_PREFIX}{cls.__name__}: {where}, and SeisBench's server "
            f"{seisbench.remote_data_root} cannot be reached ({why}); no network? Download it "
            "where there is one (or copy the folder there, or set SEISBENCH_CACHE_ROOT)"
        )
    with _quiet_seisbench():  # SeisBench downloads, with its progress bar
        return cls(dimension_order="NCW", cache=None)


def open_source(source: str, *, timeout_s: float = 10.0, allow_download: bool = True) -> Any:
    """A ``seisbench.data.WaveformDataset`` for a source (see :func:`resolve_source`)."""
    import seisbench.data as sbd

    if source.startswith(NAMED_PREFIX):
        return _open_named(source[len(NAMED_PREFIX) :], timeout_s, allow_download)
    if not is_seisbench_folder(source):
        raise FormatError(source, None, "a SeisBench data set folder", "none")
    with _quiet_seisbench():
        return sbd.WaveformDataset(source, dimension_order="NCW", cache=None)


@contextmanager
def _quiet_seisbench() -> Iterator[None]:
    """No 'output component order not specified' warning (the order is chosen after the
    data_format is read, by acceleration_plan) and no pandas deprecation noise."""
    import seisbench

    level = seisbench.logger.level
    seisbench.logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            # SeisBench 0.12.6 calls reset_index(inplace=True), which pandas 3 deprecates
            warnings.filterwarnings("ignore", message="The inplace keyword in DataFrame")
            yield
    finally:
        seisbench.logger.setLevel(level)


def source_data_files(source: str) -> list[Path]:
    """The files of a source that hold its data (for fingerprints); [] if not on disk."""
    folder = cache_path(source) if source.startswith(NAMED_PREFIX) else Path(source)
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir() if p.is_file() and (_is_meta(p.name) or _is_wave(p.name))
    )


# --------------------------------------------------------------------------- data_format


@dataclass(frozen=True)
class AccelerationPlan:
    """The data set's three acceleration components in E, N, Z order (``names``), what they
    are called in the record table (``letters``) and the factor to cm/s^2 (``to_cm_s2``)."""

    names: tuple[str, ...]
    letters: tuple[str, ...]
    to_cm_s2: float
    unit: str


def _per_component(value: Any, n: int, key: str, label: str) -> list[Any]:
    if value is None:
        return [None] * n
    if isinstance(value, str | bytes):
        return [value.decode() if isinstance(value, bytes) else value] * n
    values = [v.decode() if isinstance(v, bytes) else v for v in list(value)]
    if len(values) == 1:
        return values * n
    if len(values) != n:
        raise FormatError(
            label,
            None,
            f"one {key} for all components or one per component ({n})",
            f"{len(values)} values",
            field=f"data_format/{key}",
        )
    return values


def _component_facts(name: str, measurement: Any, orientation: Any, label: str) -> tuple[str, str]:
    """(measurement, letter) of one component name."""
    match = _NAME.match(name)
    if match:
        from_name = _MEASUREMENTS[match["meas"].lower()]
        axis = match["axis"].lower()
        letter = str(orientation).upper() if orientation else _AXIS_DEFAULT.get(axis, axis.upper())
    elif name.upper() in _SEED:
        from_name, letter = None, str(orientation or name).upper()
    else:
        from_name, letter = None, str(orientation or "").upper()
    declared = _MEASUREMENTS.get(str(measurement).strip().lower()) if measurement else None
    if measurement and declared is None:
        declared = str(measurement).strip().lower()
    if declared and from_name and declared != from_name:
        raise FormatError(
            label,
            None,
            f"component {name!r} to be {from_name} as its name says",
            f"measurement {measurement!r}",
            field="data_format/measurement",
        )
    return declared or from_name or "", letter


def acceleration_plan(data_format: Mapping[str, Any], label: str) -> AccelerationPlan:
    """Which components are acceleration, in E, N, Z order, and their unit (see module doc).

    Raises :class:`FormatError` naming the data_format key for anything it cannot check.
    """
    order = data_format.get("component_order")
    if order is None or not len(order):
        raise FormatError(
            label, None, "a component order", "none", field="data_format/component_order"
        )
    names = list(order)
    n = len(names)
    measurements = _per_component(data_format.get("measurement"), n, "measurement", label)
    units = _per_component(data_format.get("unit"), n, "unit", label)
    orient = data_format.get("component_orientation")
    orientation = _per_component(  # a text "ENZ" is one letter per component
        list(orient) if isinstance(orient, str) else orient, n, "component_orientation", label
    )
    facts = [
        (name, *_component_facts(name, m, o, label), u)
        for name, m, o, u in zip(names, measurements, orientation, units, strict=True)
    ]
    acc = [f for f in facts if f[1] == "acceleration"]
    if not acc:
        kinds = sorted({f[1] or "unknown (no data_format measurement)" for f in facts})
        raise FormatError(
            label,
            None,
            "acceleration components (data_format measurement, or names acc_*)",
            f"{', '.join(kinds)} in components {', '.join(names)}",
            field="data_format/measurement",
        )
    chosen = _three_components(acc, label)
    unit_texts = {str(f[3]) for f in chosen}
    if len(unit_texts) != 1 or None in {f[3] for f in chosen}:
        raise FormatError(
            label, None, "one unit for the acceleration components", ", ".join(sorted(unit_texts)),
            field="data_format/unit",
        )  # fmt: skip
    unit = unit_texts.pop()
    factor = _UNITS.get(unit.strip().lower().replace(" ", ""))
    if factor is None:
        raise FormatError(
            label,
            None,
            f"an acceleration unit convertible to cm/s^2 ({', '.join(sorted(_UNITS))})",
            repr(unit),
            field="data_format/unit",
        )
    return AccelerationPlan(
        names=tuple(f[0] for f in chosen), letters=tuple(f[2] for f in chosen),
        to_cm_s2=factor, unit=unit,
    )  # fmt: skip


def _three_components(acc: list[tuple], label: str) -> list[tuple]:
    """The first group (by processing prefix) with two horizontals and a Z, E, N, Z order."""
    groups: dict[str, list[tuple]] = {}
    for fact in acc:
        match = _NAME.match(fact[0])
        groups.setdefault(match["proc"] or "" if match else "", []).append(fact)
    for group in groups.values():
        letters = [f[2] for f in group]
        horizontals = [f for f in group if f[2] in _HORIZONTAL_ORDER]
        vertical = [f for f in group if f[2] == "Z"]
        if len(group) == 3 and len(set(letters)) == 3 and len(horizontals) == 2 and vertical:
            return sorted(horizontals, key=lambda f: _HORIZONTAL_ORDER[f[2]]) + vertical
    found = "; ".join(",".join(f"{f[0]}->{f[2] or '?'}" for f in g) for g in groups.values())
    raise FormatError(
        label,
        None,
        "three acceleration components: two horizontals (E/N or 1/2/3) and Z",
        found,
        field="data_format/component_order",
    )


# --------------------------------------------------------------------------- metadata


def _column(meta: pd.DataFrame, *names: str, scale: float = 1.0) -> pd.Series:
    for name in names:
        if name in meta:
            return pd.to_numeric(meta[name], errors="coerce") * scale
    return pd.Series(np.nan, index=meta.index)


def _text(meta: pd.DataFrame, *names: str) -> pd.Series:
    for name in names:
        if name in meta:
            col = meta[name]
            return col.astype(object).where(col.notna(), None)
    return pd.Series([None] * len(meta), index=meta.index, dtype=object)


def _magnitudes(meta: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(Mw, ML): explicit columns first, else source_magnitude by source_magnitude_type."""
    mw = _column(meta, "source_magnitude_mw", "source_mw")
    ml = _column(meta, "source_magnitude_ml", "source_ml")
    if "source_magnitude" in meta and "source_magnitude_type" in meta:
        kind = meta["source_magnitude_type"].astype(str).str.strip().str.lower()
        value = pd.to_numeric(meta["source_magnitude"], errors="coerce")
        mw = mw.where(mw.notna(), value.where(kind == "mw"))
        ml = ml.where(ml.notna(), value.where(kind == "ml"))
    return mw, ml


def _filter(meta: pd.DataFrame, where: str | None, label: str) -> pd.DataFrame:
    if not where:
        return meta
    try:
        mask = meta.eval(where, engine="python")
    except Exception as exc:  # pandas raises many kinds for a bad expression
        raise FormatError(
            label,
            None,
            f"a filter over the metadata columns ({', '.join(list(meta.columns)[:12])}, ...)",
            f"{where!r}: {type(exc).__name__}: {exc}",
            field="where",
        ) from exc
    if not isinstance(mask, pd.Series) or mask.dtype != bool:
        raise FormatError(label, None, "a true/false condition", repr(where), field="where")
    return meta[mask.to_numpy()]


def _record_ids(meta: pd.DataFrame) -> list[str]:
    event = _text(meta, "source_id").fillna("")
    parts = [
        event.where(event != "", meta["trace_name"].astype(str)),
        _text(meta, "station_network_code").fillna(""),
        _text(meta, "station_code").fillna(""),
        _text(meta, "station_location_code").fillna(""),
        _text(meta, "trace_channel").fillna(""),
    ]
    ids = pd.Series([".".join(str(p) for p in row) for row in zip(*parts, strict=True)])
    clash = ids.duplicated(keep=False).to_numpy()
    names = meta["trace_name"].astype(str).to_numpy()
    return [f"{i}.{n}" if c else i for i, n, c in zip(ids, names, clash, strict=True)]


def read_seisbench_rows(
    source: str,
    *,
    where: str | None = None,
    timeout_s: float = 10.0,
    allow_download: bool = True,
) -> list[dict[str, Any]]:
    """Record-table rows (names of ``catalog.RECORD_COLUMNS``) for a source's records.

    ``where`` filters SeisBench's metadata first (a pandas expression over its columns, e.g.
    ``"source_magnitude >= 4"``). The EC8 class is returned as the data set writes it.
    """
    dataset = open_source(source, timeout_s=timeout_s, allow_download=allow_download)
    plan = acceleration_plan(dataset.data_format, source)
    meta = _filter(dataset.metadata, where, source)
    rate = _column(meta, "trace_sampling_rate_hz")
    npts = _column(meta, "trace_npts")
    pga = _column(meta, "trace_pga_cm_s2", "trace_pga_cmps2")
    pga = pga.where(pga.notna(), _column(meta, "trace_pga_mps2", "trace_pga_m_s2", scale=100.0))
    if npts.isna().any():  # no trace_npts: the lengths (and peaks) come from the samples
        npts, pga = _measure(dataset, meta, plan, npts, pga)
    distance = _column(meta, "path_ep_distance_km")
    if distance.isna().any():
        from obspy.geodetics import degrees2kilometers

        distance = distance.where(distance.notna(), _column(meta, "path_ep_distance_deg")
                                  .map(degrees2kilometers))  # fmt: skip
    trace = {
        "sampling_rate_hz": rate,
        "npts": npts,
        "pga_cm_s2": pga,
        "record_duration_s": npts / rate,
        "epicentral_distance_km": distance,
    }
    frame = pd.DataFrame(
        {
            "record_id": _record_ids(meta),
            **{k: v.to_numpy() for k, v in _event_station(meta).items()},
            **{k: v.to_numpy() for k, v in trace.items()},
            **_trace_texts(meta, plan),
            "source_format": "seisbench",
            "source_path": source,
        }
    )
    return frame.to_dict("records")


def _event_station(meta: pd.DataFrame) -> dict[str, pd.Series]:
    """Event and station columns of the record table from SeisBench's names (and ESM's)."""
    mw, ml = _magnitudes(meta)
    origin = _text(meta, "source_origin_time")
    return {
        "event_id": _text(meta, "source_id"),
        "event_time": pd.to_datetime(origin, utc=True, errors="coerce"),
        "event_latitude": _column(meta, "source_latitude_deg"),
        "event_longitude": _column(meta, "source_longitude_deg"),
        "event_depth_km": _column(meta, "source_depth_km"),
        "mw": mw,
        "ml": ml,
        "network": _text(meta, "station_network_code"),
        "station": _text(meta, "station_code"),
        "location": _text(meta, "station_location_code").fillna(""),
        "station_latitude": _column(meta, "station_latitude_deg"),
        "station_longitude": _column(meta, "station_longitude_deg"),
        "vs30_m_s": _column(meta, "station_vs30_mps", "station_vs30_m_s", "station_vs30"),
        "ec8_class": _text(meta, "station_ec8", "station_ec8_class", "station_site_class_ec8"),
        "d5_95_s": _column(meta, "trace_d5_95_s"),
    }


def _trace_texts(meta: pd.DataFrame, plan: AccelerationPlan) -> dict[str, Any]:
    chunk = _text(meta, "trace_chunk").fillna("")
    names = meta["trace_name"].astype(str)
    category = _text(meta, "trace_category").fillna("").astype(str).str.lower()
    channels = [
        ",".join(f"{c}{x}" for x in plan.letters) if isinstance(c, str) and len(c) == 2 else None
        for c in _text(meta, "trace_channel")
    ]
    start = _text(meta, "trace_start_time")
    return {
        "components": ",".join(plan.letters),
        "kind": np.where(category.to_numpy() == "noise", "noise", "earthquake"),
        "channels": channels,
        "starttime": pd.to_datetime(start, utc=True, errors="coerce").to_numpy(),
        "source_files": [f"{c}::{n}" if c else n for c, n in zip(chunk, names, strict=True)],
    }


def _measure(
    dataset: Any, meta: pd.DataFrame, plan: AccelerationPlan, npts: pd.Series, pga: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """Lengths and largest horizontal peaks of the rows whose length the metadata lacks."""
    npts, pga = npts.copy(), pga.copy()
    dataset.component_order = list(plan.names)
    positions = {idx: pos for pos, idx in enumerate(dataset.metadata.index)}
    for idx in npts.index[npts.isna()]:
        wave = dataset.get_waveforms(positions[idx])
        npts[idx] = wave.shape[-1]
        if not math.isfinite(pga[idx]):
            pga[idx] = float(np.abs(wave[:2]).max()) * plan.to_cm_s2
    return npts, pga


# --------------------------------------------------------------------------- waveforms


def _stamp(source: str) -> tuple:
    """What identifies a data set's files as they are now (a rewritten set is re-opened)."""
    return tuple(
        (str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in source_data_files(source)
    )


@lru_cache(maxsize=4)
def _opened(source: str, stamp: tuple) -> tuple[Any, AccelerationPlan]:
    # cached: a WaveformDataset holds its metadata, not open files (SeisBench opens the HDF5
    # file per read); ``stamp`` is part of the key so that a replaced folder is read afresh
    dataset = open_source(source, allow_download=False)
    plan = acceleration_plan(dataset.data_format, source)
    dataset.component_order = list(plan.names)
    return dataset, plan


def read_seisbench_record(
    source: str, source_file: str
) -> tuple[np.ndarray, float, tuple[str, ...]]:
    """One record's samples: (float64 (3, npts) cm/s^2 in E, N, Z order, rate, letters).

    ``source_file`` is the record table's ``source_files`` (``[chunk::]trace_name``).
    """
    dataset, plan = _opened(source, _stamp(source))
    chunk, _, name = source_file.rpartition("::")
    try:
        idx = dataset.get_idx_from_trace_name(name, chunk=chunk or None)
    except KeyError as exc:
        raise FormatError(source, None, f"a trace named {source_file!r}", "none",
                          field="trace_name") from exc  # fmt: skip
    wave = np.asarray(dataset.get_waveforms(idx), dtype=np.float64) * plan.to_cm_s2
    rate = float(dataset.metadata["trace_sampling_rate_hz"].iloc[idx])
    return wave, rate, plan.letters


# --------------------------------------------------------------------------- writing


def write_seisbench_dataset(
    folder: str | Path,
    waveforms: np.ndarray,
    metadata: Sequence[Mapping[str, Any]],
    *,
    sampling_rate_hz: float,
    unit: str = "cm/s^2",
    component_order: Sequence[str] = ("E", "N", "Z"),
    extra_files: Mapping[str, bytes] | None = None,
) -> Path:
    """Write (n, 3, npts) acceleration as a SeisBench data set with SeisBench's own writer.

    ``folder`` is built in a temporary sibling and renamed into place; an existing folder is
    replaced only if it holds a ``provenance.json`` this project wrote (an earlier export).
    """
    import h5py
    import seisbench.data as sbd

    from seisgan_core.fsutil import atomic_directory

    folder = Path(folder)
    if folder.exists() and not _our_export(folder):
        raise FileExistsError(
            f"{folder}: exists and is not a seisgan SeisBench export (no provenance.json "
            "written by seisgan); kept, choose another --out"
        )
    waves = np.asarray(waveforms, dtype=np.float32)
    if waves.ndim != 3 or waves.shape[1] != len(component_order) or len(metadata) != len(waves):
        raise ValueError(
            f"waveforms: expected (n, {len(component_order)}, npts) with one metadata row per "
            f"record, found {waves.shape} and {len(metadata)} rows"
        )
    with atomic_directory(folder) as tmp:
        with sbd.WaveformDataWriter(tmp / "metadata.csv", tmp / "waveforms.hdf5") as writer:
            writer.metadata_dict = None  # no column renaming (pandas 3 warns on SeisBench's)
            writer.data_format = {
                "dimension_order": "CW",
                "component_order": np.array(list(component_order), dtype=h5py.string_dtype()),
                "sampling_rate": float(sampling_rate_hz),
                "measurement": "acceleration",
                "unit": unit,
                "instrument_response": "not applicable (generated)",
            }
            for row, wave in zip(metadata, waves, strict=True):
                writer.add_trace(
                    {
                        **row,
                        "trace_npts": wave.shape[-1],
                        "trace_sampling_rate_hz": sampling_rate_hz,
                    },
                    wave,
                )
        for name, data in (extra_files or {}).items():
            (tmp / name).write_bytes(data)
    return folder


def _our_export(folder: Path) -> bool:
    marker = folder / "provenance.json"
    try:
        return json.loads(marker.read_text(encoding="utf-8")).get("writer") == "seisgan"
    except (OSError, ValueError, AttributeError):
        return False

"""ASDF (Adaptable Seismic Data Format, Krischer et al. 2016) read straight through h5py.

pyasdf is the reference implementation and is what writes ASDF in this project; reading
thousands of traces through it builds an ObsPy Stream per trace and parses StationXML again
and again, so bulk reading here goes to the HDF5 datasets directly (bench/bench_io.py
measures both). Layout (``../shared/docs/itaca-formats.md`` §3):

- root attributes ``file_format = 'ASDF'``, ``file_format_version``;
- ``/QuakeML``: the bytes of one QuakeML document (parsed with ``obspy.read_events``);
- ``/Waveforms/NET.STA/StationXML`` (parsed with ``obspy.read_inventory``) and one dataset per
  trace named ``NET.STA.LOC.CHA__START__END__TAG`` with attributes ``sampling_rate`` (Hz),
  ``starttime`` (ns since 1970) and, for event data, ``event_id`` (QuakeML resource URI;
  several are joined by commas).

Units: acceleration tags are taken to be cm/s^2 (the project's contract for
``processed_acceleration``); ASDF itself does not record units per trace.

Safety: HDF5 external links, external raw storage and virtual datasets are refused (they
would make h5py open other files); QuakeML and StationXML with a DTD are refused before ObsPy
parses them.
"""

from __future__ import annotations

import functools
import io
import math
import re
import warnings
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from seisgan_core.io.bounds import MAX_NPTS, MAX_YEAR, MIN_YEAR, check_sampling_rate
from seisgan_core.io.errors import (
    AsdfError,
    FormatError,
    SeisganIOError,
    SeisganIOWarning,
    UnsafeInputError,
)
from seisgan_core.io.fields import ec8_letter
from seisgan_core.io.quakeml import parse_quakeml
from seisgan_core.io.safety import check_xml_bytes
from seisgan_core.io.waveforms import RecordWaveforms, order_components, stack_components
from seisgan_core.progress import Progress

__all__ = [
    "DEFAULT_TAG",
    "NOISE_TAG",
    "AsdfContents",
    "AsdfTrace",
    "TraceInfo",
    "default_tags",
    "is_asdf",
    "list_asdf",
    "open_asdf",
    "read_asdf_events",
    "read_asdf_record",
    "read_asdf_table",
    "read_asdf_traces",
    "trace_index",
]

DEFAULT_TAG = "processed_acceleration"
NOISE_TAG = "noise"
# Instrument codes of strong-motion sensors first, then broadband, when a station has several.
_BAND_PREFERENCE = ("HN", "HG", "HL", "BN", "EN", "SN", "HH", "BH", "EH", "SH")
_NAME_RE = re.compile(r"^([^.]*)\.([^.]*)\.([^.]*)\.([^._]*)__([^_]+)__([^_]+)__(.+)$")


@dataclass(frozen=True)
class TraceInfo:
    """What a trace's name and attributes say, without its samples."""

    group: str  # NET.STA
    name: str  # dataset name
    network: str
    station: str
    location: str
    channel: str
    tag: str
    starttime_ns: int | None
    sampling_rate_hz: float | None
    event_ids: tuple[str, ...]
    npts: int
    problem: str | None = None  # why the trace cannot be read (bad attribute or shape)

    @property
    def hdf5_path(self) -> str:
        return f"Waveforms/{self.group}/{self.name}"

    @property
    def band(self) -> str:
        return self.channel[:2]

    @property
    def component(self) -> str:
        return self.channel[-1:].upper()

    @property
    def starttime(self) -> datetime | None:
        if self.starttime_ns is None:
            return None
        return datetime.fromtimestamp(self.starttime_ns / 1e9, tz=UTC)


@dataclass
class AsdfTrace:
    """One trace with its samples (float64, the file's unit)."""

    info: TraceInfo
    data: np.ndarray


@dataclass
class AsdfContents:
    """What an ASDF file holds: events (QuakeML resource ids), stations, traces per tag."""

    path: str
    version: str
    events: list[str]
    stations: list[str]
    tags: dict[str, int]
    has_quakeml: bool
    event_ids_in_traces: list[str] = field(default_factory=list)


def _attr_text(value: Any) -> str:
    if isinstance(value, bytes | np.bytes_):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def is_asdf(path: str | Path) -> bool:
    """True if ``path`` is HDF5 with the root attribute ``file_format = 'ASDF'``."""
    try:
        if not h5py.is_hdf5(path):
            return False
        with h5py.File(path, "r") as f:
            return _attr_text(f.attrs.get("file_format", b"")) == "ASDF"
    except (OSError, ValueError):
        return False


def _check_links(f: h5py.File, path: str) -> None:
    # The low-level visitor gives each link's type without opening it (the high-level
    # visititems_links opens every object; ten times slower on a 1,000-trace file). It stops
    # at the first non-None return; raising inside it is not safe.
    def visit(name: bytes, info) -> bytes | None:
        return name if info.type == h5py.h5l.TYPE_EXTERNAL else None

    found = f.id.links.visit(visit, info=True)
    if found is not None:
        name = found.decode("utf-8", "replace")
        target = f.get(name, getlink=True)
        raise UnsafeInputError(
            path,
            None,
            "no HDF5 external links",
            f"a link to {target.filename}:{target.path}",
            field=name,
        )


def _damaged_as_asdf_error(func):
    """Turn what libhdf5 raises on a damaged file (h5py's OSError, RuntimeError, KeyError,
    ValueError, TypeError: a bad heap, a broken B-tree, an unreadable attribute) into an
    AsdfError naming the file, so a damaged file is a skip with its reason, never a crash."""

    @functools.wraps(func)
    def wrapper(path, *args, **kwargs):
        try:
            return func(path, *args, **kwargs)
        except (SeisganIOError, FileNotFoundError):
            raise
        except (OSError, RuntimeError, KeyError, ValueError, TypeError) as exc:
            detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
            raise AsdfError(
                str(path),
                None,
                "a readable HDF5 structure",
                f"a damaged one ({type(exc).__name__}{': ' + detail if detail else ''})",
            ) from None

    return wrapper


def _open(path: str | Path) -> h5py.File:
    path = str(path)
    if not Path(path).is_file():
        raise FileNotFoundError(path)
    if not h5py.is_hdf5(path):
        with open(path, "rb") as handle:
            head = handle.read(8)
        raise AsdfError(path, None, "an HDF5 file (ASDF)", f"a file starting {head!r}")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:  # a truncated download or flipped superblock bits
        raise AsdfError(
            path, None, "a complete HDF5 file", f"a damaged one ({str(exc).strip()})"
        ) from None
    try:
        kind = _attr_text(f.attrs.get("file_format", b""))
        if kind != "ASDF":
            found = repr(kind) if kind else "plain HDF5 without it"
            raise AsdfError(
                path, None, "root attribute file_format='ASDF'", found, field="file_format"
            )
        _check_links(f, path)
    except BaseException:
        f.close()
        raise
    return f


def _check_dataset(dsid: h5py.h5d.DatasetID, path: str, name: str) -> None:
    plist = dsid.get_create_plist()
    if plist.get_layout() == h5py.h5d.VIRTUAL or plist.get_external_count() > 0:
        raise UnsafeInputError(
            path, None, "data stored inside the file", "a virtual or external dataset", field=name
        )


_F8 = np.dtype("<f8")
_NATIVE = {_F8: h5py.h5t.NATIVE_DOUBLE}


def _attr(dsid: h5py.h5d.DatasetID, name: bytes, expect: np.dtype | None = None) -> Any:
    """One attribute through the low-level API (a third faster than ``Dataset.attrs``).

    ``expect``: read a number straight into this float type (HDF5 converts), without asking the
    file for the attribute's type (one HDF5 object less per call: such objects are the bulk
    path's main per-trace cost); a value that is no number (a string) takes the general way.
    Only for numbers: a variable-length string would be cut to a fixed length silently.
    """
    try:
        attr = h5py.h5a.open(dsid, name)
    except KeyError:
        return None
    # the shape always comes from the file: h5py does not check a buffer's size on read
    shape = attr.shape
    if expect is not None:
        value = np.empty(shape, dtype=expect)
        try:
            # the memory type given: h5py would otherwise build one per call
            attr.read(value, mtype=_NATIVE.get(expect))
            return value[()]
        except (TypeError, ValueError, OSError):
            pass  # not a number: read it as it is stored
    stored = attr.get_type()
    known = _known_dtype(stored)
    if known is not None:
        # the file's own type into its NumPy twin: no conversion, and no ``stored.dtype``
        # (h5py builds that dtype anew on every call: a third of an attribute's read)
        value = np.empty(shape, dtype=known)
        attr.read(value, mtype=stored)
        return value[()]
    value = np.empty(shape, dtype=stored.dtype)
    # a number is read with the file's own type (no conversion, no second type object);
    # text and other classes through h5py's conversion
    numeric = stored.get_class() in (h5py.h5t.INTEGER, h5py.h5t.FLOAT)
    attr.read(value, mtype=stored if numeric else None)
    return value[()]


#: The stored types ASDF writers use for trace attributes, and their NumPy dtypes.
_KNOWN_TYPES = (
    (h5py.h5t.STD_I64LE, np.dtype("<i8")),
    (h5py.h5t.IEEE_F64LE, np.dtype("<f8")),
    (h5py.h5t.IEEE_F32LE, np.dtype("<f4")),
    (h5py.h5t.STD_I32LE, np.dtype("<i4")),
)


def _known_dtype(stored: h5py.h5t.TypeID) -> np.dtype | None:
    """The NumPy dtype that holds ``stored`` as it is, for the types trace attributes use
    (little-endian 64/32-bit integers and IEEE floats; fixed-length byte strings padded or
    terminated with nulls, as pyasdf writes ``event_id``), else None (the general way)."""
    cls = stored.get_class()
    if cls == h5py.h5t.STRING:
        if stored.is_variable_str() or stored.get_strpad() == h5py.h5t.STR_SPACEPAD:
            return None  # objects, or trailing spaces h5py's conversion would keep apart
        return np.dtype(f"S{stored.get_size()}")
    if cls in (h5py.h5t.INTEGER, h5py.h5t.FLOAT):
        for htype, dtype in _KNOWN_TYPES:
            if stored.equal(htype):
                return dtype
    return None


# starttime attributes are ns since 1970 (int64); outside these years they are not dates
_MIN_START_NS = int((datetime(MIN_YEAR, 1, 1, tzinfo=UTC).timestamp()) * 1e9)
_MAX_START_NS = int((datetime(MAX_YEAR, 1, 1, tzinfo=UTC).timestamp()) * 1e9)


def _scalar_number(value: Any) -> float | None:
    """A real number from a scalar numeric attribute, else None (text, arrays, complex)."""
    if isinstance(value, np.generic | int | float) and not isinstance(
        value, np.bytes_ | np.str_ | np.complexfloating | bool | np.bool_
    ):
        return float(value)
    return None


def _checked_attrs(
    dsid: h5py.h5d.DatasetID, path: str, name: str
) -> tuple[float | None, int | None, int, str | None]:
    """(rate, start ns, npts, problem) of one trace, read and bounded without its samples.

    A text, array or out-of-bounds attribute, or a dataset that is not 1-D or declares more
    samples than :data:`~seisgan_core.io.bounds.MAX_NPTS`, leaves the trace readable in the
    index but unreadable, with ``problem`` saying why.
    """
    # the rate straight into float64; the start time as stored (HDF5 would turn a float NaN or
    # 1e30 into an int64 silently)
    raw_rate, raw_start = _attr(dsid, b"sampling_rate", _F8), _attr(dsid, b"starttime")
    rate, start = _scalar_number(raw_rate), _scalar_number(raw_start)
    shape = dsid.shape
    npts = int(shape[0]) if len(shape) == 1 else 0
    problem = None
    if len(shape) != 1:
        problem = f"a 1-D waveform dataset, found shape {tuple(shape)}"
    elif npts > MAX_NPTS:
        problem = f"at most {MAX_NPTS} samples (sample-count bound), found {npts} declared"
    elif raw_rate is not None and rate is None:
        problem = f"a numeric sampling_rate attribute, found {raw_rate!r}"[:200]
    elif raw_start is not None and (
        start is None or not math.isfinite(start) or not _MIN_START_NS <= start < _MAX_START_NS
    ):
        problem = f"a starttime attribute in ns between {MIN_YEAR} and {MAX_YEAR}, found"
        problem += f" {raw_start!r}"[:120]
    elif rate is not None:
        try:
            check_sampling_rate(rate, path, None, name)
        except FormatError as exc:
            problem = f"{exc.expected}, found {exc.found}"
    if problem is not None:
        return None, None, npts, problem
    return rate, int(start) if start is not None else None, npts, None


def _iter_index(
    f: h5py.File, path: str, names: set[str] | None = None, groups: set[str] | None = None
):
    """(TraceInfo, low-level DatasetID) for every trace (or those named, or those of the
    station ``groups``), in name order.

    The bulk path stays on h5py's low-level API (h5o/h5a/h5d): the high-level Dataset and
    AttributeManager objects cost more per trace than reading 8,000 samples does.
    """
    waveforms = f.get("Waveforms")
    if waveforms is None:
        return
    for group_name in sorted(waveforms):
        if groups is not None and group_name not in groups:
            continue
        group = waveforms[group_name]
        if not isinstance(group, h5py.Group):
            continue
        for name in sorted(group):
            if name == "StationXML" or (names is not None and name not in names):
                continue
            match = _NAME_RE.match(name)
            if match is None:
                raise AsdfError(
                    path,
                    None,
                    "trace names NET.STA.LOC.CHA__START__END__TAG",
                    repr(name),
                    field=f"Waveforms/{group_name}",
                )
            dsid = h5py.h5o.open(group.id, name.encode())
            if not isinstance(dsid, h5py.h5d.DatasetID):
                continue
            rate, start, npts, problem = _checked_attrs(dsid, path, f"{group_name}/{name}")
            event = _attr(dsid, b"event_id")
            event_ids = (
                tuple(e for e in _attr_text(event).split(",") if e) if event is not None else ()
            )
            info = TraceInfo(
                group=group_name,
                name=name,
                network=match.group(1),
                station=match.group(2),
                location=match.group(3),
                channel=match.group(4),
                tag=match.group(7),
                starttime_ns=start,
                sampling_rate_hz=rate,
                event_ids=event_ids,
                npts=npts,
                problem=problem,
            )
            yield info, dsid


def trace_index(f: h5py.File, path: str) -> list[TraceInfo]:
    """Every waveform trace in an open ASDF file, from names and attributes only."""
    return [info for info, _ in _iter_index(f, path)]


def _parse_quakeml(f: h5py.File, path: str) -> dict[str, dict[str, Any]] | None:
    """Events by resource id (see ``quakeml.event_summary``); None if there is no QuakeML."""
    if "QuakeML" not in f:
        return None
    raw = f["QuakeML"][()].tobytes()
    if not raw.strip():
        return None
    try:
        events = parse_quakeml(raw, f"{path}::QuakeML")
    except UnsafeInputError:
        raise
    except FormatError as exc:
        raise AsdfError(path, None, "a QuakeML document", exc.found, field="QuakeML") from None
    return {event["event_id"]: event for event in events}


def _unknown_station() -> dict[str, Any]:
    return {
        "latitude": math.nan,
        "longitude": math.nan,
        "elevation_m": math.nan,
        "vs30_m_s": math.nan,
        "ec8_class": None,
    }


def _parse_stationxml(f: h5py.File, group: str, path: str) -> dict[str, Any]:
    """latitude, longitude, elevation_m, vs30_m_s, ec8_class of one station group.

    StationXML has no element for the site; Vs30 and the EC8 class are read from namespaced
    extra attributes of the station (ObsPy's ``extra``, any namespace) where a writer put them,
    as the demo archive does. Missing values are NaN / None.
    """
    out = _unknown_station()
    node = f.get(f"Waveforms/{group}/StationXML")
    if node is None:
        return out
    raw = node[()].tobytes()
    check_xml_bytes(raw, f"{path}::Waveforms/{group}/StationXML", "StationXML")
    import obspy

    try:
        inventory = obspy.read_inventory(io.BytesIO(raw), format="STATIONXML")
    except Exception as exc:
        raise AsdfError(
            path, None, "a StationXML document", f"unreadable ({exc})", field=f"{group}/StationXML"
        ) from None
    network, _, station = group.partition(".")
    for net in inventory:
        for sta in net:
            if net.code == network and sta.code == station:
                out["latitude"] = float(sta.latitude)
                out["longitude"] = float(sta.longitude)
                out["elevation_m"] = float(sta.elevation)
                out.update(_site_extras(sta, path, group))
                return out
    return out


def _site_extras(station: Any, path: str, group: str) -> dict[str, Any]:
    """Vs30 (m/s) and EC8 class from a StationXML station's namespaced extra attributes."""
    extra = getattr(station, "extra", None) or {}
    out: dict[str, Any] = {}
    for key in ("vs30_m_s", "vs30", "Vs30"):
        if key in extra:
            raw = extra[key].get("value") if hasattr(extra[key], "get") else extra[key]
            try:
                value = float(raw)
            except (TypeError, ValueError):
                raise AsdfError(
                    path,
                    None,
                    "Vs30 in m/s (a number)",
                    repr(raw),
                    field=f"{group}/StationXML {key}",
                ) from None
            if not 0.0 < value < 5000.0 and math.isfinite(value):
                raise AsdfError(
                    path,
                    None,
                    "Vs30 between 0 and 5000 m/s",
                    repr(raw),
                    field=f"{group}/StationXML {key}",
                )
            out["vs30_m_s"] = value
            break
    for key in ("ec8_class", "ec8", "EC8"):
        if key in extra:
            raw = extra[key].get("value") if hasattr(extra[key], "get") else extra[key]
            out["ec8_class"] = ec8_letter(raw)
            break
    return out


@_damaged_as_asdf_error
def read_asdf_events(path: str | Path) -> dict[str, dict[str, Any]]:
    """Events of the file's QuakeML by resource id (empty, with a warning, without QuakeML)."""
    with _open(path) as f:
        events = _parse_quakeml(f, str(path))
    if events is None:
        warnings.warn(
            f"{path}: no QuakeML, so no event information", SeisganIOWarning, stacklevel=2
        )
        return {}
    return events


@_damaged_as_asdf_error
def list_asdf(path: str | Path) -> AsdfContents:
    """Events, stations and tags (with trace counts) of an ASDF file."""
    path = str(path)
    with _open(path) as f:
        version = _attr_text(f.attrs.get("file_format_version", b""))
        index = trace_index(f, path)
        has_quakeml = "QuakeML" in f and f["QuakeML"].size > 0
        events = _parse_quakeml(f, path) if has_quakeml else None
    tags: dict[str, int] = defaultdict(int)
    for info in index:
        tags[info.tag] += 1
    in_traces = sorted({e for info in index for e in info.event_ids})
    return AsdfContents(
        path=path,
        version=version,
        events=sorted(events) if events else [],
        stations=sorted({info.group for info in index}),
        tags=dict(sorted(tags.items())),
        has_quakeml=has_quakeml,
        event_ids_in_traces=in_traces,
    )


def default_tags(tags: Iterable[str]) -> list[str]:
    """Processed acceleration (and noise) where it can be told apart, else every tag."""
    tags = sorted(set(tags))
    processed = [t for t in tags if "processed" in t.lower() and "acc" in t.lower()]
    processed = [t for t in processed if not t.lower().startswith("un")]
    if not processed:
        return tags
    return processed + [t for t in tags if t == NOISE_TAG]


def _match_event(wanted: str, event_ids: tuple[str, ...]) -> bool:
    for candidate in event_ids:
        if candidate == wanted:
            return True
        # accept the short id at the end of a resource URI (smi:local/IT-2009-0009)
        if candidate.endswith(wanted) and candidate[-len(wanted) - 1] in "/=:?&":
            return True
    return False


def _read_dataset(
    dsid: h5py.h5d.DatasetID, path: str, name: str, npts: int | None = None
) -> np.ndarray:
    """All samples of one dataset as float64 (HDF5 converts float32 or integer storage).
    ``npts``: its length where the caller has just read its shape (:func:`_checked_attrs`)."""
    _check_dataset(dsid, path, name)
    shape = dsid.shape if npts is None else (npts,)
    if len(shape) != 1 or shape[0] > MAX_NPTS:
        raise AsdfError(
            path,
            None,
            f"a 1-D waveform dataset of at most {MAX_NPTS} samples (sample-count bound)",
            f"shape {tuple(shape)}",
            field=name,
        )
    out = np.empty(shape, dtype=np.float64)
    if out.size:
        # the memory type given: h5py would otherwise build one per call
        dsid.read(h5py.h5s.ALL, h5py.h5s.ALL, out, h5py.h5t.NATIVE_DOUBLE)
    return out


def _open_dataset(f: h5py.File, hdf5_path: str, path: str) -> h5py.h5d.DatasetID:
    try:
        dsid = h5py.h5o.open(f.id, hdf5_path.encode())
    except KeyError:
        raise AsdfError(path, None, "a waveform dataset", "none", field=hdf5_path) from None
    if not isinstance(dsid, h5py.h5d.DatasetID):
        raise AsdfError(path, None, "a waveform dataset", "a group", field=hdf5_path)
    return dsid


def _read_data(f: h5py.File, info: TraceInfo, path: str) -> np.ndarray:
    return _read_dataset(_open_dataset(f, info.hdf5_path, path), path, info.hdf5_path)


def _require_rate(info: TraceInfo, path: str) -> float:
    if info.problem is not None:
        raise AsdfError(path, None, *info.problem.split(", found ", 1), field=info.hdf5_path)
    rate = info.sampling_rate_hz
    if rate is None or not math.isfinite(rate) or rate <= 0:
        raise AsdfError(
            path,
            None,
            "a positive sampling_rate attribute (Hz)",
            "none" if rate is None else repr(rate),
            field=info.hdf5_path,
        )
    return rate


@_damaged_as_asdf_error
def read_asdf_traces(
    path: str | Path,
    *,
    tag: str | None = None,
    names: Iterable[str] | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
) -> list[AsdfTrace]:
    """Many traces at once through h5py: all of ``tag`` (or all tags), or the given
    dataset ``names`` (``NET.STA.LOC.CHA__START__END__TAG``), at most ``limit``."""
    path = str(path)
    wanted = set(names) if names is not None else None
    out: list[AsdfTrace] = []
    if limit is not None and limit <= 0:
        return out
    with _open(path) as f:
        # One pass: each trace's names and attributes, then its samples while its dataset is
        # open, then released (HDF5's calls cost more the more objects the file has open:
        # attribute opens took twice as long with a thousand datasets held open, and the
        # file's close walked them all). Reading in the index pass saves opening each
        # dataset again by its path (12 % of the bulk read). Progress needs the count first.
        total = _count_names(f, wanted, tag, limit) if progress is not None else 0
        for info, dsid in _iter_index(f, path, wanted):
            if tag is not None and info.tag != tag:
                continue
            _require_rate(info, path)
            # info.npts is the 1-D shape _checked_attrs read and bounded (a trace with a
            # problem stopped at _require_rate)
            data = _read_dataset(dsid, path, info.hdf5_path, info.npts)
            out.append(AsdfTrace(info=info, data=data))
            if progress is not None and len(out) % 200 == 1:
                progress(min(1.0, len(out) / max(total, 1)), f"{info.group} {info.channel}")
            if limit is not None and len(out) >= limit:
                break
        if progress is not None and out:
            progress(1.0, f"{out[-1].info.group} {out[-1].info.channel}")
    return out


def _count_names(f: h5py.File, wanted: set[str] | None, tag: str | None, limit) -> int:
    """How many traces :func:`read_asdf_traces` will read, from the names alone (for its
    progress; no attribute or dataset is opened)."""
    waveforms = f.get("Waveforms")
    count = 0
    for group_name in waveforms if waveforms is not None else ():
        group = waveforms[group_name]
        if not isinstance(group, h5py.Group):
            continue
        for name in group:
            match = _NAME_RE.match(name)
            if match is None or (wanted is not None and name not in wanted):
                continue
            count += tag is None or match.group(7) == tag
    return min(count, limit) if limit is not None else count


def _choose_group(infos: list[TraceInfo]) -> list[TraceInfo]:
    """The traces of one location/band, preferring strong-motion bands."""
    by_key: dict[tuple[str, str], list[TraceInfo]] = defaultdict(list)
    for info in infos:
        by_key[(info.location, info.band)].append(info)

    def rank(key: tuple[str, str]) -> tuple[int, str, str]:
        band = key[1]
        order = _BAND_PREFERENCE.index(band) if band in _BAND_PREFERENCE else len(_BAND_PREFERENCE)
        return (order, key[0], band)

    return by_key[min(by_key, key=rank)]


def _component_order(infos: list[TraceInfo], path: str, field: str) -> tuple[str, ...]:
    """The order of a record's components (two horizontals, then Z), or an AsdfError naming
    ``field`` and the channels found when the traces are not three such components."""
    order = order_components(i.component for i in infos)
    if order is None:
        raise AsdfError(
            path,
            None,
            "three components (two horizontals and Z)",
            ",".join(sorted(i.channel for i in infos)),
            field=field,
        )
    return order


def _common_rate(infos: list[TraceInfo], path: str, expected: str, field: str) -> float:
    """The sampling rate all of a record's traces share, or an AsdfError (``expected``,
    naming ``field`` and the rates found)."""
    rates = {_require_rate(i, path) for i in infos}
    if len(rates) != 1:
        raise AsdfError(path, None, expected, str(sorted(rates)), field=field)
    return rates.pop()


@_damaged_as_asdf_error
def read_asdf_record(
    path: str | Path, event_id: str, station_id: str, tag: str | None = None
) -> RecordWaveforms:
    """The three components of one record by event id and station id.

    ``event_id``: the QuakeML resource id, or its last part (``IT-2009-0009`` for
    ``smi:local/IT-2009-0009``). ``station_id``: ``NET.STA``, optionally ``.LOC.BAND``
    (``IT.AQG..HN``) to choose among several sensors. ``tag`` defaults to processed
    acceleration where the file has it.
    """
    path = str(path)
    parts = station_id.split(".")
    if len(parts) < 2:
        raise ValueError(f"station_id must be NET.STA[.LOC.BAND], got {station_id!r}")
    group = f"{parts[0]}.{parts[1]}"
    with _open(path) as f:
        index = [info for info, _ in _iter_index(f, path, groups={group})]
        if tag is None:
            tags = [t for t in default_tags({i.tag for i in index}) if t != NOISE_TAG]
        else:
            tags = [tag]
        hits = [i for i in index if i.tag in tags and _match_event(event_id, i.event_ids)]
        if len(parts) >= 3:
            hits = [i for i in hits if i.location == parts[2]]
        if len(parts) >= 4:
            hits = [i for i in hits if i.band == parts[3]]
        if not hits:
            raise AsdfError(
                path,
                None,
                f"traces of event {event_id!r} at {station_id!r} with tag {'/'.join(tags)}",
                "none",
                field=f"Waveforms/{group}",
            )
        chosen = _choose_group(hits)
        order = _component_order(chosen, path, f"Waveforms/{group}")
        by_component = {i.component: i for i in chosen}
        rate = _common_rate(chosen, path, "one sampling rate for the three components", group)
        arrays = {c: _read_data(f, by_component[c], path) for c in order}
    first = by_component[order[0]]
    return RecordWaveforms(
        data=stack_components(arrays, order),
        sampling_rate_hz=rate,
        components=order,
        starttime=first.starttime,
    )


def _group_records(
    index: list[TraceInfo],
) -> dict[tuple[str, str, str, str, str, str], list[TraceInfo]]:
    """Traces grouped into records: (tag, event or start time, net, sta, loc, band)."""
    groups: dict[tuple[str, str, str, str, str, str], list[TraceInfo]] = defaultdict(list)
    for info in index:
        if info.event_ids:
            anchor = info.event_ids[0]
        else:
            # noise windows have no event: the three components share a start time
            anchor = f"@{info.starttime_ns}"
        key = (info.tag, anchor, info.network, info.station, info.location, info.band)
        groups[key].append(info)
    return groups


def _short_event_id(event_id: str) -> str:
    """The last part of a resource URI, for record ids (smi:local/IT-2009-0009 -> IT-2009-0009)."""
    tail = re.split(r"[/=:?&]", event_id)[-1]
    return tail or event_id


@dataclass(frozen=True)
class _RecordSamples:
    """What a record's traces agree on, checked: component order, rate, length, PGA."""

    order: tuple[str, ...]
    rate: float
    npts: int
    by_component: dict[str, TraceInfo]
    pga: float


def _record_samples(
    f: h5py.File, path: str, infos: list[TraceInfo], label: str, with_pga: bool
) -> _RecordSamples:
    """Check that ``infos`` make one three-component record at one sampling rate and read
    its PGA (the larger horizontal peak over the common length; NaN unless ``with_pga``).
    Raises :class:`AsdfError` naming ``label`` when they do not."""
    order = _component_order(infos, path, label.split("::", 1)[1])
    rate = _common_rate(infos, path, "one sampling rate per record", label)
    npts = min(i.npts for i in infos)
    by_component = {i.component: i for i in infos}
    pga = math.nan
    if with_pga:
        pga = max(
            float(np.max(np.abs(_read_data(f, by_component[c], path)[:npts]))) for c in order[:2]
        )
    return _RecordSamples(order, rate, npts, by_component, pga)


def _station_coordinates(
    f: h5py.File,
    group: str,
    path: str,
    stations: dict[str, dict[str, Any]],
    skipped: list[tuple[str, str]] | None,
) -> dict[str, Any]:
    """The coordinates of station ``group`` (NET.STA) from its StationXML, parsed once per
    file into ``stations``. One unreadable StationXML costs that station its coordinates,
    not the file its records: it raises, or is said in ``skipped`` when the caller collects."""
    if group not in stations:
        try:
            stations[group] = _parse_stationxml(f, group, path)
        except AsdfError as exc:
            if skipped is None:
                raise
            skipped.append((f"{path}::Waveforms/{group}/StationXML", str(exc)))
            stations[group] = _unknown_station()
    return stations[group]


def _epicentral_distance_km(event: dict[str, Any], station: dict[str, Any]) -> float:
    """Epicentral distance (km) on the WGS84 ellipsoid; NaN when a coordinate is unknown."""
    from obspy.geodetics import gps2dist_azimuth

    coords = (
        event.get("latitude", math.nan),
        event.get("longitude", math.nan),
        station["latitude"],
        station["longitude"],
    )
    if not all(math.isfinite(v) for v in coords):
        return math.nan
    return gps2dist_azimuth(*coords)[0] / 1e3


def _table_record_id(
    key: tuple[str, str, str, str, str, str], starttime: datetime | None, multi_tag: bool
) -> str:
    """The record id of a group key: ``EVENT.NET.STA.LOC.BAND`` for event data,
    ``noise.NET.STA.LOC.BAND.YYYYmmddTHHMMSS`` for noise windows, with ``@TAG`` appended
    when the file holds several tags and this one is neither processed acceleration nor noise."""
    tag, anchor, network, station, location, band = key
    if not anchor.startswith("@"):
        record_id = f"{_short_event_id(anchor)}.{network}.{station}.{location}.{band}"
    else:
        stamp = starttime.strftime("%Y%m%dT%H%M%S") if starttime else "x"
        record_id = f"noise.{network}.{station}.{location}.{band}.{stamp}"
    if multi_tag and tag not in (DEFAULT_TAG, NOISE_TAG):
        record_id += f"@{tag}"
    return record_id


def _table_row(
    key: tuple[str, str, str, str, str, str],
    samples: _RecordSamples,
    event: dict[str, Any],
    station: dict[str, Any],
    path: str,
    multi_tag: bool,
) -> dict[str, Any]:
    """One record table row (the record table's column names) from a checked record."""
    tag, anchor, network, station_code, location, _band = key
    is_event = not anchor.startswith("@")
    order, by_component = samples.order, samples.by_component
    first = by_component[order[0]]
    return {
        "record_id": _table_record_id(key, first.starttime, multi_tag),
        "event_id": anchor if is_event else None,
        "event_time": event.get("time"),
        "event_latitude": event.get("latitude", math.nan),
        "event_longitude": event.get("longitude", math.nan),
        "event_depth_km": event.get("depth_km", math.nan),
        "mw": event.get("mw", math.nan),
        "ml": event.get("ml", math.nan),
        "network": network,
        "station": station_code,
        "location": location,
        "station_latitude": station["latitude"],
        "station_longitude": station["longitude"],
        "vs30_m_s": station["vs30_m_s"],
        "ec8_class": station["ec8_class"],
        "epicentral_distance_km": _epicentral_distance_km(event, station),
        "sampling_rate_hz": samples.rate,
        "npts": samples.npts,
        "components": ",".join(order),
        "pga_cm_s2": samples.pga,
        "source_format": "asdf",
        "source_path": path,
        "record_duration_s": samples.npts / samples.rate,
        "tag": tag,
        "kind": "earthquake" if is_event else "noise",
        "channels": ",".join(by_component[c].channel for c in order),
        "starttime": first.starttime,
        "source_files": "|".join(by_component[c].name for c in order),
    }


@_damaged_as_asdf_error
def read_asdf_table(
    path: str | Path,
    *,
    tags: Iterable[str] | None = None,
    with_pga: bool = True,
    skipped: list[tuple[str, str]] | None = None,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """One dict per three-component record, in the record table's column names.

    Events come from the file's QuakeML (a file without one is read with a
    :class:`SeisganIOWarning` and its records get no event information), station
    coordinates from StationXML, epicentral distance from ``obspy.geodetics``. Records of the
    ``noise`` tag (no event) get ``kind='noise'``. ``tags`` defaults to
    :func:`default_tags`. A broken record raises, or is appended to ``skipped`` as
    ``(path::record, reason)`` when ``skipped`` is a list. ``pga_cm_s2`` is read from the
    samples when ``with_pga``.
    """
    path = str(path)
    rows: list[dict[str, Any]] = []
    with _open(path) as f:
        index = trace_index(f, path)
        chosen_tags = set(tags) if tags is not None else set(default_tags(i.tag for i in index))
        index = [info for info in index if info.tag in chosen_tags]
        events = _parse_quakeml(f, path)
        if events is None:
            warnings.warn(
                f"{path}: no QuakeML, so records get no event information",
                SeisganIOWarning,
                stacklevel=2,
            )
            events = {}
        stations: dict[str, dict[str, Any]] = {}
        groups = _group_records(index)
        multi_tag = len({key[0] for key in groups}) > 1
        for n, (key, infos) in enumerate(sorted(groups.items())):
            tag, anchor, network, station, location, band = key
            label = f"{path}::{tag}/{anchor}/{network}.{station}.{location}.{band}"
            try:
                samples = _record_samples(f, path, infos, label, with_pga)
            except AsdfError as exc:
                if skipped is None:
                    raise
                skipped.append((label, str(exc)))
                continue
            st = _station_coordinates(f, f"{network}.{station}", path, stations, skipped)
            ev = events.get(anchor, {}) if not anchor.startswith("@") else {}
            rows.append(_table_row(key, samples, ev, st, path, multi_tag))
            if progress is not None and (n % 100 == 0 or n == len(groups) - 1):
                progress((n + 1) / len(groups), label)
    return rows


def read_asdf_record_traces(
    f: h5py.File, path: str, names: list[str], group: str
) -> list[np.ndarray]:
    """The samples of the named datasets of one station group in an open file (bulk path)."""
    return _read_named(path, f, names, group)


@_damaged_as_asdf_error
def _read_named(path: str, f: h5py.File, names: list[str], group: str) -> list[np.ndarray]:
    out = []
    for name in names:
        hdf5_path = f"Waveforms/{group}/{name}"
        out.append(_read_dataset(_open_dataset(f, hdf5_path, path), path, hdf5_path))
    return out


@_damaged_as_asdf_error
def open_asdf(path: str | Path) -> h5py.File:
    """Open an ASDF file for reading after the format and link checks (caller closes it)."""
    return _open(path)

"""The one record table every reader maps to, and selection on it.

One row per three-component record. Units are in the column names where a number has one.
Missing values are NaN (or None for text), never invented: a missing Mw stays missing.

``read_records(paths)`` takes any mix of files, folders and zips in the formats of
``../shared/docs/itaca-formats.md`` (ESM/ITACA ASCII, ASDF, the three flat-file layouts,
ITACA 1.x ``.cor.acc`` with its ``.metadata``) and returns a :class:`Catalog`; files that
cannot be read are listed in ``Catalog.skipped`` with the reason. ``Catalog.select`` applies
a :class:`Selection` (the reference study's defaults: Mw > 4.0, depth < 50 km, stations in
Italy; every bound editable). ``read_record_waveforms(row)`` and ``iter_record_waveforms``
return the samples, float64 cm/s^2, E, N, Z order.
"""

from __future__ import annotations

import math
import os
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from seisgan_core import geo
from seisgan_core.fsutil import OUTPUT_MARKER, atomic_write
from seisgan_core.io import asdf as _asdf
from seisgan_core.io import esm_ascii as _esm
from seisgan_core.io import flatfile as _flat
from seisgan_core.io import itaca_legacy as _legacy
from seisgan_core.io import seisbench as _sb
from seisgan_core.io.errors import FormatError, SeisganIOError, UnknownFormatError
from seisgan_core.io.fields import ec8_letter, epicentral_distance_km
from seisgan_core.io.quakeml import looks_like_quakeml
from seisgan_core.io.safety import split_zip_path, zip_members
from seisgan_core.io.waveforms import RecordWaveforms, order_components, stack_components
from seisgan_core.progress import Progress

__all__ = [
    "READERS",
    "RECORD_COLUMNS",
    "Catalog",
    "RecordWaveforms",
    "Selection",
    "empty_table",
    "in_italy",
    "iter_record_waveforms",
    "read_record_waveforms",
    "read_records",
    "read_seisbench",
    "record_products",
    "shown_skips",
    "shown_text",
    "skip_reason",
    "skip_summary",
    "to_table",
    "write_table",
]


# name -> (pandas dtype, description with unit)
RECORD_COLUMNS: dict[str, tuple[str, str]] = {
    "record_id": ("string", "unique id: EVENT_ID.NETWORK.STATION.LOCATION.STREAM-prefix"),
    "event_id": ("string", "event identifier as the archive gives it (ITACA/ESM/QuakeML)"),
    "event_time": ("datetime64[ns, UTC]", "origin time, UTC"),
    "event_latitude": ("float64", "epicentre latitude, degrees north"),
    "event_longitude": ("float64", "epicentre longitude, degrees east"),
    "event_depth_km": ("float64", "hypocentral depth, km"),
    "mw": ("float64", "moment magnitude (NaN where the archive gives none)"),
    "ml": ("float64", "local magnitude"),
    "network": ("string", "FDSN network code"),
    "station": ("string", "station code"),
    "location": ("string", "location code ('' where none)"),
    "station_latitude": ("float64", "degrees north"),
    "station_longitude": ("float64", "degrees east"),
    "vs30_m_s": ("float64", "time-averaged shear-wave velocity of the top 30 m, m/s"),
    "ec8_class": ("string", "Eurocode 8 site class (A-E), None where unknown"),
    "epicentral_distance_km": ("float64", "epicentral distance, km"),
    "sampling_rate_hz": ("float64", "samples per second"),
    "npts": ("Int64", "samples per component"),
    "components": ("string", "component letters in E, N, Z order, e.g. 'E,N,Z' or '2,3,Z'"),
    "pga_cm_s2": ("float64", "largest absolute horizontal peak ground acceleration, cm/s^2"),
    "source_format": (
        "string",
        "esm_ascii | asdf | itaca_flatfile | esm_flatfile | itaca_legacy | seisbench",
    ),
    "source_path": (
        "string",
        "file the record was read from (zip members as zip::member; a SeisBench data set as "
        "its folder or seisbench:NAME)",
    ),
    # added by the io part (optional for other parts; NaN/None where a source lacks them)
    "record_duration_s": ("float64", "length of the record, npts / sampling_rate_hz, s"),
    "d5_95_s": (
        "float64",
        "5-95 % significant duration (Trifunac and Brady 1975) where the archive gives it, s",
    ),
    "tag": ("string", "ASDF waveform tag (None for other formats)"),
    "kind": ("string", "'earthquake', or 'noise' (ASDF tag noise: a trace group with no event)"),
    "channels": ("string", "channel codes in E, N, Z order, e.g. 'HNE,HNN,HNZ'"),
    "starttime": ("datetime64[ns, UTC]", "time of the first sample, UTC"),
    "source_files": (
        "string",
        "the three components' files (ASCII, .cor.acc) or ASDF dataset names, '|'-joined, "
        "in E, N, Z order; a SeisBench record's [chunk::]trace_name; empty for metadata-only "
        "rows (flat files)",
    ),
}


def empty_table() -> pd.DataFrame:
    """A record table with no rows and every column typed."""
    return pd.DataFrame(
        {name: pd.Series(dtype=dtype) for name, (dtype, _) in RECORD_COLUMNS.items()}
    )


def to_table(rows: Sequence[Mapping[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    """Rows (dicts in the record table's names) as a typed table with RECORD_COLUMNS in order.

    Missing columns are filled with NaN/None; keys that are not record columns are dropped.
    """
    frame = pd.DataFrame(rows) if not isinstance(rows, pd.DataFrame) else rows.copy()
    if frame.empty:
        return empty_table()
    out = {}
    for name, (dtype, _) in RECORD_COLUMNS.items():
        if name in frame:
            column = frame[name]
        else:
            column = pd.Series([None] * len(frame), index=frame.index, dtype=object)
        if dtype.startswith("datetime64"):
            column = pd.to_datetime(column, utc=True, errors="raise")
            column = column.astype(dtype)
        elif dtype == "string":
            column = column.astype(object).where(column.notna(), None).astype("string")
        elif dtype == "Int64":
            column = pd.to_numeric(column, errors="raise").astype("Int64")
        else:
            column = pd.to_numeric(column, errors="raise").astype(dtype)
        out[name] = column.reset_index(drop=True)
    return pd.DataFrame(out)


# --------------------------------------------------------------------------- reading paths


def _expand(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        # absolute, so a catalog written to parquet still finds its files from elsewhere
        path = Path(os.path.abspath(raw))
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs.sort()
                # the marker a seisgan command leaves beside what it wrote is no recording
                files.extend(
                    Path(root) / name for name in sorted(names) if not name.endswith(OUTPUT_MARKER)
                )
        else:
            files.append(path)
    return files


def _processing_rank(summary: dict[str, Any]) -> int:
    """Manually processed first, then automatic, then other, then unprocessed (ESM ships
    converted-only 'CV' files beside processed ones for the same component)."""
    text = (summary["fields"].get("PROCESSING") or "").strip().lower()
    if text.startswith("manual"):
        return 0
    if text.startswith("auto"):
        return 1
    if text and text not in ("none", "no", "raw", "unprocessed", "converted"):
        return 2
    return 3


def _best_versions(
    versions: list[dict[str, Any]], skipped: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    """One file per component: where several versions of a component exist, the best
    processed one (the others go to ``skipped`` with the reason)."""
    by_component: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for summary in versions:
        by_component[summary["component"]].append(summary)
    kept = []
    for candidates in by_component.values():
        ranked = sorted(candidates, key=lambda c: (_processing_rank(c), c["path"]))
        best = ranked[0]
        kept.append(best)
        for other in ranked[1:]:
            if _processing_rank(other) == _processing_rank(best):
                kept.append(other)  # same standing: a real conflict, reported below
            else:
                skipped.append(
                    (
                        other["path"],
                        f"another version of this component is better processed: {best['path']}"
                        f" ({best['fields'].get('PROCESSING')})",
                    )
                )
    return kept


def _esm_rows(
    summaries: list[dict[str, Any]],
    skipped: list[tuple[str, str]],
    products: list[tuple[str, str]] | None = None,
) -> list[dict[str, Any]]:
    """Group ASCII components into records by (event, network, station, location, band).

    The record's other DYNA products (VEL, DIS, SA, PSV, SD) are not records: they go to
    ``products`` as ``(path, 'VEL of EVENT.NET.STA.LOC.BAND component E')``; a file of a
    DATA_TYPE that is neither goes to ``skipped``."""
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for s in summaries:
        if s["product"] in _esm.PRODUCTS.values() and s["product"] != "ACC":
            if products is not None:
                what = f"{s['product']} of {'.'.join(s['key'])} component {s['component']}"
                products.append((s["path"], what))
            continue
        if not s["acceleration"]:
            skipped.append(
                (
                    s["path"],
                    f"{s['path']}: expected DATA_TYPE ACCELERATION or a DYNA product "
                    f"(VELOCITY, DISPLACEMENT, a response spectrum), found {s['data_type']!r}",
                )
            )
            continue
        groups[s["key"]].append(s)
    rows = []
    for key, versions in groups.items():
        comps = _best_versions(versions, skipped)
        by_comp = {c["component"]: c for c in comps}
        order = order_components(by_comp)
        if order is None or len(comps) != 3:
            found = ",".join(sorted(c["component"] or "?" for c in comps))
            for c in comps:
                skipped.append(
                    (
                        c["path"],
                        f"record {'.'.join(key)}: expected three components (two horizontals"
                        f" and Z) with one file each, found {found}",
                    )
                )
            continue
        rates = {round(c["rate"], 9) for c in comps}
        if len(rates) != 1:
            for c in comps:
                skipped.append((c["path"], f"components of one record at different rates {rates}"))
            continue
        rows.append(_esm.record_row(key, by_comp, order))
    return rows


# files whose path the record table stores (source_files joins a record's files with '|'; a
# zip member is ZIP::MEMBER): a path holding a separator could not be read back
_PATH_IN_TABLE = ("esm_ascii", "zip", "cor_acc", "metadata")


def _check_separators(path: Path, separators: Sequence[str]) -> None:
    """`FormatError` (a clear skip reason) for a path holding one of ``separators``."""
    held = [s for s in separators if s in str(path)]
    if held:
        raise FormatError(
            path,
            None,
            "a path without '|' or '::' (the record table separates a record's files with '|' "
            "and names zip members ZIP::MEMBER); rename the file or its folder",
            f"a path holding {' and '.join(repr(s) for s in held)}",
            field="path",
        )


@dataclass
class _Source:
    """One file or zip member as the registry sees it: its name (``label``: the path or
    ``archive.zip::member``), first bytes, all bytes on demand, and where it lies."""

    label: str
    head: bytes
    data: Callable[[], bytes]
    folder: Any  # ITACA 1.x files are grouped by folder (or by zip and folder inside it)
    in_zip: bool

    @property
    def name(self) -> str:
        return self.label.rpartition("/")[2].rpartition("::")[2].lower()


@dataclass
class _Found:
    """What reading gathers: rows, ESM components to group, skips, ITACA 1.x files."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    esm: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    legacy: dict[Any, dict[str, list[Path]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )


def _read_esm(src: _Source, found: _Found) -> None:
    found.esm.append(_esm.component_summary(_esm.parse_esm_ascii(src.data(), src.label)))


def _read_flat(src: _Source, found: _Found) -> None:
    found.rows.extend(_flat.read_flatfile_bytes(src.data(), src.label))


def _read_asdf(src: _Source, found: _Found) -> None:
    if src.in_zip:
        reason = "an HDF5/ASDF file inside a zip; unzip it first (HDF5 needs random access)"
        found.skipped.append((src.label, f"{src.label}: {reason}"))
        return
    found.rows.extend(_asdf.read_asdf_table(src.label, skipped=found.skipped))


def _read_zip_file(src: _Source, found: _Found) -> None:
    if src.in_zip:
        found.skipped.append((src.label, f"{src.label}: a zip inside a zip; unzip it first"))
        return
    _read_zip(Path(src.label), found)


def _group_legacy(kind: str) -> Callable[[_Source, _Found], None]:
    def group(src: _Source, found: _Found) -> None:
        found.legacy[src.folder][kind].append(Path(src.label))

    return group


def _pass_over(src: _Source, found: _Found) -> None:
    """ITACA 1.x ``.rs`` spectra belong to a ``.cor.acc``; they are not records."""


def _events_only(src: _Source, found: _Found) -> None:
    found.skipped.append((src.label, f"{src.label}: QuakeML holds events, not records"))


# The one registry of (kind, is_x, read_x), for files and zip members alike: the first whose
# test takes the source reads it. ITACA 1.x files are told by name, the rest by content.
READERS: tuple[tuple[str, Callable[[str, bytes], bool], Callable[[_Source, _Found], None]], ...] = (
    ("cor_acc", lambda name, head: name.endswith(".cor.acc"), _group_legacy("cor_acc")),
    ("metadata", lambda name, head: name.endswith(".metadata"), _group_legacy("metadata")),
    ("rs", lambda name, head: name.endswith(".rs"), _pass_over),
    ("zip", lambda name, head: head.startswith((b"PK\x03\x04", b"PK\x05\x06")), _read_zip_file),
    ("asdf", lambda name, head: head.startswith(b"\x89HDF\r\n\x1a\n"), _read_asdf),
    ("esm_ascii", lambda name, head: _esm.looks_like_esm(head), _read_esm),
    ("flatfile", lambda name, head: _flat.looks_like_flatfile(head), _read_flat),
    ("quakeml", lambda name, head: looks_like_quakeml(head), _events_only),
)


def _dispatch(src: _Source, found: _Found) -> None:
    for kind, is_x, read_x in READERS:
        if is_x(src.name, src.head):
            if kind in _PATH_IN_TABLE and not src.in_zip:
                _check_separators(Path(src.label), ("|", "::") if kind == "zip" else ("|",))
            read_x(src, found)
            return
    raise UnknownFormatError(
        src.label,
        None,
        "ESM/ITACA ASCII, ASDF, a flat file, ITACA 1.x .cor.acc/.metadata or a zip",
        "none of these",
    )


def _file_source(path: Path) -> _Source:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    with open(path, "rb") as handle:
        head = handle.read(4096)
    return _Source(str(path), head, path.read_bytes, path.parent, in_zip=False)


def read_records(
    paths: Iterable[str | Path] | str | Path, *, progress: Progress | None = None
) -> Catalog:
    """Read any mix of files, folders and zips into one record table.

    Each file and zip member goes to the first reader of :data:`READERS` that takes it: by
    content (a zip, the HDF5 signature, a DYNA header, flat-file columns, QuakeML) and by
    name for ITACA 1.x (``.cor.acc``, ``.metadata``; ``.rs`` spectra are not records and are
    passed over). Each is read in isolation: whatever it raises makes it a skip in
    ``Catalog.skipped`` with the reason, and the rest are read. The records' other DYNA
    products (VEL, DIS, SA, PSV, SD) go to ``Catalog.products``. Records met twice (the same
    record id from a flat file and from waveforms) are merged: the waveform row wins and keeps
    values only the flat file has.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    found = _Found()
    paths = _seisbench_sources(paths, found.rows, found.skipped)
    # a descriptor inside a folder (data/raw/NAME/source.seisbench.json, as the app saves it)
    files = [Path(p) for p in _seisbench_sources(_expand(paths), found.rows, found.skipped,
                                                 files=True)]  # fmt: skip
    for n, path in enumerate(files):
        if progress is not None:
            progress(n / max(len(files), 1), f"reading {path.name}")
        try:
            _dispatch(_file_source(path), found)
        except Exception as exc:  # one file, read in isolation: its failure is a skip
            found.skipped.append((str(path), skip_reason(path, exc)))
    products: list[tuple[str, str]] = []
    rows = found.rows + _esm_rows(found.esm, found.skipped, products)
    for _folder, kinds in sorted(found.legacy.items(), key=lambda item: str(item[0])):
        rows.extend(_legacy_rows(kinds["metadata"], kinds["cor_acc"], found.skipped))
    if progress is not None:
        progress(1.0, f"{len(rows)} records")
    duplicates: list[tuple[str, str]] = []
    table = _merge_duplicates(to_table(rows), duplicates)
    return Catalog(table=table, skipped=found.skipped, duplicates=duplicates, products=products)


def _seisbench_sources(
    paths: Iterable[str | Path],
    rows: list[dict[str, Any]],
    skipped: list[tuple[str, str]],
    *,
    files: bool = False,
) -> list[str | Path]:
    """Read the SeisBench sources among ``paths`` (data set folders, ``*.json`` descriptors,
    ``seisbench:NAME``; only descriptors when ``files``) into ``rows``; return the others."""
    rest: list[str | Path] = []
    for raw in paths:
        text = str(raw)
        if not files and (text.startswith(_sb.NAMED_PREFIX) or _sb.is_seisbench_folder(text)):
            source, where = _sb.resolve_source(text), None
        elif text.endswith(".json") and _sb.is_descriptor(text):
            source, where = _sb.read_descriptor(text)
        else:
            rest.append(raw)
            continue
        try:
            rows.extend(read_seisbench(source, where=where, allow_download=False))
        except SeisganIOError as exc:
            skipped.append((text, str(exc)))
    return rest


def read_seisbench(
    name_or_folder: str | Path,
    *,
    where: str | None = None,
    timeout_s: float = 10.0,
    allow_download: bool = True,
) -> list[dict[str, Any]]:
    """Record rows of a SeisBench data set (a class name such as ``ESM25GoodMP``, or a
    folder in SeisBench's format), filtered by ``where`` over SeisBench's metadata; see
    :mod:`seisgan_core.io.seisbench`. Raises its errors (unavailable, bad data_format)."""
    source = _sb.resolve_source(name_or_folder)
    rows = _sb.read_seisbench_rows(
        source, where=where, timeout_s=timeout_s, allow_download=allow_download
    )
    for row in rows:
        row["ec8_class"] = ec8_letter(row["ec8_class"])
        if not math.isfinite(row["epicentral_distance_km"]):
            row["epicentral_distance_km"] = epicentral_distance_km(
                row["event_latitude"], row["event_longitude"],
                row["station_latitude"], row["station_longitude"],
            )  # fmt: skip
    return rows


def _skip_category(path: str, reason: str) -> str:
    """What kind of problem a skip reason names, without the file and its own values: the
    ``expected ...`` part of a FormatError message, else the message without its file name."""
    text = reason[len(path) :].lstrip(": ") if reason.startswith(path) else reason
    if "expected " in text:
        text = "expected " + text.split("expected ", 1)[1].split(", found", 1)[0]
    return text.split(" (")[0] if text.startswith("could not be read") else text


def skip_summary(skipped: Sequence[tuple[str, str]]) -> list[tuple[str, int]]:
    """``(reason, count)`` for skipped files grouped by the kind of problem, most first."""
    counts: dict[str, int] = defaultdict(int)
    for path, reason in skipped:
        counts[_skip_category(str(path), str(reason))] += 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def shown_text(text: str, base: str | Path) -> str:
    """``text`` with the server's path to ``base`` cut to the folder's name (what the app
    shows: no server path reaches the browser)."""
    root = os.path.abspath(base).rstrip(os.sep) or os.sep
    name = os.path.basename(root) or root
    return str(text).replace(root + os.sep, "").replace(root, name)


def shown_skips(skipped: Sequence[tuple[str, str]], base: str | Path) -> list[tuple[str, str]]:
    """Skipped files with paths relative to ``base`` in both path and reason."""
    return [(shown_text(path, base), shown_text(reason, base)) for path, reason in skipped]


def skip_reason(path: str | Path, exc: BaseException) -> str:
    """Why a file was skipped: the project's own error as it is, anything else named with the
    file and the exception type (a reader bug or a resource limit, never a traceback)."""
    if isinstance(exc, SeisganIOError | OSError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return f"{path}: expected a file that fits in memory, found one that does not"
    detail = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{path}: could not be read ({type(exc).__name__}{': ' + detail if detail else ''})"


def _read_zip(path: Path, found: _Found) -> None:
    """Every member of a zip through the same registry as files, read from memory after the
    safety checks (an unsafe archive raises as a whole); a member is ``zip::member``."""
    for label, info, read in zip_members(path):
        try:
            raw = read()
            folder = (str(path), info.filename.rpartition("/")[0])
            _dispatch(_Source(label, raw[:4096], lambda raw=raw: raw, folder, True), found)
        except Exception as exc:  # one member, read in isolation
            found.skipped.append((label, skip_reason(label, exc)))


def _legacy_rows(
    metadata: list[Path], cor_acc: list[Path], skipped: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    """ITACA 1.x records of one folder: ``NNNNN.metadata`` with ``NNNNN_{H1,H2,V}.cor.acc``."""
    by_id: dict[str, dict[str, Any]] = defaultdict(lambda: {"metadata": None, "acc": []})
    for path in metadata:
        by_id[path.name[: -len(".metadata")]]["metadata"] = path
    for path in cor_acc:
        by_id[path.name.split("_")[0]]["acc"].append(path)
    rows = []
    for _waveform_id, parts in sorted(by_id.items()):
        try:
            rows.append(_legacy.read_legacy_record(parts["metadata"], sorted(parts["acc"])))
        except Exception as exc:  # one record, read in isolation
            where = str(parts["metadata"] or parts["acc"][0])
            skipped.append((where, skip_reason(where, exc)))
    return rows


def _merge_duplicates(table: pd.DataFrame, duplicates: list[tuple[str, str]]) -> pd.DataFrame:
    """One row per record id: waveform rows first, gaps filled from the others (a flat file's
    Vs30, say). A second waveform source of the same record is listed in ``duplicates``."""
    if table.empty or not table["record_id"].duplicated().any():
        return table
    has_waves = _has_waveforms(table)
    order = np.argsort(~has_waves.to_numpy(), kind="stable")
    ordered = table.iloc[order]
    waves = ordered[_has_waveforms(ordered)]
    for index in np.flatnonzero(waves["record_id"].duplicated().to_numpy()):
        row = waves.iloc[index]
        first = waves[waves["record_id"] == row["record_id"]].iloc[0]
        duplicates.append(
            (
                str(row["source_path"]),
                f"record {row['record_id']} also read from {first['source_path']}; kept that one",
            )
        )
    merged = ordered.groupby("record_id", sort=False, dropna=False).first().reset_index()
    return to_table(merged[list(RECORD_COLUMNS)])


def _has_waveforms(table: pd.DataFrame) -> pd.Series:
    files = table["source_files"]
    return (files.notna() & (files.fillna("") != "")).astype(bool)


# --------------------------------------------------------------------------- selection


@lru_cache(maxsize=2)
def _outlines(path: str) -> tuple[list[Any], list[Any], list[np.ndarray]]:
    """(Italy's geometries, the neighbours' geometries, Italy's outer rings as lon/lat)."""
    countries = geo.read_outline(path)
    italy = [c.geometry for c in countries if c.is_italian]
    others = [c.geometry for c in countries if not c.is_italian]
    edges = [ring for c in countries if c.is_italian for ring in c.exteriors]
    return italy, others, edges


def in_italy(
    latitude: Any,
    longitude: Any,
    *,
    coast_tolerance_km: float = 1.0,
    outline: str | Path | None = None,
) -> np.ndarray:
    """True where a point lies in Italy (with San Marino and the Vatican).

    Point in polygon on the committed Natural Earth outline (Italy at 1:10 m)
    (``seisgan_core/resources/italy.geojson``). A point in the sea within
    ``coast_tolerance_km`` of Italy's outline counts as inside (coastal stations sit on a
    coastline the 1:10 m outline smooths); a point inside a neighbouring country never does.
    NaN coordinates are outside.
    """
    lat = np.atleast_1d(np.asarray(latitude, dtype=float))
    lon = np.atleast_1d(np.asarray(longitude, dtype=float))
    points = np.column_stack([lon, lat])
    valid = np.isfinite(points).all(axis=1)
    result = np.zeros(len(points), dtype=bool)
    if not valid.any():
        return result
    italy, others, edges = _outlines(str(outline or geo.OUTLINE_PATH))
    # records share stations: test each distinct place once (13,600 ITACA-size records sit
    # at ~1,700 stations)
    p, back = np.unique(points[valid], axis=0, return_inverse=True)
    inside = geo.contains(italy, p[:, 0], p[:, 1])
    rest = ~inside
    if rest.any() and coast_tolerance_km > 0:
        candidates = np.flatnonzero(rest)
        q = p[candidates]
        near = geo.distance_to_rings_km(q[:, 0], q[:, 1], edges) <= coast_tolerance_km
        near &= ~geo.contains(others, q[:, 0], q[:, 1])
        inside[candidates[near]] = True
    result[valid] = inside[back.reshape(-1)]
    return result


@dataclass
class Selection:
    """Bounds on the record table; None means no bound. Defaults: the reference study's.

    Magnitude and depth bounds are exclusive on the study's side (Mw > 4.0, depth < 50 km);
    a record whose value is missing fails a bound on that value (a missing Mw is not > 4).
    """

    mw_min: float | None = 4.0  # exclusive
    mw_max: float | None = None  # inclusive
    depth_max_km: float | None = 50.0  # exclusive
    depth_min_km: float | None = None  # inclusive
    distance_min_km: float | None = None  # inclusive
    distance_max_km: float | None = None  # inclusive
    in_italy: bool = True  # station inside Italy's outline
    networks: tuple[str, ...] | None = None
    ec8_classes: tuple[str, ...] | None = None
    sampling_rates_hz: tuple[float, ...] | None = None
    kinds: tuple[str, ...] | None = ("earthquake",)
    require_waveforms: bool = False  # leave out metadata-only rows (flat files)

    def masks(self, table: pd.DataFrame) -> dict[str, np.ndarray]:
        """One boolean mask per active criterion (True = kept), in the order they apply."""
        masks: dict[str, np.ndarray] = {}

        def values(column: str) -> np.ndarray:
            return table[column].to_numpy(dtype=float, na_value=np.nan)

        if self.mw_min is not None:
            masks[f"mw > {self.mw_min:g}"] = values("mw") > self.mw_min
        if self.mw_max is not None:
            masks[f"mw <= {self.mw_max:g}"] = values("mw") <= self.mw_max
        if self.depth_max_km is not None:
            masks[f"depth < {self.depth_max_km:g} km"] = (
                values("event_depth_km") < self.depth_max_km
            )
        if self.depth_min_km is not None:
            masks[f"depth >= {self.depth_min_km:g} km"] = (
                values("event_depth_km") >= self.depth_min_km
            )
        if self.distance_min_km is not None:
            masks[f"distance >= {self.distance_min_km:g} km"] = (
                values("epicentral_distance_km") >= self.distance_min_km
            )
        if self.distance_max_km is not None:
            masks[f"distance <= {self.distance_max_km:g} km"] = (
                values("epicentral_distance_km") <= self.distance_max_km
            )
        if self.in_italy:
            masks["station in Italy"] = in_italy(
                values("station_latitude"), values("station_longitude")
            )
        if self.networks is not None:
            masks["network in " + ",".join(self.networks)] = (
                table["network"].isin(list(self.networks)).fillna(False).to_numpy(dtype=bool)
            )
        if self.ec8_classes is not None:
            masks["EC8 class in " + ",".join(self.ec8_classes)] = (
                table["ec8_class"].isin(list(self.ec8_classes)).fillna(False).to_numpy(dtype=bool)
            )
        if self.sampling_rates_hz is not None:
            rate = values("sampling_rate_hz")
            masks["sampling rate in " + ",".join(f"{r:g}" for r in self.sampling_rates_hz)] = (
                np.isclose(rate[:, None], np.asarray(self.sampling_rates_hz, float)[None]).any(1)
                if len(self.sampling_rates_hz)
                else np.zeros(len(table), dtype=bool)
            )
        if self.kinds is not None:
            kind = table["kind"].fillna("earthquake")
            masks["kind in " + ",".join(self.kinds)] = kind.isin(list(self.kinds)).to_numpy(
                dtype=bool
            )
        if self.require_waveforms:
            masks["has waveforms"] = _has_waveforms(table).to_numpy(dtype=bool)
        return masks

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------- the catalog


@dataclass
class Catalog:
    """The record table, with what could not be read (``skipped``: (path, reason)) and the
    records met in more than one waveform source (``duplicates``: (path, which one was kept)).
    """

    table: pd.DataFrame = field(default_factory=empty_table)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    selection_report: list[tuple[str, int]] = field(default_factory=list)
    # the records' other DYNA products met while reading (path, what): not records, not errors
    products: list[tuple[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.table)

    def select(self, selection: Selection | None = None) -> Catalog:
        """The records inside every bound of ``selection`` (default: the study's).

        ``selection_report`` of the result lists, per criterion in order, how many records
        it removed (after the criteria before it), and how many had the value missing.
        """
        selection = selection or Selection()
        keep = np.ones(len(self.table), dtype=bool)
        report: list[tuple[str, int]] = []
        for name, mask in selection.masks(self.table).items():
            removed = int((keep & ~mask).sum())
            report.append((name, removed))
            keep &= mask
        return Catalog(
            table=self.table[keep].reset_index(drop=True),
            skipped=list(self.skipped),
            duplicates=list(self.duplicates),
            selection_report=report,
            products=list(self.products),
        )

    def _of_kind(self, kinds: tuple[str, ...] | None) -> pd.DataFrame:
        if kinds is None:
            return self.table
        kind = self.table["kind"].fillna("earthquake")
        return self.table[kind.isin(list(kinds)).to_numpy(dtype=bool)]

    def summary(self, kinds: tuple[str, ...] | None = ("earthquake",)) -> pd.DataFrame:
        """Count, missing, mean, median, std, min and max of Mw, depth, distance, duration and
        PGA (the reference study's statistics of its set), over the records of ``kinds``
        (earthquake records by default; noise windows have no event to describe)."""
        table = self._of_kind(kinds)
        quantities = {
            "mw": "Mw",
            "event_depth_km": "depth (km)",
            "epicentral_distance_km": "epicentral distance (km)",
            "d5_95_s": "significant duration D5-95 (s)",
            "record_duration_s": "record duration (s)",
            "pga_cm_s2": "PGA (cm/s²)",
        }
        rows = []
        for column, label in quantities.items():
            values = table[column].to_numpy(dtype=float, na_value=np.nan)
            present = values[np.isfinite(values)]
            rows.append(
                {
                    "quantity": label,
                    "column": column,
                    "count": int(present.size),
                    "missing": int(values.size - present.size),
                    "mean": float(present.mean()) if present.size else math.nan,
                    "median": float(np.median(present)) if present.size else math.nan,
                    "std": float(present.std(ddof=1)) if present.size > 1 else math.nan,
                    "min": float(present.min()) if present.size else math.nan,
                    "max": float(present.max()) if present.size else math.nan,
                }
            )
        return pd.DataFrame(rows).set_index("quantity")

    def counts(self) -> dict[str, int]:
        """Earthquake records, noise windows, events, stations (of earthquake records), Mw
        missing among them, and rows per source format."""
        table = self._of_kind(("earthquake",))
        out = {
            "records": len(table),
            "noise": len(self.table) - len(table),
            "events": int(table["event_id"].nunique()),
            "stations": int(
                (table["network"].fillna("") + "." + table["station"].fillna("")).nunique()
            ),
            "mw_missing": int(table["mw"].isna().sum()),
        }
        for fmt, n in self.table["source_format"].value_counts().items():
            out[f"format {fmt}"] = int(n)
        return out

    def to_parquet(self, path: str | Path) -> Path:
        """Write the table atomically (temporary file in the same folder, then rename)."""
        return write_table(self.table, path)

    @classmethod
    def from_parquet(cls, path: str | Path) -> Catalog:
        return cls(table=to_table(pd.read_parquet(path)))


def write_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a record table to parquet atomically."""
    path = Path(path)
    with atomic_write(path, "wb") as handle:
        table.to_parquet(handle, index=False)
    return path


# --------------------------------------------------------------------------- waveforms


def _get(row: Any, name: str) -> Any:
    if isinstance(row, Mapping):
        return row.get(name)
    if isinstance(row, pd.Series):
        return row.get(name)
    return getattr(row, name, None)


def _files(row: Any) -> list[str]:
    text = _get(row, "source_files")
    if text is None or (isinstance(text, float) and math.isnan(text)) or text is pd.NA or not text:
        raise FormatError(
            str(_get(row, "source_path")),
            None,
            "a record with waveforms (source_files)",
            f"a metadata-only row ({_get(row, 'source_format')})",
            field="source_files",
        )
    return str(text).split("|")


def _components(row: Any) -> tuple[str, ...]:
    return tuple(str(_get(row, "components")).split(","))


def _one_file_per_component(row: Any, read: Callable[[str], Any], samples: str) -> RecordWaveforms:
    """A record whose components lie in one file each (``source_files``, in ``components``
    order): ``read`` opens a file, its ``samples`` attribute holds cm/s^2."""
    order = _components(row)
    traces = {}
    rate = None
    for component, path in zip(order, _files(row), strict=True):
        trace = read(path)
        traces[component] = getattr(trace, samples)
        rate = trace.sampling_rate_hz
    return RecordWaveforms(stack_components(traces, order), float(rate), order, _start(row))


def _ascii_record(row: Any) -> RecordWaveforms:
    return _one_file_per_component(row, _esm.read_esm_ascii, "data")


def _legacy_record(row: Any) -> RecordWaveforms:
    return _one_file_per_component(row, _legacy.read_cor_acc, "data_cm_s2")


def _start(row: Any) -> Any:
    value = _get(row, "starttime")
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    return pd.Timestamp(value).to_pydatetime()


def _asdf_record(f: Any, row: Any) -> RecordWaveforms:
    order = _components(row)
    names = _files(row)
    group = f"{_get(row, 'network')}.{_get(row, 'station')}"
    path = str(_get(row, "source_path"))
    arrays = _asdf.read_asdf_record_traces(f, path, names, group)
    rate = float(_get(row, "sampling_rate_hz"))
    return RecordWaveforms(
        stack_components(dict(zip(order, arrays, strict=True)), order), rate, order, _start(row)
    )


def read_record_waveforms(row: Any) -> RecordWaveforms:
    """The three components of one record-table row: float64 (3, npts), cm/s^2, E, N, Z."""
    fmt = _get(row, "source_format")
    if fmt == "esm_ascii":
        return _ascii_record(row)
    if fmt == "itaca_legacy":
        return _legacy_record(row)
    if fmt == "asdf":
        with _asdf.open_asdf(str(_get(row, "source_path"))) as f:
            return _asdf_record(f, row)
    if fmt == "seisbench":
        data, rate, order = _sb.read_seisbench_record(
            str(_get(row, "source_path")), str(_get(row, "source_files"))
        )
        return RecordWaveforms(data, rate, order, _start(row))
    return _raise_no_waveforms(row)


_PRODUCT_IN_NAME = re.compile(r"\.ACC\.ASC$", re.IGNORECASE)


def _product_path(acc_path: str, product: str) -> str | None:
    """The path ITACA/ESM give a record's ``product`` beside ``*.ACC.ASC`` (same case), or None
    where the file (or zip member) is absent or the name does not follow the convention."""
    match = _PRODUCT_IN_NAME.search(acc_path)
    if match is None:
        return None
    suffix = f".{product}.ASC"
    candidate = acc_path[: match.start()] + (suffix if match.group(0).isupper() else suffix.lower())
    if split_zip_path(candidate) is not None:
        archive, _, member = candidate.partition("::")
        try:
            with zipfile.ZipFile(archive) as zf:
                zf.getinfo(member)
        except (OSError, KeyError, zipfile.BadZipFile):
            return None
        return candidate
    return candidate if Path(candidate).is_file() else None


def record_products(row: Any) -> dict[str, dict[str, _esm.EsmAsciiTrace]]:
    """ITACA's own products of an ESM ASCII record that lie beside its ``*.ACC.ASC`` files:
    ``{'VEL': {'E': trace, 'N': ..., 'Z': ...}, 'SA': {...}, ...}`` (VEL, DIS: time series in
    cm/s and cm; SA, PSV, SD: 5 %-damped spectra with ``trace.periods``).

    Each product file must say it is that product of the same record and component (its
    header's DATA_TYPE, event, station, stream); one that does not, or cannot be read, is left
    out. Records of other formats have none: ``{}``.
    """
    if _get(row, "source_format") != "esm_ascii":
        return {}
    found: dict[str, dict[str, _esm.EsmAsciiTrace]] = {}
    for component, acc_path in zip(_components(row), _files(row), strict=True):
        paths = {p: _product_path(acc_path, p) for p in ("VEL", "DIS", "SA", "PSV", "SD")}
        paths = {p: path for p, path in paths.items() if path is not None}
        if not paths:
            continue
        try:
            key = _esm.read_esm_ascii(acc_path).record_key()
        except (SeisganIOError, OSError):
            continue
        for product, path in paths.items():
            try:
                trace = _esm.read_esm_ascii(path)
            except (SeisganIOError, OSError):
                continue
            if (trace.product, trace.record_key(), trace.component) == (product, key, component):
                found.setdefault(product, {})[component] = trace
    return found


def _raise_no_waveforms(row: Any) -> RecordWaveforms:
    raise FormatError(
        str(_get(row, "source_path")),
        None,
        "a record with waveforms (esm_ascii, asdf, itaca_legacy or seisbench)",
        f"a metadata-only row ({_get(row, 'source_format')})",
        field="source_format",
    )


def iter_record_waveforms(
    table: pd.DataFrame, *, progress: Progress | None = None
) -> Iterator[tuple[str, RecordWaveforms]]:
    """Yield ``(record_id, RecordWaveforms)`` for every row, grouped by source file.

    Each ASDF file is opened once and its records read through h5py; one record's samples
    are in memory at a time (plus what the caller keeps). Rows without waveforms raise.
    """
    total = len(table)
    done = 0
    for (fmt, source), group in table.groupby(
        ["source_format", "source_path"], sort=False, dropna=False
    ):
        if fmt == "asdf":
            with _asdf.open_asdf(str(source)) as f:
                for row in group.itertuples(index=False):
                    yield row.record_id, _asdf_record(f, row)
                    done += 1
                    if progress is not None:
                        progress(done / total, row.record_id)
        else:
            for row in group.itertuples(index=False):
                yield row.record_id, read_record_waveforms(row)
                done += 1
                if progress is not None:
                    progress(done / total, row.record_id)

"""Metadata flat files, one row per record (or per component), in three layouts.

``../shared/docs/itaca-formats.md`` §2: (a) the ITACA waveform-search export (one row per
component; the reference study's Table B.1), (b) the ESM flat file (semicolon-separated, one
row per record, optionally an unnamed index column first), (c) the ITACA 1.x ``.metadata``
export (dotted column names). The layout is told from the columns, never from the file name.

Each reader returns rows as dicts in the record table's column names
(``seisgan_core.catalog.RECORD_COLUMNS``); the catalog types them. Empty values are NaN
(a missing Mw stays missing); a value that is present but wrong (not a number, a latitude
outside [-90, 90]) is a :class:`~seisgan_core.io.errors.FlatFileError` naming the line and
column. Units: ESM PGA is cm/s^2; ITACA 1.x PGA is m/s^2 and is converted to cm/s^2.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from seisgan_core.io.errors import FlatFileError
from seisgan_core.io.fields import PLAUSIBLE, ec8_letter, horizontal_order, is_missing
from seisgan_core.io.safety import read_head

__all__ = [
    "LAYOUTS",
    "detect_layout",
    "is_flatfile",
    "looks_like_flatfile",
    "read_flatfile",
    "read_flatfile_bytes",
    "read_flatfile_frame",
]

# Columns that identify each layout and that reading needs.
LAYOUTS: dict[str, tuple[str, ...]] = {
    "esm_flatfile": (
        "event_id",
        "ev_latitude",
        "ev_longitude",
        "ev_depth_km",
        "Mw",
        "network_code",
        "station_code",
        "st_latitude",
        "st_longitude",
        "epi_dist",
    ),
    "itaca_flatfile": (
        "EVENT_ID",
        "EVENT_LATITUDE_DEGREE",
        "EVENT_LONGITUDE_DEGREE",
        "EVENT_DEPTH_KM",
        "Mw",
        "NETWORK",
        "STATION_CODE",
        "STATION_LATITUDE_DEGREE",
        "STATION_LONGITUDE_DEGREE",
        "component",
    ),
    "itaca_metadata": (
        "event.datetime",
        "event.latitude",
        "event.longitude",
        "event.focaldepth",
        "station.code",
        "station.latitude",
        "station.longitude",
        "distance_repi",
    ),
}
# A column that alone says which layout a header belongs to.
_SIGNATURES = {
    "esm_flatfile": ("ev_latitude", "st_latitude"),
    "itaca_flatfile": ("EVENT_LATITUDE_DEGREE", "STATION_CODE"),
    "itaca_metadata": ("event.latitude", "station.code"),
}
_DELIMITERS = (";", ",", "\t")


def _first_line(head: bytes) -> str:
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return head.split(b"\n", 1)[0].rstrip(b"\r").decode("latin-1")


def _signature_layout(line: str) -> str | None:
    for layout, columns in _SIGNATURES.items():
        if all(column in line for column in columns):
            return layout
    return None


def looks_like_flatfile(head: bytes) -> bool:
    """True if the first line names the columns of one of the three layouts."""
    if b"\x00" in head:
        return False
    return _signature_layout(_first_line(head)) is not None


def is_flatfile(path: str | Path) -> bool:
    """True if the file's first line is a flat-file header (reads at most 64 KB)."""
    return looks_like_flatfile(read_head(path, 65536))


def detect_layout(columns: Iterable[str]) -> str | None:
    """'esm_flatfile', 'itaca_flatfile' or 'itaca_metadata' from the column names."""
    names = set(columns)
    for layout, signature in _SIGNATURES.items():
        if all(column in names for column in signature):
            return layout
    return None


def _sniff_delimiter(line: str, path: str) -> str:
    counts = {d: line.count(d) for d in _DELIMITERS}
    best = max(counts, key=counts.get)
    if counts[best] == 0:
        other = next((c for c in "|: " if c in line), None)
        raise FlatFileError(
            path,
            1,
            "columns separated by ';', ',' or a tab",
            f"no such separator{f' (a {other!r} instead?)' if other else ''}",
            field="header",
        )
    return best


def _check_row_widths(text: str, delimiter: str, path: str) -> None:
    """Refuse a row with fewer fields than the header.

    pandas pads such a row with empty cells, so a file cut mid-row (a truncated download)
    would give a record whose last values are silently missing.
    """
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    width = None
    rows = iter(reader)
    while True:
        try:
            fields = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:  # a field longer than csv's limit, a NUL past the head
            raise FlatFileError(path, reader.line_num, "a CSV row", str(exc)) from None
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue
        if width is None:
            width = len(fields)
        elif len(fields) < width:
            raise FlatFileError(
                path,
                reader.line_num,
                f"{width} {delimiter!r}-separated fields, as the header has",
                f"{len(fields)}: a row cut short (is the file truncated?)",
            )


def read_flatfile_frame(raw: bytes, path: str) -> tuple[pd.DataFrame, str]:
    """The flat file as strings (nothing converted yet) and its layout."""
    if not raw.strip():
        raise FlatFileError(path, 1, "a header line naming the columns", "an empty file")
    if b"\x00" in raw[:65536]:
        raise FlatFileError(path, 1, "text", "binary data (NUL bytes)")
    line = _first_line(raw[:65536])
    delimiter = _sniff_delimiter(line, path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise FlatFileError(
            path,
            int(match.group(1)) if match else None,
            f"rows with as many {delimiter!r}-separated fields as the header",
            str(exc).strip(),
        ) from None
    _check_row_widths(text, delimiter, path)
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.loc[:, [c for c in frame.columns if not c.startswith("Unnamed:") and c]]
    layout = detect_layout(frame.columns)
    if layout is None:
        raise FlatFileError(
            path,
            1,
            "the columns of an ESM flat file, an ITACA export or an ITACA 1.x .metadata",
            f"{len(frame.columns)} columns starting {list(frame.columns)[:4]}",
            field="header",
        )
    missing = [c for c in LAYOUTS[layout] if c not in frame.columns]
    if missing:
        raise FlatFileError(
            path,
            1,
            f"the {layout} columns {', '.join(LAYOUTS[layout])}",
            f"no {', '.join(missing)}",
            field=missing[0],
        )
    return frame, layout


class _Row:
    """Typed access to one row of strings, with errors naming file, line and column."""

    def __init__(self, record: dict[str, str], line: int, path: str) -> None:
        self.record, self.line, self.path = record, line, path

    def text(self, column: str) -> str | None:
        value = self.record.get(column)
        if value is None:
            return None
        value = value.strip()
        return None if is_missing(value) else value

    def number(self, column: str, kind: str | None = None) -> float:
        value = self.text(column)
        if value is None:
            return math.nan
        try:
            number = float(value)
        except ValueError:
            raise FlatFileError(
                self.path, self.line, "a number or an empty value", repr(value), field=column
            ) from None
        if not math.isfinite(number):
            raise FlatFileError(self.path, self.line, "a finite number", repr(value), field=column)
        if kind is not None:
            low, high = PLAUSIBLE[kind]
            if not low <= number <= high:
                raise FlatFileError(
                    self.path,
                    self.line,
                    f"a {kind} in [{low:g}, {high:g}]",
                    repr(value),
                    field=column,
                )
        return number

    def time(self, column: str) -> pd.Timestamp | None:
        value = self.text(column)
        if value is None:
            return None
        try:
            return pd.Timestamp(value.replace("_", " "), tz="UTC")
        except ValueError:
            raise FlatFileError(
                self.path, self.line, "a date-time (YYYY-MM-DD hh:mm:ss)", repr(value), field=column
            ) from None


def _max_abs(*values: float) -> float:
    present = [abs(v) for v in values if not math.isnan(v)]
    return max(present) if present else math.nan


def _components(letters: list[str]) -> tuple[str, ...]:
    return (*horizontal_order(letters), *(["Z"] if "Z" in letters else []))


def _esm_rows(frame: pd.DataFrame, path: str) -> list[dict[str, Any]]:
    rows = []
    for i, record in enumerate(frame.to_dict("records")):
        r = _Row(record, i + 2, path)
        network = r.text("network_code") or ""
        station = r.text("station_code") or ""
        location = r.text("location_code") or ""
        band = r.text("instrument_code") or ""
        event_id = r.text("event_id")
        letters = [
            (r.text(f"{axis}_channel_code") or "").upper()
            for axis in ("U", "V", "W")
            if r.text(f"{axis}_channel_code")
        ]
        order = _components(letters)
        pga = _max_abs(r.number("U_pga"), r.number("V_pga")) if "U_pga" in record else math.nan
        duration = _max_abs(r.number("U_T90"), r.number("V_T90")) if "U_T90" in record else math.nan
        rows.append(
            {
                "record_id": f"{event_id}.{network}.{station}.{location}.{band}",
                "event_id": event_id,
                "event_time": r.time("event_time") if "event_time" in record else None,
                "event_latitude": r.number("ev_latitude", "latitude"),
                "event_longitude": r.number("ev_longitude", "longitude"),
                "event_depth_km": r.number("ev_depth_km", "depth"),
                "mw": r.number("Mw", "magnitude"),
                "ml": r.number("ML", "magnitude") if "ML" in record else math.nan,
                "network": network,
                "station": station,
                "location": location,
                "station_latitude": r.number("st_latitude", "latitude"),
                "station_longitude": r.number("st_longitude", "longitude"),
                "vs30_m_s": r.number("vs30_m_sec", "vs30") if "vs30_m_sec" in record else math.nan,
                "ec8_class": ec8_letter(r.text("ec8_code")),
                "epicentral_distance_km": r.number("epi_dist", "distance"),
                "components": ",".join(order) or None,
                "channels": ",".join(band + c for c in order) or None,
                "pga_cm_s2": pga,
                "d5_95_s": duration,
                "source_format": "esm_flatfile",
                "source_path": path,
                "kind": "earthquake",
            }
        )
    return rows


_WAVEFORM_ID_RE = re.compile(r"^([A-Z0-9]{1,2})\.([A-Z0-9]{1,5})\.([A-Z0-9]{0,2})\.([A-Z0-9]{3})")


def _itaca_rows(frame: pd.DataFrame, path: str) -> list[dict[str, Any]]:
    """ITACA search export: one row per component, grouped into records."""
    groups: dict[tuple[str, ...], list[_Row]] = defaultdict(list)
    for i, record in enumerate(frame.to_dict("records")):
        r = _Row(record, i + 2, path)
        match = _WAVEFORM_ID_RE.match((r.text("filename") or "").upper())
        location = match.group(3) if match else ""
        band = match.group(4)[:2] if match else ""
        key = (
            r.text("EVENT_ID") or "",
            r.text("NETWORK") or "",
            r.text("STATION_CODE") or "",
            location,
            band,
        )
        groups[key].append(r)
    rows = []
    for key, comps in groups.items():
        event_id, network, station, location, band = key
        first = comps[0]
        letters = [(c.text("component") or "").upper() for c in comps]
        order = _components(letters)
        by_comp = dict(zip(letters, comps, strict=True))
        dt = (
            first.number("SAMPLING_INTERVAL_S")
            if "SAMPLING_INTERVAL_S" in first.record
            else math.nan
        )
        if not math.isnan(dt) and dt <= 0:
            raise FlatFileError(
                path,
                first.line,
                "a positive sampling interval",
                repr(dt),
                field="SAMPLING_INTERVAL_S",
            )
        npts = min((c.number("NDATA") for c in comps if "NDATA" in c.record), default=math.nan)
        durations = [
            by_comp[c].number("dur_s") for c in order if c != "Z" and "dur_s" in by_comp[c].record
        ]
        distance = (
            first.number("epi_dist_km", "distance") if "epi_dist_km" in first.record else math.nan
        )
        rows.append(
            {
                "record_id": ".".join(key),
                "event_id": event_id or None,
                "event_latitude": first.number("EVENT_LATITUDE_DEGREE", "latitude"),
                "event_longitude": first.number("EVENT_LONGITUDE_DEGREE", "longitude"),
                "event_depth_km": first.number("EVENT_DEPTH_KM", "depth"),
                "mw": first.number("Mw", "magnitude"),
                "ml": first.number("Ml", "magnitude") if "Ml" in first.record else math.nan,
                "network": network,
                "station": station,
                "location": location,
                "station_latitude": first.number("STATION_LATITUDE_DEGREE", "latitude"),
                "station_longitude": first.number("STATION_LONGITUDE_DEGREE", "longitude"),
                "epicentral_distance_km": distance,
                "sampling_rate_hz": 1.0 / dt if dt == dt else math.nan,
                "npts": npts,
                "record_duration_s": npts * dt,
                "d5_95_s": _max_abs(*durations) if durations else math.nan,
                "components": ",".join(order) or None,
                "source_format": "itaca_flatfile",
                "source_path": path,
                "kind": "earthquake",
            }
        )
    return rows


def _network_from_deployment(r: _Row) -> str:
    """FDSN code where given; else the deployment's short name (ITACA 1.x writes the RAN as
    'DPC (Italian Civil Protection Authority)' without a code)."""
    code = r.text("station.deployment.fdsn_code")
    if code:
        return code
    name = r.text("station.deployment.name") or ""
    return name.split("(")[0].strip()


def _itaca_metadata_rows(frame: pd.DataFrame, path: str) -> list[dict[str, Any]]:
    rows = []
    for i, record in enumerate(frame.to_dict("records")):
        r = _Row(record, i + 2, path)
        magnitudes: dict[str, float] = {}
        for k in range(10):
            kind = r.text(f"event.magnitudes/{k}.magtype")
            if kind is None:
                continue
            magnitudes.setdefault(
                kind.lower(), r.number(f"event.magnitudes/{k}.value", "magnitude")
            )
        preferred = (r.text("event.pref_mag_type") or "").lower()
        if preferred and preferred not in magnitudes and "event.pref_mag" in record:
            magnitudes[preferred] = r.number("event.pref_mag", "magnitude")
        comps: dict[str, tuple[float, str | None]] = {}
        for k in range(3):
            orientation = (r.text(f"comp_ordered()/{k}.orientation") or "").upper()
            letter = {"NS": "N", "SN": "N", "WE": "E", "EW": "E", "UP": "Z", "V": "Z"}.get(
                orientation
            )
            if letter is None:
                continue
            pga_m_s2 = r.number(f"comp_ordered()/{k}.pga")
            comps[letter] = (pga_m_s2, r.text(f"comp_ordered()/{k}.channel"))
        order = _components(list(comps))
        network = _network_from_deployment(r)
        station = r.text("station.code") or ""
        event_id = r.text("event.unid")
        pga_m_s2 = _max_abs(*(comps[c][0] for c in order if c != "Z"))
        rows.append(
            {
                "record_id": f"{event_id}.{network}.{station}..",
                "event_id": event_id,
                "event_time": r.time("event.datetime"),
                "event_latitude": r.number("event.latitude", "latitude"),
                "event_longitude": r.number("event.longitude", "longitude"),
                "event_depth_km": r.number("event.focaldepth", "depth"),
                "mw": magnitudes.get("mw", math.nan),
                "ml": magnitudes.get("ml", math.nan),
                "network": network,
                "station": station,
                "location": "",
                "station_latitude": r.number("station.latitude", "latitude"),
                "station_longitude": r.number("station.longitude", "longitude"),
                "vs30_m_s": r.number("station.vs30", "vs30")
                if "station.vs30" in record
                else math.nan,
                "ec8_class": ec8_letter(r.text("station.ec8")),
                "epicentral_distance_km": r.number("distance_repi", "distance"),
                "components": ",".join(order) or None,
                "channels": ",".join(comps[c][1] or "" for c in order) or None,
                # ITACA 1.x gives PGA in m/s^2
                "pga_cm_s2": pga_m_s2 * 100.0,
                "source_format": "itaca_legacy",
                "source_path": path,
                "kind": "earthquake",
                "waveform_id": r.text("waveform_sourceid"),
            }
        )
    return rows


_MAPPERS = {
    "esm_flatfile": _esm_rows,
    "itaca_flatfile": _itaca_rows,
    "itaca_metadata": _itaca_metadata_rows,
}


def read_flatfile_bytes(raw: bytes, path: str | Path) -> list[dict[str, Any]]:
    """Rows in the record table's names from the bytes of a flat file (``path`` names it)."""
    frame, layout = read_flatfile_frame(raw, str(path))
    return _MAPPERS[layout](frame, str(path))


def read_flatfile(path: str | Path) -> list[dict[str, Any]]:
    """Read a flat file of any of the three layouts into rows in the record table's names.

    ``source_format`` is ``esm_flatfile``, ``itaca_flatfile`` or (ITACA 1.x) ``itaca_legacy``.
    """
    return read_flatfile_bytes(Path(path).read_bytes(), path)

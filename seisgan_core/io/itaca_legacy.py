"""ITACA 1.x waveform and spectrum files: ``.cor.acc``, ``.rs`` and ``.metadata``.

``../shared/docs/itaca-formats.md`` §4. ``.cor.acc`` has a header of ``Label : value``
lines (event time, station, network, orientation NS/WE/UP, processing, filter corners, time
increment, number of data, PGA in m/s^2) and a title line, then the samples in **m/s^2**,
written five to a line in fixed 14-character E-format fields with no separator
(``-1.3724600E-07-2.6835700E-07...``): they are split by width, not by whitespace.
:func:`read_cor_acc` returns the samples in m/s^2 as the file has them (``data``), and in
cm/s^2 as ``data_cm_s2``; the record table and ``read_record_waveforms`` use cm/s^2.

``.rs``: ITACA's own pseudo-spectral acceleration (m/s^2) at 2, 5, 7, 10, 20 and 30 %
damping; the row of period 0 holds PGA and a last row with period -1 is not an ordinate.
``.metadata``: one comma-separated row in the ITACA 1.x export layout
(:mod:`seisgan_core.io.flatfile` maps it).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from seisgan_core.io.bounds import (
    acceleration_factor,
    check_date,
    check_npts,
    check_sampling_interval,
)
from seisgan_core.io.errors import FormatError
from seisgan_core.io.flatfile import read_flatfile_bytes, read_flatfile_frame
from seisgan_core.io.safety import read_head, read_path_bytes
from seisgan_core.io.waveforms import ComponentFile, order_components

__all__ = [
    "FIELD_WIDTH",
    "CorAccTrace",
    "RsSpectrum",
    "is_cor_acc",
    "is_rs",
    "parse_cor_acc",
    "read_cor_acc",
    "read_legacy_record",
    "read_metadata",
    "read_rs",
]

FIELD_WIDTH = 14
_HEADER_LABELS = {
    "event date & time": "event_time",
    "station code / name": "station",
    "network": "network",
    "orientation": "orientation",
    "processing info": "processing",
    "filter cut-off frequency (hz)": "filter_hz",
    "time increment (s)": "time_increment_s",
    "number of data": "number_of_data",
    "pga (m/s/s)": "pga_m_s2",
}
_ORIENTATION = {"NS": "N", "SN": "N", "WE": "E", "EW": "E", "UP": "Z", "Z": "Z", "V": "Z"}


@dataclass
class CorAccTrace(ComponentFile):
    """One ITACA 1.x corrected acceleration component.

    ``data``: float64 samples in m/s^2, as in the file. ``header``: the raw ``label: value``
    text. ``fields``: event_time (datetime UTC), station_id, station_name, network,
    orientation, processing, low_cut_hz, high_cut_hz, time_increment_s, number_of_data,
    pga_m_s2.
    """

    interval_field = "time_increment_s"

    @property
    def data_cm_s2(self) -> np.ndarray:
        """The samples in cm/s^2 (1 m/s^2 = 100 cm/s^2)."""
        return self.data * 100.0

    @property
    def component(self) -> str:
        """E, N or Z from the Orientation line (NS -> N, WE -> E, UP -> Z); '' if other."""
        return _ORIENTATION.get((self.fields.get("orientation") or "").upper(), "")


@dataclass
class RsSpectrum:
    """ITACA's response spectrum: ``periods_s`` (> 0), ``psa_m_s2`` (n_periods, n_dampings),
    ``dampings`` (fractions: 0.02, 0.05, ...), ``pga_m_s2`` per damping (the period-0 row)."""

    periods_s: np.ndarray
    psa_m_s2: np.ndarray
    dampings: tuple[float, ...]
    pga_m_s2: np.ndarray
    path: str
    trailer: np.ndarray | None = field(default=None, repr=False)  # the period -1 row

    def psa_at(self, damping: float) -> np.ndarray:
        """PSA (m/s^2) at one damping (e.g. 0.05), one value per period."""
        for i, d in enumerate(self.dampings):
            if math.isclose(d, damping):
                return self.psa_m_s2[:, i]
        raise KeyError(f"{self.path}: no damping {damping:g}; has {self.dampings}")


def _lines(raw: bytes) -> list[bytes]:
    return [line.rstrip(b"\r") for line in raw.split(b"\n")]


def is_cor_acc(path: str | Path) -> bool:
    """True if the file starts with the ``Event Date & Time`` header of ITACA 1.x."""
    return read_head(path, 512).lstrip().lower().startswith(b"event date & time")


def is_rs(path: str | Path) -> bool:
    """True if the first line is an ITACA 1.x spectrum title (``Per(s)PSA @ damp``)."""
    return read_head(path, 256).lstrip().lower().startswith(b"per(s)")


def _parse_header(lines: list[bytes], path: str) -> tuple[dict[str, str], dict[str, int], int]:
    header: dict[str, str] = {}
    where: dict[str, int] = {}
    for i, line in enumerate(lines[:20]):
        text = line.decode("latin-1")
        label, colon, value = text.partition(":")
        key = _HEADER_LABELS.get(label.strip().lower())
        if colon and key:
            if key in header:
                raise FormatError(path, i + 1, "each header label once", label.strip(), field=key)
            header[key] = value.strip()
            where[key] = i + 1
            continue
        if header:
            # the title line ("Accelaration time series in m/s/s") ends the header
            return header, where, i + 1
        break
    if not header:
        first = lines[0][:40].decode("latin-1") if lines else ""
        raise FormatError(path, 1, "an ITACA 1.x header ('Event Date & Time : ...')", repr(first))
    raise FormatError(path, len(header) + 1, "a title line after the header", "end of header")


def _header_number(header: dict[str, str], where: dict[str, int], key: str, path: str) -> float:
    value = header.get(key)
    if value is None:
        raise FormatError(path, None, f"a '{key}' header line", "none", field=key)
    try:
        return float(value)
    except ValueError:
        raise FormatError(path, where[key], "a number", repr(value), field=key) from None


def _parse_fixed_width(lines: list[bytes], first_line: int, path: str) -> np.ndarray:
    """Split each line into 14-character fields (``-1.3724600E-07``, sign or space first)."""
    cleaned = []
    for offset, line in enumerate(lines):
        if not line.strip():
            continue
        if len(line) % FIELD_WIDTH:
            trimmed = line.rstrip()
            if len(trimmed) % FIELD_WIDTH:
                raise FormatError(
                    path,
                    first_line + offset,
                    f"fields of {FIELD_WIDTH} characters",
                    f"a line of {len(trimmed)} characters",
                    field="sample",
                )
            line = trimmed
        cleaned.append((offset, line))
    joined = b"".join(line for _, line in cleaned)
    try:
        values = np.frombuffer(joined, dtype=f"S{FIELD_WIDTH}").astype(np.float64)
    except ValueError:
        values = None
    if values is None or not np.isfinite(values).all():
        for offset, line in cleaned:
            for start in range(0, len(line), FIELD_WIDTH):
                token = line[start : start + FIELD_WIDTH]
                try:
                    ok = math.isfinite(float(token))
                except ValueError:
                    ok = False
                if not ok:
                    raise FormatError(
                        path,
                        first_line + offset,
                        "a 14-character number like -1.3724600E-07",
                        repr(token.decode("latin-1")),
                        field="sample",
                    )
    return values


def _parse_time(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y/%m/%d %H:%M:%S"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ValueError(value)


_TITLE_UNIT_RE = re.compile(rb"\bin\s+(\S+)\s*$", re.IGNORECASE)


def _title_unit_factor(title: bytes, line: int, path: str) -> float:
    """The factor from the unit the title names ("Accelaration time series in m/s/s") to
    m/s^2; 1 where the title names none. Counts or velocity are refused."""
    match = _TITLE_UNIT_RE.search(title.strip())
    if match is None:
        return 1.0
    unit = match.group(1).decode("latin-1")
    return acceleration_factor(unit, path, line, "title unit") / 100.0


def read_cor_acc(path: str | Path) -> CorAccTrace:
    """Read an ITACA 1.x ``.cor.acc`` file (or ``archive.zip::member``); ``data`` in m/s^2
    as the file has it (``data_cm_s2`` in cm/s^2)."""
    return parse_cor_acc(read_path_bytes(path), path)


def parse_cor_acc(raw: bytes, path: str | Path) -> CorAccTrace:
    """Parse the bytes of a ``.cor.acc`` file; ``path`` names it in errors."""
    path = str(path)
    if not raw.strip():
        raise FormatError(
            path, 1, "an ITACA 1.x header ('Event Date & Time : ...')", "an empty file"
        )
    if b"\x00" in raw[:4096]:
        raise FormatError(path, 1, "text", "binary data (NUL bytes)")
    lines = _lines(raw)
    header, where, body_start = _parse_header(lines, path)
    dt = check_sampling_interval(
        _header_number(header, where, "time_increment_s", path),
        path,
        where["time_increment_s"],
        "time_increment_s",
        "time increment (s)",
        header["time_increment_s"],
    )
    ndata = check_npts(
        _header_number(header, where, "number_of_data", path),
        dt,
        path,
        where["number_of_data"],
        "number_of_data",
    )
    data = _parse_fixed_width(lines[body_start:], body_start + 1, path)
    to_m_s2 = _title_unit_factor(lines[body_start - 1], body_start, path)
    if to_m_s2 != 1.0:
        data *= to_m_s2
    if data.size != ndata:
        raise FormatError(
            path,
            where["number_of_data"],
            f"{header['number_of_data']} samples as 'Number of Data' says",
            f"{data.size} samples",
            field="number_of_data",
        )
    station_id, _, station_name = header.get("station", "").partition("/")
    low, _, high = header.get("filter_hz", "").partition("-")
    try:
        event_time = _parse_time(header.get("event_time", ""))
    except (ValueError, OverflowError):
        raise FormatError(
            path,
            where.get("event_time"),
            "a time YYYY-MM-DD hh:mm:ss",
            repr(header["event_time"]),
            field="event_time",
        ) from None

    check_date(event_time, path, where.get("event_time"), "event_time")

    def number(text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return math.nan

    fields = {
        "event_time": event_time,
        "station_id": station_id.strip(),
        "station_name": station_name.strip(),
        "network": header.get("network", "").split("(")[0].strip(),
        "orientation": header.get("orientation", "").strip(),
        "processing": header.get("processing"),
        "low_cut_hz": number(low),
        "high_cut_hz": number(high),
        "time_increment_s": dt,
        "number_of_data": int(ndata),
        "pga_m_s2": number(header.get("pga_m_s2", "")),
    }
    return CorAccTrace(data=data, header=header, fields=fields, path=path)


_DAMPING_RE = re.compile(r"damp\s*(\d+(?:\.\d+)?)\s*%", re.IGNORECASE)


def read_rs(path: str | Path) -> RsSpectrum:
    """Read an ITACA 1.x ``.rs`` spectrum file (PSA in m/s^2)."""
    path = str(path)
    raw = read_path_bytes(path)
    lines = _lines(raw)
    if not lines or not lines[0].strip():
        raise FormatError(path, 1, "a title 'Per(s)PSA @ damp 02% ...'", "an empty first line")
    title = lines[0].decode("latin-1")
    dampings = tuple(float(d) / 100.0 for d in _DAMPING_RE.findall(title))
    if not dampings:
        raise FormatError(path, 1, "a title naming dampings ('PSA @ damp 05%')", repr(title[:60]))
    rows = []
    for i, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != len(dampings) + 1:
            raise FormatError(
                path,
                i,
                f"{len(dampings) + 1} numbers (period and PSA per damping)",
                f"{len(parts)}",
            )
        try:
            rows.append([float(p) for p in parts])
        except ValueError:
            raise FormatError(path, i, "numbers", repr(line.decode("latin-1")[:60])) from None
    table = np.asarray(rows, dtype=np.float64)
    if table.size == 0:
        raise FormatError(path, 2, "rows of period and PSA", "none")
    if not raw.rstrip(b" \t").endswith(b"\n") and table[-1, 0] >= 0:
        # ITACA's .rs files end with the period -1 row and a line end; a last spectral row
        # without a line end may have lost digits (a truncated download): refuse it
        last = max(i for i, line in enumerate(lines, start=1) if line.strip())
        raise FormatError(
            path,
            last,
            "a last row ending in a line end (or the period -1 row)",
            "a spectral row cut off without one: is the file truncated?",
        )
    periods = table[:, 0]
    zero = np.flatnonzero(periods == 0.0)
    spectral = periods > 0
    trailer = table[periods < 0][0, 1:] if (periods < 0).any() else None
    return RsSpectrum(
        periods_s=periods[spectral],
        psa_m_s2=table[spectral, 1:],
        dampings=dampings,
        pga_m_s2=table[zero[0], 1:] if zero.size else np.full(len(dampings), np.nan),
        path=path,
        trailer=trailer,
    )


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The one row of an ITACA 1.x ``.metadata`` file as a dict of its raw strings."""
    path = str(path)
    frame, layout = read_flatfile_frame(read_path_bytes(path), path)
    if layout != "itaca_metadata":
        raise FormatError(path, 1, "the ITACA 1.x .metadata columns", f"the {layout} columns")
    if len(frame) != 1:
        raise FormatError(path, None, "exactly one row", f"{len(frame)} rows")
    return frame.iloc[0].to_dict()


def read_legacy_record(
    metadata_path: str | Path | None, cor_acc_paths: list[str | Path]
) -> dict[str, Any]:
    """One record-table row from ``NNNNN.metadata`` and its three ``.cor.acc`` files.

    Event and station facts come from the metadata; sampling, npts, components and PGA from
    the waveforms (PGA recomputed from the samples, cm/s^2). Without a metadata file, what
    the ``.cor.acc`` header says is used (its station code is ITACA's numeric station id).
    """
    traces = [read_cor_acc(p) for p in cor_acc_paths]
    if metadata_path is not None:
        rows = read_flatfile_bytes(read_path_bytes(metadata_path), str(metadata_path))
        if len(rows) != 1:
            raise FormatError(metadata_path, None, "exactly one row", f"{len(rows)} rows")
        row = rows[0]
    else:
        if not traces:
            raise FormatError("", None, "a .metadata or .cor.acc file", "neither")
        f = traces[0].fields
        row = {
            "record_id": None,
            "event_time": f["event_time"],
            "network": f["network"],
            "station": f["station_id"],
            "location": "",
            "source_format": "itaca_legacy",
            "kind": "earthquake",
        }
    source = str(metadata_path if metadata_path is not None else cor_acc_paths[0])
    if not traces:
        row["source_path"] = source
        return row
    by_comp = {t.component: t for t in traces}
    order = order_components(by_comp) if len(traces) == 3 else None
    if order is None:
        raise FormatError(
            source,
            None,
            "three .cor.acc files oriented NS, WE and UP",
            ", ".join(f"{Path(t.path).name}: {t.fields['orientation']}" for t in traces) or "none",
            field="Orientation",
        )
    rates = {t.sampling_rate_hz for t in traces}
    if len(rates) != 1:
        raise FormatError(source, None, "one time increment for the three components", str(rates))
    rate = rates.pop()
    npts = min(t.data.size for t in traces)
    if row.get("record_id") is None:
        event = traces[0].fields["event_time"]
        stamp = event.strftime("%Y%m%d_%H%M%S") if event else "unknown"
        row["record_id"] = f"{stamp}.{row['network']}.{row['station']}.."
        row["event_id"] = stamp
    row.update(
        {
            "sampling_rate_hz": rate,
            "npts": npts,
            "record_duration_s": npts / rate,
            "components": ",".join(order),
            # largest absolute horizontal sample, m/s^2 -> cm/s^2
            "pga_cm_s2": max(float(np.max(np.abs(by_comp[c].data))) for c in order[:2]) * 100.0,
            "source_format": "itaca_legacy",
            "source_path": source,
            "source_files": "|".join(by_comp[c].path for c in order),
            "channels": ",".join(
                Path(by_comp[c].path).name.split("_")[-1].split(".")[0] for c in order
            ),
        }
    )
    return row

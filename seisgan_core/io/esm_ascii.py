"""ESM / ITACA ASCII waveform files (the "DYNA 1.2" header), one component per file.

Layout (``../shared/docs/itaca-formats.md`` §1): 64 header lines ``KEY: VALUE`` in a fixed
order, then the samples, one number per line (several per line are tolerated). The header is
split at the first colon only, because values (times, citations) contain colons. Text is read
as UTF-8 and falls back to latin-1; CRLF line ends and a UTF-8 byte-order mark are accepted.

Missing values (empty, ``None``, ``unknown``...) become NaN (numbers) or ``None`` (text and
times); nothing is invented. What reading needs is checked and reported with
:class:`~seisgan_core.io.errors.FormatError`: a positive SAMPLING_INTERVAL_S, every header
key present once, numeric samples, and NDATA equal to the number of samples (NDATA is only
compared, never used to allocate).

Zips of such files are read member by member from memory (:func:`read_esm_zip`) after the
checks in :mod:`seisgan_core.io.safety`; a member is named ``archive.zip::member``, and
:func:`read_esm_ascii` accepts that name too.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from seisgan_core.fsutil import atomic_write  # a leaf module every part may use
from seisgan_core.io.bounds import (
    acceleration_factor,
    check_date,
    check_npts,
    check_sampling_interval,
)
from seisgan_core.io.errors import FormatError, UnsafeInputError
from seisgan_core.io.fields import PLAUSIBLE, ec8_letter, epicentral_distance_km, is_missing
from seisgan_core.io.safety import (
    read_head,
    read_path_bytes,
    split_zip_path,
    zip_members,
)
from seisgan_core.io.waveforms import ComponentFile

__all__ = [
    "HEADER_KEYS",
    "HEADER_KEYS_DYNA_10",
    "PRODUCTS",
    "ROW_KEYS",
    "SPECTRA",
    "EsmAsciiTrace",
    "component_summary",
    "header_keys",
    "is_esm_ascii",
    "iter_esm_zip",
    "looks_like_esm",
    "parse_esm_ascii",
    "parse_header_datetime",
    "product_of",
    "read_esm_ascii",
    "read_esm_zip",
    "record_row",
    "split_zip_path",
    "write_esm_ascii",
]

HEADER_KEYS: tuple[str, ...] = (
    "EVENT_NAME",
    "EVENT_ID",
    "EVENT_DATE_YYYYMMDD",
    "EVENT_TIME_HHMMSS",
    "EVENT_LATITUDE_DEGREE",
    "EVENT_LONGITUDE_DEGREE",
    "EVENT_DEPTH_KM",
    "HYPOCENTER_REFERENCE",
    "MAGNITUDE_W",
    "MAGNITUDE_W_REFERENCE",
    "MAGNITUDE_L",
    "MAGNITUDE_L_REFERENCE",
    "FOCAL_MECHANISM",
    "NETWORK",
    "STATION_CODE",
    "STATION_NAME",
    "STATION_LATITUDE_DEGREE",
    "STATION_LONGITUDE_DEGREE",
    "STATION_ELEVATION_M",
    "LOCATION",
    "SENSOR_DEPTH_M",
    "VS30_M/S",
    "SITE_CLASSIFICATION_EC8",
    "MORPHOLOGIC_CLASSIFICATION",
    "EPICENTRAL_DISTANCE_KM",
    "EARTHQUAKE_BACKAZIMUTH_DEGREE",
    "DATE_TIME_FIRST_SAMPLE_YYYYMMDD_HHMMSS",
    "DATE_TIME_FIRST_SAMPLE_PRECISION",
    "SAMPLING_INTERVAL_S",
    "NDATA",
    "DURATION_S",
    "STREAM",
    "UNITS",
    "INSTRUMENT",
    "INSTRUMENT_ANALOG/DIGITAL",
    "INSTRUMENTAL_FREQUENCY_HZ",
    "INSTRUMENTAL_DAMPING",
    "FULL_SCALE_G",
    "N_BIT_DIGITAL_CONVERTER",
    "PGA_CM/S^2",
    "TIME_PGA_S",
    "BASELINE_CORRECTION",
    "FILTER_TYPE",
    "FILTER_ORDER",
    "LOW_CUT_FREQUENCY_HZ",
    "HIGH_CUT_FREQUENCY_HZ",
    "LATE/NORMAL_TRIGGERED",
    "DATABASE_VERSION",
    "HEADER_FORMAT",
    "DATA_TYPE",
    "PROCESSING",
    "DATA_TIMESTAMP_YYYYMMDD_HHMMSS",
    "DATA_LICENSE",
    "DATA_CITATION",
    "DATA_CREATOR",
    "ORIGINAL_DATA_MEDIATOR_CITATION",
    "ORIGINAL_DATA_MEDIATOR",
    "ORIGINAL_DATA_CREATOR_CITATION",
    "ORIGINAL_DATA_CREATOR",
    "USER1",
    "USER2",
    "USER3",
    "USER4",
    "USER5",
)
assert len(HEADER_KEYS) == 64

# DYNA 1.0 (ITACA 2.0 era, ``../shared/fixtures/esm-ascii-obspy``): the same order without these
# (SENSOR_DEPTH_M, the seven licence/citation/creator keys DATA_LICENSE ... ORIGINAL_DATA_CREATOR,
# and USER5)
DYNA_10_ABSENT = frozenset(
    {
        "SENSOR_DEPTH_M",
        *HEADER_KEYS[HEADER_KEYS.index("DATA_LICENSE") : HEADER_KEYS.index("USER1")],
        "USER5",
    }
)
HEADER_KEYS_DYNA_10: tuple[str, ...] = tuple(k for k in HEADER_KEYS if k not in DYNA_10_ABSENT)
assert len(HEADER_KEYS_DYNA_10) == 55

# The DYNA products of one record (itaca-formats.md, "The other DYNA 1.2 products"): DATA_TYPE
# -> short name; the short name is also the file name's product part (``*.C.VEL.ASC``)
PRODUCTS = {
    "ACCELERATION": "ACC",
    "VELOCITY": "VEL",
    "DISPLACEMENT": "DIS",
    "ACCELERATION RESPONSE SPECTRUM": "SA",
    "PSEUDO-VELOCITY RESPONSE SPECTRUM": "PSV",
    "DISPLACEMENT RESPONSE SPECTRUM": "SD",
}
SPECTRA = frozenset({"SA", "PSV", "SD"})
# the peak lines of VEL and DIS replace PGA_CM/S^2 and TIME_PGA_S
_PEAK_KEYS = {"VEL": ("PGV_CM/S", "TIME_PGV_S"), "DIS": ("PGD_CM", "TIME_PGD_S")}
_PRODUCT_NAME_RE = re.compile(r"\.(ACC|VEL|DIS|SA|PSV|SD)\.ASC$", re.IGNORECASE)


def product_of(data_type: str | None, name: str = "") -> str | None:
    """ACC, VEL, DIS, SA, PSV or SD from DATA_TYPE (or, where it is empty, the file name)."""
    text = " ".join((data_type or "").upper().split())
    if text:
        return PRODUCTS.get(text)
    match = _PRODUCT_NAME_RE.search(str(name))
    return match.group(1).upper() if match else None


def header_keys(header_format: str | None, product: str | None = None) -> tuple[str, ...]:
    """The keys a file of this HEADER_FORMAT and product must have, in order."""
    version = " ".join((header_format or "").upper().split())
    keys = HEADER_KEYS_DYNA_10 if version == "DYNA 1.0" else HEADER_KEYS
    if product in _PEAK_KEYS:
        peak, time = _PEAK_KEYS[product]
        keys = tuple(peak if k == "PGA_CM/S^2" else time if k == "TIME_PGA_S" else k for k in keys)
    return keys


# Numbers the record table uses: garbage there is an error (a wrong magnitude must not pass
# silently); other numeric keys fall back to NaN and keep their raw text in ``header``.
_STRICT_NUMERIC = {
    "EVENT_LATITUDE_DEGREE",
    "EVENT_LONGITUDE_DEGREE",
    "EVENT_DEPTH_KM",
    "MAGNITUDE_W",
    "MAGNITUDE_L",
    "STATION_LATITUDE_DEGREE",
    "STATION_LONGITUDE_DEGREE",
    "VS30_M/S",
    "EPICENTRAL_DISTANCE_KM",
    "SAMPLING_INTERVAL_S",
    "NDATA",
    "PGA_CM/S^2",
}
_LOOSE_NUMERIC = {
    "STATION_ELEVATION_M",
    "SENSOR_DEPTH_M",
    "PGV_CM/S",
    "TIME_PGV_S",
    "PGD_CM",
    "TIME_PGD_S",
    "EARTHQUAKE_BACKAZIMUTH_DEGREE",
    "DURATION_S",
    "INSTRUMENTAL_FREQUENCY_HZ",
    "INSTRUMENTAL_DAMPING",
    "FULL_SCALE_G",
    "N_BIT_DIGITAL_CONVERTER",
    "TIME_PGA_S",
    "LOW_CUT_FREQUENCY_HZ",
    "HIGH_CUT_FREQUENCY_HZ",
}
_DATETIME_KEYS = {"DATE_TIME_FIRST_SAMPLE_YYYYMMDD_HHMMSS", "DATA_TIMESTAMP_YYYYMMDD_HHMMSS"}
# header keys checked against the shared plausible ranges (io.fields.PLAUSIBLE)
_RANGE_KIND = {
    "EVENT_LATITUDE_DEGREE": "latitude",
    "STATION_LATITUDE_DEGREE": "latitude",
    "EVENT_LONGITUDE_DEGREE": "longitude",
    "STATION_LONGITUDE_DEGREE": "longitude",
    "EVENT_DEPTH_KM": "depth",
    "MAGNITUDE_W": "magnitude",
    "MAGNITUDE_L": "magnitude",
    "VS30_M/S": "vs30",
    "EPICENTRAL_DISTANCE_KM": "distance",
}

_MAX_HEADER_LINES = 256
_UTF8_BOM = b"\xef\xbb\xbf"
_DT_RE = re.compile(
    r"^(\d{4})[/-]?(\d{2})[/-]?(\d{2})"
    r"(?:[ _T]+(\d{1,2}):?(\d{2}):?(\d{2})?(\.\d*)?)?"
    r"\s*(?:Z|UTC|[+-]00:?00)?$",
    re.IGNORECASE,
)
_LOCATION_CODE_RE = re.compile(r"^[A-Za-z0-9]{0,2}$")


@dataclass
class EsmAsciiTrace(ComponentFile):
    """One component read from an ESM/ITACA ASCII file.

    ``data``: float64 samples in cm/s^2 for acceleration (converted from whatever acceleration
    unit UNITS names: m/s^2, mm/s^2, gal, g...; counts or velocity units under an acceleration
    DATA_TYPE are refused); velocity and displacement files keep the file's unit (see
    ``fields['UNITS']``).
    ``header``: the raw text of every key as written (the 64 DYNA 1.2 keys, plus any extra).
    ``fields``: parsed values under the same keys: float (NaN where missing) for numbers,
    ``datetime`` (UTC) or ``None`` for times, ``str`` or ``None`` for text; plus
    ``event_time`` (the origin time combined from date and time).
    ``path``: the file, or ``archive.zip::member``.
    Spectra (SA, PSV, SD products): ``periods`` (s) and ``data`` (the value at each period, in
    the product's unit: cm/s^2, cm/s, cm), 5 % damped; ``None`` periods for time series.
    """

    interval_field = "SAMPLING_INTERVAL_S"

    header_lines: dict[str, int] = field(default_factory=dict, repr=False)
    periods: np.ndarray | None = None  # spectra (SA, PSV, SD): the period of each value, s

    @property
    def product(self) -> str | None:
        """ACC, VEL, DIS, SA, PSV or SD (DATA_TYPE, else the file name); None if neither says."""
        return product_of(self.fields.get("DATA_TYPE"), self.path)

    @property
    def is_spectrum(self) -> bool:
        return self.periods is not None

    @property
    def npts(self) -> int:
        return int(self.data.shape[0])

    @property
    def stream(self) -> str:
        return self.fields.get("STREAM") or ""

    @property
    def component(self) -> str:
        """The last letter of STREAM: E, N, Z, or 1, 2, 3 for non-geographic horizontals."""
        return self.stream[-1:].upper()

    @property
    def location_code(self) -> str:
        """LOCATION if it is a location code, else '' (some files hold a place name there)."""
        value = (self.fields.get("LOCATION") or "").strip()
        if value == "--":
            return ""
        return value if _LOCATION_CODE_RE.match(value) else ""

    @property
    def is_acceleration(self) -> bool:
        """True for an acceleration time series (not a response spectrum, velocity or
        displacement); a file without DATA_TYPE is acceleration (its UNITS were checked)."""
        return _is_acceleration_type(self.fields.get("DATA_TYPE"), self.path)

    def record_key(self) -> tuple[str, str, str, str, str]:
        """(event, network, station, location, stream prefix): the three components share it."""
        return (
            self.fields.get("EVENT_ID") or "",
            self.fields.get("NETWORK") or "",
            self.fields.get("STATION_CODE") or "",
            self.location_code,
            self.stream[:2].upper(),
        )


def _is_acceleration_type(data_type: str | None, name: str = "") -> bool:
    product = product_of(data_type, name)
    if product is not None:
        return product == "ACC"
    text = (data_type or "").strip().lower()
    return not text or (text.startswith("acc") and "spectrum" not in text)


def parse_header_datetime(value: str) -> datetime | None:
    """Parse the date-time forms seen in DYNA 1.2 headers; None for a missing value.

    Accepts ``20160824_013628.000``, ``20190728_160919``, ``2023/02/06 01:17:29.868359``,
    ISO ``2016-08-24T01:36:28Z``, and a bare date. Raises ValueError on anything else.
    """
    text = value.strip()
    if is_missing(text):
        return None
    match = _DT_RE.match(text)
    if not match:
        raise ValueError(text)
    year, month, day, hour, minute, second, fraction = match.groups()
    base = datetime(
        int(year),
        int(month),
        int(day),
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        tzinfo=UTC,
    )
    if fraction and len(fraction) > 1:
        base += timedelta(microseconds=round(float(fraction) * 1e6))
    return base


def _event_time(date: str, time: str) -> datetime | None:
    """Origin time from EVENT_DATE_YYYYMMDD and EVENT_TIME_HHMMSS (``013632``, ``01:17:32.0``)."""
    if is_missing(date):
        return None
    time = "" if is_missing(time) else time.strip()
    if time and ":" not in time:
        # HHMMSS[.fff], sometimes with its leading zero dropped (13632 for 01:36:32)
        whole, dot, frac = time.partition(".")
        if whole.isdigit():
            time = whole.zfill(6) + dot + frac
    return parse_header_datetime(f"{date.strip()} {time}" if time else date)


def _parse_fields(header: Mapping[str, str], lines: Mapping[str, int], path: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, raw in header.items():
        text = raw.strip()
        if key in _STRICT_NUMERIC or key in _LOOSE_NUMERIC:
            if is_missing(text):
                fields[key] = math.nan
                continue
            try:
                number = float(text.replace(",", ".")) if text.count(",") == 1 else float(text)
            except ValueError:
                if key in _STRICT_NUMERIC:
                    raise FormatError(
                        path, lines.get(key), "a number or an empty value", repr(raw), field=key
                    ) from None
                number = math.nan
            if key in _STRICT_NUMERIC and not math.isfinite(number):
                raise FormatError(path, lines.get(key), "a finite number", repr(raw), field=key)
            bounds = PLAUSIBLE.get(_RANGE_KIND.get(key, ""))
            if bounds and not bounds[0] <= number <= bounds[1]:
                raise FormatError(
                    path,
                    lines.get(key),
                    f"a value in [{bounds[0]:g}, {bounds[1]:g}]",
                    repr(raw),
                    field=key,
                )
            fields[key] = number
        elif key in _DATETIME_KEYS:
            try:
                fields[key] = parse_header_datetime(text)
            except (ValueError, OverflowError):
                raise FormatError(
                    path,
                    lines.get(key),
                    "a date-time such as 20160824_013628.000 or 2023/02/06 01:17:29.8",
                    repr(raw),
                    field=key,
                ) from None
            check_date(fields[key], path, lines.get(key), key)
        else:
            fields[key] = None if is_missing(text) else text
    try:
        fields["event_time"] = _event_time(
            header.get("EVENT_DATE_YYYYMMDD", ""), header.get("EVENT_TIME_HHMMSS", "")
        )
    except (ValueError, OverflowError):
        raise FormatError(
            path,
            lines.get("EVENT_DATE_YYYYMMDD"),
            "an origin date YYYYMMDD (or YYYY/MM/DD) and time HHMMSS (or HH:MM:SS)",
            repr(f"{header.get('EVENT_DATE_YYYYMMDD')} {header.get('EVENT_TIME_HHMMSS')}"),
            field="EVENT_DATE_YYYYMMDD",
        ) from None
    check_date(fields["event_time"], path, lines.get("EVENT_DATE_YYYYMMDD"), "EVENT_DATE_YYYYMMDD")
    return fields


def _decode(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("latin-1")  # older ITACA files (accented station names)


def _split_header(raw: bytes, path: str) -> tuple[dict[str, str], dict[str, int], int, int]:
    """Header dict, the line of each key, the byte offset of the body and its first line."""
    if not raw.strip():
        raise FormatError(path, 1, 'a DYNA 1.2 header line "EVENT_NAME: ..."', "an empty file")
    if b"\x00" in raw[:4096]:
        raise FormatError(path, 1, "text (a DYNA 1.2 header)", "binary data (NUL bytes)")
    header: dict[str, str] = {}
    lines: dict[str, int] = {}
    pos = 0
    lineno = 0
    size = len(raw)
    while pos < size:
        end = raw.find(b"\n", pos)
        if end == -1:
            end = size
        stripped = raw[pos:end].strip()
        if stripped and b":" not in stripped:
            break  # first sample line
        lineno += 1
        if lineno > _MAX_HEADER_LINES:
            raise FormatError(
                path, lineno, f"samples after at most {_MAX_HEADER_LINES} header lines", "more"
            )
        pos = end + 1
        if not stripped:
            continue
        key, _, value = _decode(stripped).partition(":")
        key = key.strip().upper()
        if key in header:
            raise FormatError(
                path,
                lineno,
                "each header key once",
                f"{key} again (first on line {lines[key]})",
                field=key,
            )
        header[key] = value.strip()
        lines[key] = lineno
    if not header:
        first = _decode(raw.lstrip()[:40].split(b"\n")[0])
        raise FormatError(path, 1, 'a DYNA 1.2 header line "EVENT_NAME: ..."', repr(first))
    _check_keys(header, path)
    return header, lines, min(pos, size), lineno + 1


def _check_keys(header: Mapping[str, str], path: str) -> None:
    """Every key the file's HEADER_FORMAT (DYNA 1.0: 55, else 64) and product require."""
    version = header.get("HEADER_FORMAT")
    product = product_of(header.get("DATA_TYPE"), path)
    wanted = header_keys(version, product)
    missing = [key for key in wanted if key not in header]
    if missing and product in _PEAK_KEYS:  # tolerated: VEL/DIS with ACC's peak lines
        if all(key in header for key in header_keys(version)):
            missing = []
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        name = "DYNA 1.0" if len(wanted) == len(HEADER_KEYS_DYNA_10) else "DYNA 1.2"
        kind = f" of a {product} file" if product in _PEAK_KEYS else ""
        raise FormatError(
            path,
            None,
            f"all {len(wanted)} {name} header keys{kind}",
            f"no {missing[0]} line{more}",
            field=missing[0],
        )


def _locate_bad_sample(body: bytes, first_line: int, path: str, finite: bool) -> FormatError:
    for offset, line in enumerate(body.split(b"\n")):
        for token in line.split():
            try:
                value = float(token)
            except ValueError:
                return FormatError(
                    path, first_line + offset, "a number", repr(_decode(token)), field="sample"
                )
            if finite and not math.isfinite(value):
                return FormatError(
                    path,
                    first_line + offset,
                    "a finite number",
                    repr(_decode(token)),
                    field="sample",
                )
    return FormatError(path, first_line, "numeric samples", "unparsable body", field="sample")


_ARROW_READ = None


def _arrow_column(body: bytes) -> np.ndarray | None:
    """One number per line through Arrow's CSV reader (single-threaded), or None if the
    body is not a single column of numbers."""
    global _ARROW_READ
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if _ARROW_READ is None:
        _ARROW_READ = (
            pacsv.ReadOptions(column_names=["x"], use_threads=False, block_size=1 << 24),
            pacsv.ParseOptions(delimiter=","),
            pacsv.ConvertOptions(column_types={"x": pa.float64()}, strings_can_be_null=False),
        )
    read, parse, convert = _ARROW_READ
    try:
        table = pacsv.read_csv(
            io.BytesIO(body), read_options=read, parse_options=parse, convert_options=convert
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    column = table.column(0)
    if column.null_count:
        return None
    return column.to_numpy().astype(np.float64, copy=True)


def _parse_body(body: bytes, first_line: int, path: str) -> np.ndarray:
    """Samples as float64, whatever the count per line.

    Fast path: Arrow's C++ CSV parser on one value per line (about 4x ``np.loadtxt``, see
    bench/bench_io.py); several values per line, or a bad token, fall back to splitting on
    whitespace, and a bad token is then located to its line.
    """
    values = _arrow_column(body) if body.strip() else np.empty(0)
    if values is None:
        tokens = body.split()
        try:
            values = np.array(tokens, dtype=np.float64) if tokens else np.empty(0)
        except ValueError:
            raise _locate_bad_sample(body, first_line, path, finite=False) from None
    if not np.isfinite(values).all():
        raise _locate_bad_sample(body, first_line, path, finite=True)
    return values


def parse_esm_ascii(raw: bytes, path: str | Path) -> EsmAsciiTrace:
    """Parse the bytes of one ESM/ITACA ASCII file; ``path`` names it in errors."""
    path = str(path)
    if raw.startswith(_UTF8_BOM):
        raw = raw[len(_UTF8_BOM) :]
    header, lines, body_start, first_line = _split_header(raw, path)
    fields = _parse_fields(header, lines, path)
    dt = check_sampling_interval(
        fields["SAMPLING_INTERVAL_S"],
        path,
        lines["SAMPLING_INTERVAL_S"],
        "SAMPLING_INTERVAL_S",
        raw=header["SAMPLING_INTERVAL_S"],
    )
    ndata = fields["NDATA"]
    if ndata == ndata:  # bounded before the body is parsed
        check_npts(ndata, dt, path, lines["NDATA"], "NDATA")
    factor = 1.0
    if _is_acceleration_type(fields.get("DATA_TYPE"), path):
        factor = acceleration_factor(fields.get("UNITS"), path, lines.get("UNITS"), "UNITS")
    data = _parse_body(raw[body_start:], first_line, path)
    periods = None
    if product_of(fields.get("DATA_TYPE"), path) in SPECTRA:
        periods, data = _spectrum_columns(data, first_line, path)
    check_npts(data.size, dt, path, first_line, "sample")
    if data.size == 0:
        raise FormatError(
            path,
            first_line,
            f"{'NDATA=' + format(ndata, 'g') if ndata == ndata else 'at least one'} samples",
            "none (the body is empty)",
            field="NDATA",
        )
    if ndata == ndata and (ndata != int(ndata) or int(ndata) != data.size):
        raise FormatError(
            path,
            lines["NDATA"],
            f"{header['NDATA']} samples as NDATA says",
            f"{data.size} samples",
            field="NDATA",
        )
    if factor != 1.0:
        data *= factor
    return EsmAsciiTrace(
        data=data, header=header, fields=fields, path=path, header_lines=lines, periods=periods
    )


def _spectrum_columns(values: np.ndarray, first_line: int, path: str):
    """(periods, values) of a spectrum body: lines of two numbers, periods positive, rising."""
    if values.size % 2:
        raise FormatError(
            path,
            first_line,
            "lines of two numbers (period in s, spectral value)",
            f"{values.size} numbers in all, an odd count",
            field="sample",
        )
    table = values.reshape(-1, 2)
    periods = np.ascontiguousarray(table[:, 0])
    if not (periods > 0).all() or not (np.diff(periods) > 0).all():
        raise FormatError(
            path,
            first_line,
            "positive periods in increasing order in the first column",
            f"periods from {periods.min():g} to {periods.max():g}, not rising",
            field="sample",
        )
    return periods, np.ascontiguousarray(table[:, 1])


def read_esm_ascii(path: str | Path) -> EsmAsciiTrace:
    """Read one ESM/ITACA ASCII file (or ``archive.zip::member``) into an EsmAsciiTrace."""
    return parse_esm_ascii(read_path_bytes(path), path)


def looks_like_esm(head: bytes) -> bool:
    """True if the first bytes of a file start like a DYNA 1.2 header."""
    if head.startswith(_UTF8_BOM):
        head = head[len(_UTF8_BOM) :]
    if b"\x00" in head:
        return False
    first = head.lstrip().split(b"\n", 1)[0]
    key = _decode(first).partition(":")[0].strip().upper()
    if key not in HEADER_KEYS:
        return False
    upper = head.upper()
    return sum(k.encode() in upper for k in ("SAMPLING_INTERVAL_S", "STREAM", "NDATA")) >= 2 or (
        key == "EVENT_NAME" and b"EVENT_ID" in upper
    )


def is_esm_ascii(path: str | Path) -> bool:
    """True if the file starts like a DYNA 1.2 header (reads at most 4 KB)."""
    return looks_like_esm(read_head(path, 4096))


def iter_esm_zip(
    path: str | Path, *, skipped: list[tuple[str, str]] | None = None
) -> Iterator[EsmAsciiTrace]:
    """Yield every ESM ASCII member of a zip, reading from memory (nothing extracted).

    Members that are not ESM ASCII (a README, a flat file) are passed over. A member that is
    ESM ASCII but broken raises its FormatError, or, when ``skipped`` is a list, is appended
    to it as ``(zip::member, reason)`` and passed over. Unsafe archives always raise.
    """
    for label, _info, read in zip_members(Path(path)):
        try:
            raw = read()
        except FormatError as exc:  # encrypted, unknown method, damaged: this member only
            if skipped is None or isinstance(exc, UnsafeInputError):
                raise
            skipped.append((label, str(exc)))
            continue
        if not looks_like_esm(raw[:4096]):
            continue
        try:
            yield parse_esm_ascii(raw, label)
        except FormatError as exc:
            if skipped is None:
                raise
            skipped.append((label, str(exc)))


def read_esm_zip(
    path: str | Path, *, skipped: list[tuple[str, str]] | None = None
) -> list[EsmAsciiTrace]:
    """Every ESM ASCII member of a zip, as a list (see :func:`iter_esm_zip`)."""
    return list(iter_esm_zip(path, skipped=skipped))


def _format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    if isinstance(value, datetime):
        return value.strftime("%Y%m%d_%H%M%S.%f")[:-3]
    return str(value)


def write_esm_ascii(
    path: str | Path,
    data: np.ndarray,
    header: Mapping[str, Any],
    *,
    float_format: str | None = None,
    periods: np.ndarray | None = None,
) -> Path:
    """Write one component as an ESM ASCII file (DYNA 1.2, or 1.0 if HEADER_FORMAT says so),
    atomically.

    ``header`` maps header keys to values (str, numbers, datetimes, None); keys left out
    are written empty, keys the HEADER_FORMAT and DATA_TYPE do not have are an error (a VEL
    file has PGV_CM/S where ACC has PGA_CM/S^2). NDATA is filled in from ``data`` and must
    agree if given. Samples go one per line, by default as Python's shortest exact
    representation (so they read back bit for bit); ``float_format`` (e.g. ``"%.6E"``) trades
    that for size. Spectra (DATA_TYPE ``ACCELERATION RESPONSE SPECTRUM`` and the like) need
    ``periods`` (s), written as a first column.
    """
    values = np.asarray(data, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"data must be a non-empty 1-D array, got shape {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError("data must be finite")
    product = product_of(_format_value(header.get("DATA_TYPE")), str(path))
    keys = header_keys(_format_value(header.get("HEADER_FORMAT")), product)
    unknown = [key for key in header if key not in keys]
    if unknown:
        raise ValueError(f"not {product or 'ACC'} header keys of this HEADER_FORMAT: {unknown}")
    if (product in SPECTRA) != (periods is not None):
        raise ValueError(f"periods are given for spectra (SA, PSV, SD) only; this is {product}")
    text = _header_text(header, keys, values.size)
    head = "".join(f"{key}: {text[key]}\n" for key in keys)
    fmt = repr if float_format is None else (lambda v: float_format % v)
    if periods is None:
        body = "\n".join(map(fmt, values.tolist()))
    else:
        column = np.asarray(periods, dtype=np.float64)
        if column.shape != values.shape:
            raise ValueError(f"periods {column.shape} and values {values.shape} differ in shape")
        pairs = zip(column.tolist(), values.tolist(), strict=True)
        body = "\n".join(f"{fmt(p)} {fmt(v)}" for p, v in pairs)
    path = Path(path)
    with atomic_write(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(head)
        handle.write(body)
        handle.write("\n")
    return path


def _header_text(header: Mapping[str, Any], keys: tuple[str, ...], n: int) -> dict[str, str]:
    text = {key: _format_value(header.get(key)) for key in keys}
    if text["NDATA"].strip():
        if float(text["NDATA"]) != n:
            raise ValueError(f"NDATA {text['NDATA']} disagrees with {n} samples")
    text["NDATA"] = str(n)
    try:
        dt = float(text["SAMPLING_INTERVAL_S"])
    except ValueError:
        dt = math.nan
    if not dt > 0:
        raise ValueError("header must give a positive SAMPLING_INTERVAL_S")
    for key, value in text.items():
        if "\n" in value or "\r" in value:
            raise ValueError(f"header value of {key} contains a line break")
    return text


# ------------------------------------------------------------- header -> record-table row

# the header fields a record row takes (kept per component while grouping, samples dropped)
ROW_KEYS = (
    "PROCESSING",
    "EVENT_ID",
    "event_time",
    "EVENT_LATITUDE_DEGREE",
    "EVENT_LONGITUDE_DEGREE",
    "EVENT_DEPTH_KM",
    "MAGNITUDE_W",
    "MAGNITUDE_L",
    "NETWORK",
    "STATION_CODE",
    "STATION_LATITUDE_DEGREE",
    "STATION_LONGITUDE_DEGREE",
    "VS30_M/S",
    "SITE_CLASSIFICATION_EC8",
    "EPICENTRAL_DISTANCE_KM",
    "DATE_TIME_FIRST_SAMPLE_YYYYMMDD_HHMMSS",
)


def component_summary(trace: EsmAsciiTrace) -> dict[str, Any]:
    """What a record row needs from one component, without keeping its samples."""
    f = trace.fields
    return {
        "key": trace.record_key(),
        "component": trace.component,
        "path": trace.path,
        "rate": trace.sampling_rate_hz,
        "npts": trace.npts,
        "peak": float(np.max(np.abs(trace.data))),
        "channel": trace.stream.upper(),
        "fields": {k: f.get(k) for k in ROW_KEYS},
        "acceleration": trace.is_acceleration,
        "product": trace.product,
        "data_type": f.get("DATA_TYPE"),
    }


def record_row(
    key: tuple[str, ...], by_comp: Mapping[str, dict[str, Any]], order: tuple[str, ...]
) -> dict[str, Any]:
    """The record-table row of three components (:func:`component_summary` of each, by
    component letter, in ``order``): event and station from the first component's header,
    PGA the larger horizontal peak, the distance from the coordinates where the header has
    none (WGS84 geodesic, ObsPy; never invented)."""
    event_id, network, station, location, _band = key
    f = by_comp[order[0]]["fields"]
    npts = min(by_comp[c]["npts"] for c in order)
    rate = by_comp[order[0]]["rate"]
    distance = f["EPICENTRAL_DISTANCE_KM"]
    if not math.isfinite(distance):
        distance = epicentral_distance_km(
            f["EVENT_LATITUDE_DEGREE"],
            f["EVENT_LONGITUDE_DEGREE"],
            f["STATION_LATITUDE_DEGREE"],
            f["STATION_LONGITUDE_DEGREE"],
        )
    label = by_comp[order[0]]["path"]
    return {
        "record_id": ".".join(key),
        "event_id": event_id or None,
        "event_time": f["event_time"],
        "event_latitude": f["EVENT_LATITUDE_DEGREE"],
        "event_longitude": f["EVENT_LONGITUDE_DEGREE"],
        "event_depth_km": f["EVENT_DEPTH_KM"],
        "mw": f["MAGNITUDE_W"],
        "ml": f["MAGNITUDE_L"],
        "network": network,
        "station": station,
        "location": location,
        "station_latitude": f["STATION_LATITUDE_DEGREE"],
        "station_longitude": f["STATION_LONGITUDE_DEGREE"],
        "vs30_m_s": f["VS30_M/S"],
        "ec8_class": ec8_letter(f["SITE_CLASSIFICATION_EC8"]),
        "epicentral_distance_km": distance,
        "sampling_rate_hz": rate,
        "npts": npts,
        "components": ",".join(order),
        "pga_cm_s2": max(by_comp[c]["peak"] for c in order[:2]),
        "source_format": "esm_ascii",
        "source_path": label.split("::")[0],
        "record_duration_s": npts / rate,
        "kind": "earthquake",
        "channels": ",".join(by_comp[c]["channel"] for c in order),
        "starttime": f["DATE_TIME_FIRST_SAMPLE_YYYYMMDD_HHMMSS"],
        "source_files": "|".join(by_comp[c]["path"] for c in order),
    }

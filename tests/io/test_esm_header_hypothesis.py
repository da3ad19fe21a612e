"""Property tests of the DYNA 1.2 header parser: whatever a header holds, it reads back."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seisgan_core.io.esm_ascii import (
    _DATETIME_KEYS,
    _LOOSE_NUMERIC,
    _STRICT_NUMERIC,
    HEADER_KEYS,
    parse_esm_ascii,
    parse_header_datetime,
    write_esm_ascii,
)

# printable text without line breaks; leading/trailing blanks are not part of a value
_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), max_codepoint=0x24F),
    max_size=40,
).map(str.strip)
_MISSING = st.sampled_from(["", "None", "unknown", "NaN"])
_TIMES = st.datetimes(min_value=datetime(1972, 1, 1), max_value=datetime(2030, 12, 31)).map(
    lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000, tzinfo=UTC)
)
_TIME_FORMATS = st.sampled_from(
    ["%Y%m%d_%H%M%S.{ms}", "%Y%m%d_%H%M%S", "%Y/%m/%d %H:%M:%S.{ms}", "%Y-%m-%dT%H:%M:%S.{ms}Z"]
)


def _format_time(when: datetime, fmt: str) -> str:
    return when.strftime(fmt).replace("{ms}", f"{when.microsecond // 1000:03d}")


def _number(key: str):
    if key == "SAMPLING_INTERVAL_S":
        return st.floats(1e-4, 1.0).map(repr)
    if key == "NDATA":
        return st.just("")  # filled in by the writer
    if "LATITUDE" in key:
        return st.floats(-90, 90).map(repr) | _MISSING
    if "LONGITUDE" in key:
        return st.floats(-180, 180).map(repr) | _MISSING
    if key in ("MAGNITUDE_W", "MAGNITUDE_L"):
        return st.floats(-1, 9.5).map(lambda v: f"{v:.2f}") | _MISSING
    if key == "EVENT_DEPTH_KM":
        return st.floats(0, 700).map(lambda v: f"{v:.3f}") | _MISSING
    if key in ("VS30_M/S", "EPICENTRAL_DISTANCE_KM"):
        return st.floats(0, 3000).map(repr) | _MISSING
    return st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr) | _MISSING


def _value(key: str):
    if key in _STRICT_NUMERIC or key in _LOOSE_NUMERIC:
        return _number(key)
    if key in _DATETIME_KEYS:
        return st.builds(_format_time, _TIMES, _TIME_FORMATS) | _MISSING
    if key == "EVENT_DATE_YYYYMMDD":
        return _TIMES.map(lambda t: t.strftime("%Y%m%d"))
    if key == "EVENT_TIME_HHMMSS":
        return _TIMES.map(lambda t: t.strftime("%H%M%S"))
    if key == "UNITS":  # any spelling of cm/s^2 (other units are converted or refused)
        return st.sampled_from(["cm/s^2", "CM/S^2", "cm/s2", "cm/sec/sec", "gal", ""])
    return _TEXT


HEADERS = st.fixed_dictionaries({key: _value(key) for key in HEADER_KEYS})


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(header=HEADERS, data=st.lists(st.floats(-2e3, 2e3), min_size=1, max_size=50))
def test_any_header_reads_back_as_written(tmp_path, header, data):
    path = write_esm_ascii(tmp_path / "h.ASC", np.asarray(data), header)
    trace = parse_esm_ascii(path.read_bytes(), path)
    expected = dict(header, NDATA=str(len(data)))
    assert {k: trace.header[k] for k in HEADER_KEYS} == expected
    assert np.array_equal(trace.data, np.asarray(data))
    for key in (_STRICT_NUMERIC | _LOOSE_NUMERIC) & set(HEADER_KEYS):
        value = trace.fields[key]
        raw = expected[key]
        if raw.lower() in ("", "none", "unknown", "nan"):
            assert math.isnan(value), key
        else:
            assert value == float(raw), key
    for key in _DATETIME_KEYS:
        assert trace.fields[key] == parse_header_datetime(expected[key])


@given(when=_TIMES, fmt=_TIME_FORMATS)
def test_every_time_form_gives_the_same_instant(when, fmt):
    expected = when if "{ms}" in fmt else when.replace(microsecond=0)
    assert parse_header_datetime(_format_time(when, fmt)) == expected

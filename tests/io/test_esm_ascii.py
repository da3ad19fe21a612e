"""ESM/ITACA ASCII: round trips on real L'Aquila samples, the quirks of itaca-formats.md §1."""

from __future__ import annotations

import math
import zipfile
from datetime import UTC, datetime

import numpy as np
import pytest

from seisgan_core.io.esm_ascii import (
    HEADER_KEYS,
    is_esm_ascii,
    parse_header_datetime,
    read_esm_ascii,
    read_esm_zip,
    write_esm_ascii,
)
from seisgan_testsupport.io_realdata import (
    LAQUILA,
    real_header,
    real_samples_cm_s2,
    replace_line,
    requires_fixtures,
    write_real_esm_file,
    write_real_esm_record,
)

pytestmark = requires_fixtures


def test_round_trip_is_bit_exact_on_a_real_record(tmp_path):
    data = real_samples_cm_s2("16833", "H1")  # 59,220 samples, AQG north-south
    path = write_esm_ascii(tmp_path / "AQG.HNN.ASC", data, real_header("16833", "N"))
    trace = read_esm_ascii(path)
    assert trace.data.dtype == np.float64
    assert np.array_equal(trace.data, data)
    assert trace.npts == 59220
    assert math.isclose(np.abs(trace.data).max(), 506.93293)  # 5.0693 m/s^2, fixtures README
    assert list(trace.header)[:64] == list(HEADER_KEYS)
    assert trace.fields["NDATA"] == 59220
    assert trace.sampling_rate_hz == 200.0
    assert trace.fields["MAGNITUDE_W"] == 6.3
    assert trace.fields["EVENT_DEPTH_KM"] == 8.8
    assert trace.fields["event_time"] == datetime(2009, 4, 6, 1, 32, 39, tzinfo=UTC)
    assert math.isnan(trace.fields["DURATION_S"])  # written empty, read as missing
    assert trace.record_key() == ("IT-2009-0009", "IT", "AQG", "", "HN")
    assert trace.component == "N"


def test_float_format_trades_exactness_for_size(tmp_path):
    data = real_samples_cm_s2("16833", "H2", 3000)
    path = write_esm_ascii(tmp_path / "x.ASC", data, real_header(), float_format="%.6E")
    back = read_esm_ascii(path).data
    np.testing.assert_allclose(back, data, rtol=1e-6, atol=0)


def test_write_is_atomic_and_refuses_bad_input(tmp_path):
    target = tmp_path / "x.ASC"
    with pytest.raises(ValueError, match="NDATA"):
        header = real_header()
        header["NDATA"] = "5"
        write_esm_ascii(target, np.ones(4), header)
    with pytest.raises(ValueError, match="SAMPLING_INTERVAL_S"):
        header = real_header()
        header["SAMPLING_INTERVAL_S"] = "0"
        write_esm_ascii(target, np.ones(4), header)
    assert list(tmp_path.iterdir()) == []  # nothing half-written, no temporary left


def test_crlf_latin1_and_bom_are_read(tmp_path):
    path = write_real_esm_file(tmp_path / "a.ASC", n=500)
    expected = read_esm_ascii(path)
    raw = path.read_bytes().replace(b"L Aquila", "L'Àquila".encode("latin-1"))
    crlf = tmp_path / "b.ASC"
    crlf.write_bytes(b"\xef\xbb\xbf" + raw.replace(b"\n", b"\r\n"))
    trace = read_esm_ascii(crlf)
    assert np.array_equal(trace.data, expected.data)
    assert trace.fields["STATION_NAME"].startswith("L'Àquila")
    assert trace.header["EVENT_ID"] == "IT-2009-0009"


def test_several_samples_per_line_are_read(tmp_path):
    path = write_real_esm_file(tmp_path / "a.ASC", n=1001)
    trace = read_esm_ascii(path)
    text = path.read_text()
    head, body = text.split("USER5: \n")
    numbers = body.split()
    lines = [" ".join(numbers[i : i + 5]) for i in range(0, len(numbers), 5)]
    packed = tmp_path / "packed.ASC"
    packed.write_text(head + "USER5: \n" + "\n".join(lines) + "\n")
    assert np.array_equal(read_esm_ascii(packed).data, trace.data)


def test_missing_words_become_nan_and_values_keep_colons(tmp_path):
    path = write_real_esm_file(tmp_path / "a.ASC", n=200)
    replace_line(path, "MAGNITUDE_L", "MAGNITUDE_L: None")
    replace_line(path, "VS30_M/S", "VS30_M/S: unknown")
    replace_line(path, "EVENT_DEPTH_KM", "EVENT_DEPTH_KM: ")
    replace_line(path, "SITE_CLASSIFICATION_EC8", "SITE_CLASSIFICATION_EC8: unknown")
    replace_line(path, "EVENT_TIME_HHMMSS", "EVENT_TIME_HHMMSS: 01:32:39.00000")
    replace_line(path, "DATA_TYPE", "DATA_TYPE: Acceleration")
    trace = read_esm_ascii(path)
    assert math.isnan(trace.fields["MAGNITUDE_L"])
    assert math.isnan(trace.fields["VS30_M/S"])
    assert math.isnan(trace.fields["EVENT_DEPTH_KM"])
    assert trace.fields["SITE_CLASSIFICATION_EC8"] is None
    assert trace.fields["event_time"] == datetime(2009, 4, 6, 1, 32, 39, tzinfo=UTC)
    assert trace.is_acceleration
    assert trace.header["DATA_CITATION"] == "Luzi L. et al. (2019): ITACA, doi: 10.13127/itaca.3.0"


def test_units_in_m_s2_are_converted_to_cm_s2(tmp_path):
    path = write_real_esm_file(tmp_path / "a.ASC", n=300)
    expected = read_esm_ascii(path).data
    replace_line(path, "UNITS", "UNITS: m/s^2")
    assert np.allclose(read_esm_ascii(path).data, expected * 100.0)


def test_location_with_a_place_name_is_not_a_location_code(tmp_path):
    path = write_real_esm_file(tmp_path / "a.ASC", n=100)
    replace_line(path, "LOCATION", "LOCATION: Colle Grilli")
    trace = read_esm_ascii(path)
    assert trace.location_code == ""
    assert trace.fields["LOCATION"] == "Colle Grilli"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20160824_013628.000", datetime(2016, 8, 24, 1, 36, 28, tzinfo=UTC)),
        ("20190728_160919", datetime(2019, 7, 28, 16, 9, 19, tzinfo=UTC)),
        ("2023/02/06 01:17:29.868359", datetime(2023, 2, 6, 1, 17, 29, 868359, tzinfo=UTC)),
        ("2016-08-24T01:36:28Z", datetime(2016, 8, 24, 1, 36, 28, tzinfo=UTC)),
        ("20160824", datetime(2016, 8, 24, tzinfo=UTC)),
        ("None", None),
        ("", None),
    ],
)
def test_first_sample_time_forms(text, expected):
    assert parse_header_datetime(text) == expected


def test_sniffing(tmp_path):
    path = write_real_esm_file(tmp_path / "a.ASC", n=10)
    assert is_esm_ascii(path)
    assert not is_esm_ascii(LAQUILA / "16833" / "16833_H1.cor.acc")
    assert not is_esm_ascii(LAQUILA / "16833" / "16833.metadata")
    assert not is_esm_ascii(tmp_path / "absent.ASC")


def test_zip_is_read_without_extracting(tmp_path):
    paths = write_real_esm_record(tmp_path / "files", n=1500)
    archive = tmp_path / "event.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in paths.values():
            zf.write(path, f"IT-2009-0009/{path.name}")
        zf.writestr("README.txt", "not a waveform")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    traces = read_esm_zip(archive)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert sorted(t.component for t in traces) == ["E", "N", "Z"]
    for trace in traces:
        assert trace.path.startswith(f"{archive}::IT-2009-0009/")
        assert np.array_equal(trace.data, read_esm_ascii(paths[trace.component]).data)
        # a member can be named directly
        assert np.array_equal(read_esm_ascii(trace.path).data, trace.data)

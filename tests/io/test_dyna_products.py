"""DYNA 1.0 headers and the DYNA 1.2 products (VEL, DIS, SA, PSV, SD) of a record (issue 14 §1).

The DYNA 1.0 files are ITACA's own (``../shared/fixtures/esm-ascii-obspy``), checked field by
field and sample by sample against the file's own text. Products are built from real data
through the project's writer: an SA file holding ITACA's own 5 %-damped spectrum of AQG (its
``.rs``), a VEL file holding the integrated real record; layouts as in itaca-formats.md.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from seisgan_core.catalog import read_record_waveforms, read_records, record_products
from seisgan_core.evaluation.archive import compare_with_archive
from seisgan_core.evaluation.intensity import velocity
from seisgan_core.io.errors import FormatError
from seisgan_core.io.esm_ascii import (
    HEADER_KEYS,
    HEADER_KEYS_DYNA_10,
    parse_header_datetime,
    read_esm_ascii,
    write_esm_ascii,
)
from seisgan_testsupport.io_realdata import (
    AQG_STAMP,
    FIXTURES,
    product_header,
    real_samples_cm_s2,
    requires_fixtures,
    write_record_with_products,
)

pytestmark = requires_fixtures

DYNA10 = FIXTURES / "esm-ascii-obspy"
DYNA10_FILES = sorted(DYNA10.glob("*.ASC"))
_NUMERIC = {"SAMPLING_INTERVAL_S", "NDATA", "PGA_CM/S^2", "TIME_PGA_S", "DURATION_S"}


def _own_text(path: Path) -> tuple[list[tuple[str, str]], np.ndarray]:
    """The file's 55 ``KEY: value`` lines and its samples, split by plain Python."""
    lines = path.read_text(encoding="utf-8").split("\n")
    header = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[:55]]
    samples = np.array([float(line) for line in lines[55:] if line.strip()])
    return header, samples


@pytest.mark.parametrize("path", DYNA10_FILES, ids=[p.name for p in DYNA10_FILES])
def test_dyna_10_file_reads_with_every_field_and_sample_as_written(path):
    header, samples = _own_text(path)
    trace = read_esm_ascii(path)
    assert [key for key, _ in header] == list(HEADER_KEYS_DYNA_10)
    assert trace.header == dict(header)  # every one of the 55 values, as written
    np.testing.assert_array_equal(trace.data, samples)  # cm/s^2: no conversion
    assert trace.npts == int(trace.header["NDATA"]) == 8997
    for key in _NUMERIC:
        assert trace.fields[key] == float(trace.header[key]), key
    for key in ("MAGNITUDE_W", "VS30_M/S"):  # empty in the file: missing, not zero
        assert math.isnan(trace.fields[key])
    assert trace.fields["MAGNITUDE_L"] == 4.2 and trace.fields["EVENT_DEPTH_KM"] == 11.1
    assert trace.fields["SITE_CLASSIFICATION_EC8"] == "B*"
    first = parse_header_datetime(trace.header["DATE_TIME_FIRST_SAMPLE_YYYYMMDD_HHMMSS"])
    assert trace.fields["DATE_TIME_FIRST_SAMPLE_YYYYMMDD_HHMMSS"] == first
    assert trace.fields["event_time"].isoformat() == "2014-01-20T07:12:40+00:00"
    # the peak is where the header says: |PGA| at TIME_PGA_S from the first sample
    peak = int(np.argmax(np.abs(trace.data)))
    assert peak == round(trace.fields["TIME_PGA_S"] / trace.sampling_interval_s) == 4672
    assert trace.data[peak] == trace.fields["PGA_CM/S^2"]
    assert trace.product == "ACC" and trace.component == "E" and trace.location_code == ""


# Every header field of the manually processed (C) file with the value ITACA wrote, typed in
# from the file (../shared/fixtures/esm-ascii-obspy/README.md describes it); X differs only in
# the fields of _X_DIFFERS. Numbers parse to float, empty values to NaN (numbers) or None
# (text), the two date-times to UTC datetimes.
_C_FIELDS = {
    "EVENT_NAME": "NONAME", "EVENT_ID": "IT-2014-0003", "EVENT_DATE_YYYYMMDD": "20140120",
    "EVENT_TIME_HHMMSS": "071240", "EVENT_LATITUDE_DEGREE": 41.362,
    "EVENT_LONGITUDE_DEGREE": 14.449, "EVENT_DEPTH_KM": 11.1, "HYPOCENTER_REFERENCE": "ISIDe",
    "MAGNITUDE_W": math.nan, "MAGNITUDE_W_REFERENCE": None, "MAGNITUDE_L": 4.2,
    "MAGNITUDE_L_REFERENCE": "ISIDe", "FOCAL_MECHANISM": None, "NETWORK": "IT",
    "STATION_CODE": "ARL", "STATION_NAME": "AIROLA", "STATION_LATITUDE_DEGREE": 41.057068,
    "STATION_LONGITUDE_DEGREE": 14.542928, "STATION_ELEVATION_M": 504.0, "LOCATION": None,
    "VS30_M/S": math.nan, "SITE_CLASSIFICATION_EC8": "B*", "MORPHOLOGIC_CLASSIFICATION": None,
    "EPICENTRAL_DISTANCE_KM": 34.8, "EARTHQUAKE_BACKAZIMUTH_DEGREE": 346.9,
    "DATE_TIME_FIRST_SAMPLE_YYYYMMDD_HHMMSS": datetime(2014, 1, 20, 7, 12, 30, tzinfo=UTC),
    "DATE_TIME_FIRST_SAMPLE_PRECISION": "milliseconds", "SAMPLING_INTERVAL_S": 0.005,
    "NDATA": 8997.0, "DURATION_S": 44.98, "STREAM": "HGE", "UNITS": "cm/s^2",
    "INSTRUMENT": "sensor = Unknown [Unknown] | digitizer = Unknown [Unknown]",
    "INSTRUMENT_ANALOG/DIGITAL": "D", "INSTRUMENTAL_FREQUENCY_HZ": math.nan,
    "INSTRUMENTAL_DAMPING": math.nan, "FULL_SCALE_G": math.nan,
    "N_BIT_DIGITAL_CONVERTER": math.nan, "PGA_CM/S^2": -1.127591, "TIME_PGA_S": 23.36,
    "BASELINE_CORRECTION": "BASELINE REMOVED", "FILTER_TYPE": "BUTTERWORTH",
    "FILTER_ORDER": "2", "LOW_CUT_FREQUENCY_HZ": 0.15, "HIGH_CUT_FREQUENCY_HZ": 40.0,
    "LATE/NORMAL_TRIGGERED": "NT", "DATABASE_VERSION": "ITACA 2.0", "HEADER_FORMAT": "DYNA 1.0",
    "DATA_TYPE": "ACCELERATION", "PROCESSING": "manual (Paolucci et al., 2011)",
    "DATA_TIMESTAMP_YYYYMMDD_HHMMSS": datetime(2014, 1, 28, 23, 1, 34, 743000, tzinfo=UTC),
    "USER1": (
        "/home/dyna/processing-itaca/processing.py "
        "/var/www/processing/tmp/Lucia//IT.ARL..HGE.D.20140120.071240.X.ACC.ASC "
        "/var/www/processing/tmp/Lucia//IT.ARL..HGN.D.20140120.071240.X.ACC.ASC "
        "/var/www/processing/tmp/Lucia//IT.ARL..HGZ.D.20140120.071240.X.ACC.ASC "
        "--tmp /var/www/processing/tmp/Lucia/ --le 0.150 --he 40.000 --ln 0.150 --hn 40.000 "
        "--lz 0.150 --hz 40.000 --fo 2 --ca 0 --cz 0 --ta 5 --tz 5 --mf 1 --tr NT"
    ),
    "USER2": None, "USER3": None, "USER4": None,
}  # fmt: skip
_X_DIFFERS = {
    "DURATION_S": 44.985, "PGA_CM/S^2": -1.137432,
    "BASELINE_CORRECTION": "BASELINE NOT REMOVED", "FILTER_TYPE": None, "FILTER_ORDER": None,
    "LOW_CUT_FREQUENCY_HZ": math.nan, "HIGH_CUT_FREQUENCY_HZ": math.nan,
    "LATE/NORMAL_TRIGGERED": None,
    "PROCESSING": None,  # written "none": the readers take none/n.a. as a missing value
    "DATA_TIMESTAMP_YYYYMMDD_HHMMSS": datetime(2014, 1, 27, 12, 41, 52, 174000, tzinfo=UTC),
    "USER1": "MEAN REMOVED (-3.49498661012 cm/s^2)",
}  # fmt: skip
# (first three, last three samples, count of "-0.000000" lines), typed in from each file
_SAMPLES = {
    "C": ([0.0, -0.000011, -0.000022], [-0.0, -0.0, -0.0], 33),
    "X": ([-0.006763, 0.001193, 0.007042], [-0.037417, -0.030865, -0.021271], 0),
}


@pytest.mark.parametrize("version", ["C", "X"])
def test_dyna_10_every_field_and_sample_has_the_value_itaca_wrote(version):
    path = DYNA10 / f"IT.ARL..HGE.D.20140120.071240.{version}.ACC.ASC"
    expected = {**_C_FIELDS, **(_X_DIFFERS if version == "X" else {})}
    trace = read_esm_ascii(path)
    fields = {k: v for k, v in trace.fields.items() if k in HEADER_KEYS_DYNA_10}
    assert list(fields) == list(HEADER_KEYS_DYNA_10) == list(expected)
    for key, want in expected.items():
        got = fields[key]
        if isinstance(want, float) and math.isnan(want):
            assert isinstance(got, float) and math.isnan(got), key
        else:
            assert got == want and type(got) is type(want), key
    assert trace.header["PROCESSING"] == {"C": _C_FIELDS["PROCESSING"], "X": "none"}[version]
    first, last, negative_zeros = _SAMPLES[version]
    assert trace.data.size == 8997
    np.testing.assert_array_equal(trace.data[:3], first)
    np.testing.assert_array_equal(trace.data[-3:], last)
    # "-0.000000" stays a negative zero, as written (29 of them end the C file)
    assert int(np.sum((trace.data == 0) & np.signbit(trace.data))) == negative_zeros
    assert trace.data[4672] == expected["PGA_CM/S^2"]  # at TIME_PGA_S / dt, as the README says


def test_dyna_10_requires_its_55_keys_and_dyna_12_its_64(tmp_path):
    source = DYNA10_FILES[0].read_bytes()
    no_user4 = tmp_path / "no_user4.ASC"
    no_user4.write_bytes(source.replace(b"USER4: \n", b""))
    with pytest.raises(FormatError, match=r"all 55 DYNA 1\.0 header keys") as info:
        read_esm_ascii(no_user4)
    assert info.value.field == "USER4"
    relabelled = tmp_path / "relabelled.ASC"
    relabelled.write_bytes(source.replace(b"HEADER_FORMAT: DYNA 1.0", b"HEADER_FORMAT: DYNA 1.2"))
    with pytest.raises(FormatError, match=r"all 64 DYNA 1\.2 header keys") as info:
        read_esm_ascii(relabelled)
    assert info.value.field == "SENSOR_DEPTH_M"


def test_both_dyna_10_versions_of_a_record_give_one_record_the_manual_one(tmp_path):
    catalog = read_records([DYNA10])
    assert catalog.table.empty  # one component only: not a three-component record
    reasons = " ".join(reason for _, reason in catalog.skipped)
    assert "better processed" in reasons and ".C.ACC.ASC" in reasons  # X loses to C
    assert "expected three components" in reasons


# ------------------------------------------------------------------------- the products


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    folder = tmp_path_factory.mktemp("products")
    return folder, write_record_with_products(folder)


def test_every_product_is_recognised_and_read(record):
    folder, made = record
    for product in ("VEL", "DIS", "SA", "PSV", "SD"):
        trace = read_esm_ascii(folder / AQG_STAMP.format(c="N", p=product))
        assert trace.product == product
        assert trace.is_spectrum == (product in ("SA", "PSV", "SD"))
    sa = read_esm_ascii(folder / AQG_STAMP.format(c="N", p="SA"))
    np.testing.assert_array_equal(sa.periods, made["periods"])
    np.testing.assert_array_equal(sa.data, made["sa"])
    assert sa.npts == int(sa.header["NDATA"]) == made["periods"].size
    vel = read_esm_ascii(folder / AQG_STAMP.format(c="N", p="VEL"))
    # cm/s as written, never "converted" as an acceleration would be
    np.testing.assert_array_equal(vel.data, velocity(real_samples_cm_s2("16833", "H1"), 0.005))
    assert vel.fields["PGV_CM/S"] == pytest.approx(np.abs(vel.data).max())


def test_the_catalog_keeps_products_apart_from_records_and_errors(record):
    folder, _ = record
    catalog = read_records([folder])
    assert len(catalog.table) == 1 and catalog.skipped == []
    assert sorted(what.split(" ")[0] for _, what in catalog.products) == [
        "DIS", "PSV", "SA", "SD", "VEL",
    ]  # fmt: skip
    assert all(what.endswith("component N") for _, what in catalog.products)


def test_record_products_and_the_comparison_with_the_project(record):
    folder, _ = record
    row = read_records([folder]).table.iloc[0]
    products = record_products(row)
    assert {p: sorted(by) for p, by in products.items()} == {
        p: ["N"] for p in ("VEL", "DIS", "SA", "PSV", "SD")
    }
    wave = read_record_waveforms(row)
    compared = compare_with_archive(wave.data, wave.sampling_rate_hz, wave.components, products)
    sa = compared["SA"]["N"]
    band = (sa["periods"] >= 0.02) & (sa["periods"] <= 4.0)
    # ITACA's own PSA and the project's agree within a few percent (fixtures README)
    assert np.nanmax(np.abs(sa["difference_pct"][band])) < 5.0
    np.testing.assert_allclose(compared["PSV"]["N"]["difference_pct"], sa["difference_pct"])
    vel = compared["VEL"]["N"]  # the archive's VEL here is the project's own integration
    assert np.abs(vel["difference"]).max() < 1e-9 * np.abs(vel["archive"]).max()
    assert vel["time_s"][1] == pytest.approx(0.005)


def test_a_spectrum_with_an_odd_count_of_numbers_is_refused(record, tmp_path):
    folder, _ = record
    source = (folder / AQG_STAMP.format(c="N", p="SA")).read_bytes()
    path = tmp_path / "cut.SA.ASC"
    lines = source.rstrip(b"\n").split(b"\n")
    lines[-1] = lines[-1].split(b" ")[0]
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(FormatError, match="two numbers"):
        read_esm_ascii(path)


def test_the_product_comes_from_the_name_where_data_type_is_empty(tmp_path):
    header = product_header("N", "VEL")
    header["DATA_TYPE"] = ""
    path = write_esm_ascii(
        tmp_path / AQG_STAMP.format(c="N", p="VEL"), real_samples_cm_s2("16833", "H1", 50), header
    )
    trace = read_esm_ascii(path)
    assert trace.product == "VEL" and not trace.is_acceleration
    assert len(trace.header) == len(HEADER_KEYS)


def test_products_inside_a_zip_are_found_too(tmp_path):
    import zipfile

    folder = tmp_path / "download"
    write_record_with_products(folder, n=3000)
    archive = tmp_path / "IT-2009-0009.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.iterdir()):
            zf.write(path, f"IT-2009-0009/{path.name}")
    catalog = read_records([archive])
    assert len(catalog.table) == 1 and catalog.skipped == [] and len(catalog.products) == 5
    products = record_products(catalog.table.iloc[0])
    assert sorted(products) == ["DIS", "PSV", "SA", "SD", "VEL"]
    assert products["SA"]["N"].path == f"{archive}::IT-2009-0009/{AQG_STAMP.format(c='N', p='SA')}"

"""Bad input, one test each: files the tests make from the real fixtures by breaking them.

Every error names the file, the line or field, what was expected and what was found; where
the project writes, nothing half-written is left behind.
"""

from __future__ import annotations

import math
import zipfile

import h5py
import numpy as np
import pytest

from seisgan_core.catalog import read_records
from seisgan_core.io.asdf import list_asdf, read_asdf_record, read_asdf_table, read_asdf_traces
from seisgan_core.io.errors import (
    AsdfError,
    FlatFileError,
    FormatError,
    SeisganIOWarning,
    UnsafeInputError,
)
from seisgan_core.io.esm_ascii import read_esm_ascii, read_esm_zip
from seisgan_core.io.flatfile import read_flatfile
from seisgan_core.io.itaca_legacy import read_cor_acc
from seisgan_core.io.quakeml import read_quakeml
from seisgan_testsupport.io_realdata import (
    ESM_FLATFILE,
    LAQUILA,
    real_asdf,
    replace_line,
    requires_fixtures,
    write_real_esm_file,
    write_real_esm_record,
)

pytestmark = requires_fixtures

HEADER_LINES = 64  # samples start on line 65


@pytest.fixture
def esm(tmp_path):
    """A real 2,000-sample AQG east-west component as ESM ASCII."""
    return write_real_esm_file(tmp_path / "IT.AQG..HNE.ASC", n=2000)


def _lines(path):
    return path.read_bytes().split(b"\n")


def _write_lines(path, lines):
    path.write_bytes(b"\n".join(lines))


# ----------------------------------------------------------------------- ESM / ITACA ASCII


def test_empty_file(tmp_path):
    path = tmp_path / "empty.ASC"
    path.write_bytes(b"")
    with pytest.raises(FormatError) as info:
        read_esm_ascii(path)
    assert (info.value.path, info.value.line, info.value.found) == (str(path), 1, "an empty file")


def test_binary_garbage(tmp_path, esm):
    path = tmp_path / "garbage.ASC"
    raw = bytearray(esm.read_bytes()[:4096])
    raw[100:400] = np.random.default_rng(0).integers(0, 256, 300, dtype=np.uint8).tobytes()
    raw[200] = 0
    path.write_bytes(bytes(raw))
    with pytest.raises(FormatError, match="binary data") as info:
        read_esm_ascii(path)
    assert info.value.path == str(path)


def test_truncated_body(esm):
    raw = esm.read_bytes()
    esm.write_bytes(raw[: len(raw) // 2])  # cut in the middle of the samples
    with pytest.raises(FormatError) as info:
        read_esm_ascii(esm)
    error = info.value
    assert error.field in ("NDATA", "sample")
    assert "2000 samples" in error.expected or error.field == "sample"


def test_truncated_mid_number_points_at_the_last_line(esm):
    lines = _lines(esm)[: HEADER_LINES + 100]
    lines[-1] = lines[-1][:4] + b"E-"  # the file ends in the middle of a number
    _write_lines(esm, lines)
    with pytest.raises(FormatError) as info:
        read_esm_ascii(esm)
    assert info.value.line == HEADER_LINES + 100
    assert info.value.field == "sample" and info.value.expected == "a number"


def test_ndata_disagrees_with_the_samples(esm):
    replace_line(esm, "NDATA", "NDATA: 2001")
    with pytest.raises(FormatError) as info:
        read_esm_ascii(esm)
    assert info.value.field == "NDATA" and info.value.line == 30
    assert info.value.expected == "2001 samples as NDATA says"
    assert info.value.found == "2000 samples"


def test_huge_ndata_is_compared_never_allocated(esm):
    replace_line(esm, "NDATA", "NDATA: 1000000000000")
    with pytest.raises(FormatError, match="sample-count bound"):
        read_esm_ascii(esm)


def test_non_numeric_sample_at_line_n(esm):
    lines = _lines(esm)
    lines[HEADER_LINES + 1234 - 1] = b"0.12O45"  # letter O for zero, line 1298 of the file
    _write_lines(esm, lines)
    with pytest.raises(FormatError) as info:
        read_esm_ascii(esm)
    assert info.value.line == HEADER_LINES + 1234
    assert info.value.found == "'0.12O45'"
    assert str(info.value).startswith(f"{esm}, line {HEADER_LINES + 1234}")


def test_nan_sample_is_not_a_sample(esm):
    lines = _lines(esm)
    lines[HEADER_LINES + 10 - 1] = b"NaN"
    _write_lines(esm, lines)
    with pytest.raises(FormatError, match="finite") as info:
        read_esm_ascii(esm)
    assert info.value.line == HEADER_LINES + 10


def test_missing_sampling_interval_value(esm):
    replace_line(esm, "SAMPLING_INTERVAL_S", "SAMPLING_INTERVAL_S: ")
    with pytest.raises(FormatError) as info:
        read_esm_ascii(esm)
    assert info.value.field == "SAMPLING_INTERVAL_S" and info.value.line == 29
    assert "positive sampling interval" in info.value.expected


def test_zero_sampling_interval(esm):
    replace_line(esm, "SAMPLING_INTERVAL_S", "SAMPLING_INTERVAL_S: 0.000")
    with pytest.raises(FormatError, match="positive sampling interval") as info:
        read_esm_ascii(esm)
    assert info.value.found == "'0.000'"


def test_negative_sampling_interval(esm):
    replace_line(esm, "SAMPLING_INTERVAL_S", "SAMPLING_INTERVAL_S: -0.005")
    with pytest.raises(FormatError, match="positive sampling interval") as info:
        read_esm_ascii(esm)
    assert info.value.found == "'-0.005'"


def test_missing_header_key(esm):
    replace_line(esm, "STATION_CODE", None)  # the whole line gone
    with pytest.raises(FormatError) as info:
        read_esm_ascii(esm)
    assert info.value.field == "STATION_CODE"
    assert info.value.found == "no STATION_CODE line"


def test_duplicated_header_key(esm):
    lines = _lines(esm)
    lines.insert(20, b"MAGNITUDE_W: 5.9")  # a second MAGNITUDE_W, on line 21
    _write_lines(esm, lines)
    with pytest.raises(FormatError) as info:
        read_esm_ascii(esm)
    assert info.value.line == 21 and info.value.field == "MAGNITUDE_W"
    assert "first on line 9" in info.value.found


def test_latin1_text_is_read(esm):
    replace_line(esm, "STATION_NAME", "STATION_NAME: L'Aquila - Centro Valle, Valle dell'Aterno")
    replace_line(esm, "EVENT_NAME", "EVENT_NAME: L'Aquila é")
    raw = esm.read_bytes().replace(b"Centro Valle", "Città".encode("latin-1"))
    esm.write_bytes(raw)
    trace = read_esm_ascii(esm)
    assert trace.fields["STATION_NAME"].startswith("L'Aquila - Città")
    assert trace.fields["EVENT_NAME"] == "L'Aquila é"  # written as latin-1 byte 0xE9
    assert trace.npts == 2000


def test_crlf_line_ends_are_read(esm):
    expected = read_esm_ascii(esm).data
    esm.write_bytes(esm.read_bytes().replace(b"\n", b"\r\n"))
    trace = read_esm_ascii(esm)
    assert np.array_equal(trace.data, expected)
    assert trace.fields["STREAM"] == "HNE"


def test_latitude_out_of_range_in_the_header(esm):
    replace_line(esm, "STATION_LATITUDE_DEGREE", "STATION_LATITUDE_DEGREE: 142.373474")
    with pytest.raises(FormatError) as info:
        read_esm_ascii(esm)
    assert info.value.field == "STATION_LATITUDE_DEGREE" and info.value.line == 17
    assert info.value.expected == "a value in [-90, 90]"


def test_non_numeric_magnitude(esm):
    replace_line(esm, "MAGNITUDE_W", "MAGNITUDE_W: six")
    with pytest.raises(FormatError) as info:
        read_esm_ascii(esm)
    assert (info.value.field, info.value.line, info.value.found) == ("MAGNITUDE_W", 9, "'six'")


def test_header_without_samples(esm):
    _write_lines(esm, _lines(esm)[:HEADER_LINES])
    with pytest.raises(FormatError, match="the body is empty"):
        read_esm_ascii(esm)


# ----------------------------------------------------------------------- ASDF / HDF5


def test_hdf5_that_is_not_asdf(tmp_path):
    path = tmp_path / "plain.h5"
    with h5py.File(path, "w") as f:
        f["Waveforms/IT.AQG/x"] = np.arange(10.0)
    with pytest.raises(AsdfError) as info:
        list_asdf(path)
    assert info.value.field == "file_format"
    assert info.value.found == "plain HDF5 without it"


def test_a_text_file_is_not_asdf(esm):
    with pytest.raises(AsdfError, match="an HDF5 file"):
        read_asdf_table(esm)


def test_asdf_trace_without_sampling_rate(tmp_path):
    path = tmp_path / "no_rate.h5"
    real_asdf(path, noise=False, n=500)
    with h5py.File(path, "r+") as f:
        group = f["Waveforms/IT.AQG"]
        name = next(n for n in group if n.startswith("IT.AQG..HNN"))
        del group[name].attrs["sampling_rate"]
    with pytest.raises(AsdfError) as info:
        read_asdf_record(path, "IT-2009-0009", "IT.AQG")
    assert info.value.field == f"Waveforms/IT.AQG/{name}"
    assert info.value.found == "none"
    skipped = []
    assert read_asdf_table(path, skipped=skipped) == []
    assert "sampling_rate" in skipped[0][1]


def test_asdf_without_quakeml_reads_with_a_warning(tmp_path):
    path = tmp_path / "no_quakeml.h5"
    real_asdf(path, with_quakeml=False, n=500)
    with pytest.warns(SeisganIOWarning, match="no QuakeML"):
        catalog = read_records([path])
    assert len(catalog.table) == 2
    assert catalog.table["mw"].isna().all() and catalog.table["event_time"].isna().all()
    assert list_asdf(path).events == []


def test_hdf5_external_link_is_refused(tmp_path):
    path = tmp_path / "linked.h5"
    real_asdf(path, noise=False, n=200)
    with h5py.File(path, "r+") as f:
        f["Waveforms/IT.AQG/IT.AQG..HNE__x__y__stolen"] = h5py.ExternalLink("/etc/secret.h5", "/d")
    with pytest.raises(UnsafeInputError, match="external links") as info:
        read_asdf_traces(path)
    assert info.value.path == str(path)


def test_hdf5_virtual_dataset_is_refused(tmp_path):
    source = tmp_path / "elsewhere.h5"
    with h5py.File(source, "w") as f:
        f["d"] = np.arange(200.0)
    path = tmp_path / "virtual.h5"
    real_asdf(path, noise=False, n=200)
    layout = h5py.VirtualLayout(shape=(200,), dtype="f8")
    layout[:] = h5py.VirtualSource(str(source), "d", shape=(200,))
    with h5py.File(path, "r+") as f:
        group = f["Waveforms/IT.AQG"]
        name = next(n for n in group if n.startswith("IT.AQG..HNE"))
        attrs = dict(group[name].attrs)
        del group[name]
        dataset = group.create_virtual_dataset(name, layout)
        dataset.attrs.update(attrs)
    with pytest.raises(UnsafeInputError, match="virtual or external"):
        read_asdf_record(path, "IT-2009-0009", "IT.AQG")


def test_quakeml_with_entities_is_refused(tmp_path):
    source = next((LAQUILA.parent / "ingv-quakeml").glob("*25883901*.qml")).read_bytes()
    bomb = (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n'
        + source.split(b"?>", 1)[1].replace(b"<text>", b"<text>&lol2;", 1)
    )
    path = tmp_path / "bomb.qml"
    path.write_bytes(bomb)
    with pytest.raises(UnsafeInputError, match="document type declaration"):
        read_quakeml(path)


# ----------------------------------------------------------------------- flat files


def _esm_flatfile_text():
    return ESM_FLATFILE.read_text(encoding="utf-8")


def test_flatfile_missing_required_columns(tmp_path):
    lines = _esm_flatfile_text().splitlines()
    header = lines[0].split(";")
    drop = header.index("epi_dist")
    cut = [";".join(p for i, p in enumerate(line.split(";")) if i != drop) for line in lines]
    path = tmp_path / "no_distance.csv"
    path.write_text("\n".join(cut) + "\n")
    with pytest.raises(FlatFileError) as info:
        read_flatfile(path)
    assert (info.value.line, info.value.field, info.value.found) == (1, "epi_dist", "no epi_dist")


def test_flatfile_wrong_delimiter(tmp_path):
    path = tmp_path / "pipes.csv"
    path.write_text(_esm_flatfile_text().replace(";", "|"))
    with pytest.raises(FlatFileError) as info:
        read_flatfile(path)
    assert info.value.line == 1 and "'|' instead" in info.value.found


def test_flatfile_empty_mw_is_read_as_missing(tmp_path):
    lines = _esm_flatfile_text().splitlines()
    header = lines[0].split(";")
    column = header.index("Mw")
    row = lines[1].split(";")
    assert row[column] == "6.7"
    row[column] = ""
    lines[1] = ";".join(row)
    path = tmp_path / "empty_mw.csv"
    path.write_text("\n".join(lines) + "\n")
    rows = read_flatfile(path)
    assert math.isnan(rows[0]["mw"]) and rows[0]["ml"] == 6.5
    catalog = read_records([path])
    assert catalog.summary().loc["Mw", "missing"] == 61  # 60 in the sample, plus this one


def test_flatfile_latitude_out_of_range(tmp_path):
    lines = _esm_flatfile_text().splitlines()
    column = lines[0].split(";").index("st_latitude")
    row = lines[5].split(";")
    row[column] = "-91.5"
    lines[5] = ";".join(row)
    path = tmp_path / "bad_latitude.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(FlatFileError) as info:
        read_flatfile(path)
    assert (info.value.line, info.value.field) == (6, "st_latitude")
    assert info.value.expected == "a latitude in [-90, 90]" and info.value.found == "'-91.5'"


def test_flatfile_text_where_a_number_belongs(tmp_path):
    lines = _esm_flatfile_text().splitlines()
    column = lines[0].split(";").index("ev_depth_km")
    row = lines[3].split(";")
    row[column] = "ten"
    lines[3] = ";".join(row)
    path = tmp_path / "bad_depth.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(FlatFileError) as info:
        read_flatfile(path)
    assert (info.value.line, info.value.field, info.value.found) == (4, "ev_depth_km", "'ten'")


# ----------------------------------------------------------------------- ITACA 1.x


def _cor_acc(tmp_path):
    path = tmp_path / "16833_H1.cor.acc"
    path.write_bytes((LAQUILA / "16833" / "16833_H1.cor.acc").read_bytes())
    return path


def test_cor_acc_number_of_data_disagrees(tmp_path):
    path = _cor_acc(tmp_path)
    path.write_bytes(path.read_bytes().replace(b": 59220", b": 59225"))
    with pytest.raises(FormatError) as info:
        read_cor_acc(path)
    assert (info.value.line, info.value.field) == (8, "number_of_data")
    assert info.value.found == "59220 samples"


def test_cor_acc_bad_fixed_width_field(tmp_path):
    path = _cor_acc(tmp_path)
    lines = _lines(path)
    lines[499] = lines[499][:14] + b"-1.37246OOE-07" + lines[499][28:]
    _write_lines(path, lines)
    with pytest.raises(FormatError) as info:
        read_cor_acc(path)
    assert info.value.line == 500 and info.value.found == "'-1.37246OOE-07'"


def test_cor_acc_line_of_the_wrong_width(tmp_path):
    path = _cor_acc(tmp_path)
    lines = _lines(path)
    lines[20] = lines[20][:-3]
    _write_lines(path, lines)
    with pytest.raises(FormatError) as info:
        read_cor_acc(path)
    assert info.value.line == 21 and info.value.expected == "fields of 14 characters"


def test_cor_acc_zero_time_increment(tmp_path):
    path = _cor_acc(tmp_path)
    path.write_bytes(path.read_bytes().replace(b": 0.005", b": 0.000", 1))
    with pytest.raises(FormatError, match="positive time increment") as info:
        read_cor_acc(path)
    assert info.value.line == 7


# ----------------------------------------------------------------------- zips


def test_zip_member_with_dot_dot(tmp_path, esm):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(esm, "../x")
    with pytest.raises(UnsafeInputError) as info:
        read_esm_zip(archive)
    assert info.value.found == "'../x'" and info.value.path == str(archive)
    assert not (tmp_path.parent / "x").exists()


def test_zip_member_with_an_absolute_path(tmp_path, esm):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(esm, "ok.ASC")
        zf.writestr(zipfile.ZipInfo("/etc/cron.d/x"), esm.read_bytes())
    with pytest.raises(UnsafeInputError, match="a relative member name"):
        read_esm_zip(archive)
    catalog = read_records([archive])  # ingest reports it, reads nothing from that zip
    assert catalog.table.empty and "'/etc/cron.d/x'" in catalog.skipped[0][1]


def test_zip_bomb_is_refused_before_extracting(tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("IT.AQG..HNE.ASC", b"0.0\n" * 2_000_000)  # 8 MB of zeros, ratio ~1000
    with pytest.raises(UnsafeInputError, match="compression ratio"):
        read_esm_zip(archive)


def test_broken_member_is_skipped_the_rest_read(tmp_path):
    paths = write_real_esm_record(tmp_path / "files", n=800)
    broken = paths["Z"].read_bytes().replace(b"NDATA: 800", b"NDATA: 799")
    archive = tmp_path / "event.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(paths["E"], "E.ASC")
        zf.write(paths["N"], "N.ASC")
        zf.writestr("Z.ASC", broken)
    skipped = []
    traces = read_esm_zip(archive, skipped=skipped)
    assert [t.component for t in traces] == ["E", "N"]
    assert skipped[0][0] == f"{archive}::Z.ASC" and "NDATA" in skipped[0][1]


# ----------------------------------------------------------------------- the catalog


def test_unknown_file_is_skipped_with_the_reason(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("station AQG, 4 km\n")
    catalog = read_records([path, LAQUILA / "16833"])
    assert len(catalog.table) == 1
    assert catalog.skipped == [
        (
            str(path),
            f"{path}: expected ESM/ITACA ASCII, ASDF, a flat file, ITACA 1.x .cor.acc/.metadata"
            " or a zip, found none of these",
        )
    ]


def test_record_with_two_components_is_skipped(tmp_path):
    paths = write_real_esm_record(tmp_path, n=500)
    paths["Z"].unlink()
    catalog = read_records([tmp_path])
    assert catalog.table.empty
    assert len(catalog.skipped) == 2
    assert "expected three components" in catalog.skipped[0][1]
    assert "found E,N" in catalog.skipped[0][1]


def test_unreadable_stationxml_costs_coordinates_not_records(tmp_path):
    path = tmp_path / "bad_stationxml.h5"
    real_asdf(path, noise=False, n=300)
    with h5py.File(path, "r+") as f:
        del f["Waveforms/IT.AQG/StationXML"]
        f["Waveforms/IT.AQG/StationXML"] = np.frombuffer(b"<FDSNStationXML><broken", dtype="i1")
    with pytest.raises(AsdfError, match="StationXML"):
        read_asdf_table(path)
    catalog = read_records([path])
    assert len(catalog.table) == 1
    assert catalog.table["station_latitude"].isna().all()
    assert catalog.skipped[0][0] == f"{path}::Waveforms/IT.AQG/StationXML"

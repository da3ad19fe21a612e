"""Property-based fuzzing (hypothesis, bounded) of the text parsers with mutated real files.

Starting from a real L'Aquila record written as ESM ASCII, a real ESM flat file and a real
ITACA 1.x ``.cor.acc``, hypothesis flips bytes, cuts, repeats and swaps lines and replaces
cells. Whatever comes out, a parser either reads it or raises the project's own error type
(``SeisganIOError``: FormatError and its subclasses); nothing else may escape, and what is
read keeps its promises (samples finite, as many as NDATA says).
"""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seisgan_core.io.asdf import read_asdf_table
from seisgan_core.io.errors import SeisganIOError, SeisganIOWarning
from seisgan_core.io.esm_ascii import (
    parse_esm_ascii,
    read_esm_ascii,
    read_esm_zip,
    write_esm_ascii,
)
from seisgan_core.io.flatfile import read_flatfile_bytes
from seisgan_core.io.itaca_legacy import parse_cor_acc, read_metadata, read_rs
from seisgan_core.io.quakeml import read_quakeml
from seisgan_testsupport.cases import AQG, ESM_FLATFILE, FIXTURES, QUAKEML
from seisgan_testsupport.io_realdata import real_header, real_samples_cm_s2

pytestmark = pytest.mark.skipif(
    not FIXTURES.is_dir(), reason=f"real-data fixtures not found at {FIXTURES}"
)

# bounded: a few hundred examples in all, no per-example deadline on a busy 2-core machine
FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)


@functools.cache
def _esm_bytes() -> bytes:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "IT.AQG..HNE.ASC"
        write_esm_ascii(path, real_samples_cm_s2("16833", "H2", 300), real_header("16833", "E"))
        return path.read_bytes()


@functools.cache
def _flatfile_bytes() -> bytes:
    # the header and 12 rows keep each example fast
    return b"\n".join(ESM_FLATFILE.read_bytes().split(b"\n")[:13])


@functools.cache
def _itaca_export_bytes() -> bytes:
    """The demo archive's flat file (ITACA export layout), 6 records of 3 component rows."""
    import tempfile
    from pathlib import Path

    from seisgan_core.demo import build_demo_archive

    with tempfile.TemporaryDirectory() as tmp:
        build_demo_archive(Path(tmp) / "demo", n_records=6, n_noise=0)
        return (Path(tmp) / "demo" / "flatfile.csv").read_bytes()


@functools.cache
def _cor_acc_bytes() -> bytes:
    lines = (AQG / "16833_H1.cor.acc").read_bytes().split(b"\n")
    body = lines[11:71]  # 60 lines of 5 samples
    header = [
        b"Number of Data                : 300" if line.startswith(b"Number of Data") else line
        for line in lines[:11]
    ]
    return b"\n".join(header + body) + b"\n"


def _mutations():
    """Strategy: a list of edits, each at a position given as a fraction of the file's length
    (so the strategy needs no file at collection time)."""
    position = st.floats(0.0, 1.0, exclude_max=True)
    edit = st.one_of(
        st.tuples(st.just("flip"), position, st.integers(0, 7)),
        st.tuples(st.just("set"), position, st.binary(min_size=1, max_size=8)),
        st.tuples(st.just("cut"), position, st.just(0)),
        st.tuples(st.just("delete"), position, st.integers(1, 200)),
        st.tuples(st.just("insert"), position, st.sampled_from(
            [b"\n", b"\r", b"\x00", b"nan", b"inf", b"-", b";", b":", b"1e999", b"\xff\xfe",
             b"NDATA: 99999999999", b"..", b"9" * 400]
        )),
        st.tuples(st.just("dup_line"), position, st.just(0)),
    )  # fmt: skip
    return st.lists(edit, min_size=1, max_size=6)


def _apply(source: bytes, edits) -> bytes:
    data = bytearray(source)
    for kind, where, arg in edits:
        at = int(where * len(data))
        if kind == "flip" and data:
            data[at] ^= 1 << arg
        elif kind == "set":
            data[at : at + len(arg)] = arg
        elif kind == "cut":
            del data[at:]
        elif kind == "delete":
            del data[at : at + arg]
        elif kind == "insert":
            data[at:at] = arg
        elif kind == "dup_line":
            lines = bytes(data).split(b"\n")
            i = int(where * len(lines))
            lines.insert(i, lines[i])
            data = bytearray(b"\n".join(lines))
    return bytes(data)


@pytest.mark.slow
@FUZZ
@given(edits=_mutations())
def test_esm_ascii_parser_raises_only_our_errors(edits):
    raw = _apply(_esm_bytes(), edits)
    try:
        trace = parse_esm_ascii(raw, "fuzz.ASC")
    except SeisganIOError as exc:
        assert str(exc).startswith("fuzz.ASC")
        return
    assert np.isfinite(trace.data).all()
    assert trace.data.size == int(trace.fields["NDATA"])
    assert trace.fields["SAMPLING_INTERVAL_S"] > 0


@pytest.mark.slow
@FUZZ
@given(raw=st.binary(max_size=3000))
def test_esm_ascii_parser_on_random_bytes(raw):
    try:
        parse_esm_ascii(raw, "random.ASC")
    except SeisganIOError:
        pass


@pytest.mark.slow
@FUZZ
@given(edits=_mutations())
def test_flatfile_parser_raises_only_our_errors(edits):
    raw = _apply(_flatfile_bytes(), edits)
    try:
        rows = read_flatfile_bytes(raw, "fuzz.csv")
    except SeisganIOError as exc:
        assert str(exc).startswith("fuzz.csv")
        return
    for row in rows:
        for key in ("event_latitude", "station_latitude"):
            value = row.get(key)
            assert value is None or math.isnan(value) or -90 <= value <= 90


@pytest.mark.slow
@FUZZ
@given(edits=_mutations())
def test_itaca_export_parser_raises_only_our_errors(edits):
    raw = _apply(_itaca_export_bytes(), edits)
    try:
        rows = read_flatfile_bytes(raw, "fuzz_itaca.csv")
    except SeisganIOError as exc:
        assert str(exc).startswith("fuzz_itaca.csv")
        return
    for row in rows:
        mw = row.get("mw")
        assert mw is None or math.isnan(mw) or math.isfinite(mw)


@pytest.mark.slow
@FUZZ
@given(
    cells=st.lists(
        st.tuples(st.integers(1, 12), st.integers(0, 120), st.text(max_size=12)),
        min_size=1,
        max_size=5,
    )
)
def test_flatfile_cells_replaced_by_any_text(cells):
    lines = _flatfile_bytes().decode("utf-8").split("\n")
    for row, column, text in cells:
        parts = lines[row].split(";")
        parts[column % len(parts)] = text
        lines[row] = ";".join(parts)
    try:
        read_flatfile_bytes("\n".join(lines).encode("utf-8", "surrogatepass"), "cells.csv")
    except SeisganIOError as exc:
        assert str(exc).startswith("cells.csv")


@pytest.mark.slow
@FUZZ
@given(edits=_mutations())
def test_cor_acc_parser_raises_only_our_errors(edits):
    raw = _apply(_cor_acc_bytes(), edits)
    try:
        trace = parse_cor_acc(raw, "fuzz.cor.acc")
    except SeisganIOError as exc:
        assert str(exc).startswith("fuzz.cor.acc")
        return
    assert trace.data.size == trace.fields["number_of_data"]


# ------------------------------------------------- every reader, and one file among many
# (issue 15 item 5): the remaining readers see mutated real bytes through a file on disk,
# and a folder read keeps the good record whatever one mutated neighbour holds.


@functools.cache
def _rs_bytes() -> bytes:
    return (AQG / "16833_H1.rs").read_bytes()


@functools.cache
def _metadata_bytes() -> bytes:
    return (AQG / "16833.metadata").read_bytes()


@functools.cache
def _quakeml_bytes() -> bytes:
    return next(QUAKEML.glob("*25883901*.qml")).read_bytes()


@functools.cache
def _zip_bytes() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("IT-2009-0009/IT.AQG..HNE.ASC", _esm_bytes())
        zf.writestr("IT-2009-0009/README.txt", b"ESM download\n")
    return buffer.getvalue()


@functools.cache
def _asdf_bytes() -> bytes:
    import tempfile
    from pathlib import Path

    from seisgan_testsupport.io_realdata import real_asdf

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "real.h5"
        real_asdf(path, noise=False, n=200)
        return path.read_bytes()


def _on_disk(name: str, raw: bytes, read) -> None:
    """Write ``raw`` as ``name`` in a fresh folder and read it: only our errors may escape."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(raw)
        try:
            read(path)
        except SeisganIOError as exc:
            assert str(exc).startswith(str(path)), str(exc)


def _read_zip_collecting(path) -> None:
    skipped: list = []
    read_esm_zip(path, skipped=skipped)
    assert all(label.startswith(str(path)) for label, _ in skipped)


@functools.cache
def _dyna10_bytes() -> bytes:
    """ITACA's own DYNA 1.0 file (55 header keys), cut to its first 300 samples."""
    path = next((FIXTURES / "esm-ascii-obspy").glob("*.C.ACC.ASC"))
    lines = path.read_bytes().split(b"\n")
    return b"\n".join(line.replace(b"8997", b"300") for line in lines[:355]) + b"\n"


_READERS = {
    "dyna10": ("IT.ARL..HGE.D.20140120.071240.C.ACC.ASC", _dyna10_bytes, read_esm_ascii),
    "rs": ("16833_H1.rs", _rs_bytes, read_rs),
    "metadata": ("16833.metadata", _metadata_bytes, read_metadata),
    "quakeml": ("event.qml", _quakeml_bytes, read_quakeml),
    "zip": ("event.zip", _zip_bytes, _read_zip_collecting),
    "asdf": ("real.h5", _asdf_bytes, read_asdf_table),
}


@pytest.mark.slow
@pytest.mark.parametrize("fmt", sorted(_READERS))
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
@given(edits=_mutations())
def test_every_reader_raises_only_our_errors(fmt, edits):
    name, source, read = _READERS[fmt]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeisganIOWarning)  # a mutated file may lose its QuakeML
        _on_disk(name, _apply(source(), edits), read)


@functools.cache
def _good_record_files() -> dict[str, bytes]:
    import tempfile
    from pathlib import Path

    from seisgan_testsupport.io_realdata import write_real_esm_record

    with tempfile.TemporaryDirectory() as tmp:
        # another station than the mutated files' AQG, so they are never one record
        paths = write_real_esm_record(Path(tmp), station_dir="16835", n=300)
        return {p.name: p.read_bytes() for p in paths.values()}


@pytest.mark.slow
@FUZZ
@given(
    fmt=st.sampled_from(["esm", "cor_acc", "zip", "asdf", "quakeml", "rs"]),
    edits=_mutations(),
)
def test_one_mutated_file_never_stops_a_folder_read(fmt, edits):
    import tempfile
    from pathlib import Path

    from seisgan_core.catalog import read_records

    source, name = {
        "esm": (_esm_bytes, "IT.XXX..HNE.ASC"),
        "cor_acc": (_cor_acc_bytes, "99999_H1.cor.acc"),
        "zip": (_zip_bytes, "event.zip"),
        "asdf": (_asdf_bytes, "event.h5"),
        "quakeml": (_quakeml_bytes, "event.qml"),
        "rs": (_rs_bytes, "99999_H1.rs"),
    }[fmt]
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", SeisganIOWarning)
        folder = Path(tmp)
        good = folder / "good"
        good.mkdir()
        for file_name, raw in _good_record_files().items():
            (good / file_name).write_bytes(raw)
        (folder / name).write_bytes(_apply(source(), edits))
        catalog = read_records([folder])
    good_rows = catalog.table[catalog.table["station"] == real_header("16835")["STATION_CODE"]]
    assert len(good_rows) == 1, catalog.skipped
    assert good_rows["npts"].tolist() == [300]
    assert all("/good/" not in path for path, _ in catalog.skipped)

"""The hostile-input corpus: broken or malicious files, each built by the tests from the real
fixtures in ../shared/fixtures (never typed in, never copied into the project).

Every :class:`Case` builds one file (or folder) into a temporary directory, names the reader
that must take it, and says what must happen: ``reject`` is the project's error type that must
be raised (its message naming the file and what was expected and found), or ``None`` when the
file must be read and ``check`` verifies the values read. ``max_alloc_mb`` bounds the memory
the reader may allocate (tracemalloc) for files whose header claims far more than they hold.

docs/reliability.md lists every case with its outcome.
"""

from __future__ import annotations

import json
import pickle
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from seisgan_core.io.asdf import read_asdf_table, read_asdf_traces
from seisgan_core.io.errors import (
    AsdfError,
    FlatFileError,
    FormatError,
    UnsafeInputError,
)
from seisgan_core.io.esm_ascii import read_esm_ascii, read_esm_zip
from seisgan_core.io.flatfile import read_flatfile
from seisgan_core.io.itaca_legacy import read_cor_acc, read_metadata, read_rs
from seisgan_core.io.quakeml import read_quakeml
from seisgan_core.preparation import load_prepared
from seisgan_core.train.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from seisgan_core.train.runs import load_run
from seisgan_testsupport.io_realdata import (
    ESM_FLATFILE,
    ESM_FLATFILE_2018,
    FIXTURES,
    LAQUILA,
    QUAKEML,
    real_asdf,
    real_samples_cm_s2,
    write_real_esm_file,
    write_real_esm_record,
)
from seisgan_testsupport.prepared_set import make_prepared_set

AQG = LAQUILA / "16833"
N_ESM = 2000  # samples in the ESM ASCII files the cases start from
SAMPLES_START_LINE = 65  # DYNA 1.2: 64 header lines


@dataclass(frozen=True)
class Case:
    name: str
    fmt: str
    build: Callable[[Path], Path]
    read: Callable[[Path], Any]
    reject: type[Exception] | None = None
    match: tuple[str, ...] = ()  # words the error message must hold (besides the file name)
    check: Callable[[Any, Path], None] | None = None
    max_alloc_mb: float | None = None
    # the file a rejection must name (defaults to the built path; a folder's file for sets)
    names: Callable[[Path], str] | None = None
    # whether catalog.read_records meets this file type at all (records, not checkpoints)
    catalog: bool = True


CASES: list[Case] = []


def case(**kwargs: Any) -> Callable[[Callable[[Path], Path]], Callable[[Path], Path]]:
    def register(build: Callable[[Path], Path]) -> Callable[[Path], Path]:
        CASES.append(Case(name=build.__name__, build=build, **kwargs))
        return build

    return register


# ------------------------------------------------------------------------------ helpers


def _esm(tmp: Path, name: str = "IT.AQG..HNE.ASC") -> Path:
    return write_real_esm_file(tmp / name, n=N_ESM)


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")


def _set_header(path: Path, key: str, value: str | None) -> Path:
    out = []
    for line in _lines(path):
        if line.split(b":", 1)[0] == key.encode():
            if value is not None:
                out.append(f"{key}: {value}".encode("latin-1"))
        else:
            out.append(line)
    path.write_bytes(b"\n".join(out))
    return path


def _set_sample_line(path: Path, index: int, text: bytes) -> Path:
    lines = _lines(path)
    lines[SAMPLES_START_LINE - 1 + index] = text
    path.write_bytes(b"\n".join(lines))
    return path


def _real_east() -> np.ndarray:
    return real_samples_cm_s2("16833", "H2", N_ESM)


def _check_esm_values(trace: Any, path: Path) -> None:
    np.testing.assert_allclose(trace.data, _real_east(), rtol=1e-5, atol=1e-6)
    assert trace.header["STATION_CODE"] == "AQG"


def _zip(path: Path, members: dict[str, bytes], level: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=level) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _patch_central_sizes(path: Path, *, uncompressed: int | None = None) -> Path:
    """Rewrite the uncompressed size that the zip's directories declare (a forged header)."""
    raw = bytearray(path.read_bytes())
    for sig, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        start = 0
        while (i := raw.find(sig, start)) >= 0:
            struct.pack_into("<I", raw, i + offset, uncompressed)
            start = i + 4
    path.write_bytes(bytes(raw))
    return path


def _flatfile_lines() -> list[str]:
    return ESM_FLATFILE.read_text(encoding="utf-8").splitlines()


def _qml_source() -> bytes:
    return next(QUAKEML.glob("*25883901*.qml")).read_bytes()


def _npy_header_only(path: Path, descr: str, shape: tuple[int, ...], body: bytes = b"") -> Path:
    with open(path, "wb") as fh:
        np.lib.format.write_array_header_1_0(
            fh, {"descr": descr, "fortran_order": False, "shape": shape}
        )
        fh.write(body)
    return path


def _prepared(tmp: Path) -> Path:
    return make_prepared_set(tmp / "prepared", n=4, length=8000, seed=3)


def _run_folder(tmp: Path) -> Path:
    run = tmp / "run"
    (run / "samples").mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"run_id": "run", "hyperparameters": {}}))
    return run


def _samples_of(run: Path) -> np.ndarray:
    return load_run(run).samples(1)


# ================================================================== ESM ASCII (DYNA 1.2)


@case(fmt="esm", read=read_esm_ascii, check=_check_esm_values, catalog=False)
def esm_real_record_reads(tmp: Path) -> Path:
    return _esm(tmp)


@case(fmt="esm", read=read_esm_ascii, reject=FormatError, match=("empty",))
def esm_empty_file(tmp: Path) -> Path:
    path = tmp / "empty.ASC"
    path.write_bytes(b"")
    return path


@case(fmt="esm", read=read_esm_ascii, reject=FormatError, match=("expected",))
def esm_random_bytes(tmp: Path) -> Path:
    path = tmp / "garbage.ASC"
    path.write_bytes(np.random.default_rng(8).bytes(20_000))
    return path


@case(fmt="esm", read=read_esm_ascii, reject=FormatError, match=("NDATA", "samples"))
def esm_truncated_half(tmp: Path) -> Path:
    path = _esm(tmp)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    return path


@case(fmt="esm", read=read_esm_ascii, reject=FormatError, match=("line 70",))
def esm_bit_flip_in_a_sample(tmp: Path) -> Path:
    """One flipped bit turns a sample's '.' (0x2e) into '/' (0x2f)."""
    path = _esm(tmp)
    lines = _lines(path)
    line = bytearray(lines[SAMPLES_START_LINE - 1 + 5])
    line[line.index(b".")] ^= 0x01
    lines[SAMPLES_START_LINE - 1 + 5] = bytes(line)
    path.write_bytes(b"\n".join(lines))
    return path


@case(fmt="esm", read=read_esm_ascii, reject=FormatError, match=("NDATA",), max_alloc_mb=8)
def esm_gigantic_ndata(tmp: Path) -> Path:
    return _set_header(_esm(tmp), "NDATA", "999999999999999")


@case(fmt="esm", read=read_esm_ascii, reject=FormatError, match=("NDATA",), max_alloc_mb=8)
def esm_negative_ndata(tmp: Path) -> Path:
    return _set_header(_esm(tmp), "NDATA", "-5")


@case(fmt="esm", read=read_esm_ascii, reject=FormatError, match=("line 75",))
def esm_nan_sample(tmp: Path) -> Path:
    return _set_sample_line(_esm(tmp), 10, b"nan")


@case(fmt="esm", read=read_esm_ascii, reject=FormatError, match=("line 76",))
def esm_infinite_sample(tmp: Path) -> Path:
    return _set_sample_line(_esm(tmp), 11, b"-inf")


@case(fmt="esm", read=read_esm_ascii, reject=FormatError, match=("expected",))
def esm_utf16_encoding(tmp: Path) -> Path:
    path = _esm(tmp)
    path.write_bytes(path.read_text(encoding="latin-1").encode("utf-16"))
    return path


@case(fmt="esm", read=read_esm_ascii, reject=FormatError, match=("NUL", "binary"))
def esm_nul_bytes_in_the_samples(tmp: Path) -> Path:
    return _set_sample_line(_esm(tmp), 3, b"\x00\x00\x00\x00")


@case(fmt="esm", read=read_esm_ascii, reject=FormatError, match=("SAMPLING_INTERVAL_S",))
def esm_zero_sampling_interval(tmp: Path) -> Path:
    return _set_header(_esm(tmp), "SAMPLING_INTERVAL_S", "0.000")


@case(fmt="esm", read=read_esm_ascii, reject=FormatError, match=("STREAM",))
def esm_missing_stream_key(tmp: Path) -> Path:
    return _set_header(_esm(tmp), "STREAM", None)


@case(fmt="esm", read=read_esm_ascii, reject=FormatError, match=("samples",))
def esm_header_without_samples(tmp: Path) -> Path:
    path = _esm(tmp)
    path.write_bytes(b"\n".join(_lines(path)[: SAMPLES_START_LINE - 1]) + b"\n")
    return path


@case(fmt="esm", read=read_esm_ascii, check=_check_esm_values, catalog=False)
def esm_crlf_line_ends_read(tmp: Path) -> Path:
    path = _esm(tmp)
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    return path


def _check_latin1(trace: Any, path: Path) -> None:
    _check_esm_values(trace, path)
    assert "Città" in trace.header["STATION_NAME"]


@case(fmt="esm", read=read_esm_ascii, check=_check_latin1, catalog=False)
def esm_latin1_station_name_read(tmp: Path) -> Path:
    return _set_header(_esm(tmp), "STATION_NAME", "L'Aquila Città")


@case(fmt="esm", read=read_esm_ascii, reject=FormatError, match=("EVENT_LATITUDE_DEGREE",))
def esm_latitude_out_of_range(tmp: Path) -> Path:
    return _set_header(_esm(tmp), "EVENT_LATITUDE_DEGREE", "142.3")


@case(fmt="esm", read=read_esm_ascii, reject=FormatError, match=("expected",), max_alloc_mb=64)
def esm_one_endless_line(tmp: Path) -> Path:
    """8 MB of digits without a line end where the samples should start."""
    path = _esm(tmp)
    lines = _lines(path)[: SAMPLES_START_LINE - 1]
    path.write_bytes(b"\n".join([*lines, b"1" * 8_000_000]))
    return path


# ============================================================================ ESM zips


def _esm_zip_members(tmp: Path) -> dict[str, bytes]:
    paths = write_real_esm_record(tmp / "src", n=N_ESM)
    return {f"IT-2009-0009/{p.name}": p.read_bytes() for p in paths.values()}


def _check_zip_values(traces: Any, path: Path) -> None:
    assert len(traces) == 3
    east = next(t for t in traces if t.header["STREAM"].endswith("E"))
    np.testing.assert_allclose(east.data, _real_east(), rtol=1e-5, atol=1e-6)


@case(fmt="esm_zip", read=read_esm_zip, check=_check_zip_values)
def zip_real_record_reads(tmp: Path) -> Path:
    return _zip(tmp / "event.zip", _esm_zip_members(tmp))


@case(fmt="esm_zip", read=read_esm_zip, reject=UnsafeInputError, match=("compression ratio",))
def zip_bomb_by_ratio(tmp: Path) -> Path:
    """8 MiB of zeros deflate to ~8 KB: a ratio near 1000, refused before inflating."""
    members = _esm_zip_members(tmp)
    members["IT-2009-0009/IT.AQG..HNZ.ASC"] = b"0" * (8 * 1024**2)
    return _zip(tmp / "bomb.zip", members)


@case(fmt="esm_zip", read=read_esm_zip, reject=UnsafeInputError, match=("bytes declared",))
def zip_bomb_by_declared_size(tmp: Path) -> Path:
    """A member whose directory entry declares 4 GB (forged), refused without reading it."""
    path = _zip(tmp / "huge.zip", {"IT.AQG..HNE.ASC": _esm(tmp).read_bytes()})
    return _patch_central_sizes(path, uncompressed=0xFFFF_FFF0)


@case(fmt="esm_zip", read=read_esm_zip, reject=UnsafeInputError, match=("'..'",))
def zip_member_with_dot_dot(tmp: Path) -> Path:
    return _zip(tmp / "slip.zip", {"../../etc/IT.AQG..HNE.ASC": _esm(tmp).read_bytes()})


@case(fmt="esm_zip", read=read_esm_zip, reject=UnsafeInputError, match=("relative member",))
def zip_member_with_absolute_path(tmp: Path) -> Path:
    return _zip(tmp / "abs.zip", {"/tmp/IT.AQG..HNE.ASC": _esm(tmp).read_bytes()})


@case(fmt="esm_zip", read=read_esm_zip, reject=UnsafeInputError, match=("relative member",))
def zip_member_with_windows_drive(tmp: Path) -> Path:
    return _zip(tmp / "drive.zip", {"C:\\Windows\\IT.AQG..HNE.ASC": _esm(tmp).read_bytes()})


@case(fmt="esm_zip", read=read_esm_zip, reject=FormatError, match=("damaged zip",))
def zip_truncated(tmp: Path) -> Path:
    path = _zip(tmp / "cut.zip", _esm_zip_members(tmp))
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) * 2 // 3])
    return path


@case(fmt="esm_zip", read=read_esm_zip, reject=FormatError, match=("expected",))
def zip_member_bit_flipped(tmp: Path) -> Path:
    """A flipped bit inside a stored member: the CRC check catches it."""
    members = _esm_zip_members(tmp)
    path = _zip(tmp / "flip.zip", members, level=zipfile.ZIP_STORED)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 3] ^= 0x10
    path.write_bytes(bytes(raw))
    return path


# ====================================================================== flat files


def _check_esm_flatfile(rows: Any, path: Path) -> None:
    assert len(rows) == 100
    assert all(
        -90 <= r["station_latitude"] <= 90
        for r in rows
        if r["station_latitude"] == r["station_latitude"]
    )


@case(fmt="flatfile", read=read_flatfile, check=_check_esm_flatfile)
def flatfile_esm_real_reads(tmp: Path) -> Path:
    path = tmp / "esm_flatfile.csv"
    path.write_bytes(ESM_FLATFILE.read_bytes())
    return path


@case(fmt="flatfile", read=read_flatfile, reject=FlatFileError, match=("column",))
def flatfile_esm_missing_columns(tmp: Path) -> Path:
    lines = _flatfile_lines()
    header = lines[0].split(";")
    drop = {header.index("Mw"), header.index("ev_latitude")}
    rows = [";".join(x for i, x in enumerate(line.split(";")) if i not in drop) for line in lines]
    path = tmp / "no_mw.csv"
    path.write_text("\n".join(rows), encoding="utf-8")
    return path


@case(fmt="flatfile", read=read_flatfile, reject=FlatFileError, match=("separated",))
def flatfile_esm_pipe_delimited(tmp: Path) -> Path:
    path = tmp / "pipes.csv"
    path.write_text("\n".join(x.replace(";", "|") for x in _flatfile_lines()), encoding="utf-8")
    return path


@case(fmt="flatfile", read=read_flatfile, reject=FlatFileError, match=("ev_latitude",))
def flatfile_esm_latitude_out_of_range(tmp: Path) -> Path:
    lines = _flatfile_lines()
    col = lines[0].split(";").index("ev_latitude")
    cells = lines[5].split(";")
    cells[col] = "123.4"
    lines[5] = ";".join(cells)
    path = tmp / "lat.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@case(fmt="flatfile", read=read_flatfile, reject=FlatFileError, match=("line",))
def flatfile_esm_truncated_mid_row(tmp: Path) -> Path:
    raw = ESM_FLATFILE.read_bytes()
    path = tmp / "cut.csv"
    path.write_bytes(raw[: len(raw) // 2])
    return path


@case(fmt="flatfile", read=read_flatfile, reject=FormatError, match=("expected",))
def flatfile_utf16_encoding(tmp: Path) -> Path:
    path = tmp / "utf16.csv"
    path.write_bytes(ESM_FLATFILE.read_text(encoding="utf-8").encode("utf-16"))
    return path


def _check_2018(rows: Any, path: Path) -> None:
    assert len(rows) == 98  # 98 data rows under the header
    assert rows[0]["station"] == "FIER" and rows[0]["mw"] == 4.07


@case(fmt="flatfile", read=read_flatfile, check=_check_2018)
def flatfile_esm_2018_real_reads(tmp: Path) -> Path:
    path = tmp / "esm_2018.csv"
    path.write_bytes(ESM_FLATFILE_2018.read_bytes())
    return path


def _itaca_export(tmp: Path) -> Path:
    from seisgan_core.demo import build_demo_archive

    folder = tmp / "demo"
    if not (folder / "flatfile.csv").exists():
        build_demo_archive(folder, n_records=12, n_noise=0)
    return folder / "flatfile.csv"


def _check_itaca_export(rows: Any, path: Path) -> None:
    assert len(rows) == 12
    assert all(4.0 <= r["mw"] <= 7.5 for r in rows if r["mw"] == r["mw"])


@case(fmt="flatfile", read=read_flatfile, check=_check_itaca_export)
def flatfile_itaca_export_reads(tmp: Path) -> Path:
    return _itaca_export(tmp)


@case(fmt="flatfile", read=read_flatfile, reject=FlatFileError, match=("line 2",))
def flatfile_itaca_export_text_in_a_number(tmp: Path) -> Path:
    source = _itaca_export(tmp)
    lines = source.read_text(encoding="utf-8").splitlines()
    delim = ";" if lines[0].count(";") > lines[0].count(",") else ","
    header = lines[0].split(delim)
    col = next(i for i, h in enumerate(header) if h.lower() in {"mw", "magnitude_w", "mw_value"})
    cells = lines[1].split(delim)
    cells[col] = "six"
    lines[1] = delim.join(cells)
    path = tmp / "itaca_bad.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _check_latin1_export(rows: Any, path: Path) -> None:
    """The same rows as the UTF-8 original (the station name is not a record-table column)."""
    _check_itaca_export(rows, path)
    original = read_flatfile(path.parent / "demo" / "flatfile.csv")
    drop = {"source_path"}
    strip = [{k: v for k, v in r.items() if k not in drop} for r in rows]
    want = [{k: v for k, v in r.items() if k not in drop} for r in original]
    assert repr(strip) == repr(want)  # repr: NaN equals NaN


@case(fmt="flatfile", read=read_flatfile, check=_check_latin1_export)
def flatfile_itaca_export_in_latin1(tmp: Path) -> Path:
    """The ITACA export saved as Latin-1 (Windows tools do) with an accented station name."""
    source = _itaca_export(tmp)
    lines = source.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    col = header.index("STATION_NAME")
    first = lines[1].split(",")[header.index("STATION_CODE")]
    for i, line in enumerate(lines[1:], start=1):
        cells = line.split(",")
        if cells[header.index("STATION_CODE")] == first:
            cells[col] = "Città di Castello"
            lines[i] = ",".join(cells)
    path = tmp / "itaca_latin1.csv"
    path.write_bytes("\n".join(lines).encode("latin-1"))
    return path


@case(fmt="metadata", read=read_metadata, reject=FormatError, match=("one row",))
def metadata_header_only(tmp: Path) -> Path:
    path = tmp / "16833.metadata"
    path.write_text((AQG / "16833.metadata").read_text().splitlines()[0] + "\n")
    return path


@case(fmt="metadata", read=read_metadata, reject=FormatError, match=("expected",))
def metadata_bit_flipped_separator(tmp: Path) -> Path:
    """Every ',' (0x2c) flipped to '-' (0x2d) in the header: no columns left."""
    lines = (AQG / "16833.metadata").read_bytes().split(b"\n")
    lines[0] = lines[0].replace(b",", b"-")
    path = tmp / "16833.metadata"
    path.write_bytes(b"\n".join(lines))
    return path


def _check_metadata(row: Any, path: Path) -> None:
    assert row["station.code"] == "AQG"


@case(fmt="metadata", read=read_metadata, check=_check_metadata)
def metadata_real_reads(tmp: Path) -> Path:
    path = tmp / "16833.metadata"
    path.write_bytes((AQG / "16833.metadata").read_bytes())
    return path


# ============================================================================ ITACA 1.x


def _check_cor_acc(trace: Any, path: Path) -> None:
    assert trace.data.size == 59220
    assert abs(np.abs(trace.data).max() - 5.0693) < 1e-3


@case(fmt="cor_acc", read=read_cor_acc, check=_check_cor_acc, catalog=False)
def cor_acc_real_reads(tmp: Path) -> Path:
    path = tmp / "16833_H1.cor.acc"
    path.write_bytes((AQG / "16833_H1.cor.acc").read_bytes())
    return path


def _cor_acc(tmp: Path) -> Path:
    path = tmp / "16833_H1.cor.acc"
    path.write_bytes((AQG / "16833_H1.cor.acc").read_bytes())
    return path


@case(fmt="cor_acc", read=read_cor_acc, reject=FormatError, match=("line",))
def cor_acc_truncated(tmp: Path) -> Path:
    path = _cor_acc(tmp)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2 - (len(raw) // 2) % 76])
    return path


@case(
    fmt="cor_acc",
    read=read_cor_acc,
    reject=FormatError,
    match=("sample-count bound", "line 8"),
    max_alloc_mb=32,
)
def cor_acc_gigantic_number_of_data(tmp: Path) -> Path:
    path = _cor_acc(tmp)
    raw = path.read_bytes().replace(b": 59220\n", b": 99999999999999\n", 1)
    path.write_bytes(raw)
    return path


@case(fmt="cor_acc", read=read_cor_acc, reject=FormatError, match=("line 30",))
def cor_acc_bit_flip_in_a_sample(tmp: Path) -> Path:
    path = _cor_acc(tmp)
    lines = path.read_bytes().split(b"\n")
    line = bytearray(lines[29])
    line[line.index(b"E")] ^= 0x20  # 'E' -> 'e' still parses; flip the digit after instead
    line[line.index(b".") + 1] ^= 0x40
    lines[29] = bytes(line)
    path.write_bytes(b"\n".join(lines))
    return path


@case(fmt="cor_acc", read=read_cor_acc, reject=FormatError, match=("line 40",))
def cor_acc_nan_sample(tmp: Path) -> Path:
    path = _cor_acc(tmp)
    lines = path.read_bytes().split(b"\n")
    lines[39] = b"           NaN" + lines[39][14:]
    path.write_bytes(b"\n".join(lines))
    return path


@case(fmt="cor_acc", read=read_cor_acc, reject=FormatError, match=("binary",))
def cor_acc_binary(tmp: Path) -> Path:
    path = _cor_acc(tmp)
    raw = bytearray(path.read_bytes())
    raw[200:260] = bytes(60)
    path.write_bytes(bytes(raw))
    return path


def _check_rs(spectrum: Any, path: Path) -> None:
    assert spectrum.dampings[1] == 0.05
    assert abs(spectrum.pga_m_s2[1] - 5.0693293) < 1e-6


@case(fmt="rs", read=read_rs, check=_check_rs, catalog=False)
def rs_real_reads(tmp: Path) -> Path:
    path = tmp / "16833_H1.rs"
    path.write_bytes((AQG / "16833_H1.rs").read_bytes())
    return path


@case(fmt="rs", read=read_rs, reject=FormatError, match=("truncated",), catalog=False)
def rs_cut_mid_row(tmp: Path) -> Path:
    raw = (AQG / "16833_H1.rs").read_bytes()
    path = tmp / "16833_H1.rs"
    path.write_bytes(raw[: len(raw) // 2])
    return path


@case(fmt="rs", read=read_rs, reject=FormatError, match=("dampings",), catalog=False)
def rs_title_lost(tmp: Path) -> Path:
    lines = (AQG / "16833_H1.rs").read_bytes().split(b"\n")
    path = tmp / "16833_H1.rs"
    path.write_bytes(b"\n".join([b"Per(s) spectra", *lines[1:]]))
    return path


# ============================================================================ ASDF / HDF5


def _asdf(tmp: Path, name: str = "real.h5") -> Path:
    path = tmp / name
    real_asdf(path, noise=False, n=400)
    return path


def _read_asdf(path: Path) -> Any:
    return read_asdf_table(path), read_asdf_traces(path)


def _check_asdf(result: Any, path: Path) -> None:
    rows, traces = result
    assert len(rows) == 1 and rows[0]["station"] == "AQG"
    east = next(t for t in traces if t.info.channel.endswith("E"))
    np.testing.assert_allclose(east.data, real_samples_cm_s2("16833", "H2", 400), rtol=1e-6)


@case(fmt="asdf", read=_read_asdf, check=_check_asdf)
def asdf_real_reads(tmp: Path) -> Path:
    return _asdf(tmp)


@case(fmt="asdf", read=_read_asdf, reject=UnsafeInputError, match=("external links",))
def asdf_external_link(tmp: Path) -> Path:
    path = _asdf(tmp)
    with h5py.File(path, "r+") as f:
        f["Waveforms/IT.AQG/IT.AQG..HNE__x__y__stolen"] = h5py.ExternalLink("/etc/passwd.h5", "/d")
    return path


@case(fmt="asdf", read=_read_asdf, reject=UnsafeInputError, match=("virtual or external",))
def asdf_virtual_dataset_outside(tmp: Path) -> Path:
    source = tmp / "elsewhere.h5"
    with h5py.File(source, "w") as f:
        f["d"] = np.arange(400.0)
    path = _asdf(tmp)
    layout = h5py.VirtualLayout(shape=(400,), dtype="f8")
    layout[:] = h5py.VirtualSource(str(source), "d", shape=(400,))
    with h5py.File(path, "r+") as f:
        group = f["Waveforms/IT.AQG"]
        name = next(n for n in group if n.startswith("IT.AQG..HNE"))
        attrs = dict(group[name].attrs)
        del group[name]
        group.create_virtual_dataset(name, layout).attrs.update(attrs)
    return path


@case(fmt="asdf", read=_read_asdf, reject=UnsafeInputError, match=("virtual or external",))
def asdf_external_raw_storage(tmp: Path) -> Path:
    """A dataset whose bytes live in another file (HDF5 'external storage')."""
    raw = tmp / "outside.bin"
    raw.write_bytes(np.arange(400.0).tobytes())
    path = _asdf(tmp)
    with h5py.File(path, "r+") as f:
        group = f["Waveforms/IT.AQG"]
        name = next(n for n in group if n.startswith("IT.AQG..HNN"))
        attrs = dict(group[name].attrs)
        del group[name]
        ds = group.create_dataset(name, shape=(400,), dtype="f8", external=[(str(raw), 0, 3200)])
        ds.attrs.update(attrs)
    return path


@case(fmt="asdf", read=_read_asdf, reject=AsdfError, match=("ASDF",))
def asdf_plain_hdf5(tmp: Path) -> Path:
    path = tmp / "plain.h5"
    with h5py.File(path, "w") as f:
        f["data"] = real_samples_cm_s2("16833", "H2", 400)
    return path


@case(fmt="asdf", read=_read_asdf, reject=FormatError, match=("expected",))
def asdf_truncated(tmp: Path) -> Path:
    path = _asdf(tmp)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    return path


@case(fmt="asdf", read=_read_asdf, reject=UnsafeInputError, match=("document type",))
def asdf_quakeml_with_entities(tmp: Path) -> Path:
    """The ASDF file's own /QuakeML dataset replaced by a billion-laughs document."""
    path = _asdf(tmp)
    bomb = _billion_laughs()
    with h5py.File(path, "r+") as f:
        del f["QuakeML"]
        f["QuakeML"] = np.frombuffer(bomb, dtype=np.dtype("byte"))
    return path


# ============================================================================ QuakeML


def _billion_laughs() -> bytes:
    entities = b'<!ENTITY lol "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, b"".join([b"&lol%d;" % (i - 1) if i > 1 else b"&lol;"] * 10))
        for i in range(1, 10)
    )
    body = _qml_source().split(b"?>", 1)[1].replace(b"<text>", b"<text>&lol9;", 1)
    return b'<?xml version="1.0"?>\n<!DOCTYPE q [' + entities + b"]>\n" + body


def _check_qml(events: Any, path: Path) -> None:
    assert len(events) == 1
    assert "25883901" in str(events[0]["event_id"])


@case(fmt="quakeml", read=read_quakeml, check=_check_qml, catalog=False)
def quakeml_real_reads(tmp: Path) -> Path:
    path = tmp / "event.qml"
    path.write_bytes(_qml_source())
    return path


@case(
    fmt="quakeml",
    read=read_quakeml,
    reject=UnsafeInputError,
    match=("document type",),
    max_alloc_mb=16,
    catalog=False,
)
def quakeml_billion_laughs(tmp: Path) -> Path:
    path = tmp / "laughs.qml"
    path.write_bytes(_billion_laughs())
    return path


@case(fmt="quakeml", read=read_quakeml, reject=UnsafeInputError, match=("ENTITY",), catalog=False)
def quakeml_external_entity(tmp: Path) -> Path:
    """XXE: an entity naming a local file; its text must never reach the reader."""
    secret = tmp / "secret.txt"
    secret.write_text("SECRET-CONTENT")
    body = _qml_source().split(b"?>", 1)[1].replace(b"<text>", b"<text>&xxe;", 1)
    path = tmp / "xxe.qml"
    path.write_bytes(
        b'<?xml version="1.0"?>\n' + f'<!ENTITY xxe SYSTEM "file://{secret}">\n'.encode() + body
    )
    return path


@case(fmt="quakeml", read=read_quakeml, reject=FormatError, match=("expected",), catalog=False)
def quakeml_truncated(tmp: Path) -> Path:
    raw = _qml_source()
    path = tmp / "cut.qml"
    path.write_bytes(raw[: len(raw) // 2])
    return path


# ============================================================================ checkpoints


class _Payload:
    """Unpickling this runs ``open(marker, 'w')``: proof of code execution if it happens."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (self.marker, "w"))


def _check_no_marker(path: Path) -> None:
    assert not (path.parent / "pwned").exists(), "the checkpoint's pickle ran code"


def _load_checkpoint_then_check(path: Path) -> Any:
    try:
        return load_checkpoint(path)
    finally:
        _check_no_marker(path)


def _tiny_state() -> dict[str, Any]:
    import torch

    g = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    return {
        "generator": {"w": g},
        "critic": {"w": g * 2},
        "amplitude_head": {"w": g * 3},
        "epoch": 3,
        "hyperparameters": {"epochs": 4},
    }


def _check_checkpoint(state: Any, path: Path) -> None:
    assert state["epoch"] == 3
    assert state["critic"]["w"].tolist() == [[0, 2, 4], [6, 8, 10]]


@case(fmt="checkpoint", read=_load_checkpoint_then_check, check=_check_checkpoint, catalog=False)
def checkpoint_real_reads(tmp: Path) -> Path:
    path = tmp / "last.pt"
    save_checkpoint(path, _tiny_state())
    return path


@case(
    fmt="checkpoint",
    read=_load_checkpoint_then_check,
    reject=CheckpointError,
    match=("arbitrary Python objects", "weights_only"),
    catalog=False,
)
def checkpoint_pickle_of_arbitrary_objects(tmp: Path) -> Path:
    import torch

    path = tmp / "last.pt"
    state = {**_tiny_state(), "format": 1, "payload": _Payload(tmp / "pwned")}
    torch.save(state, path)
    return path


@case(
    fmt="checkpoint",
    read=_load_checkpoint_then_check,
    reject=CheckpointError,
    match=("arbitrary Python objects",),
    catalog=False,
)
def checkpoint_legacy_plain_pickle(tmp: Path) -> Path:
    path = tmp / "best.pt"
    # protocol 2, as torch.load expects of a legacy file
    path.write_bytes(pickle.dumps({"format": 1, "payload": _Payload(tmp / "pwned")}, protocol=2))
    return path


@case(
    fmt="checkpoint",
    read=_load_checkpoint_then_check,
    reject=CheckpointError,
    match=("truncated",),
    catalog=False,
)
def checkpoint_truncated(tmp: Path) -> Path:
    path = tmp / "last.pt"
    save_checkpoint(path, _tiny_state())
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    return path


@case(
    fmt="checkpoint",
    read=_load_checkpoint_then_check,
    reject=CheckpointError,
    match=("SeisGAN checkpoint",),
    catalog=False,
)
def checkpoint_of_someone_else(tmp: Path) -> Path:
    import torch

    path = tmp / "model.pt"
    torch.save({"state_dict": {"w": torch.zeros(3)}}, path)
    return path


# ============================================================================ .npy


def _set_names(file: str) -> Callable[[Path], str]:
    return lambda folder: str(folder / file)


@case(
    fmt="prepared",
    read=load_prepared,
    reject=FormatError,
    match=("object",),
    names=_set_names("waveforms.npy"),
    catalog=False,
)
def prepared_object_dtype(tmp: Path) -> Path:
    folder = _prepared(tmp)
    objects = np.empty((4, 3, 8000), dtype=object)
    objects[...] = 0.0
    objects[0, 0, 0] = _Payload(tmp / "pwned")
    np.save(folder / "waveforms.npy", objects, allow_pickle=True)
    return folder


@case(
    fmt="prepared",
    read=load_prepared,
    reject=FormatError,
    match=("float32",),
    names=_set_names("waveforms.npy"),
    catalog=False,
)
def prepared_wrong_dtype(tmp: Path) -> Path:
    folder = _prepared(tmp)
    np.save(folder / "waveforms.npy", np.zeros((4, 3, 8000), dtype=np.float64))
    return folder


@case(
    fmt="prepared",
    read=load_prepared,
    reject=FormatError,
    match=("bytes",),
    names=_set_names("waveforms.npy"),
    max_alloc_mb=16,
    catalog=False,
)
def prepared_header_claims_a_terabyte(tmp: Path) -> Path:
    folder = _prepared(tmp)
    _npy_header_only(folder / "waveforms.npy", "<f4", (10_000_000, 3, 8000), b"\0" * 4096)
    return folder


@case(
    fmt="prepared",
    read=load_prepared,
    reject=FormatError,
    match=("bytes",),
    names=_set_names("waveforms.npy"),
    catalog=False,
)
def prepared_truncated_waveforms(tmp: Path) -> Path:
    folder = _prepared(tmp)
    path = folder / "waveforms.npy"
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    return folder


def _check_prepared(prepared: Any, path: Path) -> None:
    assert prepared.waveforms.shape == (4, 3, 8000)
    assert np.isfinite(prepared.waveforms).all()
    assert len(prepared.records) == 4


@case(fmt="prepared", read=load_prepared, check=_check_prepared, catalog=False)
def prepared_real_reads(tmp: Path) -> Path:
    return _prepared(tmp)


@case(
    fmt="run_samples",
    read=_samples_of,
    reject=FormatError,
    match=("object",),
    names=_set_names("samples/epoch_0001.npy"),
    catalog=False,
)
def run_samples_object_dtype(tmp: Path) -> Path:
    run = _run_folder(tmp)
    objects = np.empty((2, 3, 100), dtype=object)
    objects[...] = _Payload(tmp / "pwned")
    np.save(run / "samples" / "epoch_0001.npy", objects, allow_pickle=True)
    return run


@case(
    fmt="run_samples",
    read=_samples_of,
    reject=FormatError,
    match=("bytes",),
    names=_set_names("samples/epoch_0001.npy"),
    max_alloc_mb=16,
    catalog=False,
)
def run_samples_header_claims_a_terabyte(tmp: Path) -> Path:
    run = _run_folder(tmp)
    _npy_header_only(run / "samples" / "epoch_0001.npy", "<f2", (50_000_000, 3, 8000), bytes(64))
    return run


def _check_samples(samples: Any, path: Path) -> None:
    assert samples.dtype == np.float32 and samples.shape == (2, 3, 100)
    np.testing.assert_array_equal(samples[1, 2], np.arange(100, dtype=np.float32) / 8)


@case(fmt="run_samples", read=_samples_of, check=_check_samples, catalog=False)
def run_samples_real_reads(tmp: Path) -> Path:
    run = _run_folder(tmp)
    data = np.broadcast_to(np.arange(100, dtype=np.float16) / 8, (2, 3, 100))
    np.save(run / "samples" / "epoch_0001.npy", np.ascontiguousarray(data))
    return run


# ==================================== issue 15 items 5-7: isolation, bounds, units (readers)


@case(fmt="esm", read=read_esm_ascii, reject=FormatError, match=("date bound", "2500"))
def esm_first_sample_in_year_2500(tmp: Path) -> Path:
    """pandas holds nanosecond times only to 2262: this used to escape as OutOfBoundsDatetime."""
    return _set_header(_esm(tmp), "DATE_TIME_FIRST_SAMPLE_YYYYMMDD_HHMMSS", "25000406_013239.000")


@case(fmt="esm", read=read_esm_ascii, reject=FormatError, match=("date bound", "2500"))
def esm_event_in_year_2500(tmp: Path) -> Path:
    return _set_header(_esm(tmp), "EVENT_DATE_YYYYMMDD", "25000406")


@case(
    fmt="esm",
    read=read_esm_ascii,
    reject=FormatError,
    match=("sampling-interval bound", "'100'"),
    max_alloc_mb=16,
)
def esm_sampling_interval_of_100_s(tmp: Path) -> Path:
    """2,000 samples 100 s apart are 56 hours: prepare took 2.85 GB resampling them."""
    return _set_header(_esm(tmp), "SAMPLING_INTERVAL_S", "100")


@case(
    fmt="esm", read=read_esm_ascii, reject=FormatError, match=("duration bound",), max_alloc_mb=16
)
def esm_ndata_longer_than_the_duration_bound(tmp: Path) -> Path:
    """NDATA 4,000,000 at 0.005 s is 20,000 s: refused before the body is parsed."""
    return _set_header(_esm(tmp), "NDATA", "4000000")


def _check_scaled(factor: float) -> Callable[[Any, Path], None]:
    def check(trace: Any, path: Path) -> None:
        np.testing.assert_allclose(trace.data, _real_east() * factor, rtol=1e-5, atol=1e-6)

    return check


@case(fmt="esm", read=read_esm_ascii, check=_check_scaled(0.1), catalog=False)
def esm_units_mm_s2_are_converted(tmp: Path) -> Path:
    """The same numbers in mm/s^2 are a tenth as much in cm/s^2 (PGA 17.5, not 175)."""
    return _set_header(_esm(tmp), "UNITS", "mm/s^2")


@case(fmt="esm", read=read_esm_ascii, check=_check_scaled(980.665), catalog=False)
def esm_units_g_are_converted(tmp: Path) -> Path:
    return _set_header(_esm(tmp), "UNITS", "g")


@case(fmt="esm", read=read_esm_ascii, check=_check_scaled(100.0), catalog=False)
def esm_units_m_s_minus_2_are_converted(tmp: Path) -> Path:
    return _set_header(_esm(tmp), "UNITS", "m s-2")


@case(fmt="esm", read=read_esm_ascii, reject=FormatError, match=("UNITS", "raw counts"))
def esm_units_counts_are_refused(tmp: Path) -> Path:
    return _set_header(_esm(tmp), "UNITS", "counts")


@case(fmt="esm", read=read_esm_ascii, reject=FormatError, match=("UNITS", "velocity unit"))
def esm_units_velocity_under_acceleration_refused(tmp: Path) -> Path:
    return _set_header(_esm(tmp), "UNITS", "cm/s")


def _patch_zip_header(path: Path, *, flag_bits: int = 0, method: int | None = None) -> Path:
    """Set general-purpose flag bits and/or the compression method in both zip directories."""
    raw = bytearray(path.read_bytes())
    for sig, flags_at, method_at in ((b"PK\x01\x02", 8, 10), (b"PK\x03\x04", 6, 8)):
        start = 0
        while (i := raw.find(sig, start)) >= 0:
            old = struct.unpack_from("<H", raw, i + flags_at)[0]
            struct.pack_into("<H", raw, i + flags_at, old | flag_bits)
            if method is not None:
                struct.pack_into("<H", raw, i + method_at, method)
            start = i + 4
    path.write_bytes(bytes(raw))
    return path


@case(fmt="esm_zip", read=read_esm_zip, reject=FormatError, match=("encrypted",))
def zip_encrypted_member(tmp: Path) -> Path:
    path = _zip(tmp / "locked.zip", _esm_zip_members(tmp), level=zipfile.ZIP_STORED)
    return _patch_zip_header(path, flag_bits=0x1)


@case(fmt="esm_zip", read=read_esm_zip, reject=FormatError, match=("compression method 9",))
def zip_member_deflate64(tmp: Path) -> Path:
    """Method 9 (Deflate64, written by Windows for large archives) is not in zipfile."""
    path = _zip(tmp / "deflate64.zip", _esm_zip_members(tmp), level=zipfile.ZIP_STORED)
    return _patch_zip_header(path, method=9)


@case(fmt="cor_acc", read=read_cor_acc, reject=FormatError, match=("sampling-interval", "'inf'"))
def cor_acc_time_increment_inf(tmp: Path) -> Path:
    """``Time Increment: inf`` passed 'positive' and divided by zero (ZeroDivisionError)."""
    path = _cor_acc(tmp)
    lines = [
        b"Time Increment (s)            : inf" if line.startswith(b"Time Increment") else line
        for line in _lines(path)
    ]
    path.write_bytes(b"\n".join(lines))
    return path


@case(fmt="cor_acc", read=read_cor_acc, reject=FormatError, match=("date bound", "2500"))
def cor_acc_event_in_year_2500(tmp: Path) -> Path:
    path = _cor_acc(tmp)
    lines = [
        line.replace(b"2009-", b"2500-", 1) if line.startswith(b"Event Date") else line
        for line in _lines(path)
    ]
    path.write_bytes(b"\n".join(lines))
    return path


def _cor_acc_title(tmp: Path, unit: bytes) -> Path:
    path = _cor_acc(tmp)
    lines = [
        b"Accelaration time series in " + unit if line.startswith(b"Accelaration") else line
        for line in _lines(path)
    ]
    path.write_bytes(b"\n".join(lines))
    return path


def _check_cor_acc_in_m_s2(trace: Any, path: Path) -> None:
    # the title says cm/s/s: 506.93 in the file is 5.0693 m/s^2
    assert trace.data.size == 59220
    assert abs(np.abs(trace.data).max() - 5.0693) < 1e-3


@case(fmt="cor_acc", read=read_cor_acc, check=_check_cor_acc_in_m_s2, catalog=False)
def cor_acc_title_in_cm_s2_is_converted(tmp: Path) -> Path:
    """The real samples rewritten in cm/s^2 (x 100) under a title saying cm/s/s."""
    path = _cor_acc_title(tmp, b"cm/s/s")
    values = read_cor_acc(AQG / "16833_H1.cor.acc").data * 100.0
    rows = [values[i : i + 5] for i in range(0, values.size, 5)]
    text = [b"".join(b"%14.7E" % v for v in row) for row in rows]
    path.write_bytes(b"\n".join([*_lines(path)[:10], *text]) + b"\n")
    return path


@case(fmt="cor_acc", read=read_cor_acc, reject=FormatError, match=("title unit", "raw counts"))
def cor_acc_title_in_counts_is_refused(tmp: Path) -> Path:
    return _cor_acc_title(tmp, b"counts")


def _asdf_trace(path: Path, component: str = "N") -> tuple[h5py.File, str]:
    f = h5py.File(path, "r+")
    group = f["Waveforms/IT.AQG"]
    return f, next(f"Waveforms/IT.AQG/{n}" for n in group if n.startswith(f"IT.AQG..HN{component}"))


def _asdf_with_attr(tmp: Path, name: str, value: Any) -> Path:
    path = _asdf(tmp)
    f, trace = _asdf_trace(path)
    with f:
        del f[trace].attrs[name]
        f[trace].attrs[name] = value
    return path


def _asdf_with_dataset(tmp: Path, **create: Any) -> Path:
    """The north trace replaced by a dataset made with ``create`` (its attributes kept)."""
    path = _asdf(tmp)
    f, trace = _asdf_trace(path)
    with f:
        attrs = dict(f[trace].attrs)
        del f[trace]
        dataset = f.create_dataset(trace, **create)
        dataset.attrs.update(attrs)
    return path


@case(fmt="asdf", read=_read_asdf, reject=AsdfError, match=("numeric sampling_rate", "fast"))
def asdf_sampling_rate_as_text(tmp: Path) -> Path:
    return _asdf_with_attr(tmp, "sampling_rate", "fast")


@case(fmt="asdf", read=_read_asdf, reject=AsdfError, match=("sampling-rate bound", "1e+30"))
def asdf_sampling_rate_1e30(tmp: Path) -> Path:
    return _asdf_with_attr(tmp, "sampling_rate", 1e30)


@case(fmt="asdf", read=_read_asdf, reject=AsdfError, match=("numeric sampling_rate",))
def asdf_sampling_rate_as_an_array(tmp: Path) -> Path:
    return _asdf_with_attr(tmp, "sampling_rate", np.array([200.0, 200.0]))


@case(fmt="asdf", read=_read_asdf, reject=AsdfError, match=("starttime", "between 1800"))
def asdf_starttime_1e30(tmp: Path) -> Path:
    return _asdf_with_attr(tmp, "starttime", 1e30)


@case(fmt="asdf", read=_read_asdf, reject=AsdfError, match=("1-D waveform dataset",))
def asdf_scalar_waveform(tmp: Path) -> Path:
    return _asdf_with_dataset(tmp, data=np.float32(1.0))


@case(fmt="asdf", read=_read_asdf, reject=AsdfError, match=("sample-count bound",), max_alloc_mb=32)
def asdf_dataset_declaring_10e12_samples(tmp: Path) -> Path:
    """A chunked dataset of 10^12 unwritten samples: a few kB on disk, 8 TB if read."""
    return _asdf_with_dataset(tmp, shape=(10**12,), dtype="f4", chunks=(65536,), compression="gzip")


@case(fmt="asdf", read=_read_asdf, reject=AsdfError, match=("sample-count bound",), max_alloc_mb=32)
def asdf_gzip_zeros_inflating_to_2_gb(tmp: Path) -> Path:
    """268 million float64 zeros, gzip: kilobytes on disk, 2.1 GB when read."""
    return _asdf_with_dataset(
        tmp, shape=(268_435_456,), dtype="f8", chunks=(1 << 20,), compression="gzip", fillvalue=0.0
    )


@case(
    fmt="checkpoint",
    read=_load_checkpoint_then_check,
    reject=CheckpointError,
    match=("inflated-size bound",),
    max_alloc_mb=16,
    catalog=False,
)
def checkpoint_deflated_tensor(tmp: Path) -> Path:
    """A checkpoint rewritten with deflate: 32 MB of zero tensor in a file of about 40 kB."""
    import torch

    plain = tmp / "plain.pt"
    torch.save({**_tiny_state(), "format": 1, "big": torch.zeros(8_000_000)}, plain)
    path = tmp / "last.pt"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info.filename, src.read(info))
    plain.unlink()
    return path


def all_cases() -> list[Case]:
    return list(CASES)


__all__ = ["CASES", "FIXTURES", "Case", "all_cases"]

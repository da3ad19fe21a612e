"""`seisgan ingest` and `seisgan info` on the real fixtures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seisgan_core import cli
from seisgan_core.catalog import RECORD_COLUMNS, Catalog
from seisgan_testsupport.io_realdata import ESM_FLATFILE, LAQUILA, requires_fixtures

pytestmark = requires_fixtures
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow  # two interpreter start-ups with ObsPy: about 5 s
def test_ingest_mixed_paths_then_info(tmp_path):
    out = tmp_path / "catalog.parquet"
    notes = tmp_path / "notes.txt"
    notes.write_text("not data\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "seisgan_core.cli",
            "ingest",
            str(LAQUILA),
            str(ESM_FLATFILE),
            str(notes),
            "--out",
            str(out),
            "--verbose",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (
        "read 113 records (esm_flatfile 100, itaca_legacy 13) of 40 events at 80 stations"
        in result.stdout
    )
    assert "Mw missing for 60; skipped 1" in result.stdout
    assert f"skipped: {notes}: expected ESM/ITACA ASCII" in result.stderr
    assert "skipped 1 files or records:\n  1 x expected ESM/ITACA ASCII" in result.stderr
    table = pd.read_parquet(out)
    assert list(table.columns) == list(RECORD_COLUMNS) and len(table) == 113
    # the table and the marker that says `seisgan ingest` wrote it (issue 15), no temporaries
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".catalog.parquet.seisgan-output.json",
        "catalog.parquet",
        "notes.txt",
    ]

    info = subprocess.run(
        [sys.executable, "-m", "seisgan_core.cli", "info", str(out), "--select"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert info.returncode == 0, info.stderr
    assert "selection station in Italy: removed" in info.stdout
    assert "13 records, 1 events, 13 stations" in info.stdout
    assert "epicentral distance (km)" in info.stdout


def test_info_prints_the_summary(tmp_path, capsys):
    out = tmp_path / "c.parquet"
    assert cli.main(["ingest", str(LAQUILA), "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    assert cli.main(["info", str(out)]) == 0
    text = capsys.readouterr().out
    summary = Catalog.from_parquet(out).summary()
    assert "13 records, 1 events, 13 stations (Mw missing for 0)" in text
    assert f"{summary.loc['epicentral distance (km)', 'mean']:.3f}" in text  # 105.615


def test_nothing_readable_fails_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "notes.txt"
    path.write_text("nothing here\n")
    out = tmp_path / "c.parquet"
    assert cli.main(["ingest", str(path), "--out", str(out)]) == 1
    assert "no records read" in capsys.readouterr().err
    assert not out.exists()


def test_output_is_atomic_when_writing_fails(tmp_path, monkeypatch, capsys):
    out = tmp_path / "c.parquet"
    out.write_bytes(b"the previous catalog")

    def broken(self, handle, **kwargs):
        handle.write(b"half a parquet file")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", broken)
    # one line naming the output, no traceback (tests/drills/test_disk.py does it on a tmpfs)
    # --force: the stand-in bytes are not a table ingest wrote (issue 15 refuses them without)
    args = ["ingest", str(LAQUILA / "16833"), "--out", str(out), "--quiet", "--force"]
    assert cli.main(args) == 1
    assert f"cannot write {out}: disk full" in capsys.readouterr().err
    assert out.read_bytes() == b"the previous catalog"
    assert [p.name for p in tmp_path.iterdir()] == ["c.parquet"]  # no temporary left


def test_info_on_a_missing_file(tmp_path, capsys):
    assert cli.main(["info", str(tmp_path / "absent.parquet")]) == 1
    assert "cannot read the record table" in capsys.readouterr().err


def test_info_reads_a_folder_as_ingest_does(tmp_path, capsys):
    """info takes what ingest takes: the L'Aquila folder gives the same 13 records."""
    assert cli.main(["info", str(LAQUILA)]) == 0
    assert "13 records, 1 events, 13 stations (Mw missing for 0)" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_skipped_files_are_counted_by_reason_and_listed_with_verbose(tmp_path, capsys):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for n in range(3):
        (inputs / f"notes{n}.txt").write_text("not data\n")
    (inputs / "broken.cor.acc").write_bytes(
        (LAQUILA / "16833" / "16833_H1.cor.acc").read_bytes()[:50]
    )
    out = tmp_path / "c.parquet"
    assert cli.main(["ingest", str(LAQUILA / "16833"), str(inputs), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "skipped 4 files or records:" in err
    assert "  3 x expected ESM/ITACA ASCII" in err
    assert "(--verbose lists them)" in err and "notes0.txt" not in err
    assert cli.main(["info", str(LAQUILA / "16833"), str(inputs), "--verbose"]) == 0
    err = capsys.readouterr().err
    assert "  3 x expected ESM/ITACA ASCII" in err
    assert f"skipped: {inputs / 'notes0.txt'}: expected" in err


def test_export_refuses_a_lying_npy_header_before_reading(tmp_path, capsys):
    """A .npy header claiming 50 million records of (3, 8000) float32 over 64 bytes: refused
    with the bytes it would need, nothing allocated (issue 15 item 6)."""
    path = tmp_path / "generated.npy"
    with open(path, "wb") as fh:
        np.lib.format.write_array_header_1_0(
            fh, {"descr": "<f4", "fortran_order": False, "shape": (50_000_000, 3, 8000)}
        )
        fh.write(bytes(64))
    out = tmp_path / "out.csv"
    assert cli.main(["export", "--generated", str(path), "--format", "csv", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{path}: expected 4800000000" in err and "is the file truncated?" in err
    assert not out.exists()

"""`seisgan demo` from the command line (a child process, as a user runs it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_seisgan_demo_writes_the_archive(tmp_path):
    out = tmp_path / "demo"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "seisgan_core.cli",
            "demo",
            "--out",
            str(out),
            "--records",
            "15",
            "--noise",
            "2",
            "--seed",
            "9",
            "--all-ascii",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "15 records" in result.stdout and "2 noise windows" in result.stdout
    assert (out / "demo.h5").is_file() and (out / "flatfile.csv").is_file()
    # --all-ascii: three ESM ASCII files per record.
    assert len(list((out / "ascii").rglob("*.ASC"))) == 45


def test_seisgan_demo_help_lists_options():
    from seisgan_core import cli

    parser = cli.build_parser()
    text = parser.format_help()
    assert "demo" in text and "prepare" in text

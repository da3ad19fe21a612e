"""Read the ITACA 1.x L'Aquila fixtures (../shared/fixtures/itaca-legacy-laquila-2009/).

A small test-only reader, kept until ``seisgan_core.io.itaca_legacy`` lands in main. Layout
(shared/docs/itaca-formats.md, section 4): ``.cor.acc`` has a 10-line header, then samples in
m/s^2, five fixed 14-character E-format fields per line; ``.rs`` has a title line, then period
(s) and PSA (m/s^2) at 2, 5, 7, 10, 20, 30 % damping, with a last row of period -1.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

import numpy as np
import pytest

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures"
LAQUILA = FIXTURES / "itaca-legacy-laquila-2009"
STATIONS = sorted(p.name for p in LAQUILA.iterdir()) if LAQUILA.is_dir() else []
COMPONENTS = ("H1", "H2", "V")


def require_fixtures() -> None:
    if not LAQUILA.is_dir():
        pytest.skip(f"fixtures folder {LAQUILA} is absent (shared/fixtures not beside the project)")


@functools.lru_cache(maxsize=64)
def read_cor_acc(station: str, component: str) -> tuple[np.ndarray, float]:
    """Samples (m/s^2) and time step (s) of one component."""
    path = LAQUILA / station / f"{station}_{component}.cor.acc"
    lines = path.read_text().splitlines()
    dt = float(lines[6].split(":", 1)[1])
    npts = int(lines[7].split(":", 1)[1])
    values = [
        float(line[i : i + 14]) for line in lines[10:] for i in range(0, len(line.rstrip()), 14)
    ]
    acc = np.asarray(values)
    assert acc.size == npts, (path, acc.size, npts)
    return acc, dt


@functools.lru_cache(maxsize=64)
def read_rs(station: str, component: str) -> np.ndarray:
    """The .rs table: rows of period (s) and PSA (m/s^2) at six dampings."""
    path = LAQUILA / station / f"{station}_{component}.rs"
    return np.loadtxt(path, skiprows=1)


@functools.lru_cache(maxsize=16)
def read_metadata(station: str) -> dict[str, str]:
    with open(LAQUILA / station / f"{station}.metadata", newline="") as fh:
        return next(csv.DictReader(fh))

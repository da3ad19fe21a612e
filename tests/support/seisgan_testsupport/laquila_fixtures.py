"""The ITACA 1.x L'Aquila fixtures (../shared/fixtures/itaca-legacy-laquila-2009/), read with
the project's own reader (``seisgan_core.io.itaca_legacy``), cached for the session."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from seisgan_core.io import itaca_legacy

FIXTURES = Path(__file__).resolve().parents[3] / ".." / "shared" / "fixtures"
LAQUILA = FIXTURES / "itaca-legacy-laquila-2009"
STATIONS = sorted(p.name for p in LAQUILA.iterdir()) if LAQUILA.is_dir() else []
COMPONENTS = ("H1", "H2", "V")


def require_fixtures() -> None:
    if not LAQUILA.is_dir():
        pytest.skip(f"fixtures folder {LAQUILA} is absent (shared/fixtures not beside the project)")


@functools.lru_cache(maxsize=64)
def read_cor_acc(station: str, component: str) -> tuple[np.ndarray, float]:
    """Samples (m/s^2) and time step (s) of one component."""
    trace = itaca_legacy.read_cor_acc(LAQUILA / station / f"{station}_{component}.cor.acc")
    return trace.data, trace.sampling_interval_s


@functools.lru_cache(maxsize=64)
def read_rs(station: str, component: str) -> np.ndarray:
    """Rows of period (s) > 0 and PSA (m/s^2) at 5 % damping; the period 0 and -1 rows of
    the file are kept apart by the reader (``pga_m_s2``, ``trailer``)."""
    spectrum = itaca_legacy.read_rs(LAQUILA / station / f"{station}_{component}.rs")
    return np.column_stack([spectrum.periods_s, spectrum.psa_at(0.05)])


@functools.lru_cache(maxsize=64)
def read_rs_trailer(station: str, component: str) -> np.ndarray:
    """The values of the period -1 row of the .rs file (its 5 % value, [1], is PGV in m/s)."""
    return itaca_legacy.read_rs(LAQUILA / station / f"{station}_{component}.rs").trailer


@functools.lru_cache(maxsize=16)
def read_metadata(station: str) -> dict[str, str]:
    return itaca_legacy.read_metadata(LAQUILA / station / f"{station}.metadata")

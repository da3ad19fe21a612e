"""The three components of one record, and the E, N, Z order every reader returns."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import numpy as np

from seisgan_core.io.fields import HORIZONTAL_RANK as _HORIZONTAL_RANK

__all__ = ["ComponentFile", "RecordWaveforms", "order_components", "stack_components"]


@dataclass
class ComponentFile:
    """One component as a reader returns it from its file: the samples, the raw header text,
    the parsed ``fields`` and where it was read from. A subclass names the field holding the
    time step (s) in ``interval_field``."""

    interval_field: ClassVar[str]

    data: np.ndarray
    header: dict[str, str]
    fields: dict[str, Any]
    path: str

    @property
    def sampling_interval_s(self) -> float:
        return float(self.fields[self.interval_field])

    @property
    def sampling_rate_hz(self) -> float:
        return 1.0 / self.sampling_interval_s


@dataclass
class RecordWaveforms:
    """``data``: float64, shape (3, npts), cm/s^2, rows in ``components`` order (E, N, Z; or
    the two non-geographic horizontals, e.g. 1, 2 or 2, 3, then Z)."""

    data: np.ndarray
    sampling_rate_hz: float
    components: tuple[str, ...]
    starttime: datetime | None = None


def order_components(letters: Iterable[str]) -> tuple[str, ...] | None:
    """The components in E, N, Z order, or None unless there are two horizontals and a Z.

    SEED channel convention: E/N geographic horizontals, 1/2/3 orthogonal horizontals that
    are not north/east (ITACA's HN2/HN3), Z vertical.
    """
    letters = [letter.upper() for letter in letters]
    if len(letters) != 3 or len(set(letters)) != 3 or "Z" not in letters:
        return None
    horizontals = [letter for letter in letters if letter != "Z"]
    if any(letter not in _HORIZONTAL_RANK for letter in horizontals):
        return None
    return (*sorted(horizontals, key=_HORIZONTAL_RANK.__getitem__), "Z")


def stack_components(traces: dict[str, np.ndarray], order: tuple[str, ...]) -> np.ndarray:
    """Stack one array per component into (3, npts) float64 in ``order``.

    Components of one record can differ by a sample or two in length; they are cut to the
    shortest (nothing is padded or invented).
    """
    npts = min(int(traces[c].shape[0]) for c in order)
    out = np.empty((len(order), npts), dtype=np.float64)
    for row, component in enumerate(order):
        out[row] = traces[component][:npts]
    return out

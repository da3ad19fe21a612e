"""Axis conventions shared by every figure: log axes labelled by plain decades.

Plotly's default log axis labels 1, 2 and 5 of every decade ("0.1 2 5 1 2 5 10 2 5"), which
reads as nonsense, and uses SI prefixes for small numbers ("1μ 1n 1p"), which is wrong for a
quantity with its own unit. Here a log axis has one label per decade, written plainly (0.1, 1,
10, 100) or, for quantities that span many decades (power spectra), as powers of ten (10⁻⁶),
with unlabelled minor ticks at 2-9.
"""

from __future__ import annotations

import math

__all__ = ["MAX_DECADE_LABELS", "UNIT_CM_S2", "log_axis", "log_range"]

UNIT_CM_S2 = "cm/s²"  # the one spelling of acceleration's unit in the app


MAX_DECADE_LABELS = 8  # more would overlap on a chart of ordinary height


def log_axis(*, powers: bool = False, span_decades: float | None = None) -> dict:
    """Plotly axis settings: log type, a label at each decade, minor ticks between; an axis
    spanning more than ``MAX_DECADE_LABELS`` decades is labelled every 2nd (3rd, ...) decade."""
    step = 1 if not span_decades else max(1, math.ceil(span_decades / MAX_DECADE_LABELS))
    return {
        "type": "log",
        "dtick": step,
        "exponentformat": "power" if powers else "none",
        "showexponent": "all",
        "minor": {"ticks": "outside", "ticklen": 3, "showgrid": True},
    }


def log_range(values, *, decades: float, headroom: float = 0.3) -> list[float] | None:
    """A log axis range (in decades, as plotly takes it) from ``decades`` below the largest
    positive value to ``headroom`` above it: a spectrum's roll-off far below its peak (a
    power spectrum falls 15 decades past a filter's corner) does not squeeze what matters
    into a strip. None where no value is positive."""
    import numpy as np

    array = np.asarray(values, dtype=float)
    top = array[np.isfinite(array) & (array > 0)]
    if top.size == 0:
        return None
    peak = math.log10(float(top.max()))
    return [peak - decades, peak + headroom]

"""Axis conventions shared by every figure: log axes labelled by plain decades.

Plotly's default log axis labels 1, 2 and 5 of every decade ("0.1 2 5 1 2 5 10 2 5"), which
reads as nonsense, and uses SI prefixes for small numbers ("1μ 1n 1p"), which is wrong for a
quantity with its own unit. Here a log axis has one label per decade, written plainly (0.1, 1,
10, 100) or, for quantities that span many decades (power spectra), as powers of ten (10⁻⁶),
with unlabelled minor ticks at 2-9.
"""

from __future__ import annotations

__all__ = ["UNIT_CM_S2", "log_axis"]

UNIT_CM_S2 = "cm/s²"  # the one spelling of acceleration's unit in the app


def log_axis(*, powers: bool = False) -> dict:
    """Plotly axis settings: log type, a label at each decade, minor ticks between."""
    return {
        "type": "log",
        "dtick": 1,
        "exponentformat": "power" if powers else "none",
        "showexponent": "all",
        "minor": {"ticks": "outside", "ticklen": 3, "showgrid": True},
    }

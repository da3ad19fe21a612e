"""Plotly figures of the fidelity scorecard (``Scorecard.to_dict()`` in, a figure out).

The PSA bias plot is drawn as the SCEC Broadband Platform draws its validation: the mean of
ln(generated / real) per period with a +/-1 sigma band, on a log period axis, beside the same
for two real records of near scenarios (the real-vs-real baseline).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from seisgan_core.viz.evaluation import COLOURS

__all__ = ["fas_band_figure", "psa_bias_figure"]

_FILL = {"generated": "rgba(255,127,14,0.2)", "real_vs_real": "rgba(31,119,180,0.2)"}
_NAMES = {"generated": "generated vs real (same scenario)", "real_vs_real": "real vs real"}
_COLOUR = {"generated": COLOURS["generated"], "real_vs_real": COLOURS["real"]}


def psa_bias_figure(card: dict) -> go.Figure:
    """Mean ln(generated / real) PSA per period with its +/-1 sigma band: geometric mean of
    the horizontals and RotD50, with the +/-0.25 goal over 0.05-3 s."""
    bias = card["curves"]["psa_bias"]
    periods = np.asarray(bias["periods_s"])
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=("geometric mean", "RotD50"), shared_yaxes=True
    )
    for col, name in enumerate(("geomean", "rotd50"), start=1):
        for who in ("real_vs_real", "generated"):
            mean = np.asarray(bias[name][who]["mean"], float)
            std = np.asarray(bias[name][who]["std"], float)
            fig.add_trace(
                go.Scatter(
                    x=np.r_[periods, periods[::-1]],
                    y=np.r_[mean + std, (mean - std)[::-1]],
                    fill="toself",
                    fillcolor=_FILL[who],
                    line={"width": 0},
                    hoverinfo="skip",
                    showlegend=False,
                ),
                row=1,
                col=col,
            )
            fig.add_trace(
                go.Scatter(
                    x=periods,
                    y=mean,
                    name=_NAMES[who],
                    line={"color": _COLOUR[who]},
                    showlegend=col == 1,
                ),
                row=1,
                col=col,
            )
        for level in (-0.25, 0.25):
            fig.add_trace(
                go.Scatter(
                    x=[0.05, 3.0],
                    y=[level, level],
                    mode="lines",
                    line={"color": "grey", "dash": "dash"},
                    hoverinfo="skip",
                    showlegend=False,
                    name="goal",
                ),
                row=1,
                col=col,
            )
        fig.update_xaxes(type="log", title_text="period (s)", dtick=1, row=1, col=col)
    fig.update_yaxes(title_text="ln(generated / real)", zeroline=True, row=1, col=1)
    fig.update_layout(
        title="PSA bias (5 % damping): mean and +/-1 sigma over record pairs; "
        "dashed: the +/-0.25 goal, 0.05-3 s",
        height=420,
    )
    return fig


def fas_band_figure(card: dict) -> go.Figure:
    """FAS error (dB) per band and component, generated and real vs real, with the goals."""
    fas = card["curves"]["fas_band_errors_db"]
    labels = [f"{lo:g}-{hi:g} Hz" for lo, hi in fas["bands_hz"]]
    fig = make_subplots(rows=1, cols=3, subplot_titles=("E", "N", "Z"), shared_yaxes=True)
    for c in range(3):
        for who in ("real_vs_real", "generated"):
            fig.add_trace(
                go.Bar(
                    x=labels,
                    y=fas[who][c],
                    name=_NAMES[who],
                    marker_color=_COLOUR[who],
                    showlegend=c == 0,
                ),
                row=1,
                col=c + 1,
            )
    fig.update_yaxes(title_text="FAS error (dB)", row=1, col=1)
    fig.update_layout(
        title="Konno-Ohmachi FAS error per band (goal: +/-3 dB to 40 Hz, +/-6 dB above)",
        barmode="group",
        height=380,
    )
    return fig

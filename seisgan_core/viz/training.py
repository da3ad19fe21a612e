"""Plotly figures of training runs: loss curves, live panels, samples across epochs.

Inputs follow the run store (docs/contracts.md section 3): ``metrics`` is the DataFrame of
``metrics.jsonl`` (one row per epoch), samples are ``(K, 3, 8000)`` arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from seisgan_core.viz.axes import log_axis
from seisgan_core.viz.data import COMPONENT_COLOURS, COMPONENT_NAMES

__all__ = [
    "PANEL_COLUMNS",
    "bin_spectra_figure",
    "loss_overlay",
    "pga_against_gmm",
    "psa_against_gmm",
    "samples_figure",
    "stats_figure",
    "training_panel",
]

# metrics column -> panel title
PANEL_COLUMNS: dict[str, str] = {
    "loss_critic": "critic loss",
    "loss_generator": "generator loss",
    "wasserstein": "Wasserstein estimate E[D(real)] - E[D(fake)]",
    "gradient_penalty": "gradient penalty",
    "samples_per_s": "samples per second",
    "val_score": "validation score (1 = as close as real records)",
    "val_lsd_db": "validation log-spectral distance (dB)",
    "val_timing_s": "validation timing distance (s)",
}


def training_panel(metrics: pd.DataFrame) -> go.Figure:
    """Losses, Wasserstein estimate, gradient penalty and throughput against epoch."""
    panels = [
        ("losses", ["loss_critic", "loss_generator"]),
        ("Wasserstein estimate", ["wasserstein"]),
        ("gradient penalty", ["gradient_penalty"]),
        ("samples per second", ["samples_per_s"]),
    ]
    fig = make_subplots(rows=2, cols=2, subplot_titles=[p[0] for p in panels])
    for k, (_title, columns) in enumerate(panels):
        row, col = divmod(k, 2)
        for column in columns:
            if column not in metrics:
                continue
            fig.add_trace(
                go.Scatter(
                    x=metrics["epoch"],
                    y=metrics[column],
                    mode="lines+markers",
                    marker={"size": 4},
                    name=PANEL_COLUMNS[column],
                ),
                row=row + 1,
                col=col + 1,
            )
        fig.update_xaxes(title_text="epoch", row=row + 1, col=col + 1)
    fig.update_layout(height=520, margin={"l": 50, "r": 10, "t": 40, "b": 40})
    return fig


def loss_overlay(
    runs: Mapping[str, pd.DataFrame], column: str = "loss_critic", *, smooth: int = 1
) -> go.Figure:
    """One metric of several runs on one axis (a moving mean over ``smooth`` epochs)."""
    fig = go.Figure()
    for name, metrics in runs.items():
        if column not in metrics or metrics.empty:
            continue
        y = metrics[column].rolling(max(smooth, 1), min_periods=1).mean()
        fig.add_trace(go.Scatter(x=metrics["epoch"], y=y, mode="lines", name=name))
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(title_text=PANEL_COLUMNS.get(column, column))
    fig.update_layout(height=380, margin={"l": 50, "r": 10, "t": 30, "b": 40})
    return fig


def samples_figure(
    samples: np.ndarray,
    *,
    sampling_rate_hz: float = 200.0,
    max_samples: int = 4,
    labels: Sequence[str] | None = None,
    units: str = "normalised",
    title: str = "",
) -> go.Figure:
    """A grid of samples (columns) by component (rows, E N Z)."""
    samples = np.asarray(samples, dtype=np.float32)[:max_samples]
    k = samples.shape[0]
    titles = [
        (labels[j] if labels is not None and j < len(labels) else f"sample {j + 1}")
        if i == 0
        else ""
        for i in range(3)
        for j in range(k)
    ]
    fig = make_subplots(
        rows=3,
        cols=max(k, 1),
        shared_xaxes=True,
        vertical_spacing=0.04,
        horizontal_spacing=0.03,
        subplot_titles=titles,
    )
    time_s = np.arange(samples.shape[-1]) / sampling_rate_hz
    for j in range(k):
        for i in range(3):
            fig.add_trace(
                go.Scatter(
                    x=time_s,
                    y=samples[j, i],
                    mode="lines",
                    line={"width": 0.7, "color": COMPONENT_COLOURS[i]},
                    name=COMPONENT_NAMES[i],
                    showlegend=False,
                ),
                row=i + 1,
                col=j + 1,
            )
        fig.update_xaxes(title_text="time (s)", row=3, col=j + 1)
    for i in range(3):
        fig.update_yaxes(title_text=f"{COMPONENT_NAMES[i]} ({units})", row=i + 1, col=1)
    fig.update_layout(height=480, margin={"l": 60, "r": 10, "t": 50, "b": 40}, title=title or None)
    return fig


def stats_figure(metrics: pd.DataFrame, statistic: str = "max") -> go.Figure:
    """A statistic of real against generated per component across epochs (the study's Table 5.2).

    ``metrics["stats"]`` holds ``{"real": {...}, "generated": {...}}`` per epoch, each with one
    value per component for min, max, mean, std and skewness.
    """
    fig = go.Figure()
    rows = metrics.dropna(subset=["stats"]) if "stats" in metrics else metrics.iloc[0:0]
    for source, dash in (("real", "dash"), ("generated", "solid")):
        for c, name in enumerate(COMPONENT_NAMES):
            values = [s[source][statistic][c] for s in rows["stats"]]
            fig.add_trace(
                go.Scatter(
                    x=rows["epoch"],
                    y=values,
                    mode="lines",
                    line={"dash": dash, "color": COMPONENT_COLOURS[c]},
                    name=f"{source} {name}",
                )
            )
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(title_text=f"{statistic} (normalised)")
    fig.update_layout(height=340, margin={"l": 50, "r": 10, "t": 30, "b": 40})
    return fig


def _gmm_band(x: np.ndarray, median: np.ndarray, sigma_ln, name: str) -> go.Figure:
    """A figure with a model's ±1 sigma band (grey) and median (black line) against ``x``."""
    x = np.asarray(x, dtype=float)
    median = np.asarray(median, dtype=float)
    sigma = np.broadcast_to(np.asarray(sigma_ln, dtype=float), median.shape)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=np.concatenate([x, x[::-1]]),
            y=np.concatenate([median * np.exp(sigma), (median * np.exp(-sigma))[::-1]]),
            fill="toself",
            fillcolor="rgba(120,120,120,0.2)",
            line={"width": 0},
            name=f"{name} ±1σ",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(x=x, y=median, mode="lines", name=f"{name} median", line={"color": "#333333"})
    )
    return fig


def _log_log(fig: go.Figure, x_title: str, y_title: str) -> go.Figure:
    """``fig`` with log axes titled ``x_title`` and ``y_title``, at the model figures' size."""
    fig.update_xaxes(**log_axis(), title_text=x_title)
    fig.update_yaxes(**log_axis(), title_text=y_title)
    fig.update_layout(height=380, margin={"l": 60, "r": 10, "t": 30, "b": 40})
    return fig


def pga_against_gmm(
    distance_km: np.ndarray,
    pga_cm_s2: np.ndarray,
    *,
    gmm_distance_km: np.ndarray,
    gmm_median_cm_s2: np.ndarray,
    gmm_sigma_ln: np.ndarray | float,
    gmm_name: str = "BSSA14",
    label: str = "generated",
) -> go.Figure:
    """PGA of samples against distance over a ground-motion model's median and +/-1 sigma."""
    fig = _gmm_band(gmm_distance_km, gmm_median_cm_s2, gmm_sigma_ln, gmm_name)
    fig.add_trace(
        go.Scatter(
            x=distance_km,
            y=pga_cm_s2,
            mode="markers",
            name=label,
            marker={"size": 8, "color": "#d62728"},
        )
    )
    return _log_log(fig, "distance (km)", "PGA (cm/s²)")


def psa_against_gmm(
    periods_s: np.ndarray,
    psa_cm_s2: np.ndarray,
    *,
    gmm_median_cm_s2: np.ndarray,
    gmm_sigma_ln: np.ndarray,
    gmm_name: str = "BSSA14",
    label: str = "generated",
) -> go.Figure:
    """Generated response spectra (one thin line per sample, their median bold) over a
    ground-motion model's median spectrum for the scenario and its ±1 sigma band."""
    periods = np.asarray(periods_s, dtype=float)
    fig = _gmm_band(periods, gmm_median_cm_s2, gmm_sigma_ln, gmm_name)
    psa = np.atleast_2d(np.asarray(psa_cm_s2, dtype=float))
    for i, row in enumerate(psa):
        fig.add_trace(
            go.Scatter(
                x=periods,
                y=row,
                mode="lines",
                line={"color": "#d62728", "width": 0.6},
                opacity=0.5,
                name=f"{label} {i + 1}",
                showlegend=False,
            )
        )
    fig.add_trace(
        go.Scatter(
            x=periods,
            y=np.median(psa, axis=0),
            mode="lines",
            name=f"{label}, median of {len(psa)}",
            line={"color": "#d62728", "width": 2.5},
        )
    )
    return _log_log(fig, "period (s)", "PSA, 5 % damping (cm/s²)")


def bin_spectra_figure(
    periods_s: np.ndarray,
    curves: Mapping[str, np.ndarray],
    *,
    title: str = "",
    y_title: str = "RotD50 PSA, 5 % damping (cm/s²)",
) -> go.Figure:
    """Median and 16-84 % band of each set's spectra (name -> (n, n_periods)), one colour
    per set: real and generated records of the same scenario bin."""
    colours = {"real": "#1f77b4", "generated": "#d62728"}
    periods = np.asarray(periods_s, dtype=float)
    fig = go.Figure()
    for name, values in curves.items():
        values = np.atleast_2d(np.asarray(values, dtype=float))
        if values.shape[0] == 0:
            continue
        lo, mid, hi = np.percentile(values, [16, 50, 84], axis=0)
        colour = colours.get(name, "#555555")
        fig.add_trace(
            go.Scatter(
                x=np.concatenate([periods, periods[::-1]]),
                y=np.concatenate([hi, lo[::-1]]),
                fill="toself",
                fillcolor=colour,
                opacity=0.2,
                line={"width": 0},
                name=f"{name} 16-84 %",
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=periods,
                y=mid,
                mode="lines",
                name=f"{name}, median of {values.shape[0]}",
                line={"color": colour, "width": 2},
            )
        )
    fig.update_xaxes(**log_axis(), title_text="period (s)")
    fig.update_yaxes(**log_axis(), title_text=y_title)
    fig.update_layout(height=400, margin={"l": 60, "r": 10, "t": 40, "b": 40}, title=title or None)
    return fig

"""Plotly figures of a record table and of single records: data in, figure out.

Distributions of Mw, epicentral distance and depth (the reference study's exploratory plots),
the Mw-distance coverage scatter, the same per split of a prepared set, a three-component
record viewer and its spectra. Spectra are computed by ``seisgan_core.evaluation``; the builders
here only draw what they are given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from seisgan_core.viz.axes import log_axis

__all__ = [
    "COMPONENT_NAMES",
    "DISTRIBUTION_COLUMNS",
    "coverage_scatter",
    "distributions_figure",
    "header_table",
    "spectra_figure",
    "split_distributions_figure",
    "waveform_figure",
]

COMPONENT_NAMES = ("E", "N", "Z")
COMPONENT_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c")
# column -> (axis title, bin width)
DISTRIBUTION_COLUMNS: dict[str, tuple[str, float]] = {
    "mw": ("Mw", 0.1),
    "epicentral_distance_km": ("epicentral distance (km)", 10.0),
    "event_depth_km": ("depth (km)", 2.0),
}
SPLIT_COLOURS = {"train": "#1f77b4", "val": "#ff7f0e", "test": "#2ca02c"}


def _finite(values: pd.Series) -> np.ndarray:
    array = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    return array[np.isfinite(array)]


def distributions_figure(
    table: pd.DataFrame, columns: Sequence[str] = tuple(DISTRIBUTION_COLUMNS)
) -> go.Figure:
    """Histograms side by side, one per column (records counted, NaN left out and counted)."""
    titles = []
    for column in columns:
        n_missing = int(table[column].isna().sum()) if column in table else len(table)
        title = DISTRIBUTION_COLUMNS[column][0]
        titles.append(f"{title} ({n_missing} missing)" if n_missing else title)
    fig = make_subplots(rows=1, cols=len(columns), subplot_titles=titles)
    for i, column in enumerate(columns, start=1):
        values = _finite(table[column]) if column in table else np.array([])
        fig.add_trace(
            go.Histogram(
                x=values,
                xbins={"size": DISTRIBUTION_COLUMNS[column][1]},
                marker_color="#4c72b0",
                name=DISTRIBUTION_COLUMNS[column][0],
                showlegend=False,
            ),
            row=1,
            col=i,
        )
        fig.update_xaxes(title_text=DISTRIBUTION_COLUMNS[column][0], row=1, col=i)
    fig.update_yaxes(title_text="records", row=1, col=1)
    fig.update_layout(height=320, margin={"l": 50, "r": 10, "t": 40, "b": 40}, bargap=0.05)
    return fig


def _common_bins(values: pd.Series, size: float) -> dict[str, float]:
    """Bins of ``size`` on whole multiples of it, covering every value: the same edges for
    every split, so that their bars stand side by side in the same bin (plotly otherwise
    starts each trace's bins at its own first value)."""
    finite = _finite(values)
    if finite.size == 0:
        return {"size": size}
    start = float(np.floor(finite.min() / size) * size)
    end = float((np.floor(finite.max() / size) + 1) * size)
    return {"start": start, "end": end, "size": size}


def split_distributions_figure(
    records: pd.DataFrame, columns: Sequence[str] = tuple(DISTRIBUTION_COLUMNS)
) -> go.Figure:
    """The same histograms per split (train/val/test) of a prepared set, as percentages of
    each split, bars side by side."""
    fig = make_subplots(
        rows=1, cols=len(columns), subplot_titles=[DISTRIBUTION_COLUMNS[c][0] for c in columns]
    )
    bins = {
        column: _common_bins(records[column], DISTRIBUTION_COLUMNS[column][1]) for column in columns
    }
    for split, colour in SPLIT_COLOURS.items():
        part = records[records["split"] == split]
        for i, column in enumerate(columns, start=1):
            fig.add_trace(
                go.Histogram(
                    x=_finite(part[column]),
                    xbins=bins[column],
                    histnorm="percent",
                    marker_color=colour,
                    name=f"{split} ({len(part)})",
                    legendgroup=split,
                    showlegend=i == 1,
                ),
                row=1,
                col=i,
            )
    # bars of the three splits side by side in each bin (not overlaid), each split's bars
    # summing to 100 %, so that splits of different sizes compare
    for i, column in enumerate(columns, start=1):
        fig.update_xaxes(title_text=DISTRIBUTION_COLUMNS[column][0], row=1, col=i)
        fig.update_yaxes(title_text="% of the split's records", row=1, col=i)
    fig.update_layout(
        barmode="group",
        bargap=0.15,
        height=340,
        margin={"l": 60, "r": 10, "t": 40, "b": 40},
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


def coverage_scatter(table: pd.DataFrame, *, colour_by: str = "event_depth_km") -> go.Figure:
    """Mw against epicentral distance (log axis), one marker per record, coloured by depth."""
    data = table[["mw", "epicentral_distance_km", colour_by]].apply(pd.to_numeric, errors="coerce")
    data = data.dropna(subset=["mw", "epicentral_distance_km"])
    distance = data["epicentral_distance_km"].clip(lower=0.1)
    fig = go.Figure(
        go.Scatter(
            x=distance,
            y=data["mw"],
            mode="markers",
            marker={
                "size": 5,
                "color": data[colour_by],
                "colorscale": "Viridis",
                "showscale": True,
                "colorbar": {"title": "depth (km)" if colour_by == "event_depth_km" else colour_by},
                "opacity": 0.7,
            },
            name="records",
            hovertemplate="R %{x:.1f} km<br>Mw %{y:.1f}<extra></extra>",
        )
    )
    fig.update_xaxes(**log_axis(), title_text="epicentral distance (km)")
    fig.update_yaxes(title_text="Mw")
    fig.update_layout(
        height=380,
        margin={"l": 50, "r": 10, "t": 30, "b": 40},
        title=f"Coverage: {len(data)} records with Mw and distance",
    )
    return fig


class StackedSizes(NamedTuple):
    """Pixel sizes of a figure of stacked component panels."""

    panel: int  # height of each panel
    extra: int  # height besides the panels (axis title, margins)
    left: int  # left margin, for the panels' y titles
    top: int  # top margin with a title
    top_untitled: int  # top margin without one


WAVEFORM_SIZES = StackedSizes(panel=140, extra=60, left=60, top=40, top_untitled=10)


def stacked_traces(
    t: np.ndarray, x: np.ndarray, components: Sequence[str], unit: str, *, spacing: float
) -> tuple[go.Figure, list[str]]:
    """One panel a component of ``x`` (n, npts) against ``t``, on a shared time axis, each
    with its y title; and the components' names (their index where ``components`` is short)."""
    fig = make_subplots(rows=x.shape[0], cols=1, shared_xaxes=True, vertical_spacing=spacing)
    names = [components[i] if i < len(components) else str(i) for i in range(x.shape[0])]
    for i, name in enumerate(names):
        line = {"width": 0.8, "color": COMPONENT_COLOURS[i % 3]}
        trace = go.Scatter(x=t, y=x[i], mode="lines", line=line, name=name)
        fig.add_trace(trace, row=i + 1, col=1)
        fig.update_yaxes(title_text=f"{name} ({unit})", row=i + 1, col=1)
    return fig, names


def stacked_layout(fig: go.Figure, rows: int, x_title: str, title: str, sizes: StackedSizes):
    """The time axis's title under the last of ``rows`` panels; height, margins, no legend."""
    fig.update_xaxes(title_text=x_title, row=rows, col=1)
    fig.update_layout(
        height=sizes.panel * rows + sizes.extra,
        margin={"l": sizes.left, "r": 10, "t": sizes.top if title else sizes.top_untitled, "b": 40},
        title=title or None,
        showlegend=False,
    )


def waveform_figure(
    data: np.ndarray,
    sampling_rate_hz: float,
    *,
    components: Sequence[str] = COMPONENT_NAMES,
    units: str = "cm/s²",
    title: str = "",
) -> go.Figure:
    """Three stacked traces (E, N, Z) against time, sharing the time axis."""
    data = np.asarray(data, dtype=float)
    time_s = np.arange(data.shape[-1]) / float(sampling_rate_hz)
    fig, _ = stacked_traces(time_s, data, components, units, spacing=0.03)
    stacked_layout(fig, data.shape[0], "time (s)", title, WAVEFORM_SIZES)
    return fig


def spectra_figure(
    x: np.ndarray,
    curves: Mapping[str, np.ndarray],
    *,
    x_title: str,
    y_title: str,
    log_x: bool = True,
    log_y: bool = True,
    title: str = "",
) -> go.Figure:
    """Curves against frequency or period (FAS, PSA): one trace per named curve."""
    fig = go.Figure()
    for i, (name, y) in enumerate(curves.items()):
        fig.add_trace(
            go.Scatter(
                x=np.asarray(x, dtype=float),
                y=np.asarray(y, dtype=float),
                mode="lines",
                name=name,
                line={"color": COMPONENT_COLOURS[i % 3] if i < 3 else None},
            )
        )
    fig.update_xaxes(**(log_axis() if log_x else {"type": "linear"}), title_text=x_title)
    fig.update_yaxes(**(log_axis() if log_y else {"type": "linear"}), title_text=y_title)
    fig.update_layout(height=340, margin={"l": 60, "r": 10, "t": 40, "b": 40}, title=title or None)
    return fig


def header_table(row: Mapping[str, object]) -> pd.DataFrame:
    """A record's header as a two-column table (field, value), values as text; a text that a
    spreadsheet would run as a formula gets a leading ``'`` (the table is offered as CSV)."""
    from seisgan_core.fsutil import csv_safe

    items = [(csv_safe(str(k)), "" if v is None else csv_safe(str(v))) for k, v in row.items()]
    return pd.DataFrame(items, columns=["field", "value"])

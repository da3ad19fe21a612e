"""Plotly figures of the evaluation panel (what the Compare page and `seisgan evaluate` show).

Pure builders: a panel dict from ``seisgan_core.evaluation.panel.evaluate`` (or arrays) in, a
``plotly.graph_objects.Figure`` out. Real records are drawn in blue, generated in orange;
bands are the 16th-84th percentiles (+/- one sigma of a lognormal) around the median.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from seisgan_core.viz.axes import log_axis, log_range

__all__ = [
    "COLOURS",
    "dashboard_figure",
    "distributions_figure",
    "envelope_figure",
    "fas_figure",
    "gmm_distance_figure",
    "gmm_distance_title",
    "psa_figure",
    "psd_figure",
    "statistics_table",
    "waveform_figure",
]

COLOURS = {"real": "#1f77b4", "generated": "#ff7f0e", "model": "#2ca02c"}
_BANDS = {"real": "rgba(31,119,180,0.2)", "generated": "rgba(255,127,14,0.2)"}
COMPONENTS = ("E", "N", "Z")
LABELS = {"real": "real", "generated": "generated"}


def _band_traces(x, bands: dict, name: str, *, showlegend: bool) -> list[go.Scatter]:
    """Median line plus a filled 16-84 % band (drawn as one closed polygon)."""
    x = list(x)
    lo, hi, med = bands["p16"], bands["p84"], bands["median"]
    return [
        go.Scatter(
            x=x + x[::-1],
            y=list(hi) + list(lo)[::-1],
            fill="toself",
            fillcolor=_BANDS[name],
            line={"width": 0},
            hoverinfo="skip",
            name=f"{LABELS[name]} 16-84 %",
            legendgroup=name,
            showlegend=showlegend,
        ),
        go.Scatter(
            x=x,
            y=list(med),
            mode="lines",
            line={"color": COLOURS[name], "width": 2},
            name=f"{LABELS[name]} median",
            legendgroup=name,
            showlegend=showlegend,
        ),
    ]


def _per_component(bands: dict, c: int) -> dict:
    return {k: bands[k][c] for k in ("p16", "median", "p84")}


def _spectral_figure(
    x: Sequence[float],
    section: dict,
    *,
    title: str,
    x_title: str,
    y_title: str,
    extra: dict | None = None,
    powers: bool = False,
    y_range: list[float] | None = None,
) -> go.Figure:
    titles = [f"component {c}" for c in COMPONENTS] + (["RotD50"] if extra else [])
    fig = make_subplots(rows=1, cols=len(titles), subplot_titles=titles, shared_yaxes=True)
    for c in range(3):
        for name in ("real", "generated"):
            for trace in _band_traces(x, _per_component(section[name], c), name, showlegend=c == 0):
                fig.add_trace(trace, row=1, col=c + 1)
    if extra:
        for name in ("real", "generated"):
            for trace in _band_traces(x, extra[name], name, showlegend=False):
                fig.add_trace(trace, row=1, col=4)
    fig.update_xaxes(**log_axis(), title_text=x_title)
    span = None if y_range is None else y_range[1] - y_range[0]
    fig.update_yaxes(**log_axis(powers=powers, span_decades=span))
    if y_range is not None:
        fig.update_yaxes(range=y_range)
    fig.update_yaxes(title_text=y_title, row=1, col=1)
    fig.update_layout(title=title, template="plotly_white", height=420)
    return fig


def fas_figure(panel: dict) -> go.Figure:
    """Konno-Ohmachi-smoothed Fourier amplitude spectra, real against generated."""
    fas = panel["fas"]
    return _spectral_figure(
        fas["freqs_hz"],
        fas,
        title=f"Fourier amplitude spectra (Konno-Ohmachi b={fas.get('bandwidth', 40)})",
        x_title="frequency (Hz)",
        y_title="FAS (cm/s)",
    )


def psa_figure(panel: dict) -> go.Figure:
    """5 %-damped PSA per component and RotD50, real against generated."""
    psa = panel["psa"]
    return _spectral_figure(
        psa["periods_s"],
        psa,
        title="Pseudo-spectral acceleration, 5 % damping",
        x_title="period (s)",
        y_title="PSA (cm/s²)",
        extra=psa.get("rotd50"),
    )


PSD_DECADES_SHOWN = 10


def psd_figure(panel: dict) -> go.Figure:
    """Welch power spectral density, real against generated."""
    psd = panel["psd"]
    freqs = np.asarray(psd["freqs_hz"], float)
    keep = freqs > 0  # the log axis cannot show 0 Hz
    trimmed = {
        name: {k: np.asarray(v)[:, keep].tolist() for k, v in psd[name].items()}
        for name in ("real", "generated")
    }
    return _spectral_figure(
        freqs[keep].tolist(),
        trimmed,
        title="Power spectral density (Welch)",
        x_title="frequency (Hz)",
        y_title="PSD ((cm/s²)²/Hz)",
        powers=True,
        # 10 decades below the highest 84th percentile: the roll-off past the records'
        # low-pass corner falls further, to 1e-17, and would squeeze the band into a strip
        y_range=log_range([trimmed[name]["p84"] for name in trimmed], decades=PSD_DECADES_SHOWN),
    )


def envelope_figure(panel: dict) -> go.Figure:
    """Median Hilbert envelopes with 16-84 % bands, per component."""
    env = panel["envelope"]
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, subplot_titles=COMPONENTS)
    for c in range(3):
        for name in ("real", "generated"):
            for trace in _band_traces(
                env["time_s"], _per_component(env[name], c), name, showlegend=c == 0
            ):
                fig.add_trace(trace, row=c + 1, col=1)
    fig.update_xaxes(title_text="time (s)", row=3, col=1)
    fig.update_yaxes(title_text="envelope (cm/s²)")
    fig.update_layout(title="Envelopes (Hilbert)", template="plotly_white", height=600)
    return fig


def statistics_table(panel: dict) -> go.Figure:
    """The reference study's statistics (its Tables 5.2, 5.3) for real and generated sets.

    In the panel's units, and on z-scored records (the study's scale) where the panel has them.
    The unit stands beside each statistic (skewness has none), and the figure is tall enough
    for every row at a fixed row height.
    """
    stats = panel["study_statistics"]
    norm = stats.get("normalised")
    units = panel.get("units", "cm/s²").replace("cm/s^2", "cm/s²").replace("cm/s2", "cm/s²")
    header = ["statistic", "component", "real", "generated"]
    if norm:
        header += ["real, z-scored", "generated, z-scored"]
    columns: list[list[str]] = [[] for _ in header]
    for measure in ("min", "max", "mean", "std", "skewness"):
        label = f"{measure} (no unit)" if measure == "skewness" else f"{measure} ({units})"
        for c, comp in enumerate(COMPONENTS):
            row = [label, comp, stats["real"][measure][c], stats["generated"][measure][c]]
            if norm:
                row += [norm["real"][measure][c], norm["generated"][measure][c]]
            for i, value in enumerate(row):
                columns[i].append(value if isinstance(value, str) else _cell(value))
    row_px, header_px = 24, 30
    fig = go.Figure(
        go.Table(
            columnwidth=[1.6, 1] + [1.2] * (len(header) - 2),
            header={"values": header, "height": header_px, "align": "left"},
            cells={"values": columns, "height": row_px, "align": "left"},
        )
    )
    fig.update_layout(
        title="Study statistics (Tables 5.2, 5.3 of the reference study)",
        template="plotly_white",
        height=header_px + row_px * len(columns[0]) + 110,
        margin={"l": 10, "r": 10, "t": 60, "b": 30},
    )
    return fig


def _cell(value: object) -> str:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "–"
    return "–" if number != number else f"{number:.4g}"


def gmm_distance_title(records: pd.DataFrame) -> str:
    """The distance axis of :func:`gmm_distance_figure` for records of this table: the
    panel places them, and feeds BSSA14, at ``rjb_km`` where the table has it, else at the
    epicentral distance standing in for R_JB (``evaluate.gmm``'s rule)."""
    if "rjb_km" in records and records["rjb_km"].notna().any():
        return "R_JB (km)"
    return "R_epi (km), BSSA14's R_JB taken as R_epi"


def gmm_distance_figure(
    panel: dict, imt: str = "PGA", *, distance_title: str = "distance (km)"
) -> go.Figure:
    """IMT against distance with the BSSA14 (Italy) median +/- sigma, and the residuals;
    ``distance_title`` says which distance (:func:`gmm_distance_title`)."""
    gmm = panel["gmm"]
    if "skipped" in gmm:
        fig = go.Figure()
        fig.add_annotation(text=f"GMM residuals skipped: {gmm['skipped']}", showarrow=False)
        fig.update_layout(template="plotly_white")
        return fig
    entry = gmm["imts"][imt]
    unit = "cm/s" if imt == "PGV" else "cm/s²"
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        row_heights=[0.65, 0.35],
        subplot_titles=(f"{imt} against distance", "total residual (ln units)"),
    )
    curve = entry["curve"]
    dist = np.asarray(curve["distance_km"])
    med = np.asarray(curve["median"])
    sig = np.asarray(curve["sigma_ln"])
    label = f"BSSA14 Italy, Mw {curve['mw']:.1f}, Vs30 {curve['vs30_m_s']:.0f} m/s"
    fig.add_trace(
        go.Scatter(x=dist, y=med, mode="lines", line={"color": COLOURS["model"]}, name=label),
        row=1,
        col=1,
    )
    for factor, dash in ((np.exp(sig), "dash"), (np.exp(-sig), "dash")):
        fig.add_trace(
            go.Scatter(
                x=dist,
                y=med * factor,
                mode="lines",
                line={"color": COLOURS["model"], "dash": dash, "width": 1},
                name="median +/- sigma",
                showlegend=bool(np.all(factor > 1)),
            ),
            row=1,
            col=1,
        )
    for name in ("real", "generated"):
        if name not in entry or "skipped" in entry[name]:
            continue
        pts = entry[name]
        hover = [f"Mw {m:.1f}" for m in pts["mw"]]
        legend = {"name": f"{name} (mean residual {pts['summary']['mean_total']:+.2f})"}
        # the values over the model (row 1, named in the legend), their residuals (row 2)
        for row, column, size, shown in ((1, "observed", 5, legend), (2, "total", 4, {})):
            fig.add_trace(
                go.Scatter(
                    x=pts["distance_km"],
                    y=pts[column],
                    mode="markers",
                    marker={"color": COLOURS[name], "size": size, "opacity": 0.6},
                    text=hover,
                    **(shown or {"showlegend": False}),
                ),
                row=row,
                col=1,
            )
    fig.add_hline(y=0.0, line={"color": "grey", "width": 1}, row=2, col=1)
    fig.update_xaxes(**log_axis(), title_text=distance_title, row=2, col=1)
    fig.update_xaxes(**log_axis(), row=1, col=1)
    fig.update_yaxes(**log_axis(), title_text=f"{imt} ({unit})", row=1, col=1)
    fig.update_yaxes(title_text="ln(obs / median)", row=2, col=1)
    fig.update_layout(template="plotly_white", height=650)
    return fig


def distributions_figure(
    panel: dict, measures: Sequence[str] = ("arias_m_s", "d5_95_s")
) -> go.Figure:
    """Histograms of intensity measures (horizontal components), real against generated."""
    titles = {
        "arias_m_s": "Arias intensity, log10 (m/s)",
        "d5_95_s": "significant duration D5-95 (s)",
        "pga_cm_s2": "PGA, log10 (cm/s²)",
        "pgv_cm_s": "PGV, log10 (cm/s)",
        "cav_cm_s": "CAV, log10 (cm/s)",
    }
    fig = make_subplots(rows=1, cols=len(measures), subplot_titles=[titles[m] for m in measures])
    for i, measure in enumerate(measures):
        for name in ("real", "generated"):
            values = np.asarray(panel["intensity"][name][measure]["values"], float)[:, :2].ravel()
            if measure != "d5_95_s":
                values = np.log10(values[values > 0])
            fig.add_trace(
                go.Histogram(
                    x=values,
                    histnorm="probability density",
                    name=name,
                    marker={"color": COLOURS[name]},
                    opacity=0.55,
                    legendgroup=name,
                    showlegend=i == 0,
                ),
                row=1,
                col=i + 1,
            )
    fig.update_layout(barmode="overlay", template="plotly_white", height=380)
    return fig


#: What the dashboard plots, in order, with its panel (lower is better unless noted).
DASHBOARD_METRICS = (
    ("fd_spectral_ratio", "spectral FD / baseline"),
    ("fd_embedding_ratio", "embedding FD / baseline"),
    ("memorisation_ratio", "memorisation ratio (~1 good, <<1 copying)"),
    ("psa_log_bias", "PSA median |ln bias|"),
    ("fas_log_bias", "FAS median |ln bias|"),
    ("diversity_ratio", "diversity (generated / real)"),
)


def dashboard_figure(history: pd.DataFrame | Sequence[dict]) -> go.Figure:
    """Headline metrics across epochs: one small panel per metric.

    ``history``: rows with ``epoch`` and the keys of ``panel["summary"]`` (as
    ``seisgan evaluate`` writes them to metrics.json for each epoch).
    """
    frame = pd.DataFrame(list(history) if not isinstance(history, pd.DataFrame) else history)
    if "epoch" not in frame:
        raise ValueError(f"history: expected an 'epoch' column, found {list(frame.columns)}")
    frame = frame.sort_values("epoch")
    metrics = [(k, t) for k, t in DASHBOARD_METRICS if k in frame and frame[k].notna().any()]
    cols = 3
    rows = max(1, -(-len(metrics) // cols))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[t for _, t in metrics] or [""])
    for i, (key, _) in enumerate(metrics):
        fig.add_trace(
            go.Scatter(
                x=frame["epoch"],
                y=frame[key],
                mode="lines+markers",
                line={"color": COLOURS["generated"]},
                showlegend=False,
                name=key,
            ),
            row=i // cols + 1,
            col=i % cols + 1,
        )
        if key.endswith("ratio"):
            fig.add_hline(y=1.0, line={"color": "grey", "dash": "dot"}, row=i // cols + 1,
                          col=i % cols + 1)  # fmt: skip
    fig.update_xaxes(title_text="epoch")
    fig.update_layout(template="plotly_white", height=300 * rows, title="Metrics across epochs")
    return fig


def waveform_figure(
    generated: np.ndarray,
    real: np.ndarray,
    dt: float,
    *,
    titles: tuple[str, str] = ("real", "generated"),
) -> go.Figure:
    """One real and one generated record side by side: rows E, N, Z; shared amplitude axis."""
    gen = np.asarray(generated, float)
    rea = np.asarray(real, float)
    if gen.shape != rea.shape or gen.ndim != 2 or gen.shape[0] != 3:
        raise ValueError(
            f"generated, real: expected two (3, n) arrays, found {gen.shape}, {rea.shape}"
        )
    t = np.arange(gen.shape[1]) * dt
    fig = make_subplots(
        rows=3,
        cols=2,
        shared_xaxes=True,
        shared_yaxes=True,
        column_titles=list(titles),
        row_titles=list(COMPONENTS),
    )
    for col, (name, data) in enumerate((("real", rea), ("generated", gen)), start=1):
        for c in range(3):
            fig.add_trace(
                go.Scatter(
                    x=t,
                    y=data[c],
                    mode="lines",
                    line={"color": COLOURS[name], "width": 1},
                    showlegend=False,
                    name=f"{name} {COMPONENTS[c]}",
                ),
                row=c + 1,
                col=col,
            )
    fig.update_xaxes(title_text="time (s)", row=3)
    fig.update_yaxes(title_text="cm/s²", col=1)
    fig.update_layout(template="plotly_white", height=600)
    return fig

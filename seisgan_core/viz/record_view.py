"""The Data page's record viewer: motion, peaks, picks, spectra and downloads of one real record.

* Motion: acceleration as recorded (cm/s², or g = 980.665 cm/s²), velocity (cm/s) and
  displacement (cm) integrated by ``seisgan_core.evaluation.velocity`` (mean removed, trapezoid,
  linear trend removed) and then high-passed at the record's own low-cut corner (the
  archive's processing filter, a Butterworth of its order, zero phase) where the header
  gives it, so that integration adds no drift the processing had removed.
* Peaks: PGA, PGV or PGD per component, the sample where each is reached.
* Picks: P and S onsets by ObsPy's AR-AIC picker (``obspy.signal.trigger.ar_pick``,
  Akazawa 2004) on the three components, in seconds from the first sample.
* Spectra: 5 %-damped PSA of each component, their geometric mean (sqrt(PSA_E * PSA_N)) and
  RotD50 (Boore 2010) of the two horizontals.
* Downloads: the record with its real codes, start time and event as ASDF (with a QuakeML
  event), miniSEED, SAC (event and station in the header) or ObsPy's SLIST ASCII.
"""

from __future__ import annotations

import io
import math
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from seisgan_core.viz.data import StackedSizes, stacked_layout, stacked_traces

__all__ = [
    "DOWNLOAD_FORMATS",
    "G_CM_S2",
    "QUANTITIES",
    "download_name",
    "filter_corners",
    "motion",
    "peaks",
    "pick_onsets",
    "psa_with_horizontals",
    "record_download",
    "record_figure",
    "record_stream",
]

G_CM_S2 = 980.665  # standard gravity, cm/s²
# quantity -> (unit, peak's name)
QUANTITIES = {
    "acceleration": ("cm/s²", "PGA"),
    "velocity": ("cm/s", "PGV"),
    "displacement": ("cm", "PGD"),
}
DOWNLOAD_FORMATS = {  # name -> (ObsPy format, file suffix, MIME type)
    "ASDF": ("ASDF", ".h5", "application/x-hdf5"),
    "miniSEED": ("MSEED", ".mseed", "application/vnd.fdsn.mseed"),
    "SAC": ("SAC", ".zip", "application/zip"),
    "ASCII": ("SLIST", ".txt", "text/plain"),
}
_RECORD_SIZES = StackedSizes(panel=150, extra=70, left=70, top=50, top_untitled=25)


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def filter_corners(header: Mapping[str, object]) -> dict[str, object]:
    """The archive's processing filter from a DYNA 1.2 header: type, order, corners (Hz)."""
    return {
        "type": str(header.get("FILTER_TYPE") or "").strip() or None,
        "order": int(_number(header.get("FILTER_ORDER")) or 0) or None,
        "low_cut_hz": _number(header.get("LOW_CUT_FREQUENCY_HZ")),
        "high_cut_hz": _number(header.get("HIGH_CUT_FREQUENCY_HZ")),
    }


def _high_pass(x: np.ndarray, rate: float, corner_hz: float, order: int) -> np.ndarray:
    from scipy.signal import butter, sosfiltfilt

    sos = butter(order, corner_hz, btype="highpass", fs=rate, output="sos")
    # Mirror padding two corner periods long: the filter's transient settles outside the
    # record (odd padding or a few samples would leave a step at each end).
    padlen = min(x.shape[-1] - 1, round(2.0 * rate / corner_hz))
    return sosfiltfilt(sos, x, axis=-1, padtype="even", padlen=padlen)


def motion(
    acc_cm_s2: np.ndarray,
    rate_hz: float,
    quantity: str = "acceleration",
    *,
    in_g: bool = False,
    low_cut_hz: float | None = None,
    order: int = 2,
) -> tuple[np.ndarray, str]:
    """The record as ``quantity`` (see :data:`QUANTITIES`) and its unit.

    ``in_g`` gives acceleration in g; ``low_cut_hz`` (the record's processing corner) is
    applied after each integration, zero phase, ``order`` as the archive's filter.
    """
    if quantity not in QUANTITIES:
        raise ValueError(f"quantity: expected one of {', '.join(QUANTITIES)}, found {quantity!r}")
    from seisgan_core.evaluation.intensity import velocity

    x = np.asarray(acc_cm_s2, dtype=float)
    dt = 1.0 / float(rate_hz)
    if quantity == "acceleration":
        return (x / G_CM_S2, "g") if in_g else (x, "cm/s²")
    steps = 1 if quantity == "velocity" else 2
    for _ in range(steps):
        x = velocity(x, dt)
        if low_cut_hz is not None and 0 < low_cut_hz < rate_hz / 2:
            x = _high_pass(x, rate_hz, low_cut_hz, max(int(order), 1))
    return x, QUANTITIES[quantity][0]


def peaks(x: np.ndarray) -> list[tuple[int, float]]:
    """Per component: the sample of the largest absolute value and that value (signed)."""
    x = np.asarray(x, dtype=float)
    index = np.abs(x).argmax(axis=-1)
    return [(int(i), float(x[c, i])) for c, i in enumerate(index)]


def pick_onsets(
    acc: np.ndarray, rate_hz: float, components: Sequence[str] = ("E", "N", "Z")
) -> dict[str, float]:
    """P and S onsets (s from the first sample) by ObsPy's AR-AIC picker, where it finds them.

    Settings are ObsPy's documented example for local strong motion (1-20 Hz band, STA/LTA
    0.1/1 s for P and 1/4 s for S); a pick at the record's edge (0 s) is no pick.
    """
    from obspy.signal.trigger import ar_pick

    order = {c: i for i, c in enumerate(components)}
    if not {"E", "N", "Z"} <= set(order):
        return {}
    x = np.asarray(acc, dtype=np.float32)
    rate = float(rate_hz)
    f2 = min(20.0, 0.45 * rate)
    p, s = ar_pick(
        x[order["Z"]], x[order["N"]], x[order["E"]], rate,
        1.0, f2, 1.0, 0.1, 4.0, 1.0, 2, 8, 0.1, 0.2, s_pick=True,
    )  # fmt: skip
    duration = x.shape[-1] / rate
    out = {}
    for name, t in (("P", p), ("S", s)):
        if 0.0 < float(t) < duration:
            out[name] = float(t)
    if "P" in out and "S" in out and out["S"] <= out["P"]:
        del out["S"]
    return out


def psa_with_horizontals(
    acc: np.ndarray, rate_hz: float, periods: np.ndarray, components: Sequence[str]
) -> dict[str, np.ndarray]:
    """5 %-damped PSA of each component, plus the geometric mean and RotD50 of E and N."""
    from seisgan_core import evaluation

    dt = 1.0 / float(rate_hz)
    psa = evaluation.psa(np.asarray(acc, dtype=float), dt, periods)
    curves = {str(c): psa[i] for i, c in enumerate(components)}
    if "E" in curves and "N" in curves:
        e, n = components.index("E"), components.index("N")
        curves["geometric mean (E, N)"] = np.sqrt(curves["E"] * curves["N"])
        curves["RotD50"] = evaluation.rotd50(acc[e], acc[n], dt, periods)
    return curves


_PEAK_HEADROOM = 1.4  # the y range is +-1.4 x the component's peak: its label fits above it


def _times(n: int, rate_hz: float, start: pd.Timestamp | None) -> np.ndarray:
    """Seconds from the first sample, or (``start`` known) UTC times as ISO 8601 strings to
    the microsecond: plotly's own encoding of datetime64 values depends on the installed
    python-dateutil (with 4.0 it wrote nanosecond strings and integer nanoseconds for the
    onset lines, which plotly.js draws at NaN)."""
    seconds = np.arange(n) / float(rate_hz)
    if start is None:
        return seconds
    times = pd.Timestamp(start).tz_convert(None) + pd.to_timedelta(seconds, unit="s")
    return np.asarray(times.strftime("%Y-%m-%dT%H:%M:%S.%f"), dtype=object)


def record_figure(
    x: np.ndarray,
    rate_hz: float,
    *,
    components: Sequence[str],
    unit: str,
    quantity: str = "acceleration",
    start: pd.Timestamp | None = None,
    onsets: Mapping[str, float] | None = None,
    title: str = "",
) -> go.Figure:
    """Three stacked components against time (UTC where ``start`` is known), the peak of
    each marked and labelled, and the P and S onsets as vertical lines."""
    x = np.asarray(x, dtype=float)
    t = _times(x.shape[-1], rate_hz, start)
    peak_name = QUANTITIES.get(quantity, ("", "peak"))[1]
    fig, names = stacked_traces(t, x, components, unit, spacing=0.04)
    for c, name in enumerate(names):
        i, value = peaks(x[c : c + 1])[0]
        fig.add_trace(
            go.Scatter(
                x=[t[i]],
                y=[value],
                mode="markers+text",
                marker={"symbol": "circle-open", "size": 10, "color": "#d62728"},
                text=[f"{peak_name} {abs(value):.3g} {unit}"],
                textposition="top right",
                cliponaxis=False,
                name=f"{peak_name} {name}",
            ),
            row=c + 1,
            col=1,
        )
        # room above and below the trace for the peak's label (it stays inside its panel)
        top = _PEAK_HEADROOM * (float(np.nanmax(np.abs(x[c]))) or 1.0)
        fig.update_yaxes(range=[-top, top], row=c + 1, col=1)
    for phase, seconds in (onsets or {}).items():
        where = t[min(round(seconds * rate_hz), len(t) - 1)]
        colour = "#9467bd" if phase == "P" else "#8c564b"
        for c in range(x.shape[0]):
            fig.add_vline(x=where, line={"color": colour, "dash": "dash", "width": 1}, row=c + 1,
                          col=1)  # fmt: skip
        fig.add_annotation(x=where, y=1.0, yref="paper", text=phase, showarrow=False,
                           font={"color": colour}, yanchor="bottom")  # fmt: skip
    axis = "time (UTC)" if start is not None else "time (s)"
    stacked_layout(fig, x.shape[0], axis, title, _RECORD_SIZES)
    return fig


def _known_time(value: object) -> bool:
    return value is not None and not bool(pd.isna(value))


def _text(row: Mapping[str, object], name: str, default: str = "") -> str:
    value = row.get(name)
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return default
    return str(value)


def record_stream(acc_cm_s2: np.ndarray, rate_hz: float, row: Mapping[str, object]):
    """An ObsPy Stream of the record with its real codes and first-sample time (cm/s²)."""
    import obspy

    components = _text(row, "components", "E,N,Z").split(",")
    channels = _text(row, "channels").split(",")
    start = row.get("starttime")
    if not _known_time(start):
        start = row.get("event_time")
    when = obspy.UTCDateTime(pd.Timestamp(start).isoformat()) if _known_time(start) else None
    stream = obspy.Stream()
    for c, comp in enumerate(components[: np.asarray(acc_cm_s2).shape[0]]):
        channel = channels[c] if c < len(channels) and channels[c] else f"HN{comp}"
        stream.append(
            obspy.Trace(
                data=np.ascontiguousarray(acc_cm_s2[c], dtype=np.float32),
                header={
                    "network": _text(row, "network"),
                    "station": _text(row, "station"),
                    "location": _text(row, "location"),
                    "channel": channel,
                    "sampling_rate": float(rate_hz),
                    "starttime": when or obspy.UTCDateTime(0),
                },
            )
        )
    return stream


def _event(row: Mapping[str, object]):
    from obspy.core.event import Event, Magnitude, Origin, ResourceIdentifier

    origin = Origin(
        time=pd.Timestamp(row["event_time"]).isoformat(),
        latitude=float(row["event_latitude"]),
        longitude=float(row["event_longitude"]),
        depth=float(row["event_depth_km"]) * 1000.0,
    )
    event = Event(resource_id=ResourceIdentifier(f"smi:local/seisgan/event/{row['event_id']}"))
    event.origins.append(origin)
    mw = _number(row.get("mw"))
    if mw is not None:
        event.magnitudes.append(
            Magnitude(mag=mw, magnitude_type="Mw", origin_id=origin.resource_id)
        )
    return event


def _sac_headers(row: Mapping[str, object]) -> dict[str, object]:
    header: dict[str, object] = {"idep": 8, "kuser0": "cm/s2"}  # idep 8: acceleration (nm/s²)
    pairs = {
        "evla": "event_latitude",
        "evlo": "event_longitude",
        "evdp": "event_depth_km",
        "mag": "mw",
        "stla": "station_latitude",
        "stlo": "station_longitude",
        "dist": "epicentral_distance_km",
    }
    for key, column in pairs.items():
        value = _number(row.get(column))
        if value is not None:
            header[key] = value
    header["kevnm"] = _text(row, "event_id")[-16:]
    return header


def download_name(row: Mapping[str, object], fmt: str) -> str:
    """'<record id>.<format>.<suffix>': the record's id made safe for a file name."""
    stem = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in _text(row, "record_id"))
    return f"{stem or 'record'}.{fmt.lower()}{DOWNLOAD_FORMATS[fmt][1]}"


def record_download(
    acc_cm_s2: np.ndarray, rate_hz: float, row: Mapping[str, object], fmt: str
) -> tuple[str, bytes, str]:
    """(file name, bytes, MIME type) of the real record in ``fmt`` (see DOWNLOAD_FORMATS)."""
    if fmt not in DOWNLOAD_FORMATS:
        raise ValueError(f"fmt: expected one of {', '.join(DOWNLOAD_FORMATS)}, found {fmt!r}")
    obspy_format, _suffix, mime = DOWNLOAD_FORMATS[fmt]
    stream = record_stream(acc_cm_s2, rate_hz, row)
    name = download_name(row, fmt)
    has_event = _known_time(row.get("event_time")) and all(
        _number(row.get(c)) is not None
        for c in ("event_latitude", "event_longitude", "event_depth_km")
    )
    if fmt == "SAC":
        import zipfile

        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for trace in stream:
                trace.stats.sac = _sac_headers(row)
                one = io.BytesIO()
                trace.write(one, format="SAC")
                archive.writestr(f"{trace.id}.sac", one.getvalue())
        return name, buffer.getvalue(), mime
    if fmt == "ASDF":
        import pyasdf

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "record.h5"
            with pyasdf.ASDFDataSet(str(path), mode="w", compression=None) as ds:
                event = _event(row) if has_event else None
                if event is not None:
                    ds.add_quakeml(event)
                ds.add_waveforms(stream, tag="processed_acceleration", event_id=event)
            return name, path.read_bytes(), mime
    if obspy_format == "MSEED":
        buffer = io.BytesIO()
        stream.write(buffer, format="MSEED", encoding="FLOAT32")
        return name, buffer.getvalue(), mime
    with tempfile.TemporaryDirectory() as tmp:  # ObsPy's ASCII writers take a path only
        path = Path(tmp) / "record.txt"
        stream.write(str(path), format=obspy_format)
        return name, path.read_bytes(), mime

"""Data: map of events and stations, distributions, coverage, summary table, record viewer."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from seisgan_core import appstate
from seisgan_core.catalog import (
    Catalog,
    Selection,
    read_record_waveforms,
    read_records,
    record_products,
    shown_skips,
    shown_text,
    skip_summary,
    to_table,
)
from seisgan_core.fsutil import csv_safe_frame
from seisgan_core.io.errors import SeisganIOError
from seisgan_core.viz import data as vdata
from seisgan_core.viz import maps, record_view
from seisgan_core.viz import records as vrecords

roots = appstate.Roots.from_env()
st.title("Data")
with st.expander("What am I looking at?"):
    st.markdown(
        "Each **event** (circle, bigger and brighter for larger magnitude Mw) was recorded by "
        "several **stations** (small dark-edged circles, coloured by their ground type: EC8 "
        "class A is rock, E soft soil, or by Vs30, the shear-wave velocity of the top 30 m). "
        "One **record** is one event at one station: three components, east (E), north (N) and "
        "vertical (Z). Narrow the selection in the sidebar (the reference study kept Mw > 4 and "
        "depth < 50 km in Italy). The histograms and the Mw-distance scatter show what the "
        "selection covers: a generator can only learn what the data holds. Click an event or a "
        "station on the map (or pick it beside the map) to draw its paths and list its records, "
        "nearest first; choose a record to see its waveforms, its Fourier amplitude spectrum (FAS: "
        "how much shaking at each frequency) and its response spectrum (PSA: the peak response "
        "of a simple building of each natural period)."
    )


archives = appstate.discover_archives(roots.raw)
prepared = appstate.discover_prepared(roots.processed)
sources = {f"archive: {a.name}": a.path for a in archives} | {
    f"prepared: {p.name}": p.path for p in prepared
}
if not sources:
    st.info("No archive under data/raw/ and no prepared set under data/processed/: open Home.")
    st.stop()
labels = list(sources)
label = st.sidebar.selectbox(
    "Data", labels, index=appstate.choose_index(labels, st.query_params.get("archive"))
)
st.query_params["archive"] = label
source_path = sources[label]


def station_codes_of(frame: pd.DataFrame) -> pd.Series:
    return frame["network"].astype(str) + "." + frame["station"].astype(str)


def _signature(path: Path) -> float:
    # Changes when files are added or replaced at the top of the folder: enough to re-read.
    return max([path.stat().st_mtime] + [e.stat().st_mtime for e in os.scandir(path)])


@st.cache_data(show_spinner="Reading the records…", max_entries=4)
def load_table(path: str, _signature_value: float) -> tuple[pd.DataFrame, list]:
    folder = Path(path)
    if (folder / "records.parquet").is_file():  # a prepared set: its records are a record table
        return to_table(pd.read_parquet(folder / "records.parquet")), []
    catalog = read_records([folder])
    return catalog.table, [(str(p), str(r)) for p, r in catalog.skipped]


try:
    table, skipped = load_table(str(source_path), _signature(source_path))
except SeisganIOError as exc:
    st.error(shown_text(str(exc), source_path))
    st.stop()
if skipped:
    what = "file or record" if len(skipped) == 1 else "files or records"
    with st.expander(f"{len(skipped)} {what} could not be read"):
        st.dataframe(
            csv_safe_frame(pd.DataFrame(skip_summary(skipped), columns=["reason", "files"])),
            hide_index=True,
        )
        shown = shown_skips(skipped, source_path)
        st.dataframe(
            csv_safe_frame(pd.DataFrame(shown, columns=["path", "reason"])), hide_index=True
        )
if table.empty:
    st.info(f"{label} holds no records.")
    st.stop()

# Sidebar bounds: the reference study's selection by default, every bound editable; kept in
# the session (leave the page and come back) and in the URL (a link shows the same selection).
dist_top = float(
    np.nanmax(table["epicentral_distance_km"].to_numpy(dtype=float, na_value=np.nan), initial=0.0)
)
BOUNDS = {
    "mw_min": 4.0,
    "mw_max": 9.0,
    "depth_min": 0.0,
    "depth_max": 50.0,
    "dist_min": 0.0,
    "dist_max": float(np.ceil(dist_top)),
    "italy": True,
    "networks": (),
    "ec8": (),
}
network_options = sorted(table["network"].dropna().astype(str).unique())
ec8_options = sorted(table["ec8_class"].dropna().astype(str).unique())
restored = appstate.restore_values(
    BOUNDS, dict(st.query_params), st.session_state.get("data:bounds")
)
restored["networks"] = [n for n in restored["networks"] if n in network_options]
restored["ec8"] = [c for c in restored["ec8"] if c in ec8_options]
for name, value in restored.items():
    st.session_state.setdefault(f"data:{name}", value)

sb = st.sidebar
sb.subheader("Selection")
c_lo, c_hi = sb.columns(2)
c_lo.number_input("Mw above", step=0.1, key="data:mw_min", help="Exclusive, as the study: Mw > 4")
c_hi.number_input("Mw at most", step=0.1, key="data:mw_max")
c_lo, c_hi = sb.columns(2)
c_lo.number_input("Depth from (km)", step=1.0, min_value=0.0, key="data:depth_min")
c_hi.number_input("Depth below (km)", step=5.0, key="data:depth_max", help="Exclusive: < 50 km")
c_lo, c_hi = sb.columns(2)
c_lo.number_input(
    "R_epi from (km)", step=5.0, min_value=0.0, key="data:dist_min", help="Epicentral distance"
)
c_hi.number_input("R_epi to (km)", step=10.0, min_value=0.0, key="data:dist_max")
sb.checkbox("Stations in Italy", key="data:italy", help="Natural Earth outline of Italy")
sb.multiselect("Networks (none = all)", network_options, key="data:networks")
sb.multiselect("EC8 classes (none = all)", ec8_options, key="data:ec8")
bounds = {name: st.session_state[f"data:{name}"] for name in BOUNDS}
st.session_state["data:bounds"] = bounds
st.query_params.update(appstate.query_values(bounds))
selection = Selection(
    mw_min=bounds["mw_min"],
    mw_max=bounds["mw_max"],
    depth_min_km=bounds["depth_min"] or None,
    depth_max_km=bounds["depth_max"],
    distance_min_km=bounds["dist_min"] or None,
    distance_max_km=bounds["dist_max"],
    in_italy=bounds["italy"],
    networks=tuple(bounds["networks"]) or None,
    ec8_classes=tuple(bounds["ec8"]) or None,
)
key = json.dumps(selection.to_dict(), sort_keys=True)


@st.cache_data(max_entries=16)
def select_table(path: str, signature: float, selection_key: str):
    full, _ = load_table(path, signature)
    values = {
        k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(selection_key).items()
    }
    chosen = Catalog(table=full).select(Selection(**values))
    return chosen.table, chosen.selection_report


signature = _signature(source_path)
selected, report = select_table(str(source_path), signature, key)

counts = Catalog(table=selected).counts()
everything = Catalog(table=table).counts()
c1, c2, c3, c4, c5 = st.columns(5)
c1.metric("Earthquake records", f"{counts['records']:,}")
c2.metric("Noise windows", f"{counts['noise']:,}")
c3.metric("Events", f"{counts['events']:,}")
c4.metric("Stations", f"{counts['stations']:,}")
c5.metric("Records without Mw", f"{counts['mw_missing']:,}")
st.caption(f"Selected from {appstate.describe_counts(everything)} in {label}.")
with st.expander("What each bound removed"):
    st.dataframe(
        pd.DataFrame(report, columns=["bound", "records removed"]), hide_index=True, width="stretch"
    )
if selected.empty:
    st.warning("The selection matches no record: widen the bounds in the sidebar.")
    st.stop()


# --- map: click an event or a station, or pick it from the lists ------------------------------
@st.cache_data(max_entries=16, show_spinner=False)
def event_names_of(path: str, signature: float, selection_key: str) -> dict[str, str]:
    """Each selected event's name (time, place, Mw, depth), largest Mw first; cached, as the
    place of each epicentre is looked up in the outline."""
    chosen, _ = select_table(path, signature, selection_key)
    events = vrecords.events_table(chosen)
    return {str(eid): vrecords.event_label(row) for eid, row in events.iterrows()}


event_names = event_names_of(str(source_path), signature, key)
event_ids = [None, *event_names]
station_ids = [None, *sorted(set(station_codes_of(selected)))]
for name, options in (("event", event_ids), ("station", station_ids)):
    wanted = st.session_state.get(f"data:{name}", st.query_params.get(name))
    st.session_state[f"data:{name}"] = wanted if wanted in options else None


def _on_map_click() -> None:
    picked = vrecords.clicked_feature(
        st.session_state.get("data:map"), st.session_state.get("data:points", {})
    )
    if picked is not None:
        kind, value = picked
        st.session_state["data:event"] = value if kind == "event" else None
        st.session_state["data:station"] = value if kind == "station" else None


col_map, col_side = st.columns([3, 1])
with col_side:
    event_id = st.selectbox(
        "Event",
        event_ids,
        key="data:event",
        format_func=lambda e: "(none)" if e is None else event_names[e],
        help="Or click an event on the map",
    )
    station = st.selectbox(
        "Station",
        station_ids,
        key="data:station",
        format_func=lambda s: "(none)" if s is None else s,
        help="Or click a station on the map",
    )
    for name, value in (("event", event_id), ("station", station)):
        if value is None:
            st.query_params.pop(name, None)
        else:
            st.query_params[name] = value
    station_colour = st.radio("Stations coloured by", ["EC8 class", "Vs30"], horizontal=True)
    st.caption(
        "Events are sized and coloured by Mw, stations (dark edge) by site class; click one to "
        "select it, hover for details, scroll to zoom."
    )

colour_key = "vs30" if station_colour == "Vs30" else "ec8_class"
points = maps.records_geojson(selected, station_colour_by=colour_key)
st.session_state["data:points"] = points
lines, ring, focus = maps.focus_on(
    selected, event_id=event_id, station=None if event_id else station
)
fmap = maps.build_map(
    points,
    outline=maps.load_outline(),
    lines=lines,
    highlight=ring,
    focus=focus,
    legend=maps.legend("mw") + maps.legend(colour_key),
)
with col_map:
    st_folium(
        fmap,
        key="data:map",
        height=520,
        use_container_width=True,
        returned_objects=["last_object_clicked", "last_active_drawing"],
        on_change=_on_map_click,
    )

if event_id is not None or station is not None:
    chosen_records = vrecords.event_records(selected, event_id=event_id, station=station)
    if event_id is not None:
        st.subheader(event_names[event_id])
    else:
        st.subheader(f"Records at station {station}")
    st.dataframe(
        csv_safe_frame(chosen_records),
        hide_index=True,
        width="stretch",
        column_config={  # one decimal on every distance (81.0 km, not 81)
            c: st.column_config.NumberColumn(c, format="%.1f")
            for c in ("R_epi (km)", "R_hypo (km)", "R_JB (km)")
        },
    )
    st.caption(
        "Nearest first. "
        + "; ".join(vrecords.DISTANCE_NOTES[c] for c in vrecords.DISTANCE_NOTES)
        + "."
    )


# --- record viewer ------------------------------------------------------------------------------
@st.cache_data(max_entries=8, show_spinner=False)
def record_spectra(wave: np.ndarray, rate: float, components: list[str]):
    from seisgan_core import evaluation

    freqs, amps = evaluation.fas(wave, 1.0 / rate)  # Konno-Ohmachi, b = 40
    periods = np.logspace(-2, 1, 40)
    return freqs, amps, periods, record_view.psa_with_horizontals(wave, rate, periods, components)


@st.cache_data(max_entries=8, show_spinner=False)
def record_onsets(wave: np.ndarray, rate: float, components: list[str]) -> dict:
    return record_view.pick_onsets(wave, rate, components)


def record_file(data, rate, row: dict, fmt: str) -> bytes:
    return record_view.record_download(data, rate, row, fmt)[1]


def show_record(data, rate, components, row, header) -> None:
    """The record as acceleration, velocity or displacement, its peaks, picks, spectra and
    downloads (ITACA's own VEL/DIS and spectra, where given, are the readers' part)."""
    corners = record_view.filter_corners(header)
    c_q, c_u, c_t = st.columns([2, 1, 1])
    quantity = c_q.radio("Show", list(record_view.QUANTITIES), horizontal=True, key="data:quantity")
    in_g = c_u.radio("Acceleration in", ["cm/s²", "g"], horizontal=True, key="data:unit") == "g"
    show_picks = c_t.checkbox("P and S picks", value=True, key="data:picks")
    shown, unit = record_view.motion(
        data,
        rate,
        quantity,
        in_g=in_g,
        low_cut_hz=corners["low_cut_hz"],
        order=corners["order"] or 2,
    )
    start = row.get("starttime")
    start = None if start is None or pd.isna(start) else pd.Timestamp(start)
    onsets = record_onsets(data, rate, components) if show_picks else {}
    st.plotly_chart(
        record_view.record_figure(
            shown,
            rate,
            components=components,
            unit=unit,
            quantity=quantity,
            start=start,
            onsets=onsets,
            title=str(row["record_id"]),
        ),
        width="stretch",
    )
    st.caption(record_caption(corners, onsets, start, quantity))
    cols = st.columns(len(record_view.DOWNLOAD_FORMATS))
    for col, fmt in zip(cols, record_view.DOWNLOAD_FORMATS, strict=True):
        col.download_button(
            f"{fmt} (cm/s², {len(components)} components)",
            functools.partial(record_file, data, rate, row.to_dict(), fmt),
            file_name=record_view.download_name(row.to_dict(), fmt),
            mime=record_view.DOWNLOAD_FORMATS[fmt][2],
            key=f"data:download:{fmt}",
            on_click="ignore",
        )
    freqs, amps, periods, psa = record_spectra(data, rate, list(components))
    f_col, p_col = st.columns(2)
    f_col.plotly_chart(
        vdata.spectra_figure(
            freqs,
            dict(zip(components, amps, strict=False)),
            x_title="frequency (Hz)",
            y_title="FAS (cm/s)",
            title="Fourier amplitude",
        ),
        width="stretch",
    )
    p_col.plotly_chart(
        vdata.spectra_figure(
            periods, psa, x_title="period (s)", y_title="PSA (cm/s²)", title="PSA, 5 % damping"
        ),
        width="stretch",
    )


def show_archive_products(data, rate, components, row) -> None:
    """ITACA's own VEL/DIS/SA/PSV/SD beside the project's integration and PSA, where the
    archive gave them with the record."""
    products = record_products(row)
    if not products:
        return
    from seisgan_core.evaluation.archive import compare_with_archive

    compared = compare_with_archive(np.asarray(data), rate, components, products)
    with st.expander(f"The archive's own products: {', '.join(compared)}"):
        for product, by_component in compared.items():
            for comp, c in by_component.items():
                if "periods" in c:
                    worst = np.nanmax(np.abs(c["difference_pct"]))
                    fig = vdata.spectra_figure(
                        c["periods"],
                        {f"archive {product}": c["archive"], "project": c["ours"]},
                        x_title="period (s)",
                        y_title=product,
                        title=f"{product} {comp}: largest difference {worst:.1f} %",
                    )
                else:
                    fig = vdata.waveform_figure(
                        np.vstack([c["archive"], c["ours"], c["difference"]]),
                        rate,
                        components=[f"archive {product}", "project", "difference"],
                        units="cm/s" if product == "VEL" else "cm",
                        title=f"{product} {comp}",
                    )
                st.plotly_chart(fig, width="stretch")


def record_caption(corners: dict, onsets: dict, start, quantity: str) -> str:
    parts = []
    if corners["low_cut_hz"] is not None or corners["high_cut_hz"] is not None:
        parts.append(
            f"Processing filter: {corners['type'] or 'band-pass'}"
            + (f" order {corners['order']}" if corners["order"] else "")
            + f", {appstate.format_number(corners['low_cut_hz'])}–"
            f"{appstate.format_number(corners['high_cut_hz'])} Hz"
        )
    else:
        parts.append("Processing filter: not given by this source")
    if quantity != "acceleration":
        parts.append(
            "integrated from the acceleration (mean and linear trend removed)"
            + (", high-passed at the record's low-cut corner" if corners["low_cut_hz"] else "")
        )
    if onsets:
        parts.append(
            "picks by ObsPy's AR-AIC picker: "
            + ", ".join(f"{k} {v:.2f} s after the first sample" for k, v in onsets.items())
        )
    elif start is not None:
        parts.append("no P or S pick found")
    parts.append("time in UTC" if start is not None else "time from the first sample")
    return "; ".join(parts) + "."


# --- distributions, coverage, summary ----------------------------------------------------------
tab_dist, tab_cov, tab_sum, tab_rec = st.tabs(
    ["Distributions", "Mw-distance coverage", "Summary table", "Record viewer"]
)
with tab_dist:
    st.plotly_chart(vdata.distributions_figure(selected), width="stretch")
with tab_cov:
    st.plotly_chart(vdata.coverage_scatter(selected), width="stretch")
with tab_sum:
    st.caption("Count, mean, median, standard deviation and range, as the reference study reports.")
    summary = Catalog(table=selected).summary()
    st.dataframe(
        summary,
        width="stretch",
        column_config={  # four significant figures, whatever the quantity's scale
            c: st.column_config.NumberColumn(c, format="%.4g")
            for c in ("mean", "median", "std", "min", "max")
            if c in summary
        },
    )

with tab_rec:
    if event_id is not None or station is not None:
        record_ids = chosen_records["record"].astype(str).tolist()
    else:
        record_ids = selected["record_id"].astype(str).tolist()[:5000]
    # The chosen record survives a change of bounds (and a visit to another page) while the
    # selection still holds it.
    kept = st.session_state.get("data:record_kept", st.query_params.get("record"))
    if st.session_state.get("data:record") not in record_ids:
        st.session_state["data:record"] = kept if kept in record_ids else record_ids[0]
    record_id = st.selectbox("Record", record_ids, key="data:record")
    st.session_state["data:record_kept"] = record_id
    st.query_params["record"] = record_id
    pool = selected
    row = pool[pool["record_id"].astype(str) == record_id].iloc[0]

    @st.cache_data(max_entries=8, show_spinner="Reading the waveforms…")
    def record_waveforms(path: str, signature: float, rid: str):
        full, _ = load_table(path, signature)
        wave = read_record_waveforms(full[full["record_id"].astype(str) == rid].iloc[0])
        return np.asarray(wave.data), float(wave.sampling_rate_hz), list(wave.components)

    @st.cache_data(max_entries=8, show_spinner=False)
    def raw_header(first_file: str) -> dict:
        from seisgan_core.io.esm_ascii import read_esm_ascii

        return dict(read_esm_ascii(first_file).header)

    header: dict = {}
    first = str(row.get("source_files") or row.get("source_path")).split("|")[0]
    if str(row.get("source_format")) == "esm_ascii":
        try:
            header = raw_header(first)
        except (SeisganIOError, OSError) as exc:
            st.error(shown_text(str(exc), source_path))
    try:
        data, rate, components = record_waveforms(str(source_path), signature, record_id)
    except (SeisganIOError, OSError) as exc:
        st.error(shown_text(str(exc), source_path))
    else:
        show_record(data, rate, components, row, header)
        show_archive_products(data, rate, components, row)
    if header:
        st.caption(f"Raw DYNA header of {Path(first).name}")
        st.dataframe(vdata.header_table(header), hide_index=True, width="stretch")
    st.caption("Header (the record table's row)")
    st.dataframe(vdata.header_table(row.to_dict()), hide_index=True, width="stretch")

"""Data: map of events and stations, distributions, coverage, summary table, record viewer."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from seisgan_core import appstate
from seisgan_core.fsutil import csv_safe_frame
from seisgan_core.io.errors import SeisganIOError
from seisgan_core.viz import data as vdata
from seisgan_core.viz import maps

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
        "selection covers: a generator can only learn what the data holds. Pick an event to draw "
        "its stations, and a record to see its waveforms, its Fourier amplitude spectrum (FAS: "
        "how much shaking at each frequency) and its response spectrum (PSA: the peak response "
        "of a simple building of each natural period)."
    )

missing = appstate.missing_parts(["readers and catalogue"])
if missing:
    st.warning(appstate.describe_missing(missing))
    st.stop()

from seisgan_core.catalog import (  # noqa: E402
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
    with st.expander(f"{len(skipped)} files or records could not be read"):
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

# Sidebar bounds: the reference study's selection by default, every bound editable.
sb = st.sidebar
sb.subheader("Selection")
c_lo, c_hi = sb.columns(2)
mw_min = c_lo.number_input("Mw above", value=4.0, step=0.1, help="Exclusive, as the study: Mw > 4")
mw_max = c_hi.number_input("Mw at most", value=9.0, step=0.1)
c_lo, c_hi = sb.columns(2)
depth_min = c_lo.number_input("Depth from (km)", value=0.0, step=1.0, min_value=0.0)
depth_max = c_hi.number_input("Depth below (km)", value=50.0, step=5.0, help="Exclusive: < 50 km")
dist_top = float(
    np.nanmax(table["epicentral_distance_km"].to_numpy(dtype=float, na_value=np.nan), initial=0.0)
)
c_lo, c_hi = sb.columns(2)
distance_min = c_lo.number_input("Distance from (km)", value=0.0, step=5.0, min_value=0.0)
distance_max = c_hi.number_input(
    "Distance to (km)", value=float(np.ceil(dist_top)), step=10.0, min_value=0.0
)
in_italy = sb.checkbox("Stations in Italy", value=True, help="Natural Earth outline of Italy")
networks = sb.multiselect(
    "Networks (none = all)", sorted(table["network"].dropna().astype(str).unique())
)
ec8 = sb.multiselect(
    "EC8 classes (none = all)", sorted(table["ec8_class"].dropna().astype(str).unique())
)
selection = Selection(
    mw_min=mw_min,
    mw_max=mw_max,
    depth_min_km=depth_min or None,
    depth_max_km=depth_max,
    distance_min_km=distance_min or None,
    distance_max_km=distance_max,
    in_italy=in_italy,
    networks=tuple(networks) or None,
    ec8_classes=tuple(ec8) or None,
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

n_events = selected["event_id"].nunique()
station_codes = selected["network"].astype(str) + "." + selected["station"].astype(str)
c1, c2, c3, c4 = st.columns(4)
c1.metric("Records", f"{len(selected):,}", f"of {len(table):,}", delta_color="off")
c2.metric("Events", f"{n_events:,}")
c3.metric("Stations", f"{station_codes.nunique():,}")
c4.metric("Records without Mw", f"{int(table['mw'].isna().sum()):,}")
with st.expander("What each bound removed"):
    st.dataframe(
        pd.DataFrame(report, columns=["bound", "records removed"]), hide_index=True, width="stretch"
    )
if selected.empty:
    st.warning("The selection matches no record: widen the bounds in the sidebar.")
    st.stop()

# --- map -------------------------------------------------------------------------------------
events = (
    selected.groupby("event_id")
    .agg(mw=("mw", "first"), time=("event_time", "first"), n=("record_id", "size"))
    .sort_values("mw", ascending=False)
)
event_labels = ["(none)"] + [
    f"{eid} · Mw {row.mw:.1f} · {row.n} records"
    if pd.notna(row.mw)
    else f"{eid} · Mw ? · {row.n} records"
    for eid, row in events.iterrows()
]
event_ids = [None, *events.index.astype(str)]
requested = st.query_params.get("event")
event_index = event_ids.index(requested) if requested in event_ids else 0
col_map, col_side = st.columns([3, 1])
with col_side:
    event_label = st.selectbox("Event", event_labels, index=event_index)
    event_id = event_ids[event_labels.index(event_label)]
    if event_id is None:
        st.query_params.pop("event", None)
    else:
        st.query_params["event"] = event_id
    station_colour = st.radio("Stations coloured by", ["EC8 class", "Vs30"], horizontal=True)
    st.caption(
        "Events are sized and coloured by Mw, stations (dark edge) by site class; hover for "
        "details, scroll to zoom."
    )


@st.cache_data(max_entries=16, show_spinner=False)
def map_page(
    path: str, signature: float, selection_key: str, event: str | None, colour: str
) -> str:
    chosen, _ = select_table(path, signature, selection_key)
    points = maps.records_geojson(
        chosen, station_colour_by="vs30" if colour == "Vs30" else "ec8_class"
    )
    lines = maps.event_station_lines(chosen, event) if event else None
    key = "vs30" if colour == "Vs30" else "ec8_class"
    fmap = maps.build_map(
        points,
        outline=maps.load_outline(),
        lines=lines,
        legend=maps.legend("mw") + maps.legend(key),
    )
    return maps.map_html(fmap)


with col_map:
    st.iframe(map_page(str(source_path), signature, key, event_id, station_colour), height=520)

if event_id is not None:
    st.subheader(f"Records of event {event_id}")
    st.dataframe(
        csv_safe_frame(
            selected[selected["event_id"] == event_id][
                [
                    "record_id",
                    "network",
                    "station",
                    "epicentral_distance_km",
                    "vs30_m_s",
                    "ec8_class",
                    "pga_cm_s2",
                    "sampling_rate_hz",
                    "npts",
                ]
            ].sort_values("epicentral_distance_km")
        ),
        hide_index=True,
        width="stretch",
    )

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
    st.dataframe(Catalog(table=selected).summary(), width="stretch")

with tab_rec:
    pool = selected if event_id is None else selected[selected["event_id"] == event_id]
    record_ids = pool["record_id"].astype(str).tolist()[:5000]
    record_id = st.selectbox(
        "Record", record_ids, index=appstate.choose_index(record_ids, st.query_params.get("record"))
    )
    st.query_params["record"] = record_id
    row = pool[pool["record_id"].astype(str) == record_id].iloc[0]

    @st.cache_data(max_entries=8, show_spinner="Reading the waveforms…")
    def record_waveforms(path: str, signature: float, rid: str):
        full, _ = load_table(path, signature)
        wave = read_record_waveforms(full[full["record_id"].astype(str) == rid].iloc[0])
        return np.asarray(wave.data), float(wave.sampling_rate_hz), list(wave.components)

    try:
        data, rate, components = record_waveforms(str(source_path), signature, record_id)
    except (SeisganIOError, OSError) as exc:
        st.error(shown_text(str(exc), source_path))
    else:
        st.plotly_chart(
            vdata.waveform_figure(data, rate, components=components, title=record_id),
            width="stretch",
        )
        missing_eval = appstate.missing_parts(["evaluation"])
        if missing_eval:
            st.info("Spectra: " + appstate.describe_missing(missing_eval))
        else:
            from seisgan_core import evaluate

            @st.cache_data(max_entries=8, show_spinner=False)
            def record_spectra(path: str, signature: float, rid: str):
                wave, dt_rate, _c = record_waveforms(path, signature, rid)
                freqs, amps = evaluate.fas(wave, 1.0 / dt_rate)  # Konno-Ohmachi, b = 40
                periods = np.logspace(-2, 1, 40)
                return freqs, amps, periods, evaluate.psa(wave, 1.0 / dt_rate, periods)

            freqs, amps, periods, psa = record_spectra(str(source_path), signature, record_id)
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
                    periods,
                    dict(zip(components, psa, strict=False)),
                    x_title="period (s)",
                    y_title="PSA (cm/s²)",
                    title="PSA, 5 % damping",
                ),
                width="stretch",
            )
            products = record_products(row)  # ITACA's own VEL/DIS/SA/PSV/SD beside the ACC
            if products:
                from seisgan_core.evaluate.archive import compare_with_archive

                compared = compare_with_archive(np.asarray(data), rate, components, products)
                with st.expander(f"The archive's own products: {', '.join(compared)}"):
                    for product, by_component in compared.items():
                        for comp, c in by_component.items():
                            if "periods" in c:
                                worst = np.nanmax(np.abs(c["difference_pct"]))
                                curves = {f"archive {product}": c["archive"], "project": c["ours"]}
                                fig = vdata.spectra_figure(
                                    c["periods"],
                                    curves,
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
    if str(row.get("source_format")) == "esm_ascii":

        @st.cache_data(max_entries=8, show_spinner=False)
        def raw_header(first_file: str) -> dict:
            from seisgan_core.io.esm_ascii import read_esm_ascii

            return dict(read_esm_ascii(first_file).header)

        first = str(row.get("source_files") or row.get("source_path")).split("|")[0]
        try:
            header = raw_header(first)
        except (SeisganIOError, OSError) as exc:
            st.error(shown_text(str(exc), source_path))
        else:
            st.caption(f"Raw DYNA 1.2 header of {Path(first).name}")
            st.dataframe(vdata.header_table(header), hide_index=True, width="stretch")
    st.caption("Header (the record table's row)")
    st.dataframe(vdata.header_table(row.to_dict()), hide_index=True, width="stretch")

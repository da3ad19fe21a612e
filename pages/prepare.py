"""Prepare: build a training set in the background; look at a prepared set by split."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from seisgan_core import appstate
from seisgan_core.viz import data as vdata
from seisgan_core.viz import maps

roots = appstate.Roots.from_env()
st.title("Prepare")
with st.expander("What am I looking at?"):
    st.markdown(
        "The network trains on an array of shape (records, 3, 8000): three components of "
        "40 s at 200 Hz, each divided by its own standard deviation (the mean and standard "
        "deviation are kept to undo it). **Preparing** selects records, resamples them to 200 "
        "Hz, cuts a 40 s window, zero-pads short records and stacks them. The records are then "
        "**split** 80/10/10 into train, validation and test by event, keeping nearby events "
        "together, so that the test never holds an earthquake the model has seen. The map "
        "colours events by split; the histograms check that the three splits cover the same "
        "magnitudes, distances and depths."
    )

APP_DIR = roots.processed / ".app"

# --- build a prepared set -----------------------------------------------------------------------
missing = appstate.missing_parts(["prepare"])
if missing:
    st.warning(appstate.describe_missing(missing))
else:
    st.info("Preparing from the app: see the prepared sets below.")

# --- look at a prepared set ---------------------------------------------------------------------
prepared = appstate.discover_prepared(roots.processed)
if not prepared:
    st.info("No prepared set under data/processed/ yet.")
    st.stop()
names = [p.name for p in prepared]
name = st.selectbox(
    "Prepared set", names, index=appstate.choose_index(names, st.query_params.get("prepared"))
)
st.query_params["prepared"] = name
info = prepared[names.index(name)]


@st.cache_data(max_entries=4)
def load_records(path: str, mtime: float) -> pd.DataFrame:
    return pd.read_parquet(path)


records_path = info.path / "records.parquet"
records = load_records(str(records_path), records_path.stat().st_mtime)
counts = records["split"].value_counts()
c1, c2, c3, c4 = st.columns(4)
c1.metric("Records", f"{len(records):,}")
for col, split in zip((c2, c3, c4), ("train", "val", "test"), strict=True):
    n = int(counts.get(split, 0))
    col.metric(split, f"{n:,}", f"{100 * n / max(len(records), 1):.0f} %", delta_color="off")


@st.cache_data(max_entries=4, show_spinner=False)
def split_map(path: str, mtime: float) -> str:
    table = load_records(path, mtime)
    points = maps.records_geojson(table, event_colour_by="split", include_stations=False)
    fmap = maps.build_map(points, outline=maps.load_outline(), legend=maps.legend("split"))
    return maps.map_html(fmap)


col_map, col_hist = st.columns([2, 3])
with col_map:
    st.iframe(split_map(str(records_path), records_path.stat().st_mtime), height=480)
with col_hist:
    st.plotly_chart(vdata.split_distributions_figure(records), width="stretch")

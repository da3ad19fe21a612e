"""Prepare: build a training set in the background; look at a prepared set by split."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from seisgan_core import appstate, jobs
from seisgan_core.prepare_config import ALIGNS, MODES, PrepareConfig
from seisgan_core.split import split_summary
from seisgan_core.viz import data as vdata
from seisgan_core.viz import maps

roots = appstate.Roots.from_env()
defaults = PrepareConfig()
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
def _log(name: str):
    return APP_DIR / name / "prepare.log"


def _progress_file(name: str):
    return APP_DIR / name / "progress.json"


archives = appstate.discover_archives(roots.raw)
if not archives:
    st.info("No archive under data/raw/ to prepare: add one on the Home page.")
else:
    with st.expander("Build a training set", expanded=False):
        with st.form("prepare_form"):
            c1, c2 = st.columns(2)
            sources = c1.multiselect(
                "Archives", [a.name for a in archives], default=[archives[0].name]
            )
            out_name = c2.text_input("Name of the prepared set", "my-set")
            st.markdown("**Selection** (the study: Mw > 4, depth < 50 km, stations in Italy)")
            c1, c2, c3, c4 = st.columns(4)
            mw_min = c1.number_input("Mw above", value=4.0, step=0.1)
            depth_max = c2.number_input("Depth below (km)", value=50.0, step=5.0)
            distance_max = c3.number_input(
                "Distance at most (km, 0 = any)", value=0.0, step=10.0, min_value=0.0
            )
            in_italy = c4.checkbox("Stations in Italy", value=True)
            st.markdown("**Window**: 40 s at 200 Hz, short records zero-padded")
            c1, c2, c3 = st.columns(3)
            mode = c1.selectbox(
                "Mode",
                MODES,
                index=MODES.index(defaults.mode),
                help="window: 40 s of every record, placed by 'Align on'; "
                "study: only records no longer than 40 s, as the reference study",
            )
            align = c2.selectbox(
                "Align on",
                ALIGNS,
                index=ALIGNS.index(defaults.align),
                help="strong_motion: from the P onset (STA/LTA on the vertical), moved to hold "
                "both horizontals' PGA; p_onset: from the P onset; start: the first sample",
            )
            pre_event = c3.number_input(
                "Seconds before the P onset", value=defaults.pre_event_s, step=1.0
            )
            st.markdown("**Split** by event, nearby events kept together, stratified by Mw")
            c1, c2, c3, c4, c5 = st.columns(5)
            shares = defaults.split_fractions
            f_train = c1.number_input("train", value=shares[0], step=0.05)
            f_val = c2.number_input("val", value=shares[1], step=0.05)
            f_test = c3.number_input("test", value=shares[2], step=0.05)
            cluster_km = c4.number_input("Cluster within (km)", value=defaults.cluster_km, step=5.0)
            cluster_days = c5.number_input("and (days)", value=defaults.cluster_days, step=5.0)
            c1, c2 = st.columns(2)
            seed = c1.number_input("Seed", value=defaults.seed, step=1)
            noise = c2.checkbox("Keep noise-only windows", value=defaults.include_noise)
            clicked = st.form_submit_button("Prepare", type="primary")
        if clicked:
            try:
                name = appstate.sanitize_run_name(out_name)
                argv = appstate.prepare_argv(
                    [roots.raw / s for s in sources],
                    appstate.check_prepare_name(roots, name),
                    selection={
                        "mw_min": mw_min,
                        "depth_max_km": depth_max,
                        "distance_max_km": distance_max or None,
                        "in_italy": in_italy,
                    },
                    mode=mode,
                    align=align,
                    pre_event_s=pre_event,
                    split_fractions=(f_train, f_val, f_test),
                    cluster_km=cluster_km,
                    cluster_days=cluster_days,
                    seed=int(seed),
                    include_noise=noise,
                    progress_file=_progress_file(name),
                )
                if not sources:
                    raise ValueError("choose at least one archive")
                jobs.start_job(jobs.cli_argv(*argv), log_path=_log(name), cwd=roots.project)
            except (ValueError, RuntimeError, appstate.NameTakenError) as exc:
                st.error(str(exc))
            else:
                st.session_state["preparing"] = name
                st.query_params["prepared"] = name

preparing = st.session_state.get("preparing")
if preparing:

    @st.fragment(run_every=1.0)
    def follow_prepare() -> None:
        job = jobs.read_job(_log(preparing))
        progress = appstate.read_json_or_none(_progress_file(preparing))
        fraction, doing = appstate.prepare_progress(progress)
        if job is not None and jobs.is_alive(job.pid, job.create_time):
            st.progress(fraction, text=f"Preparing {preparing}: {doing}")
            return
        st.session_state.pop("preparing", None)
        finished = (progress or {}).get("state") == "finished"
        if finished and (roots.processed / preparing / "waveforms.npy").is_file():
            st.session_state["prepare:done"] = appstate.prepare_outcome(preparing, progress)
            st.session_state["prepare:select"] = preparing
            st.cache_data.clear()
            st.rerun(scope="app")
        st.error(f"Preparing {preparing} failed. Its last log lines:")
        st.code("\n".join(jobs.tail_lines(_log(preparing), 8)) or "(no output)")

    follow_prepare()

# --- look at a prepared set ---------------------------------------------------------------------
prepared = appstate.discover_prepared(roots.processed)
if not prepared:
    st.info("No prepared set under data/processed/ yet.")
    st.stop()
names = [p.name for p in prepared]
if "prepare:done" in st.session_state:
    st.success(st.session_state.pop("prepare:done"))
name = st.selectbox(
    "Prepared set",
    names,
    index=appstate.choose_index(
        names, st.session_state.pop("prepare:select", None) or st.query_params.get("prepared")
    ),
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
    col.metric(
        split,
        f"{n:,}",
        f"{100 * n / max(len(records), 1):.0f} % of the records",
        delta_color="off",
        delta_arrow="off",
    )


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
st.caption("Per split: records, events, clusters, Mw and distance")
st.dataframe(split_summary(records), width="stretch")

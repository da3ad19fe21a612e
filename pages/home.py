"""Home: first-run set-up (demo archive, prepared set), what is installed, bring your own data."""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import streamlit as st

from seisgan_core import appstate, jobs
from seisgan_core.catalog import (
    Catalog,
    read_records,
    read_seisbench,
    shown_skips,
    skip_summary,
    to_table,
)
from seisgan_core.demo import build_demo_archive
from seisgan_core.fsutil import OutputRefusedError, csv_safe_frame, guarded_output
from seisgan_core.io import seisbench as sb
from seisgan_core.io.errors import SeisganIOError
from seisgan_core.preparation import prepare
from seisgan_core.train.runs import list_runs

roots = appstate.Roots.from_env()

st.title("SeisGAN Studio")
st.write(
    "Explore Italian strong-motion data (ITACA, ESM), train a Wasserstein GAN with gradient "
    "penalty that generates three-component accelerograms, and judge the generated waveforms "
    "against real ones."
)
with st.expander("What am I looking at?"):
    st.markdown(
        "This page lists what this installation holds: **archives** (recordings as the archive "
        "delivers them, under `data/raw/`), **prepared sets** (the same records cut to 40 s at "
        "200 Hz and normalised, the array the network trains on, under `data/processed/`) and "
        "**runs** (training runs with their losses, samples and checkpoints, under `models/`). "
        "On the first start it builds a simulated demo archive so that every page has something "
        "to show. The pages on the left follow the work: look at the data, prepare a training "
        "set, train, watch the samples evolve, compare generated against real."
    )


@st.cache_resource
def _first_run_lock() -> threading.Lock:
    # One set-up at a time per server, however many browser tabs open the page.
    return threading.Lock()


def _first_run(*, build: bool) -> None:
    """Build the demo archive (when asked, or when data/raw holds no archive at all) and
    prepare it (when it has no prepared set yet), with progress bars."""
    demo_raw = roots.raw / "demo"
    demo_prepared = roots.processed / "demo"
    need_archive = build and not (demo_raw / "demo.h5").is_file()
    need_prepared = (need_archive or (demo_raw / "demo.h5").is_file()) and not (
        demo_prepared / "waveforms.npy"
    ).is_file()
    if not (need_archive or need_prepared):
        return
    try:
        _build_first_run(demo_raw, demo_prepared, need_archive)
    except OutputRefusedError as exc:
        st.error(str(exc))
        return
    st.cache_data.clear()


def _build_first_run(demo_raw, demo_prepared, need_archive: bool) -> None:
    with _first_run_lock():
        if need_archive and not (demo_raw / "demo.h5").is_file():
            n_records = appstate.demo_records()
            bar = st.progress(0.0, text="Building the demo archive (simulated, ITACA formats)")
            with guarded_output(demo_raw, "demo"):  # never over files the demo did not write
                build_demo_archive(
                    demo_raw,
                    n_records=n_records,
                    n_noise=max(1, round(n_records * 200 / 1300)),  # the default proportion
                    progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m),
                )
            bar.progress(1.0, text="Demo archive built")
        if not (demo_prepared / "waveforms.npy").is_file():
            bar = st.progress(0.0, text="Preparing the demo training set")
            with guarded_output(demo_prepared, "prepare", [demo_raw]):
                prepare(
                    [demo_raw],
                    demo_prepared,
                    progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m),
                )
            bar.progress(1.0, text="Demo training set prepared")


_first_run(build=not appstate.discover_archives(roots.raw))

st.header("What is here")
col_a, col_p, col_r = st.columns(3)
archives = appstate.discover_archives(roots.raw)
prepared = appstate.discover_prepared(roots.processed)
with col_a:
    st.subheader(f"Archives ({len(archives)})")
    if archives:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "archive": a.name,
                        "files": a.n_files,
                        "MB": round(a.n_bytes / 1e6, 1),
                        "kinds": ", ".join(f"{k} ×{v}" for k, v in sorted(a.suffixes.items())),
                    }
                    for a in archives
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.write("None under `data/raw/`.")
    if not (roots.raw / "demo" / "demo.h5").is_file() and st.button("Build the demo archive"):
        _first_run(build=True)
        st.rerun()
with col_p:
    st.subheader(f"Prepared sets ({len(prepared)})")
    if prepared:
        st.dataframe(
            pd.DataFrame(
                [
                    {"set": p.name, "records": p.n_records, "samples": p.npts, "noise": p.has_noise}
                    for p in prepared
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.write("None under `data/processed/`.")
with col_r:
    runs = list_runs(roots.models)
    st.subheader(f"Runs ({len(runs)})")
    if runs:
        st.dataframe(
            appstate.runs_table(runs, alive=jobs.is_alive)[["run", "preset", "state", "progress"]],
            hide_index=True,
            width="stretch",
        )
    else:
        st.write("None under `models/`.")

st.header("Bring your own data")
st.markdown(
    "Download waveforms from [ITACA](https://itaca.mi.ingv.it) or ESM (ASDF `.h5`, ESM/ITACA "
    "ASCII `.ASC` or a zip of them, flat files `.csv`) and either copy them into a folder under "
    "`data/raw/` and name it here, or upload them. They are read by the project's readers; "
    "anything they cannot read is listed with the reason."
)


def _read_and_report(path) -> None:
    bar = st.progress(0.0, text=f"Reading {path}")
    try:
        catalog = read_records(
            [path], progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m)
        )
    except SeisganIOError as exc:
        bar.empty()
        st.error(str(exc))
        return
    bar.empty()
    st.success(f"{appstate.describe_counts(catalog.counts())} read from {path}.")
    if catalog.skipped:
        st.warning(f"{len(catalog.skipped)} files or records skipped:")
        summary = pd.DataFrame(skip_summary(catalog.skipped), columns=["reason", "files"])
        st.dataframe(summary, hide_index=True, width="stretch")
        base = path if Path(path).is_dir() else Path(path).parent  # no server path shown
        st.dataframe(
            csv_safe_frame(
                pd.DataFrame(shown_skips(catalog.skipped, base), columns=["path", "reason"])
            ),
            hide_index=True,
            width="stretch",
        )


tab_path, tab_upload, tab_sb = st.tabs(
    ["A folder on this machine", "Upload files", "A SeisBench data set"]
)
with tab_path:
    with st.form("byod_path"):
        typed = st.text_input(
            "Folder or file (relative to data/raw/, or absolute inside the data folders)",
            help="For example my_itaca_download for data/raw/my_itaca_download/",
        )
        read_clicked = st.form_submit_button("Read")
    if read_clicked and typed:
        try:
            confined = appstate.confine_path(typed, roots.data_roots)
        except SeisganIOError as exc:
            st.error(str(exc))
        else:
            if not confined.exists():
                st.error(f"{confined}: no such file or folder")
            else:
                _read_and_report(confined)
with tab_upload:
    with st.form("byod_upload", clear_on_submit=True):
        archive_name = st.text_input("Archive name (a folder under data/raw/)", "uploads")
        files = st.file_uploader(
            "Files", accept_multiple_files=True, type=["asc", "txt", "h5", "zip", "csv"]
        )
        upload_clicked = st.form_submit_button("Upload and read")
    if upload_clicked and files:
        try:
            folder = roots.raw / appstate.sanitize_run_name(archive_name)
        except ValueError as exc:
            st.error(str(exc))
        else:
            for uploaded in files:
                try:
                    appstate.save_upload(uploaded.name, uploaded.getvalue(), folder)
                except appstate.NameTakenError as exc:  # never replaces a file
                    st.error(str(exc))
            st.cache_data.clear()
            _read_and_report(folder)
with tab_sb:
    with st.form("byod_seisbench"):
        from seisgan_core.catalog import Catalog, read_seisbench, to_table
        from seisgan_core.io import seisbench as sb

        st.caption(
            "A SeisBench data set by name (ESM25GoodMP, ESM25GoodCV, AQ2009GM...; read from "
            "SeisBench's cache) or a folder in SeisBench's format (metadata.csv, "
            "waveforms.hdf5) inside the data folders. Saved as an archive, Prepare takes it."
        )
        sb_name = st.text_input("Data set name or folder", "ESM25GoodMP")
        sb_where = st.text_input("Filter over its metadata", "source_magnitude >= 4")
        sb_download = st.checkbox("Download if not in SeisBench's cache (can take long)")
        sb_save = st.text_input("Save as archive (a folder under data/raw/; empty: don't)", "")
        sb_clicked = st.form_submit_button("Read the data set")
    if sb_clicked and sb_name:
        try:
            folder = None  # a class name, unless a folder of that name is in data/raw
            if not sb_name.isidentifier() or (roots.raw / sb_name).is_dir():
                folder = appstate.confine_path(sb_name, roots.data_roots)
            source = sb.resolve_source(str(folder) if folder else sb_name)
            with st.spinner(f"Reading {source}"):
                rows = read_seisbench(source, where=sb_where or None, allow_download=sb_download)
            table = Catalog(table=to_table(rows)).table
            st.success(f"{len(table)} records of {table['event_id'].nunique()} events read.")
            if sb_save and rows:
                saved = roots.raw / appstate.sanitize_run_name(sb_save)
                sb.write_descriptor(saved / "source.seisbench.json", source, sb_where or None)
                st.cache_data.clear()
                st.info(f"Saved {saved}: choose it on the Prepare page.")
        except (SeisganIOError, ValueError, FileExistsError) as exc:
            st.error(str(exc))

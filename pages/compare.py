"""Compare: generated against real, by the measures seismologists use; downloads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from seisgan_core import appstate
from seisgan_core.viz import training as vtrain

roots = appstate.Roots.from_env()
st.title("Compare")
with st.expander("What am I looking at?"):
    st.markdown(
        "Generated records judged against real records of the training set, in cm/s². "
        "**Side by side**: each generated record next to the most similar real training record "
        "(if they look identical, the generator copies: the **memorisation** check). "
        "**Spectra**: the Fourier amplitude spectrum (shaking per frequency), the response "
        "spectrum PSA (peak response of buildings of each natural period) and the power "
        "spectrum: medians with a band from the 16th to the 84th percentile (± one sigma). "
        "**Ground-motion model**: real and generated PGA and SA against distance over BSSA14 "
        "(Boore et al. 2014, Italy), the residuals ln(observed / predicted) should centre on 0. "
        "**Intensity**: Arias intensity (energy) and significant duration D5-95 (the time in "
        "which 5 % to 95 % of it arrives). **Statistics**: the reference study's min, max, mean, "
        "std and skewness, beside the study's own published values."
    )

missing = appstate.missing_parts(["run store", "evaluation", "evaluation figures"])
if missing:
    st.warning(appstate.describe_missing(missing))
    st.stop()

from seisgan_core.evaluate.export import EXPORT_FORMATS, export_samples  # noqa: E402
from seisgan_core.evaluate.panel import evaluate  # noqa: E402
from seisgan_core.prepare import load_prepared  # noqa: E402
from seisgan_core.train.data import CONDITION_COLUMNS  # noqa: E402
from seisgan_core.train.runs import list_runs, load_run  # noqa: E402
from seisgan_core.viz import evaluation as veval  # noqa: E402

DT_S = 0.005  # 200 Hz, the prepared sets' rate


def _checkpoints(run_path) -> list:
    folder = run_path / "checkpoints"
    epochs = sorted(int(p.stem.split("_")[1]) for p in folder.glob("epoch_*.pt"))
    return (
        ["best"] if (folder / "best.pt").is_file() or (folder / "last.pt").is_file() else []
    ) + epochs


runs, damaged = appstate.damaged_runs(list_runs(roots.models))
for line in damaged:  # shown, not opened: the other runs stay usable
    st.warning(f"Damaged run (left out) {line}")
runs = [r for r in runs if _checkpoints(r.path)]
if not runs:
    st.info("No run has a checkpoint yet: train one on the Train page.")
    st.stop()
names = [r.name for r in runs]
c1, c2, c3 = st.columns(3)
run_name = c1.selectbox(
    "Run", names, index=appstate.choose_index(names, st.query_params.get("run"))
)
st.query_params["run"] = run_name
run = runs[names.index(run_name)]
options = _checkpoints(run.path)
labels = [str(o) for o in options]
which = c2.selectbox(
    "Checkpoint (epoch)",
    labels,
    index=appstate.choose_index(labels, st.query_params.get("epoch")),
    help="best: the trainer's choice by its validation score",
)
st.query_params["epoch"] = which
n_records = c3.slider("Records compared", 8, 256, 64, step=8)
data_path = appstate.resolve_data_path(run.config, roots)
if data_path is None or not (data_path / "waveforms.npy").is_file():
    st.error(f"The run's training set is not here: {run.config.get('data', {}).get('path')}")
    st.stop()


@st.cache_data(max_entries=8, show_spinner=False)
def compared_scenarios(run_path: str, data: str, n: int, seed: int = 0) -> pd.DataFrame:
    """The real records ``compute`` drew (row i of the table is real record i, and the scenario
    generated record i was asked for): the same draw, without the waveforms."""
    prepared = load_prepared(data)
    chosen = load_run(run_path)
    records = prepared.records.sort_values("row").reset_index(drop=True)
    records = appstate.scenario_table(
        records, [CONDITION_COLUMNS[c] for c in chosen.conditions] + ["vs30_m_s"]
    )
    return records.iloc[appstate.sample_rows(len(records), n, seed=seed)].reset_index(drop=True)


@st.cache_data(max_entries=8, show_spinner="Generating and computing the panel…")
def compute(run_path: str, epoch: str, data: str, n: int, seed: int = 0):
    prepared = load_prepared(data)
    chosen = load_run(run_path)
    table = compared_scenarios(run_path, data, n, seed)
    real = prepared.to_cm_s2(table["row"].to_numpy()).astype(np.float32)
    n = len(table)  # one generated record per real record (its scenario, for conditional runs)
    conditions = table if chosen.conditions else None
    generated = chosen.generate_samples(
        n,
        conditions=conditions,
        epoch=None if epoch == "best" else int(epoch),
        seed=seed,
        units="cm/s2",
    )
    gen_table = None
    if chosen.conditions and "mw" in chosen.conditions:
        gen_table = table[["mw", "epicentral_distance_km", "vs30_m_s"]].copy()
    panel = evaluate(
        generated.waveforms,
        real,
        dt=DT_S,
        # val and test records are both unseen by the generator: together, the held-out side
        real_split=np.where(table["split"].astype(str) == "train", "train", "test"),
        real_conditions=table,
        generated_conditions=gen_table,
        seed=seed,
    )
    return panel, generated.waveforms, real, generated.metadata()


@st.cache_data(max_entries=16, show_spinner=False)
def export_bytes(run_path: str, epoch: str, data: str, n: int, fmt: str) -> bytes:
    """The download's bytes, built once per run, epoch, set and format (not on every rerun)."""
    _panel, generated, _real, meta = compute(run_path, epoch, data, n)
    return export_samples(
        generated, fmt, dt=DT_S, provenance=meta, conditions=meta.get("conditions")
    )


try:
    panel, gen, real, provenance = compute(str(run.path), which, str(data_path), n_records)
except (FileNotFoundError, ValueError) as exc:
    st.error(str(exc))
    st.stop()

summary = panel.get("summary", {})
m1, m2, m3, m4 = st.columns(4)
m1.metric("Spectral Fréchet / real-real", appstate.format_number(summary.get("fd_spectral_ratio")))
m2.metric("Memorisation ratio", appstate.format_number(summary.get("memorisation_ratio")),
          help="Nearest-real distance of generated records over that of unseen real records: "
          "about 1 is healthy, much below 1 means copying")  # fmt: skip
m3.metric("PSA median |ln bias|", appstate.format_number(summary.get("psa_log_bias")))
m4.metric("Diversity (generated / real)", appstate.format_number(summary.get("diversity_ratio")))


def show_bin(table: pd.DataFrame, conditioned: bool) -> None:
    """Real against generated in one chosen Mw and R_epi bin (the same bin on both sides)."""
    from seisgan_core import evaluate as ev
    from seisgan_core import scenarios

    if not conditioned:
        st.info(f"{run_name} is unconditional: its records have no scenario to bin by.")
        return
    mw_edges = [round(x, 1) for x in np.arange(3.0, 8.01, 0.5)]
    r_edges = [0, 10, 20, 50, 100, 200, 300]
    c_m, c_r = st.columns(2)
    mw_bin = c_m.select_slider("Mw bin", mw_edges, value=(4.0, 5.0), key="bin_mw")
    r_bin = c_r.select_slider("R_epi bin (km)", r_edges, value=(10, 50), key="bin_r")
    keep = scenarios.in_bin(table, mw_bin, r_bin)
    if not keep.any():
        st.info("No compared record falls in this bin: widen it, or compare more records.")
        return
    periods = np.logspace(np.log10(0.02), 1.0, 24)
    curves = {
        name: ev.rotd50(x[keep, 0], x[keep, 1], DT_S, periods)
        for name, x in (("real", real), ("generated", gen))
    }
    figures["bin"] = vtrain.bin_spectra_figure(
        periods,
        curves,
        title=f"Mw {mw_bin[0]}–{mw_bin[1]}, R_epi {r_bin[0]}–{r_bin[1]} km: "
        f"{int(keep.sum())} real records and the {int(keep.sum())} generated for their scenarios",
    )
    st.plotly_chart(figures["bin"], width="stretch")


figures: dict[str, object] = {}
tabs = st.tabs(
    ["Side by side", "By scenario bin", "Spectra", "Ground-motion model", "Intensity",
     "Statistics", "Across epochs", "Download"]
)  # fmt: skip
with tabs[0]:
    nearest = panel.get("nearest_real", {}).get("nearest_real_row")
    i = st.slider("Generated record", 1, gen.shape[0], 1) - 1
    j = nearest[i] if nearest else i
    fig = veval.waveform_figure(gen[i], real[j], DT_S, titles=(f"nearest real (#{j + 1})",
                                                               f"generated #{i + 1}"))  # fmt: skip
    figures["side_by_side"] = fig
    st.plotly_chart(fig, width="stretch")
    near = panel.get("nearest_real", {})
    st.caption(
        f"Median distance to the nearest real training record: "
        f"{appstate.format_number(near.get('median_distance'))} for generated records, "
        f"{appstate.format_number(near.get('baseline_median_distance'))} for unseen real records."
    )
with tabs[1]:
    show_bin(compared_scenarios(str(run.path), str(data_path), n_records), bool(run.conditions))
with tabs[2]:
    spectral = {
        "fas": veval.fas_figure,
        "psa": veval.psa_figure,
        "psd": veval.psd_figure,
        "envelopes": veval.envelope_figure,
    }
    for key, builder in spectral.items():
        figures[key] = builder(panel)
        st.plotly_chart(figures[key], width="stretch")
with tabs[3]:
    if "imts" in panel.get("gmm", {}):
        for imt in ("PGA", "SA(1.0)"):
            figures[f"gmm_{imt}"] = veval.gmm_distance_figure(panel, imt=imt)
            st.plotly_chart(figures[f"gmm_{imt}"], width="stretch")
    else:
        st.info(f"No ground-motion comparison: {panel.get('gmm', {}).get('skipped', 'no inputs')}")
with tabs[4]:
    figures["intensity"] = veval.distributions_figure(panel)
    st.plotly_chart(figures["intensity"], width="stretch")
with tabs[5]:
    figures["statistics"] = veval.statistics_table(panel)
    st.plotly_chart(figures["statistics"], width="stretch")
    st.caption("The reference study's own values (its Tables 5.2 and 5.3, normalised records)")
    study = appstate.reference_study_tables()
    given = study[["real", "generated"]].astype(object).where(study[["real", "generated"]].notna())
    st.dataframe(
        study.assign(**given.fillna("not given").astype(str)), hide_index=True, width="stretch"
    )
    if len(run.metrics) and "stats" in run.metrics:
        st.caption("Per epoch during training (the trainer's fixed batch)")
        stat = st.selectbox("Statistic", ["min", "max", "mean", "std", "skewness"], index=1)
        st.plotly_chart(vtrain.stats_figure(run.metrics, stat), width="stretch")
with tabs[6]:
    st.markdown(
        "The panel at every checkpoint picks the best epoch. Each takes a few seconds; "
        "computed panels are kept for this session."
    )
    epochs = [o for o in options if o != "best"]
    if not epochs:
        st.info("This run kept no per-epoch checkpoints (checkpoint_every = 0).")
    elif st.button("Compute the panel for every checkpoint"):
        history = []
        bar = st.progress(0.0)
        for k, epoch in enumerate(epochs):
            p, _g, _r, _m = compute(str(run.path), str(epoch), str(data_path), n_records)
            history.append({"epoch": epoch, **p.get("summary", {})})
            bar.progress((k + 1) / len(epochs), text=f"epoch {epoch}")
        figures["dashboard"] = veval.dashboard_figure(history)
        st.plotly_chart(figures["dashboard"], width="stretch")
        st.dataframe(pd.DataFrame(history), hide_index=True, width="stretch")
    if "val_score" in run.metrics:
        st.plotly_chart(vtrain.loss_overlay({run_name: run.metrics}, "val_score"), width="stretch")
with tabs[7]:
    st.markdown("Generated records with their provenance (run, epoch, conditions, seed):")
    cols = st.columns(len(EXPORT_FORMATS))
    for col, fmt in zip(cols, EXPORT_FORMATS, strict=True):
        data = export_bytes(str(run.path), which, str(data_path), n_records, fmt)
        n_generated = len(gen)
        col.download_button(
            appstate.export_button_label(fmt, n_generated, provenance.get("units", "cm/s²")),
            data,
            file_name=appstate.export_file_name(
                run_name, str(which), provenance.get("epoch"), fmt, n_generated
            ),
            key=f"dl_{fmt}",
        )
    fig_name = st.selectbox("Figure as PNG", list(figures))
    if st.button("Render PNG"):
        with st.spinner("Rendering with kaleido…"):
            try:
                png = figures[fig_name].to_image(format="png", width=1100)
            except Exception as exc:  # kaleido needs a Chromium; say so instead of failing
                st.error(f"PNG export needs kaleido with a Chromium: {exc}")
            else:
                st.download_button("Download PNG", png, file_name=f"{run_name}_{fig_name}.png")

"""Compare: generated against real, by the measures seismologists use; downloads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from seisgan_core import appstate
from seisgan_core.evaluation.export import EXPORT_FORMATS, export_samples
from seisgan_core.evaluation.scorecard import Scorecard
from seisgan_core.train.evaluation import evaluate_run, file_sha256, resolve_checkpoint
from seisgan_core.train.runs import list_runs
from seisgan_core.viz import evaluation as veval
from seisgan_core.viz import scorecard as vcard
from seisgan_core.viz import training as vtrain

roots = appstate.Roots.from_env()
st.title("Compare")
with st.expander("What am I looking at?"):
    st.markdown(
        "Generated records judged against real records the generator never saw (the val and "
        "test splits), in cm/s²: for each held-out record, records generated for its scenario. "
        "**Scorecard**: every measure over the whole band (0.1 Hz to Nyquist), per component, "
        "signed, beside the same measure for real training records against the same held-out "
        "records (real vs real), with what good looks like and a verdict. "
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


DT_S = 0.005  # 200 Hz, the prepared sets' rate


def _checkpoints(run_path) -> list:
    folder = run_path / "checkpoints"
    epochs = sorted(int(p.stem.split("_")[1]) for p in folder.glob("epoch_*.pt"))
    named = ["best", "last"] if (folder / "last.pt").is_file() else []
    if (folder / "best.pt").is_file() and not named:
        named = ["best"]
    return named + epochs


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
n_records = c3.slider(
    "Held-out scenarios",
    8,
    256,
    48,
    step=8,
    help="val and test records whose scenarios the generator is asked for (evenly spaced)",
)
data_path = appstate.resolve_data_path(run.config, roots)
if data_path is None or not (data_path / "waveforms.npy").is_file():
    st.error(f"The run's training set is not here: {run.config.get('data', {}).get('path')}")
    st.stop()


@st.cache_data(max_entries=8, show_spinner="Generating and computing the scorecard…")
def compute(run_path: str, epoch: str, data: str, n: int, ckpt_sha256: str, seed: int = 0):
    """evaluate_run, as `seisgan evaluate --run` (the cache key holds the checkpoint's hash)."""
    ev = evaluate_run(
        run_path,
        data,
        epoch,
        samples_per_scenario=1,
        max_scenarios=n,
        max_train=max(64, 2 * n),
        seed=seed,
        with_panel=True,
    )
    real = np.concatenate([ev.train, ev.heldout])  # the panel's real set, in its order
    meta = {
        **ev.provenance,
        "checkpoint_sha256": ev.checkpoint_sha256,
        "units": "cm/s2",
        "sampling_rate_hz": 1 / DT_S,
        "conditions": ev.heldout_table[["mw", "epicentral_distance_km"]].to_dict("records"),
    }
    return ev.panel, ev.scorecard.to_dict(), ev.generated, real, meta, ev.heldout, ev.heldout_table


@st.cache_data(max_entries=16, show_spinner=False)
def export_bytes(run_path: str, epoch: str, data: str, n: int, fmt: str) -> bytes:
    """The download's bytes, built once per run, epoch, set and format (not on every rerun)."""
    _panel, _card, generated, _real, meta, _held, _held_table = compute(
        run_path, epoch, data, n, _sha(run_path, epoch)
    )
    return export_samples(
        generated, fmt, dt=DT_S, provenance=meta, conditions=meta.get("conditions")
    )


def _sha(run_path: str, epoch: str) -> str:
    return file_sha256(resolve_checkpoint(run_path, epoch))


try:
    panel, card_dict, gen, real, provenance, heldout, heldout_table = compute(
        str(run.path), which, str(data_path), n_records, _sha(str(run.path), which)
    )
except (FileNotFoundError, ValueError) as exc:
    st.error(str(exc))
    st.stop()
card = Scorecard.from_dict(card_dict)

# The headline numbers, each with what good looks like (its threshold and the real-vs-real value)
# (scorecard line, label short enough for its column, what the number is)
HEADLINES = (
    ("frechet.spectral", "Spectral Fréchet", "Spectral Fréchet distance over 0.1-80 Hz"),
    ("psa_bias.geomean.0.05-3", "PSA bias (ln)", "PSA ln bias at the worst period of 0.05-3 s"),
    ("anderson.mean", "Anderson GOF", "Anderson (2004) goodness of fit, 0-10, mean"),
    (
        "memorisation.ratio",
        "Memorisation",
        "Memorisation ratio: distance to the nearest training record, generated over unseen",
    ),
)
cols = st.columns(len(HEADLINES) + 1)
cols[0].metric(
    "Lines failed",
    f"{card.n_failed} / {card.n_measured}",
    help="Scorecard lines failed, of those measured. Good: 0. Real held-out records against "
    "real training records fail none.",
)
for col, (key, label, what) in zip(cols[1:], HEADLINES, strict=True):
    line = card.line(key)
    col.metric(
        label,
        appstate.format_number(line.generated),
        help=f"{what}. Good: {line.good}. "
        f"Real vs real: {appstate.format_number(line.real_vs_real)}.",
    )
    col.caption(
        f"{'pass' if line.passed else 'FAIL'} · good: {line.good} · real vs real "
        f"{appstate.format_number(line.real_vs_real)}"
    )


def show_bin(table: pd.DataFrame, held: np.ndarray, conditioned: bool) -> None:
    """Real against generated in one chosen Mw and R_epi bin (the same bin on both sides):
    row i of ``table`` is held-out record ``held[i]`` and the scenario generated record i was
    made for."""
    from seisgan_core import evaluation as ev
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
        for name, x in (("real", held), ("generated", gen))
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
    [
        "Scorecard",
        "Side by side",
        "By scenario bin",
        "Spectra",
        "Ground-motion model",
        "Intensity",
        "Statistics",
        "Across epochs",
        "Download",
    ]
)
with tabs[0]:
    st.caption(
        f"{card.counts.get('generated')} generated records for {card.counts.get('heldout')} "
        f"held-out scenarios of {provenance.get('checkpoint')} (epoch {provenance.get('epoch')}); "
        f"real vs real: {card.counts.get('train')} training records against the same held-out "
        "records. 'ours' marks a threshold the project set where issue 12 gives none."
    )
    st.dataframe(
        card.table(),
        hide_index=True,
        width="stretch",
        column_config={  # three significant figures, as the headline numbers
            c: st.column_config.NumberColumn(c, format="%.3g")
            for c in ("generated", "real vs real")
        },
    )
    figures["psa_bias"] = vcard.psa_bias_figure(card_dict)
    st.plotly_chart(figures["psa_bias"], width="stretch")
    figures["fas_bands"] = vcard.fas_band_figure(card_dict)
    st.plotly_chart(figures["fas_bands"], width="stretch")
with tabs[1]:
    nearest = panel.get("nearest_real", {}).get("nearest_real_row")
    i = st.slider("Generated record", 1, gen.shape[0], 1) - 1
    j = nearest[i] if nearest else i
    fig = veval.waveform_figure(
        gen[i], real[j], DT_S, titles=(f"nearest real (#{j + 1})", f"generated #{i + 1}")
    )
    figures["side_by_side"] = fig
    st.plotly_chart(fig, width="stretch")
    near = panel.get("nearest_real", {})
    st.caption(
        f"Median distance to the nearest real training record: "
        f"{appstate.format_number(near.get('median_distance'))} for generated records, "
        f"{appstate.format_number(near.get('baseline_median_distance'))} for unseen real records."
    )
with tabs[2]:
    show_bin(heldout_table, heldout, bool(run.conditions))
with tabs[3]:
    spectral = {
        "fas": veval.fas_figure,
        "psa": veval.psa_figure,
        "psd": veval.psd_figure,
        "envelopes": veval.envelope_figure,
    }
    for key, builder in spectral.items():
        figures[key] = builder(panel)
        st.plotly_chart(figures[key], width="stretch")
with tabs[4]:
    if "imts" in panel.get("gmm", {}):
        for imt in ("PGA", "SA(1.0)"):
            figures[f"gmm_{imt}"] = veval.gmm_distance_figure(
                panel, imt=imt, distance_title=veval.gmm_distance_title(heldout_table)
            )
            st.plotly_chart(figures[f"gmm_{imt}"], width="stretch")
    else:
        st.info(f"No ground-motion comparison: {panel.get('gmm', {}).get('skipped', 'no inputs')}")
with tabs[5]:
    figures["intensity"] = veval.distributions_figure(panel)
    st.plotly_chart(figures["intensity"], width="stretch")
with tabs[6]:
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
with tabs[7]:
    st.markdown(
        "The panel at every checkpoint picks the best epoch. Each takes a few seconds; "
        "computed panels are kept for this session."
    )
    epochs = [o for o in options if o not in ("best", "last")]
    if not epochs:
        st.info("This run kept no per-epoch checkpoints (checkpoint_every = 0).")
    elif st.button("Compute the panel for every checkpoint"):
        history = []
        bar = st.progress(0.0)
        for k, epoch in enumerate(epochs):
            p, c, *_ = compute(
                str(run.path),
                str(epoch),
                str(data_path),
                n_records,
                _sha(str(run.path), str(epoch)),
            )
            history.append(
                {
                    "epoch": epoch,
                    "scorecard_score": c["validation_score"],
                    "lines_failed": c["n_failed"],
                    **p.get("summary", {}),
                }
            )
            bar.progress((k + 1) / len(epochs), text=f"epoch {epoch}")
        figures["dashboard"] = veval.dashboard_figure(history)
        st.plotly_chart(figures["dashboard"], width="stretch")
        st.dataframe(pd.DataFrame(history), hide_index=True, width="stretch")
    if "val_score" in run.metrics:
        st.plotly_chart(vtrain.loss_overlay({run_name: run.metrics}, "val_score"), width="stretch")
with tabs[8]:
    st.markdown("Generated records with their provenance (run, epoch, conditions, seed):")
    cols = st.columns(2)  # two a row: each button's label (format, count, units) shows whole
    for k, fmt in enumerate(EXPORT_FORMATS):
        col = cols[k % 2]
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

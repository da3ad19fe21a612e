"""Samples: fixed-noise samples across epochs (slider and play), conditional generation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from seisgan_core import appstate, evaluation, scenarios
from seisgan_core.train.runs import list_runs, load_run
from seisgan_core.viz import records as vrecords
from seisgan_core.viz import training as vtrain

roots = appstate.Roots.from_env()
st.title("Samples")
with st.expander("What am I looking at?"):
    st.markdown(
        "Every epoch the trainer feeds the generator the **same noise** (and the same "
        "scenarios) and saves what comes out, so moving the slider shows one generator learning: "
        "from noise, through look-alike waveforms (watch for **mode collapse**: all samples the "
        "same), to records with a P and an S arrival and a decaying coda. The values are "
        "**normalised** (each component divided by its own standard deviation, as the network "
        "sees them). A **conditional** run also takes a scenario: set magnitude, distance, depth "
        "and Vs30 and it generates new records in cm/s², whose peak ground acceleration (PGA) is "
        "placed against BSSA14, a ground-motion model (Boore et al. 2014) that predicts PGA from "
        "the same scenario."
    )


runs, damaged = appstate.damaged_runs(list_runs(roots.models))
for line in damaged:  # shown, not opened: the other runs stay usable
    st.warning(f"Damaged run (left out) {line}")
runs = [r for r in runs if r.sample_epochs]
if not runs:
    st.info("No run has saved samples yet: start one on the Train page.")
    st.stop()
names = [r.path.name for r in runs]
run_name = st.selectbox(
    "Run", names, index=appstate.choose_index(names, st.query_params.get("run"))
)
st.query_params["run"] = run_name
run = runs[names.index(run_name)]
epochs = list(run.sample_epochs)

requested = st.query_params.get("epoch")
if "epoch" not in st.session_state or st.session_state.get("epoch_run") != run_name:
    st.session_state["epoch_run"] = run_name
    st.session_state["epoch"] = (
        int(requested)
        if requested and requested.isdigit() and int(requested) in epochs
        else epochs[-1]
    )
    st.session_state["playing"] = False


def _toggle_play() -> None:
    # A callback runs before the rerun, so the button's label and the fragment's timer
    # already see the new state.
    st.session_state["playing"] = not st.session_state["playing"]
    if st.session_state["playing"] and st.session_state["epoch"] == epochs[-1]:
        st.session_state["epoch"] = epochs[0]


c_play, c_n = st.columns([1, 3])
c_play.button("⏸ Pause" if st.session_state["playing"] else "▶ Play", on_click=_toggle_play)
n_show = c_n.slider("Samples shown", 1, 6, 3)


def show_epoch() -> None:
    if st.session_state["playing"]:
        position = epochs.index(st.session_state["epoch"])
        if position + 1 < len(epochs):
            st.session_state["epoch"] = epochs[position + 1]
        else:  # the end: stop the timer and turn the button back into Play
            st.session_state["playing"] = False
            st.rerun(scope="app")
    if len(epochs) > 1:
        st.select_slider("Epoch", options=epochs, key="epoch")
    epoch = st.session_state["epoch"]
    st.query_params["epoch"] = str(epoch)
    st.plotly_chart(
        vtrain.samples_figure(
            run.samples(epoch), max_samples=n_show, title=f"{run_name}, epoch {epoch}"
        ),
        width="stretch",
    )


st.fragment(run_every=1.0 if st.session_state["playing"] else None)(show_epoch)()

conditions = list((run.config or {}).get("conditions") or [])
st.subheader("Generate for a scenario")
if not conditions:
    st.info(
        f"{run_name} is unconditional (the study's model): it generates without a scenario. "
        "Train the `conditional` preset to set magnitude, distance, depth and Vs30."
    )
    st.stop()
ranges = scenarios.training_ranges_of(run.config or {}, roots.project)


def scenario_slider(col, key: str, label: str, lo: float, hi: float, default: float, step):
    """A slider over the physical range, its label naming the training data's range."""
    trained = ranges.get(key)
    if trained is not None:
        label += (
            f" · trained {scenarios.plain_number(trained[0])}–{scenarios.plain_number(trained[1])}"
        )
        default = min(max(default, trained[0]), trained[1])
    return col.slider(
        label,
        lo,
        hi,
        float(round(default / step) * step),
        step,
        help="The generator has seen records only inside the training range: beyond it, it "
        "extrapolates.",
    )


c1, c2, c3, c4 = st.columns(4)
mw = scenario_slider(c1, "mw", "Mw", 3.0, 8.0, 5.5, 0.1)
distance_km = scenario_slider(c2, "distance_km", "R_epi (km)", 1.0, 300.0, 30.0, 1.0)
depth_km = scenario_slider(c3, "depth_km", "Depth (km)", 1.0, 60.0, 10.0, 1.0)
vs30 = scenario_slider(c4, "vs30_m_s", "Vs30 (m/s)", 150.0, 1500.0, 450.0, 10.0)
beyond = scenarios.outside(
    {"mw": mw, "distance_km": distance_km, "depth_km": depth_km, "vs30_m_s": vs30}, ranges
)
if beyond:
    st.warning("Extrapolation: " + "; ".join(beyond) + ". Read what follows with care.")
elif not ranges:
    st.caption("The training set of this run is not on this machine: its range is unknown.")
n_new = st.slider("Samples", 1, 16, 4)
# Physical values; the run normalises them as it did in training (log10 of the distance).
scenario = {"mw": mw, "distance_km": distance_km, "depth_km": depth_km, "vs30_m_s": vs30}
checkpoints = sorted((run.path / "checkpoints").glob("epoch_*.pt"))
options = ["best"] + [int(p.stem.split("_")[1]) for p in checkpoints]
which = st.selectbox(
    "Checkpoint", options, help="best.pt is chosen by the trainer's validation score"
)


@st.cache_resource(max_entries=2)
def loaded_run(path: str):
    return load_run(path)


@st.cache_data(max_entries=32, show_spinner="Generating…")
def generate(path: str, n: int, scenario_items: tuple, epoch: int | None):
    result = loaded_run(path).generate_samples(
        n, conditions=dict(scenario_items), epoch=epoch, seed=0, units="cm/s2"
    )
    return result.waveforms, result.epoch


try:
    generated, used_epoch = generate(
        str(run.path), n_new, tuple(sorted(scenario.items())), None if which == "best" else which
    )
except FileNotFoundError as exc:
    st.info(f"No checkpoint to generate from yet: {exc}")
    st.stop()
st.plotly_chart(
    vtrain.samples_figure(
        generated,
        max_samples=4,
        units="cm/s²",
        title=f"Epoch {used_epoch}: Mw {mw:.1f}, {distance_km:.0f} km, depth {depth_km:.0f} km, "
        f"Vs30 {vs30:.0f} m/s",
    ),
    width="stretch",
)

# BSSA14 (Boore et al. 2014) with its Italy adjustment, through the evaluation library; it
# predicts RotD50 from R_JB, approached here by the geometric mean of the two horizontals and
# R_JB ~ max(R_epi - L/2, 0) (viz.records: Wells and Coppersmith 1994).
rjb_km = float(
    vrecords.with_distances(
        pd.DataFrame(
            {"epicentral_distance_km": [distance_km], "event_depth_km": [depth_km], "mw": [mw]}
        )
    )["rjb_km"].iloc[0]
)
pga = evaluation.pga(generated)  # (n, 3) cm/s²
pga_h = np.sqrt(pga[:, 0] * pga[:, 1])
# BSSA14 is valid to 300 km (Rjb); logspace can overshoot 300 by a rounding error
distances = np.minimum(np.logspace(0.0, np.log10(300.0), 40), 300.0)
curve = evaluation.gmm_residuals(
    pd.DataFrame({"event_id": "scenario", "mw": mw, "vs30_m_s": vs30, "rjb_km": distances}),
    "PGA",
    observed=np.ones_like(distances),
)
residuals = evaluation.gmm_residuals(
    pd.DataFrame(
        {"event_id": "scenario", "mw": np.full(len(pga_h), mw), "vs30_m_s": vs30, "rjb_km": rjb_km}
    ),
    "PGA",
    observed=pga_h,
)
c1, c2 = st.columns([3, 1])
c1.plotly_chart(
    vtrain.pga_against_gmm(
        np.full(len(pga_h), max(rjb_km, 1.0)),
        pga_h,
        gmm_distance_km=distances,
        gmm_median_cm_s2=curve["median"].to_numpy(),
        gmm_sigma_ln=curve["sigma"].to_numpy(),
        label="generated (geometric mean of E, N)",
    ).update_xaxes(title_text="R_JB (km)"),
    width="stretch",
)
c2.metric(
    "BSSA14 PGA (cm/s²)",
    appstate.format_number(residuals["median"].iloc[0]),
    help="BSSA14's median PGA (Italy adjustment) for this scenario, at the R_JB below",
)
c2.metric(
    "Mean ln residual",
    f"{residuals['total'].mean():+.2f}",
    help="ln(generated PGA / BSSA14 median), mean over the samples",
)
c2.metric(
    "Residual in σ",
    f"{residuals['normalised'].mean():+.2f}",
    help="The mean residual in units of BSSA14's total sigma",
)
st.caption(
    f"BSSA14 takes R_JB: {rjb_km:.3g} km here, max(R_epi − L/2, 0) with the rupture length L "
    "of Wells and Coppersmith (1994); the generator is conditioned on R_epi."
)


@st.cache_data(max_entries=32, show_spinner=False)
def scenario_spectrum(mw: float, rjb: float, vs30: float) -> tuple:
    periods = np.logspace(np.log10(0.02), 1.0, 24)
    return (periods, *scenarios.gmm_spectrum(mw, rjb, vs30, periods))


periods, gmm_median, gmm_sigma = scenario_spectrum(mw, rjb_km, vs30)
rotd50 = evaluation.rotd50(generated[:, 0], generated[:, 1], 0.005, periods)
st.plotly_chart(
    vtrain.psa_against_gmm(
        periods,
        rotd50,
        gmm_median_cm_s2=gmm_median,
        gmm_sigma_ln=gmm_sigma,
        label="generated RotD50",
    ),
    width="stretch",
)

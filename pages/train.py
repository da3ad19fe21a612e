"""Train: presets and a form, start/stop/resume a background run, follow it live, compare runs."""

from __future__ import annotations

import time

import streamlit as st

from seisgan_core import appstate, jobs
from seisgan_core.fsutil import atomic_write_json
from seisgan_core.nn.presets import CONDITION_NAMES, get_preset, preset_names
from seisgan_core.train.runs import list_runs, load_run
from seisgan_core.viz import training as vtrain

roots = appstate.Roots.from_env()
st.title("Train")
with st.expander("What am I looking at?"):
    st.markdown(
        "A **WGAN-GP** trains two networks against each other: the **generator** turns random "
        "noise (and, for conditional runs, a scenario: magnitude, distance, depth, Vs30) into "
        "three-component accelerograms; the **critic** scores how real a waveform looks. The "
        "**Wasserstein estimate** is the critic's gap between real and generated: it should "
        "shrink as the generator improves. The **gradient penalty** keeps the critic smooth "
        "(Gulrajani et al. 2017). Training runs as its own process: you can close the browser, "
        "stop a run (it saves a checkpoint) and resume it later. The presets are the reference "
        "study's Runs 1-3, our `conditional` model and a small `demo` that trains on a laptop."
    )


APP_DIR = roots.models / ".app"  # logs and the form's presets of runs the app started


def _log_path(run_name: str):
    return APP_DIR / run_name / "train.log"


def _start(run_name: str, data_dir, preset_arg: str, *, resume: bool) -> None:
    argv = jobs.cli_argv(
        "train",
        "--data",
        str(data_dir),
        "--preset",
        preset_arg,
        "--out",
        str(roots.models / run_name),
    )
    if resume:
        argv.append("--resume")
    job = jobs.start_job(argv, log_path=_log_path(run_name), cwd=roots.project)
    st.session_state["started"] = (run_name, job.pid)


# --- start a run ------------------------------------------------------------------------------
prepared = appstate.discover_prepared(roots.processed)
with st.expander("Start a new run", expanded=not list_runs(roots.models)):
    if not prepared:
        st.info("No prepared set under data/processed/: prepare one on the Prepare page first.")
    else:
        presets = preset_names()
        c1, c2 = st.columns(2)
        preset = c1.selectbox(
            "Preset",
            presets,
            index=appstate.choose_index(presets, "demo"),
            help="study_run1-3: the study's runs; conditional: ours; demo: small and fast",
        )
        data_names = [p.name for p in prepared]
        data_name = c2.selectbox("Training set", data_names)
        values = get_preset(preset)
        with st.form("train_form"):
            # The default name is fixed once per preset: a default that changed every second
            # would make Streamlit see a new widget on each rerun and drop what was typed.
            default_name = st.session_state.setdefault(
                f"default_run_name_{preset}", f"{preset}-{time.strftime('%Y%m%d-%H%M%S')}"
            )
            run_name = st.text_input(
                "Run name",
                value=default_name,
                help="Letters, digits, '.', '_' and '-' (anything else becomes '-').",
            )
            typed: dict[str, object] = {}
            cols = st.columns(3)
            for i, (name, default) in enumerate(values.items()):
                help_text = appstate.HYPERPARAMETER_HELP.get(name, "")
                with cols[i % 3]:
                    if name == "conditions":
                        typed[name] = st.multiselect(
                            name, list(CONDITION_NAMES), default=list(default)
                        )
                    else:
                        typed[name] = st.text_input(name, appstate.format_value(default))
                    st.caption(help_text)
            submitted = st.form_submit_button("Start training", type="primary")
        if submitted:
            try:
                safe_name = appstate.sanitize_run_name(run_name)
                chosen = {
                    name: (
                        tuple(typed[name])
                        if name == "conditions"
                        else appstate.parse_value(typed[name], default, name=name)
                    )
                    for name, default in values.items()
                }
            except ValueError as exc:
                st.error(str(exc))
            else:
                out = roots.models / safe_name
                previous = jobs.read_job(_log_path(safe_name))
                if previous is not None and jobs.is_alive(previous.pid, previous.create_time):
                    st.error(f"Run {safe_name} is already running (pid {previous.pid}).")
                elif (out / "config.json").exists() and load_run(out).alive:
                    st.error(
                        f"Run {safe_name} is already running (pid {load_run(out).status['pid']})."
                    )
                elif (out / "config.json").exists():
                    st.error(f"A run named {safe_name} exists: resume it below or pick a new name.")
                else:
                    # The form's values as a preset file (the trainer accepts a JSON path); its
                    # name is what config.json records as the preset.
                    edited = chosen != {
                        k: appstate.parse_value(appstate.format_value(v), v)
                        if k != "conditions"
                        else tuple(v)
                        for k, v in values.items()
                    }
                    label = f"{preset}-edited" if edited else preset
                    preset_file = APP_DIR / safe_name / f"{label}.json"
                    atomic_write_json(preset_file, chosen)
                    _start(safe_name, roots.processed / data_name, str(preset_file), resume=False)
                    st.session_state["follow"] = safe_name
                    st.query_params["run"] = safe_name

# --- a run just started: wait for the trainer to write its run folder ------------------------
pending = st.session_state.get("started")
if pending and not (roots.models / pending[0] / "config.json").is_file():

    @st.fragment(run_every=1.0)
    def wait_for_start() -> None:
        name, pid = pending
        if (roots.models / name / "config.json").is_file():
            st.rerun(scope="app")
        lines = jobs.tail_lines(_log_path(name), 12)
        if jobs.is_alive(pid):
            st.info(f"Starting {name} (pid {pid})…")
        else:
            st.session_state.pop("started", None)
            st.error(f"{name} ended before it began training. Its last log lines:")
        st.code("\n".join(lines) or "(no output yet)")

    wait_for_start()

# --- runs ----------------------------------------------------------------------------------
runs = list_runs(roots.models)
if not runs:
    st.info("No runs yet.")
    st.stop()
table = appstate.runs_table(runs, alive=jobs.is_alive)
st.subheader("Runs")
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={
        "loss_critic": st.column_config.NumberColumn("critic loss", format="%.4g"),
        "loss_generator": st.column_config.NumberColumn("generator loss", format="%.4g"),
    },
)
names = table["run"].tolist()
run_name = st.selectbox(
    "Follow run",
    names,
    # a run just started from the form is followed as soon as it appears
    index=appstate.choose_index(
        names,
        st.session_state.pop("follow")
        if st.session_state.get("follow") in names
        else st.query_params.get("run"),
    ),
)
st.query_params["run"] = run_name
run_path = roots.models / run_name
state_now = table.set_index("run").loc[run_name, "state"]


def follow() -> None:
    run = load_run(run_path)
    status = dict(run.status or {})
    pid = int(status.get("pid") or 0)
    alive = jobs.is_alive(pid) if pid > 0 else None
    state = appstate.effective_state(status, alive)
    if state != state_now:  # started, stopped, finished or died: redraw the page with it
        st.rerun(scope="app")
    rows = run.metrics.to_dict("records") if run.metrics is not None else []
    progress = appstate.run_progress(status, rows)
    message = appstate.page_message(str(status.get("message") or ""))
    st.progress(
        progress["fraction"],
        text=f"{state}: {appstate.progress_text(progress)}" + (f" · {message}" if message else ""),
    )
    m1, m2, m3, m4 = st.columns(4)
    last = rows[-1] if rows else {}
    m1.metric("Wasserstein estimate", appstate.format_number(last.get("wasserstein")))
    m2.metric("Gradient penalty", appstate.format_number(last.get("gradient_penalty")))
    m3.metric("Samples per second", appstate.format_number(progress["samples_per_s"], ".1f"))
    m4.metric(
        "Time left",
        time.strftime("%H:%M:%S", time.gmtime(progress["seconds_left"]))
        if state == "running" and progress["seconds_left"] is not None
        else "–",
    )
    b1, b2, _ = st.columns([1, 1, 4])
    if state == "running" and b1.button("Stop training", key="stop"):
        with st.spinner("Stopping: the trainer saves a checkpoint first…"):
            stopped = jobs.stop_run(status, timeout_s=60)
        (st.success if stopped else st.error)(
            "Stopped." if stopped else f"pid {pid} did not stop within 60 s"
        )
        st.rerun(scope="app")
    if state in ("stopped", "failed") and b2.button("Resume training", key="resume"):
        data_dir = (run.config or {}).get("data", {}).get("path")
        preset_files = sorted((APP_DIR / run_name).glob("*.json"))
        preset_arg = str(preset_files[0]) if preset_files else run.config.get("preset", "demo")
        try:
            _start(run_name, data_dir, preset_arg, resume=True)
        except RuntimeError as exc:
            st.error(str(exc))
        st.rerun(scope="app")
    if state == "failed":
        log_lines = jobs.tail_lines(_log_path(run_name), 20)
        st.error("The training process ended without finishing. Its last log lines:")
        st.code("\n".join(log_lines) or status.get("message", "(no log)"))
    if rows:
        st.plotly_chart(vtrain.training_panel(run.metrics), width="stretch", key="panel")
        epochs = run.sample_epochs
        if epochs:
            st.plotly_chart(
                vtrain.samples_figure(
                    run.samples(epochs[-1]), title=f"Fixed-noise samples at epoch {epochs[-1]}"
                ),
                width="stretch",
                key="latest_samples",
            )


st.fragment(run_every=2.0 if state_now == "running" else None)(follow)()

st.subheader("Loss curves of several runs")
chosen = st.multiselect("Runs", names, default=names[: min(3, len(names))])
metric = st.selectbox("Quantity", list(vtrain.PANEL_COLUMNS), format_func=vtrain.PANEL_COLUMNS.get)
smooth = st.slider("Moving mean over epochs", 1, 20, 1)
curves = {name: load_run(roots.models / name).metrics for name in chosen}
st.plotly_chart(vtrain.loss_overlay(curves, metric, smooth=smooth), width="stretch")

"""`seisgan evaluate` and `seisgan export`.

``evaluate`` computes the whole panel (seisgan_core.evaluation.panel) for generated records
against a prepared set and writes ``metrics.json`` and the figures; a second call with the
same run, epoch, samples and data returns at once from that file (the cache key is stored in
it). ``export`` writes records to ASDF, miniSEED, SAC or CSV with their provenance.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from seisgan_core.commands.options import add_command, add_common
from seisgan_core.commands.progress_bar import progress_bar

#: Prepared sets are 200 Hz (docs/contracts.md, section 2).
PREPARED_DT_S = 0.005

#: Figures written by `seisgan evaluate`, file stem -> builder in seisgan_core.viz.evaluation.
FIGURES = (
    ("fas", "fas_figure", {}),
    ("psa", "psa_figure", {}),
    ("psd", "psd_figure", {}),
    ("envelopes", "envelope_figure", {}),
    ("statistics", "statistics_table", {}),
    ("distributions", "distributions_figure", {}),
    ("gmm_pga", "gmm_distance_figure", {"imt": "PGA"}),
    ("gmm_sa_1s", "gmm_distance_figure", {"imt": "SA(1.0)"}),
)


def register(subparsers) -> None:
    """Add ``evaluate`` and ``export``."""
    _register_evaluate(subparsers)
    _register_export(subparsers)


def _register_evaluate(subparsers) -> None:
    ev = add_command(subparsers, "evaluate", run_evaluate)
    source = ev.add_mutually_exclusive_group(required=True)
    add_common(source, "--run", "a training run (its checkpoint)", metavar="models/RUN")
    source.add_argument(
        "--generated",
        metavar="FILE.npy",
        help="an array (N, 3, n_samples) in cm/s^2; a FILE.json beside it (as `seisgan "
        "generate` writes) gives units and conditions",
    )
    ev.add_argument(
        "--checkpoint",
        default="best",
        help="checkpoint of --run: best (default; the trainer's choice by the scorecard's "
        "validation score), last, or an epoch number",
    )
    add_common(ev, "--epoch", "same as --checkpoint EPOCH")
    ev.add_argument(
        "--per-scenario",
        type=int,
        default=2,
        dest="per_scenario",
        help="records generated per held-out scenario with --run (default 2)",
    )
    ev.add_argument(
        "--max-scenarios",
        type=int,
        dest="max_scenarios",
        help="held-out (val and test) records used as scenarios (default: all)",
    )
    add_common(
        ev,
        "--n",
        "with --run: N records, one for each of N held-out scenarios (the same as "
        "--max-scenarios N --per-scenario 1)",
    )
    ev.add_argument(
        "--normalised",
        action="store_true",
        help="--generated holds z-scored samples: undo with the real records' mean and std "
        "(in order, cycled)",
    )
    add_common(ev, "--data", "prepared set (seisgan prepare)", metavar="DIR")
    add_common(ev, "--out", "folder for metrics.json, figures", metavar="DIR")
    add_common(ev, "--seed", "seed of generation and classifiers")
    ev.add_argument("--no-figures", action="store_true", help="metrics.json only")
    add_common(
        ev,
        "--force",
        "recompute even when cached, and write into --out even if it is not an earlier "
        "evaluation (never an input)",
    )
    add_common(ev, "--quiet", "no progress bar")


def _register_export(subparsers) -> None:
    ex = add_command(subparsers, "export", run_export)
    ex_source = ex.add_mutually_exclusive_group(required=True)
    add_common(ex_source, "--run", metavar="models/RUN")
    ex_source.add_argument("--generated", metavar="FILE.npy")
    add_common(ex, "--epoch", "checkpoint epoch of --run (default: best.pt, else last.pt)")
    add_common(ex, "--n", "records to generate with --run", default=16)
    add_common(ex, "--seed")
    ex.add_argument("--format", required=True, choices=("asdf", "mseed", "sac", "csv", "seisbench"))
    ex.add_argument("--dt", type=float, default=0.005, help="time step of --generated (s)")
    add_common(
        ex,
        "--out",
        "output file (seisbench: folder); replaces only an earlier export unless --force",
        metavar="FILE",
    )
    add_common(ex, "--force", "replace --out even if export did not write it")


def _stat_key(path: Path) -> list:
    st = path.stat()
    return [str(path.resolve()), st.st_size, st.st_mtime_ns]


def _generation_args(args: argparse.Namespace) -> tuple[int, int | None]:
    """(records per scenario, held-out scenarios) of --run: --n N means (1, N)."""
    if args.n is not None:
        return 1, args.n
    return args.per_scenario, args.max_scenarios


def _checkpoint_arg(args: argparse.Namespace) -> str:
    return str(args.epoch) if args.epoch is not None else str(args.checkpoint)


def cache_key(args: argparse.Namespace) -> str:
    """What the panel depends on: panel version, data manifest, samples or checkpoint, options.

    Only the standard library here, so a cached call answers before NumPy is imported.
    """
    from seisgan_core.evaluation._version import PANEL_VERSION
    from seisgan_core.train.evaluation import file_sha256

    data = Path(args.data)
    parts: dict = {
        "panel_version": PANEL_VERSION,
        "data_manifest_sha256": file_sha256(data / "manifest.json"),
        "seed": args.seed,
        "figures": not args.no_figures,
    }
    if args.run:
        from seisgan_core.train.evaluation import resolve_checkpoint

        ckpt = resolve_checkpoint(args.run, _checkpoint_arg(args))
        parts["run"] = str(Path(args.run).resolve())
        # the checkpoint file actually used, by content: a new best.pt is a new evaluation
        parts["checkpoint_sha256"] = file_sha256(ckpt)
        parts["per_scenario"], parts["max_scenarios"] = _generation_args(args)
    else:
        gen = Path(args.generated)
        parts["generated"] = _stat_key(gen)
        sidecar = gen.with_suffix(".json")
        parts["sidecar"] = _stat_key(sidecar) if sidecar.exists() else None
        parts["normalised"] = args.normalised
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _cached(out: Path, key: str) -> dict | None:
    path = out / "metrics.json"
    if not path.exists():
        return None
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    if metrics.get("cache_key") != key or not (out / "scorecard.json").exists():
        return None  # another evaluation, or one from before the scorecard
    for name in metrics.get("figures", {}).get("files", []):
        if not (out / name).exists():
            return None
    return metrics


def _conditions_table(conditions: list[dict]):
    """Scenario dicts (mw, distance_km, depth_km, vs30_m_s) -> a table the panel reads."""
    import pandas as pd

    table = pd.DataFrame(conditions)
    if "distance_km" in table and "epicentral_distance_km" not in table:
        table = table.rename(columns={"distance_km": "epicentral_distance_km"})
    return table


def _real_set(data_dir: Path):
    """Real records (cm/s^2, float32, in row order, read on demand), their table and noise.

    Records and noise windows are :class:`~seisgan_core.preparation.DenormalisedRows` over the
    memory-mapped prepared arrays: nothing is read until the panel asks for a chunk, so memory
    does not grow with the size of the prepared set.
    """
    from seisgan_core.preparation import load_prepared

    prepared = load_prepared(data_dir)
    table = prepared.records.sort_values("row").reset_index(drop=True)
    return prepared, prepared.cm_s2_rows(), table, prepared.noise_cm_s2_rows()


def _generated_from_file(args, real_table):
    import numpy as np

    from seisgan_core.preparation import open_npy  # the header is checked before any read

    path = Path(args.generated)
    gen = open_npy(path)
    if gen.ndim != 3 or gen.shape[1] != 3:
        from seisgan_core.io.errors import FormatError

        raise FormatError(path, None, "an array of shape (N, 3, n_samples)", f"shape {gen.shape}")
    sidecar = path.with_suffix(".json")
    meta = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.exists() else {}
    normalised = args.normalised or meta.get("units") == "normalised"
    gen = np.asarray(gen, dtype=np.float32)
    if normalised:
        rows = [i % len(real_table) for i in range(gen.shape[0])]
        std = real_table.iloc[rows][["std_e", "std_n", "std_z"]].to_numpy(np.float32)
        mean = real_table.iloc[rows][["mean_e", "mean_n", "mean_z"]].to_numpy(np.float32)
        gen = gen * std[:, :, None] + mean[:, :, None]
    gen_table = None
    conditions = meta.get("conditions") or []
    if conditions and len(conditions) == gen.shape[0] and all(conditions):
        table = _conditions_table(conditions)
        if {"mw", "epicentral_distance_km"} <= set(table):
            if "vs30_m_s" not in table:
                rows = [i % len(real_table) for i in range(gen.shape[0])]
                table["vs30_m_s"] = real_table.iloc[rows]["vs30_m_s"].to_numpy()
            gen_table = table
    provenance = {"generated": str(path), "run": meta.get("run"), "epoch": meta.get("epoch"),
                  "normalised_input": normalised}  # fmt: skip
    return gen, gen_table, provenance


def _carry_over(out: Path, tmp: Path) -> None:
    """Link every entry of ``out`` that `seisgan evaluate` does not write into ``tmp``."""
    import os
    import shutil

    if not out.is_dir():
        return
    ours = {"metrics.json", "scorecard.json", "figures.html", "waveforms.png"}
    ours |= {f"{stem}.png" for stem, _, _ in FIGURES}
    for entry in out.iterdir():
        if entry.name in ours or entry.name.endswith(".tmp.png"):
            continue
        target = tmp / entry.name
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, target, symlinks=True, copy_function=os.link)
        else:
            try:
                os.link(entry, target, follow_symlinks=False)
            except OSError:  # another file system, or links not allowed: copy
                shutil.copy2(entry, target, follow_symlinks=False)


def write_figures(panel: dict, out: Path, waveforms=None) -> dict:
    """PNG figures through kaleido (one browser for all); a self-contained HTML otherwise.

    ``waveforms``: optional (generated_record, real_record, dt) for a side-by-side figure.
    Returns ``{"format": "png"|"html", "files": [...], "note": ...}``; never raises for a
    missing browser.
    """
    import plotly.io as pio

    from seisgan_core.fsutil import atomic_write
    from seisgan_core.viz import evaluation as viz

    figures = {}
    for stem, builder, kwargs in FIGURES:
        figures[stem] = getattr(viz, builder)(panel, **kwargs)
    if waveforms is not None:
        figures["waveforms"] = viz.waveform_figure(*waveforms)
    out.mkdir(parents=True, exist_ok=True)
    files = [f"{stem}.png" for stem in figures]
    tmp_paths = [out / f".{name}.tmp.png" for name in files]
    try:
        pio.write_images(list(figures.values()), [str(p) for p in tmp_paths], width=1100,
                         height=None, scale=1)  # fmt: skip
        for tmp, name in zip(tmp_paths, files, strict=True):
            tmp.replace(out / name)
        return {"format": "png", "files": files}
    except Exception as exc:  # kaleido needs a Chrome/Chromium; where there is none, HTML
        for tmp in tmp_paths:
            tmp.unlink(missing_ok=True)
        parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'>"
                 "<title>SeisGAN evaluation</title></head><body>"]  # fmt: skip
        for i, fig in enumerate(figures.values()):
            parts.append(fig.to_html(full_html=False, include_plotlyjs=i == 0))
        parts.append("</body></html>")
        with atomic_write(out / "figures.html", "w", encoding="utf-8") as fh:
            fh.write("\n".join(parts))
        note = f"PNG export failed ({type(exc).__name__}: {str(exc)[:200]}); wrote figures.html"
        return {"format": "html", "files": ["figures.html"], "note": note}


def _exit_code(command: str, run, args: argparse.Namespace) -> int:
    """``run(args)``'s exit code; the project's errors and OS errors (a full disk, a read-only
    folder) exit 1 with ``seisgan COMMAND: message`` on stderr."""
    from seisgan_core.errors import SeisganError

    try:
        return run(args)
    except (SeisganError, OSError) as exc:
        print(f"seisgan {command}: {exc}", file=sys.stderr)
        return 1


def run_evaluate(args: argparse.Namespace) -> int:
    """judge generated records against a prepared set: metrics.json and figures

    Compute the evaluation panel (study statistics, FAS, PSD, PSA and RotD50, PGA, PGV, Arias,
    CAV, D5-95, envelopes, BSSA14 Italy residuals, Frechet distances with the real-vs-real
    baseline, nearest real record and memorisation ratio, downstream classifiers) for
    generated records against the prepared set in --data, and write OUT/metrics.json and the
    figures (PNG through kaleido, or one self-contained HTML file where no browser is found).
    Cached by run, epoch, samples and data.
    """
    # exit 0 on success, 1 on bad input (message on stderr), 2 on usage
    return _exit_code("evaluate", _run_evaluate, args)


def _run_evaluate(args: argparse.Namespace) -> int:
    from seisgan_core.fsutil import check_output
    from seisgan_core.train.evaluation import file_sha256

    # --out is never an input, nor (without --force) a folder evaluate did not write
    inputs = [args.data, *filter(None, (args.run, args.generated))]
    check_output(args.out, "evaluate", inputs, force=args.force)  # OutputRefusedError
    out = Path(args.out)
    data = Path(args.data)
    if not (data / "manifest.json").exists():
        print(f"seisgan evaluate: {data} is not a prepared set (no manifest.json)", file=sys.stderr)
        return 2
    key = cache_key(args)
    if not args.force:
        cached = _cached(out, key)
        if cached is not None:
            print(f"cached: {out / 'metrics.json'}")
            _print_summary(cached)
            return 0
    with progress_bar("evaluate", quiet=args.quiet) as progress:
        if args.run:
            panel, card, pair = _evaluate_run(args, data, progress)
        else:
            result = _evaluate_file(args, data, progress)
            if result is None:
                return 2
            panel, card, pair = result
    panel["data"] = {"path": str(data), "manifest_sha256": file_sha256(data / "manifest.json")}
    panel["cache_key"] = key
    panel["scorecard"] = card.to_dict()
    _write_outputs(args, out, panel, pair)
    _print_summary(panel)
    return 0


def _evaluate_run(args, data: Path, progress):
    """--run: :func:`seisgan_core.train.evaluation.evaluate_run`, as the Compare page."""
    from seisgan_core.train.evaluation import evaluate_run

    per_scenario, max_scenarios = _generation_args(args)
    ev = evaluate_run(
        args.run,
        data,
        _checkpoint_arg(args),
        samples_per_scenario=per_scenario,
        max_scenarios=max_scenarios,
        seed=args.seed,
        with_panel=True,
        progress=progress,
    )
    panel = ev.panel
    panel["source"] = {**ev.provenance, "checkpoint_sha256": ev.checkpoint_sha256}
    # the nearest real record is a training record: rows of the panel's real set, whose
    # training records come first
    nearest = panel["nearest_real"].get("nearest_real_row") or [0]
    return panel, ev.scorecard, (ev.generated[0], ev.train[nearest[0]], PREPARED_DT_S)


def _evaluate_file(args, data: Path, progress):
    """--generated FILE.npy: the panel against the whole prepared set, and the scorecard
    against the held-out (val and test) records, paired by nearest scenario."""
    import numpy as np

    from seisgan_core.evaluation.panel import evaluate
    from seisgan_core.evaluation.scorecard import build_scorecard

    prepared, real, table, noise = _real_set(data)
    generated, gen_table, provenance = _generated_from_file(args, table)
    if generated.shape[2] != real.shape[2]:
        print(
            f"seisgan evaluate: generated records have {generated.shape[2]} samples, the "
            f"prepared set {real.shape[2]}",
            file=sys.stderr,
        )
        return None
    dt = PREPARED_DT_S
    real_cond = table[[c for c in ("event_id", "mw", "epicentral_distance_km", "vs30_m_s")
                       if c in table]]  # fmt: skip
    split = table["split"].astype(str).to_numpy()
    panel = evaluate(
        generated,
        real,
        dt=dt,
        real_split=split,
        real_conditions=real_cond,
        generated_conditions=gen_table,
        noise=noise,
        seed=args.seed,
        progress=progress,
    )
    panel["source"] = provenance
    held = np.flatnonzero(np.isin(split, ["val", "test"]))
    train = np.flatnonzero(split == "train")
    train = train[np.unique(np.linspace(0, len(train) - 1, min(512, len(train))).astype(int))]
    card = build_scorecard(
        generated,
        prepared.to_cm_s2(table["row"].to_numpy()[held]),
        prepared.to_cm_s2(table["row"].to_numpy()[train]),
        dt,
        candidate_table=gen_table,
        heldout_table=table.iloc[held],
        train_table=table.iloc[train],
    )
    nearest = panel["nearest_real"].get("nearest_real_row") or [0]
    return panel, card, (generated[0], real[nearest[0]], dt)


def _write_outputs(args, out: Path, panel: dict, pair) -> None:
    """metrics.json, scorecard.json and the figures, replacing --out in one rename."""
    from seisgan_core.fsutil import (
        atomic_directory,
        atomic_write_json,
        output_lock,
        write_output_marker,
    )

    # Figures and the JSON files are written into a temporary sibling folder that then takes
    # the place of --out in one rename (fsutil.atomic_directory): a kill leaves the old
    # evaluation or the new one, never new figures beside an old metrics.json. Files in --out
    # that are not the evaluation's are carried across as hard links.
    with output_lock(out, "seisgan evaluate"), atomic_directory(out) as tmp:
        _carry_over(out, tmp)
        if not args.no_figures:
            panel["figures"] = write_figures(panel, tmp, waveforms=pair)
            if panel["figures"]["format"] == "html":
                print(f"note: {panel['figures']['note']}", file=sys.stderr)
        else:
            panel["figures"] = {"format": "none", "files": []}
        atomic_write_json(
            tmp / "scorecard.json",
            {"cache_key": panel["cache_key"], "source": panel.get("source"), **panel["scorecard"]},
        )
        atomic_write_json(tmp / "metrics.json", panel)
        write_output_marker(tmp, "evaluate", folder=True)
    files = panel["figures"]["files"]
    print(
        f"wrote {out / 'metrics.json'}, {out / 'scorecard.json'}"
        + (f" and {len(files)} figure file(s)" if files else "")
    )


def _print_summary(panel: dict) -> None:
    card = panel.get("scorecard")
    if card:
        print(
            f"  scorecard: {card['n_failed']} of {card['n_measured']} measured lines fail "
            f"(validation score {card['validation_score']:.3g})"
        )
        for line in card["lines"]:
            if line["passed"] is False:
                print(
                    f"  FAIL {line['label'][:60]:60s} {line['generated']:.4g}  "
                    f"(real vs real {_fmt(line['real_vs_real'])}; good: {line['good']})"
                )
    for name, value in panel.get("summary", {}).items():
        if isinstance(value, float):
            print(f"  {name:36s} {value:.4g}")
        elif value is not None:
            print(f"  {name:36s} {value}")


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def run_export(args: argparse.Namespace) -> int:
    """write generated records to ASDF, miniSEED, SAC, CSV or a SeisBench data set

    Write records from --run (generated now) or --generated FILE.npy to one file: ASDF (.h5)
    or a zip of miniSEED, SAC or CSV files with provenance.json (run, epoch, seed, units,
    conditions), or a SeisBench data set folder (metadata.csv, waveforms.hdf5; metadata with
    each record's scenario and provenance).
    """
    # exit 0 on success, 1 on bad input (message on stderr)
    return _exit_code("export", _run_export, args)


def _run_export(args: argparse.Namespace) -> int:
    import numpy as np

    from seisgan_core.evaluation.export import _EXTENSIONS as EXPORT_EXTENSIONS
    from seisgan_core.evaluation.export import FOLDER_FORMATS, write_export
    from seisgan_core.fsutil import check_inputs, check_output, write_output_marker

    out = Path(args.out)
    folder = args.format in FOLDER_FORMATS
    if not out.suffix and not folder:  # as write_export names it
        out = out.with_suffix(EXPORT_EXTENSIONS[args.format])
    source = args.run or args.generated
    if folder:  # the SeisBench writer replaces only a folder it wrote itself
        check_inputs(out, "export", [source])
    else:
        check_output(out, "export", [source], force=getattr(args, "force", False))
    conditions = None
    if args.run:
        from seisgan_core.train.runs import load_run

        run = load_run(args.run)
        samples = run.generate_samples(args.n, epoch=args.epoch, seed=args.seed, units="cm/s2")
        waves = samples.waveforms
        dt = 1.0 / samples.sampling_rate_hz
        provenance = samples.metadata()
        conditions = samples.conditions if any(samples.conditions) else None
    else:
        from seisgan_core.preparation import open_npy  # the header is checked before any read

        path = Path(args.generated)
        waves = np.asarray(open_npy(path))
        sidecar = path.with_suffix(".json")
        provenance = json.loads(sidecar.read_text()) if sidecar.exists() else {}
        provenance.setdefault("generated", str(path))
        cond = provenance.get("conditions")
        conditions = cond if cond and len(cond) == len(waves) and any(cond) else None
        dt = 1.0 / float(provenance.get("sampling_rate_hz", 1.0 / args.dt))
    provenance.pop("conditions", None)
    written = write_export(args.out, waves, args.format, dt=dt, provenance=provenance,
                           conditions=conditions)  # fmt: skip
    if not folder:
        write_output_marker(written, "export", folder=False)
    print(f"wrote {written}: {len(waves)} records, {args.format}")
    return 0

"""`seisgan evaluate` and `seisgan export`.

``evaluate`` computes the whole panel (seisgan_core.evaluate.panel) for generated records
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
    ev = subparsers.add_parser(
        "evaluate",
        help="judge generated records against a prepared set: metrics.json and figures",
        description=(
            "Compute the evaluation panel (study statistics, FAS, PSD, PSA and RotD50, PGA, "
            "PGV, Arias, CAV, D5-95, envelopes, BSSA14 Italy residuals, Frechet distances "
            "with the real-vs-real baseline, nearest real record and memorisation ratio, "
            "downstream classifiers) for generated records against the prepared set in "
            "--data, and write OUT/metrics.json and the figures (PNG through kaleido, or one "
            "self-contained HTML file where no browser is found). Cached by run, epoch, "
            "samples and data."
        ),
    )
    source = ev.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", metavar="models/RUN", help="a training run (its checkpoint)")
    source.add_argument(
        "--generated",
        metavar="FILE.npy",
        help="an array (N, 3, n_samples) in cm/s^2; a FILE.json beside it (as `seisgan "
        "generate` writes) gives units and conditions",
    )
    ev.add_argument(
        "--epoch", type=int, help="checkpoint epoch of --run (default: best.pt, else last.pt)"
    )
    ev.add_argument("--n", type=int, help="records to generate with --run (default: as many "
                    "as the prepared set holds)")  # fmt: skip
    ev.add_argument(
        "--normalised",
        action="store_true",
        help="--generated holds z-scored samples: undo with the real records' mean and std "
        "(in order, cycled)",
    )
    ev.add_argument("--data", required=True, metavar="DIR", help="prepared set (seisgan prepare)")
    ev.add_argument("--out", required=True, metavar="DIR", help="folder for metrics.json, figures")
    ev.add_argument("--seed", type=int, default=0, help="seed of generation and classifiers")
    ev.add_argument("--no-figures", action="store_true", help="metrics.json only")
    ev.add_argument(
        "--force",
        action="store_true",
        help="recompute even when cached, and write into --out even if it is not an earlier "
        "evaluation (never an input)",
    )
    ev.add_argument("--quiet", action="store_true", help="no progress bar")
    ev.set_defaults(func=run_evaluate)

    ex = subparsers.add_parser(
        "export",
        help="write generated records to ASDF, miniSEED, SAC, CSV or a SeisBench data set",
        description=(
            "Write records from --run (generated now) or --generated FILE.npy to one file: "
            "ASDF (.h5) or a zip of miniSEED, SAC or CSV files with provenance.json "
            "(run, epoch, seed, units, conditions), or a SeisBench data set folder "
            "(metadata.csv, waveforms.hdf5; metadata with each record's scenario and provenance)."
        ),
    )
    ex_source = ex.add_mutually_exclusive_group(required=True)
    ex_source.add_argument("--run", metavar="models/RUN")
    ex_source.add_argument("--generated", metavar="FILE.npy")
    ex.add_argument(
        "--epoch", type=int, help="checkpoint epoch of --run (default: best.pt, else last.pt)"
    )
    ex.add_argument("--n", type=int, default=16, help="records to generate with --run")
    ex.add_argument("--seed", type=int, default=0)
    ex.add_argument("--format", required=True, choices=("asdf", "mseed", "sac", "csv", "seisbench"))
    ex.add_argument("--dt", type=float, default=0.005, help="time step of --generated (s)")
    ex.add_argument(
        "--out",
        required=True,
        metavar="FILE",
        help="output file (seisbench: folder); replaces only an earlier export unless --force",
    )
    ex.add_argument(
        "--force", action="store_true", help="replace --out even if export did not write it"
    )
    ex.set_defaults(func=run_export)


def _progress_bar(quiet: bool, desc: str):
    from tqdm import tqdm

    bar = tqdm(total=1000, disable=quiet, desc=desc, unit="‰", leave=False)

    def progress(fraction: float, message: str) -> None:
        target = round(min(max(fraction, 0.0), 1.0) * 1000)
        bar.set_postfix_str(message[-50:], refresh=False)
        bar.update(max(0, target - bar.n))

    return bar, progress


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _stat_key(path: Path) -> list:
    st = path.stat()
    return [str(path.resolve()), st.st_size, st.st_mtime_ns]


def _checkpoint(run: Path, epoch: int | None) -> Path:
    """The checkpoint generation uses: best.pt (else last.pt) by default, as the app and
    ``Run.checkpoint_path`` do."""
    ckpt = run / "checkpoints"
    if epoch is None:
        found = (ckpt / name for name in ("best.pt", "last.pt") if (ckpt / name).is_file())
        return next(found, ckpt / "best.pt")
    return ckpt / f"epoch_{epoch:04d}.pt"


def cache_key(args: argparse.Namespace) -> str:
    """What the panel depends on: panel version, data manifest, samples or checkpoint, options.

    Only the standard library here, so a cached call answers before NumPy is imported.
    """
    from seisgan_core.evaluate._version import PANEL_VERSION

    data = Path(args.data)
    parts: dict = {
        "panel_version": PANEL_VERSION,
        "data_manifest_sha256": _sha256(data / "manifest.json"),
        "seed": args.seed,
        "figures": not args.no_figures,
    }
    if args.run:
        ckpt = _checkpoint(Path(args.run), args.epoch)
        parts["run"] = str(Path(args.run).resolve())
        parts["epoch"] = args.epoch
        parts["checkpoint"] = _stat_key(ckpt) if ckpt.exists() else str(ckpt)
        parts["n"] = args.n
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
    if metrics.get("cache_key") != key:
        return None
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

    Records and noise windows are :class:`~seisgan_core.prepare.DenormalisedRows` over the
    memory-mapped prepared arrays: nothing is read until the panel asks for a chunk, so memory
    does not grow with the size of the prepared set.
    """
    from seisgan_core.prepare import load_prepared

    prepared = load_prepared(data_dir)
    table = prepared.records.sort_values("row").reset_index(drop=True)
    return prepared, prepared.cm_s2_rows(), table, prepared.noise_cm_s2_rows()


def _generated_from_run(args, table, n: int):
    """Generate n records; conditioned runs get the real records' scenarios, in order."""
    from seisgan_core.train.runs import load_run

    run = load_run(args.run)
    # config.json "conditions" (docs/contracts.md, section 3): the scenario names, [] if none.
    names = tuple((getattr(run, "config", None) or {}).get("conditions") or ())
    conditions = None
    if names:
        conditions = table.iloc[[i % len(table) for i in range(n)]].reset_index(drop=True)
    waves = run.generate(n, conditions=conditions, epoch=args.epoch, seed=args.seed,
                         units="cm/s2")  # fmt: skip
    gen_table = None
    if names and "mw" in names and any("distance" in c for c in names):
        # Scenarios the generator was asked for; Vs30 comes from the paired real record
        # when the run is not conditioned on it (residuals then use the record's site).
        gen_table = conditions[["mw", "epicentral_distance_km", "vs30_m_s"]].copy()
    provenance = {"run": str(args.run), "epoch": args.epoch, "seed": args.seed, "n": n,
                  "conditions": list(names)}  # fmt: skip
    return waves, gen_table, provenance


def _generated_from_file(args, real_table):
    import numpy as np

    from seisgan_core.prepare import open_npy  # the header is checked before any read

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
    ours = {"metrics.json", "figures.html", "waveforms.png"}
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


def run_evaluate(args: argparse.Namespace) -> int:
    """`seisgan evaluate`: exit 0 on success, 1 on bad input (message on stderr), 2 on usage."""
    from seisgan_core.fsutil import LockHeldError, check_output

    try:  # --out is never an input, nor (without --force) a folder evaluate did not write
        inputs = [args.data, *filter(None, (args.run, args.generated))]
        check_output(args.out, "evaluate", inputs, force=args.force)  # OutputRefusedError
        return _run_evaluate(args)
    except (ValueError, OSError, LockHeldError) as exc:  # FormatError is a ValueError
        print(f"seisgan evaluate: {exc}", file=sys.stderr)
        return 1


def _run_evaluate(args: argparse.Namespace) -> int:
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

    from seisgan_core.evaluate.panel import evaluate
    from seisgan_core.fsutil import (
        atomic_directory,
        atomic_write_json,
        output_lock,
        write_output_marker,
    )

    _, real, table, noise = _real_set(data)
    if args.run:
        n = args.n or len(real)
        generated, gen_table, provenance = _generated_from_run(args, table, n)
    else:
        generated, gen_table, provenance = _generated_from_file(args, table)
    if generated.shape[2] != real.shape[2]:
        print(
            f"seisgan evaluate: generated records have {generated.shape[2]} samples, the "
            f"prepared set {real.shape[2]}",
            file=sys.stderr,
        )
        return 2
    dt = PREPARED_DT_S
    real_cond = table[[c for c in ("event_id", "mw", "epicentral_distance_km", "vs30_m_s")
                       if c in table]]  # fmt: skip
    bar, progress = _progress_bar(args.quiet, "evaluate")
    try:
        panel = evaluate(
            generated,
            real,
            dt=dt,
            real_split=table["split"].astype(str).to_numpy(),
            real_conditions=real_cond,
            generated_conditions=gen_table,
            noise=noise,
            seed=args.seed,
            progress=progress,
        )
    finally:
        bar.close()
    panel["source"] = provenance
    panel["data"] = {"path": str(data), "manifest_sha256": _sha256(data / "manifest.json")}
    panel["cache_key"] = key
    # Figures and metrics.json are written into a temporary sibling folder that then takes
    # the place of --out in one rename (fsutil.atomic_directory): a kill leaves the old
    # evaluation or the new one, never new figures beside an old metrics.json. Files in --out
    # that are not the evaluation's are carried across as hard links.
    with output_lock(out, "seisgan evaluate"), atomic_directory(out) as tmp:
        _carry_over(out, tmp)
        if not args.no_figures:
            nearest = panel["nearest_real"].get("nearest_real_row") or [0]
            pair = (generated[0], real[nearest[0]], dt)
            panel["figures"] = write_figures(panel, tmp, waveforms=pair)
            if panel["figures"]["format"] == "html":
                print(f"note: {panel['figures']['note']}", file=sys.stderr)
        else:
            panel["figures"] = {"format": "none", "files": []}
        atomic_write_json(tmp / "metrics.json", panel)
        write_output_marker(tmp, "evaluate", folder=True)
    print(f"wrote {out / 'metrics.json'}" + (
        f" and {len(panel['figures']['files'])} figure file(s)" if panel["figures"]["files"] else ""
    ))  # fmt: skip
    _print_summary(panel)
    return 0


def _print_summary(panel: dict) -> None:
    for name, value in panel.get("summary", {}).items():
        if isinstance(value, float):
            print(f"  {name:36s} {value:.4g}")
        elif value is not None:
            print(f"  {name:36s} {value}")


def run_export(args: argparse.Namespace) -> int:
    """`seisgan export`: exit 0 on success, 1 on bad input (message on stderr)."""
    try:
        return _run_export(args)
    except (ValueError, OSError) as exc:
        print(f"seisgan export: {exc}", file=sys.stderr)
        return 1


def _run_export(args: argparse.Namespace) -> int:
    import numpy as np

    from seisgan_core.evaluate.export import _EXTENSIONS as EXPORT_EXTENSIONS
    from seisgan_core.evaluate.export import FOLDER_FORMATS, write_export
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
        from seisgan_core.prepare import open_npy  # the header is checked before any read

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

"""`seisgan train`, `seisgan generate` and `seisgan tune`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from seisgan_core.commands.options import add_command, add_common
from seisgan_core.commands.progress_bar import progress_bar


def register(subparsers) -> None:
    """Add ``train``, ``generate`` and ``tune``."""
    _add_train(subparsers)
    _add_generate(subparsers)
    _add_tune(subparsers)


def _add_train(subparsers) -> None:
    """``seisgan train``: its options, and :func:`_train` to run it."""
    p = add_command(subparsers, "train", _train)
    add_common(p, "--data", "prepared set folder (waveforms.npy, ...)")
    p.add_argument(
        "--preset",
        help="study_run1, study_run2, study_run3, conditional, demo (the default), or a preset "
        "JSON file; with --resume, the run's own hyperparameters unless given",
    )
    add_common(p, "--out", "run folder, e.g. models/RUN")
    p.add_argument("--epochs", type=int, help="total epochs (overrides the preset)")
    p.add_argument("--batch-size", type=int, help="overrides the preset")
    add_common(p, "--seed", "overrides the preset's seed (0)", default=None)
    p.add_argument("--resume", action="store_true", help="continue from checkpoints/last.pt")
    p.add_argument("--resume-from", help="continue from this checkpoint file instead")
    p.add_argument("--overwrite", action="store_true", help="discard a run already in --out")
    add_common(
        p,
        "--force",
        "train into --out even if it holds files that are not a run's (never into --data)",
    )
    add_common(p, "--device")
    p.add_argument(
        "--threads",
        type=int,
        help="CPU threads for torch (default: measured with the precision, torch's default "
        "and fewer, where the run measures its candidates)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _add_generate(subparsers) -> None:
    """``seisgan generate``: its options, and :func:`_generate` to run it."""
    g = add_command(subparsers, "generate", _generate)
    add_common(g, "--run", "run folder, e.g. models/demo", required=True)
    add_common(g, "--epoch", "checkpoint of this epoch (default: best.pt)")
    add_common(g, "--n", "number of samples", required=True)
    for flag, text in (
        ("--mw", "moment magnitude"),
        ("--distance-km", "epicentral distance in km"),
        ("--depth-km", "hypocentral depth in km"),
        ("--vs30", "Vs30 in m/s"),
    ):
        g.add_argument(flag, type=float, help=text)
    add_common(g, "--seed")
    g.add_argument("--units", choices=("cm/s2", "normalised"), default="cm/s2")
    g.add_argument(
        "--pga",
        choices=("sample", "median"),
        default="sample",
        help="draw each log10 PGA from the head's Gaussian, or take its mean",
    )
    add_common(
        g, "--out", "output file: .npy, .h5 or .asdf (replaces only an earlier generate output)"
    )
    add_common(g, "--force", "replace --out even if generate did not write it")
    g.add_argument(
        "--extrapolate",
        action="store_true",
        help="generate even for a scenario outside the training data's range (refused "
        "otherwise: the generator has seen no such record)",
    )


def _add_tune(subparsers) -> None:
    """``seisgan tune``: its options, and :func:`_tune` to run it."""
    t = add_command(subparsers, "tune", _tune)
    add_common(t, "--data")
    t.add_argument("--trials", type=int, required=True, help="trials to finish in all")
    t.add_argument("--epochs-per-trial", type=int, required=True)
    add_common(t, "--out", "e.g. models/tune-NAME")
    t.add_argument("--base", default="demo", help="preset the search starts from")
    add_common(t, "--device")
    add_common(t, "--seed")


def _train(args: argparse.Namespace) -> int:
    """train a WGAN-GP on a prepared set into a run folder

    Train a WGAN-GP (the reference study's model, or a conditioned one) on a prepared training
    set. Under torchrun, one process per GPU (or CPU gloo rank).
    """

    from seisgan_core.errors import SeisganError
    from seisgan_core.fsutil import check_output, write_output_marker
    from seisgan_core.train.store import check_resume_data
    from seisgan_core.train.trainer import Trainer

    config_path = Path(args.out) / "config.json"
    try:
        name, hp = _preset(args, config_path)
    except (SeisganError, KeyError, json.JSONDecodeError) as exc:  # KeyError, JSON: config.json
        print(f"seisgan train: {exc}", file=sys.stderr)
        return 2
    try:
        check_output(args.out, "train", [args.data], force=getattr(args, "force", False))
        if args.resume or args.resume_from:
            check_resume_data(args.out, args.data)
    except SeisganError as exc:
        print(f"seisgan train: {exc}", file=sys.stderr)
        return 1
    changes = {
        k: v
        for k, v in (("epochs", args.epochs), ("batch_size", args.batch_size), ("seed", args.seed))
        if v is not None
    }
    hp = hp.replace(**changes)
    # under torchrun only rank 0 draws a bar
    quiet = args.no_progress or os.environ.get("RANK", "0") != "0"
    with progress_bar("train", quiet=quiet, leave=True) as progress:
        trainer = Trainer(
            data=args.data,
            out=args.out,
            hyperparameters=hp,
            preset=name,
            device=args.device,
            resume=args.resume,
            resume_from=args.resume_from,
            overwrite=args.overwrite,
            progress=progress,
            threads=args.threads,
        )
        try:
            state = trainer.fit()
            write_output_marker(args.out, "train", folder=True)
        except RuntimeError as exc:
            if "state_dict" not in str(exc):
                raise
            print(f"seisgan train: {_model_mismatch(args, config_path)}", file=sys.stderr)
            return 1
        except SeisganError as exc:
            print(f"seisgan train: {exc}", file=sys.stderr)
            return 1
        except OSError as exc:  # full disk, read-only folder: checkpoints are written atomically
            where = exc.filename or args.out
            print(f"seisgan train: cannot write {where}: {exc.strerror or exc}", file=sys.stderr)
            return 1
    print(f"{args.out}: {state}")
    return 0


def _preset(args: argparse.Namespace, config_path: Path):
    """(preset name, hyperparameters): the run's own when resuming without --preset, else
    --preset's (demo by default)."""
    from seisgan_core.train.config import Hyperparameters, load_preset

    if (args.resume or args.resume_from) and args.preset is None and config_path.is_file():
        config = json.loads(config_path.read_text())
        return config.get("preset", "custom"), Hyperparameters.from_saved(config["hyperparameters"])
    return load_preset(args.preset or "demo")


def _model_mismatch(args: argparse.Namespace, config_path: Path) -> str:
    """Why a checkpoint did not load into the model that --preset builds, in words."""
    try:
        made_with = json.loads(config_path.read_text()).get("preset", "unknown")
    except (OSError, ValueError, AttributeError):
        made_with = "unknown"
    source = args.resume_from or config_path.parent / "checkpoints" / "last.pt"
    return (
        f"cannot resume {args.out}: its checkpoint {source} was made with preset {made_with!r}, "
        f"whose model has other layer shapes than --preset {args.preset!r} builds; resume "
        f"without --preset (the run's own hyperparameters) or with --preset {made_with}, or "
        "train the new preset into another --out"
    )


def _generate(args: argparse.Namespace) -> int:
    """generate accelerograms (cm/s^2) from a trained run

    Generate three-component accelerograms from a run's checkpoint, in cm/s^2 (scaled to the
    amplitude head's log10 PGA) or normalised. Writes .npy with a .json sidecar, or ASDF
    (.h5/.asdf) with the provenance in its auxiliary data.
    """
    from seisgan_core.errors import SeisganError
    from seisgan_core.fsutil import check_output, write_output_marker
    from seisgan_core.train.runs import load_run, save_generated

    scenario = {
        key: value
        for key, value in (
            ("mw", args.mw),
            ("distance_km", args.distance_km),
            ("depth_km", args.depth_km),
            ("vs30_m_s", args.vs30),
        )
        if value is not None
    }
    try:
        check_output(args.out, "generate", [args.run], force=getattr(args, "force", False))
        run = load_run(args.run)
        if not _scenario_allowed(run, scenario, args):
            return 1
        samples = run.generate_samples(
            args.n, scenario or None, args.epoch, args.seed, args.units, pga=args.pga
        )
        written = save_generated(args.out, samples)
        write_output_marker(written[0], "generate", folder=False)
    except (FileNotFoundError, SeisganError) as exc:
        print(f"seisgan generate: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


def _scenario_allowed(run, scenario: dict, args: argparse.Namespace) -> bool:
    """Refuse (or, with --extrapolate, warn about) a scenario beyond the training data's
    range; say which scenarios a conditioned run gets when none is given."""
    from pathlib import Path

    from seisgan_core import scenarios

    names = (run.config or {}).get("conditions") or []
    if names and not scenario:
        chosen = run.sample_conditions
        print(
            f"seisgan generate: no scenario given; cycling through the run's {len(chosen)} "
            f"sample scenarios: {scenarios.describe(chosen)}",
            file=sys.stderr,
        )
        return True
    ranges = scenarios.training_ranges_of(run.config or {}, Path.cwd())
    beyond = scenarios.outside(scenario, ranges)
    if not beyond:
        return True
    where = "; ".join(beyond)
    if args.extrapolate:
        print(f"seisgan generate: warning: extrapolating: {where}", file=sys.stderr)
        return True
    print(
        f"seisgan generate: scenario outside the training data ({where}); the generator has "
        "seen no such record. Choose values inside the range or pass --extrapolate.",
        file=sys.stderr,
    )
    return False


def _tune(args: argparse.Namespace) -> int:
    """Bayesian hyperparameter search (optuna TPE) with pruning

    Search learning rates, n_critic, lambda, latent size and batch with optuna's TPE, scored
    by the validation log-spectral distance (as best.pt); unpromising trials are pruned. The
    study lives in OUT/study.sqlite3, so a killed search resumes; the best trial is written as
    OUT/best_preset.json.
    """
    from seisgan_core.train.tune import tune

    best = tune(
        data=args.data,
        out=args.out,
        trials=args.trials,
        epochs_per_trial=args.epochs_per_trial,
        base=args.base,
        device=args.device,
        seed=args.seed,
    )
    print(f"best trial {best['trial']}: val score {best['val_score']:.3f} -> {best['preset']}")
    return 0

"""`seisgan prepare`: archives into a training set. Its options are built from
:class:`~seisgan_core.prepare_config.PrepareConfig` (the preparation's one set of defaults)
and the record selection's bounds (``catalog.Selection``; left out, the study's)."""

from __future__ import annotations

import argparse
import sys

from seisgan_core.commands.options import add_command, add_common
from seisgan_core.commands.progress_bar import progress_bar, write_progress
from seisgan_core.prepare_config import SELECTION_OPTIONS, PrepareConfig


def _dest(flag: str) -> str:
    return flag[2:].replace("-", "_")


def register(subparsers) -> None:
    """Add ``prepare``."""
    prep = add_command(subparsers, "prepare", _run_prepare)
    prep.add_argument("sources", nargs="+", help="files, folders or zips")
    add_common(prep, "--out", "output folder (replaced atomically)")
    for flag, _, kind, text in SELECTION_OPTIONS:
        prep.add_argument(flag, type=kind, default=None, help=text)
    prep.add_argument("--anywhere", action="store_true", help="keep stations outside Italy too")
    PrepareConfig.add_arguments(prep)
    add_common(
        prep,
        "--force",
        "rebuild even if up to date, and replace --out even if it is not a prepared set "
        "(never an input)",
    )
    prep.add_argument(
        "--progress-file",
        default=None,
        help="also write progress and the final counts to this JSON file (for the app)",
    )


def _selection(args: argparse.Namespace):
    from seisgan_core.catalog import Selection

    given = {}
    for flag, name, kind, _ in SELECTION_OPTIONS:
        value = getattr(args, _dest(flag))
        if value is not None:
            given[name] = tuple(value.split(",")) if kind is str else value
    return Selection(in_italy=not args.anywhere, **given)


def _run_prepare(args: argparse.Namespace) -> int:
    """prepare archives into a training set (N, 3, 8000)

    Select, resample to 200 Hz, window to 40 s, z-score per component and split by event into
    DIR (waveforms.npy, records.parquet, manifest.json).
    """
    from seisgan_core.errors import ConfigError, SeisganError
    from seisgan_core.fsutil import guarded_output
    from seisgan_core.preparation import load_prepared, prepare
    from seisgan_core.split import split_summary

    try:
        config = PrepareConfig.from_args(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        with (
            guarded_output(args.out, "prepare", args.sources, force=args.force),
            progress_bar("prepare", progress_file=args.progress_file) as progress,
        ):
            summary = prepare(
                args.sources,
                args.out,
                selection=_selection(args),
                config=config,
                force=args.force,
                progress=progress,
            )
    except (SeisganError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        write_progress(args.progress_file, state="failed", message=str(exc))
        return 1
    except OSError as exc:  # full disk, read-only folder: the old set is left as it was
        print(f"error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        write_progress(args.progress_file, state="failed", message=f"cannot write {args.out}")
        return 1
    write_progress(
        args.progress_file,
        state="finished",
        fraction=1.0,
        message="up to date" if summary.up_to_date else "prepared",
        out=str(summary.path),
        n_records=int(summary.n_records),
        n_noise=int(summary.n_noise),
    )
    _print_summary(summary)
    prepared = load_prepared(summary.path)
    print(split_summary(prepared.records).round(2).to_string())
    return 0


def _print_summary(summary) -> None:
    if summary.up_to_date:
        print(f"{summary.path} is up to date (same sources and parameters): nothing to do")
        return
    print(f"prepared {summary.n_records} records and {summary.n_noise} noise windows")
    for name, removed in summary.selection_report:
        print(f"  selection {name}: removed {removed}")
    if summary.excluded_by_length:
        print(f"  study mode: {summary.excluded_by_length} records longer than 40 s left out")
    print(f"  skipped {len(summary.skipped)} unusable records (reasons in manifest.json)")
    if summary.window_notes:
        print(
            f"  {len(summary.window_notes)} records' horizontal PGAs could not both fit in the "
            "window (listed in manifest.json, window_notes)"
        )
    if summary.reader_skipped:
        print(
            f"  the readers set aside {len(summary.reader_skipped)} files (duplicates of "
            "records read from another file, or unreadable; listed in manifest.json)"
        )

"""`seisgan demo` and `seisgan prepare`: the demo archive and training sets."""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager


def write_progress(progress_file: str | None, **fields) -> None:
    """The structured progress channel (``--progress-file``): one JSON object, replaced
    atomically: ``state`` (running, finished, failed), ``fraction``, ``message`` and, when
    finished, the counts."""
    if progress_file:
        from seisgan_core.fsutil import atomic_write_json

        atomic_write_json(progress_file, fields)


@contextmanager
def _tqdm_progress(description: str, progress_file: str | None = None):
    """A progress(fraction, message) callback drawn as a tqdm bar on stderr (and written to
    ``progress_file`` as JSON at most twice a second, for the app)."""
    import time

    from tqdm import tqdm

    bar = tqdm(total=1000, desc=description, unit="‰", file=sys.stderr, leave=False)
    last = [0.0]

    def progress(fraction: float, message: str) -> None:
        target = round(max(0.0, min(1.0, fraction)) * 1000)
        if target > bar.n:
            bar.update(target - bar.n)
        bar.set_postfix_str(message[:40], refresh=False)
        if progress_file and time.monotonic() - last[0] >= 0.5:
            last[0] = time.monotonic()
            write_progress(progress_file, state="running", fraction=target / 1000, message=message)

    try:
        yield progress
    finally:
        bar.close()


def register(subparsers) -> None:
    """Add ``demo`` and ``prepare``."""
    demo = subparsers.add_parser(
        "demo",
        help="simulate the demo archive (ASDF, ITACA flat file, ESM ASCII)",
        description="Simulate a realistic Italian strong-motion archive in ITACA's formats: "
        "DIR/demo.h5 (ASDF), DIR/flatfile.csv and DIR/ascii/.",
    )
    demo.add_argument(
        "--out",
        required=True,
        help="folder to write (replaced atomically; only an earlier demo archive or an empty "
        "folder is replaced unless --force)",
    )
    demo.add_argument(
        "--force",
        action="store_true",
        help="replace --out even if it holds files the demo did not write",
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.add_argument("--records", type=int, default=1300, help="three-component records")
    demo.add_argument("--noise", type=int, default=200, help="noise-only windows")
    demo.add_argument(
        "--all-ascii", action="store_true", help="write every event as ESM ASCII, not only one"
    )
    demo.set_defaults(func=_run_demo)

    prep = subparsers.add_parser(
        "prepare",
        help="prepare archives into a training set (N, 3, 8000)",
        description="Select, resample to 200 Hz, window to 40 s, z-score per component and "
        "split by event into DIR (waveforms.npy, records.parquet, manifest.json).",
    )
    prep.add_argument("sources", nargs="+", help="files, folders or zips")
    prep.add_argument("--out", required=True, help="output folder (replaced atomically)")
    prep.add_argument("--mode", choices=("window", "study"), default="window")
    prep.add_argument("--align", choices=("start", "p_onset"), default="start")
    prep.add_argument("--pre-event", type=float, default=5.0, help="s before the P onset")
    prep.add_argument("--mw-min", type=float, default=4.0, help="Mw > this (default 4.0)")
    prep.add_argument("--mw-max", type=float, default=None, help="Mw <= this")
    prep.add_argument("--depth-max", type=float, default=50.0, help="depth < this, km")
    prep.add_argument("--distance-max", type=float, default=None, help="distance <= this, km")
    prep.add_argument("--distance-min", type=float, default=None, help="distance >= this, km")
    prep.add_argument("--anywhere", action="store_true", help="keep stations outside Italy too")
    prep.add_argument("--networks", default=None, help="comma-separated network codes")
    prep.add_argument("--ec8", default=None, help="comma-separated EC8 classes, e.g. A,B")
    prep.add_argument(
        "--split", default="0.8,0.1,0.1", help="train,val,test fractions (default 0.8,0.1,0.1)"
    )
    prep.add_argument("--cluster-km", type=float, default=10.0)
    prep.add_argument("--cluster-days", type=float, default=30.0)
    prep.add_argument("--seed", type=int, default=0)
    prep.add_argument("--no-noise", action="store_true", help="leave out noise windows")
    prep.add_argument(
        "--force",
        action="store_true",
        help="rebuild even if up to date, and replace --out even if it is not a prepared set "
        "(never an input)",
    )
    prep.add_argument(
        "--progress-file",
        default=None,
        help="also write progress and the final counts to this JSON file (for the app)",
    )
    prep.set_defaults(func=_run_prepare)


def _run_demo(args: argparse.Namespace) -> int:
    from seisgan_core.demo import build_demo_archive
    from seisgan_core.fsutil import LockHeldError, OutputRefusedError, guarded_output

    force = getattr(args, "force", False)
    try:
        with guarded_output(args.out, "demo", force=force), _tqdm_progress("demo") as progress:
            summary = build_demo_archive(
                args.out,
                seed=args.seed,
                n_records=args.records,
                n_noise=args.noise,
                all_ascii=args.all_ascii,
                progress=progress,
            )
    except (LockHeldError, OutputRefusedError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # full disk, read-only folder: the old archive is left as it was
        print(f"error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(
        f"wrote {summary.out_dir}: {summary.n_records} records of {summary.n_events} events at "
        f"{summary.n_stations} stations, {summary.n_noise} noise windows, "
        f"{summary.n_ascii_files} ESM ASCII files ({summary.records_le_40_s} records <= 40 s)"
    )
    return 0


def _run_prepare(args: argparse.Namespace) -> int:
    from seisgan_core.catalog import Selection
    from seisgan_core.fsutil import LockHeldError, guarded_output
    from seisgan_core.io.errors import SeisganIOError
    from seisgan_core.prepare import EmptySelectionError, load_prepared, prepare
    from seisgan_core.split import split_summary

    try:
        fractions = tuple(float(x) for x in args.split.split(","))
    except ValueError:
        print(f"error: --split expects three numbers, got {args.split!r}", file=sys.stderr)
        return 2
    selection = Selection(
        mw_min=args.mw_min,
        mw_max=args.mw_max,
        depth_max_km=args.depth_max,
        distance_min_km=args.distance_min,
        distance_max_km=args.distance_max,
        in_italy=not args.anywhere,
        networks=tuple(args.networks.split(",")) if args.networks else None,
        ec8_classes=tuple(args.ec8.split(",")) if args.ec8 else None,
    )
    try:
        with (
            guarded_output(args.out, "prepare", args.sources, force=args.force),
            _tqdm_progress("prepare", args.progress_file) as progress,
        ):
            summary = prepare(
                args.sources,
                args.out,
                selection=selection,
                mode=args.mode,
                align=args.align,
                pre_event_s=args.pre_event,
                split_fractions=fractions,
                cluster_km=args.cluster_km,
                cluster_days=args.cluster_days,
                seed=args.seed,
                include_noise=not args.no_noise,
                force=args.force,
                progress=progress,
            )
    except (
        EmptySelectionError,
        SeisganIOError,
        FileNotFoundError,
        ValueError,
        LockHeldError,
    ) as exc:
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
    if summary.up_to_date:
        print(f"{summary.path} is up to date (same sources and parameters): nothing to do")
    else:
        print(f"prepared {summary.n_records} records and {summary.n_noise} noise windows")
        for name, removed in summary.selection_report:
            print(f"  selection {name}: removed {removed}")
        if summary.excluded_by_length:
            print(f"  study mode: {summary.excluded_by_length} records longer than 40 s left out")
        print(f"  skipped {len(summary.skipped)} unusable records (reasons in manifest.json)")
        if summary.reader_skipped:
            print(
                f"  the readers set aside {len(summary.reader_skipped)} files (duplicates of "
                "records read from another file, or unreadable; listed in manifest.json)"
            )
    prepared = load_prepared(summary.path)
    print(split_summary(prepared.records).round(2).to_string())
    return 0

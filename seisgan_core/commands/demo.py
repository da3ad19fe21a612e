"""`seisgan demo`: the demo archive (`seisgan prepare` is in ``commands/prepare.py``)."""

from __future__ import annotations

import argparse
import sys

from seisgan_core.commands.options import add_command, add_common
from seisgan_core.commands.progress_bar import progress_bar


def register(subparsers) -> None:
    """Add ``demo``."""
    demo = add_command(subparsers, "demo", _run_demo)
    add_common(
        demo,
        "--out",
        "folder to write (replaced atomically; only an earlier demo archive or an empty "
        "folder is replaced unless --force)",
    )
    add_common(demo, "--force", "replace --out even if it holds files the demo did not write")
    add_common(demo, "--seed", "random seed (default 0)")
    demo.add_argument("--records", type=int, default=1300, help="three-component records")
    demo.add_argument("--noise", type=int, default=200, help="noise-only windows")
    demo.add_argument(
        "--all-ascii", action="store_true", help="write every event as ESM ASCII, not only one"
    )


def _run_demo(args: argparse.Namespace) -> int:
    """simulate the demo archive (ASDF, ITACA flat file, ESM ASCII)

    Simulate a realistic Italian strong-motion archive in ITACA's formats: DIR/demo.h5
    (ASDF), DIR/flatfile.csv and DIR/ascii/.
    """
    from seisgan_core.demo import build_demo_archive
    from seisgan_core.fsutil import LockHeldError, OutputRefusedError, guarded_output

    force = getattr(args, "force", False)
    try:
        with guarded_output(args.out, "demo", force=force), progress_bar("demo") as progress:
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

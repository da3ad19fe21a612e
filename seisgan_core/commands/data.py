"""`seisgan ingest` and `seisgan info`: reading archives into the record table."""

from __future__ import annotations

import argparse
import sys

from seisgan_core.commands.options import add_command, add_common
from seisgan_core.commands.progress_bar import progress_bar

_VERBOSE = "list every skipped file with its reason"


def register(subparsers) -> None:
    """Add ``ingest`` and ``info``."""
    ingest = add_command(subparsers, "ingest", run_ingest)
    ingest.add_argument("paths", nargs="*", metavar="PATH", help="files, folders or zips")
    sb = ingest.add_argument_group(
        "SeisBench data sets (instead of PATHs)",
        "A SeisBench data set by class name (ESM25GoodMP, ESM25GoodCV, AQ2009GM...; read "
        "from SeisBench's cache, downloaded by SeisBench if missing and its server answers) "
        "or the folder of any data set in SeisBench's format (metadata.csv, waveforms.hdf5).",
    )
    sb.add_argument("--seisbench", metavar="NAME_OR_FOLDER", help="the data set")
    sb.add_argument(
        "--where",
        metavar="EXPR",
        help="keep the traces where this holds, over SeisBench's metadata columns, "
        'e.g. "source_magnitude>=4 and path_ep_distance_km<100"',
    )
    sb.add_argument(
        "--source-file",
        metavar="SOURCE.json",
        help="also write a descriptor of the data set and --where that prepare takes as a source",
    )
    sb.add_argument(
        "--timeout", type=float, default=10.0, help="s to wait for SeisBench's server (10)"
    )
    sb.add_argument(
        "--offline", action="store_true", help="never download: a set not cached is an error"
    )
    add_common(ingest, "--out", "output table", metavar="CATALOG.parquet")
    add_common(ingest, "--quiet", "no progress bar, no summary of skipped files")
    add_common(ingest, "--verbose", _VERBOSE)
    add_common(
        ingest,
        "--force",
        "replace --out even if it is not a table an earlier ingest wrote (never an input)",
    )

    info = add_command(subparsers, "info", run_info)
    info.add_argument(
        "paths", nargs="+", metavar="PATH", help="CATALOG.parquet, or files, folders, zips"
    )
    add_common(info, "--verbose", _VERBOSE)
    selection = info.add_argument_group("selection (default: everything in the table)")
    selection.add_argument("--select", action="store_true", help="apply the study's selection")
    selection.add_argument("--mw-min", type=float, help="Mw greater than (study: 4.0)")
    selection.add_argument("--depth-max-km", type=float, help="depth less than (study: 50)")
    selection.add_argument("--distance-max-km", type=float, help="epicentral distance at most")
    selection.add_argument("--italy", action="store_true", help="stations inside Italy only")


def run_ingest(args: argparse.Namespace) -> int:
    """read ITACA/ESM files, folders and zips into a record table (parquet)

    Read any mix of ESM/ITACA ASCII files, ASDF files, flat files (ITACA export, ESM flat
    file, ITACA 1.x .metadata), ITACA 1.x .cor.acc files, folders and zips into one record
    table, written atomically to --out. Prints what was read and what was skipped and why;
    exits 1 when nothing could be read.
    """
    from seisgan_core.catalog import read_records
    from seisgan_core.fsutil import OutputRefusedError, check_output, write_output_marker
    from seisgan_core.io.errors import SeisganIOError

    inputs = [*args.paths, *([args.seisbench] if args.seisbench else [])]
    try:
        check_output(args.out, "ingest", inputs, force=getattr(args, "force", False))
    except OutputRefusedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if bool(args.paths) == bool(args.seisbench):
        print("error: give PATHs or --seisbench NAME_OR_FOLDER (one of the two)", file=sys.stderr)
        return 2
    try:
        if args.seisbench:  # SeisBench shows its own progress (download, conversion)
            catalog = _read_seisbench(args)
        else:
            with progress_bar("ingest", quiet=args.quiet) as progress:
                catalog = read_records(args.paths, progress=progress)
    except (SeisganIOError, FileExistsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    table = catalog.table
    if not args.quiet:
        report_skipped(catalog.skipped, verbose=args.verbose)
    if table.empty:
        print(
            f"no records read from {len(args.paths)} path(s); "
            f"{len(catalog.skipped)} skipped; nothing written",
            file=sys.stderr,
        )
        return 1
    try:
        catalog.to_parquet(args.out)
        write_output_marker(args.out, "ingest", folder=False)
    except OSError as exc:  # full disk, read-only folder: the old table is left as it was
        print(f"error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    counts = catalog.counts()
    formats = ", ".join(f"{k.split(' ', 1)[1]} {v}" for k, v in counts.items() if " " in k)
    noise = f" and {counts['noise']} noise windows" if counts["noise"] else ""
    print(
        f"read {counts['records']} records{noise} ({formats}) of {counts['events']} events at "
        f"{counts['stations']} stations; Mw missing for {counts['mw_missing']}; "
        f"skipped {len(catalog.skipped)}; wrote {args.out}"
    )
    if catalog.duplicates:
        # the same record in two waveform sources (an ASDF file and its ASCII export, say)
        print(
            f"{len(catalog.duplicates)} records were also in another source; kept the first "
            f"read (e.g. {catalog.duplicates[0][1]})"
        )
    return 0


def _read_seisbench(args: argparse.Namespace):
    """The record table of ``--seisbench`` (filtered by ``--where``); writes ``--source-file``."""
    from seisgan_core.catalog import Catalog, read_seisbench, to_table
    from seisgan_core.io import seisbench as sb

    source = sb.resolve_source(args.seisbench)
    rows = read_seisbench(
        source, where=args.where, timeout_s=args.timeout, allow_download=not args.offline
    )
    if args.source_file and rows:
        sb.write_descriptor(args.source_file, source, args.where)
        print(f"wrote {args.source_file}: prepare takes it as a source")
    return Catalog(table=to_table(rows))


def report_skipped(skipped, *, verbose: bool) -> None:
    """Skipped files on stderr: counts by reason, and with ``verbose`` every file."""
    from seisgan_core.catalog import skip_summary

    if not skipped:
        return
    print(f"skipped {len(skipped)} files or records:", file=sys.stderr)
    for reason, count in skip_summary(skipped):
        print(f"  {count} x {reason}", file=sys.stderr)
    if not verbose:
        print("  (--verbose lists them)", file=sys.stderr)
        return
    for path, reason in skipped:
        # readers' errors already begin with the file's name
        print(
            f"skipped: {reason if reason.startswith(path) else f'{path}: {reason}'}",
            file=sys.stderr,
        )


def _info_catalog(args: argparse.Namespace):
    """The record table of a parquet file, or what ingest would read from the paths."""
    from pathlib import Path

    from seisgan_core.catalog import Catalog, read_records

    first = Path(args.paths[0])
    if len(args.paths) == 1 and first.suffix.lower() == ".parquet":
        try:
            return Catalog.from_parquet(first)
        except (OSError, ValueError) as exc:
            print(f"{first}: cannot read the record table ({exc})", file=sys.stderr)
            return None
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        print(f"{missing[0]}: no such file or folder", file=sys.stderr)
        return None
    catalog = read_records(args.paths)
    report_skipped(catalog.skipped, verbose=args.verbose)
    return catalog


def run_info(args: argparse.Namespace) -> int:
    """summarise a record table or what ingest would read (count, mean, median, std)

    Print counts and the statistics of Mw, depth, distance, duration and PGA of a record table
    (CATALOG.parquet), or of the files, folders and zips ingest takes (read, nothing written;
    skipped files summarised by reason).
    """
    import pandas as pd

    from seisgan_core.catalog import Selection

    catalog = _info_catalog(args)
    if catalog is None:
        return 1
    bounds = {
        "mw_min": args.mw_min,
        "depth_max_km": args.depth_max_km,
        "distance_max_km": args.distance_max_km,
    }
    if args.select or any(v is not None for v in bounds.values()) or args.italy:
        base = Selection() if args.select else Selection(mw_min=None, depth_max_km=None)
        base.in_italy = args.select or args.italy
        for name, value in bounds.items():
            if value is not None:
                setattr(base, name, value)
        catalog = catalog.select(base)
        for name, removed in catalog.selection_report:
            print(f"selection {name}: removed {removed}")
    counts = catalog.counts()
    noise = f", {counts['noise']} noise windows" if counts["noise"] else ""
    print(
        f"{counts['records']} records, {counts['events']} events, {counts['stations']} stations"
        f" (Mw missing for {counts['mw_missing']}){noise}"
    )
    for key, value in counts.items():
        if key.startswith("format "):
            print(f"  {key[7:]}: {value}")
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        print(catalog.summary().drop(columns="column").round(3).to_string())
    return 0 if counts["records"] or counts["noise"] else 1

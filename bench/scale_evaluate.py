"""`seisgan evaluate` at ITACA's size: peak memory and wall time against the real set's size.

Tiles a prepared set (bench/tile_prepared.py) to each ``--records`` size and runs
`seisgan evaluate --run RUN --n N` on it under GNU time (maximum RSS of the process, wall
time), as a user would; then checks that every run's metrics are finite where they should be.
Not part of `bench/run_all.py` (a few minutes, and it needs a prepared set and a trained run):

    python bench/scale_evaluate.py --source data/processed/demo --run models/demo \\
        --records 2600 13600 [--n 1298] [--out /tmp/evaluate-scale]

The last lines are BENCH lines for the largest size: peak memory against the 2 GB goal of
issue 8, and wall time against the 155 s the whole-array panel took on the same machine and
set (1,298 generated against 13,600 real, before the real side was streamed).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from tile_prepared import tile  # noqa: E402

#: Wall time (s) of `seisgan evaluate` before the real side was streamed: 1,298 generated
#: against 13,600 tiled real records, 2-core development machine, 2026-11-27 (peak 10.3 GB;
#: 193 s in a first run with an earlier checkpoint).
BEFORE_S = 155


def run_evaluate(run: Path, n: int, data: Path, out: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one `seisgan evaluate` process."""
    stats = Path(tempfile.mkstemp(prefix="scale-evaluate-", suffix=".time")[1])
    argv = [sys.executable, "-m", "seisgan_core.cli", "evaluate", "--run", str(run), "--n",
            str(n), "--data", str(data), "--out", str(out), "--no-figures", "--quiet",
            "--force"]  # fmt: skip
    started = time.monotonic()
    result = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(stats), *argv], cwd=ROOT,
                            capture_output=True, text=True, check=False)  # fmt: skip
    seconds = time.monotonic() - started
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"seisgan evaluate failed with status {result.returncode}")
    peak_mb = float(stats.read_text().strip().splitlines()[-1]) / 1024
    stats.unlink()
    return seconds, peak_mb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=ROOT / "data" / "processed" / "demo")
    parser.add_argument("--run", type=Path, default=ROOT / "models" / "demo")
    parser.add_argument("--records", type=int, nargs="+", default=[2600, 13600])
    parser.add_argument("--n", type=int, default=1298, help="generated records (the study's)")
    parser.add_argument("--out", type=Path, default=Path("/tmp/evaluate-scale"))
    args = parser.parse_args(argv)
    for path, what in ((args.source / "manifest.json", "prepared set"), (args.run, "run")):
        if not path.exists():
            raise SystemExit(f"{path}: no {what} (seisgan demo, prepare and train make one)")
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for records in args.records:
            data = tile(args.source, args.out / f"tiled-{records}", records)
            out = args.out / f"evaluation-{records}"
            seconds, peak_mb = run_evaluate(args.run, args.n, data, out)
            metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
            assert metrics["n_real"] == records and metrics["n_generated"] == args.n
            stages = ", ".join(f"{k} {v:.0f} s" for k, v in metrics["timings_s"].items())
            rows.append((records, seconds, peak_mb, stages))
            print(f"{args.n} generated vs {records} real: {seconds:.0f} s, peak {peak_mb:.0f} "
                  f"MB ({stages})")  # fmt: skip
            shutil.rmtree(data)
    finally:
        shutil.rmtree(args.out, ignore_errors=True)
    if len(rows) > 1:
        (r0, _, m0, _), (r1, _, m1, _) = rows[0], rows[-1]
        print(f"peak memory grows by {(m1 - m0) * 1024 / (r1 - r0):.0f} kB per real record "
              f"(a record's waveforms: {3 * 8000 * 4 / 1024:.0f} kB as float32)")  # fmt: skip
    records, seconds, peak_mb, _ = rows[-1]
    print(f"BENCH evaluate_{args.n}_vs_{records}_peak_memory {peak_mb:.0f} MB goal <= 2000")
    print(f"BENCH evaluate_{args.n}_vs_{records}_wall {seconds:.0f} s goal <= {BEFORE_S}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

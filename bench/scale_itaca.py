"""The whole path at ITACA 4.0's size: demo archive, ingest, prepare, one epoch, evaluation, app.

ITACA 4.0 holds about 40,900 processed waveforms (13,600 three-component records) of 2,531
events at 1,696 stations. This script builds a simulated archive of that size with the demo
generator and runs every step as the user would (the `seisgan` command, then each app page
through Streamlit's AppTest), recording wall time, peak resident memory (GNU time's maximum
RSS of the step's process) and the disk each step's output takes. It is not part of
`bench/run_all.py` (it takes the better part of an hour on 2 cores); run it on its own:

    python bench/scale_itaca.py --out /tmp/itaca-scale [--records 13600] [--keep]

It prints a Markdown table and `BENCH` lines, and writes the table into docs/benchmarks.md
between its own markers.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- ITACA SCALE START -->", "<!-- ITACA SCALE END -->"
PAGES = ["home", "data", "prepare", "train", "samples", "compare"]


@dataclass
class Step:
    name: str
    seconds: float
    peak_mb: float
    disk_mb: float
    note: str = ""


def du_mb(path: Path) -> float:
    if not path.exists():
        return 0.0
    if path.is_file():
        return path.stat().st_size / 2**20
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def run_step(name: str, argv: list[str], out: Path, env: dict[str, str] | None = None) -> Step:
    """Run one command under GNU time; fail loudly with its output if it fails."""
    stats = Path(tempfile.mkstemp(prefix=f"scale-{name}-", suffix=".time")[1])
    started = time.monotonic()
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%M", "-o", str(stats), sys.executable, *argv],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"step {name} failed with status {result.returncode}")
    peak_kb = float(stats.read_text().strip().splitlines()[-1])
    stats.unlink()
    last = [line for line in result.stdout.strip().splitlines() if line.strip()]
    step = Step(name, seconds, peak_kb / 1024, du_mb(out), last[-1][:120] if last else "")
    print(f"{name}: {seconds:.0f} s, peak {step.peak_mb:.0f} MB, {step.disk_mb:.0f} MB on disk")
    return step


APP_SCRIPT = """
import sys, time
from streamlit.testing.v1 import AppTest
page = sys.argv[1]
at = AppTest.from_file("app.py", default_timeout=600)
at.switch_page(f"pages/{page}.py") if page != "home" else None
t0 = time.monotonic(); at.run()
cold = time.monotonic() - t0
if at.exception:
    raise SystemExit(f"page {page}: {at.exception[0].message}")
t0 = time.monotonic(); at.run(); warm = time.monotonic() - t0
print(f"page {page}: cold {cold:.2f} s, warm rerun {warm:.2f} s")
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/itaca-scale"))
    parser.add_argument("--records", type=int, default=13600)
    parser.add_argument("--noise", type=int, default=500)
    parser.add_argument(
        "--evaluate-n",
        type=int,
        default=1298,
        help="generated records to evaluate (the study's 1,298)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the archive afterwards")
    parser.add_argument("--no-write", action="store_true", help="do not touch the doc")
    args = parser.parse_args(argv)
    home = args.out.resolve()
    raw, processed = home / "data" / "raw" / "itaca", home / "data" / "processed" / "itaca"
    run_dir, evaluation = home / "models" / "scale", home / "evaluation"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    cli = ["-m", "seisgan_core.cli"]
    steps = [
        run_step(
            "demo",
            [
                *cli,
                "demo",
                "--out",
                str(raw),
                "--records",
                str(args.records),
                "--noise",
                str(args.noise),
            ],
            raw,
        ),
        run_step(
            "ingest",
            [*cli, "ingest", str(raw), "--out", str(home / "catalog.parquet")],
            home / "catalog.parquet",
        ),
        run_step(
            "prepare", [*cli, "prepare", str(raw / "demo.h5"), "--out", str(processed)], processed
        ),
        run_step(
            "train_1_epoch",
            [
                *cli,
                "train",
                "--data",
                str(processed),
                "--preset",
                "demo",
                "--epochs",
                "1",
                "--out",
                str(run_dir),
                "--no-progress",
            ],
            run_dir,
        ),
        run_step(
            "evaluate",
            [
                *cli,
                "evaluate",
                "--run",
                str(run_dir),
                "--data",
                str(processed),
                "--out",
                str(evaluation),
                "--n",
                str(args.evaluate_n),
                "--quiet",
            ],
            evaluation,
        ),
    ]
    for page in PAGES:
        steps.append(
            run_step(f"app_{page}", ["-c", APP_SCRIPT, page], home, env={"SEISGAN_HOME": str(home)})
        )
    import pandas as pd  # after the steps: the table of the prepared set gives its size

    n = len(pd.read_parquet(processed / "records.parquet", columns=["row"]))
    lines = [
        START,
        f"`python bench/scale_itaca.py --records {args.records}` ({n} prepared records), "
        f"{os.cpu_count()} cores, no GPU:",
        "",
        "| step | wall s | peak memory MB | output on disk MB | last line |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for s in steps:
        lines.append(
            f"| {s.name} | {s.seconds:.0f} | {s.peak_mb:.0f} | {s.disk_mb:.0f} | {s.note} |"
        )
    lines.append(END)
    table = "\n".join(lines)
    print(table)
    for s in steps:
        print(f"BENCH scale_{s.name}_peak_memory {s.peak_mb:.0f} MB goal <= 2000")
    if not args.no_write:
        text = DOC.read_text(encoding="utf-8")
        if START in text and END in text:
            text = text[: text.index(START)] + table + text[text.index(END) + len(END) :]
        else:
            text = text.rstrip("\n") + "\n\n## ITACA scale, end to end\n\n" + table + "\n"
        DOC.write_text(text, encoding="utf-8")
    if not args.keep:
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

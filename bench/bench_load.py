"""Ten browser sessions at once against one `streamlit run`: page times and server CPU as ratios.

Runs the e2e load test (tests/e2e/test_load.py: one warm-up walk, one single-session walk, then
ten sessions walking every page together in Debian's chromium) and reads the figures it
measured. Each page's median time under load is divided by its single-session time, measured
in the same run; the server's CPU seconds per walk under load are divided by those of one walk
alone. Where the machine has fewer cores than ten sessions need for 3x (their measured CPU
seconds over one walk's wall time, over 3), the page ratio is the core count's and not the
app's, and the line says so.

    python bench/bench_load.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "load.json"
        env = dict(os.environ, SEISGAN_LOAD_REPORT=str(report))
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "tests/e2e/test_load.py",
                "-q",
                "-s",
                "-n",
                "0",  # in this process, not on an xdist worker (pyproject.toml's addopts)
                "-p",
                "no:cacheprovider",
            ],
            cwd=ROOT,
            env=env,
            check=False,
        )
        if not report.exists():
            print(f"the load test wrote no figures (pytest exit {proc.returncode})")
            return 1
        figures = json.loads(report.read_text())
    cpu = figures["cpu_per_walk_s"]
    pages = figures["pages"]
    walk_wall = sum(p["single_s"] for p in pages.values()) + figures["settle_s"] * len(pages)
    demand = figures["sessions"] * (cpu["server_one"] + cpu["browser_one"]) / walk_wall
    cores_for_3x = demand / 3
    print(
        f"{figures['sessions']} sessions on {figures['cores']} cores; "
        f"{cores_for_3x:.1f} cores needed for 3x"
    )
    for name, p in pages.items():
        ratio = p["load_median_s"] / p["single_s"]
        print(f"BENCH load_page_time_ratio_{name} {ratio:.2f} x goal <= 3.0")
    server_ratio = cpu["server_each"] / max(cpu["server_one"], 1e-9)
    print(f"BENCH load_server_cpu_per_walk_ratio {server_ratio:.2f} x goal <= 1.5")
    print(f"BENCH load_cores_needed_for_3x {cores_for_3x:.1f} cores goal <= {figures['cores']}")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())

"""Run every benchmark in bench/ and collect their BENCH lines into docs/benchmarks.md.

Each benchmark is a script that prints, as its last lines, one line per figure:
``BENCH <name> <value> <unit> goal <op> <value>``. This script runs them one after another
(they would disturb each other's timings in parallel), checks each figure against its goal and
rewrites the table between the markers in docs/benchmarks.md. Exit status 1 if a benchmark
failed to run; goals missed are reported in the table, not as a failure.

    python bench/run_all.py [--only NAME ...] [--no-write]

``--only`` reruns the named benchmarks and replaces only their rows of this machine's table.
"""

from __future__ import annotations

import argparse
import operator
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- BENCH TABLE START -->", "<!-- BENCH TABLE END -->"
# one table per machine: its markers carry the machine's line (CPU model and flags)
START_FOR, END_FOR = "<!-- BENCH TABLE START: {} -->", "<!-- BENCH TABLE END: {} -->"
# a BENCH line may end with the machine it ran on, in parentheses; the machine's own name may
# hold parentheses ("Intel(R) Xeon(R) Processor"), so the group runs to the line's last ")"
BENCH_RE = re.compile(
    r"^BENCH\s+(?P<name>\S+)\s+(?P<value>\S+)\s+(?P<unit>\S+)\s+goal\s+(?P<op><=|>=|<|>|==)\s+(?P<goal>\S+)(?:\s+\((?P<machine>.*)\))?\s*$"
)
OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt, "==": operator.eq}


@dataclass
class Figure:
    script: str
    name: str
    value: float
    unit: str
    op: str
    goal: float

    @property
    def met(self) -> bool:
        return OPS[self.op](self.value, self.goal)


def parse_bench_lines(script: str, text: str) -> list[Figure]:
    figures = []
    for line in text.splitlines():
        match = BENCH_RE.match(line.strip())
        if match:
            figures.append(_figure(script, match))
    return figures


def _figure(script: str, match: re.Match) -> Figure:
    """The figure of a BENCH line's or a table row's match (name, value, unit, op, goal)."""
    value, goal = float(match["value"]), float(match["goal"])
    return Figure(script, match["name"], value, match["unit"], match["op"], goal)


def render_table(figures: list[Figure], machine: str) -> str:
    lines = [
        START_FOR.format(machine),
        f"Collected by `python bench/run_all.py` on {machine}.",
        "",
        "| benchmark | figure | value | unit | goal | met |",
        "| --- | --- | ---: | --- | --- | --- |",
    ]
    for f in figures:
        lines.append(
            f"| `{f.script}` | {f.name} | {f.value:g} | {f.unit} | {f.op} {f.goal:g} | "
            f"{'yes' if f.met else '**no**'} |"
        )
    lines.append(END_FOR.format(machine))
    return "\n".join(lines)


ROW_RE = re.compile(
    r"^\| `(?P<script>[^`]+)` \| (?P<name>\S+) \| (?P<value>\S+) \| (?P<unit>\S+) \| "
    r"(?P<op><=|>=|<|>|==) (?P<goal>\S+) \| "
)


def table_figures(machine: str) -> list[Figure]:
    """The figures of this machine's table in the doc as it stands (none if it has no table)."""
    start, end = START_FOR.format(machine), END_FOR.format(machine)
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    if start not in text or end not in text:
        return []
    figures = []
    for line in text[text.index(start) : text.index(end)].splitlines():
        match = ROW_RE.match(line)
        if match:
            figures.append(_figure(match["script"], match))
    return figures


def merged(kept: list[Figure], new: list[Figure], rerun: set[str]) -> list[Figure]:
    """``kept`` (a table's figures) with the rows of the scripts in ``rerun`` replaced by
    ``new``, ordered by script: ``--only`` refreshes its benchmarks' rows and keeps the rest."""
    # sorted() is stable: each script's rows keep their order
    return sorted([f for f in kept if f.script not in rerun] + new, key=lambda f: f.script)


def write_table(table: str, machine: str | None = None) -> None:
    """Replace this machine's table (the unnamed legacy one if no machine), keep the others."""
    start, end = (START, END) if machine is None else (START_FOR, END_FOR)
    if machine is not None:
        start, end = start.format(machine), end.format(machine)
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n\n"
    if start in text and end in text:
        text = text[: text.index(start)] + table + text[text.index(end) + len(end) :]
    elif "<!-- BENCH TABLE END" in text:  # a new machine: its table after the others
        last = text.index("-->", text.rindex("<!-- BENCH TABLE END")) + len("-->")
        text = text[:last] + "\n\n" + table + text[last:]
    else:
        text = text.rstrip("\n") + "\n\n" + table + "\n"
    tmp = DOC.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, DOC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", help="benchmark script names (without .py)")
    parser.add_argument("--no-write", action="store_true", help="print, do not touch the doc")
    args = parser.parse_args(argv)
    scripts = sorted(p for p in (ROOT / "bench").glob("bench_*.py"))
    if args.only:
        scripts = [p for p in scripts if p.stem in args.only]
    figures: list[Figure] = []
    failed = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, check=False
        )
        print(result.stdout[-2000:], end="")
        if result.returncode != 0:
            failed.append(script.name)
            print(result.stderr[-3000:], file=sys.stderr)
        found = parse_bench_lines(script.name, result.stdout)
        print(f"   {len(found)} figures in {time.monotonic() - started:.0f} s", flush=True)
        figures.extend(found)
    sys.path.insert(0, str(ROOT))
    from seisgan_core.train.autotune import describe_cpu

    machine = f"{describe_cpu()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    if args.only:  # the other benchmarks' rows of this machine's table stay as they were
        figures = merged(table_figures(machine), figures, {p.name for p in scripts})
    table = render_table(figures, machine)
    print(table)
    if not args.no_write:
        write_table(table, machine)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

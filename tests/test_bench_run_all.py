"""bench/run_all.py parses BENCH lines, judges goals and rewrites only its table."""

import importlib.util
import sys
from pathlib import Path

spec = importlib.util.spec_from_file_location("run_all", Path("bench/run_all.py"))
run_all = importlib.util.module_from_spec(spec)
sys.modules["run_all"] = run_all  # dataclasses look their module up
spec.loader.exec_module(run_all)


def test_parse_and_judge():
    text = "noise\nBENCH read_vs_loadtxt 1.25 x goal >= 0.8\nBENCH panel_s 21.5 s goal <= 15\n"
    figures = run_all.parse_bench_lines("bench_io.py", text)
    assert [(f.name, f.value, f.unit, f.op, f.goal) for f in figures] == [
        ("read_vs_loadtxt", 1.25, "x", ">=", 0.8),
        ("panel_s", 21.5, "s", "<=", 15.0),
    ]
    assert [f.met for f in figures] == [True, False]


def test_table_replaced_between_markers(tmp_path, monkeypatch):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# B\n\nintro\n\n{run_all.START}\nold\n{run_all.END}\n\n## Notes\nkept\n")
    monkeypatch.setattr(run_all, "DOC", doc)
    figures = run_all.parse_bench_lines("bench_x.py", "BENCH a 2 x goal >= 1")
    run_all.write_table(run_all.render_table(figures, "test machine"), "test machine")
    text = doc.read_text()
    assert "old" in text  # the legacy (unnamed) table is another machine's: kept
    assert "| `bench_x.py` | a | 2 | x | >= 1 | yes |" in text
    assert text.startswith("# B\n\nintro\n") and text.endswith("## Notes\nkept\n")


def test_a_bench_line_may_name_its_machine_and_each_machine_keeps_its_table(tmp_path, monkeypatch):
    text = "BENCH speed 1.4 x goal >= 1.3 (CPU Intel Xeon [avx512f])\n"
    (figure,) = run_all.parse_bench_lines("bench_t.py", text)
    assert (figure.name, figure.value, figure.goal, figure.met) == ("speed", 1.4, 1.3, True)
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# B\n")
    monkeypatch.setattr(run_all, "DOC", doc)
    for machine, value in (
        ("AMD [avx512_bf16]", 2),
        ("Intel [avx512f]", 3),
        ("AMD [avx512_bf16]", 4),
    ):
        figures = run_all.parse_bench_lines("bench_x.py", f"BENCH a {value} x goal >= 1")
        run_all.write_table(run_all.render_table(figures, machine), machine)
    text = doc.read_text()
    assert text.count("Collected by") == 2
    assert "| a | 4 | x |" in text and "| a | 3 | x |" in text and "| a | 2 | x |" not in text


def test_a_machine_whose_name_holds_parentheses_is_parsed():
    # The model name Intel CPUs report: "(R)" inside the parentheses that name the machine.
    machine = "CPU Intel(R) Xeon(R) Processor [avx512f avx512_bf16 amx_bf16 amx_tile avx2]"
    line = f"BENCH asdf_1000_vs_pyasdf 2.30 x goal >= 2 ({machine})"
    (figure,) = run_all.parse_bench_lines("bench_io.py", line)
    assert (figure.name, figure.value, figure.unit, figure.op, figure.goal) == (
        "asdf_1000_vs_pyasdf", 2.3, "x", ">=", 2.0,
    )  # fmt: skip
    assert run_all.BENCH_RE.match(line)["machine"] == machine


def test_only_replaces_its_benchmarks_rows_and_keeps_the_others(tmp_path, monkeypatch):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# B\n")
    monkeypatch.setattr(run_all, "DOC", doc)
    machine = "CPU Intel(R) Xeon(R) Processor [avx512f], 2 cores"
    first = run_all.parse_bench_lines("bench_a.py", "BENCH a 1 x goal >= 1\nBENCH a2 5 s goal <= 9")
    first += run_all.parse_bench_lines("bench_b.py", "BENCH b 0.5 x goal >= 1")
    run_all.write_table(run_all.render_table(first, machine), machine)
    assert run_all.table_figures(machine) == first  # the table reads back as written
    rerun = run_all.parse_bench_lines("bench_b.py", "BENCH b 2.25 x goal >= 1")
    kept = run_all.table_figures(machine)
    run_all.write_table(
        run_all.render_table(run_all.merged(kept, rerun, {"bench_b.py"}), machine), machine
    )
    rows = [(f.script, f.name, f.value, f.met) for f in run_all.table_figures(machine)]
    assert rows == [
        ("bench_a.py", "a", 1.0, True),
        ("bench_a.py", "a2", 5.0, True),
        ("bench_b.py", "b", 2.25, True),
    ]
    assert run_all.table_figures("another machine") == []

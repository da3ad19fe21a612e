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

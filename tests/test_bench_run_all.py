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
    run_all.write_table(run_all.render_table(figures, "test machine"))
    text = doc.read_text()
    assert "old" not in text
    assert "| `bench_x.py` | a | 2 | x | >= 1 | yes |" in text
    assert text.startswith("# B\n\nintro\n") and text.endswith("## Notes\nkept\n")

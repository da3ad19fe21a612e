"""Issue 15 items 2 and 8 through the pages (Streamlit AppTest): a damaged run is shown as
damaged with its reason while the others show as usual; an upload never replaces a file; the
Prepare form refuses the name of a set that runs were trained on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import test_pages

from seisgan_core import appstate
from seisgan_core.train.runs import list_runs
from seisgan_testsupport.app_support import run_folder

home = test_pages.home  # the pages' fixture: a small archive, a prepared set, a run
run_page = test_pages.run_page


def _damage(models: Path) -> None:
    broken = run_folder(models / "broken-config", epochs=2)
    (broken / "config.json").write_text("{")
    torn = run_folder(models / "broken-metrics", epochs=3)
    lines = (torn / "metrics.jsonl").read_text().splitlines()
    lines[1] = lines[1][:20]  # a line cut in the middle of the file
    (torn / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    last = run_folder(models / "torn-last", epochs=3)
    with open(last / "metrics.jsonl", "a") as fh:
        fh.write('{"epoch": 4, "loss_cri')  # a kill mid-append: skipped silently


def test_run_store_marks_damaged_runs_and_reads_the_rest(home):
    _damage(home / "models")
    runs = {r.name: r for r in list_runs(home / "models")}
    assert set(runs) == {"broken-config", "broken-metrics", "tiny-run", "torn-last"}
    assert "config.json: not readable JSON" in runs["broken-config"].damaged
    assert "metrics.jsonl: line 2: " in runs["broken-metrics"].damaged
    assert runs["broken-metrics"].metrics["epoch"].tolist() == [1, 3]  # the good lines
    assert runs["torn-last"].damaged is None
    assert runs["torn-last"].metrics["epoch"].tolist() == [1, 2, 3]
    assert runs["tiny-run"].damaged is None


def test_home_and_train_show_damaged_runs_with_their_reason(home):
    _damage(home / "models")
    for page in (None, "train"):
        at = run_page(page, {"run": "tiny-run"})
        table = next(d.value for d in at.dataframe if "state" in d.value.columns)
        states = dict(zip(table["run"], table["state"], strict=True))
        assert states == {
            "broken-config": "damaged",
            "broken-metrics": "damaged",
            "tiny-run": "finished",
            "torn-last": "finished",
        }, page
        if "message" in table.columns:
            messages = dict(zip(table["run"], table["message"], strict=True))
            assert "not readable JSON" in messages["broken-config"]
            assert "line 2" in messages["broken-metrics"]


@pytest.mark.parametrize("page", ["samples", "compare"])
def test_samples_and_compare_list_damaged_runs_apart(home, page):
    _damage(home / "models")
    at = run_page(page)
    warnings = "\n".join(w.value for w in at.warning)
    assert "broken-config: " in warnings and "not readable JSON" in warnings
    assert "broken-metrics: " in warnings and "line 2" in warnings


def test_upload_never_replaces_a_file_in_the_archive(home):
    archive = home / "data" / "raw" / "test"
    target = next(p for p in archive.iterdir() if p.is_file())
    before = target.read_bytes()
    at = run_page(None)
    next(t for t in at.text_input if t.label.startswith("Archive name")).set_value("test")
    at.get("file_uploader")[0].set_value([(target.name, b"not the original", "text/plain")])
    next(b for b in at.button if b.label == "Upload and read").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert target.read_bytes() == before
    error = "\n".join(e.value for e in at.error)
    assert f"{target} already exists and was not replaced" in error
    suggestion = f"{target.stem}-2{target.suffix}" if target.suffix else f"{target.name}-2"
    assert suggestion in error


def test_save_upload_and_free_names(tmp_path):
    (tmp_path / "flatfile.csv").write_text("the demo's")
    with pytest.raises(appstate.NameTakenError) as info:
        appstate.save_upload("flatfile.csv", b"a user's", tmp_path)
    assert info.value.suggestion == "flatfile-2.csv"
    assert (tmp_path / "flatfile.csv").read_text() == "the demo's"
    appstate.save_upload("flatfile-2.csv", b"a user's", tmp_path)
    assert appstate.free_name(tmp_path, "flatfile.csv") == "flatfile-3.csv"


def test_prepare_form_refuses_a_set_runs_were_trained_on(home):
    tiny = home / "data" / "processed" / "tiny"
    config_path = home / "models" / "tiny-run" / "config.json"
    config = json.loads(config_path.read_text())
    config["data"]["path"] = "data/processed/tiny"
    config_path.write_text(json.dumps(config))
    before = sorted(p.name for p in tiny.iterdir())
    at = run_page("prepare")
    next(t for t in at.text_input if t.label == "Name of the prepared set").set_value("tiny")
    next(b for b in at.button if b.label == "Prepare").click()
    at.run()
    assert not at.exception
    error = "\n".join(e.value for e in at.error)
    assert "is the prepared set that run(s) tiny-run were trained on" in error
    assert "e.g. tiny-2" in error
    assert sorted(p.name for p in tiny.iterdir()) == before
    assert not (home / "data" / "processed" / ".app" / "tiny").exists()  # no job started
    # a set nobody trained on may be rebuilt under its name
    shutil.copytree(tiny, home / "data" / "processed" / "spare")
    assert appstate.check_prepare_name(appstate.Roots(home), "spare").name == "spare"

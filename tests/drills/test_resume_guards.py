"""Issue 15 items 2 and 11 for `seisgan train --resume`: a run continues only on the prepared
set it was trained on, and a preset whose model does not fit the checkpoint is a clear error
(which preset the run was made with), not a state-dict traceback. Records whose path holds
'|' (or a zip whose path holds '::') are skipped with the reason instead of dropped later."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from seisgan_core.cli import main
from seisgan_testsupport.drill_util import write_tiny_preset
from seisgan_testsupport.io_realdata import write_real_esm_record
from seisgan_testsupport.prepared_set import make_prepared_set


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny run trained 1 epoch (of 2) on one prepared set, and a second set."""
    root = tmp_path_factory.mktemp("resume")
    data = make_prepared_set(root / "set", n=32, length=512, seed=1)
    other = make_prepared_set(root / "other", n=32, length=512, seed=2)
    # as prepare's manifests differ (sources, selection, fingerprint)
    (other / "manifest.json").write_text(json.dumps({"source": "another selection"}))
    preset = write_tiny_preset(root / "tiny.json", epochs=1)
    out = root / "run"
    argv = ["train", "--data", str(data), "--preset", str(preset), "--out", str(out),
            "--device", "cpu", "--threads", "1", "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    return root, data, other, out


def _copy_run(trained, tmp_path) -> Path:
    return Path(shutil.copytree(trained[3], tmp_path / "run"))


def test_resume_on_another_prepared_set_is_refused(trained, tmp_path, capsys):
    _, data, other, _ = trained
    run = _copy_run(trained, tmp_path)
    before = (run / "metrics.jsonl").read_bytes()
    code = main(["train", "--data", str(other), "--out", str(run), "--resume", "--epochs", "2",
                 "--device", "cpu", "--no-progress"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    recorded = json.loads((run / "config.json").read_text())["data"]["manifest_sha256"]
    assert f"{run} was trained on a prepared set whose manifest.json has sha256 {recorded}" in err
    assert f"--data {other} has sha256" in err
    assert (run / "metrics.jsonl").read_bytes() == before  # nothing trained
    # its own set resumes
    assert main(["train", "--data", str(data), "--out", str(run), "--resume", "--epochs", "2",
                 "--device", "cpu", "--threads", "1", "--no-progress"]) == 0  # fmt: skip
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 2


def test_resume_with_a_preset_of_another_model_says_which_preset(trained, tmp_path, capsys):
    _, data, _, _ = trained
    run = _copy_run(trained, tmp_path)
    made_with = json.loads((run / "config.json").read_text())["preset"]
    code = main(["train", "--data", str(data), "--out", str(run), "--resume", "--preset",
                 "study_run1", "--device", "cpu", "--threads", "1", "--no-progress"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert f"cannot resume {run}: its checkpoint" in err
    assert f"was made with preset {made_with!r}" in err
    assert "--preset 'study_run1'" in err
    assert "Traceback" not in err and "size mismatch" not in err


def test_paths_holding_separators_are_skipped_with_the_reason(tmp_path, capsys):
    from seisgan_core.catalog import read_records

    bar = write_real_esm_record(tmp_path / "a|b")
    plain = write_real_esm_record(tmp_path / "plain")
    catalog = read_records([tmp_path / "a|b"])
    assert catalog.table.empty
    reasons = dict(catalog.skipped)
    assert sorted(reasons) == sorted(str(p) for p in bar.values())
    assert all("found a path holding '|'" in r and "rename" in r for r in reasons.values())
    zipped = tmp_path / "k::l" / "rec.zip"
    zipped.parent.mkdir()
    import zipfile

    with zipfile.ZipFile(zipped, "w") as archive:
        for path in plain.values():
            archive.write(path, path.name)
    catalog = read_records([zipped])
    assert catalog.table.empty
    assert "found a path holding '::'" in dict(catalog.skipped)[str(zipped)]
    # the same files elsewhere are read, and their waveforms found again
    from seisgan_core.catalog import read_record_waveforms

    table = read_records([tmp_path / "plain"]).table
    assert len(table) == 1
    assert read_record_waveforms(table.iloc[0]).data.shape[0] == 3

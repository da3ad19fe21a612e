"""Issue 15 item 1: an output never replaces an input, nor anything its command did not write.

Each case of the issue is run through the real command (``seisgan_core.cli.main``) and the
inputs are compared byte for byte before and after. On the code before the output guards,
every ``refused`` case here exited 0 and replaced its input (docs/reliability.md).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from seisgan_core.cli import main
from seisgan_core.demo import build_demo_archive
from seisgan_core.fsutil import (
    OUTPUT_MARKER,
    OutputRefusedError,
    check_output,
    read_output_marker,
    write_output_marker,
)
from seisgan_testsupport.prepared_set import make_prepared_set


def tree_hashes(root: Path) -> dict[str, str]:
    """Every file under ``root`` (or ``root`` itself) with the sha256 of its bytes."""
    root = Path(root)
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    return {
        str(p.relative_to(root.parent)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files
    }


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """A small demo archive written by the library (no marker: as archives made before)."""
    path = tmp_path_factory.mktemp("archive") / "demo"
    build_demo_archive(path, seed=0, n_records=30, n_noise=2)
    return path


def copy_archive(archive: Path, dest: Path) -> Path:
    shutil.copytree(archive, dest)
    return dest


def refused(capsys, *argv: str) -> str:
    """Run ``seisgan ARGV``: it must exit 1; returns its stderr."""
    assert main(list(argv)) == 1
    return capsys.readouterr().err


def test_prepare_into_its_own_input_is_refused_and_deletes_nothing(archive, tmp_path, capsys):
    # the issue: demo --out x/a; echo n > x/a/NOTES.txt; prepare x/a --out x/a
    a = copy_archive(archive, tmp_path / "x" / "a")
    (a / "NOTES.txt").write_text("n\n")
    before = tree_hashes(a)
    err = refused(capsys, "prepare", str(a), "--out", str(a))
    assert f"refusing to write {a}: it is the input {a}" in err
    err = refused(capsys, "prepare", str(a), "--out", str(a), "--force")  # never overridable
    assert "--force does not change this" in err
    assert tree_hashes(a) == before


def test_prepare_into_a_folder_holding_its_input_is_refused(archive, tmp_path, capsys):
    # the issue: prepare data/raw/demo --out data wiped data/
    data = tmp_path / "data"
    raw = copy_archive(archive, data / "raw" / "demo")
    (data / "processed").mkdir()
    before = tree_hashes(data)
    err = refused(capsys, "prepare", str(raw), "--out", str(data))
    assert f"refusing to write {data}: it contains the input {raw}" in err
    err = refused(capsys, "prepare", str(raw), "--out", str(raw / "set"))
    assert f"it lies inside the input {raw}" in err
    assert tree_hashes(data) == before


def test_demo_over_a_folder_of_other_files_is_refused(tmp_path, capsys):
    # the issue: demo --out DIR/raw deleted raw/mine/
    raw = tmp_path / "raw"
    (raw / "mine").mkdir(parents=True)
    (raw / "mine" / "record.asc").write_text("mine\n")
    before = tree_hashes(raw)
    err = refused(capsys, "demo", "--out", str(raw), "--records", "5", "--noise", "0")
    assert f"refusing to replace {raw}: it is not empty (mine)" in err
    assert "--force" in err
    assert tree_hashes(raw) == before


def test_demo_replaces_its_own_archive_but_not_files_added_to_it(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--records", "5", "--noise", "0"]) == 0
    assert read_output_marker(out, folder=True)["command"] == "demo"
    assert main(["demo", "--out", str(out), "--records", "6", "--noise", "0"]) == 0  # its own
    (out / "NOTES.txt").write_text("a user's notes\n")
    err = refused(capsys, "demo", "--out", str(out), "--records", "5", "--noise", "0")
    assert "it also holds NOTES.txt, which `seisgan demo` did not write" in err
    assert (out / "NOTES.txt").read_text() == "a user's notes\n"
    # --force is the user's word that the extra files may go
    assert main(["demo", "--out", str(out), "--records", "5", "--noise", "0", "--force"]) == 0
    assert not (out / "NOTES.txt").exists()


def test_ingest_onto_its_input_is_refused(archive, tmp_path, capsys):
    # the issue: ingest A/demo.h5 --out A/demo.h5 turned a 37 MB ASDF file into a parquet
    a = copy_archive(archive, tmp_path / "A")
    before = tree_hashes(a)
    h5 = a / "demo.h5"
    err = refused(capsys, "ingest", str(h5), "--out", str(h5), "--quiet", "--force")
    assert f"refusing to write {h5}: it is the input {h5}" in err
    err = refused(capsys, "ingest", str(a), "--out", str(a / "catalog.parquet"), "--quiet")
    assert f"it lies inside the input {a}" in err
    assert tree_hashes(a) == before


def test_ingest_replaces_its_own_table_only(archive, tmp_path, capsys):
    flat = archive / "flatfile.csv"
    out = tmp_path / "catalog.parquet"
    assert main(["ingest", str(flat), "--out", str(out), "--quiet"]) == 0
    assert main(["ingest", str(flat), "--out", str(out), "--quiet"]) == 0  # its own: replaced
    mine = tmp_path / "mine.parquet"
    mine.write_bytes(b"PAR1 not a record table PAR1")
    err = refused(capsys, "ingest", str(flat), "--out", str(mine), "--quiet")
    assert f"refusing to replace {mine}: it is a file that `seisgan ingest` did not write" in err
    assert mine.read_bytes() == b"PAR1 not a record table PAR1"
    # a table written before markers (no marker beside it) is recognised by its columns
    (tmp_path / f".catalog.parquet{OUTPUT_MARKER}").unlink()
    assert main(["ingest", str(flat), "--out", str(out), "--quiet"]) == 0
    assert main(["ingest", str(flat), "--out", str(mine), "--quiet", "--force"]) == 0


def test_prepare_made_before_markers_is_recognised_and_replaced(archive, tmp_path, capsys):
    # data/processed/* of earlier versions have no marker: manifest.json says what they are
    out = tmp_path / "processed" / "demo"
    assert main(["prepare", str(archive), "--out", str(out), "--anywhere", "--mw-min", "0"]) == 0
    (out / OUTPUT_MARKER).unlink()
    assert main(["prepare", str(archive), "--out", str(out), "--anywhere", "--mw-min", "0",
                 "--force"]) == 0  # fmt: skip
    assert read_output_marker(out, folder=True)["command"] == "prepare"
    # the output of another command is refused
    other = tmp_path / "evaluation"
    other.mkdir()
    (other / "metrics.json").write_text("{}")
    write_output_marker(other, "evaluate", folder=True)
    err = refused(capsys, "prepare", str(archive), "--out", str(other))
    assert "it holds the output of `seisgan evaluate`" in err


def test_train_generate_evaluate_export_refuse_their_inputs(tmp_path, capsys):
    data = make_prepared_set(tmp_path / "set", n=16, length=512, seed=1)
    before = tree_hashes(data)
    err = refused(capsys, "train", "--data", str(data), "--out", str(data), "--device", "cpu")
    assert f"it is the input {data}" in err
    err = refused(capsys, "train", "--data", str(data), "--out", str(data / "run"))
    assert f"it lies inside the input {data}" in err
    busy = tmp_path / "busy"
    (busy / "thesis").mkdir(parents=True)
    err = refused(capsys, "train", "--data", str(data), "--out", str(busy))
    assert "it is not empty (thesis) and `seisgan train` did not write it" in err
    err = refused(capsys, "evaluate", "--generated", str(data / "waveforms.npy"), "--data",
                  str(data), "--out", str(data), "--no-figures", "--quiet")  # fmt: skip
    assert f"it is the input {data}" in err
    gen = data / "waveforms.npy"
    err = refused(capsys, "export", "--generated", str(gen), "--format", "csv", "--out", str(gen))
    assert f"it is the input {gen}" in err
    assert tree_hashes(data) == before
    assert not (busy / "config.json").exists()


def test_generate_refuses_a_file_it_did_not_write(tmp_path, capsys):
    run = tmp_path / "models" / "demo"
    run.mkdir(parents=True)
    (run / "config.json").write_text("{}")
    mine = tmp_path / "mine.npy"
    np.save(mine, np.arange(3.0))
    before = tree_hashes(mine)
    err = refused(capsys, "generate", "--run", str(run), "--n", "1", "--out", str(mine))
    assert f"refusing to replace {mine}: it is a file that `seisgan generate` did not write" in err
    err = refused(capsys, "generate", "--run", str(run), "--n", "1", "--out", str(run / "g.npy"))
    assert f"it lies inside the input {run}" in err
    sidecar_only = tmp_path / "new.npy"
    (tmp_path / "new.json").write_text('{"mine": true}')
    err = refused(capsys, "generate", "--run", str(run), "--n", "1", "--out", str(sidecar_only))
    assert "its sidecar" in err
    assert tree_hashes(mine) == before
    assert json.loads((tmp_path / "new.json").read_text()) == {"mine": True}


def test_guard_unit_cases(tmp_path):
    out = tmp_path / "out"
    check_output(out, "evaluate")  # absent: fine
    out.mkdir()
    check_output(out, "evaluate")  # empty: fine
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(OutputRefusedError, match="symbolic link") as info:
        check_output(link, "evaluate")
    assert info.value.overridable
    src = tmp_path / "src"
    src.mkdir()
    alias = tmp_path / "alias"
    alias.symlink_to(src)  # an output reached through a link is still the input
    with pytest.raises(OutputRefusedError, match="is the input") as info:
        check_output(alias, "prepare", [src], force=True)
    assert not info.value.overridable
    # evaluate carries a folder's other files over: only a name it writes is a clash
    (out / "notes").mkdir()
    check_output(out, "evaluate")
    (out / "fas.png").write_bytes(b"a user's figure")
    with pytest.raises(OutputRefusedError, match=r"not empty \(fas.png\)"):
        check_output(out, "evaluate")
    # a file output whose marker no longer matches (replaced since) is not ours any more
    f = tmp_path / "t.parquet"
    f.write_bytes(b"x")
    write_output_marker(f, "ingest", folder=False)
    check_output(f, "ingest")
    f.write_bytes(b"a user's file now")
    with pytest.raises(OutputRefusedError, match="did not write"):
        check_output(f, "ingest")

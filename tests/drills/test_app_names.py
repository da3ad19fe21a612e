"""Run names, upload names and typed paths the app takes from a user: nothing climbs out.

`seisgan_core.appstate` sanitises run and upload names and confines typed paths to data/ and
models/; a sanitised name must also pass the run store's own check (`train.store.run_dir`).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seisgan_core.appstate import confine_path, sanitize_run_name, save_upload
from seisgan_core.io.errors import UnsafeInputError
from seisgan_core.train.store import run_dir

HOSTILE = ["../x", "../../etc/passwd", "..", ".", "/etc/passwd", "a/../../b", "..\\..\\win",
           "x\x00y", "-rf", ".hidden", "~root", "$(touch pwned)", "C:\\Windows"]  # fmt: skip


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_run_names_become_one_plain_folder_or_are_refused(name, tmp_path):
    try:
        clean = sanitize_run_name(name)
    except ValueError:
        return
    folder = run_dir(clean, tmp_path / "models")  # the run store accepts what the app makes
    assert folder.parent == tmp_path / "models" and ".." not in folder.parts


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(max_size=80))
def test_any_text_sanitises_to_a_name_the_run_store_accepts(name):
    try:
        clean = sanitize_run_name(name)
    except ValueError:
        return
    assert run_dir(clean).name == clean


@pytest.mark.parametrize("filename", ["../../evil.h5", "/etc/cron.d/x.zip", "..", "a/b/c.ASC"])
def test_uploads_land_inside_their_folder(filename, tmp_path):
    dest = tmp_path / "data" / "raw" / "uploads"
    try:
        path = save_upload(filename, b"bytes", dest)
    except ValueError:
        return
    assert path.parent == dest and path.read_bytes() == b"bytes"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [path.name]


def test_typed_paths_cannot_leave_data_or_models(tmp_path):
    data, models = tmp_path / "data", tmp_path / "models"
    (data / "raw").mkdir(parents=True)
    models.mkdir()
    outside = tmp_path / "secret"
    outside.mkdir()
    os.symlink(outside, data / "raw" / "link")  # a symbolic link pointing out
    for text in ("../secret", str(outside), "raw/link", "raw/../../secret", "", "a\x00b"):
        with pytest.raises(UnsafeInputError):
            confine_path(text, (data, models))
    assert confine_path("raw", (data, models)) == (data / "raw").resolve()

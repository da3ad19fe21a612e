"""Reading a prepared set for training: its checks, the Vs30 stand-in and what is left out."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from seisgan_core.io.errors import FormatError
from seisgan_core.train.data import (
    _finite_waveforms,
    _impute_vs30,
    load_training_set,
)


@pytest.fixture
def small(prepared, tmp_path):
    """A copy of the session's prepared set (48 records of 512 samples: 0-37 train, 38-47
    val) in which record 2 has one NaN sample."""
    path = tmp_path / "set"
    shutil.copytree(prepared, path)
    waves = np.load(path / "waveforms.npy")
    waves[2, 1, 256] = np.nan
    np.save(path / "waveforms.npy", waves)
    return path


def _edit_records(path, **columns):
    table = pd.read_parquet(path / "records.parquet")
    for name, values in columns.items():
        table[name] = values
    table.to_parquet(path / "records.parquet")
    return table


def test_finite_check_in_chunks_follows_each_record_through_shuffled_rows():
    rng = np.random.default_rng(0)
    waveforms = rng.standard_normal((23, 3, 8)).astype(np.float32)
    waveforms[[1, 7, 8, 20], rng.integers(0, 3, 4), rng.integers(0, 8, 4)] = [
        np.nan,
        np.inf,
        -np.inf,
        np.nan,
    ]
    rows = rng.permutation(23)  # table row i holds waveform rows[i]
    used = np.flatnonzero(rng.random(23) < 0.8)
    finite = _finite_waveforms(waveforms, rows, used, chunk=4)
    expected = np.ones(23, dtype=bool)
    expected[used] = np.isfinite(waveforms[rows[used]]).all(axis=(1, 2))
    assert finite.tolist() == expected.tolist()
    assert not expected[used].all()  # the case has bad records among those checked


def test_missing_vs30_takes_the_median_of_the_training_records():
    names = ("mw", "vs30_m_s")
    cond = np.array([[5.0, 200.0], [5.0, 400.0], [5.0, np.nan], [5.0, 900.0], [5.0, np.nan]])
    is_train = np.array([True, True, True, False, False])
    imputed = _impute_vs30(cond, names, is_train, "records.parquet")
    # the training values are 200 and 400 (900 is validation): median 300
    assert imputed == {"vs30_m_s": {"records": 2, "value": 300.0}}
    assert cond[:, 1].tolist() == [200.0, 400.0, 300.0, 900.0, 300.0]
    assert _impute_vs30(cond, ("mw",), is_train, "records.parquet") == {}
    none = np.array([[5.0, np.nan], [5.0, 800.0]])
    with pytest.raises(FormatError, match="Vs30 values, found none finite"):
        _impute_vs30(none, names, np.array([True, False]), "records.parquet")


def test_train_and_val_leave_out_the_records_that_are_not_finite(small):
    _edit_records(small, log10_pga_z=[np.nan if i == 4 else 1.0 for i in range(48)])
    ts = load_training_set(small, ("mw", "vs30_m_s"))
    assert ts.excluded == [
        {"record_id": "SYN.0002", "row": 2, "reason": "waveform has NaN or infinite samples"},
        {"record_id": "SYN.0004", "row": 4, "reason": "log10 PGA is not finite"},
    ]
    assert ts.train.record_ids == [f"SYN.{i:04d}" for i in range(38) if i not in (2, 4)]
    assert ts.val.record_ids == [f"SYN.{i:04d}" for i in range(38, 48)]
    assert ts.train.conditions.shape == (36, 2) and ts.train.conditions.dtype == np.float32
    assert len(ts.manifest_sha256) == 64


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        ("row", [*range(47), 48], r"field 'row': expected row indices in \[0, 48\)"),
        ("split", ["train"] * 47 + ["holdout"], "field 'split': expected split in train/val/test"),
    ],
)
def test_records_that_do_not_fit_the_waveforms_are_refused(small, column, values, message):
    _edit_records(small, **{column: values})
    with pytest.raises(FormatError, match=message) as info:
        load_training_set(small)
    assert info.value.path == str(small / "records.parquet")


def test_a_truncated_or_object_waveform_file_is_refused_before_reading(small):
    wave = small / "waveforms.npy"
    wave.write_bytes(wave.read_bytes()[:-100])
    with pytest.raises(FormatError, match="is the file truncated"):
        load_training_set(small)
    np.save(wave, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(FormatError, match="an array of Python objects"):
        load_training_set(small)
    np.save(wave, np.zeros((48, 2, 512), dtype=np.float32))
    with pytest.raises(FormatError, match=r"float32 array shaped \(N, 3, 8000\)"):
        load_training_set(small)
    (small / "records.parquet").unlink()
    with pytest.raises(FormatError, match="a prepared training set file, found no such file"):
        load_training_set(small)

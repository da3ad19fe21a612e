"""Reading a prepared set for training: its checks, the Vs30 stand-in and what is left out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from prepared_set import make_prepared_set

from seisgan_core.io.errors import FormatError
from seisgan_core.train.data import (
    _finite_waveforms,
    _impute_vs30,
    load_training_set,
)


@pytest.fixture
def small(tmp_path):
    """12 records of 64 samples (10 train, 2 val); record 2 has one NaN sample."""
    return make_prepared_set(tmp_path / "set", n=12, length=64, seed=5, nan_rows=(2,))


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
    _edit_records(small, log10_pga_z=[np.nan if i == 4 else 1.0 for i in range(12)])
    ts = load_training_set(small, ("mw", "vs30_m_s"))
    assert ts.excluded == [
        {"record_id": "SYN.0002", "row": 2, "reason": "waveform has NaN or infinite samples"},
        {"record_id": "SYN.0004", "row": 4, "reason": "log10 PGA is not finite"},
    ]
    assert ts.train.record_ids == [f"SYN.{i:04d}" for i in (0, 1, 3, 5, 6, 7, 8, 9)]
    assert ts.val.record_ids == ["SYN.0010", "SYN.0011"]
    assert ts.train.conditions.shape == (8, 2) and ts.train.conditions.dtype == np.float32
    assert len(ts.manifest_sha256) == 64


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        ("row", [*range(11), 12], r"field 'row': expected row indices in \[0, 12\)"),
        ("split", ["train"] * 11 + ["holdout"], "field 'split': expected split in train/val/test"),
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
    np.save(wave, np.zeros((12, 2, 64), dtype=np.float32))
    with pytest.raises(FormatError, match=r"float32 array shaped \(N, 3, 8000\)"):
        load_training_set(small)
    (small / "records.parquet").unlink()
    with pytest.raises(FormatError, match="a prepared training set file, found no such file"):
        load_training_set(small)

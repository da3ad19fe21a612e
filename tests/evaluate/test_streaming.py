"""The panel reads real records in chunks: same metrics, and the real set never whole in memory.

`seisgan evaluate` at ITACA's size (13,600 records, 1.3 GB of float32 waveforms) held the
whole real set in memory several times over (issue 8). The panel now reads ``chunk`` records
at a time from any array-like source and keeps per-record measures only; these tests check
that the chunk size changes no value (chunks that divide the set and one that does not),
that the nearest-record search reads real records on demand yet finds what the public
whole-array ``nearest_real`` finds, that no read asks for more than ``chunk`` records and
that the memory traced during a panel stays well below the real set's size; and the CLI's
reader of prepared sets against ``PreparedSet.to_cm_s2``.
"""

from __future__ import annotations

import json
import math
import os
import tracemalloc

import numpy as np
import pandas as pd
import pytest

from seisgan_core.evaluation import fas, nearest_real, pga
from seisgan_core.evaluation.panel import _kept_training_records, evaluate
from seisgan_testsupport.synthetic_records import DT, catalogue, noise_windows, simulate

N, NPTS = 45, 1600


def _leaves(x, path=""):
    """Every (path, value) of a JSON-able result, lists and dicts flattened."""
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _leaves(v, f"{path}/{k}")
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from _leaves(v, f"{path}[{i}]")
    else:
        yield path, x


def _assert_same_panel(a: dict, b: dict) -> None:
    a = {k: v for k, v in a.items() if k != "timings_s"}
    b = {k: v for k, v in b.items() if k != "timings_s"}
    la, lb = list(_leaves(a)), list(_leaves(b))
    assert [p for p, _ in la] == [p for p, _ in lb]
    for (path, x), (_, y) in zip(la, lb, strict=True):
        if isinstance(x, float) and isinstance(y, float):
            assert (math.isnan(x) and math.isnan(y)) or x == pytest.approx(
                y, rel=1e-9, abs=1e-12
            ), path
        else:
            assert x == y, path


@pytest.fixture(scope="module")
def sets():
    mw, dist = catalogue(N, seed=60)
    real = simulate(mw, dist, seed=61, npts=NPTS).astype(np.float32)
    gmw, gdist = catalogue(10, seed=62)
    gen = simulate(gmw, gdist, seed=63, npts=NPTS).astype(np.float32)
    gen[:3] = np.roll(real[:3], 25, axis=-1) * 1.2  # copies of training records
    split = np.array(["train", "train", "train", "val", "test"] * (N // 5))
    real_table = pd.DataFrame(
        {
            "event_id": [f"ev{i // 5}" for i in range(N)],
            "mw": mw,
            "epicentral_distance_km": dist,
            "vs30_m_s": 450.0,
        }
    )
    gen_table = pd.DataFrame({"mw": gmw, "epicentral_distance_km": gdist, "vs30_m_s": 450.0})
    noise = noise_windows(11, seed=64, npts=NPTS).astype(np.float32)
    return real, gen, split, real_table, gen_table, noise


@pytest.mark.slow
def test_chunk_size_changes_no_metric(sets):
    real, gen, split, real_table, gen_table, noise = sets

    def panel(chunk):
        return evaluate(
            gen,
            real,
            dt=DT,
            real_split=split,
            real_conditions=real_table,
            generated_conditions=gen_table,
            noise=noise,
            chunk=chunk,
        )

    whole = panel(N)  # one chunk: the whole set at once, as the panel read it before
    assert "skipped" not in whole["gmm"] and "skipped" not in whole["frechet"]["embedding"]
    assert "skipped" not in whole["augmentation"]["earthquake_vs_noise"]
    json.dumps(whole)
    for chunk in (16, 7):  # 7 divides neither the 45 real records nor the 11 noise windows
        _assert_same_panel(panel(chunk), whole)

    # The chunked panel's values are those of the whole-array public functions.
    train, test = real[split == "train"], real[split == "test"]
    near = nearest_real(gen, train, real_test=test)
    assert whole["nearest_real"]["memorisation_ratio"] == pytest.approx(near.memorisation_ratio)
    assert whole["nearest_real"]["distance"] == pytest.approx(near.distance.tolist())
    train_rows = np.flatnonzero(split == "train")
    assert whole["nearest_real"]["nearest_real_row"] == train_rows[near.index].tolist()
    assert whole["nearest_real"]["nearest_real_row"][:3] == [0, 1, 2]  # the copies' originals
    _, amp = fas(real, DT)
    np.testing.assert_allclose(whole["fas"]["real"]["median"], np.median(amp, axis=0), rtol=1e-5)
    np.testing.assert_array_equal(
        np.asarray(whole["intensity"]["real"]["pga_cm_s2"]["values"]), pga(real)
    )


class RecordingSource:
    """A memory-mapped real set that records how many records each read asks for."""

    def __init__(self, array: np.ndarray):
        self.array = array
        self.shape = array.shape
        self.reads: list[int] = []

    def __getitem__(self, key):
        out = np.array(self.array[key])  # a copy: what a file reader returns
        self.reads.append(out.shape[0] if out.ndim == 3 else 1)
        return out


@pytest.mark.slow
def test_kept_training_records_are_not_read_again(sets):
    real, gen, split, _, _, _ = sets
    train = split == "train"
    n_test = int((split == "test").sum())
    assert train.sum() == 27

    def records_read(chunk):
        source = RecordingSource(real)
        result = evaluate(gen, source, dt=DT, real_split=split, chunk=chunk)
        return sum(source.reads), result

    # A chunk of 45 keeps the decimated copies of up to 90 training records (all 27): the
    # search reads only its test queries again, once each.
    kept_all, whole = records_read(N)
    assert kept_all == N + n_test
    # A chunk of 4 keeps 8: the other 19 are read again each time a block of queries has
    # them among its candidates (at least once each where they are candidates at all).
    some, part = records_read(4)
    assert np.array_equal(
        np.flatnonzero(_kept_training_records(train, 4)), np.flatnonzero(train)[:8]
    )
    assert some > N + n_test
    # The same search either way.
    assert part["nearest_real"]["nearest_real_row"] == whole["nearest_real"]["nearest_real_row"]
    assert part["nearest_real"]["distance"] == whole["nearest_real"]["distance"]


def _traced_panel(tmp_path, n: int, npts: int, chunk: int) -> tuple[int, RecordingSource, dict]:
    """Traced peak memory of a panel of 8 generated records against n memory-mapped ones."""
    mw, dist = catalogue(n, seed=70)
    path = tmp_path / f"real-{n}.npy"
    np.save(path, simulate(mw, dist, seed=71, npts=npts).astype(np.float32))
    source = RecordingSource(np.load(path, mmap_mode="r"))
    gen = simulate(*catalogue(8, seed=72), seed=73, npts=npts).astype(np.float32)
    tracemalloc.start()
    try:
        result = evaluate(gen, source, dt=DT, chunk=chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, source, result


@pytest.mark.slow
def test_real_set_is_read_in_chunks_never_whole(tmp_path, monkeypatch):
    # One worker thread per pool: blocks in flight on several threads make the traced peak
    # depend on their timing; on one, it is the same from run to run.
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    npts, chunk = 8000, 24
    _traced_panel(tmp_path, 150, npts, chunk)  # warm-up: caches (smoothing weights), imports
    small, _, _ = _traced_panel(tmp_path, 150, npts, chunk)
    peak, source, result = _traced_panel(tmp_path, 450, npts, chunk)
    assert result["n_real"] == 450
    # Every read (per-record pass, test queries, training candidates) is at most one chunk,
    # and together they cover the set (once, plus the nearest-record search's rereads).
    assert max(source.reads) <= chunk
    assert sum(source.reads) >= 450
    # Three times the records: the traced peak grows by the per-record measures (~14 kB a
    # record, measured), not by the 96 kB of each record's waveforms: one whole-set copy
    # would add 300 x 96 kB = 29 MB. The peak itself stays below the set's size.
    whole = 450 * 3 * npts * 4
    extra = 300 * 3 * npts * 4
    assert peak - small < 0.3 * extra, f"{(peak - small) / 2**20:.1f} MB more"
    assert peak < 0.75 * whole, f"traced peak {peak / 2**20:.1f} MB"
    real = np.load(tmp_path / "real-450.npy")
    np.testing.assert_array_equal(
        np.asarray(result["intensity"]["real"]["pga_cm_s2"]["values"]), pga(real)
    )


def _prepared(tmp_path, n: int = 12, npts: int = 500):
    """A prepared set in the contract's layout (z-scored float32, mean and std per component)."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((n, 3, npts)) * rng.uniform(0.5, 40, (n, 3, 1)) + 2.0
    mean, std = x.mean(axis=-1), x.std(axis=-1)
    np.save(tmp_path / "waveforms.npy", ((x - mean[..., None]) / std[..., None]).astype("f4"))
    table = pd.DataFrame({"row": np.arange(n)})
    for c, name in enumerate("enz"):
        table[f"mean_{name}"] = mean[:, c]
        table[f"std_{name}"] = std[:, c]
    return np.load(tmp_path / "waveforms.npy", mmap_mode="r"), table


def test_prepared_rows_read_back_as_to_cm_s2(tmp_path):
    from seisgan_core.preparation import PreparedSet, denormalised_rows

    waveforms, table = _prepared(tmp_path)
    shuffled = table.sample(frac=1.0, random_state=0)  # the reader orders by "row" itself
    rows = denormalised_rows(waveforms, shuffled)
    expected = PreparedSet(waveforms, table, {}, tmp_path).to_cm_s2().astype(np.float32)
    assert rows.shape == expected.shape and len(rows) == 12
    np.testing.assert_array_equal(rows[:], expected)
    np.testing.assert_array_equal(rows[3:8], expected[3:8])
    np.testing.assert_array_equal(rows[np.array([9, 2, 3, 4, 11])], expected[[9, 2, 3, 4, 11]])
    np.testing.assert_array_equal(rows[-1], expected[-1])
    # what load_prepared's PreparedSet hands the evaluate command
    lazy = PreparedSet(waveforms, shuffled, {}, tmp_path).cm_s2_rows()
    np.testing.assert_array_equal(lazy[np.array([5, 0, 7])], expected[[5, 0, 7]])
    with pytest.raises(IndexError):
        rows[12]
    with pytest.raises(IndexError):
        rows[np.array([0, 12])]
    with pytest.raises(IndexError):
        rows[::2]
    # An array in memory (no file to read from) gives the same rows.
    in_memory = denormalised_rows(np.array(waveforms), table)
    np.testing.assert_array_equal(in_memory[np.array([9, 2, 3])], expected[[9, 2, 3]])


def test_prepared_rows_refuse_a_table_that_does_not_match(tmp_path):
    from seisgan_core.io.errors import FormatError
    from seisgan_core.preparation import denormalised_rows

    waveforms, table = _prepared(tmp_path)
    with pytest.raises(FormatError, match="row"):
        denormalised_rows(waveforms, table.iloc[:-1])

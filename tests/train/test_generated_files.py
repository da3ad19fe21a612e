"""`seisgan generate`'s writers (issue 15 item 3): ASDF goes to a temporary file beside the
output and is renamed over it only when complete, so a failure mid-write (a full disk; here a
simulated one) leaves the old file byte for byte as it was, and no temporary behind."""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pyasdf
import pytest

from seisgan_core.train.runs import GeneratedSamples, save_generated


def _samples(n: int = 2, seed: int = 0) -> GeneratedSamples:
    rng = np.random.default_rng(seed)
    return GeneratedSamples(
        waveforms=rng.standard_normal((n, 3, 400)).astype(np.float32),
        units="cm/s2",
        log10_pga=rng.standard_normal((n, 3)),
        conditions=[{} for _ in range(n)],
        epoch=3,
        seed=seed,
        run="models/demo",
        checkpoint="best.pt",
    )


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_asdf_write_failing_mid_way_leaves_the_old_file(tmp_path, monkeypatch):
    out = tmp_path / "old.h5"
    save_generated(out, _samples(seed=1))
    before = _digest(out)
    with pyasdf.ASDFDataSet(str(out), mode="r") as ds:
        assert len(ds.waveforms) == 2

    def disk_full(self, *args, **kwargs):  # after the waveforms, before the provenance
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pyasdf.ASDFDataSet, "add_auxiliary_data", disk_full)
    with pytest.raises(OSError, match="No space left"):
        save_generated(out, _samples(n=5, seed=2))
    assert _digest(out) == before
    assert sorted(os.listdir(tmp_path)) == ["old.h5"]  # no temporary left behind


def test_asdf_and_npy_outputs_round_trip_with_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        written = save_generated(tmp_path / "g.npy", _samples())
        written += save_generated(tmp_path / "g.h5", _samples())
    finally:
        os.umask(old)
    assert np.array_equal(np.load(tmp_path / "g.npy"), _samples().waveforms)
    with pyasdf.ASDFDataSet(str(tmp_path / "g.h5"), mode="r") as ds:
        trace = ds.waveforms["SG.G0001"]["generated_acceleration"][0]
        assert np.array_equal(trace.data, _samples().waveforms[1, 0])
    for path in written:
        assert path.stat().st_mode & 0o777 == 0o644, path

"""The scenario travels with each exported generated record (issue 16): an ASDF event per
scenario (Mw, depth), SAC headers, and start times from the moment of generation."""

from __future__ import annotations

import io
import itertools
import zipfile

import numpy as np
import obspy
import pytest

from seisgan_core.evaluation.export import export_samples, record_starts

SCENARIOS = [
    {"mw": 5.5, "distance_km": 20.0, "depth_km": 9.0, "vs30_m_s": 450.0},
    {"mw": 4.2, "distance_km": 80.0, "depth_km": 12.5, "vs30_m_s": 800.0},
]
CREATED = "2026-11-29T21:04:05+00:00"


def _records() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.normal(size=(2, 3, 400)).astype(np.float32)


def test_start_times_are_the_moment_of_generation_an_hour_apart():
    starts = record_starts(3, CREATED)
    assert starts[0] == obspy.UTCDateTime(2026, 11, 29, 21, 4, 5)
    assert [b - a for a, b in itertools.pairwise(starts)] == [3600.0, 3600.0]


def test_asdf_holds_an_event_per_scenario_associated_with_its_traces(tmp_path):
    pyasdf = pytest.importorskip("pyasdf")
    data = export_samples(
        _records(), "asdf", dt=0.01, provenance={"run": "r", "created": CREATED},
        conditions=SCENARIOS,
    )  # fmt: skip
    path = tmp_path / "g.h5"
    path.write_bytes(data)
    with pyasdf.ASDFDataSet(str(path), mode="r") as ds:
        events = {str(e.resource_id): e for e in ds.events}
        assert len(events) == 2
        for i, scenario in enumerate(SCENARIOS):
            stream = ds.waveforms[f"SG.G{i:04d}"]["generated_acceleration"]
            assert [tr.stats.channel for tr in stream] == ["HNE", "HNN", "HNZ"]
            expected = obspy.UTCDateTime(2026, 11, 29, 21, 4, 5) + 3600 * i
            assert all(tr.stats.starttime == expected for tr in stream)
            (event_id,) = {str(e) for tr in stream for e in tr.stats.asdf.event_ids}
            event = events[event_id]
            assert event.preferred_magnitude().mag == scenario["mw"]
            assert event.preferred_magnitude().magnitude_type == "Mw"
            assert event.preferred_origin().depth == scenario["depth_km"] * 1000.0
            assert event.preferred_origin().time == stream[0].stats.starttime


def test_sac_headers_carry_the_scenario():
    data = export_samples(
        _records(), "sac", dt=0.01, provenance={"run": "demo", "created": CREATED},
        conditions=SCENARIOS,
    )  # fmt: skip
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for i, scenario in enumerate(SCENARIOS):
            for comp in "ENZ":
                raw = archive.read(f"SG.G{i:04d}..HN{comp}.sac")
                sac = obspy.read(io.BytesIO(raw), format="SAC")[0].stats.sac
                assert sac.mag == pytest.approx(scenario["mw"])
                assert sac.dist == pytest.approx(scenario["distance_km"])
                assert sac.evdp == pytest.approx(scenario["depth_km"])
                assert sac.user0 == pytest.approx(scenario["vs30_m_s"])
                assert sac.o == 0.0


def test_unconditional_records_export_without_events(tmp_path):
    pyasdf = pytest.importorskip("pyasdf")
    path = tmp_path / "u.h5"
    path.write_bytes(export_samples(_records(), "asdf", dt=0.01, provenance={}))
    with pyasdf.ASDFDataSet(str(path), mode="r") as ds:
        assert len(ds.events) == 0
        assert len(ds.waveforms) == 2

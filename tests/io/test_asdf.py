"""ASDF through h5py, cross-checked against files pyasdf writes from real L'Aquila samples."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from obspy.geodetics import gps2dist_azimuth

from seisgan_core.io.asdf import (
    default_tags,
    is_asdf,
    list_asdf,
    read_asdf_events,
    read_asdf_record,
    read_asdf_table,
    read_asdf_traces,
)
from seisgan_core.io.errors import AsdfError, SeisganIOWarning
from seisgan_testsupport.io_realdata import real_asdf, requires_fixtures

pytestmark = requires_fixtures


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    path = tmp_path_factory.mktemp("asdf") / "aqg.h5"
    facts = real_asdf(path)
    return path, facts


def test_lists_events_stations_tags(archive):
    path, _ = archive
    assert is_asdf(path)
    contents = list_asdf(path)
    assert contents.events == ["smi:local/IT-2009-0009"]
    assert contents.stations == ["IT.AQG"]
    assert contents.tags == {"noise": 3, "processed_acceleration": 3}
    assert contents.version.startswith("1.")


def test_record_by_event_and_station_equals_what_pyasdf_wrote(archive):
    path, facts = archive
    for event_id in ("smi:local/IT-2009-0009", "IT-2009-0009"):
        record = read_asdf_record(path, event_id, "IT.AQG")
        assert record.components == ("E", "N", "Z")
        assert record.sampling_rate_hz == 200.0
        for row, letter in enumerate("ENZ"):
            assert np.array_equal(record.data[row], facts["data"][letter])


def test_record_with_tag_noise_is_not_an_event_record(archive):
    path, _ = archive
    with pytest.raises(AsdfError, match="traces of event"):
        read_asdf_record(path, "IT-2009-0010", "IT.AQG")


def test_bulk_traces_equal_pyasdf(archive):
    import pyasdf

    path, _ = archive
    traces = read_asdf_traces(path, tag="noise")
    ds = pyasdf.ASDFDataSet(str(path), mode="r")
    try:
        stream = ds.waveforms["IT.AQG"]["noise"]
        by_channel = {tr.stats.channel: tr for tr in stream}
        assert len(traces) == 3
        for trace in traces:
            reference = by_channel[trace.info.channel]
            assert np.array_equal(trace.data, reference.data)
            assert trace.info.sampling_rate_hz == reference.stats.sampling_rate
            assert trace.info.starttime_ns == reference.stats.starttime.ns
    finally:
        del ds


def test_bulk_traces_limit_and_progress(archive):
    path, _ = archive
    everything = read_asdf_traces(path)
    assert len(everything) == 6
    names = [t.info.name for t in everything]
    assert names == sorted(names)  # name order within the station's group
    seen: list[tuple[float, str]] = []
    first = read_asdf_traces(path, limit=4, progress=lambda f, m: seen.append((f, m)))
    assert [t.info.name for t in first] == names[:4]
    for a, b in zip(first, everything, strict=False):
        assert np.array_equal(a.data, b.data)
    assert seen[0][0] == pytest.approx(1 / 4) and seen[-1][0] == 1.0
    assert all(a <= b for (a, _), (b, _) in itertools.pairwise(seen))
    tagged = read_asdf_traces(path, tag="processed_acceleration", limit=2)
    assert [t.info.tag for t in tagged] == ["processed_acceleration"] * 2
    assert read_asdf_traces(path, limit=0) == []
    by_name = read_asdf_traces(path, names=[names[5], names[1]])
    assert [t.info.name for t in by_name] == [names[1], names[5]]


def test_table_from_the_asdf_alone(archive):
    path, facts = archive
    rows = {row["kind"]: row for row in read_asdf_table(path)}
    quake, noise = rows["earthquake"], rows["noise"]
    lat, lon = facts["station"]
    assert quake["record_id"] == "IT-2009-0009.IT.AQG..HN"
    assert quake["mw"] == 6.3 and quake["ml"] == 5.8
    assert quake["event_depth_km"] == pytest.approx(8.8)
    expected = gps2dist_azimuth(42.334, 13.334, lat, lon)[0] / 1000.0
    assert quake["epicentral_distance_km"] == pytest.approx(expected)
    assert quake["epicentral_distance_km"] == pytest.approx(4.0, abs=0.5)  # ITACA: 4.0 km
    assert quake["pga_cm_s2"] == pytest.approx(
        max(np.abs(facts["data"]["E"]).max(), np.abs(facts["data"]["N"]).max())
    )
    assert quake["record_duration_s"] == 20.0
    assert noise["event_id"] is None and math.isnan(noise["mw"])
    assert noise["tag"] == "noise"


def test_without_quakeml_reads_with_a_warning(tmp_path):
    path = tmp_path / "no_events.h5"
    real_asdf(path, with_quakeml=False, noise=False, n=500)
    with pytest.warns(SeisganIOWarning, match="no QuakeML"):
        rows = read_asdf_table(path)
    assert len(rows) == 1
    assert math.isnan(rows[0]["mw"]) and rows[0]["event_time"] is None
    assert rows[0]["event_id"] == "smi:local/IT-2009-0009"
    with pytest.warns(SeisganIOWarning):
        assert read_asdf_events(path) == {}


def test_default_tags_prefer_processed_acceleration():
    assert default_tags(["raw_recording", "processed_acceleration", "noise"]) == [
        "processed_acceleration",
        "noise",
    ]
    assert default_tags(["raw_recording", "velocity"]) == ["raw_recording", "velocity"]


def test_record_ids_of_events_noise_and_extra_tags():
    from datetime import UTC, datetime

    from seisgan_core.io.asdf import _table_record_id

    event = ("processed_acceleration", "smi:local/IT-2009-0009", "IT", "AQG", "", "HN")
    assert _table_record_id(event, None, multi_tag=True) == "IT-2009-0009.IT.AQG..HN"
    raw = ("raw_recording", *event[1:])
    assert _table_record_id(raw, None, multi_tag=False) == "IT-2009-0009.IT.AQG..HN"
    assert _table_record_id(raw, None, multi_tag=True) == "IT-2009-0009.IT.AQG..HN@raw_recording"
    noise = ("noise", "@1238985159000000000", "IT", "AQG", "00", "HN")
    start = datetime(2009, 4, 6, 2, 32, 39, tzinfo=UTC)
    assert _table_record_id(noise, start, multi_tag=True) == "noise.IT.AQG.00.HN.20090406T023239"
    assert _table_record_id(noise, None, multi_tag=False) == "noise.IT.AQG.00.HN.x"


def test_epicentral_distance_is_nan_without_coordinates_and_exact_on_the_equator():
    from seisgan_core.io.asdf import _epicentral_distance_km

    station = {"latitude": 0.0, "longitude": 1.0}
    # one degree of longitude on the WGS84 equator: a * pi / 180
    assert _epicentral_distance_km({"latitude": 0.0, "longitude": 0.0}, station) == pytest.approx(
        6378.137 * math.pi / 180, rel=1e-9
    )
    assert math.isnan(_epicentral_distance_km({}, station))
    assert math.isnan(
        _epicentral_distance_km(
            {"latitude": 0.0, "longitude": 0.0}, {"latitude": math.nan, "longitude": 1.0}
        )
    )


def test_a_record_short_of_a_component_or_at_two_rates_is_refused_by_name(tmp_path):
    import h5py

    path = tmp_path / "broken.h5"
    real_asdf(path, noise=False, n=500)
    with h5py.File(path, "r+") as f:
        group = f["Waveforms/IT.AQG"]
        names = sorted(n for n in group if n != "StationXML")
        group[names[0]].attrs["sampling_rate"] = 100.0
    with pytest.raises(
        AsdfError, match=r"one sampling rate for the three components, found \[100.0, 200.0\]"
    ):
        read_asdf_record(path, "IT-2009-0009", "IT.AQG")
    skipped = []
    assert read_asdf_table(path, skipped=skipped) == []
    ((label, reason),) = skipped
    assert label == f"{path}::processed_acceleration/smi:local/IT-2009-0009/IT.AQG..HN"
    assert reason.endswith("expected one sampling rate per record, found [100.0, 200.0]")
    with h5py.File(path, "r+") as f:
        del f["Waveforms/IT.AQG"][names[0]]
    with pytest.raises(
        AsdfError, match=r"field 'Waveforms/IT\.AQG': expected three components"
    ) as info:
        read_asdf_record(path, "IT-2009-0009", "IT.AQG")
    assert info.value.found == "HNN,HNZ"

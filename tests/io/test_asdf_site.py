"""Vs30 and EC8 class travel in StationXML as namespaced extra attributes and are read back."""

import numpy as np
import obspy
import pyasdf
import pytest
from obspy.core.inventory import Channel, Inventory, Network, Site, Station
from obspy.core.util import AttribDict

from seisgan_core.io.asdf import read_asdf_table
from seisgan_core.io.errors import AsdfError

NS = "https://example.org/xmlns/site/1.0"


def _write(path, vs30, ec8):
    start = obspy.UTCDateTime(2016, 8, 24, 1, 36, 32)
    event = obspy.core.event.Event(resource_id="smi:local/event/1")
    event.origins.append(
        obspy.core.event.Origin(time=start, latitude=42.7, longitude=13.2, depth=8000.0)
    )
    event.magnitudes.append(obspy.core.event.Magnitude(mag=6.0, magnitude_type="Mw"))
    channels = [
        Channel(
            code=f"HN{c}",
            location_code="",
            latitude=42.8,
            longitude=13.3,
            elevation=500.0,
            depth=0.0,
        )
        for c in "ENZ"
    ]
    station = Station(
        code="AMT",
        latitude=42.8,
        longitude=13.3,
        elevation=500.0,
        site=Site(name="Amatrice"),
        channels=channels,
    )
    station.extra = AttribDict(
        {
            "vs30_m_s": AttribDict({"value": vs30, "namespace": NS}),
            "ec8_class": AttribDict({"value": ec8, "namespace": NS}),
        }
    )
    inventory = Inventory(networks=[Network(code="IT", stations=[station])], source="test")
    traces = [
        obspy.Trace(
            np.sin(np.arange(400) / 10.0),
            header={
                "network": "IT",
                "station": "AMT",
                "channel": f"HN{c}",
                "sampling_rate": 200.0,
                "starttime": start,
            },
        )
        for c in "ENZ"
    ]
    with pyasdf.ASDFDataSet(str(path), mode="w") as ds:
        ds.add_quakeml(obspy.core.event.Catalog([event]))
        ds.add_stationxml(inventory)
        ds.add_waveforms(obspy.Stream(traces), tag="processed_acceleration", event_id=event)


def test_vs30_and_ec8_from_station_extras(tmp_path):
    path = tmp_path / "site.h5"
    _write(path, "512.5", "b")
    (row,) = read_asdf_table(path)
    assert row["vs30_m_s"] == pytest.approx(512.5)
    assert row["ec8_class"] == "B"


def test_vs30_not_a_number_is_named(tmp_path):
    path = tmp_path / "site.h5"
    _write(path, "fast", "B")
    with pytest.raises(
        AsdfError, match=r"IT\.AMT/StationXML vs30_m_s.*expected Vs30 in m/s.*'fast'"
    ):
        read_asdf_table(path)

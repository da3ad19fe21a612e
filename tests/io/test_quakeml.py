"""The ten real INGV QuakeML event files."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from seisgan_core.catalog import read_records
from seisgan_core.io.quakeml import is_quakeml, read_quakeml
from seisgan_testsupport.io_realdata import QUAKEML, requires_fixtures

pytestmark = requires_fixtures


@pytest.fixture(scope="module")
def events():
    files = sorted(QUAKEML.glob("*.qml"))
    assert len(files) == 10
    return {path.name.split("__")[1]: read_quakeml(path) for path in files}


def test_one_event_per_file_with_the_id_of_its_name(events):
    for number, found in events.items():
        assert len(found) == 1
        assert found[0]["event_id"].endswith(f"eventId={number}")
        assert found[0]["event_type"] == "earthquake"


def test_values_of_one_event(events):
    (event,) = events["25883901"]
    assert event["time"] == datetime(2021, 1, 1, 2, 13, 58, 519000, tzinfo=UTC)
    assert event["latitude"] == 40.827333 and event["longitude"] == 14.133667
    assert event["depth_km"] == pytest.approx(1.64)  # 1640 m in the file
    assert event["magnitude"] == 1.0 and event["magnitude_type"] == "Md"
    assert math.isnan(event["mw"]) and math.isnan(event["ml"])  # Md only: no Mw, no ML
    assert event["region"] == "4 km SE Pozzuoli (NA)"


def test_local_magnitudes(events):
    (event,) = events["25883171"]
    assert event["ml"] == 3.0 and event["magnitude_type"] == "ML"
    assert math.isnan(event["mw"])
    assert event["depth_km"] == pytest.approx(15.5)


def test_quakeml_is_recognised_and_not_taken_for_records():
    path = next(QUAKEML.glob("*.qml"))
    assert is_quakeml(path)
    catalog = read_records([path])
    assert catalog.table.empty
    assert catalog.skipped == [(str(path), f"{path}: QuakeML holds events, not records")]

"""ITACA 1.x .cor.acc, .rs and .metadata on the 13 real L'Aquila stations."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from seisgan_core.io.itaca_legacy import (
    is_cor_acc,
    is_rs,
    read_cor_acc,
    read_legacy_record,
    read_metadata,
    read_rs,
)
from seisgan_testsupport.io_realdata import LAQUILA, requires_fixtures

pytestmark = requires_fixtures

STATIONS = sorted(p.name for p in LAQUILA.iterdir() if p.is_dir())


def test_thirteen_stations_present():
    assert len(STATIONS) == 13


def test_aqg_facts_from_the_fixtures_readme():
    trace = read_cor_acc(LAQUILA / "16833" / "16833_H1.cor.acc")
    assert trace.data.size == 59220
    assert trace.sampling_interval_s == 0.005 and trace.sampling_rate_hz == 200.0
    assert trace.fields["pga_m_s2"] == pytest.approx(5.0693293)
    assert np.abs(trace.data).max() == pytest.approx(5.0693293, rel=1e-7)  # m/s^2, as the file
    assert np.abs(trace.data_cm_s2).max() == pytest.approx(506.93293, rel=1e-7)
    assert trace.component == "N" and trace.fields["orientation"] == "NS"
    # the first fixed-width fields, as written: -1.3724600E-07-2.6835700E-07...
    assert trace.data[:2].tolist() == [-1.37246e-07, -2.68357e-07]
    assert trace.fields["low_cut_hz"] == 0.1 and trace.fields["high_cut_hz"] == 50.0
    meta = read_metadata(LAQUILA / "16833" / "16833.metadata")
    assert meta["station.code"] == "AQG" and meta["distance_repi"] == "4.0"


@pytest.mark.parametrize("station", STATIONS)
def test_every_component_agrees_with_its_header_and_metadata(station):
    meta = read_metadata(LAQUILA / station / f"{station}.metadata")
    pga_by_orientation = {
        meta[f"comp_ordered()/{k}.orientation"]: float(meta[f"comp_ordered()/{k}.pga"])
        for k in range(3)
    }
    for suffix, orientation in (("H1", "NS"), ("H2", "WE"), ("V", "UP")):
        trace = read_cor_acc(LAQUILA / station / f"{station}_{suffix}.cor.acc")
        assert trace.fields["orientation"] == orientation
        assert trace.data.size == trace.fields["number_of_data"]
        peak = np.abs(trace.data).max()
        # the header's PGA and the metadata's are the peak of the samples (m/s^2)
        assert peak == pytest.approx(trace.fields["pga_m_s2"], rel=1e-6)
        assert peak == pytest.approx(pga_by_orientation[orientation], rel=1e-5)
        spectrum = read_rs(LAQUILA / station / f"{station}_{suffix}.rs")
        assert spectrum.pga_m_s2[1] == pytest.approx(peak, rel=1e-6)  # period 0, 5 %


def test_rs_layout():
    spectrum = read_rs(LAQUILA / "16833" / "16833_H1.rs")
    assert spectrum.dampings == (0.02, 0.05, 0.07, 0.1, 0.2, 0.3)
    assert spectrum.periods_s[0] == 0.01 and spectrum.periods_s[-1] == 10.0
    assert (spectrum.periods_s > 0).all() and np.all(np.diff(spectrum.periods_s) > 0)
    assert spectrum.psa_at(0.05)[1] == pytest.approx(6.3818259)  # T = 0.02 s
    assert spectrum.trailer is not None and spectrum.trailer[0] == pytest.approx(6.5102587)
    with pytest.raises(KeyError):
        spectrum.psa_at(0.15)


def test_sniffers():
    assert is_cor_acc(LAQUILA / "16833" / "16833_V.cor.acc")
    assert not is_cor_acc(LAQUILA / "16833" / "16833_V.rs")
    assert is_rs(LAQUILA / "16833" / "16833_V.rs")
    assert not is_rs(LAQUILA / "16833" / "16833.metadata")


def test_record_row_from_metadata_and_waveforms():
    folder = LAQUILA / "16858"
    row = read_legacy_record(folder / "16858.metadata", sorted(folder.glob("*.cor.acc")))
    with open(folder / "16858.metadata", newline="") as handle:
        meta = next(csv.DictReader(handle))
    assert row["station"] == meta["station.code"] == "GSA"
    assert row["epicentral_distance_km"] == 18.0
    assert row["components"] == "E,N,Z" and row["npts"] == 32886
    assert row["event_time"].isoformat() == "2009-04-06T01:32:39+00:00"
    assert row["source_files"].split("|")[0].endswith("16858_H2.cor.acc")  # WE = east


def test_record_row_without_metadata_uses_the_cor_acc_header():
    folder = LAQUILA / "16858"
    row = read_legacy_record(None, sorted(folder.glob("*.cor.acc")))
    assert row["station"] == "3679"  # ITACA's numeric station id, as the header gives it
    assert row["network"] == "DPC"
    assert row["record_id"] == "20090406_013239.DPC.3679.."

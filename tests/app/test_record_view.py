"""The Data page's record viewer on known answers, the real fixtures and round trips."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seisgan_core.viz import record_view as rv
from seisgan_testsupport.app_support import record_table

FIXTURES = Path("../shared/fixtures")
RATE = 200.0


def test_motion_integrates_a_sine_to_its_analytic_amplitudes():
    t = np.arange(int(40 * RATE)) / RATE  # 80 whole cycles of 2 Hz
    f, a = 2.0, 100.0
    acc = np.stack([a * np.sin(2 * np.pi * f * t)] * 3)
    in_g, unit = rv.motion(acc, RATE, "acceleration", in_g=True)
    assert unit == "g" and np.abs(in_g).max() == pytest.approx(a / 980.665, rel=1e-6)
    vel, unit = rv.motion(acc, RATE, "velocity", low_cut_hz=0.1)
    assert unit == "cm/s"
    assert np.abs(vel[:, 400:-400]).max() == pytest.approx(a / (2 * np.pi * f), rel=0.01)
    disp, unit = rv.motion(acc, RATE, "displacement", low_cut_hz=0.1)
    assert unit == "cm"
    # two trapezoid integrations and trend removals: within 2 %
    assert np.abs(disp[:, 400:-400]).max() == pytest.approx(a / (2 * np.pi * f) ** 2, rel=0.02)
    with pytest.raises(ValueError, match="quantity: expected one of"):
        rv.motion(acc, RATE, "jerk")


def test_peaks_are_signed_and_where_they_are():
    x = np.zeros((3, 10))
    x[0, 3], x[1, 7], x[2, 1] = -5.0, 2.0, 0.5
    assert rv.peaks(x) == [(3, -5.0), (7, 2.0), (1, 0.5)]


def test_picks_find_known_onsets():
    rng = np.random.default_rng(0)
    t = np.arange(int(30 * RATE)) / RATE
    x = 0.02 * rng.standard_normal((3, t.size))
    for c in range(3):  # P at 5 s (strongest on Z), S at 8 s (strongest on E and N)
        x[c] += (t >= 5) * np.exp(-(t - 5)) * np.sin(2 * np.pi * 8 * t + c) * (0.3, 0.3, 1.0)[c]
        x[c] += (t >= 8) * np.exp(-(t - 8) / 2) * np.sin(2 * np.pi * 3 * t + c) * (3, 3, 0.5)[c]
    onsets = rv.pick_onsets(x, RATE, ["E", "N", "Z"])
    assert onsets["P"] == pytest.approx(5.0, abs=0.1)
    assert onsets["S"] == pytest.approx(8.0, abs=0.2)
    assert rv.pick_onsets(x[:2], RATE, ["E", "N"]) == {}


def _laquila_aqg():
    folder = FIXTURES / "itaca-legacy-laquila-2009"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent (the shared real fixtures)")
    from seisgan_core.catalog import read_record_waveforms, read_records

    table = read_records([folder]).table
    row = table[table["station"] == "AQG"].iloc[0]
    wave = read_record_waveforms(row)
    return np.asarray(wave.data, dtype=float), float(wave.sampling_rate_hz), list(wave.components)


def test_real_record_picks_spectra_and_velocity():
    data, rate, components = _laquila_aqg()
    onsets = rv.pick_onsets(data, rate, components)
    pga_time = np.abs(data).argmax(axis=-1).min() / rate
    assert 0 < onsets["P"] < onsets["S"] and onsets["P"] < pga_time
    periods = np.array([0.1, 0.3, 1.0, 3.0])
    curves = rv.psa_with_horizontals(data, rate, periods, components)
    assert set(curves) == {"E", "N", "Z", "geometric mean (E, N)", "RotD50"}
    np.testing.assert_allclose(curves["geometric mean (E, N)"], np.sqrt(curves["E"] * curves["N"]))
    # at any angle the oscillator's peak is at most sqrt(PSA_E^2 + PSA_N^2)
    assert np.all(curves["RotD50"] <= np.hypot(curves["E"], curves["N"]))
    # Boore (2010): RotD50/GMxy close to 1 at short periods (3 s is polarised near the fault)
    ratio = curves["RotD50"][:3] / curves["geometric mean (E, N)"][:3]
    assert np.all((ratio > 0.9) & (ratio < 1.1))
    vel, _ = rv.motion(data, rate, "velocity", low_cut_hz=0.1)
    # AQG's horizontal PGV in the 2009 mainshock is some 30-40 cm/s (ITACA, ESM)
    assert 25.0 < np.abs(vel[:2]).max() < 45.0


def test_filter_corners_of_a_real_esm_header():
    path = FIXTURES / "esm-ascii-obspy" / "IT.ARL..HGE.D.20140120.071240.C.ACC.ASC"
    if not path.is_file():
        pytest.skip(f"{path} is absent (the shared real fixtures)")
    # the header's "KEY: value" lines (this file is DYNA 1.0, which the project's reader
    # refuses; the filter keys are the same in 1.2)
    lines = path.read_text(encoding="latin-1").splitlines()[:64]
    header = dict(line.split(":", 1) for line in lines if ":" in line)
    corners = rv.filter_corners({k.strip(): v.strip() for k, v in header.items()})
    assert corners == {"type": "BUTTERWORTH", "order": 2, "low_cut_hz": 0.15, "high_cut_hz": 40.0}
    assert rv.filter_corners({})["low_cut_hz"] is None


def _row() -> dict:
    row = record_table(4, 5).iloc[6].to_dict()
    start = pd.Timestamp("2016-08-24 01:36:40", tz="UTC")
    return {**row, "starttime": start, "channels": "HNE,HNN,HNZ", "location": "00"}


@pytest.mark.parametrize("fmt", list(rv.DOWNLOAD_FORMATS))
def test_downloads_round_trip_with_codes_times_and_event(fmt, tmp_path):
    import obspy

    row = _row()
    data = np.random.default_rng(1).standard_normal((3, 400)) * 10
    name, payload, _mime = rv.record_download(data, RATE, row, fmt)
    assert name == rv.download_name(row, fmt)
    assert name.startswith(str(row["record_id"]).replace(".", ".")[:6])
    assert name.endswith("." + fmt.lower() + rv.DOWNLOAD_FORMATS[fmt][1])
    path = tmp_path / name
    path.write_bytes(payload)
    if fmt == "ASDF":
        import pyasdf

        with pyasdf.ASDFDataSet(str(path), mode="r") as ds:
            event = ds.events[0]
            assert event.magnitudes[0].mag == pytest.approx(row["mw"])
            assert event.origins[0].depth == pytest.approx(row["event_depth_km"] * 1000)
            station = ds.waveforms[f"{row['network']}.{row['station']}"]
            stream = station["processed_acceleration"]
    elif fmt == "SAC":
        with zipfile.ZipFile(path) as archive:
            stream = obspy.Stream(
                [obspy.read(io.BytesIO(archive.read(n)))[0] for n in sorted(archive.namelist())]
            )
        sac = stream[0].stats.sac
        assert sac.mag == pytest.approx(row["mw"], abs=1e-5)
        assert sac.evdp == pytest.approx(row["event_depth_km"], abs=1e-4)
        assert sac.stla == pytest.approx(row["station_latitude"], abs=1e-4)
        assert sac.dist == pytest.approx(row["epicentral_distance_km"], abs=1e-3)
    else:
        stream = obspy.read(str(path))
    stream.sort(keys=["channel"])
    assert [tr.stats.channel for tr in stream] == ["HNE", "HNN", "HNZ"]
    assert {tr.id.rsplit(".", 1)[0] for tr in stream} == {f"IT.{row['station']}.00"}
    assert stream[0].stats.starttime == obspy.UTCDateTime("2016-08-24T01:36:40")
    assert stream[0].stats.sampling_rate == pytest.approx(RATE)
    tolerance = 1e-3 if fmt == "ASCII" else 1e-5
    np.testing.assert_allclose(stream[1].data, data[1], rtol=tolerance, atol=tolerance)


def test_record_figure_marks_peaks_and_picks_in_utc():
    data = np.zeros((3, 1000))
    data[:, 500] = [1.0, -2.0, 3.0]
    start = pd.Timestamp("2016-08-24 01:36:40", tz="UTC")
    fig = rv.record_figure(
        data, RATE, components=["E", "N", "Z"], unit="cm/s²", start=start, onsets={"P": 1.0}
    )
    marks = [tr for tr in fig.data if tr.mode == "markers+text"]
    assert [m.text[0] for m in marks] == ["PGA 1 cm/s²", "PGA 2 cm/s²", "PGA 3 cm/s²"]
    # each label is drawn whole: not clipped, and its panel holds the peak with room above
    assert all(m.cliponaxis is False for m in marks)
    ranges = [fig.layout[f"yaxis{k}"].range for k in ("", 2, 3)]
    assert [tuple(r) for r in ranges] == [pytest.approx((-p, p)) for p in (1.4, 2.8, 4.2)]
    assert pd.Timestamp(marks[0].x[0]) == pd.Timestamp("2016-08-24 01:36:42.5")
    assert fig.layout.xaxis3.title.text == "time (UTC)"
    assert [a.text for a in fig.layout.annotations] == ["P"]
    # what reaches the browser: ISO dates plotly.js parses (to the microsecond), for the
    # traces, the onset line and its label alike, whatever python-dateutil is installed (with
    # 4.0, plotly's encoding of datetime64 gave nanosecond strings and integer nanoseconds,
    # drawn at NaN)
    sent = json.loads(fig.to_json())
    iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")
    assert all(iso.match(v) for v in sent["data"][0]["x"])
    assert sent["data"][0]["x"][1] == "2016-08-24T01:36:40.005000"
    assert sent["layout"]["shapes"][0]["x0"] == "2016-08-24T01:36:41.000000"
    assert sent["layout"]["annotations"][0]["x"] == "2016-08-24T01:36:41.000000"

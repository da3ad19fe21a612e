"""Figures of the record table and of single records: the traces hold the numbers given."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seisgan_core.viz import data as vdata
from seisgan_testsupport.app_support import record_table


def test_distributions_count_records_and_name_missing_values():
    table = record_table(n_events=4, n_stations=5)
    fig = vdata.distributions_figure(table)
    assert [len(t.x) for t in fig.data] == [15, 20, 20]  # the last event has no Mw
    assert fig.layout.annotations[0].text == "Mw (5 missing)"
    assert sorted(set(fig.data[0].x)) == [4.0, 4.5, 5.0]


def test_split_distributions_one_trace_per_split_and_column():
    table = record_table(n_events=3, n_stations=2)
    table["split"] = ["train"] * 2 + ["val"] * 2 + ["test"] * 2
    fig = vdata.split_distributions_figure(table)
    assert len(fig.data) == 9
    assert {t.name for t in fig.data} == {"train (2)", "val (2)", "test (2)"}
    # side by side, each split as its own percentages, every y axis labelled
    assert fig.layout.barmode == "group"
    assert {t.histnorm for t in fig.data} == {"percent"}
    assert [fig.layout[f"yaxis{k}"].title.text for k in ("", 2, 3)] == [
        "% of the split's records"
    ] * 3
    # the same bin edges for every split of a column, on whole multiples of the bin width
    for column, traces in zip(
        vdata.DISTRIBUTION_COLUMNS, (fig.data[0::3], fig.data[1::3], fig.data[2::3]), strict=True
    ):
        size = vdata.DISTRIBUTION_COLUMNS[column][1]
        edges = {(t.xbins.start, t.xbins.end, t.xbins.size) for t in traces}
        assert len(edges) == 1, column
        start, end, width = edges.pop()
        assert width == size
        assert start / size == pytest.approx(round(start / size))
        values = table[column].dropna()
        assert start <= values.min() and values.max() < end


def test_log_axes_label_plain_decades_and_psd_powers_of_ten():
    import plotly.io as pio

    from seisgan_core.viz import evaluation as veval
    from seisgan_core.viz.axes import log_axis

    fig = vdata.spectra_figure(
        np.logspace(-1, 1.7, 20), {"E": np.logspace(0, 2, 20)}, x_title="f", y_title="FAS"
    )
    for axis in (fig.layout.xaxis, fig.layout.yaxis):
        assert (axis.type, axis.dtick, axis.exponentformat) == ("log", 1, "none")
    assert log_axis(powers=True)["exponentformat"] == "power"
    freqs = np.linspace(0, 50, 26)
    band = {"median": [[1e-6] * 26] * 3, "p16": [[1e-7] * 26] * 3, "p84": [[1e-5] * 26] * 3}
    psd = veval.psd_figure({"psd": {"freqs_hz": freqs, "real": band, "generated": band}})
    assert psd.layout.yaxis.exponentformat == "power" and psd.layout.xaxis.exponentformat == "none"
    assert psd.layout.yaxis.title.text == "PSD ((cm/s²)²/Hz)"
    assert "cm/s^2" not in pio.to_json(psd)


def test_a_psd_falling_many_decades_keeps_its_band_readable():
    from seisgan_core.viz import evaluation as veval
    from seisgan_core.viz.axes import MAX_DECADE_LABELS, log_axis, log_range

    # a spectrum at 1e2 falling to 1e-17 past its corner (as a filtered record's does)
    freqs = np.linspace(0, 100, 51)
    shape = np.r_[np.full(30, 1e2), np.logspace(2, -17, 21)]
    band = {"median": [shape.tolist()] * 3, "p16": [(shape / 3).tolist()] * 3}
    band["p84"] = [(shape * 3).tolist()] * 3
    psd = veval.psd_figure({"psd": {"freqs_hz": freqs, "real": band, "generated": band}})
    low, high = psd.layout.yaxis.range
    top = np.log10(3e2)  # the highest 84th percentile
    assert (low, high) == pytest.approx((top - veval.PSD_DECADES_SHOWN, top + 0.3))
    labels = (high - low) / psd.layout.yaxis.dtick
    assert psd.layout.yaxis.dtick == 2 and labels <= MAX_DECADE_LABELS
    # short spans keep a label at every decade; nothing positive, no range
    assert log_axis(span_decades=5)["dtick"] == 1 and log_axis()["dtick"] == 1
    assert log_axis(span_decades=17)["dtick"] == 3
    assert log_range([0.0, -1.0, np.nan], decades=8) is None
    assert log_range([1e-3, 10.0], decades=8) == pytest.approx([-7.0, 1.3])


def test_coverage_scatter_drops_records_without_mw():
    table = record_table(n_events=4, n_stations=5)
    fig = vdata.coverage_scatter(table)
    assert len(fig.data[0].x) == 15
    assert fig.layout.xaxis.type == "log"
    np.testing.assert_allclose(
        np.sort(fig.data[0].x), np.sort(table["epicentral_distance_km"][:15].to_numpy())
    )


def test_waveform_figure_time_axis_from_sampling_rate():
    data = np.vstack([np.arange(400.0), -np.arange(400.0), np.zeros(400)])
    fig = vdata.waveform_figure(data, 200.0, title="r")
    assert len(fig.data) == 3
    assert fig.data[0].x[-1] == 399 / 200.0
    assert list(fig.data[1].y[:3]) == [0.0, -1.0, -2.0]
    assert fig.layout.yaxis.title.text == "E (cm/s²)"


def test_spectra_and_header_table():
    f = np.logspace(-1, 1, 5)
    fig = vdata.spectra_figure(f, {"E": f, "N": 2 * f}, x_title="f", y_title="A")
    assert [t.name for t in fig.data] == ["E", "N"]
    assert fig.layout.yaxis.type == "log"
    header = vdata.header_table({"MAGNITUDE_W": 6.1, "LOCATION": None})
    assert header.to_dict("records") == [
        {"field": "MAGNITUDE_W", "value": "6.1"},
        {"field": "LOCATION", "value": ""},
    ]
    assert isinstance(header, pd.DataFrame)

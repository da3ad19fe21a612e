"""Scenario ranges in words: plain numbers, never powers of ten."""

from __future__ import annotations

import pytest

from seisgan_core import scenarios


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1234.5, "1230"),
        (1230.0, "1230"),
        (0.581234, "0.581"),
        (6.1, "6.1"),
        (254.3, "254"),
        (150.0, "150"),
        (-2.5, "-2.5"),
        (0.000123456, "0.000123"),
    ],
)
def test_plain_number_has_three_significant_figures_and_no_exponent(value, text):
    assert scenarios.plain_number(value) == text


def test_outside_names_each_value_beyond_the_range_plainly():
    ranges = {"mw": (4.1, 6.2), "vs30_m_s": (150.0, 1234.0), "distance_km": (0.581, 254.0)}
    found = scenarios.outside({"mw": 7.0, "vs30_m_s": 1500.0, "distance_km": 0.2}, ranges)
    assert found == [
        "Mw 7 above the training maximum 6.2",
        "Vs30 (m/s) 1500 above the training maximum 1230",
        "R_epi (km) 0.2 below the training minimum 0.581",
    ]
    assert scenarios.outside({"mw": 5.0, "vs30_m_s": None}, ranges) == []

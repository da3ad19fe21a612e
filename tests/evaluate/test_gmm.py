"""BSSA14 (Italy) residuals: the L'Aquila mainshock records against the model's own scatter."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seisgan_core.evaluation import gmm_residuals, rotd50
from seisgan_core.evaluation.gmm import G_CM_S2, imt_column, parse_imt, residual_summary
from seisgan_testsupport.laquila_fixtures import (
    STATIONS,
    read_cor_acc,
    read_metadata,
    require_fixtures,
)


def laquila_table() -> pd.DataFrame:
    rows = []
    for station in STATIONS:
        meta = read_metadata(station)
        h1, dt = read_cor_acc(station, "H1")
        h2, _ = read_cor_acc(station, "H2")
        sa = rotd50(h1 * 100, h2 * 100, dt, [0.2, 1.0])  # m/s^2 -> cm/s^2
        rows.append(
            {
                "event_id": meta["event.unid"],
                "mw": float(meta["event.magnitudes/1.value"]),
                "vs30_m_s": float(meta["station.vs30"]),
                "rjb_km": float(meta["distance_rjb"]),
                "mechanism": "NS",  # normal faulting (metadata: fault_mechanism Normal)
                # geometric mean of the horizontal PGAs, close to RotD50 of PGA
                "pga_cm_s2": 100 * np.sqrt(np.abs(h1).max() * np.abs(h2).max()),
                "psa_0.2s_cm_s2": sa[0],
                "psa_1s_cm_s2": sa[1],
            }
        )
    return pd.DataFrame(rows)


@pytest.mark.slow
def test_laquila_residuals_lie_within_bssa14_scatter():
    require_fixtures()
    table = laquila_table()
    assert table["mw"].eq(6.3).all()
    for imt in ("PGA", "SA(0.2)", "SA(1.0)"):
        res = gmm_residuals(table, imt, model="BSSA14", region="italy")
        summary = residual_summary(res)
        tau, phi = summary["model_tau"], summary["model_phi"]
        # One event: its term is one number, within 2.5 tau of zero (BSSA14 tau ~0.3-0.35).
        assert summary["n_events"] == 1
        assert abs(summary["mean_between_event"]) < 2.5 * tau, (imt, summary)
        # Within-event scatter of 13 stations comparable to the model's phi.
        assert 0.5 * phi < summary["std_within_event"] < 1.5 * phi, (imt, summary)
        assert np.all(np.abs(res["within_event"]) < 3.5 * phi), imt
        assert np.mean(np.abs(res["normalised"]) < 2.0) >= 0.75, imt
        np.testing.assert_allclose(res["total"], res["between_event"] + res["within_event"])


def test_between_event_term_is_abrahamson_youngs_shrinkage():
    import pygmm

    table = pd.DataFrame(
        {
            "event_id": ["a", "a", "a", "b"],
            "mw": [5.0, 5.0, 5.0, 6.0],
            "vs30_m_s": [400.0, 600.0, 800.0, 500.0],
            "epicentral_distance_km": [10.0, 30.0, 60.0, 20.0],
        }
    )
    # The observations are built from pygmm's medians, not from the code under test.
    medians = np.array(
        [
            pygmm.BooreStewartSeyhanAtkinson2014(
                pygmm.Scenario(
                    mag=row.mw,
                    dist_jb=row.epicentral_distance_km,
                    v_s30=row.vs30_m_s,
                    mechanism="U",
                    region="italy",
                )
            ).pga
            * G_CM_S2
            for row in table.itertuples()
        ]
    )
    factor = np.exp([0.5, 0.5, 0.5, -0.2])
    res = gmm_residuals(table, "PGA", observed=medians * factor)
    np.testing.assert_allclose(res["median"], medians)
    np.testing.assert_allclose(res["total"], np.log(factor))
    # tau and phi from BSSA14's published PGA coefficients (Boore et al. 2014, Table 2:
    # tau1 0.398, tau2 0.348, phi1 0.695, phi2 0.495, linear in Mw between 4.5 and 5.5; no
    # distance or Vs30 change of phi below R1 = 110 km and above V2 = 300 m/s).
    expected_tau = np.array([0.373, 0.373, 0.373, 0.348])
    expected_phi = np.array([0.595, 0.595, 0.595, 0.495])
    np.testing.assert_allclose(res["tau"], expected_tau, atol=1e-9)
    np.testing.assert_allclose(res["phi"], expected_phi, atol=1e-9)
    np.testing.assert_allclose(res["sigma"], np.hypot(expected_tau, expected_phi))
    tau2, phi2 = 0.373**2, 0.595**2
    expected = tau2 * 1.5 / (3 * tau2 + phi2)  # Abrahamson & Youngs (1992) eq. 10
    assert res.loc[0, "between_event"] == pytest.approx(expected)
    assert 0 < expected < 0.5  # shrunk towards zero
    assert res.loc[3, "between_event"] == pytest.approx(0.348**2 * -0.2 / (0.348**2 + 0.495**2))
    np.testing.assert_allclose(res["within_event"], res["total"] - res["between_event"], atol=1e-12)


def test_imt_names_and_errors():
    assert parse_imt("sa(0.2)") == ("SA", 0.2)
    assert imt_column("SA(1.0)") == "psa_1s_cm_s2"
    assert imt_column("PGA") == "pga_cm_s2"
    with pytest.raises(ValueError, match="imt"):
        parse_imt("SD(1)")
    with pytest.raises(ValueError, match="table"):
        gmm_residuals(pd.DataFrame({"mw": [5.0]}), "PGA")
    table = pd.DataFrame(
        {"event_id": ["a"], "mw": [5.0], "vs30_m_s": [400.0], "rjb_km": [10.0], "pga_cm_s2": [0]}
    )
    with pytest.raises(ValueError, match="observed"):
        gmm_residuals(table, "PGA")


@pytest.mark.parametrize(
    "imt", ["PGA", "PGV", "SA(0.2)", "SA(1.0)", "SA(0.01)", "SA(10)", "SA(12)"]
)
def test_terms_equal_pygmm_per_model(imt):
    """The median, tau and phi computed for all models at once equal pygmm's own per-model
    answers (pga, pgv, interp_spec_accels; np.interp of tau and phi in log period), NaN
    outside the model's periods; an event whose totals are all NaN gets a between-event
    term of 0 (pandas' skipping sum and count), the others are unchanged."""
    import pygmm

    table = pd.DataFrame(
        {
            "event_id": ["a", "a", "b", "b", "c"],
            "mw": [4.2, 4.2, 5.1, 5.1, 6.3],
            "vs30_m_s": [300.0, 800.0, 450.0, 450.0, 1200.0],
            "rjb_km": [3.0, 40.0, 12.0, 150.0, 80.0],
            "mechanism": ["U", "NS", "SS", "RS", "U"],
        }
    )
    kind, period = parse_imt(imt)
    median, tau, phi = [], [], []
    for row in table.itertuples():
        m = pygmm.BooreStewartSeyhanAtkinson2014(
            pygmm.Scenario(
                mag=row.mw,
                dist_jb=row.rjb_km,
                v_s30=row.vs30_m_s,
                mechanism=row.mechanism,
                region="italy",
            )
        )
        if kind == "SA":
            median.append(float(m.interp_spec_accels([period])[0]) * G_CM_S2)
            log_t, psa = np.log(m.PERIODS[m.INDICES_PSA]), m.INDICES_PSA
            tau.append(np.interp(np.log(period), log_t, m._tau[psa]))
            phi.append(np.interp(np.log(period), log_t, m._phi[psa]))
        else:
            index = m.INDEX_PGA if kind == "PGA" else m.INDEX_PGV
            median.append(m.pga * G_CM_S2 if kind == "PGA" else m.pgv)
            tau.append(m._tau[index])
            phi.append(m._phi[index])
    res = gmm_residuals(table, imt, observed=np.full(5, 10.0))
    np.testing.assert_allclose(res["median"], median, rtol=1e-14)
    np.testing.assert_allclose(res["tau"], tau, rtol=1e-14)
    np.testing.assert_allclose(res["phi"], phi, rtol=1e-14)
    if imt == "SA(12)":
        assert res["median"].isna().all() and (res["between_event"] == 0).all()
    else:
        total = np.log(10.0) - np.log(np.asarray(median))
        t2, p2 = np.asarray(tau) ** 2, np.asarray(phi) ** 2
        # Event a: rows 0 and 1 (eq. 10 with the event's mean tau^2 and phi^2).
        tau2, phi2 = t2[:2].mean(), p2[:2].mean()
        expected = tau2 * total[:2].sum() / (2 * tau2 + phi2)
        np.testing.assert_allclose(res["between_event"][:2], expected, rtol=1e-12)
        assert res["between_event"][4] == pytest.approx(t2[4] * total[4] / (t2[4] + p2[4]))

"""How Italian the demo archive is: the measures of the README's realism table.

Each measure runs on the samples a build stores (``writer.simulated_records`` after
``make_catalogue``, the same draws as ``build_demo_archive`` with that seed, without writing
the ASDF file) or on the real L'Aquila 2009 records of ``../shared/fixtures``:

- RotD50 PGA, SA(0.2), SA(1.0), SA(3.0 s) ln residuals against BSSA14-Italy (pygmm; Rjb taken
  as the epicentral distance, NS mechanism, the station's Vs30);
- apparent kappa: the slope of ln FAS between 10 and 25 Hz over the D5-95 window of each
  horizontal, divided by -pi (Anderson and Hough 1984; Ktenidou et al. 2014's kappa_r_AS);
- the FAS shape at 100-200 km: the median over records of FAS(f) / FAS(10 Hz) at 10, 15, 20
  and 30 Hz of the whole horizontal (Konno-Ohmachi smoothed), which keeps falling when the
  noise floor stays below the signal;
- D5-95 of the horizontals at the 13 fixture distances, on the first 120 s of each record.

``python -m seisgan_core.demo.realism`` prints the table for seeds 0-3.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from seisgan_core.demo.catalogue import make_catalogue
from seisgan_core.demo.simulator import (
    APENNINES,
    RegionModel,
    Scenario,
    median_kappa_s,
    median_stress_bar,
)
from seisgan_core.demo.writer import simulated_records
from seisgan_core.evaluation.intensity import significant_duration
from seisgan_core.evaluation.response import psa_and_rotd50
from seisgan_core.evaluation.spectra import fas

__all__ = [
    "IM_PERIODS_S",
    "ArchiveMeasures",
    "apparent_kappa_s",
    "bssa14_italy_g",
    "laquila_durations",
    "measure_archive",
]

IM_PERIODS_S = {"PGA": 0.01, "SA(0.2)": 0.2, "SA(1.0)": 1.0, "SA(3.0)": 3.0}
KAPPA_BAND_HZ = (10.0, 25.0)
FAS_SHAPE_HZ = (10.0, 15.0, 20.0, 30.0)
LAQUILA_MW = 6.3
LAQUILA_DEPTH_KM = 8.8


def apparent_kappa_s(x: np.ndarray, dt: float, band: tuple[float, float] = KAPPA_BAND_HZ):
    """Apparent kappa (s) of one component over its D5-95 window (at least 5 s long)."""
    x = np.asarray(x, dtype=np.float64)
    husid = np.cumsum(x**2)
    if husid[-1] <= 0:
        return float("nan")
    husid /= husid[-1]
    i0 = int(np.searchsorted(husid, 0.05))
    i1 = max(int(np.searchsorted(husid, 0.95)), i0 + int(5.0 / dt))
    seg = x[i0:i1] * np.hanning(len(x[i0:i1]))
    amp = np.abs(np.fft.rfft(seg)) * dt
    f = np.fft.rfftfreq(len(seg), dt)
    edges = np.linspace(band[0], band[1], 16)
    centres, levels = [], []
    for lo, hi in itertools.pairwise(edges):
        inside = (f >= lo) & (f < hi)
        if inside.any():
            centres.append(f[inside].mean())
            levels.append(np.sqrt(np.mean(amp[inside] ** 2)))
    slope = np.polyfit(centres, np.log(levels), 1)[0]
    return float(-slope / np.pi)


def bssa14_italy_g(mw: float, distance_km: float, vs30_m_s: float) -> np.ndarray:
    """BSSA14 (region Italy, NS) medians in g at the periods of :data:`IM_PERIODS_S`."""
    import pygmm

    gmm = pygmm.BooreStewartSeyhanAtkinson2014(
        pygmm.Scenario(mag=mw, dist_jb=distance_km, v_s30=vs30_m_s, mechanism="NS", region="italy")
    )
    periods = np.log(np.asarray(gmm.periods))
    sa = [float(np.exp(np.interp(np.log(p), periods, np.log(gmm.spec_accels))))
          for p in list(IM_PERIODS_S.values())[1:]]  # fmt: skip
    return np.array([float(gmm.pga), *sa])


@dataclass
class ArchiveMeasures:
    """Per-record measures of one archive: one row per record."""

    table: pd.DataFrame

    def residual_summary(self) -> pd.DataFrame:
        cols = [f"res_{name}" for name in IM_PERIODS_S]
        res = self.table[cols]
        return pd.DataFrame({"median": res.median(), "std": res.std(ddof=0)})

    def kappa_medians(self) -> dict[str, float]:
        t = self.table
        near = t[(t["distance_km"] <= 20.0) & (t["vs30_m_s"] >= 500.0)]
        mid = t[(t["distance_km"] > 20.0) & (t["distance_km"] <= 100.0)]
        far = t[t["distance_km"] > 100.0]
        return {
            "near_rock": float(near["kappa_s"].median()),
            "20-100 km": float(mid["kappa_s"].median()),
            "beyond_100": float(far["kappa_s"].median()),
        }

    def fas_shape(self) -> np.ndarray:
        t = self.table
        far = t[(t["distance_km"] >= 100.0) & (t["distance_km"] <= 200.0)]
        cols = [f"fas_{f:g}" for f in FAS_SHAPE_HZ]
        return np.nanmedian(far[cols].to_numpy(), axis=0)

    def near_source_large(self) -> int:
        t = self.table
        return int(((t["mw"] >= 5.8) & (t["distance_km"] <= 10.0)).sum())


def _fas_ratio(h: np.ndarray, dt: float) -> np.ndarray:
    freqs = np.asarray(FAS_SHAPE_HZ)
    _, amp = fas(h.astype(np.float64), dt, freqs=freqs)
    return np.mean(amp, axis=0) / np.mean(amp[:, 0])


def measure_archive(seed: int, n_records: int = 1300, n_noise: int = 200) -> ArchiveMeasures:
    """Measures of every record of the archive ``build_demo_archive(seed=seed, ...)`` writes."""
    rng = np.random.default_rng(seed)
    cat = make_catalogue(rng, n_records, n_noise)
    events = cat.events.set_index("event_index")
    stations = cat.stations.set_index("station")
    rows = []
    periods = np.array(list(IM_PERIODS_S.values()))
    for rec, data, _, _ in simulated_records(cat, rng):
        dt = 1.0 / float(rec["sampling_rate_hz"])
        sc: Scenario = rec["scenario"]
        h = data[:2].astype(np.float64)
        _, rot = psa_and_rotd50(h[None], dt, periods, workers=1)
        vs30 = float(stations.loc[rec["station"], "vs30_m_s"])
        pred = bssa14_italy_g(sc.mw, sc.epicentral_distance_km, vs30)
        row = {
            "event_index": rec["event_index"],
            "mw": float(events.loc[rec["event_index"], "mw_true"]),
            "distance_km": sc.epicentral_distance_km,
            "vs30_m_s": vs30,
            "kappa_s": float(np.median([apparent_kappa_s(c, dt) for c in h])),
            "d5_95_s": float(np.median(significant_duration(h, dt))),
        }
        for name, r in zip(IM_PERIODS_S, np.log(rot[0] / 980.665 / pred), strict=True):
            row[f"res_{name}"] = float(r)
        if 100.0 <= sc.epicentral_distance_km <= 200.0:
            for f, v in zip(FAS_SHAPE_HZ, _fas_ratio(h, dt), strict=True):
                row[f"fas_{f:g}"] = float(v)
        rows.append(row)
    return ArchiveMeasures(pd.DataFrame(rows))


def laquila_durations(
    distances_km: np.ndarray,
    vs30_m_s: np.ndarray,
    seed: int,
    model: RegionModel = APENNINES,
    first_s: float = 120.0,
) -> np.ndarray:
    """Median horizontal D5-95 (s, first ``first_s`` of each record) of the L'Aquila mainshock
    (Mw 6.3, depth 8.8 km) simulated at the given stations, with the catalogue's random
    event, station and record terms and its record lengths (processed as the archive)."""
    from seisgan_core.demo.catalogue import _record_row

    rng = np.random.default_rng(seed)
    stress = median_stress_bar(LAQUILA_MW, model) * np.exp(
        model.sigma_ln_stress * rng.standard_normal()
    )
    out = []
    event = {"event_index": 0, "event_time": pd.Timestamp("2009-04-06T01:32:39Z")}
    for repi, vs30 in zip(distances_km, vs30_m_s, strict=True):
        sc = Scenario(
            LAQUILA_MW,
            LAQUILA_DEPTH_KM,
            float(repi),
            float(vs30),
            stress_bar=float(stress),
            kappa_s=median_kappa_s(vs30, model) * np.exp(model.sigma_ln_kappa * rng.normal()),
            site_term_ln=model.sigma_ln_site * rng.standard_normal(),
            duration_term_ln=model.sigma_ln_duration * rng.standard_normal(),
        )
        station = {"network": "IT", "station": "X", "location": "", "channels": ("E", "N", "Z"),
                   "sampling_rate_hz": 200.0}  # fmt: skip
        rec = _record_row(rng, event, pd.Series(station), sc, model)
        cat = _one_record_catalogue(rec, sc)
        _, data, _, _ = next(simulated_records(cat, rng))
        n = int(first_s * 200.0)
        out.append(float(np.median(significant_duration(data[:2, :n].astype(np.float64), 0.005))))
    return np.asarray(out)


def _one_record_catalogue(rec: dict, sc: Scenario):
    from seisgan_core.demo.catalogue import DemoCatalogue

    empty = pd.DataFrame()
    return DemoCatalogue(empty, empty, pd.DataFrame([{**rec, "scenario": sc}]), empty)


def _fixture_table(folder: Path) -> pd.DataFrame:
    """The real L'Aquila records: distance, Vs30, median horizontal D5-95 (first 120 s),
    apparent kappa and FAS shape, one row per station."""
    from seisgan_core.io.itaca_legacy import read_cor_acc, read_metadata

    rows = []
    for station in sorted(p for p in folder.iterdir() if p.is_dir()):
        meta = read_metadata(station / f"{station.name}.metadata")
        comps = [read_cor_acc(station / f"{station.name}_{c}.cor.acc") for c in ("H1", "H2")]
        dt = comps[0].sampling_interval_s
        n = int(120.0 / dt)
        h = np.stack([c.data_cm_s2[:n] for c in comps]).astype(np.float64)
        rows.append(
            {
                "station": station.name,
                "distance_km": float(meta["distance_repi"]),
                "vs30_m_s": float(meta["station.vs30"]),
                "d5_95_s": float(np.median(significant_duration(h, dt))),
                "kappa_s": float(np.median([apparent_kappa_s(c, dt) for c in h])),
                **{f"fas_{f:g}": v for f, v in zip(FAS_SHAPE_HZ, _fas_ratio(h, dt), strict=True)},
            }
        )
    return pd.DataFrame(rows)


def _spread_ln(values: np.ndarray) -> float:
    lo, hi = np.percentile(np.log(values), [16, 84])
    return float(hi - lo)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--records", type=int, default=1300)
    parser.add_argument("--fixtures", default="../shared/fixtures/itaca-legacy-laquila-2009")
    args = parser.parse_args(argv)
    real = _fixture_table(Path(args.fixtures)) if Path(args.fixtures).is_dir() else None
    for seed in args.seeds:
        m = measure_archive(seed, args.records)
        print(f"seed {seed}: {len(m.table)} records")
        print(m.residual_summary().round(2).to_string())
        print("kappa", {k: round(v, 3) for k, v in m.kappa_medians().items()})
        print("FAS/FAS(10 Hz) at 100-200 km", np.round(m.fas_shape(), 3))
        print("Mw >= 5.8 within 10 km:", m.near_source_large())
        if real is not None:
            d = laquila_durations(real["distance_km"], real["vs30_m_s"], seed)
            print(np.round(d, 1))
            print(f"L'Aquila D5-95 median {np.median(d):.1f} s, p16-p84 {_spread_ln(d):.2f} ln")
    if real is not None:
        print(f"real: D5-95 median {real['d5_95_s'].median():.1f} s, "
              f"p16-p84 {_spread_ln(real['d5_95_s'].to_numpy()):.2f} ln")  # fmt: skip
        print(real.round(3).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

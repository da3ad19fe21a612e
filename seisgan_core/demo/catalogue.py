"""A synthetic Italian catalogue: stations, earthquake sequences and the records they leave.

Stations stand at real Italian places (with a few across the borders, so that the "stations
in Italy" selection has something to remove); events happen in Italy's seismogenic areas
(the zones of the ZS9 source model, Meletti et al. 2008, represented by their centres), as
sequences of a mainshock and its aftershocks (Gutenberg-Richter magnitudes, b = 1; Omori-Utsu
times; Båth's law for the largest aftershock). A record exists wherever the station would have
triggered: where the random-vibration PGA of the simulator, with the event's and station's
terms, exceeds the trigger level.

Everything is drawn from one ``numpy.random.Generator``: the same seed gives the same
catalogue, exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd
import shapely

from seisgan_core.demo.simulator import (
    APENNINES,
    RegionModel,
    Scenario,
    draw_noise_rms_cm_s2,
    duration_s,
    fourier_amplitude,
    median_kappa_s,
    median_stress_bar,
)
from seisgan_core.geo import contains, read_outline

__all__ = [
    "EC8_BOUNDS_M_S",
    "SEISMIC_ZONES",
    "STATION_SITES",
    "DemoCatalogue",
    "ec8_class",
    "in_country",
    "make_catalogue",
    "rvt_pga_cm_s2",
]

# Real places: (code, name, latitude, longitude, country ISO-3). Codes are the project's own.
STATION_SITES: tuple[tuple[str, str, float, float, str], ...] = (
    ("AQL", "L'Aquila", 42.350, 13.399, "ITA"),
    ("SUL", "Sulmona", 42.048, 13.926, "ITA"),
    ("AVZ", "Avezzano", 42.031, 13.426, "ITA"),
    ("TER", "Teramo", 42.659, 13.704, "ITA"),
    ("PES", "Pescara", 42.462, 14.193, "ITA"),
    ("CHT", "Chieti", 42.351, 14.168, "ITA"),
    ("LNC", "Lanciano", 42.231, 14.390, "ITA"),
    ("VST", "Vasto", 42.112, 14.707, "ITA"),
    ("ISR", "Isernia", 41.596, 14.233, "ITA"),
    ("CMB", "Campobasso", 41.560, 14.662, "ITA"),
    ("TRM", "Termoli", 41.999, 14.995, "ITA"),
    ("RIE", "Rieti", 42.404, 12.857, "ITA"),
    ("AMT", "Amatrice", 42.629, 13.290, "ITA"),
    ("NRC", "Norcia", 42.792, 13.093, "ITA"),
    ("CSC", "Cascia", 42.718, 13.013, "ITA"),
    ("SPL", "Spoleto", 42.734, 12.738, "ITA"),
    ("FOL", "Foligno", 42.956, 12.703, "ITA"),
    ("ASS", "Assisi", 43.071, 12.615, "ITA"),
    ("PGA", "Perugia", 43.111, 12.389, "ITA"),
    ("GUB", "Gubbio", 43.351, 12.577, "ITA"),
    ("CTC", "Citta di Castello", 43.457, 12.240, "ITA"),
    ("TRN", "Terni", 42.563, 12.643, "ITA"),
    ("ORV", "Orvieto", 42.718, 12.111, "ITA"),
    ("VTB", "Viterbo", 42.420, 12.107, "ITA"),
    ("CMR", "Camerino", 43.135, 13.068, "ITA"),
    ("VSC", "Visso", 42.930, 13.088, "ITA"),
    ("MCR", "Macerata", 43.300, 13.453, "ITA"),
    ("FBR", "Fabriano", 43.336, 12.904, "ITA"),
    ("ANC", "Ancona", 43.607, 13.500, "ITA"),
    ("ASP", "Ascoli Piceno", 42.854, 13.575, "ITA"),
    ("URB", "Urbino", 43.726, 12.636, "ITA"),
    ("PSR", "Pesaro", 43.910, 12.913, "ITA"),
    ("RMN", "Rimini", 44.060, 12.566, "ITA"),
    ("FRL", "Forli", 44.222, 12.041, "ITA"),
    ("RVN", "Ravenna", 44.418, 12.204, "ITA"),
    ("FRR", "Ferrara", 44.836, 11.620, "ITA"),
    ("MIR", "Mirandola", 44.887, 11.066, "ITA"),
    ("MOD", "Modena", 44.647, 10.925, "ITA"),
    ("BOL", "Bologna", 44.494, 11.343, "ITA"),
    ("RGE", "Reggio Emilia", 44.698, 10.631, "ITA"),
    ("PRM", "Parma", 44.801, 10.328, "ITA"),
    ("PCN", "Piacenza", 45.052, 9.693, "ITA"),
    ("MNT", "Mantova", 45.156, 10.791, "ITA"),
    ("VRN", "Verona", 45.438, 10.992, "ITA"),
    ("VCN", "Vicenza", 45.545, 11.535, "ITA"),
    ("PDV", "Padova", 45.406, 11.877, "ITA"),
    ("TRV", "Treviso", 45.666, 12.243, "ITA"),
    ("BLL", "Belluno", 46.140, 12.217, "ITA"),
    ("TRE", "Trento", 46.067, 11.121, "ITA"),
    ("BLZ", "Bolzano", 46.498, 11.355, "ITA"),
    ("UDN", "Udine", 46.071, 13.235, "ITA"),
    ("GMN", "Gemona del Friuli", 46.276, 13.139, "ITA"),
    ("TLM", "Tolmezzo", 46.404, 13.014, "ITA"),
    ("PRD", "Pordenone", 45.956, 12.660, "ITA"),
    ("GRZ", "Gorizia", 45.941, 13.622, "ITA"),
    ("BRS", "Brescia", 45.541, 10.212, "ITA"),
    ("SAL", "Salo", 45.607, 10.520, "ITA"),
    ("BRG", "Bergamo", 45.698, 9.677, "ITA"),
    ("MIL", "Milano", 45.464, 9.190, "ITA"),
    ("PAV", "Pavia", 45.185, 9.158, "ITA"),
    ("SND", "Sondrio", 46.170, 9.870, "ITA"),
    ("CMO", "Como", 45.808, 9.085, "ITA"),
    ("NOV", "Novara", 45.446, 8.622, "ITA"),
    ("TOR", "Torino", 45.070, 7.686, "ITA"),
    ("PNR", "Pinerolo", 44.885, 7.331, "ITA"),
    ("CUN", "Cuneo", 44.384, 7.543, "ITA"),
    ("AST", "Asti", 44.900, 8.207, "ITA"),
    ("ALS", "Alessandria", 44.913, 8.615, "ITA"),
    ("AOS", "Aosta", 45.737, 7.315, "ITA"),
    ("GEN", "Genova", 44.407, 8.934, "ITA"),
    ("SVN", "Savona", 44.309, 8.477, "ITA"),
    ("IMP", "Imperia", 43.889, 8.039, "ITA"),
    ("SPZ", "La Spezia", 44.103, 9.824, "ITA"),
    ("MSS", "Massa", 44.035, 10.140, "ITA"),
    ("CSN", "Castelnuovo di Garfagnana", 44.110, 10.406, "ITA"),
    ("FVZ", "Fivizzano", 44.238, 10.126, "ITA"),
    ("LUC", "Lucca", 43.843, 10.505, "ITA"),
    ("PIS", "Pisa", 43.716, 10.402, "ITA"),
    ("LVN", "Livorno", 43.548, 10.311, "ITA"),
    ("FIR", "Firenze", 43.770, 11.256, "ITA"),
    ("BSL", "Borgo San Lorenzo", 43.955, 11.386, "ITA"),
    ("ARZ", "Arezzo", 43.463, 11.880, "ITA"),
    ("SIE", "Siena", 43.318, 11.331, "ITA"),
    ("GRS", "Grosseto", 42.760, 11.113, "ITA"),
    ("RMA", "Roma", 41.902, 12.496, "ITA"),
    ("TIV", "Tivoli", 41.963, 12.798, "ITA"),
    ("FRS", "Frosinone", 41.640, 13.340, "ITA"),
    ("CSS", "Cassino", 41.492, 13.831, "ITA"),
    ("LTN", "Latina", 41.467, 12.904, "ITA"),
    ("SRA", "Sora", 41.718, 13.614, "ITA"),
    ("CSR", "Caserta", 41.074, 14.333, "ITA"),
    ("BNV", "Benevento", 41.130, 14.782, "ITA"),
    ("AVL", "Avellino", 40.914, 14.790, "ITA"),
    ("NAP", "Napoli", 40.852, 14.268, "ITA"),
    ("SLR", "Salerno", 40.683, 14.768, "ITA"),
    ("SAN", "Sant'Angelo dei Lombardi", 40.927, 15.177, "ITA"),
    ("CLT", "Calitri", 40.900, 15.437, "ITA"),
    ("BVN", "Bovino", 41.249, 15.341, "ITA"),
    ("FOG", "Foggia", 41.462, 15.544, "ITA"),
    ("SGR", "San Giovanni Rotondo", 41.706, 15.700, "ITA"),
    ("BAR", "Bari", 41.117, 16.872, "ITA"),
    ("MTR", "Matera", 40.666, 16.604, "ITA"),
    ("PTZ", "Potenza", 40.640, 15.806, "ITA"),
    ("MRT", "Muro Lucano", 40.754, 15.488, "ITA"),
    ("LRN", "Lauria", 40.045, 15.836, "ITA"),
    ("TRT", "Taranto", 40.464, 17.247, "ITA"),
    ("BRN", "Brindisi", 40.632, 17.936, "ITA"),
    ("LCE", "Lecce", 40.352, 18.169, "ITA"),
    ("CSTV", "Castrovillari", 39.817, 16.200, "ITA"),
    ("MRM", "Mormanno", 39.889, 15.988, "ITA"),
    ("CSZ", "Cosenza", 39.298, 16.254, "ITA"),
    ("CRT", "Crotone", 39.081, 17.127, "ITA"),
    ("CTZ", "Catanzaro", 38.905, 16.594, "ITA"),
    ("VVL", "Vibo Valentia", 38.676, 16.101, "ITA"),
    ("PLM", "Palmi", 38.359, 15.851, "ITA"),
    ("RCL", "Reggio Calabria", 38.111, 15.647, "ITA"),
    ("MSN", "Messina", 38.193, 15.554, "ITA"),
    ("TAO", "Taormina", 37.852, 15.288, "ITA"),
    ("ZAF", "Zafferana Etnea", 37.692, 15.105, "ITA"),
    ("CAT", "Catania", 37.502, 15.087, "ITA"),
    ("SRC", "Siracusa", 37.075, 15.286, "ITA"),
    ("NOT", "Noto", 36.891, 15.070, "ITA"),
    ("RGS", "Ragusa", 36.925, 14.731, "ITA"),
    ("ENN", "Enna", 37.566, 14.279, "ITA"),
    ("CLN", "Caltanissetta", 37.490, 14.062, "ITA"),
    ("AGR", "Agrigento", 37.311, 13.577, "ITA"),
    ("GBL", "Gibellina", 37.790, 12.870, "ITA"),
    ("TRP", "Trapani", 38.018, 12.515, "ITA"),
    ("PAL", "Palermo", 38.116, 13.361, "ITA"),
    ("CFL", "Cefalu", 38.039, 14.023, "ITA"),
    ("LMP", "Lampedusa", 35.508, 12.594, "ITA"),
    ("CAG", "Cagliari", 39.224, 9.122, "ITA"),
    ("NUR", "Nuoro", 40.321, 9.331, "ITA"),
    ("SSR", "Sassari", 40.727, 8.560, "ITA"),
    ("LJU", "Ljubljana", 46.056, 14.506, "SVN"),
    ("LUG", "Lugano", 46.004, 8.951, "CHE"),
    ("BST", "Bastia", 42.697, 9.442, "FRA"),
    ("RJK", "Rijeka", 45.327, 14.442, "HRV"),
    ("VLT", "Valletta", 35.899, 14.514, "MLT"),
    ("IBK", "Innsbruck", 47.269, 11.404, "AUT"),
)

# Seismogenic areas of Italy and its margins: (name, latitude, longitude, radius km,
# median depth km, weight). After the ZS9 zonation (Meletti et al. 2008, Tectonophysics 450)
# and the CPTI15 catalogue's activity (Rovida et al. 2020): weights are relative rates.
SEISMIC_ZONES: tuple[tuple[str, float, float, float, float, float], ...] = (
    ("Central Apennines (Aterno valley)", 42.35, 13.40, 25.0, 9.0, 1.4),
    ("Umbria-Marche Apennines", 43.00, 12.85, 30.0, 7.0, 1.4),
    ("Amatrice-Norcia-Visso", 42.75, 13.20, 20.0, 8.0, 1.2),
    ("Fucino basin", 42.00, 13.55, 20.0, 10.0, 0.6),
    ("Emilia plain", 44.85, 11.15, 30.0, 8.0, 0.8),
    ("Friuli", 46.25, 13.10, 25.0, 10.0, 0.7),
    ("Garfagnana-Lunigiana", 44.20, 10.25, 20.0, 8.0, 0.5),
    ("Mugello", 43.95, 11.40, 15.0, 8.0, 0.4),
    ("Molise-Sannio", 41.55, 14.65, 30.0, 12.0, 0.7),
    ("Irpinia-Basilicata", 40.75, 15.35, 30.0, 12.0, 0.9),
    ("Gargano", 41.80, 15.85, 20.0, 15.0, 0.3),
    ("Pollino", 39.90, 16.05, 20.0, 8.0, 0.4),
    ("Calabria (Crati and Sila)", 39.15, 16.35, 35.0, 12.0, 0.6),
    ("Southern Calabria and Messina Strait", 38.25, 15.80, 25.0, 12.0, 0.5),
    ("Etna and eastern Sicily", 37.55, 15.00, 25.0, 6.0, 0.8),
    ("Hyblean plateau", 37.10, 14.85, 20.0, 15.0, 0.3),
    ("Belice valley", 37.75, 12.95, 20.0, 10.0, 0.3),
    ("Central Adriatic offshore", 43.55, 14.00, 35.0, 12.0, 0.4),
    ("Northern Sicily offshore", 38.55, 13.50, 35.0, 12.0, 0.3),
    ("Southern Tyrrhenian slab (deep)", 39.20, 14.90, 60.0, 250.0, 0.4),
    ("Southern Tyrrhenian slab (intermediate)", 38.70, 15.70, 30.0, 80.0, 0.3),
    ("Slovenia and western Croatia", 45.70, 14.40, 35.0, 12.0, 0.3),
    ("Albanian coast", 41.30, 19.45, 35.0, 20.0, 0.3),
)

# Eurocode 8 ground classes by Vs30 (CEN 2004, EN 1998-1 Table 3.1): A > 800, B 360-800,
# C 180-360, D < 180 m/s.
EC8_BOUNDS_M_S = ((800.0, "A"), (360.0, "B"), (180.0, "C"), (0.0, "D"))

# Italy's largest recent mainshocks struck beside a town with a strong-motion station:
# L'Aquila 2009 (Mw 6.1-6.3, AQV and AQK about 5 km), Emilia 2012 (Mw 6.1, MRN about 4 km),
# Amatrice 2016 (Mw 6.0, AMT under 2 km), Norcia 2016 (Mw 6.5, NRC about 5 km); of the six
# Mw >= 5.8 mainshocks of 2008-2023 in ITACA (with Visso 2016 and Emilia's second shock) all
# but one were recorded within 10 km. A shallow mainshock of Mw >= 5.8 is placed 1-10 km
# from its nearest station with this probability. ITACA's 2008-2023 records hold six such
# sequences in about 13,600 records; a demo archive of ~1,300 records would hold one in
# expectation but often none by chance, so its first sequence (archives of at least
# NEAR_SOURCE_MIN_RECORDS) is drawn at Mw 5.8-6.5 in a
# shallow zone (a Gutenberg-Richter tail) and always placed near a station, and the others
# follow the catalogue's rates.
NEAR_SOURCE_MW = 5.8
NEAR_SOURCE_SHARE = 0.8
# A large first sequence needs room: in a small archive (tests use 8-100 records) it would
# be the only event, so only archives of at least this many records begin with one.
NEAR_SOURCE_MIN_RECORDS = 500
_TRIGGER_PGA_CM_S2 = 2.0  # typical trigger level of the RAN's digital stations (~2 mg)
_MAX_DISTANCE_KM = 300.0
_START = datetime(2008, 1, 1, tzinfo=UTC)
_END = datetime(2023, 12, 31, tzinfo=UTC)


def ec8_class(vs30_m_s: float) -> str:
    """EC8 ground class of a Vs30 (EN 1998-1, Table 3.1)."""
    for bound, letter in EC8_BOUNDS_M_S:
        if vs30_m_s > bound:
            return letter
    return "D"


@lru_cache(maxsize=1)
def _outline_polygons() -> dict[str, list[shapely.Polygon]]:
    """The bundled outline's land polygons per country (outer rings only: a point of San
    Marino counts as Italy's land), prepared for many point-in-polygon queries."""
    polygons: dict[str, list[shapely.Polygon]] = {}
    for country in read_outline():
        for ring in country.exteriors:
            polygons.setdefault(country.iso_a3, []).append(shapely.Polygon(ring))
    return polygons


def in_country(lat: np.ndarray, lon: np.ndarray, iso_a3: str | tuple[str, ...]) -> np.ndarray:
    """Whether points lie on the land of a country of the bundled outline (outer rings)."""
    polygons = _outline_polygons()
    wanted = (iso_a3,) if isinstance(iso_a3, str) else iso_a3
    x = np.atleast_1d(np.asarray(lon, dtype=float))
    y = np.atleast_1d(np.asarray(lat, dtype=float))
    return contains([p for iso in wanted for p in polygons.get(iso, [])], x, y)


def _gr_magnitudes(rng: np.random.Generator, n: int, m_min: float, m_max: float, b: float = 1.0):
    # Doubly truncated Gutenberg-Richter (Cosentino et al. 1977), by inverse transform.
    beta = b * np.log(10.0)
    u = rng.random(n)
    c = 1.0 - np.exp(-beta * (m_max - m_min))
    return m_min - np.log(1.0 - u * c) / beta


def _destination(lat: float, lon: float, azimuth_deg: np.ndarray, dist_km: np.ndarray):
    # Small distances on a sphere of radius 6371 km (local flat approximation is enough here).
    dlat = dist_km * np.cos(np.radians(azimuth_deg)) / 111.195
    dlon = dist_km * np.sin(np.radians(azimuth_deg)) / (111.195 * np.cos(np.radians(lat)))
    return lat + dlat, lon + dlon


def _epicentral_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    # Haversine on the mean Earth radius; obspy's ellipsoidal gps2dist_azimuth agrees to 0.5 %.
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


def rvt_pga_cm_s2(scenario: Scenario, model: RegionModel = APENNINES) -> float:
    """Random-vibration estimate of PGA (Boore 2003, eq. 18-21): peak factor times a_rms.

    a_rms = sqrt(m0 / T_gm) with m0 = 2 * integral of A(f)^2 df; peak factor
    sqrt(2 ln N_z) + 0.5772 / sqrt(2 ln N_z) (Davenport 1964), N_z = 2 f_dom T_gm.
    """
    f = np.linspace(0.05, 50.0, 1000)
    a = fourier_amplitude(f, scenario, model)
    m0 = 2.0 * np.trapezoid(a**2, f)
    m2 = 2.0 * np.trapezoid((2 * np.pi * f) ** 2 * a**2, f)
    t_gm = duration_s(scenario, model)
    n_z = max(2.0 * np.sqrt(m2 / m0) / (2 * np.pi) * t_gm, 2.0)
    peak = np.sqrt(2 * np.log(n_z)) + 0.5772 / np.sqrt(2 * np.log(n_z))
    return float(peak * np.sqrt(m0 / t_gm))


@dataclass
class DemoCatalogue:
    """The synthetic catalogue: one table of stations, events and records each."""

    stations: pd.DataFrame
    events: pd.DataFrame
    records: pd.DataFrame
    noise: pd.DataFrame


def _make_stations(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for code, name, lat, lon, country in STATION_SITES:
        # Instruments stand near, not on, the town centre; keep the point on the country's land.
        for _ in range(20):
            jlat, jlon = _destination(lat, lon, rng.uniform(0, 360), rng.uniform(0.0, 3.0))
            if in_country(np.array([jlat]), np.array([jlon]), country)[0]:
                lat, lon = float(jlat), float(jlon)
                break
        # Vs30: log-normal around 450 m/s, as the ITACA station set (Felicetta et al. 2017).
        vs30 = float(np.clip(450.0 * np.exp(0.45 * rng.standard_normal()), 150.0, 1600.0))
        network = {"ITA": "IT", "SVN": "SL", "CHE": "CH", "FRA": "FR", "HRV": "CR"}.get(
            country, "OE" if country == "AUT" else "MT"
        )
        draw = rng.random()
        band = "HG" if draw < 0.15 else "HN"
        # A few stations have horizontals not aligned north/east: channels 2 and 3.
        orthogonal = bool(rng.random() < 0.06)
        rows.append(
            {
                "network": network,
                "station": code,
                "location": "" if rng.random() < 0.8 else "00",
                "station_name": name,
                "country": country,
                "station_latitude": round(lat, 4),
                "station_longitude": round(lon, 4),
                "station_elevation_m": float(round(rng.uniform(5, 900), 1)),
                "vs30_m_s": round(vs30, 1),
                "ec8_class": ec8_class(vs30),
                "channels": (f"{band}2", f"{band}3", f"{band}Z")
                if orthogonal
                else (f"{band}E", f"{band}N", f"{band}Z"),
                # Older analogue-era digitisers in the RAN record at 100 Hz.
                "sampling_rate_hz": 100.0 if rng.random() < 0.15 else 200.0,
                # Station terms: kappa (log-normal about the Vs30 median) and a site term.
                "kappa_s": median_kappa_s(vs30)
                * float(np.exp(APENNINES.sigma_ln_kappa * rng.standard_normal())),
                "site_term_ln": float(APENNINES.sigma_ln_site * rng.standard_normal()),
            }
        )
    return pd.DataFrame(rows)


def _near_a_station(rng, lat: float, lon: float, stations: np.ndarray) -> tuple[float, float]:
    # The epicentre moved to 1-10 km of the station nearest to it (azimuth at random).
    nearest = int(np.argmin(_epicentral_km(lat, lon, stations[:, 0], stations[:, 1])))
    new = _destination(
        stations[nearest, 0], stations[nearest, 1], rng.uniform(0, 360), rng.uniform(1.0, 10.0)
    )
    return float(new[0]), float(new[1])


def _make_sequence(
    rng: np.random.Generator,
    zone_index: int,
    origin: datetime,
    mw_max: float,
    stations: np.ndarray,
    mw_min: float = 4.0,
):
    name, zlat, zlon, radius, depth, _ = SEISMIC_ZONES[zone_index]
    lat, lon = _destination(zlat, zlon, rng.uniform(0, 360), radius * np.sqrt(rng.random()))
    main_mw = float(_gr_magnitudes(rng, 1, mw_min, mw_max)[0])
    deep = depth > 50.0
    # The first, large sequence (mw_min >= NEAR_SOURCE_MW) is always recorded near its source.
    share = 1.0 if mw_min >= NEAR_SOURCE_MW else NEAR_SOURCE_SHARE
    if main_mw >= NEAR_SOURCE_MW and not deep and rng.random() < share:
        lat, lon = _near_a_station(rng, lat, lon, stations)
    main_depth = float(
        np.clip(depth * np.exp(0.25 * rng.standard_normal()), 60.0 if deep else 2.0, 450.0)
    )
    if not deep:
        main_depth = min(main_depth, 35.0)
    events = [(lat, lon, main_depth, main_mw, origin, name)]
    # Aftershocks of Mw >= 4: Båth's law puts the largest about 1.2 below the mainshock
    # (Båth 1965); their number grows as 10^(b (Mmain - 1.2 - 4)) (Reasenberg and Jones 1989).
    if main_mw - 1.2 >= 4.0 and not deep:
        n_after = int(rng.poisson(1.5 * 10 ** (main_mw - 1.2 - 4.0)))
        mags = _gr_magnitudes(rng, n_after, 4.0, main_mw - 0.3)
        # Omori-Utsu times (p = 1.1, c = 0.05 days; Utsu et al. 1995), within 30 days.
        p, c = 1.1, 0.05
        u = rng.random(n_after)
        t_max = 30.0
        norm = c ** (1 - p) - (t_max + c) ** (1 - p)
        days = (c ** (1 - p) - u * norm) ** (1 / (1 - p)) - c
        for mag, day in zip(mags, days, strict=True):
            alat, alon = _destination(lat, lon, rng.uniform(0, 360), abs(rng.normal(0, 3.0)))
            adepth = float(np.clip(main_depth + rng.normal(0, 2.0), 1.5, 35.0))
            events.append(
                (
                    float(alat),
                    float(alon),
                    adepth,
                    float(mag),
                    origin + timedelta(days=float(day)),
                    name,
                )
            )
    return events


def make_catalogue(
    rng: np.random.Generator,
    n_records: int = 1300,
    n_noise: int = 200,
    *,
    model: RegionModel = APENNINES,
) -> DemoCatalogue:
    """Draw stations, sequences of events and the records they trigger, until ``n_records``."""
    stations = _make_stations(rng)
    events, records = _draw_sequences(rng, stations, n_records, model)
    records_df = _first_records(pd.DataFrame(records), n_records)
    events_df = pd.DataFrame(events)
    used = records_df["event_index"].unique()
    events_df = events_df[events_df["event_index"].isin(used)].reset_index(drop=True)
    noise_df = _make_noise(rng, stations, n_noise)
    return DemoCatalogue(stations, events_df, records_df.reset_index(drop=True), noise_df)


def _draw_sequences(
    rng: np.random.Generator, stations: pd.DataFrame, n_records: int, model: RegionModel
) -> tuple[list[dict], list[dict]]:
    """Sequences in the seismogenic zones, one after the other, until their events have
    triggered at least ``n_records`` records. The first sequence of an archive of at least
    ``NEAR_SOURCE_MIN_RECORDS`` records is a shallow one of Mw >= ``NEAR_SOURCE_MW``."""
    weights = np.array([z[5] for z in SEISMIC_ZONES])
    weights /= weights.sum()
    span_s = (_END - _START).total_seconds()
    st_latlon = np.column_stack(
        [stations["station_latitude"].to_numpy(), stations["station_longitude"].to_numpy()]
    )
    shallow = np.array([z[4] <= 50.0 for z in SEISMIC_ZONES])
    events: list[dict] = []
    records: list[dict] = []
    seq_id = 0
    while len(records) < n_records:
        first = seq_id == 0 and n_records >= NEAR_SOURCE_MIN_RECORDS
        p = weights * shallow / (weights * shallow).sum() if first else weights
        zone = int(rng.choice(len(SEISMIC_ZONES), p=p))
        origin = _START + timedelta(seconds=float(rng.uniform(0, span_s)))
        seq_id += 1
        sequence = _make_sequence(
            rng, zone, origin, 6.5, st_latlon, mw_min=NEAR_SOURCE_MW if first else 4.0
        )
        for lat, lon, depth, mw, time, zone_name in sequence:
            event = _event_row(rng, len(events), seq_id, (lat, lon, depth, mw, time, zone_name))
            event["stress_bar"] = float(
                # Between-event term: the event's stress parameter (log-normal).
                median_stress_bar(mw, model) * np.exp(model.sigma_ln_stress * rng.standard_normal())
            )
            events.append(event)
            records += _triggered_records(rng, event, (lat, lon), stations, model)
    return events, records


def _event_row(rng: np.random.Generator, index: int, seq_id: int, hypocentre: tuple) -> dict:
    """An event's catalogue row (without its stress parameter): Mw to one decimal, a few
    events with only ML (no Mw), as catalogues give them."""
    lat, lon, depth, mw, time, zone_name = hypocentre
    has_mw = bool(rng.random() > 0.02)
    return {
        "event_index": index,
        "sequence": seq_id,
        "zone": zone_name,
        "event_time": time.replace(microsecond=(time.microsecond // 10000) * 10000),
        "event_latitude": round(float(lat), 4),
        "event_longitude": round(float(lon), 4),
        "event_depth_km": round(float(depth), 1),
        "mw_true": mw,
        "mw": round(mw, 1) if has_mw else np.nan,
        "ml": round(mw + rng.normal(0.05, 0.2), 1),
    }


def _first_records(records: pd.DataFrame, n_records: int) -> pd.DataFrame:
    """Exactly ``n_records`` records in archive order (event, then station)."""
    if len(records) > n_records:
        # The last event's extra records are dropped, farthest stations first (they would be
        # the last to trigger).
        records = records.sort_values(
            ["event_index", "epicentral_distance_km"], kind="stable"
        ).iloc[:n_records]
    return records.sort_values(["event_index", "station"], kind="stable")


def _triggered_records(rng, event: dict, where, stations: pd.DataFrame, model) -> list[dict]:
    """The records of one event: every station within reach whose PGA passes the trigger."""
    lat, lon = where
    st_lat = stations["station_latitude"].to_numpy()
    st_lon = stations["station_longitude"].to_numpy()
    dist = _epicentral_km(lat, lon, st_lat, st_lon)
    rows = []
    for i in np.flatnonzero(dist < _MAX_DISTANCE_KM):
        st = stations.iloc[i]
        scenario = Scenario(
            mw=event["mw_true"],
            depth_km=event["event_depth_km"],
            epicentral_distance_km=float(dist[i]),
            vs30_m_s=float(st["vs30_m_s"]),
            stress_bar=event["stress_bar"],
            kappa_s=float(st["kappa_s"]),
            # The station's term and the record's path term (RegionModel).
            site_term_ln=float(st["site_term_ln"])
            + float(model.sigma_ln_path * rng.standard_normal()),
            duration_term_ln=float(model.sigma_ln_duration * rng.standard_normal()),
        )
        # A station triggers if its (randomly perturbed) PGA passes the trigger level.
        pga = rvt_pga_cm_s2(scenario, model) * np.exp(0.3 * rng.standard_normal())
        if pga < _TRIGGER_PGA_CM_S2:
            continue
        rows.append(_record_row(rng, event, st, scenario, model))
    return rows


def _record_row(rng, event, st, scenario: Scenario, model: RegionModel) -> dict:
    r_hyp = scenario.hypocentral_distance_km
    t_p = r_hyp / model.vp_km_s
    t_s = r_hyp / model.beta_km_s
    t_gm = duration_s(scenario, model)
    # Triggered records: a pre-event buffer, the P-to-S time, the strong phase and a coda cut
    # at the instrument's de-trigger (lengths of about 30 to 120 s, as in ITACA).
    pre_event = float(rng.uniform(2.0, 15.0))
    coda = float(np.exp(rng.normal(np.log(14.0), 0.6)))
    length = float(np.clip(pre_event + (t_s - t_p) + 1.5 * t_gm + coda, 20.0, 180.0))
    return {
        "event_index": event["event_index"],
        "network": st["network"],
        "station": st["station"],
        "location": st["location"],
        "channels": st["channels"],
        "epicentral_distance_km": round(scenario.epicentral_distance_km, 2),
        "sampling_rate_hz": st["sampling_rate_hz"],
        "pre_event_s": round(pre_event, 3),
        "record_length_s": round(length, 2),
        "first_sample_time": event["event_time"] + timedelta(seconds=t_p - pre_event),
        "scenario": scenario,
    }


def _make_noise(rng: np.random.Generator, stations: pd.DataFrame, n_noise: int) -> pd.DataFrame:
    span_s = (_END - _START).total_seconds()
    rows = []
    for k in range(n_noise):
        st = stations.iloc[int(rng.integers(len(stations)))]
        rows.append(
            {
                "noise_index": k,
                "network": st["network"],
                "station": st["station"],
                "location": st["location"],
                "channels": st["channels"],
                "sampling_rate_hz": st["sampling_rate_hz"],
                "first_sample_time": _START
                + timedelta(seconds=round(float(rng.uniform(0, span_s)), 2)),
                "record_length_s": float(round(rng.uniform(40.0, 90.0), 2)),
                # Ambient and instrument noise (RegionModel.noise_rms_cm_s2).
                "rms_cm_s2": draw_noise_rms_cm_s2(rng),
            }
        )
    columns = [
        "noise_index",
        "network",
        "station",
        "location",
        "channels",
        "sampling_rate_hz",
        "first_sample_time",
        "record_length_s",
        "rms_cm_s2",
    ]
    return pd.DataFrame(rows, columns=columns)

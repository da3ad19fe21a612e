"""Files the tests make from the real fixtures in ../shared/fixtures (never copied in)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from seisgan_core.evaluation.archive import displacement
from seisgan_core.evaluation.intensity import velocity
from seisgan_core.io.esm_ascii import HEADER_KEYS, write_esm_ascii
from seisgan_core.io.itaca_legacy import read_cor_acc, read_rs

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT.parent / "shared" / "fixtures"
LAQUILA = FIXTURES / "itaca-legacy-laquila-2009"
ESM_FLATFILE = FIXTURES / "esm-flatfile" / "esm_flatfile_sample.csv"
ESM_FLATFILE_2018 = FIXTURES / "esm-flatfile" / "esm_sa_flatfile_2018_sample.csv"
QUAKEML = FIXTURES / "ingv-quakeml"

requires_fixtures = pytest.mark.skipif(
    not FIXTURES.is_dir(), reason=f"real-data fixtures not found at {FIXTURES}"
)

# ITACA 1.x file suffix -> (orientation, ESM stream letter)
LEGACY_COMPONENTS = {"H2": "E", "H1": "N", "V": "Z"}


def metadata_row(station_dir: str = "16833") -> dict[str, str]:
    path = LAQUILA / station_dir / f"{station_dir}.metadata"
    with open(path, newline="", encoding="utf-8") as handle:
        return next(csv.DictReader(handle))


def real_header(station_dir: str = "16833", component: str = "E") -> dict[str, str]:
    """A DYNA 1.2 header filled with the real facts of an L'Aquila station."""
    m = metadata_row(station_dir)
    header = dict.fromkeys(HEADER_KEYS, "")
    header.update(
        {
            "EVENT_NAME": m["event.name"],
            "EVENT_ID": "IT-2009-0009",
            "EVENT_DATE_YYYYMMDD": "20090406",
            "EVENT_TIME_HHMMSS": "013239",
            "EVENT_LATITUDE_DEGREE": m["event.latitude"],
            "EVENT_LONGITUDE_DEGREE": m["event.longitude"],
            "EVENT_DEPTH_KM": m["event.focaldepth"],
            "MAGNITUDE_W": m["event.magnitudes/1.value"],
            "MAGNITUDE_W_REFERENCE": "ITACA",
            "MAGNITUDE_L": m["event.magnitudes/0.value"],
            "FOCAL_MECHANISM": m["event.fault_mechanism.name"],
            "NETWORK": "IT",
            "STATION_CODE": m["station.code"],
            "STATION_NAME": m["station.name"],
            "STATION_LATITUDE_DEGREE": m["station.latitude"],
            "STATION_LONGITUDE_DEGREE": m["station.longitude"],
            "STATION_ELEVATION_M": m["station.altitude"],
            "LOCATION": "",
            "VS30_M/S": m["station.vs30"],
            "SITE_CLASSIFICATION_EC8": "B*",
            "EPICENTRAL_DISTANCE_KM": m["distance_repi"],
            "DATE_TIME_FIRST_SAMPLE_YYYYMMDD_HHMMSS": "20090406_013239.000",
            "SAMPLING_INTERVAL_S": "0.005",
            "STREAM": f"HN{component}",
            "UNITS": "cm/s^2",
            "INSTRUMENT": "sensor = Kinemetrics Episensor | digitizer = Kinemetrics ETNA",
            "PROCESSING": "manual (Paolucci et al., 2011)",
            "DATA_TYPE": "ACCELERATION",
            "HEADER_FORMAT": "DYNA 1.2",
            "DATA_CITATION": "Luzi L. et al. (2019): ITACA, doi: 10.13127/itaca.3.0",
        }
    )
    return header


def real_samples_cm_s2(station_dir: str = "16833", suffix: str = "H2", n: int | None = None):
    trace = read_cor_acc(LAQUILA / station_dir / f"{station_dir}_{suffix}.cor.acc")
    data = trace.data_cm_s2
    return data if n is None else data[:n]


def write_real_esm_record(
    folder: Path, station_dir: str = "16833", n: int | None = 4000
) -> dict[str, Path]:
    """Three ESM ASCII files (HNE, HNN, HNZ) holding a real L'Aquila record (cm/s^2)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for suffix, letter in LEGACY_COMPONENTS.items():
        header = real_header(station_dir, letter)
        path = folder / f"IT.{header['STATION_CODE']}..HN{letter}.ASC"
        write_esm_ascii(path, real_samples_cm_s2(station_dir, suffix, n), header)
        paths[letter] = path
    return paths


def write_real_esm_file(path: Path, n: int = 2000, component: str = "E") -> Path:
    suffix = {v: k for k, v in LEGACY_COMPONENTS.items()}[component]
    return write_esm_ascii(
        path, real_samples_cm_s2("16833", suffix, n), real_header("16833", component)
    )


def replace_line(path: Path, key: str, new_line: str | None) -> None:
    """Replace (or, with None, delete) the header line of ``key`` in an ESM ASCII file."""
    lines = path.read_bytes().split(b"\n")
    out = []
    for line in lines:
        if line.split(b":", 1)[0] == key.encode():
            if new_line is not None:
                out.append(new_line.encode("latin-1"))
        else:
            out.append(line)
    path.write_bytes(b"\n".join(out))


def real_asdf(path: Path, *, with_quakeml: bool = True, noise: bool = True, n: int = 4000) -> dict:
    """Write an ASDF file with pyasdf holding the real AQG record (and a noise window)."""
    import obspy
    import pyasdf
    from obspy.core.event import Catalog, Event, Magnitude, Origin
    from obspy.core.inventory import Channel, Inventory, Network, Site, Station

    m = metadata_row("16833")
    lat, lon = float(m["station.latitude"]), float(m["station.longitude"])
    event = Event(resource_id="smi:local/IT-2009-0009")
    event.origins.append(
        Origin(
            time=obspy.UTCDateTime(2009, 4, 6, 1, 32, 39),
            latitude=float(m["event.latitude"]),
            longitude=float(m["event.longitude"]),
            depth=float(m["event.focaldepth"]) * 1000.0,
        )
    )
    event.magnitudes.append(Magnitude(mag=6.3, magnitude_type="Mw"))
    event.magnitudes.append(Magnitude(mag=5.8, magnitude_type="ML"))
    channels = [Channel(f"HN{c}", "", lat, lon, 721.0, 0.0) for c in "ENZ"]
    station = Station("AQG", lat, lon, 721.0, site=Site("AQG"), channels=channels)
    inventory = Inventory(networks=[Network("IT", stations=[station])], source="tests")
    start = obspy.UTCDateTime(2009, 4, 6, 1, 32, 39)
    arrays = {
        letter: real_samples_cm_s2("16833", suffix, n)
        for suffix, letter in LEGACY_COMPONENTS.items()
    }
    noise_arrays = {
        letter: real_samples_cm_s2("16833", suffix)[-n:]
        for suffix, letter in LEGACY_COMPONENTS.items()
    }
    ds = pyasdf.ASDFDataSet(str(path), mode="w")
    if with_quakeml:
        ds.add_quakeml(Catalog([event]))
    ds.add_stationxml(inventory)
    stream = obspy.Stream(
        [
            obspy.Trace(
                arrays[c],
                header={
                    "network": "IT",
                    "station": "AQG",
                    "location": "",
                    "channel": f"HN{c}",
                    "sampling_rate": 200.0,
                    "starttime": start,
                },
            )
            for c in "ENZ"
        ]
    )
    ds.add_waveforms(stream, tag="processed_acceleration", event_id=event)
    if noise:
        noise_stream = stream.copy()
        for trace in noise_stream:
            trace.data = noise_arrays[trace.stats.channel[-1]].copy()
            trace.stats.starttime = start + 3600
        ds.add_waveforms(noise_stream, tag="noise")
    del ds
    return {"data": arrays, "noise": noise_arrays, "station": (lat, lon), "event": event}


# an AQG record and its products, named as ITACA names its downloads
AQG_STAMP = "IT.AQG..HN{c}.D.20090406.013239.C.{p}.ASC"
_SUFFIX = {"E": "H2", "N": "H1", "Z": "V"}


def product_header(component: str, product: str) -> dict:
    header = real_header("16833", component)
    data_type = {
        "VEL": ("VELOCITY", "cm/s"),
        "DIS": ("DISPLACEMENT", "cm"),
        "SA": ("ACCELERATION RESPONSE SPECTRUM", "cm/s^2"),
        "PSV": ("PSEUDO-VELOCITY RESPONSE SPECTRUM", "cm/s^2"),  # sic: ITACA writes cm/s^2
        "SD": ("DISPLACEMENT RESPONSE SPECTRUM", "cm"),
    }[product]
    header["DATA_TYPE"], header["UNITS"] = data_type
    if product in ("SA", "PSV", "SD"):
        header["DURATION_S"] = ""
    if product in ("VEL", "DIS"):
        peak, time = ("PGV_CM/S", "TIME_PGV_S") if product == "VEL" else ("PGD_CM", "TIME_PGD_S")
        header[peak], header[time] = header.pop("PGA_CM/S^2", ""), header.pop("TIME_PGA_S", "")
    return header


def write_record_with_products(folder: Path, n: int = 59220) -> dict:
    """The real AQG record as ACC files named as ITACA names them, with the N component's
    SA (ITACA's own .rs, 5 %), PSV and SD from it, and VEL/DIS integrated by the project."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for c, suffix in _SUFFIX.items():
        acc = real_samples_cm_s2("16833", suffix, n)
        path = folder / AQG_STAMP.format(c=c, p="ACC")
        written[c] = write_esm_ascii(path, acc, real_header("16833", c))
    acc_n = real_samples_cm_s2("16833", "H1", n)
    dt = 0.005
    for product, values in (("VEL", velocity(acc_n, dt)), ("DIS", displacement(acc_n, dt))):
        header = product_header("N", product)
        header[("PGV_CM/S" if product == "VEL" else "PGD_CM")] = float(np.abs(values).max())
        write_esm_ascii(folder / AQG_STAMP.format(c="N", p=product), values, header)
    rs = read_rs(LAQUILA / "16833" / "16833_H1.rs")
    periods = rs.periods_s[rs.periods_s <= 4.0]
    sa = rs.psa_at(0.05)[: periods.size] * 100.0  # m/s^2 -> cm/s^2
    omega = 2 * np.pi / periods
    for product, values in (("SA", sa), ("PSV", sa / omega), ("SD", sa / omega**2)):
        path = folder / AQG_STAMP.format(c="N", p=product)
        write_esm_ascii(path, values, product_header("N", product), periods=periods)
    return {"acc": written, "periods": periods, "sa": sa}

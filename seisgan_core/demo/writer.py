"""Write the demo archive in ITACA's own formats: ASDF, an ITACA flat file and ESM ASCII.

``build_demo_archive(out_dir)`` draws the catalogue, simulates every record and noise window,
processes them as ITACA does (baseline removal, acausal Butterworth band-pass; Paolucci et al.
2011, Puglia et al. 2018), and writes

- ``demo.h5``: ASDF via pyasdf, QuakeML events, one StationXML per station, traces tagged
  ``processed_acceleration`` (cm/s^2) with their ``event_id``, and ``noise`` windows;
- ``flatfile.csv``: the ITACA waveform-search export (one row per component);
- ``ascii/``: ESM ASCII (DYNA 1.2) files of one event, or of all with ``all_ascii=True``.

The folder is built beside the target and renamed into place at the end, so an interrupted
build leaves the previous archive or none. The same seed gives the same waveforms and
metadata, byte for byte.
"""

from __future__ import annotations

import csv
import errno
import io
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import signal

from seisgan_core.demo.catalogue import DemoCatalogue, make_catalogue
from seisgan_core.demo.simulator import (
    APENNINES,
    draw_noise_rms_cm_s2,
    simulate_noise,
    simulate_record,
)
from seisgan_core.errors import ConfigError
from seisgan_core.fsutil import atomic_directory, csv_safe, output_lock
from seisgan_core.progress import Progress

__all__ = [
    "FLATFILE_COLUMNS",
    "NOISE_TAG",
    "RECORD_TAG",
    "DemoSummary",
    "build_demo_archive",
    "simulated_records",
]


RECORD_TAG = "processed_acceleration"
NOISE_TAG = "noise"
_NAMESPACE = "https://seisgan-studio.org/xmlns/demo/1.0"
# A fixed creation stamp, so that the same seed gives the same bytes.
_CREATED = datetime(2024, 1, 1, tzinfo=UTC)

# The ITACA waveform-search export as used by the reference study (its Table B.1).
FLATFILE_COLUMNS = (
    "EVENT_NAME",
    "EVENT_ID",
    "EVENT_LATITUDE_DEGREE",
    "EVENT_LONGITUDE_DEGREE",
    "EVENT_DEPTH_KM",
    "Ml",
    "Mw",
    "NETWORK",
    "STATION_CODE",
    "STATION_NAME",
    "STATION_LATITUDE_DEGREE",
    "STATION_LONGITUDE_DEGREE",
    "epi_dist_km",
    "SAMPLING_INTERVAL_S",
    "NDATA",
    "dur_s",
    "component",
    "filename",
)


@dataclass(frozen=True)
class DemoSummary:
    """What a build wrote."""

    out_dir: Path
    asdf_path: Path
    flatfile_path: Path
    ascii_dir: Path
    n_events: int
    n_stations: int
    n_records: int
    n_noise: int
    n_ascii_files: int
    seed: int
    records_le_40_s: int


def _process(
    data: np.ndarray, rate: float, pre_event_samples: int, mw: float
) -> tuple[np.ndarray, float, float]:
    """ITACA's processing, simplified: remove the pre-event mean, then an acausal 2nd-order
    Butterworth band-pass (high-pass 0.1 Hz for Mw >= 5, 0.2 Hz below; low-pass 40 Hz or 0.8 of
    Nyquist), after Paolucci et al. (2011, Bull. Earthq. Eng. 9) and Puglia et al. (2018)."""
    high_pass = 0.1 if mw >= 5.0 else 0.2
    low_pass = min(40.0, 0.8 * rate / 2.0)
    base = data[:, : max(pre_event_samples, 1)].mean(axis=1, keepdims=True)
    sos = signal.butter(2, [high_pass, low_pass], btype="bandpass", fs=rate, output="sos")
    return signal.sosfiltfilt(sos, data - base, axis=1), high_pass, low_pass


def _d5_95_s(x: np.ndarray, rate: float) -> float:
    # Significant duration from the Husid plot (Trifunac and Brady 1975).
    husid = np.cumsum(x**2)
    husid /= husid[-1]
    return float((np.searchsorted(husid, 0.95) - np.searchsorted(husid, 0.05)) / rate)


def _event_ids(events: pd.DataFrame) -> list[str]:
    # ITACA-style identifiers: IT-<year>-<running number in that year, by origin time>.
    order = events.sort_values("event_time", kind="stable")
    counters: dict[int, int] = {}
    ids = {}
    for idx, time in zip(order.index, order["event_time"], strict=True):
        counters[time.year] = counters.get(time.year, 0) + 1
        ids[idx] = f"IT-{time.year}-{counters[time.year]:04d}"
    return [ids[i] for i in events.index]


def _quakeml(events: pd.DataFrame, ids: list[str]) -> bytes:
    from obspy import UTCDateTime
    from obspy.core.event import (
        Catalog,
        Event,
        EventDescription,
        Magnitude,
        Origin,
        ResourceIdentifier,
    )

    catalog = Catalog(resource_id=ResourceIdentifier("smi:local/seisgan-demo/catalog"))
    catalog.creation_info = None
    for (_, ev), event_id in zip(events.iterrows(), ids, strict=True):
        rid = f"smi:local/seisgan-demo/event/{event_id}"
        origin = Origin(
            resource_id=ResourceIdentifier(f"{rid}/origin"),
            time=UTCDateTime(ev["event_time"].isoformat()),
            latitude=float(ev["event_latitude"]),
            longitude=float(ev["event_longitude"]),
            depth=float(ev["event_depth_km"]) * 1000.0,  # QuakeML depths are in metres
        )
        magnitudes = [
            Magnitude(
                resource_id=ResourceIdentifier(f"{rid}/magnitude/{kind}"),
                mag=float(value),
                magnitude_type=kind,
                origin_id=origin.resource_id,
            )
            # every event has an ML; an Mw only where one was computed
            for kind, value in (("Mw", ev["mw"]), ("ML", ev["ml"]))
            if kind == "ML" or np.isfinite(value)
        ]
        event = Event(
            resource_id=ResourceIdentifier(rid),
            event_type="earthquake",
            origins=[origin],
            magnitudes=magnitudes,
            preferred_origin_id=origin.resource_id,
            preferred_magnitude_id=magnitudes[0].resource_id,
            event_descriptions=[EventDescription(text=ev["zone"], type="region name")],
        )
        catalog.append(event)
    buffer = io.BytesIO()
    catalog.write(buffer, format="QUAKEML")
    return buffer.getvalue()


def _stationxml(st: pd.Series) -> bytes:
    from obspy import UTCDateTime
    from obspy.core.inventory import Channel, Inventory, Network, Site, Station
    from obspy.core.util import AttribDict

    channels = []
    for code in st["channels"]:
        azimuth, dip = {"E": (90.0, 0.0), "N": (0.0, 0.0), "Z": (0.0, -90.0)}.get(
            code[-1], (30.0 if code[-1] == "2" else 120.0, 0.0)
        )
        channels.append(
            Channel(
                code=code,
                location_code=st["location"],
                latitude=st["station_latitude"],
                longitude=st["station_longitude"],
                elevation=st["station_elevation_m"],
                depth=0.0,
                azimuth=azimuth,
                dip=dip,
                sample_rate=st["sampling_rate_hz"],
            )
        )
    station = Station(
        code=st["station"],
        latitude=st["station_latitude"],
        longitude=st["station_longitude"],
        elevation=st["station_elevation_m"],
        site=Site(name=st["station_name"]),
        channels=channels,
        creation_date=UTCDateTime(2005, 1, 1),
    )
    # StationXML has no Vs30 element; it travels as namespaced extra attributes (the same
    # mechanism ObsPy documents for custom tags).
    station.extra = AttribDict(
        {
            "vs30_m_s": AttribDict({"value": str(st["vs30_m_s"]), "namespace": _NAMESPACE}),
            "ec8_class": AttribDict({"value": st["ec8_class"], "namespace": _NAMESPACE}),
        }
    )
    inventory = Inventory(
        networks=[Network(code=st["network"], stations=[station])],
        source="SeisGAN Studio demo archive",
        created=UTCDateTime(_CREATED.isoformat()),
        module="seisgan_core.demo",
        module_uri=None,
    )
    buffer = io.BytesIO()
    inventory.write(buffer, format="STATIONXML", nsmap={"seisgan": _NAMESPACE})
    return buffer.getvalue()


def _stream(data: np.ndarray, channels, net, sta, loc, rate, start):
    from obspy import Stream, Trace, UTCDateTime

    t0 = UTCDateTime(start.isoformat())
    traces = []
    for k, code in enumerate(channels):
        header = {
            "network": net,
            "station": sta,
            "location": loc,
            "channel": code,
            "sampling_rate": rate,
            "starttime": t0,
        }
        traces.append(Trace(data=np.ascontiguousarray(data[k], dtype=np.float32), header=header))
    return Stream(traces)


def _ascii_header(ev, event_id, st, rec, channel, data, rate, hp, lp) -> dict:
    pga_index = int(np.argmax(np.abs(data)))
    time = ev["event_time"]
    start = rec["first_sample_time"]
    return {
        "EVENT_NAME": ev["zone"],
        "EVENT_ID": event_id,
        "EVENT_DATE_YYYYMMDD": time.strftime("%Y%m%d"),
        "EVENT_TIME_HHMMSS": time.strftime("%H%M%S"),
        "EVENT_LATITUDE_DEGREE": float(ev["event_latitude"]),
        "EVENT_LONGITUDE_DEGREE": float(ev["event_longitude"]),
        "EVENT_DEPTH_KM": float(ev["event_depth_km"]),
        "HYPOCENTER_REFERENCE": "SeisGAN demo",
        "MAGNITUDE_W": float(ev["mw"]),
        "MAGNITUDE_W_REFERENCE": "SeisGAN demo" if np.isfinite(ev["mw"]) else None,
        "MAGNITUDE_L": float(ev["ml"]),
        "MAGNITUDE_L_REFERENCE": "SeisGAN demo",
        "FOCAL_MECHANISM": "Normal faulting",
        "NETWORK": st["network"],
        "STATION_CODE": st["station"],
        "STATION_NAME": st["station_name"],
        "STATION_LATITUDE_DEGREE": float(st["station_latitude"]),
        "STATION_LONGITUDE_DEGREE": float(st["station_longitude"]),
        "STATION_ELEVATION_M": float(st["station_elevation_m"]),
        "LOCATION": st["location"],
        "SENSOR_DEPTH_M": 0.0,
        "VS30_M/S": float(st["vs30_m_s"]),
        "SITE_CLASSIFICATION_EC8": st["ec8_class"],
        "EPICENTRAL_DISTANCE_KM": float(rec["epicentral_distance_km"]),
        "DATE_TIME_FIRST_SAMPLE_YYYYMMDD_HHMMSS": start.strftime("%Y%m%d_%H%M%S.%f")[:-3],
        "DATE_TIME_FIRST_SAMPLE_PRECISION": "milliseconds",
        "SAMPLING_INTERVAL_S": 1.0 / rate,
        "NDATA": int(data.size),
        "DURATION_S": round(data.size / rate, 3),
        "STREAM": channel,
        "UNITS": "cm/s^2",
        "INSTRUMENT": "sensor = synthetic | digitizer = synthetic",
        "INSTRUMENT_ANALOG/DIGITAL": "D",
        "PGA_CM/S^2": float(data[pga_index]),
        "TIME_PGA_S": round(pga_index / rate, 3),
        "BASELINE_CORRECTION": "BASELINE REMOVED",
        "FILTER_TYPE": "BUTTERWORTH",
        "FILTER_ORDER": 2,
        "LOW_CUT_FREQUENCY_HZ": hp,
        "HIGH_CUT_FREQUENCY_HZ": lp,
        "LATE/NORMAL_TRIGGERED": "NT",
        "DATABASE_VERSION": "SeisGAN demo 1.0",
        "HEADER_FORMAT": "DYNA 1.2",
        "DATA_TYPE": "ACCELERATION",
        "PROCESSING": "manual (Paolucci et al., 2011)",
        "DATA_LICENSE": "CC BY 4.0",
        "DATA_CITATION": "SeisGAN Studio synthetic demo archive (stochastic simulation)",
        "DATA_CREATOR": "seisgan_core.demo",
    }


# HDF5 reports a failed write only when it closes a dataset, inside h5py's __dealloc__,
# where the error is swallowed and the library is left in a state that can crash the process
# (seen on a full tmpfs). So the writer checks the free space before each record: twice the
# samples' bytes plus room for the metadata HDF5 writes at close.
_HDF5_MARGIN_BYTES = 2 * 1024**2


def _ensure_space(path: Path, nbytes: int) -> None:
    free = shutil.disk_usage(path.parent).free
    if free < 2 * nbytes + _HDF5_MARGIN_BYTES:
        raise OSError(
            errno.ENOSPC,
            f"No space left on device (writing {path.name} needs about "
            f"{(2 * nbytes + _HDF5_MARGIN_BYTES) // 1024} KiB more, {free // 1024} KiB free)",
            str(path),
        )


def simulated_records(cat: DemoCatalogue, rng: np.random.Generator):
    """Simulate and process the catalogue's records in archive order, drawing from ``rng``
    right after :func:`make_catalogue` as :func:`build_demo_archive` does: yields
    ``(record row, float32 samples (3, npts) in cm/s^2, high-pass Hz, low-pass Hz)``, the
    samples the archive stores."""
    for rec in cat.records.to_dict("records"):
        rate = float(rec["sampling_rate_hz"])
        raw = simulate_record(
            rec["scenario"],
            rng,
            sampling_rate_hz=rate,
            pre_event_s=rec["pre_event_s"],
            record_length_s=rec["record_length_s"],
            noise_cm_s2=draw_noise_rms_cm_s2(rng),
            model=APENNINES,
        )
        data, hp, lp = _process(
            raw, rate, int(rec["pre_event_s"] * rate), float(rec["scenario"].mw)
        )
        yield rec, data.astype(np.float32), hp, lp


@dataclass
class _Build:
    """What the writing steps of one build share: the catalogue indexed for look-ups, the
    event identifiers, the event written as ESM ASCII and the running counts."""

    cat: DemoCatalogue
    events: pd.DataFrame
    stations: pd.DataFrame
    event_ids: dict
    ascii_event: int | None
    report: Progress
    flat_rows: list[dict]
    n_ascii: int = 0
    le_40: int = 0

    @property
    def total(self) -> int:
        return len(self.cat.records) + len(self.cat.noise)


def _plan_build(cat: DemoCatalogue, all_ascii: bool, report: Progress) -> _Build:
    events = cat.events.set_index("event_index", drop=False)
    # The event written as ESM ASCII by default: the one with most records up to 12 (a
    # sample of the format that stays quick to write; all_ascii writes every event).
    per_event = cat.records["event_index"].value_counts().sort_index()
    small = per_event[per_event <= 12]
    ascii_event = int((small if len(small) else per_event).idxmax())
    return _Build(
        cat=cat,
        events=events,
        stations=cat.stations.set_index("station", drop=False),
        event_ids=dict(zip(events.index, _event_ids(events), strict=True)),
        ascii_event=None if all_ascii else ascii_event,
        report=report,
        flat_rows=[],
    )


def _write_metadata(ds, build: _Build) -> None:
    """QuakeML of every event and StationXML of every station the archive uses."""
    ordered = build.events.loc[sorted(build.events.index)]
    # Set the whole catalogue at once: add_quakeml would merge into a new Catalog with a
    # random publicID, and the same seed must give the same QuakeML bytes.
    ds.events = _read_catalog(_quakeml(ordered, [build.event_ids[i] for i in ordered.index]))
    used = set(build.cat.records["station"]) | set(build.cat.noise["station"])
    for _, st in build.cat.stations.iterrows():
        if st["station"] in used:
            ds.add_stationxml(_read_inventory(_stationxml(st)))


def _flat_row(ev, event_id: str, st, rec, data: np.ndarray, rate: float, k: int) -> dict:
    """The flat file's row of component ``k`` of one record (ITACA's search export)."""
    channel = rec["channels"][k]
    stamp = ev["event_time"].strftime("%Y%m%d.%H%M%S")
    return {
        "EVENT_NAME": ev["zone"],
        "EVENT_ID": event_id,
        "EVENT_LATITUDE_DEGREE": ev["event_latitude"],
        "EVENT_LONGITUDE_DEGREE": ev["event_longitude"],
        "EVENT_DEPTH_KM": ev["event_depth_km"],
        "Ml": ev["ml"],
        "Mw": ev["mw"],
        "NETWORK": rec["network"],
        "STATION_CODE": rec["station"],
        "STATION_NAME": st["station_name"],
        "STATION_LATITUDE_DEGREE": st["station_latitude"],
        "STATION_LONGITUDE_DEGREE": st["station_longitude"],
        "epi_dist_km": rec["epicentral_distance_km"],
        "SAMPLING_INTERVAL_S": 1.0 / rate,
        "NDATA": data.shape[1],
        "dur_s": round(_d5_95_s(data[k].astype(np.float64), rate), 3),
        "component": channel[-1],
        "filename": (
            f"{rec['network']}.{rec['station']}.{rec['location']}.{channel}.D.{stamp}.C.ACC.ASC"
        ),
    }


def _write_record(ds, tmp: Path, build: _Build, rec: dict, data, hp: float, lp: float) -> None:
    """One record: its trace in the ASDF file, its flat-file rows and, for the event(s)
    written as ESM ASCII, one file per component."""
    from seisgan_core.io.esm_ascii import write_esm_ascii

    ev = build.events.loc[rec["event_index"]]
    st = build.stations.loc[rec["station"]]
    rate = float(rec["sampling_rate_hz"])
    build.le_40 += data.shape[1] / rate <= 40.0
    event_id = build.event_ids[rec["event_index"]]
    stream = _stream(
        data,
        rec["channels"],
        rec["network"],
        rec["station"],
        rec["location"],
        rate,
        rec["first_sample_time"],
    )
    _ensure_space(tmp / "demo.h5", data.nbytes)
    ds.add_waveforms(stream, tag=RECORD_TAG, event_id=f"smi:local/seisgan-demo/event/{event_id}")
    for k, channel in enumerate(rec["channels"]):
        row = _flat_row(ev, event_id, st, rec, data, rate, k)
        build.flat_rows.append(row)
        if build.ascii_event is None or rec["event_index"] == build.ascii_event:
            folder = tmp / "ascii" / event_id
            folder.mkdir(exist_ok=True)
            write_esm_ascii(
                folder / row["filename"],
                data[k].astype(np.float64),
                _ascii_header(ev, event_id, st, rec, channel, data[k], rate, hp, lp),
                float_format="%.6E",
            )
            build.n_ascii += 1


def _write_records(ds, tmp: Path, build: _Build, rng: np.random.Generator) -> None:
    for n, (rec, data, hp, lp) in enumerate(simulated_records(build.cat, rng)):
        _write_record(ds, tmp, build, rec, data, hp, lp)
        if n % 25 == 0:
            build.report(
                0.02 + 0.93 * n / build.total, f"record {n + 1} of {len(build.cat.records)}"
            )


def _write_noise(ds, tmp: Path, build: _Build, rng: np.random.Generator) -> None:
    """The noise windows (tagged ``noise``, no event), after the records in draw order."""
    n_rec = len(build.cat.records)
    for k, noise in enumerate(build.cat.noise.to_dict("records")):
        rate = float(noise["sampling_rate_hz"])
        npts = round(noise["record_length_s"] * rate)
        data = simulate_noise(rng, npts, sampling_rate_hz=rate, rms_cm_s2=noise["rms_cm_s2"])
        data, _, _ = _process(data, rate, npts, 4.0)
        _ensure_space(tmp / "demo.h5", data.nbytes)
        ds.add_waveforms(
            _stream(
                data,
                noise["channels"],
                noise["network"],
                noise["station"],
                noise["location"],
                rate,
                noise["first_sample_time"],
            ),
            tag=NOISE_TAG,
        )
        if k % 25 == 0:
            build.report(
                0.02 + 0.93 * (n_rec + k) / build.total,
                f"noise window {k + 1} of {len(build.cat.noise)}",
            )


def _write_flatfile(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FLATFILE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _csv_value(v) for k, v in row.items()})


def _write_archive(tmp: Path, build: _Build, rng: np.random.Generator) -> None:
    """Every file of the archive, in the temporary folder ``tmp``."""
    import pyasdf

    (tmp / "ascii").mkdir()
    ds = pyasdf.ASDFDataSet(str(tmp / "demo.h5"), mode="w", compression=None, mpi=False)
    try:
        _write_metadata(ds, build)
        _write_records(ds, tmp, build, rng)
        _write_noise(ds, tmp, build, rng)
    finally:
        ds.flush()
        del ds
    tmp.chmod(0o755)  # mkdtemp makes it private; the archive is for everyone to read
    build.report(0.97, "writing the flat file")
    _write_flatfile(tmp / "flatfile.csv", build.flat_rows)


def build_demo_archive(
    out_dir: str | Path,
    *,
    seed: int = 0,
    n_records: int = 1300,
    n_noise: int = 200,
    all_ascii: bool = False,
    progress: Progress | None = None,
) -> DemoSummary:
    """Simulate a synthetic Italian strong-motion archive and write it to ``out_dir``.

    ``progress(fraction, message)`` is called as records are simulated. Returns a
    :class:`DemoSummary`. Rebuilding with the same arguments gives the same contents.
    """
    if n_records < 1:
        raise ConfigError(f"n_records must be at least 1, got {n_records}")
    if n_noise < 0:
        raise ConfigError(f"n_noise must be non-negative, got {n_noise}")
    out_dir = Path(out_dir)
    report = progress or (lambda fraction, message: None)
    rng = np.random.default_rng(seed)
    report(0.0, "drawing the catalogue")
    cat = make_catalogue(rng, n_records, n_noise)
    build = _plan_build(cat, all_ascii, report)
    with output_lock(out_dir, "seisgan demo"), atomic_directory(out_dir) as tmp:
        _write_archive(tmp, build, rng)
    report(1.0, "demo archive written")
    return DemoSummary(
        out_dir=out_dir,
        asdf_path=out_dir / "demo.h5",
        flatfile_path=out_dir / "flatfile.csv",
        ascii_dir=out_dir / "ascii",
        n_events=int(cat.records["event_index"].nunique()),
        n_stations=int(cat.records["station"].nunique()),
        n_records=len(cat.records),
        n_noise=len(cat.noise),
        n_ascii_files=build.n_ascii,
        seed=seed,
        records_le_40_s=int(build.le_40),
    )


def _csv_value(value):
    if isinstance(value, float | np.floating):
        return "" if not np.isfinite(value) else repr(float(value))
    if isinstance(value, np.integer):
        return int(value)
    return csv_safe(value)  # a text cell never becomes a spreadsheet formula


def _read_catalog(raw: bytes):
    from obspy import read_events

    return read_events(io.BytesIO(raw), format="QUAKEML")


def _read_inventory(raw: bytes):
    from obspy import read_inventory

    return read_inventory(io.BytesIO(raw), format="STATIONXML")

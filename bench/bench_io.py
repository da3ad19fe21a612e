"""Reading speed of our ESM ASCII and ASDF readers against the obvious baselines.

Both inputs are made from a real record (L'Aquila 2009, station AQG, ../shared/fixtures):

- ESM ASCII: one 59,220-sample component written as a DYNA 1.2 file (six-digit E format, as
  archives write). Ours reads header and samples (``read_esm_ascii``); ``np.loadtxt`` and
  ``np.genfromtxt`` read only the same numbers (header skipped).
- ASDF: 334 three-component records (1,002 traces of 8,000 samples) written with pyasdf;
  the same 1,000 traces are read by ours (``read_asdf_traces``: samples, sampling rate,
  start time, event id), by raw h5py (samples and the same attributes, no checks), and by
  pyasdf (``ds.waveforms[station][trace_name]``, an ObsPy Stream per trace).

Figures are speed ratios (baseline time / our time, best of several runs, measured in this
process), printed last as ``BENCH`` lines.

    python bench/bench_io.py
"""

from __future__ import annotations

import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seisgan_core.io.asdf import read_asdf_traces  # noqa: E402
from seisgan_core.io.esm_ascii import HEADER_KEYS, read_esm_ascii, write_esm_ascii  # noqa: E402
from seisgan_core.io.itaca_legacy import read_cor_acc  # noqa: E402
from seisgan_core.train.autotune import describe_cpu  # noqa: E402

AQG = ROOT.parent / "shared" / "fixtures" / "itaca-legacy-laquila-2009" / "16833"
N_TRACES = 1000


def best_of(functions: dict, rounds: int) -> dict[str, float]:
    """Best time of each function over ``rounds`` rounds, the functions taking turns in
    each round (so load from other processes on this shared machine hits all alike)."""
    for fn in functions.values():
        fn()  # warm caches and imports
    best = dict.fromkeys(functions, float("inf"))
    for _ in range(rounds):
        for name, fn in functions.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def esm_file(folder: Path) -> tuple[Path, np.ndarray]:
    data = read_cor_acc(AQG / "16833_H1.cor.acc").data_cm_s2
    header = dict.fromkeys(HEADER_KEYS, "")
    header.update(
        EVENT_ID="IT-2009-0009",
        EVENT_DATE_YYYYMMDD="20090406",
        EVENT_TIME_HHMMSS="013239",
        NETWORK="IT",
        STATION_CODE="AQG",
        STREAM="HNN",
        SAMPLING_INTERVAL_S="0.005",
        UNITS="cm/s^2",
        DATA_TYPE="ACCELERATION",
        MAGNITUDE_W="6.3",
        EVENT_DEPTH_KM="8.8",
    )
    path = write_esm_ascii(folder / "IT.AQG..HNN.ASC", data, header, float_format="%.6E")
    return path, data


def bench_esm(folder: Path) -> dict[str, float]:
    path, data = esm_file(folder)
    ours = read_esm_ascii(path).data
    loadtxt = np.loadtxt(path, skiprows=64)
    assert ours.shape == loadtxt.shape == data.shape and np.array_equal(ours, loadtxt)
    times = best_of(
        {
            "ours": lambda: read_esm_ascii(path),
            "loadtxt": lambda: np.loadtxt(path, skiprows=64),
            "genfromtxt": lambda: np.genfromtxt(path, skip_header=64),
        },
        9,
    )
    t_ours, t_loadtxt, t_genfromtxt = times["ours"], times["loadtxt"], times["genfromtxt"]
    print(
        f"ESM ASCII, {data.size} samples: ours {t_ours * 1e3:.1f} ms, "
        f"np.loadtxt {t_loadtxt * 1e3:.1f} ms, np.genfromtxt {t_genfromtxt * 1e3:.1f} ms"
    )
    return {
        "esm_ascii_vs_loadtxt": t_loadtxt / t_ours,
        "esm_ascii_vs_genfromtxt": t_genfromtxt / t_ours,
    }


def asdf_file(path: Path) -> list[tuple[str, str]]:
    """334 records x 3 components of 8,000 samples from AQG's record, written by pyasdf."""
    import obspy
    import pyasdf
    from obspy.core.event import Catalog, Event, Magnitude, Origin

    parts = {
        c: read_cor_acc(AQG / f"16833_{s}.cor.acc").data_cm_s2
        for s, c in (("H2", "E"), ("H1", "N"), ("V", "Z"))
    }
    n_records = -(-N_TRACES // 3)
    events = []
    for i in range(n_records):
        event = Event(resource_id=f"smi:local/bench-{i:04d}")
        event.origins.append(
            Origin(
                time=obspy.UTCDateTime(2009, 4, 6) + 3600 * i,
                latitude=42.334,
                longitude=13.334,
                depth=8800.0,
            )
        )
        event.magnitudes.append(Magnitude(mag=4.0 + (i % 25) / 10, magnitude_type="Mw"))
        events.append(event)
    ds = pyasdf.ASDFDataSet(str(path), mode="w", compression=None)
    ds.add_quakeml(Catalog(events))
    for i, event in enumerate(events):
        station = f"S{i % 50:03d}"
        start = event.origins[0].time
        offset = (i * 997) % (len(parts["E"]) - 8000)
        stream = obspy.Stream(
            [
                obspy.Trace(
                    np.ascontiguousarray(parts[c][offset : offset + 8000]),
                    header={
                        "network": "IT",
                        "station": station,
                        "channel": f"HN{c}",
                        "sampling_rate": 200.0,
                        "starttime": start,
                    },
                )
                for c in "ENZ"
            ]
        )
        ds.add_waveforms(stream, tag="processed_acceleration", event_id=event)
    del ds
    import h5py

    with h5py.File(path, "r") as f:
        names = [
            (group, name)
            for group in sorted(f["Waveforms"])
            for name in sorted(f["Waveforms"][group])
            if name != "StationXML"
        ]
    return names[:N_TRACES]


def bench_asdf(folder: Path) -> dict[str, float]:
    import h5py
    import pyasdf

    path = folder / "bench.h5"
    names = asdf_file(path)
    wanted = [name for _, name in names]

    def ours():
        return read_asdf_traces(path, names=wanted)

    def raw_h5py():
        out = []
        with h5py.File(path, "r") as f:
            for group, name in names:
                ds = f["Waveforms"][group][name]
                attrs = ds.attrs
                out.append(
                    (ds[()], attrs["sampling_rate"], attrs["starttime"], attrs.get("event_id"))
                )
        return out

    def with_pyasdf():
        ds = pyasdf.ASDFDataSet(str(path), mode="r")
        try:
            return [ds.waveforms[group][name][0] for group, name in names]
        finally:
            del ds

    traces = ours()
    reference = raw_h5py()
    assert len(traces) == len(reference) == N_TRACES
    assert all(np.array_equal(t.data, r[0]) for t, r in zip(traces, reference, strict=True))
    times = best_of({"ours": ours, "h5py": raw_h5py, "pyasdf": with_pyasdf}, 4)
    t_ours, t_h5py, t_pyasdf = times["ours"], times["h5py"], times["pyasdf"]
    print(
        f"ASDF, {N_TRACES} traces of 8000 samples: ours {t_ours * 1e3:.0f} ms, "
        f"raw h5py {t_h5py * 1e3:.0f} ms, pyasdf {t_pyasdf * 1e3:.0f} ms"
    )
    return {"asdf_1000_vs_h5py": t_h5py / t_ours, "asdf_1000_vs_pyasdf": t_pyasdf / t_ours}


def main() -> int:
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    if not AQG.is_dir():
        print(f"fixtures not found at {AQG}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        figures = bench_esm(Path(tmp))
        figures.update(bench_asdf(Path(tmp)))
    goals = {
        "esm_ascii_vs_loadtxt": 0.8,
        "esm_ascii_vs_genfromtxt": 10.0,
        "asdf_1000_vs_h5py": 0.8,
        "asdf_1000_vs_pyasdf": 2.0,
    }
    for name, value in figures.items():
        print(f"BENCH {name} {value:.2f} x goal >= {goals[name]:g} ({describe_cpu()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

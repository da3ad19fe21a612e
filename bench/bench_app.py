"""Warm reruns of every page, server-side (Streamlit's AppTest), on a catalogue of ITACA's size.

ITACA 4.0's selection scale: 13,600 three-component records of 2,531 events at 1,696 stations.
The catalogue is served as a prepared set (records.parquet in the record-table layout plus a
sparse, never-read waveforms.npy) and a run folder with 100 epochs. Each page is run once cold
(caches fill), then rerun; the median of the warm reruns is compared with an empty page (one
``st.title``) measured in the same process, which is Streamlit's own floor.

    python bench/bench_app.py [--reruns 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "support"))  # seisgan_testsupport

N_RECORDS, N_EVENTS, N_STATIONS = 13_600, 2_531, 1_696
PAGES = ["home", "data", "prepare", "train", "samples", "compare"]


def build_home(home: Path) -> None:
    import numpy as np
    import pandas as pd

    from seisgan_testsupport.app_support import record_table, run_folder

    rng = np.random.default_rng(0)
    base = record_table(n_events=1, n_stations=1)
    table = base.iloc[[0] * N_RECORDS].reset_index(drop=True)
    event = rng.integers(0, N_EVENTS, N_RECORDS)
    station = rng.integers(0, N_STATIONS, N_RECORDS)
    ev_lat, ev_lon = rng.uniform(37.0, 46.5, N_EVENTS), rng.uniform(7.0, 18.0, N_EVENTS)
    st_lat, st_lon = rng.uniform(37.0, 46.5, N_STATIONS), rng.uniform(7.0, 18.0, N_STATIONS)
    mw = np.round(rng.uniform(3.0, 6.9, N_EVENTS), 1)
    table["record_id"] = pd.array(
        [f"E{e}.IT.S{s}..HN{i}" for i, (e, s) in enumerate(zip(event, station, strict=True))],
        dtype="string",
    )
    table["event_id"] = pd.array([f"E{e}" for e in event], dtype="string")
    table["station"] = pd.array([f"S{s}" for s in station], dtype="string")
    table["event_latitude"], table["event_longitude"] = ev_lat[event], ev_lon[event]
    table["station_latitude"], table["station_longitude"] = st_lat[station], st_lon[station]
    table["mw"] = mw[event]
    table["event_depth_km"] = rng.uniform(1, 60, N_EVENTS)[event]
    table["vs30_m_s"] = rng.uniform(150, 1500, N_STATIONS)[station]
    table["epicentral_distance_km"] = rng.uniform(1, 300, N_RECORDS)
    table["pga_cm_s2"] = 10 ** rng.uniform(0, 3, N_RECORDS)
    table["row"] = np.arange(N_RECORDS)
    table["split"] = np.array(["train", "val", "test"])[rng.choice(3, N_RECORDS, p=[0.8, 0.1, 0.1])]
    table["cluster_id"] = event
    for c in "enz":
        table[f"mean_{c}"], table[f"std_{c}"] = 0.0, 1.0
        table[f"log10_pga_{c}"] = np.log10(table["pga_cm_s2"])
    folder = home / "data" / "processed" / "itaca"
    folder.mkdir(parents=True)
    table.to_parquet(folder / "records.parquet")
    # A sparse file: the pages only read its shape.
    np.lib.format.open_memmap(folder / "waveforms.npy", "w+", np.float32, (N_RECORDS, 3, 8000))
    run_folder(home / "models" / "bench-run", epochs=100, of_epochs=100, k=4)


def time_reruns(at, reruns: int) -> float:
    times = []
    for _ in range(reruns):
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
    assert not at.exception, [e.value for e in at.exception]
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reruns", type=int, default=5)
    args = parser.parse_args()
    from streamlit.testing.v1 import AppTest

    home = Path(tempfile.mkdtemp(prefix="bench_app_"))
    try:
        build_home(home)
        os.environ["SEISGAN_HOME"] = str(home)
        empty = home / "empty_page.py"
        empty.write_text("import streamlit as st\n\nst.title('Empty')\n")
        base_at = AppTest.from_file(str(empty), default_timeout=120)
        base_at.run()
        baseline = time_reruns(base_at, args.reruns)
        results = {}
        for page in PAGES:
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
            at.run()
            if page != "home":
                at.switch_page(f"pages/{page}.py")
            start = time.perf_counter()
            at.run()  # cold: caches fill
            cold = time.perf_counter() - start
            results[page] = (cold, time_reruns(at, args.reruns))
            print(f"{page:8s} cold {cold:6.2f} s  warm {results[page][1]:6.3f} s")
        print(f"empty    warm {baseline:6.3f} s")
        for page, (_cold, warm) in results.items():
            print(f"BENCH app_warm_rerun_{page}_13600 {warm:.3f} s goal <= 1.0")
        print(f"BENCH app_warm_rerun_empty_page {baseline:.3f} s goal <= 1.0")
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()

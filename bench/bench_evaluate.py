"""Benchmark: the whole evaluation panel for 1,298 generated against 1,298 real records.

The reference study's set size (1,298 records of 3 x 8,000 samples at 200 Hz). Records are
earthquake-like stochastic simulations (seisgan_testsupport.synthetic_records). Figures, CPU
time (``time.process_time()``, all threads) unless they say wall:

- the whole panel (seisgan_core.evaluation.panel.evaluate, every section): wall and CPU, and
  its CPU as a ratio to today's panel (main at 8481c93: the response spectra of
  bench/baseline_response.py, the whole-record envelope, and bench/baseline_panel.py's GMM
  terms, between-event split, Welch PSD, trapezoids, Husid normalisation and crossings,
  Arias, per-measure float64 copies and the nearest-record search's rereading of every
  training candidate patched in; baseline_panel)
  run in this process (``--rounds`` pairs, after a warm-up of both, the GMM's model cache
  emptied before each run);
- the panel's per-record pass (panel._record_measures) against a per-record loop that
  computes the same set of measures with the reference libraries the way one would without
  batching (loop_measures: scipy.stats.describe, numpy FFT + pykooh.smooth per spectrum,
  scipy.signal.welch, pyrotd's calc_spec_accels and calc_rotated_spec_accels,
  scipy.signal.resample, scipy per record); the loop runs on a subset and is extrapolated
  linearly (it is linear in the number of records); the pass runs as in the panel
  (panel.pass_workers(): one thread per core less one) and on one thread, as the loop does
  (``_one_thread``: the same conditions on both sides; the same run on 2 cores); today's pass
  (a thread per core) against the same loop is printed beside it;
- CPU per measure on 160 records, one thread, now and today's PSA + RotD50;
- the scorecard's PSA + RotD50 (25 periods from 0.01 s) of 160 records on pyrotd's grids and
  with ``fast_lengths`` (one thread, CPU);
- a cached `seisgan evaluate` call (same data, same samples) through the CLI, in process.

    python bench/bench_evaluate.py [--records 1298] [--loop-records 16] [--rounds 1]
        [--no-panel] [--no-cli]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "support"))  # seisgan_testsupport
sys.path.insert(0, str(ROOT / "bench"))

import baseline_panel as baseline_panel_module  # noqa: E402
import baseline_response as baseline_response_module  # noqa: E402

from seisgan_core.evaluation import (  # noqa: E402
    arias_intensity,
    cav,
    envelope,
    fas,
    pga,
    pgv,
    psd,
    significant_duration,
)
from seisgan_core.evaluation.panel import _record_measures, evaluate  # noqa: E402
from seisgan_core.evaluation.response import DEFAULT_PERIODS_S, psa_and_rotd50  # noqa: E402
from seisgan_core.train.autotune import describe_cpu  # noqa: E402
from seisgan_testsupport.pyrotd_ref import load_pyrotd  # noqa: E402
from seisgan_testsupport.synthetic_records import (  # noqa: E402
    DT,
    catalogue,
    noise_windows,
    simulate,
)


def make_sets(n: int):
    mw, dist = catalogue(n, seed=0)
    real = simulate(mw, dist, seed=1).astype(np.float32)
    gmw, gdist = catalogue(n, seed=2)
    gen = simulate(gmw, gdist, seed=3).astype(np.float32)
    events = [f"ev{i // 6}" for i in range(n)]
    real_table = pd.DataFrame(
        {"event_id": events, "mw": mw, "epicentral_distance_km": dist, "vs30_m_s": 500.0}
    )
    gen_table = pd.DataFrame({"mw": gmw, "epicentral_distance_km": gdist, "vs30_m_s": 500.0})
    split = np.array(["train"] * 8 + ["val", "test"])[np.arange(n) % 10]
    return real, gen, real_table, gen_table, split


def batched_measures(x: np.ndarray, workers: int | None = None) -> None:
    """The panel's per-record pass (panel._record_measures: blocks of 16 records on
    panel.pass_workers() threads, or on ``workers``): what loop_measures computes, the same
    measures."""
    _record_measures({"set": x}, DT, DEFAULT_PERIODS_S, workers=workers)


def loop_measures(x: np.ndarray) -> None:
    """The per-record pass's measures, one record and one component at a time, with the
    reference libraries: moments (scipy.stats.describe: mean, variance, skewness, min, max),
    FAS at b = 40 and the classifier's spectral features at b = 20 (numpy FFT +
    pykooh.smooth, log10), scipy.signal.welch, pyrotd PSA, PGA, PGV, Arias, CAV, D5-95, the
    Hilbert envelope at 10 Hz, the nearest search's decimation by 4 (scipy.signal.resample,
    Fourier method) and its fingerprint (z-scored log spectrum in 64 log bands); pyrotd
    RotD50 per record."""
    import pykooh
    import scipy.signal
    import scipy.stats

    from seisgan_core.evaluation.frechet import SPECTRAL_BANDWIDTH, spectral_frequencies

    pyrotd = load_pyrotd()
    freqs_out = np.geomspace(0.1, 50.0, 100)
    freqs_feat = spectral_frequencies(DT)
    grid = np.fft.rfftfreq(x.shape[-1], DT)
    osc = 1.0 / DEFAULT_PERIODS_S
    step = round(0.1 / DT)
    n_dec = x.shape[-1] // 4
    edges = np.unique(np.geomspace(1, n_dec // 2 + 1, 65).astype(int))
    for record in x.astype(np.float64):
        for comp in record:
            scipy.stats.describe(comp)
            amp = np.abs(np.fft.rfft(comp)) * DT
            pykooh.smooth(freqs_out, grid, amp, 40)
            np.log10(np.maximum(pykooh.smooth(freqs_feat, grid, amp, SPECTRAL_BANDWIDTH), 1e-10))
            scipy.signal.welch(comp, fs=1 / DT, nperseg=512)
            pyrotd.calc_spec_accels(DT, comp, osc)
            pga(comp)
            pgv(comp, DT)
            arias_intensity(comp, DT)
            cav(comp, DT)
            significant_duration(comp, DT)
            envelope(comp)[::step]
            dec = scipy.signal.resample(comp, n_dec)
            z = (dec - dec.mean()) / dec.std()
            banded = np.add.reduceat(np.abs(np.fft.rfft(z)), edges[:-1]) / np.diff(edges)
            np.log10(banded + 1e-12)
        pyrotd.calc_rotated_spec_accels(DT, record[0], record[1], osc, percentiles=[50])


def measure_cpu(x: np.ndarray, scale_to: int) -> list[tuple[str, float]]:
    """CPU seconds of each per-record measure of the panel's block pass, for ``scale_to``
    records: process time (not wall time, which a shared machine inflates) on one thread."""
    from threadpoolctl import threadpool_limits

    from seisgan_core.evaluation.panel import _zscore
    from seisgan_core.evaluation.statistics import _record_moments

    measures = {
        "statistics (moments)": lambda b: _record_moments(b),
        "FAS (rfft + smoothing)": lambda b: fas(b, DT),
        "PSD (Welch)": lambda b: psd(b, DT),
        "PSA, 3 components": lambda b: psa_and_rotd50(
            b, DT, DEFAULT_PERIODS_S, workers=1, horizontals=None
        ),
        "PSA + RotD50": lambda b: psa_and_rotd50(b, DT, DEFAULT_PERIODS_S, workers=1),
        "PSA + RotD50, baseline (8481c93)": lambda b: baseline_response_module.psa_and_rotd50(
            b, DT, DEFAULT_PERIODS_S, workers=1
        ),
        "PGA, PGV": lambda b: (pga(b), pgv(b, DT)),
        "Arias, CAV, D5-95": lambda b: (
            arias_intensity(b, DT),
            cav(b, DT),
            significant_duration(b, DT),
        ),
        "envelope (Hilbert)": lambda b: envelope(b),
        "z-score (nearest search)": lambda b: _zscore(b),
    }
    out = []
    with threadpool_limits(limits=1, user_api="blas"):
        for name, func in measures.items():
            cpu0 = time.process_time()
            for i in range(0, x.shape[0], 16):
                func(x[i : i + 16])
            out.append((name, (time.process_time() - cpu0) * scale_to / x.shape[0]))
    return out


def write_prepared(folder: Path, real: np.ndarray, table: pd.DataFrame, split) -> None:
    """A prepared set in the contract's layout (docs/contracts.md, section 2)."""
    folder.mkdir(parents=True)
    mean = real.mean(axis=-1)
    std = real.std(axis=-1)
    norm = ((real - mean[..., None]) / std[..., None]).astype(np.float32)
    np.save(folder / "waveforms.npy", norm)
    records = table.copy()
    records["row"] = np.arange(len(real))
    records["split"] = split
    for c, name in enumerate("enz"):
        records[f"mean_{name}"] = mean[:, c]
        records[f"std_{name}"] = std[:, c]
        records[f"log10_pga_{name}"] = np.log10(np.abs(real[:, c]).max(axis=-1))
    records.to_parquet(folder / "records.parquet")
    (folder / "manifest.json").write_text(json.dumps({"bench": "bench_evaluate", "n": len(real)}))


@contextlib.contextmanager
def baseline_panel():
    """The panel with today's code (main at 8481c93) in place of what issue 18 changed: its
    response spectra (bench/baseline_response.py, with their own rfft), its envelope (whole
    Hilbert envelope, then every step-th sample), and bench/baseline_panel.py's GMM terms
    and between-event split, scipy's Welch PSD, trapezoid and cumulative trapezoid, the Husid
    curve's normalisation and crossings, Arias and one float64 copy per intensity measure,
    for a CPU ratio in this process."""
    from seisgan_core.evaluation import gmm, intensity, panel
    from seisgan_core.evaluation.classifier import MLPClassifier

    def old_block(x, spectrum, dt, periods):
        return baseline_response_module.psa_and_rotd50(
            x, dt, periods, workers=1, chunk=x.shape[0] * x.shape[1]
        )

    def old_envelope(x, step, spectrum=None):
        return np.ascontiguousarray(envelope(x)[..., ::step])

    patches = [
        (panel, "_block_psa_rotd50", old_block),
        (panel, "decimated_envelope", old_envelope),
        (panel, "psd", baseline_panel_module.psd),
        (gmm, "_bssa14_class", baseline_panel_module.bssa14_class),
        (gmm, "_model_terms", baseline_panel_module.model_terms),
        (gmm, "_split_residuals", baseline_panel_module.split_residuals),
        (intensity, "_cumulative_trapezoid", baseline_panel_module.cumulative_trapezoid),
        (intensity, "husid", baseline_panel_module.husid),
        (intensity, "_first_at_or_above", baseline_panel_module.first_at_or_above),
        (intensity, "_trapezoid", baseline_panel_module.trapezoid),
        (panel, "_block_measures", baseline_panel_module.block_measures),
        (panel, "_kept_training_records", baseline_panel_module.kept_training_records),
        (panel, "pass_workers", baseline_panel_module.pass_workers),
        (panel, "_ko_weights", baseline_panel_module.float64_weights),
        (MLPClassifier, "_forward", baseline_panel_module.mlp_forward),
        (MLPClassifier, "loss_and_grad", baseline_panel_module.mlp_loss_and_grad),
    ]
    current = [(module, name, getattr(module, name)) for module, name, _ in patches]
    for module, name, value in patches:
        setattr(module, name, value)
    try:
        yield
    finally:
        for module, name, value in current:
            setattr(module, name, value)


def run_panel(sets) -> tuple[dict, float, float]:
    """The whole panel on ``sets`` (make_sets' output and noise): result, wall s, CPU s. The
    GMM's model cache is emptied first, so each run builds its models as a first one does."""
    from seisgan_core.evaluation import gmm

    real, gen, real_table, gen_table, split, noise = sets
    gmm._MODEL_CACHE.clear()
    t0, cpu0 = time.perf_counter(), time.process_time()
    result = evaluate(gen, real, dt=DT, real_split=split, real_conditions=real_table,
                      generated_conditions=gen_table, noise=noise)  # fmt: skip
    return result, time.perf_counter() - t0, time.process_time() - cpu0


def compare_panels(sets, rounds: int) -> tuple[dict, float, float, float]:
    """Baseline and current panel, interleaved ``rounds`` times after a small warm-up of
    both: the current result, its best wall and CPU seconds, and the baseline's best CPU."""
    small = (sets[0][:64], sets[1][:64], sets[2][:64], sets[3][:64], sets[4][:64], sets[5][:8])
    with baseline_panel():
        run_panel(small)
    run_panel(small)
    base_cpu, cur_cpu, cur_wall = [], [], []
    for _ in range(rounds):
        with baseline_panel():
            base_cpu.append(run_panel(sets)[2])
        result, wall_s, cpu_s = run_panel(sets)
        cur_cpu.append(cpu_s)
        cur_wall.append(wall_s)
        print(f"  round: baseline {base_cpu[-1]:.1f} s CPU, current {cpu_s:.1f} s CPU "
              f"({wall_s:.1f} s wall)")  # fmt: skip
    return result, min(cur_wall), min(cur_cpu), min(base_cpu)


def batched_vs_loop(real, gen, both, loop_records: int) -> tuple[float, float, float, float]:
    """CPU seconds (all threads) of the batched measures on ``both``, now (the panel's thread
    per core, and one thread as the loop runs) and with today's block pass (baseline_panel),
    and of the per-record loop, extrapolated from ``loop_records`` real and as many generated
    records."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        batched_measures(both[:32])  # warm-up
        cpu0 = time.process_time()
        batched_measures(both)
        batched_s = time.process_time() - cpu0
        # On one thread, as the loop: on this 2-vCPU machine two busy threads slow each
        # other (shared core or caches), which CPU time counts on the threaded side only.
        cpu0 = time.process_time()
        batched_measures(both, workers=1)
        one_thread_s = time.process_time() - cpu0
        with baseline_panel():
            cpu0 = time.process_time()
            batched_measures(both)
            base_s = time.process_time() - cpu0
        subset = np.concatenate([real[:loop_records], gen[:loop_records]])
        loop_measures(real[:1])  # warm-up: imports, pykooh's numba compilation
        cpu0 = time.process_time()
        loop_measures(subset)
        loop_subset_s = time.process_time() - cpu0
    loop_s = loop_subset_s * both.shape[0] / subset.shape[0]
    print(
        f"per-record measures, CPU: batched {batched_s:.1f} s for {both.shape[0]} records "
        f"({one_thread_s:.1f} s on one thread; today's block pass {base_s:.1f} s); loop "
        f"{loop_subset_s:.1f} s for {subset.shape[0]} -> {loop_s:.0f} s extrapolated"
    )
    return batched_s, one_thread_s, base_s, loop_s


def cached_cli_call(real, gen, real_table, split) -> float:
    """Seconds of a second, cached `seisgan evaluate` call through the CLI, in process."""
    from seisgan_core import cli

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "prepared"
        write_prepared(data, real, real_table, split)
        gen_path = Path(tmp) / "generated.npy"
        np.save(gen_path, gen)
        argv = ["evaluate", "--generated", str(gen_path), "--data", str(data), "--out",
                str(Path(tmp) / "eval"), "--no-figures", "--quiet"]  # fmt: skip
        t0 = time.perf_counter()
        cli.main(argv)
        first_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        cli.main(argv)
        cached_s = time.perf_counter() - t0
    print(f"seisgan evaluate: first call {first_s:.1f} s, cached call {cached_s:.3f} s")
    return cached_s


def panel_figures(sets, both, rounds: int, cpu: str) -> None:
    """The whole panel against today's, its stages and the CPU per measure, as printed lines
    and BENCH lines."""
    n = sets[0].shape[0]
    result, panel_s, cpu_s, base_cpu_s = compare_panels(sets, rounds)
    # CPU time beside wall time: on a shared machine the gap shows how much we waited.
    print(f"whole panel, {n} vs {n}: {panel_s:.1f} s wall, {cpu_s:.1f} s CPU; baseline "
          f"(today's block pass) {base_cpu_s:.1f} s CPU")  # fmt: skip
    for name, seconds in result["timings_s"].items():
        print(f"  {name:24s} {seconds:7.2f} s")
    print("CPU per measure (one thread, blocks of 16 records as in the panel, 160 records "
          f"scaled to {2 * n}):")  # fmt: skip
    for name, seconds in measure_cpu(both[:: max(1, both.shape[0] // 160)][:160], 2 * n):
        print(f"  {name:32s} {seconds:7.2f} s CPU")
    print(f"BENCH evaluate_panel_{n}x{n} {panel_s:.1f} s goal <= 15 ({cpu})")
    # CPU seconds of the panel (all threads): 15 s on 2 cores allows at most 30.
    print(f"BENCH evaluate_panel_{n}x{n}_cpu {cpu_s:.1f} s goal <= 30 ({cpu})")
    print(f"BENCH evaluate_panel_cpu_vs_baseline {cpu_s / base_cpu_s:.2f} x goal <= 0.5 ({cpu})")


def scorecard_psa(x: np.ndarray, rounds: int = 2) -> tuple[float, float]:
    """CPU seconds of the scorecard's PSA + RotD50 (25 periods from 0.01 s) of ``x`` on
    pyrotd's grids and with ``fast_lengths``, alternately, one thread, fastest of ``rounds``."""
    from threadpoolctl import threadpool_limits

    from seisgan_core.evaluation.scorecard import PSA_PERIODS_S

    x = x.astype(np.float64)  # as the scorecard reads its sets
    best = {False: math.inf, True: math.inf}
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(rounds):
            for fast in (False, True):
                cpu0 = time.process_time()
                psa_and_rotd50(x, DT, PSA_PERIODS_S, workers=1, fast_lengths=fast)
                best[fast] = min(best[fast], time.process_time() - cpu0)
    return best[False], best[True]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1298)
    parser.add_argument("--loop-records", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1, help="baseline/current panel pairs")
    parser.add_argument("--no-panel", action="store_true", help="skip the whole-panel figures")
    parser.add_argument("--no-cli", action="store_true", help="skip the cached CLI call")
    args = parser.parse_args()

    real, gen, real_table, gen_table, split = make_sets(args.records)
    noise = noise_windows(args.records // 10, seed=4).astype(np.float32)
    both = np.concatenate([real, gen])
    cpu = describe_cpu()
    if not args.no_panel:
        panel_figures((real, gen, real_table, gen_table, split, noise), both, args.rounds, cpu)
    batched_s, one_s, base_batched_s, loop_s = batched_vs_loop(real, gen, both, args.loop_records)
    print(f"today's batched measures vs the loop: {loop_s / base_batched_s:.1f} x")
    print(f"BENCH evaluate_batched_vs_record_loop {loop_s / batched_s:.1f} x goal >= 20 ({cpu})")
    print(
        f"BENCH evaluate_batched_vs_record_loop_one_thread {loop_s / one_s:.1f} x goal >= 20 "
        f"({cpu})"
    )
    pyrotd_s, fast_s = scorecard_psa(gen[:160])
    print(f"scorecard PSA + RotD50, 160 records: pyrotd's grids {pyrotd_s:.2f} s CPU, "
          f"fast lengths {fast_s:.2f} s")  # fmt: skip
    ratio = pyrotd_s / fast_s
    print(f"BENCH scorecard_psa_fast_lengths_vs_pyrotd_grid {ratio:.2f} x goal >= 1.5 ({cpu})")
    if not args.no_cli:
        cached_s = cached_cli_call(real, gen, real_table, split)
        print(f"BENCH evaluate_cached_call {cached_s:.3f} s goal < 1 ({cpu})")


if __name__ == "__main__":
    main()

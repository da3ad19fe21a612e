"""Samples per second of a full WGAN-GP step: our trainer against a naive loop, same run.

A full step is n_critic = 5 critic updates and one generator update, on the study's
architecture (``STUDY_ARCHITECTURE``, records of 3 x 8000) at latent sizes 100 and 800, batch 32.

- ours: ``Trainer``'s own step functions (one critic forward on [real, fake], fakes
  without a graph, frozen critic weights in the generator step, batches read from the
  memory-mapped array with one sorted index, losses summed on the device), once per candidate
  this machine can run: each precision (fp32; bf16 autocast where oneDNN or CUDA has kernels,
  native or emulated) in each memory format (plain, and ``+channels_last``: oneDNN's
  time-major kernels), and as ``precision`` / ``memory_format: auto`` choose by measuring a
  few steps of each (``seisgan_core.train.autotune``; its choice, rates and seconds are
  printed); ``auto_without_bf16`` is the fp32 candidate ``auto`` keeps where bf16 does not
  pay (a CPU without native bf16);
- naive: the plainest eager PyTorch: fp32, a default ``DataLoader`` over a per-record
  ``Dataset``, three critic forwards (real, fake, x_hat), fakes with a graph then detached,
  ``.item()`` on every loss every step.

- ``auto_without_bf16_gp_fractionF`` (``--gp-fraction F``, default 1: the whole batch, the
  naive loop's penalty; left out where F is the trainer's default): ``auto_without_bf16`` with
  the gradient penalty on that share of each batch (``gp_fraction``; the trainer's default
  computes it on half the batch, see the README's "Training");
- ``fp32_gp_everyK`` (``--gp-every K``, default 4; 1 leaves it out): ours in fp32 with the
  lazy gradient penalty on the whole batch (``gp_every``: the penalty on every K-th critic
  step, weighted by K; opt-in, off in every preset).

Each loop's sub-steps (a critic step with the penalty, one without it where the penalty is
lazy, a generator step) are timed alternately across the loops, each keeps its fastest of
``--steps`` (the load of a shared machine only ever adds time), and a full step is composed
from them: 5 critic steps, 1 in ``gp_every`` with the penalty, and a generator step.
Peak memory: the largest resident-set growth over one full step (CPU; after ``malloc_trim``),
or ``torch.cuda.max_memory_allocated`` (CUDA).

Every BENCH line names the CPU (model and its avx512f / avx512_bf16 / amx flags) or GPU.

    python bench/bench_train.py [--steps 2] [--device auto|cpu|cuda] [--threads 1]
        [--latents 100 800] [--gp-fraction 1] [--gp-every 4] [--no-memory]
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import math
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seisgan_core.nn.presets import STUDY_ARCHITECTURE  # noqa: E402
from seisgan_core.train import autotune  # noqa: E402
from seisgan_core.train.config import Hyperparameters  # noqa: E402
from seisgan_core.train.data import load_training_set  # noqa: E402
from seisgan_core.train.losses import critic_loss, generator_loss  # noqa: E402
from seisgan_core.train.trainer import Trainer, build_models  # noqa: E402

BATCH, N_CRITIC, LENGTH = 32, 5, 8000


def write_data(path: Path, n: int = 192) -> Path:
    """z-scored noise bursts under an envelope, in the prepared-set layout (contracts.md 2)."""
    path.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    t = np.arange(LENGTH) / 200.0
    env = (t / 8.0) ** 2 * np.exp(-2 * t / 8.0)
    x = rng.standard_normal((n, 3, LENGTH)) * env
    x = (x - x.mean(-1, keepdims=True)) / x.std(-1, keepdims=True)
    np.save(path / "waveforms.npy", x.astype(np.float32))
    table = pd.DataFrame(
        {
            "row": np.arange(n),
            "split": ["train"] * (n - 32) + ["val"] * 32,
            "mw": rng.uniform(4, 6, n),
            "epicentral_distance_km": rng.uniform(5, 100, n),
            "event_depth_km": rng.uniform(2, 20, n),
            "vs30_m_s": rng.uniform(200, 800, n),
            **{f"log10_pga_{c}": rng.normal(1.5, 0.4, n) for c in "enz"},
        }
    )
    table.to_parquet(path / "records.parquet")
    return path


class PeakRSS:
    """Largest resident set size growth while active, sampled every millisecond."""

    def __init__(self) -> None:
        self.peak = 0

    @staticmethod
    def rss() -> int:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * 4096

    def __enter__(self):
        gc.collect()
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except OSError:
            pass
        self.base = self.rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(0.001):
            self.peak = max(self.peak, self.rss() - self.base)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.rss() - self.base)


class Ours:
    def __init__(
        self, data: Path, latent: int, device: str, candidate: str = "auto", **changes
    ) -> None:
        if candidate == "auto":
            precision = memory_format = "auto"
        else:
            precision, memory_format = autotune.parse_candidate(candidate)
        hp = Hyperparameters(
            **STUDY_ARCHITECTURE,
            latent_dim=latent,
            batch_size=BATCH,
            n_critic=N_CRITIC,
            precision=precision,
            memory_format=memory_format,
            **changes,
        )
        # both loops on the same threads (--threads): the thread count is not a candidate here
        self.t = Trainer(
            data=data,
            out=data.parent / "unused",
            hyperparameters=hp,
            device=device,
            threads=torch.get_num_threads(),
        )
        self.t._setup_distributed()
        self.data = load_training_set(data, ())
        self.t._build(self.data)
        t0 = time.perf_counter()
        self.t._autotune(self.data)  # "auto": measured here (or read from the cache)
        self.autotune_s = time.perf_counter() - t0
        self.acc = torch.zeros(9, device=self.t.device)
        self.rng = np.random.default_rng(1)
        self.device = self.t.device
        self.gp_every = hp.gp_every
        self.gp_fraction = hp.gp_fraction

    def _batch(self) -> tuple[torch.Tensor, ...]:
        idx = self.rng.choice(len(self.data.train.rows), BATCH, replace=False)
        return self.t._batch(self.data, idx)

    def critic(self, penalise: bool = True) -> None:
        """One critic step, with the gradient penalty or (lazy regularisation) without."""
        real, cond, _ = self._batch()
        self.t.critic_steps = 0 if penalise else 1
        self.t._critic_step(real, cond, self.acc)

    def generator(self) -> None:
        _, cond, pga = self._batch()
        self.t._generator_step(cond, pga, self.acc)

    def step(self) -> None:
        for _ in range(N_CRITIC):
            real, cond, pga = self._batch()
            self.t._critic_step(real, cond, self.acc)
        self.t._generator_step(cond, pga, self.acc)

    def substeps(self) -> dict:
        if self.gp_every == 1:
            return {"critic_gp": self.critic, "generator": self.generator}
        plain = lambda: self.critic(penalise=False)  # noqa: E731
        return {"critic_gp": self.critic, "critic_plain": plain, "generator": self.generator}

    def full_step_seconds(self, best: dict[str, float]) -> float:
        """A full step's expected time: N_CRITIC critic steps, of which 1 in gp_every has the
        penalty, and one generator step."""
        k = self.gp_every
        critic = best["critic_gp"] / k + best.get("critic_plain", 0.0) * (1 - 1 / k)
        return N_CRITIC * critic + best["generator"]


class RecordDataset(torch.utils.data.Dataset):
    def __init__(self, path: Path) -> None:
        self.x = np.load(path / "waveforms.npy", mmap_mode="r")
        self.rows = pd.read_parquet(path / "records.parquet").query("split == 'train'")["row"]
        self.rows = self.rows.to_numpy()

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> torch.Tensor:
        return torch.tensor(np.array(self.x[self.rows[i]]))


class Naive:
    def __init__(self, data: Path, latent: int, device: str) -> None:
        hp = Hyperparameters(**STUDY_ARCHITECTURE, latent_dim=latent)
        self.device = torch.device(device)
        self.g, self.d, _ = build_models(hp, LENGTH)
        self.g.to(self.device)
        self.d.to(self.device)
        self.opt_g = torch.optim.Adam(self.g.parameters(), lr=5e-5, betas=(0.5, 0.9))
        self.opt_d = torch.optim.Adam(self.d.parameters(), lr=5e-5, betas=(0.5, 0.9))
        self.loader = torch.utils.data.DataLoader(
            RecordDataset(data), batch_size=BATCH, shuffle=True, drop_last=True
        )
        self.it = iter(self.loader)
        self.latent = latent
        self.log: list[float] = []

    def _next(self) -> torch.Tensor:
        try:
            return next(self.it)
        except StopIteration:
            self.it = iter(self.loader)
            return next(self.it)

    def critic(self) -> None:
        real = self._next().to(self.device)
        z = torch.randn(BATCH, self.latent, device=self.device)
        fake = self.g(z).detach()
        alpha = torch.rand(BATCH, 1, 1, device=self.device)
        x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        grad = torch.autograd.grad(self.d(x_hat).sum(), x_hat, create_graph=True)[0]
        gp = ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()
        loss = critic_loss(self.d(real), self.d(fake)) + 10 * gp
        self.opt_d.zero_grad()
        loss.backward()
        self.opt_d.step()
        self.log += [loss.item(), gp.item()]

    def generator(self) -> None:
        z = torch.randn(BATCH, self.latent, device=self.device)
        loss_g = generator_loss(self.d(self.g(z)))
        self.opt_g.zero_grad()
        loss_g.backward()
        self.opt_g.step()
        self.log.append(loss_g.item())

    def step(self) -> None:
        for _ in range(N_CRITIC):
            self.critic()
        self.generator()

    def substeps(self) -> dict:
        return {"critic_gp": self.critic, "generator": self.generator}

    def full_step_seconds(self, best: dict[str, float]) -> float:
        return N_CRITIC * best["critic_gp"] + best["generator"]


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure_memory(runner, device: torch.device) -> float:
    """MB of peak memory over one full step."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.empty_cache()
        base = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        runner.step()
        torch.cuda.synchronize(device)
        return (torch.cuda.max_memory_allocated(device) - base) / 2**20
    with PeakRSS() as peak:
        runner.step()
    return peak.peak / 2**20


def time_steps(runners: dict, steps: int, dev: torch.device) -> dict[str, float]:
    """Samples/s of each runner's full step, composed from its sub-steps (critic step with
    the penalty, without it where the penalty is lazy, generator step), each timed
    ``steps`` times, alternately across runners, and taken at its fastest."""
    times: dict[str, dict[str, list[float]]] = {name: {} for name in runners}
    for _ in range(steps):
        for name, runner in runners.items():
            for kind, substep in runner.substeps().items():
                sync(dev)
                t0 = time.perf_counter()
                substep()
                sync(dev)
                times[name].setdefault(kind, []).append(time.perf_counter() - t0)
    # the fastest of each: other load on a shared machine only ever adds time
    rates = {}
    for name, runner in runners.items():
        best = {kind: min(v) for kind, v in times[name].items()}
        rates[name] = BATCH * N_CRITIC / runner.full_step_seconds(best)
        print(f"  {name}: " + ", ".join(f"{k} {v:.2f} s" for k, v in best.items()))
    return rates


def bench_latent(
    data: Path,
    latent: int,
    device: str,
    steps: int,
    where: str,
    memory: bool,
    lazy: int,
    share: float,
) -> list[str]:
    torch.manual_seed(0)
    naive = Naive(data, latent, device)
    dev = naive.device
    auto = Ours(data, latent, device, "auto")
    tuned = auto.t.autotune
    chosen = autotune.candidate_name(tuned.precision, tuned.memory_format)
    rates = {k: round(v, 2) for k, v in tuned.rates.items()}
    print(
        f"latent {latent}: auto chose {chosen} ({tuned.source}, "
        f"{auto.autotune_s:.0f} s; rates {rates}); gp_every {auto.gp_every}, "
        f"gp_fraction {auto.gp_fraction}"
    )
    runners = {"naive": naive}
    for name in autotune.candidates(dev):
        runners[name] = auto if name == chosen else Ours(data, latent, device, name)
    # what ``auto`` picks where bf16 does not pay (a CPU without native bf16): the best fp32
    # candidate by the autotune's own measurement
    fp32_rates = {k: v for k, v in tuned.rates.items() if k.startswith("fp32")}
    no_bf16 = autotune.choose(fp32_rates) if fp32_rates else "fp32"
    if share != auto.gp_fraction:  # the best fp32 candidate, the penalty on another share
        runners[f"auto_without_bf16_gp_fraction{share:g}"] = Ours(
            data, latent, device, no_bf16, gp_fraction=share
        )
    if lazy > 1:  # fp32 with the lazy penalty (``gp_every``, off in every preset)
        runners[f"fp32_gp_every{lazy}"] = Ours(
            data, latent, device, no_bf16, gp_every=lazy, gp_fraction=1.0
        )
    mem_naive = measure_memory(naive, dev) if memory else math.nan
    mem_ours = measure_memory(auto, dev) if memory else math.nan
    rate = time_steps(runners, steps, dev)
    rate["auto"] = rate[chosen]
    rate["auto_without_bf16"] = rate[no_bf16]
    print(
        "  samples/s "
        + ", ".join(f"{k} {v:.1f}" for k, v in rate.items())
        + f"; auto without bf16 = {no_bf16}"
        + f"; peak memory auto {mem_ours:.0f} MB, naive {mem_naive:.0f} MB"
    )
    goal = 3.0 if where == "cuda" else 1.3
    machine = autotune.describe_machine(dev)
    lines = []
    for name in [*list(runners)[1:], "auto", "auto_without_bf16"]:
        label = name.replace("+", "_")
        lines.append(
            f"BENCH train_step_speedup_{label}_latent{latent}_{where} "
            f"{rate[name] / rate['naive']:.2f} x goal >= {goal} ({machine})"
        )
    lines.append(
        f"BENCH train_samples_per_s_latent{latent}_{where} {rate['auto']:.1f} samples/s "
        f"goal >= {rate['naive']:.1f} ({machine})"
    )
    if memory:
        lines.append(
            f"BENCH train_peak_memory_latent{latent}_{where} {mem_ours:.0f} MB "
            f"goal <= {mem_naive:.0f} ({machine})"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2, help="timed full steps per variant")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--latents", type=int, nargs="+", default=[100, 800])
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads for both loops (1: on a shared 2-core machine, two threads "
        "wait on each other whenever one is descheduled, which swamps every other effect)",
    )
    parser.add_argument(
        "--gp-every",
        type=int,
        default=4,
        help="also time fp32 with the lazy penalty every k critic steps (1: not)",
    )
    parser.add_argument(
        "--gp-fraction",
        type=float,
        default=1.0,
        help="also time the best fp32 candidate with the penalty on this share of each batch "
        "(left out where it is the trainer's default)",
    )
    parser.add_argument(
        "--no-memory", action="store_true", help="skip the peak-memory step of each loop"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = "cuda" if args.device == "auto" and torch.cuda.is_available() else args.device
    device = "cpu" if device == "auto" else device
    data = write_data(ROOT / "bench" / "_out" / "train_data")
    where = "cuda" if device == "cuda" else "cpu"
    print(f"device {device}, torch {torch.__version__}, threads {torch.get_num_threads()}")
    print(autotune.describe_machine(torch.device(device)))
    lines = []
    for latent in args.latents:
        memory = not args.no_memory
        lines += bench_latent(
            data, latent, device, args.steps, where, memory, args.gp_every, args.gp_fraction
        )
        gc.collect()
    print("\n".join(lines))


if __name__ == "__main__":
    main()

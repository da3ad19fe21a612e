"""The WGAN-GP trainer: one readable loop for CPU, CUDA and torchrun.

Per critic step (Gulrajani et al. 2017, Algorithm 1): fakes from the generator without a graph,
one critic forward on [real, fake] concatenated, one on x_hat for the gradient penalty, one
Adam step. With ``gp_every`` k > 1 the penalty is lazy (Karras et al. 2020, StyleGAN2): only
every k-th critic step computes it, weighted by k, and the others skip the x_hat forward and
its double backward, about half of a critic step's work. With ``gp_fraction`` f < 1 the penalty
is computed on the interpolates of the batch's first round(f N) pairs only (an unbiased
estimate of the same expectation; StyleGAN2 does this for its path-length regulariser).
Every ``n_critic`` critic steps, one generator step (critic weights frozen, so their gradients
are not computed) and one step of the amplitude head (Gaussian negative log-likelihood of each
component's log10 PGA given the conditions).

Device: CUDA when present (cudnn.benchmark, pinned host batches copied with
``non_blocking``), CPU otherwise. Precision ``auto``: fp32 or bf16 autocast, whichever ran
faster in a few steps measured at the start of the run (``seisgan_core.train.autotune``). No
``.item()`` or other host sync inside a step: losses are summed on the device and read once per
epoch. Under ``torchrun`` (WORLD_SIZE > 1) the networks are wrapped in
DistributedDataParallel (nccl on GPU, gloo on CPU), batches come from a DistributedSampler,
and only rank 0 writes files.

Stopping: SIGTERM (or SIGINT) finishes the current step, writes ``last.pt`` at that exact
position (epoch and batch) and marks the run ``stopped``. After a SIGKILL, ``resume`` continues
from ``last.pt``, which is written at the end of every epoch, so at most one epoch is lost.
"""

from __future__ import annotations

import copy
import math
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DistributedSampler

from seisgan_core import __version__
from seisgan_core.errors import ConfigError, DataError, SeisganError
from seisgan_core.fsutil import LockHeldError, PathLock, atomic_write
from seisgan_core.nn.models import AmplitudeHead, Critic, Generator
from seisgan_core.progress import Progress
from seisgan_core.train import autotune
from seisgan_core.train.checkpoint import (
    capture_rng_state,
    load_checkpoint,
    restore_rng_state,
    save_checkpoint,
)
from seisgan_core.train.config import Hyperparameters
from seisgan_core.train.data import (
    SAMPLING_RATE_HZ,
    TrainingSet,
    load_training_set,
    physical_scenarios,
)
from seisgan_core.train.losses import (
    critic_loss,
    generator_loss,
    gradient_penalty_from_scores,
    interpolate,
    wasserstein_estimate,
)
from seisgan_core.train.measures import (
    band_log_power,
    energy_arrival_times,
    log_spectral_distance,
    scenario_frame,
    scorecard_validation,
    study_statistics,
    timing_distance,
    to_peaks,
    validation_score,
)
from seisgan_core.train.store import (
    RunLockedError,
    StatusWriter,
    append_jsonl,
    check_run_path,
    read_jsonl,
    running_pid,
    write_json_atomic,
)

__all__ = [
    "Progress",
    "RunExistsError",
    "StopTraining",
    "Trainer",
    "TrainingDivergedError",
    "build_models",
    "resolve_device",
    "use_bf16",
]


# accumulator slots, summed on the device over an epoch
_C_LOSS, _C_W, _C_GP, _C_GN, _C_N, _G_LOSS, _G_GN, _A_NLL, _G_N = range(9)
_N_ACC = 9
# fixed-noise streams, independent of the training RNG so samples do not depend on batch order
_SAMPLE_SEED, _STATS_SEED, _VAL_SEED = 9001, 9002, 9003
#: validation records the scorecard judges each epoch (its cost grows with their number)
VAL_SCORECARD_RECORDS = 48


class StopTraining(Exception):
    """Raised by an epoch callback to end a run early; the run is marked ``stopped``."""


class TrainingDivergedError(SeisganError, RuntimeError):
    """The losses became NaN or infinite."""


class RunExistsError(SeisganError, RuntimeError):
    """The output folder already holds a run and neither resume nor overwrite was asked."""


def resolve_device(device: str = "auto", local_rank: int = 0) -> torch.device:
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError("--device cuda was asked for, but torch sees no CUDA device")
        return torch.device("cuda", local_rank)
    if device != "cpu":
        raise ConfigError(f"device must be auto, cpu or cuda, not {device!r}")
    return torch.device("cpu")


def use_bf16(precision: str, device: torch.device) -> bool:
    """Whether a fixed ``precision`` (fp32 or bf16) runs bf16 autocast; ``auto`` is decided
    by measurement (:meth:`Trainer._autotune`): here it only says whether bf16 can run."""
    if precision == "fp32":
        return False
    supported = "bf16" in autotune.runnable_precisions(device)
    if precision == "bf16" and not supported:
        raise ConfigError(f"bf16 was asked for, but {device} has no bf16 kernels (oneDNN/CUDA)")
    return supported


def build_models(
    hp: Hyperparameters, length: int, sampling_rate_hz: float = SAMPLING_RATE_HZ
) -> tuple[Generator, Critic, AmplitudeHead]:
    n_cond = len(hp.conditions)
    # what both networks are sized by; the rest is each one's hp.gen_* or hp.critic_* fields
    shared = {
        "n_conditions": n_cond,
        "length": length,
        "sampling_rate_hz": sampling_rate_hz,
        "condition_width": hp.condition_width,
    }
    generator = Generator(
        latent_dim=hp.latent_dim,
        mw_index=hp.conditions.index("mw") if "mw" in hp.conditions else None,
        **shared,
        **hp.prefixed("gen_"),
    )
    critic = Critic(
        cutoff_hz=hp.cutoff_hz, **shared, **hp.prefixed("critic_", vlow_hz="vlow_cutoff_hz")
    )
    return generator, critic, AmplitudeHead(n_conditions=n_cond)


def _code_version() -> str:
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        sha = ""
    return f"{__version__}+{sha}" if sha else __version__


class Trainer:
    """Train a WGAN-GP into a run folder (docs/contracts.md, section 3).

    ``Trainer(data=DIR, out=RUN, hyperparameters=hp).fit()`` returns the final state
    (``finished`` or ``stopped``). ``resume=True`` continues from ``checkpoints/last.pt``
    (or ``resume_from``); ``overwrite=True`` clears an existing run first.
    ``epoch_callback(epoch, metrics)`` runs on rank 0 after each epoch and may raise
    StopTraining (``seisgan tune`` prunes trials this way).
    """

    def __init__(
        self,
        *,
        data: str | Path,
        out: str | Path,
        hyperparameters: Hyperparameters,
        preset: str = "custom",
        device: str = "auto",
        resume: bool = False,
        resume_from: str | Path | None = None,
        overwrite: bool = False,
        progress: Progress | None = None,
        epoch_callback: Callable[[int, dict[str, Any]], None] | None = None,
        handle_signals: bool = True,
        threads: int | None = None,
    ) -> None:
        self.data_path = Path(data)
        # torch's CPU threads: a number is used as given; None lets the autotune measure the
        # chosen candidate at torch's default and at fewer (autotune.thread_counts) on a CPU
        if threads is not None and int(threads) < 1:
            raise ConfigError(f"threads: expected a positive number, found {threads}")
        self.threads = None if threads is None else int(threads)
        self.out = Path(out)
        self.hp = hyperparameters
        self.preset = preset
        self.device_name = device
        self.resume = resume or resume_from is not None
        self.resume_from = Path(resume_from) if resume_from is not None else None
        self.overwrite = overwrite
        self.progress = progress
        self.epoch_callback = epoch_callback
        self.handle_signals = handle_signals
        self._stop_requested = False
        self.status: StatusWriter | None = None
        # processes and device (_setup_distributed)
        self.world, self.rank, self.distributed, self.is_main = 1, 0, False, True
        self.device = torch.device("cpu")
        self._owns_process_group = False  # destroyed on exit only if this trainer made it
        self.bf16 = False
        self.autotune: autotune.AutotuneResult | None = None
        # networks, optimisers and the noise stream (_build)
        self.generator: Generator | None = None
        self.critic: Critic | None = None
        self.amplitude_head: AmplitudeHead | None = None
        self.g_ddp = self.c_ddp = self.a_ddp = None  # the DDP wrappers, or the modules
        self.opt_g = self.opt_c = self.opt_a = None
        self.scaler: torch.amp.GradScaler | None = None
        self.noise: torch.Generator | None = None
        # fixed noise, conditions and real references of the per-epoch measures (_fixed_inputs)
        self.sample_z = self.sample_c = self.stats_z = self.stats_c = None
        self.val_z = self.val_c = self.val_log_power = self.val_times = None
        self.sample_conditions: list[dict[str, Any]] = []
        self.stats_real: dict[str, Any] | None = None
        self.val_source = "val"
        self.val_baseline: dict[str, float] = {}
        self.val_card_rows: np.ndarray | None = None
        self.val_card_inputs: dict[str, Any] = {}
        # position in the run (_load_and_build, _restore)
        self.length = 0
        self.critic_steps = self.generator_steps = 0
        self.best_val, self.best_epoch = math.inf, 0
        self.seconds_in_epoch = 0.0

    # ------------------------------------------------------------------ set-up
    def _setup_distributed(self) -> None:
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.device = resolve_device(self.device_name, local_rank)
        self.distributed = self.world > 1
        self._owns_process_group = False
        if self.distributed and not dist.is_initialized():
            backend = "nccl" if self.device.type == "cuda" else "gloo"
            dist.init_process_group(backend=backend)
            self._owns_process_group = True
        if self.device.type == "cuda":
            torch.cuda.set_device(self.device)
            torch.backends.cudnn.benchmark = True
        self.is_main = self.rank == 0
        # "auto" is decided by measurement once the networks exist (_autotune)
        self.bf16 = self.hp.precision != "auto" and use_bf16(self.hp.precision, self.device)
        self.autotune: autotune.AutotuneResult | None = None

    def _autocast(self):
        if not self.bf16:
            return nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)

    def _prepare_folder(self) -> None:
        pid = running_pid(self.out)
        if pid is not None:
            raise RunLockedError(
                f"{self.out} is being trained by process {pid} (status.json: running, "
                "heartbeat fresh); stop it first (SIGTERM) or choose another --out"
            )
        has_run = (self.out / "checkpoints").exists() or (self.out / "metrics.jsonl").exists()
        if has_run and not self.resume:
            if not self.overwrite:
                raise RunExistsError(
                    f"{self.out} already holds a run; use --resume to continue it, "
                    "--overwrite to start again, or another --out"
                )
            for name in ("checkpoints", "samples"):
                shutil.rmtree(self.out / name, ignore_errors=True)
            for name in ("metrics.jsonl", "config.json", "status.json"):
                (self.out / name).unlink(missing_ok=True)
        (self.out / "checkpoints").mkdir(parents=True, exist_ok=True)
        (self.out / "samples").mkdir(parents=True, exist_ok=True)
        # temporary files of writes a kill interrupted (their targets are intact)
        for folder in (self.out, self.out / "checkpoints", self.out / "samples"):
            for tmp in folder.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)

    def _build(self, data: TrainingSet) -> None:
        hp = self.hp
        self.generator, self.critic, self.amplitude_head = build_models(hp, data.length)
        if hp.conditions:
            c = torch.from_numpy(data.train.conditions.astype(np.float64))
            mean, std = c.mean(dim=0), c.std(dim=0, unbiased=False)
            for module in (self.generator, self.critic, self.amplitude_head):
                module.normaliser.set_statistics(mean, std)
            self.amplitude_head.set_condition_range(c.amin(dim=0), c.amax(dim=0))
        pga = torch.from_numpy(data.train.log10_pga.astype(np.float64))
        self.amplitude_head.set_target_statistics(pga.mean(dim=0), pga.std(dim=0, unbiased=False))
        for module in (self.generator, self.critic, self.amplitude_head):
            module.to(self.device)
        self._optimisers(self.generator, self.critic, self.amplitude_head)
        # bf16 has fp32's exponent range and needs no loss scaling; the scaler is kept (disabled)
        # so that checkpoints have one layout whatever the precision.
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=False)
        if self.distributed:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.g_ddp = nn.parallel.DistributedDataParallel(self.generator, device_ids=ids)
            self.c_ddp = nn.parallel.DistributedDataParallel(self.critic, device_ids=ids)
            self.a_ddp = nn.parallel.DistributedDataParallel(self.amplitude_head, device_ids=ids)
        else:
            self.g_ddp, self.c_ddp, self.a_ddp = self.generator, self.critic, self.amplitude_head
        self.noise = torch.Generator(device=self.device)
        # each rank draws its own noise; the weights stay identical through DDP's all-reduce
        self.noise.manual_seed(hp.seed * 1000 + self.rank)

    def _optimisers(self, generator: nn.Module, critic: nn.Module, head: nn.Module) -> None:
        """Adam for each network; the fused kernel (one pass over all parameters; the same
        update, 6x faster than the per-tensor loop on the study's 9.8 M-parameter generator
        at latent 800 on CPU) where this torch has it for the device."""
        hp, fused = self.hp, self.device.type in ("cpu", "cuda")
        self.opt_g = torch.optim.Adam(
            generator.parameters(), lr=hp.lr_generator, betas=hp.betas, fused=fused
        )
        self.opt_c = torch.optim.Adam(
            critic.parameters(), lr=hp.lr_critic, betas=hp.betas, fused=fused
        )
        self.opt_a = torch.optim.Adam(head.parameters(), lr=hp.lr_amplitude, fused=fused)

    def _fixed_inputs(self, data: TrainingSet) -> None:
        """Fixed noise and conditions for the per-epoch samples, statistics and validation."""
        hp, dev = self.hp, self.device
        val = data.val if len(data.val.rows) else data.train
        self.val_source = "val" if len(data.val.rows) else "train"

        def noise(n: int, seed: int) -> torch.Tensor:
            g = torch.Generator().manual_seed(hp.seed + seed)
            return torch.randn(n, hp.latent_dim, generator=g).to(dev)

        def pick(split, n: int, seed: int) -> np.ndarray:
            g = np.random.default_rng(hp.seed + seed)
            return np.sort(g.choice(len(split.rows), size=min(n, len(split.rows)), replace=False))

        k = pick(val, hp.samples_per_epoch, _SAMPLE_SEED)
        k = np.resize(k, hp.samples_per_epoch)  # a tiny val split repeats its records
        self.sample_z = noise(hp.samples_per_epoch, _SAMPLE_SEED)
        self.sample_c = torch.from_numpy(val.conditions[k]).to(dev)
        scenarios = physical_scenarios(val.conditions[k], data.condition_names)
        self.sample_conditions = [
            {**scn, "record_id": val.record_ids[i]} for scn, i in zip(scenarios, k, strict=True)
        ]
        s = pick(data.train, hp.stats_batch, _STATS_SEED)
        self.stats_z = noise(len(s), _STATS_SEED)
        self.stats_c = torch.from_numpy(data.train.conditions[s]).to(dev)
        self.stats_real = study_statistics(torch.from_numpy(data.read(data.train.rows[s])))
        v = pick(val, hp.val_max_records, _VAL_SEED)
        self.val_z = noise(len(v), _VAL_SEED)
        self.val_c = torch.from_numpy(val.conditions[v]).to(dev)
        val_records = torch.from_numpy(data.read(val.rows[v])).to(dev)
        self.val_log_power = band_log_power(val_records)
        self.val_times = energy_arrival_times(val_records)
        # the real-vs-real baseline of both distances: as many training records against these
        t = pick(data.train, len(v), _VAL_SEED + 1)
        train_records = torch.from_numpy(data.read(data.train.rows[t])).to(dev)
        self.val_baseline = {
            "lsd_db": log_spectral_distance(band_log_power(train_records), self.val_log_power),
            "timing_s": timing_distance(energy_arrival_times(train_records), self.val_times),
        }
        # the scorecard's validation (picks best.pt) on at most VAL_SCORECARD_RECORDS of the
        # validation records (evenly spaced) and as many training records, in cm/s^2 through
        # their peaks
        names = data.condition_names
        w = np.unique(np.linspace(0, len(v) - 1, min(len(v), VAL_SCORECARD_RECORDS)).astype(int))
        self.val_card_rows = w
        self.val_card_inputs = {
            "val": to_peaks(val_records[w].cpu().numpy(), val.log10_pga[v][w]),
            "train": to_peaks(train_records[w].cpu().numpy(), data.train.log10_pga[t][w]),
            "val_table": scenario_frame(val.conditions[v][w], names),
            "train_table": scenario_frame(data.train.conditions[t][w], names),
        }

    # ------------------------------------------------------------------ precision
    def _shape_key(self, length: int) -> dict[str, Any]:
        hp = self.hp
        fields = ("latent_dim", "batch_size", "gen_widths", "gen_kernel", "gen_upsample")
        fields += ("critic_widths", "critic_stride", "critic_kernel", "cutoff_hz")
        fields += ("condition_width", "critic_global_layers", "critic_vlow_hz", "gp_fraction")
        shape = {name: getattr(hp, name) for name in fields}
        return {**shape, "n_conditions": len(hp.conditions), "length": length}

    def _autotune(self, data: TrainingSet) -> None:
        """``precision`` / ``memory_format`` "auto": the fastest candidate by a few measured
        steps (cached per machine and network shape)."""
        machine = autotune.describe_machine(self.device)
        hp = self.hp
        if hp.precision != "auto" and hp.memory_format != "auto":
            chosen = "bf16" if self.bf16 else "fp32"
            result = autotune.AutotuneResult(
                chosen, "fixed", device=machine, memory_format=hp.memory_format
            )
            self._use(result)
            return
        names = autotune.candidates(self.device, hp.precision, hp.memory_format)
        counts = self._thread_counts()
        key_names = [*names, *(f"threads={k}" for k in counts if len(counts) > 1)]
        key = autotune.cache_key(self.device, self._shape_key(data.length), key_names)
        result = None
        if self.is_main:
            result = autotune.lookup(key)
            if result is None and len(names) == 1 and len(counts) == 1:
                precision, memory_format = autotune.parse_candidate(names[0])
                result = autotune.AutotuneResult(
                    precision, "only candidate", device=machine, memory_format=memory_format
                )
            elif result is None:
                batch = self._batch(data, np.arange(hp.batch_size))
                rates = autotune.measure(names, lambda name: self._probe_step(name, batch))
                precision, memory_format = autotune.parse_candidate(autotune.choose(rates))
                result = autotune.AutotuneResult(
                    precision, "measured", rates=rates, device=machine, memory_format=memory_format
                )
                if len(counts) > 1:
                    self._measure_threads(result, counts, batch)
                autotune.store(key, result)
            result.key = key
            if result.threads is not None:
                torch.set_num_threads(result.threads)
        if self.distributed:  # every rank runs what rank 0 chose
            index = (
                -1
                if result is None
                else names.index(autotune.candidate_name(result.precision, result.memory_format))
            )
            flag = torch.tensor([float(index)], device=self.device)
            dist.broadcast(flag, 0)
            if result is None:
                precision, memory_format = autotune.parse_candidate(names[int(flag.item())])
                result = autotune.AutotuneResult(
                    precision, "rank 0", device=machine, key=key, memory_format=memory_format
                )
        self._use(result)

    def _thread_counts(self) -> list[int]:
        """The thread counts to measure: torch's default and fewer (autotune.thread_counts)
        on a CPU where the caller left them open; else the current count alone (a fixed
        ``threads``, a GPU, or a multi-process run, whose ranks share the cores by design)."""
        if self.threads is not None or self.device.type != "cpu" or self.distributed:
            return [torch.get_num_threads()]
        return autotune.thread_counts(torch.get_num_threads())

    def _measure_threads(
        self, result: autotune.AutotuneResult, counts: list[int], batch: tuple
    ) -> None:
        """Samples per second of ``result``'s candidate at each thread count (the first is
        the one its candidates were measured at, re-measured here beside the others), and the
        choice (autotune.choose_threads) into ``result``; torch's count is left as found."""
        candidate = autotune.candidate_name(result.precision, result.memory_format)
        before = torch.get_num_threads()

        def step(count: str) -> tuple[int, float]:
            torch.set_num_threads(int(count))
            return self._probe_step(candidate, batch)

        try:  # in rounds over the counts, as the candidates (autotune.measure)
            rates = autotune.measure([str(k) for k in counts], step)
        finally:
            torch.set_num_threads(before)
        result.thread_rates = rates
        result.threads = autotune.choose_threads(rates, counts[0])

    def _use(self, result: autotune.AutotuneResult) -> None:
        """Run with ``result``'s precision and memory format."""
        self.autotune = result
        self.bf16 = result.precision == "bf16"
        channels_last = result.memory_format == "channels_last"
        self.generator.channels_last = self.critic.channels_last = channels_last

    def _probe_step(self, candidate: str, batch: tuple[torch.Tensor, ...]) -> tuple[int, float]:
        """One critic and one generator step of ``candidate`` (a precision and a memory
        format) on copies of the networks and optimisers (the run's own weights, optimiser
        states and noise stream are untouched)."""
        names = ("generator", "critic", "amplitude_head", "g_ddp", "c_ddp", "a_ddp")
        names += ("opt_g", "opt_c", "opt_a", "noise", "bf16", "critic_steps", "generator_steps")
        saved = {name: getattr(self, name) for name in names}
        try:
            g, c, a = (copy.deepcopy(m) for m in (self.generator, self.critic, self.amplitude_head))
            self.generator, self.critic, self.amplitude_head = g, c, a
            self.g_ddp, self.c_ddp, self.a_ddp = g, c, a
            self._optimisers(g, c, a)
            self.noise = torch.Generator(device=self.device).manual_seed(0)
            precision, memory_format = autotune.parse_candidate(candidate)
            self.bf16 = precision == "bf16"
            g.channels_last = c.channels_last = memory_format == "channels_last"
            self.critic_steps = 0  # a critic step with the penalty, the costlier kind
            real, cond, pga = batch
            acc = torch.zeros(_N_ACC, device=self.device)
            self._sync()
            t0 = time.perf_counter()
            self._critic_step(real, cond, acc)
            self._generator_step(cond, pga, acc)
            self._sync()
            return real.shape[0], time.perf_counter() - t0
        finally:
            for name, value in saved.items():
                setattr(self, name, value)

    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    # ------------------------------------------------------------------ steps
    def _cond(self, c: torch.Tensor) -> torch.Tensor | None:
        return c if self.hp.conditions else None

    def _critic_step(self, real: torch.Tensor, cond: torch.Tensor, acc: torch.Tensor) -> None:
        n, every = real.shape[0], self.hp.gp_every
        # lazy regularisation: the penalty on every ``gp_every``-th critic step, weighted by it
        penalise = self.critic_steps % every == 0
        self.critic_steps += 1
        z = torch.randn(n, self.hp.latent_dim, device=self.device, generator=self.noise)
        with torch.no_grad(), self._autocast():
            fake = self.g_ddp(z, self._cond(cond)).float()
        # drawn on every step, so the noise stream does not depend on gp_every
        alpha = torch.rand(n, 1, 1, device=self.device, generator=self.noise)
        with self._autocast():
            # real and fake in one forward, without a graph for the generator
            scores = self.c_ddp(torch.cat([real, fake]), self._cond(cond.repeat(2, 1)))
        s_real, s_fake = scores.float().split(n)
        loss = critic_loss(s_real, s_fake)
        gp = torch.zeros((), device=self.device)
        if penalise:
            m = self._penalty_rows(n)
            gp = self._penalty(real[:m], fake[:m], alpha[:m], cond[:m])
            loss = loss + (self.hp.gp_lambda * every) * gp
        self.opt_c.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.get_total_norm(
            [p.grad for p in self.critic.parameters() if p.grad is not None]
        )
        self.opt_c.step()
        w = wasserstein_estimate(s_real, s_fake)
        one = torch.ones((), device=acc.device)
        # a lazy penalty stands for the ``every`` steps it covers: its sum over an epoch
        # divided by the steps estimates the mean penalty, as with every == 1
        acc[[_C_LOSS, _C_W, _C_GP, _C_GN, _C_N]] += torch.stack(
            [loss.detach(), w.detach(), gp.detach() * every, grad_norm.to(acc.device), one]
        )

    def _penalty_rows(self, n: int) -> int:
        """How many of a batch of ``n`` the gradient penalty is computed on (``gp_fraction``)."""
        return max(1, min(n, round(self.hp.gp_fraction * n)))

    def _penalty(
        self, real: torch.Tensor, fake: torch.Tensor, alpha: torch.Tensor, cond: torch.Tensor
    ) -> torch.Tensor:
        """The gradient penalty on interpolates, in a critic forward of their own, so that the
        penalty's double backward runs over N samples and not 3N (1.7x faster per critic step
        on CPU). x_hat goes through the bare module: under DDP, one DDP forward per backward;
        the gradients of both paths meet in each weight's single AccumulateGrad and are
        all-reduced together."""
        x_hat = interpolate(real, fake, alpha).requires_grad_(True)
        with self._autocast():
            s_hat = self.critic(x_hat, self._cond(cond)).float()
        return gradient_penalty_from_scores(s_hat, x_hat)

    def _generator_step(
        self, cond: torch.Tensor, log10_pga: torch.Tensor, acc: torch.Tensor
    ) -> None:
        n = cond.shape[0]
        z = torch.randn(n, self.hp.latent_dim, device=self.device, generator=self.noise)
        # the critic's weights are frozen for this step: only its input gradient is needed
        self.critic.requires_grad_(False)
        try:
            with self._autocast():
                fake = self.g_ddp(z, self._cond(cond))
                loss = generator_loss(self.critic(fake, self._cond(cond)).float())
            self.opt_g.zero_grad(set_to_none=True)
            loss.backward()
        finally:
            self.critic.requires_grad_(True)
        grad_norm = torch.nn.utils.get_total_norm(
            [p.grad for p in self.generator.parameters() if p.grad is not None]
        )
        self.opt_g.step()
        # amplitude head: Gaussian NLL of log10 PGA (up to the constant log sqrt(2 pi))
        mu, sigma = self.a_ddp(self._cond(cond), n)
        nll = (torch.log(sigma) + 0.5 * ((log10_pga - mu) / sigma) ** 2).mean()
        self.opt_a.zero_grad(set_to_none=True)
        nll.backward()
        self.opt_a.step()
        self.generator_steps += 1
        one = torch.ones((), device=acc.device)
        acc[[_G_LOSS, _G_GN, _A_NLL, _G_N]] += torch.stack(
            [loss.detach(), grad_norm.to(acc.device), nll.detach(), one]
        )

    def _batch(self, data: TrainingSet, idx: np.ndarray) -> tuple[torch.Tensor, ...]:
        rows = data.train.rows[idx]
        arrays = (data.read(rows), data.train.conditions[idx], data.train.log10_pga[idx])
        tensors = [torch.from_numpy(np.ascontiguousarray(a)) for a in arrays]
        if self.device.type == "cuda":
            return tuple(t.pin_memory().to(self.device, non_blocking=True) for t in tensors)
        return tuple(tensors)

    # ------------------------------------------------------------------ epoch end
    @torch.no_grad()
    def _generate(self, z: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        self.generator.eval()
        try:
            out = []
            for i in range(0, len(z), 64):
                with self._autocast():
                    out.append(self.generator(z[i : i + 64], self._cond(c[i : i + 64])).float())
            return torch.cat(out)
        finally:
            self.generator.train()

    def _epoch_metrics(self, epoch: int, totals: list[float], seconds_train: float) -> dict:
        samples = self._generate(self.sample_z, self.sample_c)
        stats_gen = study_statistics(self._generate(self.stats_z, self.stats_c))
        generated_val = self._generate(self.val_z, self.val_c)
        val_lsd = log_spectral_distance(band_log_power(generated_val), self.val_log_power)
        val_timing = timing_distance(energy_arrival_times(generated_val), self.val_times)
        base = self.val_baseline
        val_spectral_timing = validation_score(
            val_lsd, val_timing, base["lsd_db"], base["timing_s"]
        )
        card = self._val_scorecard(generated_val)
        # atomic: a full disk or a kill leaves no partial sample file behind
        with atomic_write(self.out / "samples" / f"epoch_{epoch:04d}.npy", "wb") as fh:
            np.save(fh, samples.cpu().numpy().astype(np.float16))
        nc, ng = max(totals[_C_N], 1.0), totals[_G_N]
        n_samples = totals[_C_N] * self.hp.batch_size
        return {
            "epoch": epoch,
            "step": self.generator_steps,
            "loss_critic": totals[_C_LOSS] / nc,
            "loss_generator": totals[_G_LOSS] / ng if ng else None,
            "wasserstein": totals[_C_W] / nc,
            "gradient_penalty": totals[_C_GP] / nc,
            "grad_norm_critic": totals[_C_GN] / nc,
            "grad_norm_generator": totals[_G_GN] / ng if ng else None,
            "amplitude_nll": totals[_A_NLL] / ng if ng else None,
            "seconds": None,  # filled in below, after the evaluation
            "samples_per_s": n_samples / max(seconds_train, 1e-9),
            "val_score": card["score"],
            "val_lines_failed": card["n_failed"],
            "val_spectral_timing": val_spectral_timing,
            "val_lsd_db": val_lsd,
            "val_timing_s": val_timing,
            "stats": {"real": self.stats_real, "generated": stats_gen},
        }

    @torch.no_grad()
    def _val_scorecard(self, generated_val: torch.Tensor) -> dict:
        """The scorecard's validation score of the validation generations, scaled to the
        amplitude head's median PGA for each scenario (train/measures.scorecard_validation)."""
        inputs, w = self.val_card_inputs, torch.from_numpy(self.val_card_rows)
        mu, _ = self.amplitude_head(self._cond(self.val_c[w]), len(w))
        generated = to_peaks(generated_val[w].float().cpu().numpy(), mu.float().cpu().numpy())
        return scorecard_validation(
            generated,
            inputs["val"],
            inputs["train"],
            SAMPLING_RATE_HZ,
            val_table=inputs["val_table"],
            train_table=inputs["train_table"],
        )

    def _state(self, epoch: int, batch: int, acc: torch.Tensor, metrics: dict | None) -> dict:
        return {
            "epoch": epoch,
            "batch": batch,
            "critic_steps": self.critic_steps,
            "generator_steps": self.generator_steps,
            "generator": self.generator.state_dict(),
            "critic": self.critic.state_dict(),
            "amplitude_head": self.amplitude_head.state_dict(),
            "optimizer_generator": self.opt_g.state_dict(),
            "optimizer_critic": self.opt_c.state_dict(),
            "optimizer_amplitude": self.opt_a.state_dict(),
            "scaler": self.scaler.state_dict(),
            "rng": capture_rng_state(self.noise),
            "accumulators": acc.detach().cpu(),
            "best_val": self.best_val,
            "best_epoch": self.best_epoch,
            "hyperparameters": self.hp.to_dict(),
            "conditions": list(self.hp.conditions),
            "length": self.length,
            "sampling_rate_hz": SAMPLING_RATE_HZ,
            "metrics": metrics,
            "seconds_in_epoch": self.seconds_in_epoch,
        }

    def _metric_lines(self) -> int:
        return len(read_jsonl(self.out / "metrics.jsonl"))

    def _restore(self, path: Path) -> tuple[int, int, torch.Tensor]:
        # on the CPU: RNG states must be CPU tensors; load_state_dict copies onto the device
        state = load_checkpoint(path, map_location="cpu")
        if state.get("length") != self.length:
            raise DataError(
                f"{path} was trained on records of {state.get('length')} samples, "
                f"the data has {self.length}"
            )
        self.generator.load_state_dict(state["generator"])
        self.critic.load_state_dict(state["critic"])
        self.amplitude_head.load_state_dict(state["amplitude_head"])
        self.opt_g.load_state_dict(state["optimizer_generator"])
        self.opt_c.load_state_dict(state["optimizer_critic"])
        self.opt_a.load_state_dict(state["optimizer_amplitude"])
        self.scaler.load_state_dict(state["scaler"])
        restore_rng_state(state["rng"], None)
        if self.rank == 0:
            self.noise.set_state(state["rng"]["noise"].cpu())
        else:  # ranks > 0 continue their own stream, offset from the saved one
            self.noise.manual_seed(self.hp.seed * 1000 + self.rank + 7919 * int(state["epoch"]))
        self.critic_steps = int(state["critic_steps"])
        self.generator_steps = int(state["generator_steps"])
        self.best_val = float(state["best_val"])
        self.best_epoch = int(state["best_epoch"])
        self.seconds_in_epoch = float(state.get("seconds_in_epoch", 0.0))
        epoch = int(state["epoch"])
        if self.is_main:
            # metrics and samples after the checkpoint belong to the lost epoch: drop them
            records = [r for r in read_jsonl(self.out / "metrics.jsonl") if r["epoch"] <= epoch]
            last = state.get("metrics")
            if last is not None and all(r["epoch"] != last["epoch"] for r in records):
                records.append(last)
            tmp = self.out / ".metrics.jsonl.tmp"
            tmp.unlink(missing_ok=True)
            for r in records:
                append_jsonl(tmp, r)
            tmp.touch()
            os.replace(tmp, self.out / "metrics.jsonl")
            for f in (self.out / "samples").glob("epoch_*.npy"):
                if int(f.stem.split("_")[1]) > epoch:
                    f.unlink()
        return epoch, int(state["batch"]), state["accumulators"].to(self.device)

    # ------------------------------------------------------------------ the loop
    def _request_stop(self, signum: int, frame: Any) -> None:
        self._stop_requested = True

    def _should_stop(self) -> bool:
        if not self.distributed:
            return self._stop_requested
        # every rank must stop at the same step: agree by an all-reduce (a host sync, so only
        # every few steps; see _check_every)
        flag = torch.tensor([float(self._stop_requested)], device=self.device)
        dist.all_reduce(flag)
        return bool(flag.item() > 0)

    def fit(self) -> str:
        """Train to ``hyperparameters.epochs``; returns ``finished`` or ``stopped``."""
        self._setup_distributed()
        previous_handlers = {}
        if self.handle_signals and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                previous_handlers[sig] = signal.signal(sig, self._request_stop)
        lock = PathLock(self.out, command="seisgan train") if self.is_main else None
        threads_before = torch.get_num_threads()
        if self.threads is not None:
            torch.set_num_threads(self.threads)
        try:
            if lock is not None:
                # status.json refuses a live run only once its data is loaded; the lock file
                # closes that window for two commands started at the same moment
                check_run_path(self.out)
                try:
                    lock.acquire()
                except LockHeldError as exc:
                    lock = None  # not ours to release
                    raise RunLockedError(
                        f"{self.out} is being trained by process {exc.holder.get('pid')} "
                        f"(lock file {exc.lock_path}, since {exc.holder.get('since')}); stop it "
                        "first (SIGTERM) or choose another --out"
                    ) from None
                self._prepare_folder()
            if self.distributed:
                dist.barrier()
            return self._fit()
        except BaseException as exc:
            if self.status is not None:
                state = "stopped" if isinstance(exc, StopTraining) else "failed"
                self.status.stop(state=state, message=f"{type(exc).__name__}: {exc}")
                self.status = None
            if isinstance(exc, StopTraining):
                return "stopped"
            raise
        finally:
            torch.set_num_threads(threads_before)  # the autotune's or the caller's count
            if lock is not None:
                lock.release()
            for sig, handler in previous_handlers.items():
                signal.signal(sig, handler)
            if self._owns_process_group and dist.is_initialized():
                dist.destroy_process_group()

    def _fit(self) -> str:
        data = self._load_and_build()
        epoch, start_batch, acc = self._start_position()
        if self.is_main:
            self._write_config(data)
            self.status = StatusWriter(self.out / "status.json", epochs=self.hp.epochs)
            self.status.status["epoch"] = epoch
            self.status.start()
            self.status.update(message=f"training on {self.device} ({self.world} process(es))")
        sampler = DistributedSampler(
            range(len(data.train.rows)),
            num_replicas=self.world,
            rank=self.rank,
            shuffle=True,
            seed=self.hp.seed,
            drop_last=True,
        )
        self.generator.train()
        while epoch < self.hp.epochs:
            t0 = time.perf_counter() - self.seconds_in_epoch
            if self._train_epoch(data, sampler, epoch, start_batch, acc, t0):
                return "stopped"
            start_batch = 0
            seconds_train = time.perf_counter() - t0
            self.seconds_in_epoch = 0.0
            epoch += 1
            self._close_epoch(epoch, acc, seconds_train, t0)
        if self.is_main:
            self.status.stop(state="finished", epoch=epoch, message=f"finished {epoch} epochs")
            self.status = None
        if self.distributed:
            dist.barrier()
        return "finished"

    def _load_and_build(self) -> TrainingSet:
        """The prepared set, the networks, the measured precision and the fixed inputs."""
        hp = self.hp
        torch.manual_seed(hp.seed)
        data = load_training_set(self.data_path, hp.conditions)
        self.length = data.length
        need = hp.batch_size * self.world
        if len(data.train.rows) < need:
            raise DataError(
                f"the training split of {self.data_path} has {len(data.train.rows)} usable "
                f"records, fewer than one batch ({hp.batch_size} x {self.world} processes)"
            )
        self._build(data)
        self._autotune(data)
        self._fixed_inputs(data)
        self.critic_steps = self.generator_steps = 0
        self.best_val, self.best_epoch = math.inf, 0
        self.seconds_in_epoch = 0.0
        return data

    def _start_position(self) -> tuple[int, int, torch.Tensor]:
        """(epoch, batch, accumulators) to start from: zeros, or those of the checkpoint."""
        acc = torch.zeros(_N_ACC, device=self.device)
        if not self.resume:
            return 0, 0, acc
        source = self.resume_from or self.out / "checkpoints" / "last.pt"
        if self.resume_from is None and not source.exists() and not self._metric_lines():
            # killed before its first checkpoint: nothing to lose, start from epoch 0
            # (without this the run could be neither resumed nor started again)
            return 0, 0, acc
        return self._restore(source)

    def _train_epoch(
        self,
        data: TrainingSet,
        sampler: DistributedSampler,
        epoch: int,
        start_batch: int,
        acc: torch.Tensor,
        t0: float,
    ) -> bool:
        """The steps of one epoch from ``start_batch``; True if a stop signal ended it."""
        hp = self.hp
        sampler.set_epoch(epoch)
        order = np.fromiter(iter(sampler), dtype=np.int64)
        n_batches = len(sampler) // hp.batch_size
        check_every = 5 if self.distributed else 1
        for b in range(start_batch, n_batches):
            idx = order[b * hp.batch_size : (b + 1) * hp.batch_size]
            real, cond, pga = self._batch(data, idx)
            self._critic_step(real, cond, acc)
            if self.critic_steps % hp.n_critic == 0:
                self._generator_step(cond, pga, acc)
            if self.is_main:
                self._note_progress(epoch, b + 1 - start_batch, b + 1, n_batches, t0)
            if self.critic_steps % check_every == 0 and self._should_stop():
                self._stop_in_epoch(epoch, b + 1, n_batches, acc, t0)
                return True
        return False

    def _note_progress(self, epoch: int, done: int, batch: int, n_batches: int, t0: float) -> None:
        """In-epoch progress: the app's status note (written by the next heartbeat) and the
        progress callback."""
        hp = self.hp
        if self.status is not None:
            seconds = time.perf_counter() - t0 - self.seconds_in_epoch
            rate = done / seconds if seconds > 0 else None
            self.status.note(
                batch=batch,
                batches=n_batches,
                batches_per_s=rate,
                samples_per_s=rate * hp.batch_size * self.world if rate else None,
            )
        if self.progress is not None:
            fraction = (epoch + batch / n_batches) / hp.epochs
            self.progress(fraction, f"epoch {epoch + 1}/{hp.epochs}, batch {batch}/{n_batches}")

    def _stop_in_epoch(
        self, epoch: int, batch: int, n_batches: int, acc: torch.Tensor, t0: float
    ) -> None:
        """A stop signal: last.pt at this exact position, the run marked ``stopped``."""
        self.seconds_in_epoch = time.perf_counter() - t0
        if self.distributed:
            self._sync_buffers()
        if self.is_main:
            ckpt = self.out / "checkpoints" / "last.pt"
            save_checkpoint(ckpt, self._state(epoch, batch, acc, None))
            self.status.stop(
                state="stopped",
                epoch=epoch,
                message=f"stopped by signal in epoch {epoch + 1} after batch "
                f"{batch}/{n_batches}; continue with --resume",
            )
            self.status = None

    def _close_epoch(self, epoch: int, acc: torch.Tensor, seconds_train: float, t0: float) -> None:
        """Sum the accumulators over ranks, read them (the one host sync of the epoch), refuse
        a diverged run, and on rank 0 evaluate and write the epoch."""
        if self.distributed:
            dist.all_reduce(acc)
            self._sync_buffers()
        totals = acc.tolist()
        acc.zero_()
        finite = [totals[i] for i in (_C_LOSS, _C_GP, _G_LOSS) if math.isfinite(totals[i])]
        if len(finite) < 3:
            raise TrainingDivergedError(
                f"losses became NaN or infinite in epoch {epoch} (critic {totals[_C_LOSS]}, "
                f"generator {totals[_G_LOSS]}); checkpoints/last.pt holds epoch {epoch - 1}. "
                "Lower the learning rates or raise gp_lambda."
            )
        if self.is_main:
            self._end_epoch(epoch, totals, seconds_train, t0)

    def _sync_buffers(self) -> None:
        # batch-norm running statistics are updated locally in no-grad forwards; rank 0's win
        for module in (self.generator, self.critic, self.amplitude_head):
            for buf in module.buffers():
                dist.broadcast(buf, 0)

    def _end_epoch(self, epoch: int, totals: list[float], seconds_train: float, t0: float) -> None:
        hp, ckpt_dir = self.hp, self.out / "checkpoints"
        metrics = self._epoch_metrics(epoch, totals, seconds_train)
        improved = metrics["val_score"] < self.best_val
        if improved:
            self.best_val, self.best_epoch = metrics["val_score"], epoch
        metrics["seconds"] = time.perf_counter() - t0
        state = self._state(epoch, 0, torch.zeros(_N_ACC), metrics)
        if improved:
            save_checkpoint(ckpt_dir / "best.pt", state)
        # last.pt before the metrics line: a kill between them loses no epoch (resume re-adds
        # the line from the checkpoint)
        save_checkpoint(ckpt_dir / "last.pt", state)
        append_jsonl(self.out / "metrics.jsonl", metrics)
        if hp.checkpoint_every and epoch % hp.checkpoint_every == 0:
            with (
                open(ckpt_dir / "last.pt", "rb") as src,
                atomic_write(ckpt_dir / f"epoch_{epoch:04d}.pt", "wb") as dst,
            ):
                shutil.copyfileobj(src, dst)
        self.status.update(
            epoch=epoch,
            batch=0,
            message=f"epoch {epoch}/{hp.epochs}: W {metrics['wasserstein']:.3g}, val LSD "
            f"{metrics['val_lsd_db']:.2f} dB, timing {metrics['val_timing_s']:.2f} s, score "
            f"{metrics['val_score']:.2f} (best {self.best_val:.2f} at {self.best_epoch})",
        )
        if self.epoch_callback is not None:
            self.epoch_callback(epoch, metrics)

    def _write_config(self, data: TrainingSet) -> None:
        path = self.out / "config.json"
        created = datetime.now(UTC).isoformat(timespec="seconds")
        if path.is_file():
            try:
                from seisgan_core.train.store import read_json

                created = read_json(path).get("created", created)
            except ValueError:
                pass
        normalisation = {
            "conditions": {
                "names": list(self.hp.conditions),
                "mean": self.generator.normaliser.mean.tolist() if self.hp.conditions else [],
                "std": self.generator.normaliser.std.tolist() if self.hp.conditions else [],
            },
            "log10_pga": {
                "mean": self.amplitude_head.target_mean.tolist(),
                "std": self.amplitude_head.target_std.tolist(),
            },
        }
        config = {
            "run_id": self.out.name,
            "preset": self.preset,
            "hyperparameters": self.hp.to_dict(),
            "conditions": list(self.hp.conditions),
            "data": {
                "path": str(self.data_path),
                "manifest_sha256": data.manifest_sha256,
                "n_train": len(data.train.rows),
                "n_val": len(data.val.rows),
                "validation_split": self.val_source,
                "excluded": data.excluded,
                "imputed": data.imputed,
                "length": data.length,
                "sampling_rate_hz": SAMPLING_RATE_HZ,
            },
            "normalisation": normalisation,
            "validation_measure": "val_score: the fidelity scorecard's own lines (quick set: FAS "
            "band errors, full-band spectral Frechet, PSA bias, low-frequency share and drift, "
            "Husid times, edge transients, energy packets) of generated against validation "
            "records of the same scenarios, with training records as the real-vs-real baseline; "
            "the mean over lines of min(badness, 10), where <= 1 passes a line; lower is "
            "better; picks best.pt (train/measures.scorecard_validation). val_spectral_timing: "
            "the earlier LSD and timing score, kept as a curve",
            "validation_baseline": self.val_baseline,
            "code_version": _code_version(),
            "seed": self.hp.seed,
            "created": created,
            "device": str(self.device),
            "precision": "bf16" if self.bf16 else "fp32",
            "memory_format": self.autotune.memory_format if self.autotune else "contiguous",
            # how it was chosen: "measured" (with samples/s per candidate), "cache", "fixed"
            "precision_autotune": self.autotune.to_dict() if self.autotune else None,
            # torch's CPU threads for this run (the autotune's choice, or as given)
            "threads": torch.get_num_threads() if self.device.type == "cpu" else None,
            "world_size": self.world,
        }
        write_json_atomic(path, config)
        write_json_atomic(self.out / "samples" / "conditions.json", self.sample_conditions)

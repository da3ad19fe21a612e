"""Choose the training precision and memory format by measuring them, as ``cudnn.benchmark``
chooses kernels.

Whether bf16 autocast pays depends on the machine, not on what it advertises: oneDNN reports
bf16 support on any AVX-512 CPU because it can emulate it, and there emulated bf16 is slower
than fp32 (issue 18: 0.44 s fp32 against 0.67 s bf16 for a 64-channel Conv1d on an Intel Xeon
without ``avx512_bf16``); on a CPU with native bf16 (AVX512-BF16, AMX) or a recent GPU it is
2-3x faster. So ``precision: auto`` runs a few full training steps of every candidate that
runs at all, on copies of the networks, and keeps the fastest. The same goes for the layout of
the activations (``memory_format``): oneDNN's time-major ("channels-last") convolutions are
1.5-3x faster than its plain-layout ones on the narrow grouped layers of these networks on the
CPUs measured so far, but that too is the machine's to say. A candidate is named by its
precision, with ``+channels_last`` when it uses that layout (``fp32``, ``bf16+channels_last``).
On a CPU, where the caller did not fix them, torch's threads are measured as well: the chosen
candidate at torch's default count and at halves of it (:func:`thread_counts`,
:func:`choose_threads`; the trainer's ``_measure_threads``). The choice and the measured
rates are cached per machine and network shape (:func:`cache_key`) in a small JSON file
(``$XDG_CACHE_HOME/seisgan/autotune.json``, else ``~/.cache/seisgan/autotune.json``) and
written to the run's ``config.json``.

The decisions (:func:`choose`, :func:`choose_threads`) are pure functions of the measured
rates, so they can be tested with any candidates and any timings.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from seisgan_core.fsutil import atomic_write_json

__all__ = [
    "MEMORY_FORMATS",
    "AutotuneResult",
    "cache_key",
    "cache_path",
    "candidate_name",
    "candidates",
    "choose",
    "choose_threads",
    "cpu_description",
    "describe_cpu",
    "describe_machine",
    "lookup",
    "parse_candidate",
    "runnable_precisions",
    "store",
    "thread_counts",
]

#: CPU flags that decide whether bf16 is native (shown in BENCH lines and the cache key).
CPU_FLAGS = ("avx512f", "avx512_bf16", "amx_bf16", "amx_tile", "avx2")
#: oneDNN's settings that change which kernels run (``ONEDNN_MAX_CPU_ISA=AVX512_CORE`` on a CPU
#: with ``avx512_bf16`` gives the kernels of one without it: bf16 emulated, slower than fp32).
#: Set ones are part of the machine's description, hence of the cache key.
ONEDNN_SETTINGS = ("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "ONEDNN_DEFAULT_FPMATH_MODE")
#: A candidate is kept over fp32 only if at least this much faster (measurement noise).
MARGIN = 1.05
#: Layouts of the activations a run can use (``nn.models.Conv``).
MEMORY_FORMATS = ("contiguous", "channels_last")


@dataclass
class AutotuneResult:
    """What ``precision: auto`` chose, how, and the samples per second each candidate ran."""

    precision: str
    source: str  # "measured", "cache", "fixed" (given in the preset) or "only candidate"
    rates: dict[str, float] = field(default_factory=dict)
    device: str = ""
    key: str = ""
    memory_format: str = "contiguous"
    #: torch's CPU threads for the run where they were measured too (:func:`thread_counts`),
    #: with the chosen candidate's samples per second at each count; None: not measured
    threads: int | None = None
    thread_rates: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def cpu_description() -> dict[str, Any]:
    """The CPU's model name and the flags that matter for bf16, from /proc/cpuinfo, and the
    oneDNN settings of :data:`ONEDNN_SETTINGS` that are set in the environment."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                name, _, value = line.partition(":")
                name = name.strip()
                if name == "model name" and value.strip():
                    model = value.strip()
                elif name == "flags":
                    flags = set(value.split())
                if name == "" and flags:
                    break  # the first processor's block is enough
    except OSError:
        pass
    onednn = {name: os.environ[name] for name in ONEDNN_SETTINGS if os.environ.get(name)}
    return {"model": model, "flags": [f for f in CPU_FLAGS if f in flags], "onednn": onednn}


def describe_cpu() -> str:
    """One line: the CPU's model, its bf16-relevant flags and any oneDNN setting that changes
    its kernels, for BENCH lines, logs and the cache key."""
    cpu = cpu_description()
    line = f"CPU {cpu['model']} [{' '.join(cpu['flags']) or 'no avx512/bf16 flags'}]"
    if cpu["onednn"]:
        line += " with " + " ".join(f"{k}={v}" for k, v in sorted(cpu["onednn"].items()))
    return line


def describe_machine(device: torch.device) -> str:
    """:func:`describe_cpu`, or the GPU's name on CUDA."""
    if device.type == "cuda":
        return f"GPU {torch.cuda.get_device_name(device)}"
    return describe_cpu()


def runnable_precisions(device: torch.device) -> list[str]:
    """Candidates that run at all here: fp32 always, bf16 where autocast has kernels."""
    out = ["fp32"]
    if device.type == "cuda":
        if torch.cuda.is_bf16_supported():
            out.append("bf16")
    elif torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported():
        out.append("bf16")  # native or emulated: only a measurement tells
    return out


def candidate_name(precision: str, memory_format: str = "contiguous") -> str:
    """``fp32``, ``bf16``, ``fp32+channels_last`` ...: a precision and a memory format."""
    return precision if memory_format == "contiguous" else f"{precision}+{memory_format}"


def parse_candidate(name: str) -> tuple[str, str]:
    """(precision, memory format) of a candidate's name (:func:`candidate_name`)."""
    precision, _, memory_format = name.partition("+")
    return precision, memory_format or "contiguous"


def candidates(
    device: torch.device, precision: str = "auto", memory_format: str = "auto"
) -> list[str]:
    """What a run measures: every runnable precision where ``precision`` is "auto", times
    both layouts where ``memory_format`` is "auto"; a fixed setting is its only value."""
    precisions = runnable_precisions(device) if precision == "auto" else [precision]
    formats = list(MEMORY_FORMATS) if memory_format == "auto" else [memory_format]
    return [candidate_name(p, f) for p in precisions for f in formats]


def choose(rates: dict[str, float], margin: float = MARGIN) -> str:
    """The fastest candidate; plain fp32 unless another beats it by ``margin`` (noise)."""
    if not rates:
        raise ValueError("no candidate was measured")
    best = max(rates, key=rates.__getitem__)
    if "fp32" in rates and best != "fp32" and rates[best] < margin * rates["fp32"]:
        return "fp32"
    return best


def thread_counts(default: int) -> list[int]:
    """torch CPU thread counts a run measures: torch's default (one per core), then halves of
    it down to one, at most three counts (2 -> [2, 1]; 16 -> [16, 8, 4]). On a machine shared
    with other work, or with two hardware threads per core, fewer threads can be faster: a
    thread that waits on a descheduled sibling at every parallel region stalls the step."""
    counts = [max(1, int(default))]
    while counts[-1] > 1 and len(counts) < 3:
        counts.append(counts[-1] // 2)
    return counts


def choose_threads(rates: dict[str, float], default: int, margin: float = MARGIN) -> int:
    """The thread count (keys: counts as text) that ran fastest; ``default`` unless another
    beats it by ``margin`` (noise), as :func:`choose` keeps fp32."""
    if not rates:
        raise ValueError("no thread count was measured")
    best = max(rates, key=rates.__getitem__)
    base = rates.get(str(default))
    if base is not None and rates[best] < margin * base:
        return int(default)
    return int(best)


def cache_key(device: torch.device, shape: dict[str, Any], candidates: Iterable[str]) -> str:
    """The machine (CPU model and flags or GPU name, torch, threads) and the network shape."""
    machine = {
        "machine": describe_machine(device),
        "torch": torch.__version__,
        "threads": torch.get_num_threads() if device.type == "cpu" else None,
        "candidates": sorted(candidates),
    }
    text = json.dumps({**machine, "shape": shape}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def cache_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "seisgan" / "autotune.json"


def _read_cache(path: Path) -> dict[str, Any]:
    try:
        obj = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}  # absent or damaged: measure again (the file is only a cache)
    return obj if isinstance(obj, dict) else {}


def lookup(key: str, path: Path | None = None) -> AutotuneResult | None:
    """The cached result for ``key``, if a valid one is there."""
    entry = _read_cache(path or cache_path()).get(key)
    if not isinstance(entry, dict) or not isinstance(entry.get("rates"), dict):
        return None
    try:
        rates = {str(k): float(v) for k, v in entry["rates"].items()}
    except (TypeError, ValueError):
        return None
    if not rates:
        return None
    try:
        thread_rates = {str(int(k)): float(v) for k, v in entry.get("thread_rates", {}).items()}
    except (TypeError, ValueError, AttributeError):
        return None
    precision, memory_format = parse_candidate(choose(rates))
    threads = None
    if thread_rates:
        threads = choose_threads(thread_rates, max(int(k) for k in thread_rates))
    return AutotuneResult(
        precision=precision,
        source="cache",
        rates=rates,
        device=entry.get("device", ""),
        memory_format=memory_format,
        threads=threads,
        thread_rates=thread_rates,
    )


def store(key: str, result: AutotuneResult, path: Path | None = None) -> None:
    """Add ``result`` to the cache (written to a temporary file, then renamed)."""
    path = path or cache_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        cache = _read_cache(path)
        cache[key] = {"rates": result.rates, "device": result.device}
        if result.thread_rates:
            cache[key]["thread_rates"] = result.thread_rates
        atomic_write_json(path, cache)
    except OSError:
        pass  # a read-only home: the run keeps its choice, the next one measures again


def measure(
    candidates: Iterable[str], step: Callable[[str], float], repeats: int = 2
) -> dict[str, float]:
    """Samples per second of each candidate: ``step(candidate)`` runs one full step and
    returns (samples, seconds); a warm-up step of each, then ``repeats`` rounds over all of
    them, the fastest step of each. Rounds, not one candidate after another: the first steps
    of a process run slower for a while (allocator, caches; the first candidate measured
    read 15-20 % slow on the demo preset), which would count against whichever came first."""
    names = list(candidates)
    for name in names:
        step(name)  # warm-up: oneDNN primitive creation, allocator
    rates = {name: 0.0 for name in names}
    for _ in range(repeats):
        for name in names:
            rates[name] = max(rates[name], _rate(step(name)))
    return rates


def _rate(result: Any) -> float:
    samples, seconds = result
    return float(samples) / max(float(seconds), 1e-9)

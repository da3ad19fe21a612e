"""Complete checkpoints, written atomically and read with ``weights_only=True``.

A checkpoint holds everything needed to continue a run bit for bit: the three networks, their
optimisers, the (bf16: disabled) gradient scaler, every random-number-generator state, the
position in the run (epoch and batch), the metric accumulators of a half-done epoch and the
run's configuration. It is written to a temporary file in the same folder, flushed to disk and
renamed over the old one, so a kill at any moment leaves either the old or the new file.
"""

from __future__ import annotations

import pickle
import random
import zipfile
from pathlib import Path
from typing import Any

import torch

from seisgan_core.fsutil import atomic_write
from seisgan_core.io.errors import FormatError

__all__ = [
    "CheckpointError",
    "capture_rng_state",
    "load_checkpoint",
    "restore_rng_state",
    "save_checkpoint",
]

CHECKPOINT_FORMAT = 1


class CheckpointError(FormatError):
    """A checkpoint file is truncated, damaged or not one of ours."""


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` atomically (temporary file in the same folder, fsync, rename)."""
    try:
        with atomic_write(path, "wb") as fh:
            torch.save({"format": CHECKPOINT_FORMAT, **state}, fh)
    except RuntimeError as exc:
        # torch's zip writer turns a failed write (ENOSPC) into a RuntimeError while closing;
        # report the OSError underneath, naming the file
        if isinstance(exc.__context__, OSError):
            cause = exc.__context__
            raise OSError(cause.errno, cause.strerror or str(cause), str(path)) from exc
        raise


# torch.save writes every tensor as a stored (uncompressed) zip member, so what a member
# inflates to can exceed its bytes in the file only by the zip's own bookkeeping
_STORED_SLACK_BYTES = 64 * 1024


def _check_declared_sizes(path: Path, size: int) -> None:
    """Refuse a checkpoint whose members would inflate beyond their bytes on disk (a deflated
    tensor of zeros can claim gigabytes from a few kilobytes) before torch allocates them."""
    if not zipfile.is_zipfile(path):
        return  # torch's legacy format, or damage: torch.load reports it below
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    total = sum(info.file_size for info in infos)
    for info in infos:
        if info.file_size > info.compress_size + _STORED_SLACK_BYTES:
            raise CheckpointError(
                path,
                None,
                "tensors stored uncompressed, as torch.save writes them (inflated-size bound)",
                f"member {info.filename!r} inflating {info.compress_size} bytes to "
                f"{info.file_size}",
            )
    if total > size + _STORED_SLACK_BYTES:
        raise CheckpointError(
            path,
            None,
            f"members totalling at most the file's {size} bytes (inflated-size bound)",
            f"{total} bytes declared",
        )


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint with ``weights_only=True``; a damaged file raises CheckpointError."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, None, "a checkpoint file", "no such file")
    size = path.stat().st_size
    _check_declared_sizes(path, size)
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        if "weights only" not in str(exc).lower():
            raise CheckpointError(
                path, None, "a complete PyTorch checkpoint", f"a damaged pickle ({exc})"
            ) from exc
        # weights_only=True loads tensors and plain containers only; anything else in the
        # pickle (a class, a function call) could run code, so the file is refused unread
        first = str(exc).strip().splitlines()
        detail = next((line for line in first if "GLOBAL" in line or "Unsupported" in line), "")
        detail = detail.split(" Please")[0].strip()[:160]
        raise CheckpointError(
            path,
            None,
            "tensors and plain containers (loaded with weights_only=True)",
            f"a pickle of arbitrary Python objects, refused unread ({detail})",
        ) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError) as exc:
        raise CheckpointError(
            path,
            None,
            "a complete PyTorch checkpoint",
            f"a truncated or damaged file of {size} bytes ({str(exc).splitlines()[0]})",
        ) from exc
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        found = state.get("format") if isinstance(state, dict) else type(state).__name__
        raise CheckpointError(
            path, None, f"a SeisGAN checkpoint of format {CHECKPOINT_FORMAT}", repr(found)
        )
    for key in ("generator", "critic", "amplitude_head", "epoch", "hyperparameters"):
        if key not in state:
            raise CheckpointError(path, None, "a complete checkpoint", "missing", field=key)
    return state


def capture_rng_state(noise: torch.Generator | None = None) -> dict[str, Any]:
    """Every RNG the run uses, in types ``weights_only`` loading accepts.

    The trainer draws from torch only (its own noise generator for latent vectors and
    interpolation weights; numpy is used through locally seeded ``default_rng`` objects), so the
    torch, CUDA and Python states plus the noise generator's are the whole of it.
    """
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "python": random.getstate(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }
    if noise is not None:
        state["noise"] = noise.get_state()
    return state


def restore_rng_state(state: dict[str, Any], noise: torch.Generator | None = None) -> None:
    torch.set_rng_state(state["torch"])
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    if state.get("cuda") and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    if noise is not None and "noise" in state:
        noise.set_state(state["noise"])

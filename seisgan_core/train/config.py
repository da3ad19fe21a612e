"""The trainer's hyperparameters: one keyword-only dataclass, saved whole with every run."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seisgan_core.errors import ConfigError
from seisgan_core.io.errors import FormatError
from seisgan_core.nn.presets import CONDITION_NAMES, PRESETS, get_preset

__all__ = ["Hyperparameters", "load_preset"]

_TUPLE_FIELDS = (
    "betas",
    "conditions",
    "gen_widths",
    "critic_widths",
    "gen_bandpass_hz",
    "gen_highpass_mw",
)


#: What runs saved before a key existed did, for keys whose default is not that.
_BEFORE_THE_KEY_EXISTED: dict[str, Any] = {"gp_fraction": 1.0}


@dataclass(kw_only=True)
class Hyperparameters:
    """Everything that decides a training run. Presets (``nn/presets.py``) fill it in."""

    epochs: int = 100
    batch_size: int = 32
    lr_generator: float = 5e-5
    lr_critic: float = 5e-5
    lr_amplitude: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.9)
    n_critic: int = 5
    gp_lambda: float = 10.0
    # lazy regularisation (Karras et al. 2020, StyleGAN2, sec. 3.1 / appendix B): the gradient
    # penalty on every k-th critic step only, weighted by k so its mean weight stays
    # gp_lambda; 1 is Gulrajani et al.'s penalty on every step
    gp_every: int = 1
    # the penalty on the interpolates of this share of each batch (the first
    # round(gp_fraction x batch_size), at least one; the batch is a random draw): an unbiased
    # estimate of the same expectation at a fraction of the double backward's cost, as
    # StyleGAN2's path-length regulariser on half the batch (pl_batch_shrink = 2); 1 is
    # Gulrajani et al.'s penalty on the whole batch (the study's presets); runs saved before
    # this key existed used 1 (from_saved)
    gp_fraction: float = 0.5
    latent_dim: int = 800
    # any subset of CONDITION_NAMES, in that order; () is the study's unconditional model
    conditions: tuple[str, ...] = ()
    # architecture (see seisgan_core.nn.models)
    gen_widths: tuple[int, ...] = (32, 32, 32, 24, 24, 16, 16)
    gen_kernel: int = 9
    # "nearest" (the study's) or "sinc": how the generator's blocks double the sampling rate
    gen_upsample: str = "nearest"
    # how the generator's convolutions pad the window's ends: zeros (the study's), replicate
    # or reflect
    gen_padding: str = "zeros"
    # the generator's last layer: a zero-phase Butterworth band-pass (low, high) Hz as the data
    # were processed with; () leaves the output unfiltered (the study's)
    gen_bandpass_hz: tuple[float, ...] = ()
    # (Mw, corner Hz): scenarios of at least this Mw get this high-pass corner instead
    gen_highpass_mw: tuple[float, ...] = ()
    critic_widths: tuple[int, ...] = (16, 32, 64, 64, 128, 128)
    critic_stride: int = 2
    critic_kernel: int = 9
    cutoff_hz: float = 5.0
    condition_width: int = 8
    # stride-4 layers of the critic's whole-window score (0: the study's patch critic only)
    critic_global_layers: int = 0
    # a third critic branch on the band at or below this frequency (0: the study's two branches)
    critic_vlow_hz: float = 0.0
    # minibatch standard deviation over groups of this many samples in the critic (0: none)
    critic_minibatch_std: int = 0
    # what each epoch records
    samples_per_epoch: int = 6  # 6 x 3 x 8000 float16 = 288 kB: 500 epochs = 144 MB
    stats_batch: int = 64  # generated and real records for the study's statistics
    val_max_records: int = 128  # validation records scored per epoch (best.pt)
    checkpoint_every: int = 10  # epoch_NNNN.pt every k epochs; 0 = only last.pt and best.pt
    # "auto": the faster of fp32 and bf16 autocast, measured at the start of a run
    precision: str = "auto"
    # the networks' activations in memory: "contiguous" (N, C, T), "channels_last" (time-major,
    # oneDNN's faster kernels on many CPUs) or "auto" (measured with the precision); the
    # weights and the results are the same either way
    memory_format: str = "auto"
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)  # free-form notes (e.g. tune trial)

    def __post_init__(self) -> None:
        for name in _TUPLE_FIELDS:
            setattr(self, name, tuple(getattr(self, name)))
        unknown = [c for c in self.conditions if c not in CONDITION_NAMES]
        if unknown:
            raise ConfigError(f"unknown conditions {unknown}; known: {list(CONDITION_NAMES)}")
        # keep the canonical order so a model's inputs do not depend on how they were listed
        self.conditions = tuple(c for c in CONDITION_NAMES if c in self.conditions)
        if self.gen_upsample not in ("nearest", "sinc"):
            raise ConfigError(f"gen_upsample must be nearest or sinc, not {self.gen_upsample!r}")
        if self.gen_padding not in ("zeros", "replicate", "reflect"):
            raise ConfigError(
                f"gen_padding must be zeros, replicate or reflect, not {self.gen_padding!r}"
            )
        low_high = self.gen_bandpass_hz
        if low_high and not (len(low_high) == 2 and 0 < low_high[0] < low_high[1]):
            raise ConfigError(
                f"gen_bandpass_hz must be (low, high) Hz with 0 < low < high, not {low_high}"
            )
        if self.gen_highpass_mw and len(self.gen_highpass_mw) != 2:
            raise ConfigError(
                f"gen_highpass_mw must be (Mw, corner Hz), not {self.gen_highpass_mw}"
            )
        if self.critic_minibatch_std < 0:
            raise ConfigError(
                f"critic_minibatch_std must be at least 0, not {self.critic_minibatch_std}"
            )
        if self.gen_highpass_mw and "mw" not in self.conditions:
            raise ConfigError("gen_highpass_mw needs mw among the conditions")
        if self.precision not in ("auto", "bf16", "fp32"):
            raise ConfigError(f"precision must be auto, bf16 or fp32, not {self.precision!r}")
        if self.memory_format not in ("auto", "contiguous", "channels_last"):
            raise ConfigError(
                "memory_format must be auto, contiguous or channels_last, "
                f"not {self.memory_format!r}"
            )
        if not 0.0 < self.gp_fraction <= 1.0:
            raise ConfigError(
                f"gp_fraction must be in (0, 1], a share of the batch, not {self.gp_fraction}"
            )
        names = ("epochs", "batch_size", "n_critic", "gp_every", "latent_dim", "samples_per_epoch")
        for name in names:
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, not {getattr(self, name)}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Hyperparameters:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown hyperparameters {unknown}; known: {sorted(known)}")
        return cls(**values)

    @classmethod
    def from_saved(cls, values: dict[str, Any]) -> Hyperparameters:
        """The hyperparameters a saved run (config.json, a checkpoint) was trained with:
        :meth:`from_dict`, where a key added since, whose default changed the training, takes
        the value that run's code used (``gp_fraction``: the whole batch)."""
        return cls.from_dict({**_BEFORE_THE_KEY_EXISTED, **values})

    def replace(self, **changes: Any) -> Hyperparameters:
        return dataclasses.replace(self, **changes)

    def prefixed(self, prefix: str, **renames: str) -> dict[str, Any]:
        """The fields named ``prefix...`` keyed by the rest of their name (renamed where
        ``renames`` says): one network's settings as its class takes them, e.g.
        ``Generator(**hp.prefixed("gen_"), ...)``."""
        out = {}
        for f in dataclasses.fields(self):
            if f.name.startswith(prefix):
                key = f.name.removeprefix(prefix)
                out[renames.get(key, key)] = getattr(self, f.name)
        return out


def load_preset(name_or_path: str | Path) -> tuple[str, Hyperparameters]:
    """A named preset, or a preset JSON file (as ``seisgan tune`` writes), as hyperparameters.

    A file holds either the hyperparameters themselves, or ``{"base": NAME,
    "hyperparameters": {...}}`` where the given values override the named preset's.
    """
    text = str(name_or_path)
    if text in PRESETS:
        return text, Hyperparameters.from_dict(get_preset(text))
    path = Path(text)
    if not path.is_file():
        raise FormatError(
            path, None, f"a preset name ({', '.join(PRESETS)}) or a preset JSON file", "neither"
        )
    try:
        obj = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise FormatError(path, line, "a JSON object", f"invalid JSON ({exc})") from exc
    if not isinstance(obj, dict):
        raise FormatError(path, 1, "a JSON object", type(obj).__name__)
    values = obj.get("hyperparameters", obj)
    if not isinstance(values, dict):
        raise FormatError(path, None, "an object", type(values).__name__, field="hyperparameters")
    base = obj.get("base")
    merged: dict[str, Any] = {}
    if base is not None:
        if base not in PRESETS:
            raise FormatError(path, None, f"one of {list(PRESETS)}", repr(base), field="base")
        merged = get_preset(base)
    merged.update(values)
    try:
        hp = Hyperparameters.from_dict(merged)
    except (TypeError, ValueError) as exc:
        raise FormatError(path, None, "valid hyperparameters", str(exc)) from exc
    return obj.get("name", path.stem), hp

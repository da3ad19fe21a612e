"""The preparation's choices and their defaults, in one place: :class:`PrepareConfig`.

The ``seisgan prepare`` arguments (``commands/prepare.py``), the app's Prepare form, the command
line ``appstate.prepare_argv`` writes, ``prepare()``'s keywords and the manifest's ``steps``
are all built from this dataclass (the record selection's bounds have theirs in
``catalog.Selection``). Standard library only, so the CLI and the app import it cheaply.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from seisgan_core.errors import ConfigError

__all__ = ["ALIGNS", "MODES", "SELECTION_OPTIONS", "PrepareConfig"]

MODES = ("window", "study")
ALIGNS = ("strong_motion", "p_onset", "start")
SAMPLING_RATE_HZ = 200.0
NPTS = 8000
#: The P picker's settings (ObsPy's recursive STA/LTA), as ``process_waveform`` names them.
PICKER_FIELDS = ("sta_s", "lta_s", "trigger_on", "trigger_off")

# What each field means, for the CLI's help and the app's labels.
HELP = {
    "mode": "window: a 40 s window of every record; study: only records <= 40 s, as the study",
    "align": "where the window starts: strong_motion (from pre_event_s before the P onset, "
    "moved to hold both horizontals' PGA), p_onset, or start (the record's first sample)",
    "pre_event_s": "seconds before the P onset (strong_motion and p_onset)",
    "pga_margin_s": "strong_motion: the horizontals' PGA at least this far inside the window",
    "split_fractions": "train, val, test shares",
    "cluster_km": "events closer than this (km) and cluster_days stay in one split",
    "cluster_days": "events closer than this (days) and cluster_km stay in one split",
    "seed": "seed of the split",
    "include_noise": "prepare the noise windows too",
    "sta_s": "STA length of the P picker (s)",
    "lta_s": "LTA length of the P picker (s)",
    "trigger_on": "STA/LTA trigger-on level",
    "trigger_off": "STA/LTA trigger-off level",
}


@dataclass(frozen=True)
class PrepareConfig:
    """Every choice of ``prepare`` but the record selection, with its default."""

    mode: str = "window"
    align: str = "strong_motion"
    pre_event_s: float = 5.0
    pga_margin_s: float = 1.0
    split_fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)
    cluster_km: float = 10.0
    cluster_days: float = 30.0
    seed: int = 0
    include_noise: bool = True
    # ObsPy's recursive STA/LTA on the vertical (Withers et al. 1998). The LTA is short (2 s):
    # triggered strong-motion records often keep only a few seconds before the P wave.
    sta_s: float = 0.2
    lta_s: float = 2.0
    trigger_on: float = 4.0
    trigger_off: float = 1.5

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"mode: expected one of {', '.join(MODES)}, found {self.mode!r}")
        if self.align not in ALIGNS:
            raise ConfigError(f"align: expected one of {', '.join(ALIGNS)}, found {self.align!r}")
        if self.mode == "study" and self.align == ALIGNS[0]:
            # Study mode keeps whole records from their start: the default placement does
            # not apply (an explicit p_onset is refused below).
            object.__setattr__(self, "align", "start")
        if self.mode == "study" and self.align != "start":
            raise ConfigError("study mode keeps whole records: align must be 'start'")
        fractions = tuple(float(f) for f in self.split_fractions)
        if len(fractions) != 3 or min(fractions) < 0 or not math.isclose(sum(fractions), 1.0):
            raise ConfigError(
                f"split_fractions: expected three non-negative shares with a sum of 1, "
                f"found {self.split_fractions!r}"
            )
        object.__setattr__(self, "split_fractions", fractions)
        for name in ("pre_event_s", "pga_margin_s", "cluster_km", "cluster_days"):
            if not getattr(self, name) >= 0:
                raise ConfigError(f"{name}: expected a number >= 0, found {getattr(self, name)!r}")
        if not 0 < self.sta_s < self.lta_s:
            raise ConfigError(
                f"sta_s, lta_s: expected 0 < sta < lta, found {self.sta_s}, {self.lta_s}"
            )

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["split_fractions"] = list(self.split_fractions)
        return out

    def picker(self) -> dict[str, float]:
        """The STA/LTA settings, as ``process_waveform`` takes them."""
        return self._values(PICKER_FIELDS)

    def process_options(self) -> dict[str, Any]:
        """The keywords of ``process_waveform`` for the records."""
        return self._values(("align", "pre_event_s", "pga_margin_s", *PICKER_FIELDS))

    def _values(self, names: tuple[str, ...]) -> dict[str, Any]:
        return {name: getattr(self, name) for name in names}

    def steps(self, selection: dict[str, Any]) -> list[dict[str, Any]]:
        """The manifest's ``steps``: what was done, with every setting used."""
        window = NPTS / SAMPLING_RATE_HZ
        placement = {
            "start": "from the record's first sample",
            "p_onset": f"from {self.pre_event_s:g} s before the P onset (record start if none)",
            "strong_motion": (
                f"from {self.pre_event_s:g} s before the P onset (record start if none), moved "
                f"as little as needed to hold both horizontals' PGA at least "
                f"{self.pga_margin_s:g} s inside; records whose PGAs cannot both fit are "
                "listed under window_notes"
            ),
        }[self.align]
        return [
            {"step": "read", "function": "seisgan_core.catalog.read_records"},
            {"step": "select", "selection": selection},
            {
                "step": "resample",
                "function": "scipy.signal.resample_poly",
                "target_hz": SAMPLING_RATE_HZ,
                "window": "('kaiser', 5.0)",
            },
            {
                "step": "p onset",
                "function": "obspy.signal.trigger.recursive_sta_lta + trigger_onset",
                **self.picker(),
                "component": "Z",
                "used": self.align != "start",
            },
            {
                "step": "length filter" if self.mode == "study" else "window",
                "mode": self.mode,
                "align": self.align,
                "placement": placement,
                "pre_event_s": self.pre_event_s if self.align != "start" else None,
                "pga_margin_s": self.pga_margin_s if self.align == "strong_motion" else None,
                "window_s": window,
                "npts": NPTS,
                "short_records": "zero-padded at the end, never stretched",
            },
            {"step": "components", "order": "E, N, Z (1/2 or 2/3 horizontals as E, N)"},
            {
                "step": "normalise",
                "method": f"z-score per component over the {NPTS}-sample window",
                "undo": "x_cm_s2 = x * std_<c> + mean_<c>",
                "dtype": "float32",
            },
            {
                "step": "split",
                "function": "seisgan_core.split.assign_splits",
                "fractions": list(self.split_fractions),
                "cluster_km": self.cluster_km,
                "cluster_days": self.cluster_days,
                "seed": self.seed,
                "stratified_by": "cluster's largest Mw",
                "held_out_bins": "every Mw bin with >= 3 clusters has one in val and one in test",
            },
        ]

    def argv(self) -> list[str]:
        """The ``seisgan prepare`` options that give this config (every field, explicitly)."""
        out = ["--mode", self.mode, "--align", self.align]
        out += ["--pre-event", f"{self.pre_event_s:g}", "--pga-margin", f"{self.pga_margin_s:g}"]
        out += ["--split", ",".join(f"{f:g}" for f in self.split_fractions)]
        out += ["--cluster-km", f"{self.cluster_km:g}", "--cluster-days", f"{self.cluster_days:g}"]
        out += ["--seed", str(int(self.seed))]
        out += ["--sta", f"{self.sta_s:g}", "--lta", f"{self.lta_s:g}"]
        out += ["--trigger-on", f"{self.trigger_on:g}", "--trigger-off", f"{self.trigger_off:g}"]
        if not self.include_noise:
            out.append("--no-noise")
        return out

    @classmethod
    def add_arguments(cls, parser) -> None:
        """Add the options of :meth:`argv` to an argparse parser, defaults from this class."""
        d = cls()
        parser.add_argument("--mode", choices=MODES, default=d.mode, help=HELP["mode"])
        parser.add_argument("--align", choices=ALIGNS, default=d.align, help=HELP["align"])
        for flag, name in (
            ("--pre-event", "pre_event_s"),
            ("--pga-margin", "pga_margin_s"),
            ("--cluster-km", "cluster_km"),
            ("--cluster-days", "cluster_days"),
            ("--sta", "sta_s"),
            ("--lta", "lta_s"),
            ("--trigger-on", "trigger_on"),
            ("--trigger-off", "trigger_off"),
        ):
            default = getattr(d, name)
            parser.add_argument(
                flag, dest=name, type=float, default=default, help=f"{HELP[name]} ({default:g})"
            )
        split_default = ",".join(f"{f:g}" for f in d.split_fractions)
        parser.add_argument(
            "--split", default=split_default, help=f"{HELP['split_fractions']} ({split_default})"
        )
        parser.add_argument("--seed", type=int, default=d.seed, help=f"{HELP['seed']} ({d.seed})")
        parser.add_argument("--no-noise", action="store_true", help="leave out noise windows")

    @classmethod
    def from_args(cls, args) -> PrepareConfig:
        """The config an argparse namespace of :meth:`add_arguments` holds."""
        try:
            fractions = tuple(float(x) for x in str(args.split).split(","))
        except ValueError:
            raise ConfigError(f"--split: expected three numbers, found {args.split!r}") from None
        values = {name: getattr(args, name) for name in cls.field_names() if hasattr(args, name)}
        values["split_fractions"] = fractions
        values["include_noise"] = not args.no_noise
        return cls(**values)


# The selection's options, one table for the `seisgan prepare` flags and the app's command
# line: (flag, catalog.Selection field, type, help). Not given: Selection's default.
SELECTION_OPTIONS = (
    ("--mw-min", "mw_min", float, "Mw > this (default: the study's, 4.0)"),
    ("--mw-max", "mw_max", float, "Mw <= this"),
    ("--depth-max", "depth_max_km", float, "depth < this, km (default: the study's, 50)"),
    ("--distance-max", "distance_max_km", float, "distance <= this, km"),
    ("--distance-min", "distance_min_km", float, "distance >= this, km"),
    ("--networks", "networks", str, "comma-separated network codes"),
    ("--ec8", "ec8_classes", str, "comma-separated EC8 classes, e.g. A,B"),
)

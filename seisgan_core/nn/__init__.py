"""Generator, critic and presets. Imports nothing else of ours."""

from seisgan_core.nn.models import AmplitudeHead, ConditionNormaliser, Critic, GenBlock, Generator
from seisgan_core.nn.presets import CONDITION_NAMES, PRESETS, get_preset, preset_names

__all__ = [
    "CONDITION_NAMES",
    "PRESETS",
    "AmplitudeHead",
    "ConditionNormaliser",
    "Critic",
    "GenBlock",
    "Generator",
    "get_preset",
    "preset_names",
]

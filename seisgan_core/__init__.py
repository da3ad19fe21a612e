"""SeisGAN Studio's library: read ITACA/ESM data, prepare it, train a WGAN-GP, evaluate it.

The names a notebook user wants are exported here and imported lazily, so that
``import seisgan_core`` stays cheap (no torch, no obspy until they are used).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it. `prepare` and `evaluate` are also the names of a
# module and a package; those are callable and run the function (see `_callable.py`).
_EXPORTS = {
    "read_records": "seisgan_core.catalog",
    "Catalog": "seisgan_core.catalog",
    "prepare": "seisgan_core.prepare",
    "Trainer": "seisgan_core.train.trainer",
    "load_run": "seisgan_core.train.runs",
    "evaluate": "seisgan_core.evaluate.panel",
}
_MODULE_NAMES = {"prepare", "evaluate"}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'seisgan_core' has no attribute {name!r}")
    if name in _MODULE_NAMES:
        return importlib.import_module(f"seisgan_core.{name}")
    return getattr(importlib.import_module(module), name)

"""SeisGAN Studio's library: read ITACA/ESM data, prepare it, train a WGAN-GP, evaluate it.

The names a notebook user wants are exported here::

    from seisgan_core import Catalog, Trainer, evaluate, load_run, prepare, read_records

They are attached with ``lazy_loader`` (as scikit-image and NetworkX do), so that
``import seisgan_core`` stays cheap (no torch, no obspy until a name is used). No module
shares its name with a function: ``prepare`` lives in :mod:`seisgan_core.preparation`,
``evaluate`` in :mod:`seisgan_core.evaluation.panel`.
"""

from __future__ import annotations

import lazy_loader

__version__ = "0.1.0"

__getattr__, __dir__, _exported = lazy_loader.attach(
    __name__,
    submod_attrs={
        "catalog": ["Catalog", "read_records"],
        "preparation": ["prepare"],
        "train.trainer": ["Trainer"],
        "train.runs": ["load_run"],
        "evaluation.panel": ["evaluate"],
    },
)

__all__ = ["__version__", *_exported]

"""Shared fixtures: a tiny prepared set (seisgan_testsupport.prepared_set), one torch thread.

The tiny hyperparameters are in seisgan_testsupport.tiny_training."""

from __future__ import annotations

from pathlib import Path

import pytest

from seisgan_testsupport.prepared_set import make_prepared_set


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tiny networks run faster on one thread, and the test machine is shared."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def prepared(tmp_path_factory) -> Path:
    """48 records of 512 samples (38 train, 10 val)."""
    return make_prepared_set(tmp_path_factory.mktemp("prepared"), n=48, length=512, seed=1)

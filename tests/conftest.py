"""Settings for the whole suite.

The suite runs on pytest-xdist's workers (pyproject.toml: ``-n auto --dist loadfile``): on
one core a test leaves the other idle most of the time (the whole suite used 1.0 core of 2 in
session 9's measurement). A file's tests run in order on one worker; the files that share a
session fixture run on one worker together (seisgan_testsupport.xdist_groups).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from seisgan_testsupport.xdist_groups import make_scheduler


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile`` with the shared groups of seisgan_testsupport.xdist_groups joined;
    any other ``--dist`` is xdist's own (tryfirst: xdist's answers for every mode)."""
    if config.getvalue("dist") == "loadfile":
        return make_scheduler(config, log)
    return None


@pytest.fixture(autouse=True, scope="session")
def _own_cache_folder(tmp_path_factory):
    """`precision: auto` caches what it measured under $XDG_CACHE_HOME/seisgan: the tests (and
    the training subprocesses they start, which inherit the environment) use a folder of their
    own, never the user's cache."""
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if old is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = old


@pytest.fixture(scope="session")
def default_demo_archive(tmp_path_factory) -> Path:
    """The default demo archive (``seisgan demo``: seed 0, 1,300 records, 200 noise windows),
    built once for the tests that need an archive of the shipped size (about 30 s on 2 cores).
    Read only: each test prepares or writes into a folder of its own."""
    from seisgan_core.demo import build_demo_archive

    out = tmp_path_factory.mktemp("default-demo") / "demo"
    build_demo_archive(out)
    return out

"""Settings for the whole suite.

The suite runs on pytest-xdist's workers (pyproject.toml: ``-n auto --dist loadgroup``): on
one core a test leaves the other idle most of the time (the whole suite used 1.0 core of 2 in
session 9's measurement). :func:`pytest_collection_modifyitems` puts each file in a group of
its own, so that a file's tests run in order on one worker and its module fixtures are built
once; files that share a session fixture go in one group (seisgan_testsupport.xdist_groups).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from seisgan_testsupport.xdist_groups import group_of


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Every test in an xdist group: its file's, or the shared one of
    ``seisgan_testsupport.xdist_groups`` (``--dist loadgroup`` sends a group to one worker
    whole). First among the hooks: xdist's own turns the marks into the groups, so it must
    find them there."""
    for item in items:
        item.add_marker(pytest.mark.xdist_group(group_of(item.nodeid)))


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

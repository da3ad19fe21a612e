"""pyrotd, the reference implementation of PSA and RotD50, for the tests and the benchmark.

pyrotd is a test-only dependency (requirements-dev.txt): the project computes response
spectra itself (seisgan_core.evaluation.response) and checks them against pyrotd here.
"""

from __future__ import annotations

import importlib.metadata
import sys
import types


def load_pyrotd():
    """Import pyrotd on any setuptools.

    pyrotd 0.6.1 reads its version through ``pkg_resources``, which setuptools 81+ no longer
    ships; where it is missing we register a module offering the one function pyrotd calls,
    backed by ``importlib.metadata``. pyrotd's process pool is turned off (one process), so
    results and timings do not depend on the machine's core count.
    """
    try:
        import pyrotd
    except ModuleNotFoundError as exc:
        if exc.name != "pkg_resources":
            raise
        shim = types.ModuleType("pkg_resources")
        shim.get_distribution = importlib.metadata.distribution  # .version, as pyrotd reads
        sys.modules["pkg_resources"] = shim
        import pyrotd
    pyrotd.processes = 1
    return pyrotd

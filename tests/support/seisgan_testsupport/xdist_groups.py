"""How the suite's files are dealt to pytest-xdist's workers (tests/conftest.py).

Every file is a unit of its own, as ``--dist loadfile`` makes it (its tests in order on one
worker, its module fixtures built once), except the files of :data:`SHARED_GROUPS`, which go
to one worker together because they share a session fixture. A scheduler of our own
(:func:`make_scheduler`, which tests/conftest.py returns from xdist's
``pytest_xdist_make_scheduler`` hook) rather than ``xdist_group`` marks with ``--dist
loadgroup``: xdist passes a mark's group to its scheduler by rewriting the test's node id,
which pytest 9.2 no longer lets it do (pytest-xdist issue 1386), and the groups were silently
ignored.
"""

from __future__ import annotations

#: File -> group, for files whose tests run on one worker together, in collection order: the
#: browser tests share one `streamlit run` and one chromium (:mod:`seisgan_testsupport.browser`);
#: the preparation and scorecard tests share the default demo archive (tests/conftest.py's
#: ``default_demo_archive``). Paths from the project root, as pytest's node ids give them.
SHARED_GROUPS = {
    "tests/e2e/test_browser.py": "browser",
    "tests/e2e/test_load.py": "browser",
    "tests/test_prepare.py": "default-demo",
    "tests/evaluate/test_scorecard.py": "default-demo",
}


def group_of(nodeid: str) -> str:
    """The unit a test is dealt in: its file's shared group, else its file (the node id's
    path)."""
    path = nodeid.split("::", 1)[0]
    return SHARED_GROUPS.get(path, path)


def make_scheduler(config, log):
    """xdist's scheduler for ``--dist loadfile`` with :data:`SHARED_GROUPS` joined: whole
    units, in collection order within each, a unit to whichever worker is free."""
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    return GroupScheduling(config, log)

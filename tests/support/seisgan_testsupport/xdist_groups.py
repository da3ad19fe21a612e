"""The xdist groups of the suite that hold more than one file (tests/conftest.py gives every
other file a group of its own: ``--dist loadgroup`` runs a group's tests in order on one
worker)."""

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
    """The xdist group of a test: its file's shared group, else its file (the node id's path)."""
    path = nodeid.split("::", 1)[0]
    return SHARED_GROUPS.get(path, path)

"""The suite's xdist groups (tests/conftest.py): files that share a worker stay together."""

from __future__ import annotations

from pathlib import Path

from seisgan_testsupport.xdist_groups import SHARED_GROUPS, group_of

ROOT = Path(__file__).resolve().parents[1]


def test_every_shared_file_exists():
    # a renamed file would silently leave its group, and its tests would meet another
    # worker's copy of the session fixtures they share
    for path in SHARED_GROUPS:
        assert (ROOT / path).is_file(), path


def test_files_sharing_a_fixture_share_a_group_and_others_keep_their_own():
    browser = {
        group_of("tests/e2e/test_browser.py::test_page_loads_clean_and_offline[home]"),
        group_of(
            "tests/e2e/test_browser.py::test_compare_draws_the_panel_of_the_run_trained_above"
        ),
        group_of("tests/e2e/test_load.py::test_ten_sessions_render_every_page_clean_and_offline"),
    }
    assert browser == {"browser"}
    assert group_of("tests/test_prepare.py::test_x") == "default-demo"
    assert group_of("tests/evaluate/test_scorecard.py::test_y[a::b]") == "default-demo"
    assert group_of("tests/io/test_asdf.py::test_z") == "tests/io/test_asdf.py"
    assert group_of("tests/io/test_asdf.py::TestA::test_z") == "tests/io/test_asdf.py"


def test_this_test_runs_in_its_files_group(request):
    mark = request.node.get_closest_marker("xdist_group")
    assert mark is not None and mark.args == ("tests/test_suite_groups.py",)
    if hasattr(request.config, "workerinput") and request.config.getvalue("loadgroup"):
        # on an xdist worker (--dist loadgroup, as pyproject.toml's addopts): xdist turned the
        # mark into the group, which it does only if conftest's hook ran before its own
        assert request.node.nodeid.endswith("@tests/test_suite_groups.py"), request.node.nodeid

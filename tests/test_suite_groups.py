"""The suite's xdist units (tests/conftest.py): files that share a worker stay together."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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
        group_of("tests/e2e/test_load.py::test_ten_sessions_render_every_page_clean_and_offline"),
    }
    assert browser == {"browser"}
    assert group_of("tests/test_prepare.py::test_x") == "default-demo"
    assert group_of("tests/evaluate/test_scorecard.py::test_y[a::b]") == "default-demo"
    assert group_of("tests/io/test_asdf.py::test_z") == "tests/io/test_asdf.py"
    assert group_of("tests/io/test_asdf.py::TestA::test_z") == "tests/io/test_asdf.py"


_RECORDING_TEST = """
import os, time

def test_{i}():
    time.sleep(0.2)
    with open(os.environ["UNITS_LOG"], "a") as log:
        log.write("{name} {i} " + os.environ.get("PYTEST_XDIST_WORKER", "main") + "\\n")
"""


def test_the_browser_files_run_on_one_worker_in_order(tmp_path):
    """The suite's conftest on two workers: the two browser files (a unit each under plain
    ``--dist loadfile``, dealt to both workers) run on one worker, in collection order."""
    tree = tmp_path / "tree"
    (tree / "tests" / "e2e").mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "conftest.py", tree / "tests" / "conftest.py")
    (tree / "pytest.ini").write_text("[pytest]\n")
    files = ["tests/e2e/test_browser.py", "tests/e2e/test_load.py", "tests/test_a.py",
             "tests/test_b.py"]  # fmt: skip
    for name in files:
        body = "".join(_RECORDING_TEST.format(i=i, name=name) for i in range(3))
        (tree / name).write_text(body)
    log = tmp_path / "units.log"
    env = dict(os.environ, UNITS_LOG=str(log), PYTHONPATH=str(ROOT / "tests" / "support"))
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadfile",
         "-p", "no:cacheprovider", "-p", "no:benchmark", "tests"],
        cwd=tree, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    runs = [line.split() for line in log.read_text().splitlines()]
    assert len(runs) == 12
    browser = [(name, int(i), worker) for name, i, worker in runs if "/e2e/" in name]
    assert len({worker for *_, worker in browser}) == 1, browser
    assert [(name, i) for name, i, _ in browser] == [
        (name, i) for name in files[:2] for i in range(3)
    ]

"""The names a notebook user wants are exported from seisgan_core with plain imports."""

import subprocess
import sys
from pathlib import Path

import pytest

import seisgan_core

PUBLIC = {
    "read_records": "seisgan_core.catalog",
    "Catalog": "seisgan_core.catalog",
    "prepare": "seisgan_core.preparation",
    "Trainer": "seisgan_core.train.trainer",
    "load_run": "seisgan_core.train.runs",
    "evaluate": "seisgan_core.evaluation.panel",
}
PACKAGE_DIR = Path(seisgan_core.__file__).resolve().parent


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_name_is_the_object_its_module_defines(name):
    import importlib

    obj = getattr(seisgan_core, name)
    assert obj is getattr(importlib.import_module(PUBLIC[name]), name)
    assert obj.__module__ == PUBLIC[name]
    assert name in seisgan_core.__all__


def test_prepare_and_evaluate_are_functions_whatever_was_imported_first():
    """No module shares a public function's name, so importing the modules rebinds nothing."""
    code = (
        "import inspect, seisgan_core.preparation, seisgan_core.evaluation.panel\n"
        "from seisgan_core import prepare, evaluate\n"
        "import seisgan_core\n"
        "print(inspect.isfunction(prepare), inspect.isfunction(evaluate),\n"
        "      seisgan_core.prepare is prepare, seisgan_core.evaluate is evaluate)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True"] * 4


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="Generator"):
        seisgan_core.Generator  # noqa: B018


def test_import_is_cheap_no_torch_no_streamlit():
    code = "import sys, seisgan_core; print('torch' in sys.modules, 'streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_library_never_imports_streamlit():
    files = sorted(PACKAGE_DIR.rglob("*.py"))
    assert len(files) > 20
    offenders = [
        str(p)
        for p in files
        if "import streamlit" in p.read_text() or "from streamlit" in p.read_text()
    ]
    assert offenders == []

"""The names a notebook user wants are exported from seisgan_core, lazily (house style)."""

import subprocess
import sys

import pytest

import seisgan_core

PUBLIC = {
    "read_records": "seisgan_core.catalog",
    "Catalog": "seisgan_core.catalog",
    "prepare": "seisgan_core.prepare",
    "Trainer": "seisgan_core.train.trainer",
    "load_run": "seisgan_core.train.runs",
    "evaluate": "seisgan_core.evaluate.panel",
}


@pytest.mark.parametrize("name", ["read_records", "Catalog", "Trainer", "load_run"])
def test_public_name_resolves_to_its_module(name):
    obj = getattr(seisgan_core, name)
    assert obj.__module__ == PUBLIC[name]
    assert name in seisgan_core.__all__


@pytest.mark.parametrize(
    ("name", "module", "function"),
    [
        ("prepare", "seisgan_core.prepare", "prepare"),
        ("evaluate", "seisgan_core.evaluate.panel", "evaluate"),
    ],
)
def test_prepare_and_evaluate_call_the_function_whatever_was_imported(
    name, module, function, monkeypatch
):
    import importlib

    importlib.import_module(module)  # importing the submodule rebinds the package attribute
    calls = []
    monkeypatch.setattr(
        importlib.import_module(module), function, lambda *a, **k: calls.append((a, k)) or "ran"
    )
    exported = getattr(seisgan_core, name)
    assert exported("x", out="y") == "ran"
    from seisgan_core import prepare as p_again  # noqa: F401  (the import form works too)

    assert calls == [(("x",), {"out": "y"})]
    assert name in seisgan_core.__all__


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Generator'"):
        seisgan_core.Generator  # noqa: B018


def test_import_is_cheap_no_torch_no_streamlit():
    code = "import sys, seisgan_core; print('torch' in sys.modules, 'streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_library_never_imports_streamlit():
    from pathlib import Path

    files = sorted((Path(__file__).resolve().parents[1] / "seisgan_core").rglob("*.py"))
    assert len(files) > 20  # the package itself, wherever pytest is started from
    offenders = [
        str(p)
        for p in files
        if "import streamlit" in p.read_text() or "from streamlit" in p.read_text()
    ]
    assert offenders == []

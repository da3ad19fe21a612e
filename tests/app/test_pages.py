"""Every page run server-side by Streamlit's AppTest on small inputs built per the contracts."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_support import prepared_set, run_folder
from streamlit.testing.v1 import AppTest

from seisgan_core import appstate

TIMEOUT_S = 60
APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def home(tmp_path, monkeypatch):
    prepared_set(tmp_path / "data" / "processed" / "tiny", n_events=4, n_stations=5)
    run_folder(tmp_path / "models" / "tiny-run", epochs=3, k=2)
    monkeypatch.setenv("SEISGAN_HOME", str(tmp_path))
    return tmp_path


def run_page(page: str | None = None, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page is not None:
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def text_of(at: AppTest) -> str:
    parts = (
        [m.value for m in at.markdown] + [w.value for w in at.warning] + [i.value for i in at.info]
    )
    return "\n".join(str(p) for p in parts)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_home_lists_what_is_here(home):
    at = run_page()
    assert at.title[0].value == "SeisGAN Studio"
    prepared = at.dataframe[0].value if len(at.dataframe) else None
    assert prepared is not None
    assert prepared.to_dict("records") == [
        {"set": "tiny", "records": 20, "samples": 8000, "noise": False}
    ]
    assert any(e.label == "What am I looking at?" for e in at.expander)


def test_prepare_page_counts_records_per_split(home):
    at = run_page("prepare")
    assert at.title[0].value == "Prepare"
    assert metrics(at) == {"Records": "20", "train": "10", "val": "5", "test": "5"}
    assert at.query_params["prepared"] == "tiny"


@pytest.mark.parametrize("page", ["data", "train", "samples", "compare"])
def test_pages_run_and_say_what_is_missing(home, page):
    at = run_page(page)
    assert at.title[0].value == page.capitalize()
    needs = {
        "data": ["readers and catalogue"],
        "train": ["run store"],
        "samples": ["run store"],
        "compare": ["run store", "evaluation", "evaluation figures"],
    }[page]
    missing = appstate.missing_parts(needs)
    if missing:
        for name in missing:
            assert name in text_of(at)

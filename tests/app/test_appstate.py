"""Discovery of archives, prepared sets and runs; path confinement; run-name sanitising."""

from __future__ import annotations

import pytest

from seisgan_core import appstate
from seisgan_core.io.errors import UnsafeInputError
from seisgan_testsupport.app_support import prepared_set


def test_confine_path_accepts_inside_and_rejects_outside(tmp_path):
    roots = appstate.Roots(tmp_path)
    roots.raw.mkdir(parents=True)
    (roots.raw / "mine").mkdir()
    assert appstate.confine_path("mine", roots.data_roots) == (roots.raw / "mine").resolve()
    assert appstate.confine_path(str(roots.models), roots.data_roots) == roots.models.resolve()
    for bad in ("../../etc", "/etc/passwd", str(tmp_path), "mine/../../..", ""):
        with pytest.raises(UnsafeInputError) as info:
            appstate.confine_path(bad, roots.data_roots)
        assert "path" in str(info.value)


def test_confine_path_follows_symlinks_out(tmp_path):
    roots = appstate.Roots(tmp_path / "p")
    roots.raw.mkdir(parents=True)
    (roots.raw / "link").symlink_to(tmp_path)
    with pytest.raises(UnsafeInputError, match="expected a path inside"):
        appstate.confine_path("link", roots.data_roots)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("run 1", "run-1"),
        ("../../etc/passwd", "etc-passwd"),
        (".hidden", "hidden"),
        ("--epochs", "epochs"),
        ("Run_3.lambda20", "Run_3.lambda20"),
        ("àccénts/ok", "ccC-nts-ok".replace("C", "")),
    ],
)
def test_sanitize_run_name(name, expected):
    cleaned = appstate.sanitize_run_name(name)
    assert cleaned == appstate.sanitize_run_name(cleaned)  # idempotent
    assert "/" not in cleaned and not cleaned.startswith((".", "-"))
    if name != "àccénts/ok":
        assert cleaned == expected


def test_sanitize_run_name_rejects_empty():
    for bad in ("", "...", "///", "  "):
        with pytest.raises(ValueError, match="no letters or digits"):
            appstate.sanitize_run_name(bad)


def test_save_upload_is_atomic_and_named_safely(tmp_path):
    target = appstate.save_upload("../evil name.ASC", b"abc", tmp_path / "up")
    assert target == tmp_path / "up" / "evil-name.ASC"
    assert target.read_bytes() == b"abc"
    assert [p.name for p in (tmp_path / "up").iterdir()] == ["evil-name.ASC"]


def test_discover_archives_and_prepared(tmp_path):
    roots = appstate.Roots(tmp_path)
    (roots.raw / "demo" / "ascii").mkdir(parents=True)
    (roots.raw / "demo" / "demo.h5").write_bytes(b"x" * 10)
    (roots.raw / "demo" / "ascii" / "a.ASC").write_bytes(b"y" * 5)
    (roots.raw / "empty").mkdir()
    archives = appstate.discover_archives(roots.raw)
    assert [(a.name, a.n_files, a.n_bytes) for a in archives] == [("demo", 2, 15)]
    assert archives[0].suffixes == {".h5": 1, ".asc": 1}
    prepared_set(roots.processed / "demo", n_events=2, n_stations=3)
    (roots.processed / "half").mkdir()
    (roots.processed / "half" / "waveforms.npy").write_bytes(b"")
    found = appstate.discover_prepared(roots.processed)
    assert [(p.name, p.n_records, p.npts, p.has_manifest) for p in found] == [
        ("demo", 6, 8000, True)
    ]
    assert appstate.discover_archives(tmp_path / "nothing") == []


def test_choose_index_from_url():
    assert appstate.choose_index(["a", "b"], "b") == 1
    assert appstate.choose_index(["a", "b"], "zz") == 0
    assert appstate.choose_index([], None) == 0


def test_effective_state_marks_dead_running_runs_failed():
    assert appstate.effective_state({"state": "running"}, alive=False) == "failed"
    assert appstate.effective_state({"state": "running"}, alive=True) == "running"
    assert appstate.effective_state({"state": "finished"}, alive=False) == "finished"


def test_run_progress_time_left():
    rows = [
        {"epoch": 1, "seconds": 2.0, "samples_per_s": 40},
        {"epoch": 2, "seconds": 4.0, "samples_per_s": 60},
    ]
    p = appstate.run_progress({"epoch": 2, "epochs": 10, "heartbeat": 100.0}, rows, now=103.0)
    assert p["fraction"] == 0.2
    assert p["seconds_per_epoch"] == 3.0
    assert p["seconds_left"] == 24.0
    assert p["samples_per_s"] == 60
    assert p["heartbeat_age_s"] == 3.0


def test_run_progress_inside_the_first_epoch_from_the_trainers_status():
    # 30 of 120 batches at 4 batches/s, 3 epochs: 90 + 240 + 240 batches to go = 142.5 s
    status = {"epoch": 0, "epochs": 3, "batch": 30, "batches": 120, "batches_per_s": 4.0,
              "samples_per_s": 64.0}  # fmt: skip
    p = appstate.run_progress(status, [])
    assert p["fraction"] == pytest.approx(30 / 120 / 3)
    assert p["seconds_left"] == pytest.approx((3 - 0.25) * 120 / 4.0)
    assert p["samples_per_s"] == 64.0
    assert appstate.progress_text(p) == "epoch 0 of 3 · batch 30 of 120 · 8 %"
    # once epochs are measured, their mean duration gives the time left
    later = appstate.run_progress({**status, "epoch": 1}, [{"epoch": 1, "seconds": 40.0}])
    assert later["seconds_left"] == pytest.approx(40.0 * (3 - 1 - 0.25))
    assert appstate.page_message("stopped in epoch 1; continue with --resume") == (
        "stopped in epoch 1; press Resume training to continue"
    )


def test_all_lists_every_public_function_class_and_table():
    import inspect

    defined = {
        name
        for name, obj in vars(appstate).items()
        if not name.startswith("_")
        and (inspect.isfunction(obj) or inspect.isclass(obj))
        and obj.__module__ == appstate.__name__
    }
    tables = {
        name
        for name in vars(appstate)
        if name.isupper() and not name.startswith("_") and name != "TYPE_CHECKING"
    }
    assert sorted(appstate.__all__) == sorted(defined | tables)


def test_form_values_round_trip_and_errors_name_the_field():
    for default in (32, 5e-5, (0.5, 0.9), (32, 24, 16), "auto", True):
        assert appstate.parse_value(appstate.format_value(default), default) == default
    assert appstate.parse_value("1e-4", 5e-5) == 1e-4
    with pytest.raises(ValueError, match="batch_size: expected int, found 'x'"):
        appstate.parse_value("x", 32, name="batch_size")
    with pytest.raises(ValueError, match="comma-separated int"):
        appstate.parse_value("3, a", (1, 2), name="gen_widths")


def test_runs_table_marks_dead_running_runs_failed(tmp_path):
    from types import SimpleNamespace

    import pandas as pd

    metrics = pd.DataFrame({"epoch": [1, 2], "loss_critic": [-1.0, -0.5], "loss_generator": [1, 2]})
    runs = [
        SimpleNamespace(
            path=tmp_path / "a",
            config={"preset": "demo"},
            status={"state": "running", "pid": 4242, "epoch": 2, "epochs": 5},
            metrics=metrics,
        ),
        SimpleNamespace(path=tmp_path / "b", config={}, status={"state": "finished"}, metrics=None),
    ]
    runs[0].metrics.loc[1, "loss_generator"] = None  # no generator step yet: null in metrics
    table = appstate.runs_table(runs, alive=lambda pid: False)
    assert table.loc[0, "loss_generator"] is None or pd.isna(table.loc[0, "loss_generator"])
    assert appstate.format_number(None) == "–" and appstate.format_number(0.12345) == "0.123"
    assert table["state"].tolist() == ["failed", "finished"]
    assert table.loc[0, "progress"] == "epoch 2 of 5 · 40 %"
    assert table.loc[0, "loss_critic"] == -0.5
    assert pd.isna(table.loc[1, "loss_critic"])


def test_prepare_argv_matches_the_cli(tmp_path):
    from seisgan_core.cli import build_parser
    from seisgan_core.prepare_config import PrepareConfig

    argv = appstate.prepare_argv(
        [tmp_path / "raw"],
        tmp_path / "out",
        mode="study",
        align="start",
        selection={
            "mw_min": 4.5,
            "distance_max_km": 100.0,
            "in_italy": False,
            "networks": ["IT", "IV"],
            "ec8_classes": [],
        },
        split_fractions=(0.7, 0.2, 0.1),
        include_noise=False,
        progress_file=tmp_path / "progress.json",
    )
    args = build_parser().parse_args(argv)
    assert args.progress_file == str(tmp_path / "progress.json")
    # The command line gives back the config it was built from, field by field.
    assert PrepareConfig.from_args(args) == PrepareConfig(
        mode="study", align="start", split_fractions=(0.7, 0.2, 0.1), include_noise=False
    )
    # Defaults, both ways: an empty form gives PrepareConfig() and the study's selection.
    plain = build_parser().parse_args(appstate.prepare_argv([tmp_path], tmp_path / "o"))
    assert PrepareConfig.from_args(plain) == PrepareConfig()
    assert plain.mw_min is None and plain.depth_max is None and not plain.anywhere
    assert args.sources == [str(tmp_path / "raw")]
    assert (args.mode, args.mw_min, args.distance_max, args.anywhere) == ("study", 4.5, 100.0, True)
    assert args.networks == "IT,IV" and args.split == "0.7,0.2,0.1" and args.no_noise
    assert args.mw_max is None and args.ec8 is None
    with pytest.raises(ValueError, match="sum of 1"):
        appstate.prepare_argv([tmp_path], tmp_path / "o", split_fractions=(0.5, 0.1, 0.1))


def test_prepare_progress_from_its_json_channel(tmp_path):
    from seisgan_core.commands.progress_bar import write_progress

    path = tmp_path / "progress.json"
    write_progress(str(path), state="running", fraction=0.42, message="reading IT.AQG")
    assert appstate.prepare_progress(appstate.read_json_or_none(path)) == (0.42, "reading IT.AQG")
    assert appstate.prepare_progress(None) == (0.0, "starting")
    write_progress(str(path), state="finished", fraction=1.0, message="prepared", n_records=1200,
                   n_noise=200)  # fmt: skip
    assert appstate.prepare_outcome("mine", appstate.read_json_or_none(path)) == (
        "Prepared mine: 1,200 records and 200 noise windows. It is selected below."
    )


def test_demo_records_from_the_environment(monkeypatch):
    monkeypatch.delenv("SEISGAN_DEMO_RECORDS", raising=False)
    assert appstate.demo_records() == 1300
    monkeypatch.setenv("SEISGAN_DEMO_RECORDS", "40")
    assert appstate.demo_records() == 40
    monkeypatch.setenv("SEISGAN_DEMO_RECORDS", "many")
    with pytest.raises(ValueError, match="expected a whole number, found 'many'"):
        appstate.demo_records()


def test_resolve_data_path(tmp_path):
    roots = appstate.Roots(tmp_path)
    prepared_set(roots.processed / "demo", n_events=2, n_stations=2)
    rel = {"data": {"path": "data/processed/demo"}}
    assert appstate.resolve_data_path(rel, roots) == roots.processed / "demo"
    moved = {"data": {"path": "/elsewhere/on/another/machine/demo"}}
    assert appstate.resolve_data_path(moved, roots) == roots.processed / "demo"
    assert appstate.resolve_data_path({"data": {"path": "nope"}}, roots) is None
    assert appstate.resolve_data_path({}, roots) is None


def test_sample_rows_distinct_sorted_and_seeded():
    rows = appstate.sample_rows(100, 10, seed=3)
    assert len(set(rows)) == 10 and rows == sorted(rows) and max(rows) < 100
    assert rows == appstate.sample_rows(100, 10, seed=3)
    assert appstate.sample_rows(5, 10) == [0, 1, 2, 3, 4]


def test_reference_study_tables_hold_the_published_values():
    table = appstate.reference_study_tables().set_index(["run", "statistic"])
    assert table.loc[("Run 1", "max"), "real"] == 4.6
    assert table.loc[("Run 1", "max"), "generated"] == 3.9
    assert table.loc[("Run 3", "std"), "generated"] == 2.28
    assert table.loc[("Run 3", "skewness"), "real"] == 0.10


def test_scenario_table_imputes_vs30_as_the_trainer_and_drops_missing_mw():
    from seisgan_core.scenarios import scenario_table
    from seisgan_testsupport.app_support import record_table

    table = record_table(n_events=4, n_stations=2)  # the last event has no Mw
    table["split"] = ["train"] * 4 + ["val"] * 2 + ["test"] * 2
    table.loc[[1, 6], "vs30_m_s"] = float("nan")
    out = scenario_table(table, ["mw", "vs30_m_s"])
    assert len(out) == 6  # EV003 (no Mw) left out
    # training rows 0, 2, 3 keep Vs30 250, 250, 450: their median stands in
    assert out.loc[1, "vs30_m_s"] == 250.0
    assert scenario_table(table, ["vs30_m_s"])["vs30_m_s"].notna().all()
    assert len(scenario_table(table, [])) == 8


def test_export_names_say_run_checkpoint_format_and_count():
    names = {
        fmt: appstate.export_file_name("demo", "best", 40, fmt, 16)
        for fmt in ("asdf", "mseed", "sac", "csv")
    }
    assert names == {
        "asdf": "demo_best-e0040_asdf_16-records.h5",
        "mseed": "demo_best-e0040_mseed_16-records.zip",
        "sac": "demo_best-e0040_sac_16-records.zip",
        "csv": "demo_best-e0040_csv_16-records.zip",
    }
    assert appstate.export_file_name("demo", "12", 12, "sac", 3) == "demo_e0012_sac_3-records.zip"
    label = appstate.export_button_label("mseed", 1200, "cm/s2")
    assert label == "miniSEED · 1,200 records · cm/s²"


def test_restore_values_prefers_the_url_then_the_session_then_the_default():
    defaults = {"mw_min": 4.0, "italy": True, "networks": ()}
    query = appstate.query_values({"mw_min": 3.5, "italy": False, "networks": ("IT", "IV")})
    assert query == {"mw_min": "3.5", "italy": "False", "networks": "IT, IV"}
    assert appstate.restore_values(defaults, query, None) == {
        "mw_min": 3.5,
        "italy": False,
        "networks": ("IT", "IV"),
    }
    saved = {"mw_min": 5.0, "italy": True, "networks": ("IV",)}
    assert appstate.restore_values(defaults, {}, saved) == saved
    # a value in the URL that does not parse is ignored
    assert appstate.restore_values(defaults, {"mw_min": "abc"}, saved)["mw_min"] == 5.0
    assert appstate.restore_values(defaults, {"mw_min": "abc"}, None)["mw_min"] == 4.0

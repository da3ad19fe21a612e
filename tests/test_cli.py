"""The `seisgan` command: its subcommands, --help and --version, and how it reports errors."""

import argparse
import subprocess
import sys

import pytest

from seisgan_core import cli
from seisgan_core.errors import ConfigError, DataError, JobRunningError, SeisganError
from seisgan_core.io.errors import FormatError


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == "seisgan 0.1.0"


def test_no_command_prints_help_and_fails(capsys):
    assert cli.main([]) == 2
    assert "usage: seisgan" in capsys.readouterr().out


def test_module_entry_point_runs():
    result = subprocess.run(
        [sys.executable, "-m", "seisgan_core.cli", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "SeisGAN Studio" in result.stdout


def test_a_bad_option_is_one_line_and_exit_2_without_a_traceback(tmp_path):
    """A project error (here ConfigError from --split) reaches the user as one line."""
    result = subprocess.run(
        [sys.executable, "-m", "seisgan_core.cli", "prepare", str(tmp_path), "--out",
         str(tmp_path / "out"), "--split", "0.5,0.5,0.5"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: split_fractions: expected three non-negative shares with a sum of 1, "
        "found (0.5, 0.5, 0.5)"
    ]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            FormatError("a.csv", 3, "a number", "'x'", field="mw"),
            "a.csv, line 3, field 'mw': expected a number, found 'x'",
        ),
        (ConfigError("n must be at least 1, not 0"), "n must be at least 1, not 0"),
        (
            FileNotFoundError(2, "No such file or directory", "missing.h5"),
            "[Errno 2] No such file or directory: 'missing.h5'",
        ),
    ],
)
def test_main_prints_a_project_error_on_one_line_and_exits_1(monkeypatch, capsys, error, message):
    from seisgan_core.commands import data

    def fails(args):
        raise error

    monkeypatch.setattr(data, "run_info", fails)
    assert cli.main(["info", "x.parquet"]) == 1
    captured = capsys.readouterr()
    assert captured.err == f"seisgan info: {message}\n"
    assert captured.out == ""


@pytest.mark.parametrize(
    "bug",
    [TypeError("unsupported operand"), ValueError("operands could not be broadcast"), OSError()],
)
def test_main_lets_a_bug_show_its_traceback(monkeypatch, bug):
    from seisgan_core.commands import data

    def fails(args):
        raise bug

    monkeypatch.setattr(data, "run_info", fails)
    with pytest.raises(type(bug)):
        cli.main(["info", "x.parquet"])


def test_a_command_does_not_swallow_a_bug_inside_the_library(monkeypatch, tmp_path):
    """`seisgan prepare` reports the project's errors but not a ValueError raised by a bug."""
    from seisgan_core import preparation

    def broken(*args, **kwargs):
        raise ValueError("operands could not be broadcast together")

    monkeypatch.setattr(preparation, "prepare", broken)
    (tmp_path / "archive").mkdir()
    argv = ["prepare", str(tmp_path / "archive"), "--out", str(tmp_path / "out")]
    with pytest.raises(ValueError, match="broadcast"):
        cli.main(argv)

    def refuses(*args, **kwargs):
        raise preparation.EmptySelectionError("Mw > 4", 12, [("Mw > 4", 12)])

    monkeypatch.setattr(preparation, "prepare", refuses)
    assert cli.main(argv) == 1


def test_every_error_the_project_raises_on_purpose_is_a_seisgan_error():
    from seisgan_core.appstate import NameTakenError
    from seisgan_core.fsutil import LockHeldError, OutputRefusedError
    from seisgan_core.io.errors import AsdfError, SeisganIOError, UnsafeInputError
    from seisgan_core.io.seisbench import SeisbenchUnavailableError
    from seisgan_core.preparation import EmptySelectionError
    from seisgan_core.train.checkpoint import CheckpointError
    from seisgan_core.train.store import RunLockedError
    from seisgan_core.train.trainer import RunExistsError, TrainingDivergedError
    from seisgan_core.train.tune import NoTrialCompletedError

    for cls in (NameTakenError, LockHeldError, OutputRefusedError, AsdfError, SeisganIOError,
                UnsafeInputError, SeisbenchUnavailableError, EmptySelectionError,
                CheckpointError, RunLockedError, RunExistsError, TrainingDivergedError,
                ConfigError, DataError, JobRunningError, NoTrialCompletedError):  # fmt: skip
        assert issubclass(cls, SeisganError), cls
    # the built-in each replaced stays a base, for callers that catch it
    assert issubclass(NameTakenError, FileExistsError) and issubclass(LockHeldError, RuntimeError)
    assert issubclass(ConfigError, ValueError) and issubclass(EmptySelectionError, ValueError)
    assert issubclass(JobRunningError, RuntimeError) and issubclass(
        NoTrialCompletedError, RuntimeError
    )


def _subparsers():
    parser = cli.build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return parser, action


def test_each_command_says_what_it_does_from_its_handlers_docstring():
    """``seisgan --help`` lists each command with its line, ``seisgan NAME --help`` describes
    it: both come from the handler's docstring (commands/options.py)."""
    parser, action = _subparsers()
    lines = {a.dest: a.help for a in action._choices_actions}
    assert set(lines) == {"ingest", "info", "demo", "prepare", "train", "generate", "tune",
                          "evaluate", "export"}  # fmt: skip
    assert lines["train"] == "train a WGAN-GP on a prepared set into a run folder"
    assert lines["tune"] == "Bayesian hyperparameter search (optuna TPE) with pruning"
    assert "  demo      simulate the demo archive (ASDF, ITACA flat file, ESM ASCII)" in (
        parser.format_help()
    )
    for name, sub in action.choices.items():
        assert sub.description, f"{name} has no description"
        assert sub.get_default("func").__doc__.startswith(lines[name])
    described = " ".join(action.choices["prepare"].format_help().split())
    assert "Select, resample to 200 Hz, window to 40 s, z-score per component" in described


def test_shared_options_keep_each_commands_settings():
    """``add_common`` adds the shared options with each command's own default and metavar."""
    _, action = _subparsers()
    commands = action.choices
    parse = cli.build_parser().parse_args
    assert parse(["demo", "--out", "d"]).seed == 0
    assert parse(["train", "--data", "p", "--out", "r"]).seed is None  # None: the preset's seed
    assert parse(["train", "--data", "p", "--out", "r"]).device == "auto"
    assert parse(["export", "--run", "r", "--format", "csv", "--out", "o"]).n == 16
    assert parse(["evaluate", "--run", "r", "--data", "p", "--out", "o"]).n is None
    assert parse(["generate", "--run", "r", "--n", "3", "--out", "o.npy"]).epoch is None
    assert "--out CATALOG.parquet" in commands["ingest"].format_usage()
    assert "--data DIR" in commands["evaluate"].format_usage()
    with pytest.raises(SystemExit):
        parse(["generate", "--n", "3", "--out", "o.npy"])  # --run is required here
    with pytest.raises(SystemExit):
        parse(["tune", "--device", "tpu", "--data", "p", "--out", "o", "--trials", "1",
               "--epochs-per-trial", "1"])  # fmt: skip


def test_progress_bar_clamps_and_writes_the_apps_json_channel(tmp_path, capsys):
    import json

    from seisgan_core.commands.progress_bar import progress_bar

    path = tmp_path / "progress.json"
    with progress_bar("x", quiet=True, progress_file=str(path)) as progress:
        progress(1.7, "read 12 records")  # the first call is written at once
        progress(0.2, "later calls within half a second are not")
    assert json.loads(path.read_text()) == {
        "state": "running",
        "fraction": 1.0,
        "message": "read 12 records",
    }
    assert capsys.readouterr().err == ""  # quiet: no bar
    with progress_bar("ingest", leave=True) as progress:  # left drawn: its last state shows
        progress(0.5, "x" * 60 + "/IT.AQG.HNE.ASC")
    drawn = capsys.readouterr().err
    assert "ingest" in drawn and " 50%" in drawn and "xxx/IT.AQG.HNE.ASC" in drawn
    assert "x" * 36 not in drawn  # a long message keeps its last 50 characters

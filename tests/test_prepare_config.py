"""PrepareConfig: the preparation's one set of defaults, and everything built from it."""

from __future__ import annotations

import pytest

from seisgan_core.cli import build_parser
from seisgan_core.prepare_config import ALIGNS, PrepareConfig


def _parse(*options: str):
    return build_parser().parse_args(["prepare", "SRC", "--out", "OUT", *options])


def test_cli_defaults_are_the_dataclass_defaults():
    assert PrepareConfig.from_args(_parse()) == PrepareConfig()
    assert PrepareConfig().align == "strong_motion" and ALIGNS[0] == "strong_motion"


def test_every_field_round_trips_through_the_command_line():
    config = PrepareConfig(
        align="p_onset",
        pre_event_s=3.5,
        pga_margin_s=2.0,
        split_fractions=(0.7, 0.2, 0.1),
        cluster_km=25.0,
        cluster_days=10.0,
        seed=4,
        include_noise=False,
        sta_s=0.3,
        lta_s=3.0,
        trigger_on=5.0,
        trigger_off=1.0,
    )
    assert PrepareConfig.from_args(_parse(*config.argv())) == config
    # Every field has a CLI option: argv names each one.
    assert len(config.argv()) >= 2 * (len(PrepareConfig.field_names()) - 1) + 1


def test_manifest_steps_carry_the_config_values():
    config = PrepareConfig(sta_s=0.25, lta_s=2.5, trigger_on=3.5, pre_event_s=4.0, seed=9)
    steps = {s["step"]: s for s in config.steps({"mw_min": 4.0})}
    assert (steps["p onset"]["sta_s"], steps["p onset"]["lta_s"]) == (0.25, 2.5)
    assert steps["p onset"]["trigger_on"] == 3.5 and steps["p onset"]["used"]
    assert steps["window"]["pre_event_s"] == 4.0 and "PGA" in steps["window"]["placement"]
    assert steps["split"]["seed"] == 9 and steps["select"]["selection"] == {"mw_min": 4.0}
    assert not {s["step"]: s for s in PrepareConfig(align="start").steps({})}["p onset"]["used"]
    assert "length filter" in {s["step"] for s in PrepareConfig(mode="study").steps({})}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"mode": "all"}, "mode: expected one of window, study, found 'all'"),
        ({"align": "middle"}, "align: expected one of strong_motion, p_onset, start"),
        ({"mode": "study", "align": "p_onset"}, "study mode keeps whole records"),
        ({"split_fractions": (0.5, 0.1, 0.1)}, r"sum of 1, found \(0.5, 0.1, 0.1\)"),
        ({"split_fractions": (0.5, 0.5)}, "three non-negative shares"),
        ({"pre_event_s": -1.0}, "pre_event_s: expected a number >= 0, found -1.0"),
        ({"sta_s": 3.0, "lta_s": 2.0}, "expected 0 < sta < lta, found 3.0, 2.0"),
    ],
)
def test_bad_values_are_refused_naming_the_field(changes, message):
    with pytest.raises(ValueError, match=message):
        PrepareConfig(**changes)


def test_study_mode_takes_whole_records_from_their_start():
    assert PrepareConfig(mode="study").align == "start"


def test_cli_refuses_bad_options_with_exit_2(capsys):
    from seisgan_core import cli

    assert cli.main(["prepare", "SRC", "--out", "OUT", "--split", "a,b,c"]) == 2
    assert "--split: expected three numbers" in capsys.readouterr().err
    assert cli.main(["prepare", "SRC", "--out", "OUT", "--split", "0.5,0.1,0.1"]) == 2
    assert "sum of 1" in capsys.readouterr().err

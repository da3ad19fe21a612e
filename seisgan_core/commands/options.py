"""What the command modules share in setting up their parsers.

:func:`add_command` makes ``seisgan NAME`` from the function that runs it: its help line and
description are that function's docstring, so what a command does is written once, where it
is done. :func:`add_common` adds an option several commands take (``--data``, ``--out``,
``--seed``, ...) as :data:`COMMON_OPTIONS` defines it, with the command's own help text. A
command's other options stay in its module.
"""

from __future__ import annotations

import argparse
import inspect
from collections.abc import Callable
from typing import Any

__all__ = ["COMMON_OPTIONS", "add_command", "add_common"]

#: How argparse takes the options several commands share, by flag; each command gives its own
#: help (and metavar), and may change the rest (``train --seed`` has no default: None keeps
#: the preset's seed).
COMMON_OPTIONS: dict[str, dict[str, Any]] = {
    "--data": {"required": True},
    "--out": {"required": True},
    "--run": {},
    "--epoch": {"type": int},
    "--n": {"type": int},
    "--seed": {"type": int, "default": 0},
    "--device": {"choices": ("auto", "cpu", "cuda"), "default": "auto"},
    "--force": {"action": "store_true"},
    "--quiet": {"action": "store_true"},
    "--verbose": {"action": "store_true"},
}


def add_command(
    subparsers, name: str, run: Callable[[argparse.Namespace], int]
) -> argparse.ArgumentParser:
    """Add ``seisgan NAME``, run by ``run(args)`` (its exit status). The first paragraph of
    ``run``'s docstring is the command's line in ``seisgan --help``, as it is shown there (no
    capital, no full stop), the rest its description (argparse rewraps both)."""
    summary, _, description = inspect.cleandoc(run.__doc__ or "").partition("\n\n")
    parser = subparsers.add_parser(name, help=summary, description=description or None)
    parser.set_defaults(func=run)
    return parser


def add_common(parser, flag: str, help: str | None = None, **changes: Any) -> None:
    """Add the shared option ``flag`` (a key of :data:`COMMON_OPTIONS`) to ``parser`` (or an
    argument group) with this command's ``help``; ``changes`` override the shared settings."""
    parser.add_argument(flag, help=help, **{**COMMON_OPTIONS[flag], **changes})

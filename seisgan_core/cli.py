"""The ``seisgan`` command.

Each area of the project registers its subcommands from one module in
``seisgan_core/commands/``; this file only assembles them. A command module must import its
heavy dependencies (torch, obspy, pandas) inside its handlers, so that ``seisgan --help`` is fast.

Each command module defines ``register(subparsers)``, which adds its subparsers and sets
``func`` (a callable taking the parsed ``argparse.Namespace`` and returning an exit status).

Errors: a :class:`~seisgan_core.errors.SeisganError` (bad input, a refused output, a held
lock) or an ``OSError`` that names a file is printed as one line, ``seisgan COMMAND: message``,
and exits 1 (commands handle their own first, where they have more to say); anything else is a
bug in the code and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from seisgan_core import __version__
from seisgan_core.errors import SeisganError

# Modules in seisgan_core/commands/, in the order their commands appear in --help.
COMMAND_MODULES = ("data", "demo", "prepare", "train", "evaluate")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seisgan",
        description="SeisGAN Studio: strong-motion data, WGAN-GP training and evaluation.",
    )
    parser.add_argument("--version", action="version", version=f"seisgan {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"seisgan_core.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except SeisganError as exc:
        print(f"seisgan {args.command}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        if not _names_a_file(exc):
            raise
        print(f"seisgan {args.command}: {exc}", file=sys.stderr)
        return 1


def _names_a_file(exc: OSError) -> bool:
    """An OSError about a file (missing, unreadable, disk full), not one of a socket or pipe."""
    return exc.filename is not None or isinstance(
        exc, (FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError)
    )


if __name__ == "__main__":
    sys.exit(main())

"""`seisgan train`, `seisgan generate` and `seisgan tune`."""

from __future__ import annotations


def register(subparsers) -> None:
    """Add this area's subcommands. None yet."""

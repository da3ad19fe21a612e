"""`seisgan evaluate` and `seisgan export`."""

from __future__ import annotations


def register(subparsers) -> None:
    """Add this area's subcommands. None yet."""

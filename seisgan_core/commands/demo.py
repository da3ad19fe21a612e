"""`seisgan demo` and `seisgan prepare`: the demo archive and training sets."""

from __future__ import annotations


def register(subparsers) -> None:
    """Add this area's subcommands. None yet."""

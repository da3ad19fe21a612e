"""`seisgan ingest` and `seisgan info`: reading archives into the record table."""

from __future__ import annotations


def register(subparsers) -> None:
    """Add this area's subcommands. None yet."""

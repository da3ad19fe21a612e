"""Subcommands of ``seisgan``, one module per area (see ``seisgan_core/cli.py``)."""

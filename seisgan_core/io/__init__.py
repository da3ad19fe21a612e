"""Readers and writers, one module per format. Imports nothing of ours but ``errors``."""

from seisgan_core.io.errors import (
    AsdfError,
    FlatFileError,
    FormatError,
    SeisganIOError,
    UnknownFormatError,
    UnsafeInputError,
)

__all__ = [
    "AsdfError",
    "FlatFileError",
    "FormatError",
    "SeisganIOError",
    "UnknownFormatError",
    "UnsafeInputError",
]

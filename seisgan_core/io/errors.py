"""The project's own error types for reading and writing data.

Every error names the file, the line or field, what was expected and what was found, so that a
seismologist can open the file and see the problem (house style, after pyasdf's exceptions).
"""

from __future__ import annotations

from pathlib import Path

from seisgan_core.errors import SeisganError

__all__ = [
    "AsdfError",
    "FlatFileError",
    "FormatError",
    "SeisganIOError",
    "SeisganIOWarning",
    "UnknownFormatError",
    "UnsafeInputError",
]


class SeisganIOError(SeisganError):
    """Base class of every error raised while reading or writing data."""


class FormatError(SeisganIOError, ValueError):
    """A file does not follow its format.

    ``line`` is 1-based where the problem has a line, else ``None``; ``field`` names the header
    key, column or attribute where it has one.
    """

    def __init__(
        self,
        path: str | Path,
        line: int | None,
        expected: str,
        found: str,
        *,
        field: str | None = None,
    ) -> None:
        self.path = str(path)
        self.line = line
        self.field = field
        self.expected = expected
        self.found = found
        where = self.path
        if line is not None:
            where += f", line {line}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: expected {expected}, found {found}")

    def __reduce__(self):  # keep the error picklable (multiprocessing, caching)
        return (
            _rebuild_format_error,
            (type(self), self.path, self.line, self.expected, self.found, self.field),
        )


def _rebuild_format_error(cls, path, line, expected, found, field):
    return cls(path, line, expected, found, field=field)


class FlatFileError(FormatError):
    """A metadata flat file (ITACA export, ESM flat file, ITACA 1.x .metadata) is malformed."""


class AsdfError(FormatError):
    """An HDF5 file is not valid ASDF, or a trace in it lacks what reading needs."""


class UnknownFormatError(FormatError):
    """No reader recognises the file."""


class UnsafeInputError(FormatError):
    """Input that could harm the machine (path traversal, zip bombs, external HDF5 links...)."""


class SeisganIOWarning(UserWarning):
    """Input that is readable but incomplete (an ASDF file without QuakeML, say)."""

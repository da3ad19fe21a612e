"""The project's error types: one base, :class:`SeisganError`, under every error raised on purpose.

A ``SeisganError`` means the input, the options or the state of the files is wrong, and its
message says what to change; the ``seisgan`` command prints it on one line and exits 1 (2 for a
bad option). Any other exception is a bug in the code and keeps its traceback. The readers'
errors (:mod:`seisgan_core.io.errors`), the store's, the trainer's, ``prepare``'s and the output
guards' all derive from it. Subclasses that replace a built-in error also keep it as a base
(``ConfigError`` is a ``ValueError``) so that callers catching the built-in still work.

A leaf module: it imports nothing of ours.
"""

from __future__ import annotations

__all__ = ["ConfigError", "DataError", "JobRunningError", "SeisganError"]


class SeisganError(Exception):
    """Base class of every error SeisGAN Studio raises on purpose (not a bug in the code)."""


class ConfigError(SeisganError, ValueError):
    """An option, hyperparameter, preset or scenario value is not one the step accepts."""


class DataError(SeisganError, ValueError):
    """The data given cannot support the step (too few records, sets that do not match)."""


class JobRunningError(SeisganError, RuntimeError):
    """A job (training, preparation, tuning) is already running for the same output."""

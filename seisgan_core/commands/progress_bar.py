"""The commands' progress: a tqdm bar on stderr, and for the app a JSON file (``--progress-file``).

One helper for every command: :func:`progress_bar` gives the ``progress(fraction, message)``
callback the library's long steps take (``seisgan_core.progress``) and draws it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from seisgan_core.progress import Progress

__all__ = ["progress_bar", "write_progress"]

#: The end of a longer message is shown (a file's name, an epoch's score).
MESSAGE_CHARS = 50


def write_progress(progress_file: str | None, **fields) -> None:
    """The structured progress channel (``--progress-file``): one JSON object, replaced
    atomically: ``state`` (running, finished, failed), ``fraction``, ``message`` and, when
    finished, the counts."""
    if progress_file:
        from seisgan_core.fsutil import atomic_write_json

        atomic_write_json(progress_file, fields)


@contextmanager
def progress_bar(
    description: str,
    *,
    quiet: bool = False,
    leave: bool = False,
    progress_file: str | None = None,
) -> Iterator[Progress]:
    """A ``progress(fraction, message)`` callback drawn as a tqdm bar on stderr (none when
    ``quiet``; kept on screen when done with ``leave``), and written to ``progress_file`` as
    JSON at most twice a second, for the app. The bar is closed on leaving the block."""
    from tqdm import tqdm

    bar = tqdm(total=1000, desc=description, unit="‰", file=sys.stderr, leave=leave, disable=quiet)
    last = [0.0]

    def progress(fraction: float, message: str) -> None:
        target = round(max(0.0, min(1.0, fraction)) * 1000)
        if target > bar.n:
            bar.update(target - bar.n)
        bar.set_postfix_str(message[-MESSAGE_CHARS:], refresh=False)
        if progress_file and time.monotonic() - last[0] >= 0.5:
            last[0] = time.monotonic()
            write_progress(progress_file, state="running", fraction=target / 1000, message=message)

    try:
        yield progress
    finally:
        bar.close()

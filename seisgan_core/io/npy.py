"""``.npy`` files from outside the process (prepared sets, generated samples), opened safely.

A ``.npy`` header states its array's shape and dtype; ``np.load`` trusts it. Here the header is
read and checked against the file first, so a damaged, truncated or hostile file is a
:class:`~seisgan_core.io.errors.FormatError` naming it, never an allocation from the header's
word or an unpickling.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seisgan_core.io.errors import FormatError

__all__ = ["open_npy"]


def open_npy(path: str | Path) -> np.ndarray:
    """Memory-map a numeric ``.npy`` read-only, or raise FormatError naming it.

    ``allow_pickle=False`` refuses object arrays (unpickling could run code), and the memory
    map refuses a header that claims more bytes than the file holds, so nothing is ever
    allocated from a header's word alone.
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            read_header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, _, dtype = read_header(handle)
            offset = handle.tell()
    except (ValueError, OSError, EOFError) as exc:
        raise FormatError(path, None, "a .npy file", f"a damaged header ({exc})") from None
    if dtype.hasobject:
        raise FormatError(
            path, None, "a numeric array", f"an array of Python objects ({dtype}): refused"
        )
    need = offset + int(np.prod(shape, dtype=np.float64) * dtype.itemsize)
    size = path.stat().st_size
    if size < need:
        raise FormatError(
            path,
            None,
            f"{need} bytes for an array of shape {shape} ({dtype})",
            f"{size} bytes: is the file truncated?",
        )
    return np.load(path, mmap_mode="r", allow_pickle=False)

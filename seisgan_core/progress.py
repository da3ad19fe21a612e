"""The progress callback every long step takes: ``progress(fraction, message)``.

``fraction`` runs from 0 to 1 over the step, ``message`` says what is being done. The CLI
draws it as a bar, the app writes it to a file a page polls. A leaf module (it imports
nothing of ours), so any part of ``seisgan_core``, ``io`` included, may use it.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Progress"]

Progress = Callable[[float, str], None]

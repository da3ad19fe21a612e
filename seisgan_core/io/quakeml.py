"""QuakeML event files (INGV, EMSC, ASDF's /QuakeML), read with ObsPy after a safety check.

Events are not records (they carry no waveform); the catalog uses them to describe the events
of an ASDF file, and :func:`read_quakeml` lists the events of a file such as the INGV web
service returns. A document with a DTD (entity expansion, external entities) is refused
before lxml sees it.
"""

from __future__ import annotations

import io
import math
from datetime import UTC
from pathlib import Path
from typing import Any

from seisgan_core.io.errors import FormatError
from seisgan_core.io.safety import check_xml_bytes, read_head

__all__ = ["event_summary", "is_quakeml", "looks_like_quakeml", "parse_quakeml", "read_quakeml"]


def looks_like_quakeml(head: bytes) -> bool:
    """True if the first bytes open a QuakeML document."""
    return b"quakeml" in head[:2048].lower() and b"<" in head[:64]


def is_quakeml(path: str | Path) -> bool:
    """True if the file opens a QuakeML document (reads at most 2 KB)."""
    return looks_like_quakeml(read_head(path, 2048))


def _magnitude(event: Any, prefix: str) -> float:
    """The preferred magnitude if of this type, else the first of this type; NaN if none."""
    preferred = event.preferred_magnitude()
    candidates = ([preferred] if preferred is not None else []) + list(event.magnitudes)
    for magnitude in candidates:
        kind = (magnitude.magnitude_type or "").lower()
        if kind.startswith(prefix) and magnitude.mag is not None:
            return float(magnitude.mag)
    return math.nan


def event_summary(event: Any) -> dict[str, Any]:
    """An ObsPy Event as plain values, NaN/None where the document has none.

    ``event_id`` (resource id), ``time`` (UTC datetime), ``latitude``, ``longitude``,
    ``depth_km`` (QuakeML depth is in metres), ``mw`` and ``ml`` (types starting Mw / ML,
    e.g. Mww, MLv), ``magnitude`` and ``magnitude_type`` (the preferred one, whatever its
    type), ``event_type``, ``region``.
    """
    origin = event.preferred_origin() or (event.origins[0] if event.origins else None)
    preferred = event.preferred_magnitude() or (event.magnitudes[0] if event.magnitudes else None)
    region = next(
        (d.text for d in event.event_descriptions if (d.type or "") == "region name"), None
    )
    summary: dict[str, Any] = {
        "event_id": str(event.resource_id),
        "time": None,
        "latitude": math.nan,
        "longitude": math.nan,
        "depth_km": math.nan,
        "mw": _magnitude(event, "mw"),
        "ml": _magnitude(event, "ml"),
        "magnitude": float(preferred.mag)
        if preferred is not None and preferred.mag is not None
        else math.nan,
        "magnitude_type": preferred.magnitude_type if preferred is not None else None,
        "event_type": str(event.event_type) if event.event_type is not None else None,
        "region": region,
    }
    if origin is not None:
        if origin.time is not None:
            summary["time"] = origin.time.datetime.replace(tzinfo=UTC)
        if origin.latitude is not None:
            summary["latitude"] = float(origin.latitude)
        if origin.longitude is not None:
            summary["longitude"] = float(origin.longitude)
        if origin.depth is not None:
            summary["depth_km"] = float(origin.depth) / 1000.0
    return summary


def parse_quakeml(raw: bytes, path: str | Path) -> list[dict[str, Any]]:
    """The events of a QuakeML document given as bytes (``path`` names it in errors)."""
    check_xml_bytes(raw, path, "QuakeML")
    import obspy

    try:
        catalog = obspy.read_events(io.BytesIO(raw), format="QUAKEML")
    except Exception as exc:  # ObsPy raises many types on malformed XML
        raise FormatError(path, None, "a QuakeML 1.2 document", f"unreadable ({exc})") from None
    return [event_summary(event) for event in catalog]


def read_quakeml(path: str | Path) -> list[dict[str, Any]]:
    """The events of a QuakeML file (see :func:`event_summary` for the keys)."""
    return parse_quakeml(Path(path).read_bytes(), path)

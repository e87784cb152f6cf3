"""CAP's date-times: ``2026-12-07T17:00:00+02:00`` (the schema's pattern: seconds, an explicit offset)."""

from __future__ import annotations

import math
from datetime import UTC, datetime


def parse_time(text: str) -> float:
    """UTC epoch seconds from a CAP date-time; ValueError when it is not one."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{text.strip()[:40]!r} has no UTC offset")
    return moment.timestamp()


def cap_time(epoch: float) -> str:
    """A CAP date-time in UTC, written as the schema wants it (``-00:00`` would mean unknown: ``+00:00``);
    whole seconds, cut down as the platform's SQL cuts them (console/cap/authority.py)."""
    return datetime.fromtimestamp(math.floor(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")

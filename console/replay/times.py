"""Times as people type them on a command line: ISO 8601, epoch seconds, or an offset like -2h."""

from __future__ import annotations

import re
from datetime import datetime

from console.errors import UserError

_OFFSET = re.compile(r"^([+-])\s*((?:\d+(?:\.\d+)?\s*[smhd]\s*)+|\d+(?:\.\d+)?)$")
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])?")
_CLOCK = re.compile(r"^([+-])(\d+):(\d{2})(?::(\d{2}(?:\.\d+)?))?$")
_UNIT = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def parse_time(text: str, base: float, what: str = "time") -> float:
    """UTC epoch seconds from ``text``.

    Accepted: ISO 8601 (``2026-11-21T14:05``, ``2026-11-21 14:05:30+02:00``; without an offset,
    local time), epoch seconds (``1795300000``), or an offset from ``base``: ``-2h``, ``+15m``,
    ``+90s``, ``+2h30m``, ``+01:30`` or ``+01:30:00`` (hours:minutes[:seconds]).
    """
    s = text.strip()
    if m := _OFFSET.match(s):
        sign = -1.0 if m[1] == "-" else 1.0
        return base + sign * sum(float(n) * _UNIT[unit or None] for n, unit in _PART.findall(m[2]))
    if m := _CLOCK.match(s):
        sign = -1.0 if m[1] == "-" else 1.0
        return base + sign * (int(m[2]) * 3600 + int(m[3]) * 60 + float(m[4] or 0))
    try:
        value = float(s)
    except ValueError:
        pass
    else:
        if value > 1e8:  # an epoch time, not a small number someone meant as an offset
            return value
    try:
        return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise UserError(f"{what} {text!r} is not a time: give ISO 8601 (2026-11-21T14:05), "
                        "epoch seconds, or an offset such as -2h or +15m") from None

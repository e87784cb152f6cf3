"""What a value read from a file (TOML, JSON) is, said once for every reader that checks one: an
integer that is not a bool (``true`` is an int to Python), a finite number."""

from __future__ import annotations

import math


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    """A finite int or float, not a bool: NaN and the infinities are no number a file means."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

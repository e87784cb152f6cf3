"""Which reading values could be real, per indicator: its unit's physics and its own thresholds.

A finite number is not yet a plausible one: ±1e308 paints a 309-digit figure across the
neighbouring tiles, a subnormal (5e-324) is a decoding accident, a rain gauge does not report
10⁹ mm/h. The bounds are generous on purpose (a hundred times the span of an indicator's
thresholds beyond them): they catch broken feeds, never a real extreme the operators must see.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

#: No city figure comes near this magnitude (a city's yearly energy in Wh is ~1e12).
ABS_MAX = 1e12
#: Smallest normal float: anything closer to zero (but not zero) is a subnormal, never a measurement.
TINY = 2.2250738585072014e-308
#: How many threshold spans beyond its outermost threshold a value may lie.
SPANS_BEYOND = 100.0

#: Physical bounds by unit: a value outside is impossible, whatever the thresholds say.
UNIT_BOUNDS: dict[str, tuple[float, float]] = {
    "°C": (-273.15, 1e4), "K": (0.0, 1e4), "°F": (-459.67, 2e4),
    "%": (-1e4, 1e4), "Hz": (0.0, 1e7), "mrad": (-1e4, 1e4), "°": (-1e4, 1e4),
    "Pa": (-1e9, 1e9), "hPa": (-1e7, 1e7), "kPa": (-1e6, 1e6), "MPa": (-1e3, 1e3), "bar": (-1e4, 1e4),
    "V": (-1e7, 1e7), "kV": (-1e4, 1e4), "W": (-1e12, 1e12), "kW": (-1e9, 1e9), "MW": (-1e6, 1e6),
}


def unit_bounds(unit: str) -> tuple[float, float]:
    """The physical bounds of ``unit`` ("% on time" counts as "%"), else ±ABS_MAX."""
    unit = (unit or "").strip()
    found = UNIT_BOUNDS.get(unit) or UNIT_BOUNDS.get(unit.split(" ", 1)[0])
    return found or (-ABS_MAX, ABS_MAX)


def bounds(unit: str, thresholds: Iterable[float | None]) -> tuple[float, float]:
    """The plausible range of an indicator's values, from its unit and its thresholds."""
    lo, hi = unit_bounds(unit)
    limits = [float(t) for t in thresholds if t is not None and math.isfinite(t)]
    if limits:
        low, high = min(limits), max(limits)
        span = max(high - low, abs(high), abs(low), 1.0)
        lo, hi = max(lo, low - SPANS_BEYOND * span), min(hi, high + SPANS_BEYOND * span)
    return max(lo, -ABS_MAX), min(hi, ABS_MAX)


def row_bounds(row: Mapping) -> tuple[float, float]:
    """``bounds`` of an indicators row (the platform's or the cache's)."""
    return bounds(str(row.get("unit") or ""),
                  (row.get(k) for k in ("warn_low", "warn_high", "alarm_low", "alarm_high")))


def implausible(value: float, lo: float, hi: float) -> str | None:
    """Why ``value`` cannot be a reading within (lo, hi), or None when it can."""
    if value != 0.0 and abs(value) < TINY:
        return "subnormal"
    if not lo <= value <= hi:
        return "outside"
    return None

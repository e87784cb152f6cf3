"""Building colours for the dark wall: calm while all is well, unmistakable when it is not.

Amber and red mean warning and alarm everywhere on this wall (widgets/theme.py's status
colours, repeated here because the core imports no Qt; a test keeps them equal), so the ramp
for values inside the normal band avoids both: it runs from a dark steel blue through teal to a
pale green, getting lighter as a value nears its warning threshold. Buildings with nothing to
show are a calm blue-grey; buildings whose figure is missing a plain, darker grey.
"""

from __future__ import annotations

import numpy as np

from console.model.indicator import Indicator


def _rgb(text: str) -> tuple[int, int, int]:
    return int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16)


def lighter(rgb, amount: float = 0.3) -> np.ndarray:
    """rgb (..., 3) uint8 moved ``amount`` of the way to white: how roofs are shaded, so a roof
    reads as the top of its building in any colour."""
    rgb = np.asarray(rgb, dtype=np.float64)
    return np.round(rgb + (255.0 - rgb) * amount).astype(np.uint8)


BACKGROUND = _rgb("#0b0f14")  # widgets.theme.BACKGROUND
NEUTRAL = _rgb("#4b5c72")  # walls of a building with nothing to show: calm blue-grey
ROOF = tuple(int(c) for c in lighter(NEUTRAL))
SELECTED = _rgb("#e6edf3")  # the picked building: the theme's text white, unlike any data colour
NO_DATA = _rgb("#464c54")  # no figure for this building: plain grey, darker than NEUTRAL
WARNING = _rgb("#ffc400")  # widgets.theme.STATUS_COLOURS[Status.WARNING] (high-performance)
ALARM = _rgb("#e5484d")  # widgets.theme.STATUS_COLOURS[Status.ALARM]
FORECAST = _rgb("#d7b8f3")  # widgets.theme.FORECAST: what is expected, not what has happened
#: How strongly the forecast hue shows at each step of expected risk (neither limit, the warning
#: limit, the alarm limit expected): the rainstorm panel's map lays it over the basemap with these
#: opacities, the scene blends it into its calm walls, so both read as the same three steps.
EXPECTED_OPACITY = (0.10, 0.35, 0.70)
EXPECTED = np.round([np.add(np.multiply(NEUTRAL, 1 - a), np.multiply(FORECAST, a)) for a in EXPECTED_OPACITY]
                    ).astype(np.uint8)
#: The normal band's ramp, calm end first: lightness rises monotonically, hue blue → teal → green.
RAMP = np.array([_rgb(c) for c in ("#2b4a6f", "#2d6e8e", "#2f929a", "#4db396", "#93d4a4")], dtype=np.float64)
#: Where only one side has a threshold, the band's open end lies this many warning-to-alarm steps
#: beyond the warning threshold (and never below zero for a positive scale).
OPEN_END_STEPS = 4.0


def _first(*values):
    return next((v for v in values if v is not None), None)


def band(indicator: Indicator, values: np.ndarray | None = None) -> tuple[float, float]:
    """The normal band (lo, hi) the ramp spans: between the warning thresholds (alarm where a side
    has no warning); an open side is set from the threshold step; no thresholds: the values' range."""
    lo = _first(indicator.warn_low, indicator.alarm_low)
    hi = _first(indicator.warn_high, indicator.alarm_high)
    if lo is None and hi is None:
        finite = np.asarray(values if values is not None else [], dtype=np.float64)
        finite = finite[np.isfinite(finite)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    elif lo is None:
        step = hi - indicator.alarm_high if indicator.warn_high is not None and indicator.alarm_high is not None else 0
        lo = hi - OPEN_END_STEPS * abs(step) if step else hi - max(1.0, abs(hi))
        lo = max(lo, 0.0) if hi > 0 else lo
    elif hi is None:
        step = lo - indicator.alarm_low if indicator.warn_low is not None and indicator.alarm_low is not None else 0
        hi = lo + OPEN_END_STEPS * abs(step) if step else lo + max(1.0, abs(lo))
    return float(lo), float(max(hi, lo + 1e-9))


def ramp(position: np.ndarray) -> np.ndarray:
    """(n,) 0..1 (calm .. at the warning threshold) → (n, 3) uint8 along RAMP."""
    p = np.clip(np.nan_to_num(np.asarray(position, dtype=np.float64)), 0.0, 1.0) * (len(RAMP) - 1)
    i = np.minimum(p.astype(np.int64), len(RAMP) - 2)
    f = (p - i)[:, None]
    return np.round(RAMP[i] * (1 - f) + RAMP[i + 1] * f).astype(np.uint8)


def _position(values: np.ndarray, indicator: Indicator, lo: float, hi: float) -> np.ndarray:
    """How far into the band towards its bad side each value is: 0 calm, 1 at the warning threshold."""
    if indicator.bad == "low":
        return (hi - values) / (hi - lo)
    if indicator.bad == "both":
        return np.abs(values - (lo + hi) / 2) / ((hi - lo) / 2)
    return (values - lo) / (hi - lo)


def _levels(values: np.ndarray, indicator: Indicator) -> np.ndarray:
    """Indicator.level for a whole vector: 0 normal, 1 warning, 2 alarm (no data apart)."""
    def beyond(high, low):
        hit = np.zeros(len(values), dtype=bool)
        with np.errstate(invalid="ignore"):
            if high is not None:
                hit |= values >= high
            if low is not None:
                hit |= values <= low
        return hit
    alarm = beyond(indicator.alarm_high, indicator.alarm_low)
    return np.where(alarm, 2, beyond(indicator.warn_high, indicator.warn_low).astype(np.int8)).astype(np.int8)


def value_colours(values: np.ndarray, indicator: Indicator) -> np.ndarray:
    """(B,) values (nan: no data) → (B, 3) uint8: the ramp inside the normal band, amber at or
    beyond a warning threshold, red at or beyond an alarm threshold, grey for no data."""
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    lo, hi = band(indicator, v)
    with np.errstate(invalid="ignore"):
        out = ramp(_position(v, indicator, lo, hi))
    level = _levels(v, indicator)
    out[level == 1] = WARNING
    out[level == 2] = ALARM
    out[~np.isfinite(v)] = NO_DATA
    return out


def risk_colours(levels: np.ndarray) -> np.ndarray:
    """(B,) 0 none, 1 warning, 2 alarm → (B, 3) uint8: neutral, amber, red."""
    table = np.array([NEUTRAL, WARNING, ALARM], dtype=np.uint8)
    return table[np.clip(np.asarray(levels, dtype=np.int64), 0, 2)]


def expected_colours(levels: np.ndarray) -> np.ndarray:
    """(B,) expected risk step 0-2, -1 where nothing was modelled → (B, 3) uint8: the forecast hue's
    three steps, plain grey for the unmodelled (never an alarm colour: it has not happened)."""
    levels = np.asarray(levels, dtype=np.int64)
    out = EXPECTED[np.clip(levels, 0, 2)]
    out[levels < 0] = NO_DATA
    return out


def _label(indicator: Indicator, value: float, prefix: str = "") -> str:
    return f"{prefix}{indicator.format(value)} {indicator.unit}".strip()


def legend(indicator: Indicator) -> list[tuple[float, tuple[int, int, int], str]]:
    """Swatches for a drawn legend, by value: (value, colour, label). Ramp stops are labelled with
    their value, thresholds "≥ x" / "≤ x"; the last stop, value nan, is "no data" (translate it)."""
    lo, hi = band(indicator)
    stops = []
    for k in range(len(RAMP)):
        value = lo + (hi - lo) * k / (len(RAMP) - 1)
        colour = value_colours(np.array([value]), indicator)[0]
        if not _levels(np.array([value]), indicator)[0]:
            stops.append((value, tuple(int(c) for c in colour), _label(indicator, value)))
    for value, colour, prefix in ((indicator.warn_high, WARNING, "≥ "), (indicator.alarm_high, ALARM, "≥ "),
                                  (indicator.warn_low, WARNING, "≤ "), (indicator.alarm_low, ALARM, "≤ ")):
        if value is not None:
            stops.append((float(value), colour, _label(indicator, value, prefix)))
    stops.sort(key=lambda s: s[0])
    return stops + [(float("nan"), NO_DATA, "no data")]

"""Which way a tile's figure moved over the last ten minutes, and whether that is toward bad.

Kept apart from tiles.py (what a tile shows and when the grid repaints) so each stays short.
"""

from __future__ import annotations

import math
from enum import Enum

import numpy as np

from console.model.indicator import Indicator

TREND_S = 600.0  # the arrow shows the move over the last ten minutes


class Trend(Enum):
    UP = "↑"
    DOWN = "↓"
    FLAT = "→"


def threshold_span(ind: Indicator) -> float:
    """Distance between the indicator's outermost thresholds (0 with fewer than two)."""
    marks = [t for t in (ind.warn_low, ind.warn_high, ind.alarm_low, ind.alarm_high) if t is not None]
    return max(marks) - min(marks) if len(marks) >= 2 else 0.0


def _worse(ind: Indicator, up: bool, value: float) -> int:
    """+1 when a move up (or down) heads toward the indicator's bad side, -1 away, 0 unknown."""
    if ind.bad == "high":
        return 1 if up else -1
    if ind.bad == "low":
        return -1 if up else 1
    low = ind.warn_low if ind.warn_low is not None else ind.alarm_low
    high = ind.warn_high if ind.warn_high is not None else ind.alarm_high
    if ind.bad == "both" and low is not None and high is not None:
        return 1 if (value > (low + high) / 2) == up else -1
    return 0


def trend_of(ind: Indicator, ts: np.ndarray, values: np.ndarray, at: float) -> tuple[Trend | None, int]:
    """Which way the value moved over the ten minutes before ``at``, and whether toward bad.

    The least-squares change over the window counts as a move only when it is a real part of
    the thresholds' span (without two thresholds: of the hour's range) and well above the
    reading-to-reading noise, so a noisy but steady figure shows → instead of flickering.
    None when the window holds too little data to tell.
    """
    keep = np.isfinite(values)
    ts, values = ts[keep], values[keep]
    i0 = max(0, int(np.searchsorted(ts, at - TREND_S)) - 1)  # include the reading in force at the start
    t, y = ts[i0:], values[i0:]
    if len(t) < 2 or t[-1] - t[0] < TREND_S / 2:
        return None, 0
    tc = t - t.mean()
    change = float((tc * (y - y.mean())).sum() / (tc * tc).sum()) * TREND_S
    d2 = np.diff(values, 2)  # second differences: a steady ramp is not noise
    noise = float(np.median(np.abs(d2))) * 1.4826 / math.sqrt(6) if len(d2) else 0.0
    span = threshold_span(ind) or float(values.max() - values.min())
    if abs(change) < max(0.1 * span, 2.5 * noise, 0.5 * 10.0 ** -ind.decimals):
        return Trend.FLAT, 0
    return (Trend.UP if change > 0 else Trend.DOWN), _worse(ind, change > 0, float(y[-1]))

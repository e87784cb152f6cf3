"""Forecasts for every indicator the store holds, refreshed once a minute of (wall or replay) time.

Each refresh rebuilds all forecasts from the store's readings at or before "now" in one
vectorised pass (console/forecast/model.py); the daily profiles come from the cache's hourly
roll-ups, read a few per refresh and kept for the hour. In a replay "now" is the replayed
moment: readings the store already holds beyond it are never used (no look-ahead).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from sqlalchemy.exc import SQLAlchemyError

from console.forecast.grid import DAY_S, HOUR_S, bin_means, daily_profile, profile_at
from console.forecast.model import forecast
from console.model.indicator import Indicator
from console.store.history import HistoryData
from console.store.store import Store

#: Minutes of recent history the smoothing runs over, the step, and how far ahead it looks.
WINDOW_STEPS, STEP_S, HORIZON_STEPS = 120, 60.0, 60
#: Forecasts are recomputed when the clock moved this far (or backwards: a replay seek).
REFRESH_S = 60.0
#: Days of hourly roll-ups a daily profile is learned from.
PROFILE_DAYS = 7
#: Profiles read from the cache per refresh at most: spreads a cold start over a few minutes.
PROFILE_READS = 30


class HistoryReader(Protocol):
    def fetch(self, indicator: Indicator, t0: float, t1: float, max_points: int = ...) -> HistoryData: ...


@dataclass(frozen=True)
class IndicatorForecast:
    """One indicator's forecast made at ``origin``: values at ``ts`` (after origin), 80 % interval."""

    indicator_id: int
    origin: float
    ts: np.ndarray
    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    sd: np.ndarray | None = None  # the model's own h-step deviation: what early warnings judge by


class Forecasts:
    """The latest forecast of each indicator; ``version`` goes up with each refresh."""

    def __init__(self, store: Store, history: HistoryReader | None = None, refresh_s: float = REFRESH_S):
        self.store = store
        self.history = history
        self.refresh_s = refresh_s
        self.version = 0
        self.origin: float | None = None
        self._by_id: dict[int, IndicatorForecast] = {}
        self._profiles: dict[int, tuple[int, np.ndarray | None]] = {}  # id -> (hour it was read, profile)

    def get(self, indicator_id: int) -> IndicatorForecast | None:
        return self._by_id.get(indicator_id)

    def due(self, now: float) -> bool:
        return self.origin is None or now < self.origin or now - self.origin >= self.refresh_s

    def refresh(self, now: float) -> bool:
        """Recompute every forecast if a refresh is due at ``now``; True when it did."""
        if not self.due(now):
            return False
        self.compute(now)
        return True

    def compute(self, now: float) -> None:
        """Forecast every indicator from its readings at or before ``now``."""
        indicators = sorted(self.store.indicators.values(), key=lambda i: i.id)
        n = len(indicators)
        y = np.full((n, WINDOW_STEPS), np.nan)
        t0 = now - WINDOW_STEPS * STEP_S
        for row, ind in enumerate(indicators):
            ts, values = self.store.window(ind.id, t0, now)
            if len(ts):
                y[row] = bin_means(ts, values, now, WINDOW_STEPS, STEP_S)
        grid = now + STEP_S * (np.arange(-WINDOW_STEPS + 1, HORIZON_STEPS + 1) - 0.5)  # bin centres
        seasonal = self._seasonal(indicators, now, grid)
        result = forecast(y, STEP_S, HORIZON_STEPS, seasonal)
        ahead = now + STEP_S * np.arange(1, HORIZON_STEPS + 1)
        self._by_id = {ind.id: IndicatorForecast(ind.id, now, ahead, result.mean[row], result.lo[row],
                                                 result.hi[row], result.sd_h[row])
                       for row, ind in enumerate(indicators) if np.isfinite(result.mean[row, 0])}
        self.origin = now
        self.version += 1

    def _seasonal(self, indicators: list[Indicator], now: float, grid: np.ndarray) -> np.ndarray | None:
        if self.history is None:
            return None
        hour = int(now // HOUR_S)
        reads = 0
        out = np.zeros((len(indicators), len(grid)))
        for row, ind in enumerate(indicators):
            held = self._profiles.get(ind.id)
            if (held is None or held[0] != hour) and reads < PROFILE_READS:
                reads += 1
                held = (hour, self._profile(ind, now))
                self._profiles[ind.id] = held
            if held is not None and held[1] is not None:
                out[row] = profile_at(held[1], grid)
        return out

    def _profile(self, ind: Indicator, now: float) -> np.ndarray | None:
        try:
            data = self.history.fetch(ind, now - PROFILE_DAYS * DAY_S, now, max_points=24 * PROFILE_DAYS)
        except (OSError, ValueError, SQLAlchemyError):  # an unreadable cache only costs the daily profile
            return None
        if data.resolution != "1h":
            return None
        return daily_profile(data.ts - HOUR_S / 2, data.values, now)

"""Older data for charts, read from the cache: raw readings near, roll-ups far.

The store holds only the last hours; a chart zoomed or panned further back asks this for the
rest. It is Qt-free and safe to call from a worker thread: every read checks its own
connection out of the cache engine's pool, and SQLite's WAL lets it read while sync writes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from console.cache import Cache
from console.cache.rollups import RESOLUTIONS, choose_resolution, read_rollup
from console.model.indicator import Indicator

#: Finest first: the order a fetch falls back along when a level was pruned by retention.
LEVELS = ("raw", *RESOLUTIONS)


@dataclass(frozen=True, eq=False)
class HistoryData:
    """One indicator over [t0, t1] at one resolution.

    Raw: ``ts``/``values`` are the readings. Roll-ups: ``ts`` are bucket centres (a bucket's
    mean belongs to its middle, not its start), ``values`` the means, and ``vmin``/``vmax``
    the envelope that keeps spikes visible after averaging.
    """

    indicator_id: int
    t0: float
    t1: float
    resolution: str
    ts: np.ndarray
    values: np.ndarray
    vmin: np.ndarray | None = None
    vmax: np.ndarray | None = None

    @property
    def is_rollup(self) -> bool:
        return self.resolution != "raw"

    def __len__(self) -> int:
        return len(self.ts)


class HistorySource:
    """Reads one indicator's history from the cache at the resolution a span needs."""

    def __init__(self, cache: Cache):
        self.cache = cache

    def resolution_for(self, indicator: Indicator, t0: float, t1: float, max_points: int = 4000) -> str:
        """The level a fetch of [t0, t1] starts from, before any fallback for pruned data."""
        return choose_resolution(max(t1 - t0, 1.0), max(indicator.interval_s, 1e-3), max_points)

    def fetch(self, indicator: Indicator, t0: float, t1: float, max_points: int = 4000) -> HistoryData:
        """[t0, t1] in at most about ``max_points`` points per series.

        Retention prunes raw rows first and minute roll-ups next, so where the chosen level no
        longer reaches back to ``t0`` a coarser level that does is used instead.
        """
        chosen = self.resolution_for(indicator, t0, t1, max_points)
        levels = LEVELS[LEVELS.index(chosen):]
        resolution = chosen
        oldest = self._oldest(indicator.id, levels) if len(levels) > 1 else {}
        for level in levels[1:]:
            held = oldest[resolution]
            if held is not None and held <= t0 + self._width(resolution, indicator):
                break  # reaches back to t0
            # buckets start before their first reading: only a bucket width further counts as older
            if oldest[level] is not None and (held is None or oldest[level] + RESOLUTIONS[level] < held):
                resolution = level
        return self._read(indicator.id, t0, t1, resolution)

    @staticmethod
    def _width(level: str, indicator: Indicator) -> float:
        return RESOLUTIONS.get(level, indicator.interval_s)

    def _oldest(self, iid: int, levels: tuple[str, ...]) -> dict[str, float | None]:
        """Oldest time held per level: one index seek each."""
        found: dict[str, float | None] = {}
        with self.cache.engine.connect() as conn:
            for level in levels:
                table, column = ("readings", "ts") if level == "raw" else (f"rollup_{level}", "bucket")
                found[level] = conn.exec_driver_sql(
                    f"SELECT min({column}) FROM {table} WHERE indicator_id = ?", (iid,)).scalar()
        return found

    def _read(self, iid: int, t0: float, t1: float, resolution: str) -> HistoryData:
        if resolution == "raw":
            ts, values = self.cache.read_range(iid, t0, t1)
            return HistoryData(iid, t0, t1, "raw", ts, values)
        width = RESOLUTIONS[resolution]
        rows = read_rollup(self.cache.engine, iid, t0 - width, t1, resolution)  # the bucket holding t0 too
        return HistoryData(iid, t0, t1, resolution, rows["bucket"] + width / 2, rows["mean"],
                           rows["min"], rows["max"])

"""A fixed-size ring buffer of one indicator's recent readings: bounded memory, 24/7."""

from __future__ import annotations

import numpy as np

from console.store.pyramid import Frame, Pyramid


class Series:
    """The newest ``capacity`` readings of one indicator, in time order."""

    def __init__(self, capacity: int, interval_s: float = 1.0):
        self.capacity = capacity
        #: min/max levels for drawing any span (console/store/pyramid.py), following these readings
        self.pyramid = Pyramid(interval_s, self.window)
        self._ts = np.empty(capacity, dtype=np.float64)
        self._values = np.empty(capacity, dtype=np.float64)
        self._quality = np.zeros(capacity, dtype=np.int8)
        self._start = 0  # index of the oldest reading
        self._size = 0
        #: the newest reading (ts, value, quality) as Python numbers: what ``at`` answers for any
        #: time at or after it, asked for every tile on every refresh
        self._newest: tuple[float, float, int] | None = None

    def __len__(self) -> int:
        return self._size

    @property
    def last_ts(self) -> float:
        return self._newest[0] if self._newest is not None else -np.inf

    @property
    def first_ts(self) -> float:
        return float(self._ts[self._start]) if self._size else np.inf

    def extend(self, ts: np.ndarray, values: np.ndarray, quality: np.ndarray | None = None) -> int:
        """Append readings newer than the newest held; older ones are left to the cache.

        Returns how many were taken. Input need not be sorted.
        """
        order = np.argsort(ts, kind="stable")
        ts, values = ts[order], values[order]
        quality = np.zeros(len(ts), np.int8) if quality is None else quality[order]
        keep = ts > self.last_ts
        ts, values, quality = ts[keep], values[keep], quality[keep]
        n = len(ts)
        if n > self.capacity:
            ts, values, quality = ts[-self.capacity:], values[-self.capacity:], quality[-self.capacity:]
            n = self.capacity
        end = (self._start + self._size) % self.capacity
        idx = (end + np.arange(n)) % self.capacity
        self._ts[idx], self._values[idx], self._quality[idx] = ts, values, quality
        overflow = max(0, self._size + n - self.capacity)
        self._start = (self._start + overflow) % self.capacity
        self._size = min(self.capacity, self._size + n)
        if overflow:
            self.pyramid.forget_before(float(self._ts[self._start]))
        if n:
            self._newest = (float(ts[-1]), float(values[-1]), int(quality[-1]))
        return n

    def _segments(self) -> tuple[np.ndarray, np.ndarray]:
        """The held times as two views, oldest part first: no copy, for binary search."""
        end = self._start + self._size
        return self._ts[self._start:min(end, self.capacity)], self._ts[:max(0, end - self.capacity)]

    def _search(self, t: float, side: str) -> int:
        """Logical index where ``t`` would be inserted (like np.searchsorted on the ordered times)."""
        first, second = self._segments()
        if len(second) and t >= second[0]:
            return len(first) + int(np.searchsorted(second, t, side))
        return int(np.searchsorted(first, t, side))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """All held readings, oldest first (copies)."""
        idx = (self._start + np.arange(self._size)) % self.capacity
        return self._ts[idx], self._values[idx]

    def window(self, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
        """Readings with t0 <= ts <= t1 (copies of just that stretch)."""
        lo, hi = self._search(t0, "left"), self._search(t1, "right")
        idx = (self._start + np.arange(lo, hi)) % self.capacity
        return self._ts[idx], self._values[idx]

    def frame(self, t0: float, t1: float, columns: int) -> Frame:
        """[t0, t1] to draw in ``columns`` pixel columns: about two points per column, at any span."""
        newest = float(self.last_ts)
        self.pyramid.sync(newest)
        return self.pyramid.frame(t0, t1, columns, newest)

    def at(self, t: float) -> tuple[float, float, int] | None:
        """The newest reading at or before ``t`` (ts, value, quality), or None.

        Called for every tile on every refresh tick, so it searches in place instead of copying,
        and the newest reading (what a live wall asks for) needs no search at all.
        """
        if self._newest is not None and t >= self._newest[0]:
            return self._newest
        i = self._search(t, "right") - 1
        if i < 0:
            return None
        j = (self._start + i) % self.capacity
        return float(self._ts[j]), float(self._values[j]), int(self._quality[j])

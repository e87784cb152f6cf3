"""A min/max pyramid of one series: what a frame of any span draws, in about two points per pixel column.

Level ``k`` holds, per bucket of ``base × 2**k`` seconds (aligned to absolute time, so a bucket
never moves while the view scrolls), the lowest and highest reading in it; empty buckets are not
stored, so an outage stays a hole. A frame picks the coarsest level whose buckets are no wider
than a pixel column and reads only the buckets in view: the cost follows the pixels, not the
series' length. Downsampling every frame (pyqtgraph's peak mode) reads every point in view.

The pyramid follows its series lazily: a frame first folds in the readings appended since the
last frame (the newest buckets of each level are recomputed from the level below), so a store
taking thousands of readings a second pays nothing until something is drawn.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: The finest level: buckets of 2**FIRST_LEVEL reading intervals. A frame finer than that reads
#: the readings themselves (at most that many per pixel column).
FIRST_LEVEL = 3
#: No level coarser than this many buckets for the whole series is kept.
TOP_BUCKETS = 4

#: (t0, t1) -> the readings with t0 <= ts <= t1, oldest first
Reader = Callable[[float, float], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Frame:
    """What to draw of [t0, t1]: a line through ``ts``/``values``.

    From a level, each bucket gives two points (its minimum, then its maximum) inside its own
    time, and the newest reading ends the line. ``width`` is the bucket width (0: the readings
    themselves); points further apart than ``width`` (beyond the caller's own gap rule for
    readings) are on both sides of an empty bucket.
    """

    ts: np.ndarray
    values: np.ndarray
    width: float

    def gap_s(self, readings_gap_s: float) -> float:
        """How far apart two consecutive points are across an outage."""
        return max(readings_gap_s, self.width)


def _group(ids: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows with equal (sorted) ids merged: their minimum and maximum."""
    if len(ids) < 2:
        return ids, lo, hi
    starts = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    if not len(starts):  # one bucket (the common case of a few new readings)
        return ids[:1], lo.min(keepdims=True), hi.max(keepdims=True)
    starts = np.concatenate((np.zeros(1, np.int64), starts))
    return ids[starts], np.minimum.reduceat(lo, starts), np.maximum.reduceat(hi, starts)


class Level:
    """Buckets of one width: ids (bucket start = id × width), minima, maxima; grows at the end."""

    def __init__(self, width: float):
        self.width = width
        self._ids = np.empty(64, np.int64)
        self._lo = np.empty(64, np.float64)
        self._hi = np.empty(64, np.float64)
        self._start = 0
        self._end = 0

    def __len__(self) -> int:
        return self._end - self._start

    @property
    def ids(self) -> np.ndarray:
        return self._ids[self._start:self._end]

    @property
    def lo(self) -> np.ndarray:
        return self._lo[self._start:self._end]

    @property
    def hi(self) -> np.ndarray:
        return self._hi[self._start:self._end]

    def replace_from(self, ids: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        """The buckets from ``ids[0]`` on are these (the held ones from there are dropped)."""
        if not len(ids):
            return
        at = self._start + int(np.searchsorted(self.ids, ids[0]))
        end = at + len(ids)
        if end > len(self._ids):
            keep = self._end - self._start
            size = max(64, 2 * (end - self._start))
            for name in ("_ids", "_lo", "_hi"):
                old = getattr(self, name)
                new = np.empty(size, old.dtype)
                new[:keep] = old[self._start:self._end]
                setattr(self, name, new)
            at, end, self._start = at - self._start, end - self._start, 0
        self._ids[at:end], self._lo[at:end], self._hi[at:end] = ids, lo, hi
        self._end = end

    def drop_before(self, first_id: int) -> None:
        """Forget buckets wholly older than the series holds."""
        self._start += int(np.searchsorted(self.ids, first_id))


class Pyramid:
    """The min/max levels of one series whose readings ``read`` returns (sorted by time)."""

    def __init__(self, interval_s: float, read: Reader):
        self.base = max(float(interval_s), 1e-3)
        self.read = read
        self.levels: list[Level] = []
        self.synced = -math.inf  # newest reading folded in
        self.held_from = -math.inf  # oldest reading the series still holds

    def width(self, k: int) -> float:
        return self.base * 2.0 ** (FIRST_LEVEL + k)

    def forget_before(self, oldest: float) -> None:
        """The series dropped its readings older than ``oldest`` (a ring buffer going round)."""
        self.held_from = oldest

    def sync(self, newest: float) -> None:
        """Fold in the readings appended since the last sync, up to ``newest``."""
        if newest <= self.synced:
            return
        lo_t = self.synced if self.synced > -math.inf else self.held_from
        ts, values = self.read(lo_t, newest)
        keep = (ts > self.synced) & np.isfinite(values)
        ts, values = ts[keep], values[keep]
        self.synced = newest
        if not len(ts):
            return
        # lo and hi must be arrays of their own: the first bucket is updated in place below
        ids, lo, hi = _group(np.floor(ts / self.width(0)).astype(np.int64), values, values.copy())
        if not self.levels:
            self.levels.append(Level(self.width(0)))
        first = self.levels[0]
        if len(first) and first.ids[-1] == ids[0]:  # the newest bucket held gets more readings
            lo[0], hi[0] = min(lo[0], first.lo[-1]), max(hi[0], first.hi[-1])
        first.replace_from(ids, lo, hi)
        changed = int(ids[0])
        k = 0
        while k < len(self.levels):
            level = self.levels[k]
            if k + 1 == len(self.levels):
                if len(level) <= TOP_BUCKETS:
                    break
                self.levels.append(Level(self.width(k + 1)))
                changed = int(level.ids[0])
            changed >>= 1  # the parent bucket of the oldest changed one, rebuilt from both its children
            at = int(np.searchsorted(level.ids, changed << 1))
            parent = _group(level.ids[at:] >> 1, level.lo[at:], level.hi[at:])
            self.levels[k + 1].replace_from(*parent)
            k += 1
        if self.held_from > -math.inf:
            for k, level in enumerate(self.levels):
                level.drop_before(math.floor(self.held_from / level.width))

    def level_for(self, t0: float, t1: float, columns: int) -> int | None:
        """The level whose buckets are nearest a pixel column wide, so a frame draws about two points
        per column (None: the readings themselves, no more than 2**FIRST_LEVEL of them per column)."""
        per_column = (t1 - t0) / max(columns, 1)
        if per_column < self.width(0) or not self.levels:
            return None
        k = round(math.log2(per_column / self.width(0)))
        return min(k, len(self.levels) - 1)

    def frame(self, t0: float, t1: float, columns: int, newest: float) -> Frame:
        """[t0, t1] in about two points per column (``columns`` pixel columns), showing only the
        readings held: from ``held_from`` to ``newest`` (a replay's cursor: nothing after it).

        Call ``sync`` first; the buckets at both ends of what is held are recomputed from the
        readings, so neither a reading let go nor one still to come shows in them.
        """
        t0, t1 = max(t0, self.held_from), min(t1, newest)
        k = self.level_for(t0, t1, columns)
        if k is None or t1 < t0:
            ts, values = self.read(t0, t1)
            return Frame(ts, values, 0.0)
        level = self.levels[k]
        w = level.width
        ids = level.ids
        a, b = int(np.searchsorted(ids, math.floor(t0 / w))), int(np.searchsorted(ids, math.floor(t1 / w), "right"))
        ids, lo, hi = ids[a:b], level.lo[a:b].copy(), level.hi[a:b].copy()
        if not len(ids):
            return Frame(np.empty(0), np.empty(0), w)
        for end in (0, -1):
            start, stop = ids[end] * w, (ids[end] + 1) * w
            if start < self.held_from or stop > newest:  # a bucket only partly held: from its readings
                ts, values = self.read(max(self.held_from, start), min(newest, stop))
                values = values[(ts < stop) & np.isfinite(values)]
                if len(values):
                    lo[end], hi[end] = values.min(), values.max()
        last_ts, last_values = self.read(max(t0, ids[-1] * w), t1)
        end = len(last_ts) and last_ts[-1] > (ids[-1] + 0.75) * w  # the line ends at the newest reading in view
        xs, ys = np.empty(2 * len(ids) + end), np.empty(2 * len(ids) + end)
        start = ids * w
        xs[0:2 * len(ids):2], xs[1:2 * len(ids):2] = start + 0.25 * w, start + 0.75 * w
        ys[0:2 * len(ids):2], ys[1:2 * len(ids):2] = lo, hi
        if end:
            xs[-1], ys[-1] = last_ts[-1], last_values[-1]
        return Frame(xs, ys, w)


def equal_buckets(ts: np.ndarray, values: np.ndarray, t0: float, t1: float, n: int,
                  pyramid: Pyramid | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Min and max per each of ``n`` equal buckets of [t0, t1] (a report's chart), from a pyramid of
    the readings ``ts``/``values`` (sorted): (bucket index of each non-empty bucket, min, max).

    Exactly what grouping every reading would give (a reading at t goes to bucket
    ``(t - t0) // width``, clipped to the ends), reading a pyramid level with at least four of
    its buckets per chart bucket, and the readings themselves only where one of its buckets
    straddles a chart bucket's edge.
    """
    width = (t1 - t0) / n

    def bucket_of(t: np.ndarray) -> np.ndarray:
        return np.clip(((t - t0) // width).astype(np.int64), 0, n - 1)

    def read(a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
        i, j = np.searchsorted(ts, a), np.searchsorted(ts, b, "right")
        return ts[i:j], values[i:j]

    if pyramid is None:
        pyramid = Pyramid(max(width / 64, 1e-3), read)
        if len(ts):
            pyramid.sync(float(ts[-1]))
    k = math.floor(math.log2(width / 4 / pyramid.width(0))) if width > 0 else -1
    if k < 0 or not pyramid.levels or not len(ts):
        ids = bucket_of(ts)
        return _group(ids, values, values)
    level = pyramid.levels[min(k, len(pyramid.levels) - 1)]
    w = level.width
    start = level.ids * w
    whole = (bucket_of(start) == bucket_of(start + w)) & (start >= t0) & (start + w < t1)
    margin = 16 * np.spacing(max(abs(t0), abs(t1)))  # clear of the edge even in rounding
    whole &= ((start - t0) % width > margin) & ((start - t0) % width < width - w - margin)
    parts = [(bucket_of(start[whole]), level.lo[whole], level.hi[whole])]
    a = np.searchsorted(ts, start[~whole])
    b = np.searchsorted(ts, start[~whole] + w)
    lengths = b - a
    take = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths) + np.repeat(a, lengths)
    parts.append((bucket_of(ts[take]), values[take], values[take]))
    ids, lo, hi = (np.concatenate(c) for c in zip(*parts))
    order = np.argsort(ids, kind="stable")
    return _group(ids[order], lo[order], hi[order])

"""The min/max pyramid: exact against numpy, the same whether built at once or as readings arrive."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from console.store.pyramid import FIRST_LEVEL, Pyramid, equal_buckets
from console.store.series import Series


def _series(seed: int, n: int, interval: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Irregular times (some outages) and noisy values with spikes."""
    rng = np.random.default_rng(seed)
    steps = rng.exponential(interval, n) + np.where(rng.random(n) < 0.01, rng.exponential(60 * interval, n), 0)
    ts = 1_780_000_000.0 + np.cumsum(steps)
    values = rng.normal(0, 1, n) + np.where(rng.random(n) < 0.003, 40.0, 0.0)
    return ts, values


def _reference(ts: np.ndarray, values: np.ndarray, width: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ids = np.floor(ts / width).astype(np.int64)
    keys = np.unique(ids)
    return keys, np.array([values[ids == k].min() for k in keys]), np.array([values[ids == k].max() for k in keys])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(50, 3000))
def test_every_level_is_the_exact_min_and_max_of_its_buckets(seed, n):
    ts, values = _series(seed, n)
    series = Series(n + 16, 1.0)
    series.extend(ts, values)
    series.frame(ts[0], ts[-1], 100)
    levels = series.pyramid.levels
    assert levels, "a series of this length has levels"
    for k in (0, len(levels) // 2, len(levels) - 1):
        ids, lo, hi = _reference(ts, values, series.pyramid.width(k))
        assert np.array_equal(levels[k].ids, ids)
        assert np.array_equal(levels[k].lo, lo) and np.array_equal(levels[k].hi, hi)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), cuts=st.lists(st.integers(1, 2999), max_size=12), n=st.integers(100, 3000))
def test_appending_in_pieces_equals_building_at_once(seed, cuts, n):
    ts, values = _series(seed, n)
    whole, pieces = Series(n + 16, 1.0), Series(n + 16, 1.0)
    whole.extend(ts, values)
    whole.frame(ts[0], ts[-1], 50)
    for part in np.split(np.arange(n), sorted({c for c in cuts if c < n})):
        pieces.extend(ts[part], values[part])
        pieces.frame(ts[0], ts[part[-1]], 50)  # each frame folds in what came since the last
    assert len(whole.pyramid.levels) == len(pieces.pyramid.levels)
    for a, b in zip(whole.pyramid.levels, pieces.pyramid.levels):
        assert np.array_equal(a.ids, b.ids) and np.array_equal(a.lo, b.lo) and np.array_equal(a.hi, b.hi)


def _frame_buckets(frame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bucket id, min, max) back out of a frame's points (two per bucket, then the newest reading)."""
    k = (len(frame.ts) // 2) * 2
    xs, ys = frame.ts[:k].reshape(-1, 2), frame.values[:k].reshape(-1, 2)
    return np.floor(xs[:, 0] / frame.width).astype(np.int64), ys[:, 0], ys[:, 1]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), a=st.floats(0, 1), b=st.floats(0, 1), columns=st.integers(2, 400))
def test_a_frame_of_any_span_is_exact_and_about_two_points_per_column(seed, a, b, columns):
    n = 4000
    ts, values = _series(seed, n)
    capacity = 3000  # the ring has let the oldest readings go: the first bucket must not show them
    series = Series(capacity, 1.0)
    series.extend(ts[:1500], values[:1500])
    series.frame(ts[0], ts[1499], 10)
    series.extend(ts[1500:], values[1500:])
    held_ts, held_values = series.arrays()
    t0 = held_ts[0] + min(a, b) * (held_ts[-1] - held_ts[0])
    t1 = held_ts[0] + max(a, b) * (held_ts[-1] - held_ts[0])
    frame = series.frame(t0, t1, columns)
    if frame.width == 0:  # fine enough to read the readings themselves
        keep = (held_ts >= t0) & (held_ts <= t1)
        assert np.array_equal(frame.ts, held_ts[keep]) and np.array_equal(frame.values, held_values[keep])
        assert len(frame.ts) <= 2 ** FIRST_LEVEL * 2 * columns + 2
        return
    ids, lo, hi = _frame_buckets(frame)
    ref_ids, ref_lo, ref_hi = _reference(held_ts, held_values, frame.width)
    want = (ref_ids >= math.floor(t0 / frame.width)) & (ref_ids <= math.floor(t1 / frame.width))
    assert np.array_equal(ids, ref_ids[want])
    assert np.array_equal(lo, ref_lo[want]) and np.array_equal(hi, ref_hi[want])
    assert len(frame.ts) <= 2 * (2 * 1.42 * columns + 2) + 1, "about two points per pixel column"


def test_a_frame_reads_no_more_as_the_series_grows():
    """The same 1,000-column frame draws about the same number of points over 10^4 or 10^6 readings."""
    sizes = []
    for n in (10_000, 1_000_000):
        ts = 1_780_000_000.0 + np.arange(n, dtype=np.float64)
        series = Series(n + 16, 1.0)
        series.extend(ts, np.sin(ts / 500))
        sizes.append(len(series.frame(ts[0], ts[-1], 1000).ts))
    assert all(1000 <= s <= 2 * 1.42 * 1000 + 3 for s in sizes), sizes


def test_the_newest_reading_ends_the_line_and_no_future_shows():
    ts = 1_780_000_000.0 + np.arange(100_000, dtype=np.float64)
    values = np.zeros(len(ts))
    values[-1] = 7.0
    pyramid = Pyramid(1.0, lambda t0, t1: (ts[(ts >= t0) & (ts <= t1)], values[(ts >= t0) & (ts <= t1)]))
    pyramid.sync(ts[-1])
    frame = pyramid.frame(ts[0], ts[-1], 100, ts[-1])
    assert frame.width > 0 and frame.ts[-1] == ts[-1] and frame.values[-1] == 7.0
    before = pyramid.frame(ts[0], ts[-1], 100, ts[-2])  # a replay's cursor just before the spike
    assert before.values.max() == 0.0 and before.ts[-1] <= ts[-2] + frame.width


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(200, 5000), buckets=st.integers(1, 700),
       a=st.floats(-0.05, 0.5), b=st.floats(0.5, 1.05))
def test_equal_buckets_for_a_report_are_exact(seed, n, buckets, a, b):
    ts, values = _series(seed, n)
    t0 = ts[0] + a * (ts[-1] - ts[0])
    t1 = ts[0] + b * (ts[-1] - ts[0])
    inside = (ts >= t0) & (ts <= t1)
    ts, values = ts[inside], values[inside]
    ids, lo, hi = equal_buckets(ts, values, t0, t1, buckets)
    width = (t1 - t0) / buckets
    want = np.clip(((ts - t0) // width).astype(np.int64), 0, buckets - 1)
    keys = np.unique(want)
    assert np.array_equal(ids, keys)
    assert np.array_equal(lo, [values[want == k].min() for k in keys])
    assert np.array_equal(hi, [values[want == k].max() for k in keys])

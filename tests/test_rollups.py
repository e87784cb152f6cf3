"""Roll-ups of readings (checked against pandas and SQL aggregates), retention and pruning."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest

from console.cache import Cache
from console.cache.rollups import (
    RESOLUTIONS,
    Retention,
    choose_resolution,
    merge,
    prune,
    read_rollup,
)

T0 = 1_700_000_000.0
DAY = 86400.0
INSERT = "INSERT INTO readings (seq, indicator_id, ts, value, quality) VALUES (?,?,?,?,?)"


def _merge_in_batches(cache: Cache, ids, ts, values, sizes) -> None:
    """Merge readings in consecutive batches of the given sizes, each in its own transaction."""
    bounds = np.cumsum([0, *sizes])
    assert bounds[-1] == len(ids)
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        with cache.engine.begin() as conn:
            merge(conn, ids[lo:hi], ts[lo:hi], values[lo:hi])


def _write(cache: Cache, ids, ts, values, first_seq: int = 1) -> None:
    rows = [(first_seq + k, int(i), float(t), float(v), 0) for k, (i, t, v) in enumerate(zip(ids, ts, values))]
    with cache.engine.begin() as conn:
        conn.exec_driver_sql(INSERT, rows)


def test_merge_counts_buckets_and_reads_back(tmp_path):
    cache = Cache(tmp_path / "cache.db")
    hour = np.floor(T0 / 3600) * 3600
    with cache.engine.begin() as conn:
        touched = merge(conn, [1, 1, 2], [hour + 1, hour + 59, hour + 61], [1.0, 3.0, 5.0])
    assert touched == 4  # minutes (1, hour) and (2, hour + 60); hours (1, hour) and (2, hour)
    with cache.engine.begin() as conn:
        assert merge(conn, np.array([], dtype=np.int64), np.array([]), np.array([])) == 0
    got = read_rollup(cache.engine, 1, 0, 1e12, "1h")
    assert got["n"].tolist() == [2] and got["min"].tolist() == [1.0] and got["max"].tolist() == [3.0]
    assert got["mean"].tolist() == [2.0] and got["bucket"].tolist() == [hour]
    assert got["n"].dtype == np.int64 and got["bucket"].dtype == np.float64
    empty = read_rollup(cache.engine, 99, 0, 1e12, "1m")
    assert set(empty) == {"bucket", "n", "min", "max", "mean"} and all(a.shape == (0,) for a in empty.values())
    with pytest.raises(ValueError, match="unknown roll-up resolution"):
        read_rollup(cache.engine, 1, 0, 1e12, "5m")


def test_rollups_match_pandas_resample(tmp_path):
    rng = np.random.default_rng(20240611)
    parts = []
    for indicator in (3, 7, 11, 1000):  # irregular timestamps (whole ms) over three days
        ms = np.unique(rng.integers(int(T0 * 1000), int((T0 + 3 * DAY) * 1000), size=4000))
        parts.append(np.column_stack([np.full(len(ms), indicator), ms, rng.normal(50, 20, len(ms))]))
    data = np.concatenate(parts)
    data = data[rng.permutation(len(data))]  # arrival order is not time order
    ids, ms, values = data[:, 0].astype(np.int64), data[:, 1].astype(np.int64), data[:, 2]
    ts = ms / 1000.0
    cache = Cache(tmp_path / "cache.db")
    sizes = [1, 2, 17, 500, 3000, 1234]
    _merge_in_batches(cache, ids, ts, values, [*sizes, len(ids) - sum(sizes)])

    for indicator in (3, 7, 11, 1000):
        mine = ids == indicator
        series = pd.Series(values[mine], index=pd.to_datetime(ms[mine], unit="ms")).sort_index()
        for resolution, rule in (("1m", "1min"), ("1h", "1h")):
            want = series.resample(rule).agg(["count", "min", "max", "mean"])
            want = want[want["count"] > 0]
            starts = ((want.index - pd.Timestamp(0)) / pd.Timedelta(seconds=1)).to_numpy(dtype=np.float64)
            got = read_rollup(cache.engine, indicator, 0, 1e12, resolution)
            np.testing.assert_array_equal(got["bucket"], starts)
            np.testing.assert_array_equal(got["n"], want["count"].to_numpy())
            np.testing.assert_allclose(got["min"], want["min"].to_numpy(), rtol=0)
            np.testing.assert_allclose(got["max"], want["max"].to_numpy(), rtol=0)
            np.testing.assert_allclose(got["mean"], want["mean"].to_numpy(), rtol=1e-12)
            # the window is inclusive at both ends and selects by bucket start
            lo, hi = starts[5], starts[9]
            assert read_rollup(cache.engine, indicator, lo, hi, resolution)["bucket"].tolist() == starts[5:10].tolist()


def test_rollups_of_the_demo_platform_match_sql(tmp_path, demo_platform):
    source = sqlite3.connect(demo_platform.removeprefix("sqlite:///"))
    flat = np.array(source.execute("SELECT indicator_id, ts, value FROM readings ORDER BY seq").fetchall())
    ids, ts, values = flat[:, 0].astype(np.int64), flat[:, 1], flat[:, 2]
    cache = Cache(tmp_path / "cache.db")
    _merge_in_batches(cache, ids, ts, values, [20_000] * (len(ids) // 20_000) + [len(ids) % 20_000])

    indicator = int(np.bincount(ids).argmax())
    buckets = read_rollup(cache.engine, indicator, 0, 1e12, "1h")
    assert len(buckets["bucket"]) >= 3
    start = buckets["bucket"][1]  # a full hour of the three simulated
    want = source.execute("SELECT count(*), min(value), max(value), avg(value) FROM readings "
                          "WHERE indicator_id = ? AND ts >= ? AND ts < ?", (indicator, start, start + 3600)).fetchone()
    source.close()
    assert buckets["n"][1] == want[0] > 0
    np.testing.assert_allclose([buckets["min"][1], buckets["max"][1], buckets["mean"][1]], want[1:], rtol=1e-12)
    for resolution in RESOLUTIONS:  # every reading is in exactly one bucket of each resolution
        with cache.engine.connect() as conn:
            assert conn.exec_driver_sql(f"SELECT sum(n) FROM rollup_{resolution}").scalar() == len(ids)


def _readings_for_prune(cache: Cache, days: float, indicators: int = 5, step: float = 60.0):
    ts = np.arange(T0, T0 + days * DAY, step)
    ids = np.repeat(np.arange(1, indicators + 1), len(ts))
    ts = np.tile(ts, indicators)
    values = np.sin(ts / 1000.0) * 10 + ids
    _write(cache, ids, ts, values)
    with cache.engine.begin() as conn:
        merge(conn, ids, ts, values)
    return ids, ts


@pytest.mark.parametrize("chunk", [50_000, 7])
def test_prune_drops_old_raw_rows_and_keeps_rollups(tmp_path, chunk):
    cache = Cache(tmp_path / "cache.db")
    ids, ts = _readings_for_prune(cache, days=1, step=300.0)
    now = T0 + DAY + 3 * 3600
    retention = Retention(raw_s=6 * 3600, minute_s=12 * 3600, hour_s=12 * 3600 + 1)
    before = {name: cache.count(f"rollup_{name}") for name in RESOLUTIONS}
    deleted = prune(cache.engine, now, retention, chunk=chunk)

    assert deleted["readings"] == int(np.sum(ts < now - retention.raw_s)) > 7  # many chunks of 7
    assert cache.count("readings") == int(np.sum(ts >= now - retention.raw_s))
    with cache.engine.connect() as conn:
        oldest = conn.exec_driver_sql("SELECT min(ts) FROM readings").scalar()
        assert oldest >= now - retention.raw_s
        minute_left = conn.exec_driver_sql("SELECT min(bucket) FROM rollup_1m").scalar()
        assert minute_left >= now - retention.minute_s
    assert deleted["rollup_1m"] == before["1m"] - cache.count("rollup_1m") > 0
    assert deleted["rollup_1h"] == before["1h"] - cache.count("rollup_1h") > 0
    # the hour roll-ups that stay still count the pruned raw readings
    hours = read_rollup(cache.engine, 3, now - retention.hour_s, now, "1h")
    kept = ts[(ids == 3) & (np.floor(ts / 3600) * 3600 >= hours["bucket"][0])]
    assert hours["n"].sum() == len(kept)
    assert prune(cache.engine, now, retention, chunk=chunk) == {"readings": 0, "rollup_1m": 0, "rollup_1h": 0}


def test_prune_only_touches_each_indicators_old_rows(tmp_path):
    cache = Cache(tmp_path / "cache.db")
    now = T0 + 10 * DAY
    # a late, backfilled reading arrives with a high seq but an old time; a fresh one with a low seq
    _write(cache, [1, 2, 2], [now - 1, now - 9 * DAY, now - 3600], [1.0, 2.0, 3.0], first_seq=1)
    _write(cache, [1], [now - 8 * DAY], [4.0], first_seq=1000)
    deleted = prune(cache.engine, now, Retention(), chunk=1)
    assert deleted["readings"] == 2
    with cache.engine.connect() as conn:
        left = conn.exec_driver_sql("SELECT seq FROM readings ORDER BY seq").scalars().all()
    assert left == [1, 3]
    with pytest.raises(ValueError, match="chunk"):
        prune(cache.engine, now, Retention(), chunk=0)


def test_retention_validation():
    assert Retention().raw_s == 7 * DAY and Retention().minute_s == 60 * DAY and Retention().hour_s == 3 * 365 * DAY
    with pytest.raises(ValueError, match="at least 2 hours"):
        Retention(raw_s=3600)
    with pytest.raises(ValueError, match="minute roll-up retention .* raw retention"):
        Retention(raw_s=10 * DAY, minute_s=5 * DAY)
    with pytest.raises(ValueError, match="hour roll-up retention .* minute roll-up retention"):
        Retention(minute_s=90 * DAY, hour_s=80 * DAY)


def test_cache_size_stays_bounded_with_daily_prune(tmp_path):
    """A day of appends then a prune, repeatedly: freed pages are reused, the file stops growing."""
    cache = Cache(tmp_path / "cache.db")
    retention = Retention(raw_s=2 * DAY, minute_s=3 * DAY, hour_s=3 * DAY)
    rng = np.random.default_rng(5)
    step, indicators = 30.0, 20
    sizes, seq = [], 1
    for day in range(10):
        ts = np.arange(T0 + day * DAY, T0 + (day + 1) * DAY, step)
        ids = np.repeat(np.arange(1, indicators + 1), len(ts))
        ts = np.tile(ts, indicators)
        values = rng.normal(50, 10, len(ts))
        _write(cache, ids, ts, values, first_seq=seq)
        seq += len(ts)
        with cache.engine.begin() as conn:
            merge(conn, ids, ts, values)
        prune(cache.engine, T0 + (day + 1) * DAY, retention, chunk=20_000)
        sizes.append(cache.size_bytes())
    assert cache.count("readings") == indicators * 2 * DAY / step
    settled = max(sizes[:5])
    assert max(sizes[5:]) <= settled * 1.05, sizes


@pytest.mark.parametrize(("span", "interval", "expected"), [
    (3600, 1, "raw"),                # an hour at 1 Hz: 3600 points
    (4000, 1, "raw"),                # exactly max_points
    (4001, 1, "1m"),
    (DAY, 10, "1m"),                 # a day at 10 s: 8640 raw, 1440 minutes
    (30 * DAY, 10, "1h"),            # a month at 10 s: 259,200 raw, 43,200 minutes, 720 hours
    (30 * DAY, 900, "raw"),          # a month at 15 min: 2880 points
    (3 * 365 * DAY, 60, "1h"),       # too many even as hours: the coarsest there is
])
def test_choose_resolution(span, interval, expected):
    assert choose_resolution(span, interval) == expected


def test_choose_resolution_respects_max_points():
    assert choose_resolution(DAY, 1, max_points=100_000) == "raw"
    assert choose_resolution(DAY, 1, max_points=2000) == "1m"
    assert choose_resolution(DAY, 1, max_points=100) == "1h"

"""Per-minute and per-hour roll-ups of readings, kept up to date as readings arrive, and retention.

A chart of a month at 10 s intervals would read 260,000 raw rows per indicator; the roll-ups
give the same chart from 720 hour buckets. They are folded in incrementally, inside the sync
transaction that writes the readings, so they never need recomputing from raw rows; that is
what lets ``prune`` drop old raw rows and keep the cache's size bounded.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, Engine

#: Roll-up resolution -> bucket width in seconds, finest first; each lives in table ``rollup_<name>``.
RESOLUTIONS = {"1m": 60.0, "1h": 3600.0}

_UPSERT = ("INSERT INTO rollup_{} (indicator_id, bucket, n, vmin, vmax, vsum) VALUES (?, ?, ?, ?, ?, ?) "
           "ON CONFLICT(indicator_id, bucket) DO UPDATE SET n = n + excluded.n, "
           "vmin = min(vmin, excluded.vmin), vmax = max(vmax, excluded.vmax), vsum = vsum + excluded.vsum")


def fold(ids: np.ndarray, start: np.ndarray, n: np.ndarray, vmin: np.ndarray, vmax: np.ndarray,
          vsum: np.ndarray, width: float) -> tuple[np.ndarray, ...]:
    """Aggregate (partial) aggregates into buckets of ``width`` s.

    The input is sorted by (indicator, time), so equal buckets are adjacent and the output is
    sorted the same way: one sort serves every resolution.
    """
    bucket = np.floor(start / width) * width
    new = np.empty(len(ids), dtype=bool)
    new[0] = True
    np.not_equal(ids[1:], ids[:-1], out=new[1:])
    new[1:] |= bucket[1:] != bucket[:-1]
    starts = np.flatnonzero(new)
    return (ids[starts], bucket[starts], np.add.reduceat(n, starts), np.minimum.reduceat(vmin, starts),
            np.maximum.reduceat(vmax, starts), np.add.reduceat(vsum, starts))


def merge(conn: Connection, ids: np.ndarray, ts: np.ndarray, values: np.ndarray) -> int:
    """Fold newly inserted readings into both roll-up tables; returns the bucket rows touched.

    Runs inside the caller's transaction (the sync batch), so readings and roll-ups commit
    together; each reading must be merged exactly once. The batch is aggregated in NumPy first
    (minutes from readings, hours from minutes), so SQLite sees one upsert per bucket, not per row.
    """
    ids, ts = np.asarray(ids, dtype=np.int64), np.asarray(ts, dtype=np.float64)
    if not len(ids):
        return 0
    order = np.lexsort((ts, ids))
    values = np.asarray(values, dtype=np.float64)[order]
    parts = (ids[order], ts[order], np.ones(len(ids), dtype=np.int64), values, values, values)
    touched = 0
    for name, width in RESOLUTIONS.items():
        parts = fold(*parts, width)
        rows = list(zip(*(column.tolist() for column in parts)))
        conn.exec_driver_sql(_UPSERT.format(name), rows)
        touched += len(rows)
    return touched


@dataclass(frozen=True)
class Retention:
    """How long the cache keeps raw readings and each roll-up, in seconds.

    Raw rows are the bulk of the cache; charts of a week or more read roll-ups, so raw rows can
    go early and the file stays bounded. Each coarser level must outlive the finer one, or a
    span would have no data at any resolution.
    """

    raw_s: float = 7 * 86400.0
    minute_s: float = 60 * 86400.0
    hour_s: float = 3 * 365 * 86400.0

    def __post_init__(self) -> None:
        if self.raw_s < 2 * 3600.0:
            raise ValueError(f"raw retention must be at least 2 hours (7200 s), got {self.raw_s} s")
        if self.minute_s < self.raw_s:
            raise ValueError(f"minute roll-up retention ({self.minute_s} s) must be at least the raw "
                             f"retention ({self.raw_s} s)")
        if self.hour_s < self.minute_s:
            raise ValueError(f"hour roll-up retention ({self.hour_s} s) must be at least the minute "
                             f"roll-up retention ({self.minute_s} s)")


def _prune_table(engine: Engine, table: str, column: str, cutoff: float, chunk: int) -> int:
    """Delete rows of ``table`` with ``column`` < cutoff, at most ``chunk`` per transaction.

    Every table here is keyed unique by (indicator_id, column) with an index on it, and nothing
    indexes ``column`` alone, so a plain ``WHERE column < ?`` would scan the table for every
    chunk. Instead walk the indicators along that index (one seek each) and per indicator delete
    the oldest rows up to the chunk's k-th oldest time: index range scans only. Deleting by
    ``seq`` range would be cheaper but wrong: seq orders arrival, not reading time (late and
    backfilled readings).
    """
    # The indicators holding anything older, in one statement: a skip scan along the index, one seek
    # to each indicator's oldest row (a cache with nothing to drop costs this statement alone).
    old = (f"WITH RECURSIVE ids(i) AS (SELECT min(indicator_id) FROM {table} UNION ALL SELECT "
           f"(SELECT min(indicator_id) FROM {table} WHERE indicator_id > i) FROM ids WHERE i IS NOT NULL) "
           f"SELECT i FROM ids WHERE i IS NOT NULL AND (SELECT min({column}) FROM {table} WHERE indicator_id = i) < ?")
    delete = (f"DELETE FROM {table} WHERE indicator_id = ? AND {column} <= (SELECT max({column}) FROM "
              f"(SELECT {column} FROM {table} WHERE indicator_id = ? AND {column} < ? "
              f"ORDER BY {column} LIMIT ?))")
    deleted = 0
    with engine.connect() as conn:
        holding = iter([i for (i,) in conn.exec_driver_sql(old, (cutoff,))])
    indicator = next(holding, None)
    while indicator is not None:
        with engine.begin() as conn:
            budget = chunk
            while indicator is not None and budget > 0:
                gone = conn.exec_driver_sql(delete, (indicator, indicator, cutoff, budget)).rowcount
                deleted += gone
                if gone == budget:  # the indicator may have more: next transaction goes on with it
                    break
                budget -= gone
                indicator = next(holding, None)
    return deleted


def prune(engine: Engine, now: float, retention: Retention, chunk: int = 50_000) -> dict[str, int]:
    """Drop raw readings and roll-up buckets older than ``retention``; returns rows deleted per table.

    Short transactions of at most ``chunk`` rows each, so the sync writer and the wall's readers
    never wait long. Roll-ups stay right when raw rows go: they were maintained incrementally.
    """
    if chunk < 1:
        raise ValueError(f"chunk must be at least 1, got {chunk}")
    return {
        "readings": _prune_table(engine, "readings", "ts", now - retention.raw_s, chunk),
        "rollup_1m": _prune_table(engine, "rollup_1m", "bucket", now - retention.minute_s, chunk),
        "rollup_1h": _prune_table(engine, "rollup_1h", "bucket", now - retention.hour_s, chunk),
    }


def read_rollup(engine: Engine, indicator_id: int, t0: float, t1: float, resolution: str) -> dict[str, np.ndarray]:
    """Buckets of one indicator starting in [t0, t1], oldest first: bucket, n, min, max, mean arrays.

    Rows go straight from the DBAPI cursor into one NumPy buffer, like ``Cache.read_range``.
    """
    if resolution not in RESOLUTIONS:
        raise ValueError(f"unknown roll-up resolution {resolution!r}; expected one of {sorted(RESOLUTIONS)}")
    sql = (f"SELECT bucket, n, vmin, vmax, vsum FROM rollup_{resolution} "
           "WHERE indicator_id = ? AND bucket >= ? AND bucket <= ? ORDER BY bucket")
    with engine.connect() as conn:
        cur = conn.connection.dbapi_connection.execute(sql, (indicator_id, t0, t1))
        flat = np.fromiter(itertools.chain.from_iterable(cur), dtype=np.float64).reshape(-1, 5)
    n = flat[:, 1].astype(np.int64)
    return {"bucket": flat[:, 0].copy(), "n": n, "min": flat[:, 2].copy(), "max": flat[:, 3].copy(),
            "mean": flat[:, 4] / n}


def choose_resolution(span_s: float, interval_s: float, max_points: int = 4000) -> str:
    """The finest of "raw", "1m", "1h" that draws ``span_s`` in at most ``max_points`` points."""
    if span_s / interval_s <= max_points:
        return "raw"
    for name, width in RESOLUTIONS.items():
        if span_s / width <= max_points:
            return name
    return "1h"

"""Cache ingest: readings through the project's write path vs raw ``sqlite3.executemany``.

Both write the same rows into the same schema (the cache's, created by the project) with the
same pragmas, each in one transaction, in the same process. Also compares the range read that
returns NumPy arrays with the obvious ``np.array(cursor.fetchall())``.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_of, report  # noqa: E402

from console.cache import PRAGMAS, Cache  # noqa: E402


def make_rows(n: int, indicators: int = 1000) -> list[tuple]:
    rng = np.random.default_rng(1)
    values = rng.normal(50, 10, n)
    return [(i + 1, i % indicators + 1, 1.7e9 + i // indicators, float(values[i]), 0) for i in range(n)]


def raw_ingest(path: Path, rows: list[tuple]) -> None:
    Cache(path).close()  # same schema, created by the project
    con = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        con.execute(pragma)
    con.execute("BEGIN")
    con.executemany("INSERT OR IGNORE INTO readings (seq, indicator_id, ts, value, quality) "
                    "VALUES (?, ?, ?, ?, ?)", rows)
    con.execute("COMMIT")
    con.close()


def project_ingest(path: Path, rows: list[tuple]) -> None:
    cache = Cache(path)
    cache.write_readings(rows)
    cache.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="reduced sizes, under a minute")
    args = parser.parse_args()
    n = 200_000 if args.quick else 1_000_000
    repeats = 2 if args.quick else 3
    rows = make_rows(n)
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(10_000))

        def fresh() -> Path:
            return Path(tmp) / f"db{next(counter)}.sqlite"

        raw = best_of(repeats, lambda: raw_ingest(fresh(), rows))
        ours = best_of(repeats, lambda: project_ingest(fresh(), rows))
        report("ingest_readings", "rows/s", n / raw, n / ours, "higher", rows=n)

        path = fresh()  # a long history of a few indicators: one range read returns n/5 rows
        project_ingest(path, make_rows(n, indicators=5))
        cache = Cache(path)
        t0, t1 = 1.7e9, 1.7e9 + n
        con = sqlite3.connect(path)

        def naive() -> np.ndarray:
            cur = con.execute("SELECT ts, value FROM readings WHERE indicator_id = ? AND ts BETWEEN ? AND ? "
                              "ORDER BY ts", (3, t0, t1))
            return np.array(cur.fetchall(), dtype=np.float64)

        assert len(naive()) == len(cache.read_range(3, t0, t1)[0])
        base = best_of(5, naive)
        cand = best_of(5, lambda: cache.read_range(3, t0, t1))
        report("range_read_one_indicator", "ms", base * 1e3, cand * 1e3, "lower", rows=len(naive()))
        con.close()
        cache.close()


if __name__ == "__main__":
    main()

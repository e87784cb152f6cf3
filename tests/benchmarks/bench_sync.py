"""Sync engine: ingest rate, catch-up from PostgreSQL, and commit-to-store latency.

Three measurements, each a baseline and the project's figure from the same process:

``ingest``
    Readings of 1,000 indicators at 1 Hz through the real ``SyncEngine.step`` (validation,
    ``insert_new_readings``, roll-ups and cursor in one cache transaction per batch), served
    by an in-memory connector so no database is involved, against raw ``sqlite3.executemany``
    of the same rows in batches of the same size into the same schema with the same pragmas.
``catchup``
    ``SyncEngine(SqlConnector(url), Cache(path)).catch_up()`` of a fresh PostgreSQL platform
    holding 1,000 indicators and ``--rows`` readings, against a bare psycopg server-side cursor
    (``ORDER BY seq``, 20,000-row chunks) written with raw ``sqlite3.executemany``: the lower
    bound of any copy. The engine's cache is then checked against the platform (``same_rows``).
``latency``
    A writer commits 100 readings every 50 ms (2,000/s) into a fresh PostgreSQL platform for
    ``--seconds``; the engine runs in its thread and hands every batch to a ``Store``. Latency
    of a reading = the time its batch was applied to the store minus the time its commit
    returned. Run with push (LISTEN/NOTIFY, 10 s heartbeat) and with polling every 0.25 s (a
    second platform whose ``readings`` NOTIFY trigger is dropped, and a connector that does
    not listen); every committed row must arrive exactly once. Baseline = polling.

Run (PostgreSQL cases need a superuser URL, as for the tests)::

    export CITYOPS_TEST_POSTGRES=postgresql+psycopg://postgres@127.0.0.1:5432
    .venv/bin/python tests/benchmarks/bench_sync.py [--quick] [--only ingest|catchup|latency]
                                                    [--rows N] [--seconds S]
"""

from __future__ import annotations

import argparse
import bisect
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import psycopg
from sqlalchemy import create_engine, insert, make_url, text

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))
from _common import report  # noqa: E402

from console.cache import PRAGMAS, Cache  # noqa: E402
from console.model.schema import P, REFERENCE_TABLES, platform_metadata  # noqa: E402
from console.platform.db import bulk_insert  # noqa: E402
from console.store.store import Store  # noqa: E402
from console.sync.batch import Batch  # noqa: E402
from console.sync.connector import Cursor, Delivery  # noqa: E402
from console.sync.sql_connector import SqlConnector  # noqa: E402
from console.sync.engine import SyncEngine  # noqa: E402
from console.sync.listen import conninfo  # noqa: E402
from tests.pg import ENV, EXAMPLE  # noqa: E402
from tests.pg import server_url as configured_server  # noqa: E402

INDICATORS = 1_000
BATCH = 20_000
RAW_INSERT = ("INSERT OR IGNORE INTO readings (seq, indicator_id, ts, value, quality) "
              "VALUES (?, ?, ?, ?, ?)")
#: One statement per commit, returning the seqs it was given (for the latency and torture writers).
PLATFORM_INSERT = ("INSERT INTO readings (indicator_id, ts, value, quality) "
                   "SELECT * FROM unnest(%s::int4[], %s::float8[], %s::float8[], %s::int2[]) RETURNING seq")


# -- data -----------------------------------------------------------------------------------------
def indicator_rows(n: int = INDICATORS) -> list[dict]:
    return [{"id": i, "code": f"bench.level.{i}", "name": f"Level {i}", "category": "water", "unit": "m",
             "bad": "high", "interval_s": 1.0, "decimals": 2} for i in range(1, n + 1)]


def reading_columns(first_key: int, n: int, t0: float, indicators: int = INDICATORS,
                    seed: int = 1) -> tuple[list[int], list[float], list[float], list[int]]:
    """Readings number ``first_key`` .. +n of indicators at 1 Hz from ``t0``: unique per (indicator, ts)."""
    keys = np.arange(first_key, first_key + n, dtype=np.int64)
    values = np.random.default_rng(seed + first_key).normal(50.0, 10.0, n)
    return ((keys % indicators + 1).tolist(), (t0 + (keys // indicators)).astype(np.float64).tolist(),
            values.tolist(), [0] * n)


def cache_rows(n: int, t0: float) -> list[tuple]:
    """(seq, indicator_id, ts, value, quality) tuples with exactly the types the platform driver gives."""
    ids, ts, values, quality = reading_columns(0, n, t0)
    return list(zip(range(1, n + 1), ids, ts, values, quality))


def recent_t0(span_s: float) -> float:
    """A start time whose data, ``span_s`` long, lies in the past (validation refuses the future)."""
    return float(int(time.time() - span_s - 3600))


# -- PostgreSQL platforms -------------------------------------------------------------------------
def server_url() -> str:
    """The server named by CITYOPS_TEST_POSTGRES (as for the tests), or stop saying how to give one."""
    return configured_server() or sys.exit(f"{ENV} is not set: give a PostgreSQL superuser URL, e.g. {EXAMPLE}")


@contextmanager
def fresh_platform(indicators: int = INDICATORS, base: str | None = None) -> Iterator[str]:
    """A fresh database (tests/pg.py) on ``base`` (default: the configured server) holding the contract and
    ``indicators`` indicators; yields its URL."""
    if base is None:
        server_url()
    from tests.pg import fresh_database

    with fresh_database(base) as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            platform_metadata.create_all(conn)
            conn.execute(insert(P["indicators"]), indicator_rows(indicators))
        engine.dispose()
        yield url


def load_readings(url: str, n: int, t0: float, chunk: int = 100_000) -> None:
    """COPY ``n`` readings (seq and txid from the platform's defaults), then VACUUM ANALYZE."""
    engine = create_engine(url)
    for start in range(0, n, chunk):
        ids, ts, values, quality = reading_columns(start, min(chunk, n - start), t0)
        with engine.begin() as conn:
            bulk_insert(conn, "readings", ("indicator_id", "ts", "value", "quality"),
                        list(zip(ids, ts, values, quality)))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE readings"))
    engine.dispose()


def psycopg_info(url: str) -> str:
    return conninfo(make_url(url))


# -- 1. ingest ------------------------------------------------------------------------------------
class MemoryConnector:
    """The connector interface over pre-built readings sorted by seq: the engine without a database."""

    shown = "memory"

    def __init__(self, reference: dict[str, list[dict]], readings: list[tuple]):
        self._reference = reference
        self._readings = readings
        self._seqs = [row[0] for row in readings]

    def check(self) -> None:
        pass

    def reference(self) -> dict[str, list[dict]]:
        return self._reference

    def fetch(self, stream: str, after: Cursor, limit: int) -> tuple[list, Cursor]:
        if stream != "readings":
            return [], after
        start = bisect.bisect_right(self._seqs, after[1])
        rows = self._readings[start:start + limit]
        return (rows, (0, rows[-1][0])) if rows else ([], after)

    def incidents(self, ids: Collection[str]) -> list[dict]:
        return []

    def backlog(self, cursors: dict[str, Cursor]) -> int:
        return len(self._seqs) - bisect.bisect_right(self._seqs, cursors.get("readings", (0, 0))[1])

    def held_back(self) -> None:
        return None

    def listen(self, on_notify: Callable[[str], None]) -> None:
        return None

    def deliver(self, actions: list[dict]) -> Delivery:
        return Delivery(delivered=[a["id"] for a in actions])

    def close(self) -> None:
        pass


def raw_ingest(path: Path, rows: list[tuple], batch: int) -> float:
    """Seconds for raw executemany of ``rows`` in transactions of ``batch`` into a fresh cache's schema."""
    Cache(path).close()  # the schema and indexes, created by the project
    con = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        con.execute(pragma)
    began = time.perf_counter()
    for start in range(0, len(rows), batch):
        con.execute("BEGIN")
        con.executemany(RAW_INSERT, rows[start:start + batch])
        con.execute("COMMIT")
    elapsed = time.perf_counter() - began
    assert con.execute("SELECT count(*) FROM readings").fetchone()[0] == len(rows)
    con.close()
    return elapsed


def engine_ingest(path: Path, rows: list[tuple], batch: int) -> float:
    """Seconds for ``SyncEngine.step`` to copy ``rows`` (reference data loaded beforehand, untimed)."""
    cache = Cache(path)
    reference: dict[str, list[dict]] = {t: [] for t in REFERENCE_TABLES} | {"indicators": indicator_rows()}
    engine = SyncEngine(MemoryConnector(reference, rows), cache, batch_rows=batch)
    engine.sync_reference()
    began = time.perf_counter()
    while not engine.step().caught_up:
        pass
    elapsed = time.perf_counter() - began
    assert cache.count("readings") == len(rows) and engine.quarantined == 0
    cache.close()
    return elapsed


def bench_ingest(n: int, repeats: int) -> None:
    rows = cache_rows(n, recent_t0(n / INDICATORS))
    raw = ours = float("inf")
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeats):  # alternate, so both see the same background load
            raw = min(raw, raw_ingest(Path(tmp) / f"raw{i}.db", rows, BATCH))
            ours = min(ours, engine_ingest(Path(tmp) / f"engine{i}.db", rows, BATCH))
    report("sync_ingest", "rows/s", n / raw, n / ours, "higher", rows=n, batch=BATCH, repeats=repeats)


# -- 2. catch-up from PostgreSQL ------------------------------------------------------------------
def raw_copy(url: str, path: Path, chunk: int = BATCH) -> float:
    """Seconds for a server-side cursor over all readings, written with raw executemany per chunk."""
    Cache(path).close()
    con = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        con.execute(pragma)
    began = time.perf_counter()
    with psycopg.connect(psycopg_info(url)) as pg, pg.cursor(name="bench_copy") as cur:
        cur.itersize = chunk
        cur.execute("SELECT seq, indicator_id, ts, value, quality FROM readings ORDER BY seq")
        while rows := cur.fetchmany(chunk):
            con.execute("BEGIN")
            con.executemany(RAW_INSERT, rows)
            con.execute("COMMIT")
    elapsed = time.perf_counter() - began
    con.close()
    return elapsed


def engine_catch_up(url: str, path: Path) -> tuple[float, dict]:
    connector = SqlConnector(url)
    cache = Cache(path)
    began = time.perf_counter()
    summary = SyncEngine(connector, cache).catch_up()
    elapsed = time.perf_counter() - began
    cache.close()
    connector.close()
    return elapsed, summary


def bench_catchup(n: int, repeats: int) -> None:
    from tests.fingerprint import same_rows

    with fresh_platform() as url, tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        load_readings(url, n, recent_t0(n / INDICATORS))
        print(f"# loaded {n:,} readings into PostgreSQL in {time.perf_counter() - began:.1f} s", flush=True)
        raw = ours = float("inf")
        path = Path(tmp)
        for i in range(repeats):
            raw = min(raw, raw_copy(url, Path(tmp) / f"raw{i}.db"))
            path = Path(tmp) / f"engine{i}.db"
            seconds, summary = engine_catch_up(url, path)
            ours = min(ours, seconds)
            assert summary["rows"]["readings"] == n and summary["quarantined"] == 0, summary
        counts = same_rows(url, path)
        report("catchup_postgres", "rows/s", n / raw, n / ours, "higher", rows=n,
               seconds_baseline=round(raw, 2), seconds_candidate=round(ours, 2),
               same_rows=counts["readings"] == n, repeats=repeats)


# -- 3. commit -> store latency -------------------------------------------------------------------
class QuietConnector(SqlConnector):
    """A SqlConnector that does not LISTEN: the engine polls, as against a platform that cannot push."""

    def listen(self, on_notify: Callable[[str], None]) -> None:
        return None


def write_steadily(url: str, seconds: float, committed: dict[int, float], *, per_commit: int = 100,
                   every_s: float = 0.05, t0: float = 0.0) -> None:
    """Commit ``per_commit`` readings every ``every_s`` for ``seconds``; note each seq's commit time."""
    with psycopg.connect(psycopg_info(url), application_name="cityops-bench-writer") as conn:
        key = 0
        next_at = time.monotonic()
        end = next_at + seconds
        while next_at < end:
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            seqs = [row[0] for row in conn.execute(PLATFORM_INSERT, reading_columns(key, per_commit, t0))]
            conn.commit()
            at = time.time()
            for seq in seqs:
                committed[seq] = at
            key += per_commit
            next_at += every_s


class XactWatch:
    """Samples the server for write transactions of other sessions, in any database.

    The engine reads only below the oldest transaction id still running on the whole server
    (``pg_snapshot_xmin``), so any such transaction that lasts holds every row behind it back:
    the likeliest cause of a latency outlier on a shared server.
    """

    SQL = ("SELECT pid, backend_xid::text, datname, application_name FROM pg_stat_activity "
           "WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() AND application_name <> %s")

    def __init__(self, url: str, every_s: float = 0.05):
        self._info, self._every = psycopg_info(url), every_s
        self.seen: dict[tuple[int, str], list] = {}  # (pid, xid) -> [first, last, datname, application]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="xact-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with psycopg.connect(self._info, autocommit=True, application_name="cityops-bench-watch") as conn:
            while not self._stop.wait(self._every):
                now = time.monotonic()
                for pid, xid, datname, app in conn.execute(self.SQL, ("cityops-bench-writer",)):
                    self.seen.setdefault((pid, xid), [now, now, datname, app])[1] = now

    def stop(self) -> dict[str, object]:
        self._stop.set()
        self._thread.join(5)
        longest = max(self.seen.values(), key=lambda v: v[1] - v[0], default=None)
        return {"other_xacts": len(self.seen),
                "other_xact_longest_ms": round((longest[1] - longest[0]) * 1e3) if longest else 0,
                "other_xact_longest": f"{longest[2]}/{longest[3] or '-'}" if longest else ""}


def _wait(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def latency_run(seconds: float, *, push: bool) -> dict[str, object]:
    """Latencies in ms (p50, p99, max) and row counts for one run, push or polling."""
    with fresh_platform() as url, tempfile.TemporaryDirectory() as tmp:
        if not push:
            engine = create_engine(url)
            with engine.begin() as conn:
                conn.execute(text("DROP TRIGGER cityops_notify ON readings"))
            engine.dispose()
        connector = SqlConnector(url) if push else QuietConnector(url)
        cache = Cache(Path(tmp) / "cache.db")
        store = Store()
        arrived: dict[int, float] = {}
        twice = 0

        def on_batch(batch: Batch) -> None:
            nonlocal twice
            store.apply(batch)
            now = time.time()
            for row in batch.readings:
                if row[0] in arrived:
                    twice += 1
                arrived[row[0]] = now

        sync = SyncEngine(connector, cache, on_batch=on_batch, heartbeat_s=10.0, poll_interval=0.25)
        committed: dict[int, float] = {}
        watch = XactWatch(url)
        sync.start()
        try:
            if not _wait(lambda: sync.status.state == "online" and sync.status.push == push, 30):
                raise RuntimeError(f"the engine did not come online ({sync.status})")
            writer = threading.Thread(target=write_steadily, name="writer", args=(url, seconds, committed),
                                      kwargs={"t0": recent_t0(2 * seconds)})
            writer.start()
            writer.join()
            all_in = _wait(lambda: len(arrived) >= len(committed), 30)
        finally:
            others = watch.stop()
            sync.stop()
            connector.close()
        in_cache = cache.count("readings")
        cache.close()
    lost = set(committed) - set(arrived)
    if not all_in or lost or twice or in_cache != len(committed) or set(arrived) != set(committed):
        raise AssertionError(f"{'push' if push else 'polling'}: committed {len(committed)}, arrived "
                             f"{len(arrived)} (missing {len(lost)}, twice {twice}), in cache {in_cache}")
    latency = np.array([arrived[seq] - at for seq, at in committed.items()]) * 1e3
    return {"p50": float(np.percentile(latency, 50)), "p99": float(np.percentile(latency, 99)),
            "max": float(latency.max()), "min": float(latency.min()), "rows": len(committed),
            "arrived": len(arrived), "seconds": seconds} | others


def bench_latency(seconds: float) -> None:
    push = latency_run(seconds, push=True)
    poll = latency_run(seconds, push=False)
    for key in ("p50", "p99", "max"):
        report(f"latency_{key}", "ms", poll[key], push[key], "lower", baseline_is="polling every 0.25 s",
               candidate_is="push, 10 s heartbeat", rows=push["rows"], rows_baseline=poll["rows"],
               rate="2000 readings/s, 100 per commit", seconds=seconds,
               other_xacts=[push["other_xacts"], poll["other_xacts"]],
               other_xact_longest_ms=[push["other_xact_longest_ms"], poll["other_xact_longest_ms"]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("ingest", "catchup", "latency"), help="run one measurement")
    parser.add_argument("--quick", action="store_true", help="reduced sizes, about a minute")
    parser.add_argument("--rows", type=int, help="readings for ingest and catch-up (default 1,000,000)")
    parser.add_argument("--seconds", type=float, help="writer duration for latency (default 30)")
    parser.add_argument("--repeats", type=int, help="runs of ingest and catch-up, best kept (default 3 / 2)")
    args = parser.parse_args()
    rows = args.rows or (200_000 if args.quick else 1_000_000)
    seconds = args.seconds or (10.0 if args.quick else 30.0)
    if args.only in (None, "ingest"):
        bench_ingest(rows, args.repeats or (1 if args.quick else 3))
    if args.only in (None, "catchup"):
        bench_catchup(rows, args.repeats or (1 if args.quick else 2))
    if args.only in (None, "latency"):
        bench_latency(seconds)


if __name__ == "__main__":
    main()

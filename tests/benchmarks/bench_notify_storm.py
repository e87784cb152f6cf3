"""Sync work under a NOTIFY storm: engine steps and platform queries per second while a peer sends
180 notifications a second on the platform's channel, with nothing new to read.

Baseline: the engine as it was (every notification passed on at once, a step per wake-up);
candidate: notifications coalesced per table every ``COALESCE_S`` and steps at most ``max_rate`` a
second. Same process, same PostgreSQL database (``CITYOPS_TEST_POSTGRES``), one after the other::

    CITYOPS_TEST_POSTGRES=postgresql+psycopg://postgres@127.0.0.1:5432 \\
        .venv/bin/python tests/benchmarks/bench_notify_storm.py [--quick] [--rate 180]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))
from _common import report  # noqa: E402
from bench_sync import fresh_platform, psycopg_info  # noqa: E402

import psycopg  # noqa: E402

from console.cache import Cache  # noqa: E402
from console.sync import engine as engine_module, listen  # noqa: E402
from console.sync.sql_connector import SqlConnector  # noqa: E402
from console.sync.engine import SyncEngine  # noqa: E402


def storm_steps(url: str, folder: Path, seconds: float, rate: float, coalesce: bool) -> tuple[float, float]:
    """(steps a second, notifications sent a second) while a peer storms for ``seconds``."""
    listen.COALESCE_S = 0.1 if coalesce else 0.0
    cache = Cache(folder / f"cache-{coalesce}.db")
    sync = SyncEngine(SqlConnector(url), cache, heartbeat_s=600, max_rate=10 if coalesce else 1e9)
    sync.start()
    stop, sent = threading.Event(), [0]

    def peer() -> None:
        with psycopg.connect(psycopg_info(url), autocommit=True) as conn:
            period = 1.0 / rate
            next_at = time.monotonic()
            while not stop.is_set():
                conn.execute("SELECT pg_notify('cityops', 'readings')")
                sent[0] += 1
                next_at += period
                time.sleep(max(0.0, next_at - time.monotonic()))

    try:
        end = time.monotonic() + 15
        while not (sync.status.state == "online" and sync.status.push) and time.monotonic() < end:
            time.sleep(0.05)
        thread = threading.Thread(target=peer)
        before, began = sync.steps, time.monotonic()
        thread.start()
        time.sleep(seconds)
        stop.set()
        thread.join()
        elapsed = time.monotonic() - began
        return (sync.steps - before) / elapsed, sent[0] / elapsed
    finally:
        sync.stop()
        sync.connector.close()
        cache.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 s of storm instead of 20")
    parser.add_argument("--rate", type=float, default=180.0, help="notifications a second (default 180)")
    args = parser.parse_args()
    seconds = 5.0 if args.quick else 20.0
    engine_module.HELD_CHECK_S = 1.0
    with fresh_platform(indicators=10) as url, tempfile.TemporaryDirectory() as tmp:
        base, sent_base = storm_steps(url, Path(tmp), seconds, args.rate, coalesce=False)
        cand, sent_cand = storm_steps(url, Path(tmp), seconds, args.rate, coalesce=True)
    report("notify_storm", "sync steps/s", base, cand, "lower", notify_per_s=round((sent_base + sent_cand) / 2),
           seconds=seconds)


if __name__ == "__main__":
    main()

"""One alarm state for the room: how fast an acknowledgement reaches another console, and what
starting with the room's full alarm state costs.

``ack to other console``
    Two consoles (a workstation and a wall, each with its own cache, sync engine in its thread
    with push, and alarms fed batch by batch as the wall's UI thread feeds them) on a fresh
    PostgreSQL platform with one standing alarm per indicator, on a server of the benchmark's own
    (``--shared``: the machine's, where other sessions' open transactions hold rows back). The
    workstation acknowledges them one by one, 0.3 to 0.6 s apart (a person going down the list;
    the engine starts at most 10 steps a second, so closer ones queue behind each other); latency = from the acknowledgement to the wall's alarm showing it
    acknowledged (outbox → delivery → NOTIFY → the wall's step → its alarms), p50 and p99.
    Baseline = the same console showing its own acknowledgement. Aim: p99 <= 250 ms.
``start-up``
    A cache holding 24 h of 1,000 indicators (``--quick``: 200) every 10 s (30 s) with alarms
    rising and falling all day and some acknowledged: a console opening (the store's two hours
    warmed from the cache, then its alarms) with the room's full alarm state — the newest saved
    state, a minute old, run forward — against today's 15-minute look-back start. Aim <= 1.5x.
    Also printed: the start without any saved state (the rules over the store's two hours), the
    rules over the whole day (what the sync engine spreads over it), and how many alarms each lists.

Run (the first case needs a superuser URL, as for the tests)::

    export CITYOPS_TEST_POSTGRES=postgresql+psycopg://postgres@127.0.0.1:5432
    .venv/bin/python tests/benchmarks/bench_room.py [--quick] [--only ack|startup] [--shared]
"""

from __future__ import annotations

import argparse
import json
import math
import queue
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, insert

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))
from _common import best_of, report  # noqa: E402

from console.alarms import AlarmState, room  # noqa: E402
from console.cache import Cache, outbox  # noqa: E402
from console.model.schema import P, platform_metadata  # noqa: E402
from console.store import Store, live  # noqa: E402
from console.store.warm import warm_store  # noqa: E402
from console.sync.sql_connector import SqlConnector  # noqa: E402
from console.sync.engine import SyncEngine  # noqa: E402
from tests.pg import ENV, EXAMPLE, server_url  # noqa: E402

LOOKBACK_S = 900.0  # how far back today's start ran the rules


def indicator_rows(n: int, interval_s: float) -> list[dict]:
    return [{"id": i, "code": f"bench.level.{i}", "name": f"Level {i}", "category": "drainage", "unit": "%",
             "warn_high": 60.0, "alarm_high": 80.0, "bad": "high", "interval_s": interval_s, "decimals": 1}
            for i in range(1, n + 1)]


# -- 1. an acknowledgement, from one console to another ----------------------------------------
class Console:
    """A console's sync engine (its own thread) and its alarms, fed on the caller's thread as a wall's UI thread feeds them."""

    def __init__(self, url: str, path: Path, now: float):
        self.cache = Cache(path)
        self.batches: queue.Queue = queue.Queue()
        self.engine = SyncEngine(SqlConnector(url), self.cache, on_batch=self.batches.put)
        self.store = Store()
        warm_store(self.store, self.cache, now)
        self.alarms = room.room_alarms(self.store.indicators.values(), recorder=self._keep)
        room.start(self.alarms, self.cache, now)

    def _keep(self, action) -> None:  # as the wall does: the outbox, and the engine woken to send it
        outbox.record(self.cache, action)
        self.engine.send_soon()

    def take(self, batch) -> None:
        live.take(self.store, self.alarms, batch)

    def drain(self, timeout: float = 0.0) -> None:
        try:
            self.take(self.batches.get(timeout=timeout))
            while True:
                self.take(self.batches.get_nowait())
        except queue.Empty:
            pass

    def close(self) -> None:
        self.engine.stop()
        self.engine.connector.close()
        self.cache.close()


@contextmanager
def platform_server(shared: bool) -> Iterator[str]:
    """A server of the benchmark's own (initdb + pg_ctl on a free port), so no other session's open
    transaction holds the rows back; ``shared``: the machine's server (CITYOPS_TEST_POSTGRES)."""
    import pytest

    from tests.pg import fresh_database, throwaway_cluster

    if not shared:
        try:
            with throwaway_cluster() as server, fresh_database(server.url) as url:
                yield url
            return
        except pytest.skip.Exception as exc:
            print(f"ack to other console: no server of its own ({exc}); using {ENV}", flush=True)
    with fresh_database() as url:
        yield url


def bench_ack(n: int, folder: Path, shared: bool) -> None:
    now = time.time()
    with platform_server(shared) as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            platform_metadata.create_all(conn)
            conn.execute(insert(P["indicators"]), indicator_rows(n, 10.0))
            conn.execute(insert(P["readings"]), [{"indicator_id": i, "ts": t, "value": 70.0, "quality": 0}
                                                 for t in np.arange(now - 300, now, 10.0).tolist()
                                                 for i in range(1, n + 1)])
        engine.dispose()
        desk, wall = Console(url, folder / "desk.db", now), Console(url, folder / "wall.db", now)
        for console in (desk, wall):
            console.engine.start()
        deadline = time.monotonic() + 60
        while not all(len(c.alarms.alarms()) == n and c.engine.status.push for c in (desk, wall)):
            if time.monotonic() > deadline:
                raise SystemExit("the consoles never caught up with push (an open transaction on the server?)")
            for console in (desk, wall):
                console.drain(0.05)
        own, other = [], []
        rng = np.random.default_rng(5)
        for alarm in list(desk.alarms.alarms()):
            time.sleep(float(rng.uniform(0.3, 0.6)))  # one by one down the list, as a person's keystrokes come
            desk.drain()
            began = time.perf_counter()
            desk.alarms.acknowledge(alarm.id, "sam", "supervisor", time.time())
            if desk.alarms.get(alarm.id).state is AlarmState.ACKED:
                own.append(time.perf_counter() - began)
            while wall.alarms.get(alarm.id).state is not AlarmState.ACKED:
                wall.drain(0.002)
                if time.perf_counter() - began > 30:
                    raise SystemExit(f"{alarm.id}: the acknowledgement never reached the other console")
            other.append(time.perf_counter() - began)
        for console in (desk, wall):
            console.drain()
            console.close()
    own_ms, other_ms = np.array(own) * 1e3, np.array(other) * 1e3
    print(f"ack to other console: {len(other)} acknowledgements, other console p50 {np.percentile(other_ms, 50):.1f} ms, "
          f"p99 {np.percentile(other_ms, 99):.1f} ms, max {other_ms.max():.1f} ms; own p50 "
          f"{np.percentile(own_ms, 50):.3f} ms", flush=True)
    for q in (50, 99):
        report(f"ack to other console p{q}", "ms", float(np.percentile(own_ms, q)), float(np.percentile(other_ms, q)),
               "lower", acks=len(other), **({"aim": "p99 <= 250 ms"} if q == 99 else {}))


# -- 2. start-up with the room's full alarm state --------------------------------------------
def make_cache(path: Path, n: int, interval_s: float, end: float) -> Cache:
    """24 h of ``n`` indicators: quiet at 40 %, with one to three excursions to 70 or 90 % on a
    fifth of them (alarms that rose and returned all day), a tenth of those acknowledged."""
    rng = np.random.default_rng(7)
    cache = Cache(path)
    with cache.engine.begin() as conn:
        cache.upsert(conn, "indicators", indicator_rows(n, interval_s))
    ts = np.arange(end - 86400.0, end, interval_s)
    seq, actions = 0, []
    for iid in range(1, n + 1):
        values = 40.0 + rng.normal(0, 2, len(ts))
        if rng.random() < 0.2:
            for _ in range(int(rng.integers(1, 4))):
                start = float(rng.uniform(ts[0], ts[-1] - 1800))
                values[(ts >= start) & (ts < start + float(rng.uniform(300, 1200)))] = rng.choice([70.0, 90.0])
                if rng.random() < 0.1:
                    actions.append({"seq": len(actions) + 1, "id": f"ack-{iid}-{len(actions)}", "console_id": "bench",
                                    "ts": start + 90.0, "actor": "sam", "role": "supervisor", "action": "acknowledge",
                                    "target_kind": "alarm", "target_id": f"bench.level.{iid}:HI",
                                    "payload": json.dumps({}), "txid": 0})
        rows = list(zip(range(seq + 1, seq + len(ts) + 1), [iid] * len(ts), ts.tolist(), values.tolist(),
                        [0] * len(ts)))
        seq += len(ts)
        cache.write_readings(rows)
    with cache.engine.begin() as conn:
        cache.append(conn, "operator_actions", actions)
        cache.set_cursor(conn, "operator_actions", (0, len(actions)))
    return cache


def bench_startup(n: int, interval_s: float, folder: Path, repeats: int) -> None:
    end = time.time()
    began = time.perf_counter()
    cache = make_cache(folder / "startup.db", n, interval_s, end)
    rows = cache.count("readings")
    print(f"start-up: cache of {rows:,} readings ({n} indicators, 24 h every {interval_s:g} s) "
          f"made in {time.perf_counter() - began:.0f} s", flush=True)

    def lookback() -> None:  # today's start: the rules over the last 15 minutes of the store
        store = Store()
        warm_store(store, cache, end)
        alarms = room.room_alarms(store.indicators.values())
        for iid in store.series:
            alarms.update(iid, *store.window(iid, end - LOOKBACK_S, end))
        alarms.tick(end)
        shown["lookback"] = len(alarms.alarms())

    def full() -> None:  # the room's state: the newest saved state, run forward
        store = Store()
        warm_store(store, cache, end)
        alarms = room.room_alarms(store.indicators.values())
        room.start(alarms, cache, end, near=store.window, near_from=end - store.horizon_s)
        shown["full"] = len(alarms.alarms())

    shown: dict[str, int] = {}
    store = Store()
    store.load_reference(cache.reference())
    ids = list(store.indicators)
    unsaved = room.room_alarms(store.indicators.values())
    first = time.perf_counter()
    room.start(unsaved, cache, end)  # no saved state: the rules over the store's two hours only
    unsaved_s, shown["unsaved"] = time.perf_counter() - first, len(unsaved.alarms())
    day = room.room_alarms(store.indicators.values())
    first = time.perf_counter()  # what the sync engine spreads over the day, batch by batch
    room.forward(day, cache.read_range, ids, end - 86401.0, end - 60.0, room.actions_after(cache, (0, 0)))
    day_s = time.perf_counter() - first
    with cache.engine.begin() as conn:  # and keeps: the room's state a minute ago
        room.save(conn, day, day.evaluated_to(), cache.cursors())
    base = cand = math.inf
    for _ in range(repeats):  # alternated, so a busy moment of a shared machine hits both alike
        base, cand = min(base, best_of(1, lookback)), min(cand, best_of(1, full))
    print(f"start-up: 15-minute look-back {base * 1e3:.0f} ms listing {shown['lookback']} alarms; room's state "
          f"from the saved one {cand * 1e3:.0f} ms listing {shown['full']}; without a saved state (two hours) "
          f"{unsaved_s * 1e3:.0f} ms listing {shown['unsaved']}; the rules over the whole day {day_s:.1f} s",
          flush=True)
    report("start-up with the room's alarm state (24 h)", "ms", base * 1e3, cand * 1e3, "lower", aim="<= 1.5x",
           indicators=n, readings=rows, alarms_lookback=shown["lookback"], alarms_room=shown["full"],
           without_saved_state_ms=round(unsaved_s * 1e3), whole_day_rules_s=round(day_s, 1))
    cache.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reduced sizes, about a minute")
    parser.add_argument("--only", choices=("ack", "startup"))
    parser.add_argument("--shared", action="store_true",
                        help=f"acknowledgements through the machine's server ({ENV}), not one of the benchmark's own")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.only in (None, "ack"):
            if args.shared and server_url() is None:
                print(f"ack to other console: skipped, {ENV} is not set (e.g. {EXAMPLE})", flush=True)
            else:
                bench_ack(40 if args.quick else 200, folder, args.shared)
        if args.only in (None, "startup"):
            bench_startup(200 if args.quick else 1000, 30.0 if args.quick else 10.0, folder, 5)


if __name__ == "__main__":
    main()

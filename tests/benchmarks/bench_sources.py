"""Sources of the open standards (issue 18): one function per source, each a baseline and the
console's figure from the same process, printed with the ratio (tests/benchmarks/_common.report).

``sensorthings``
    Catch-up of ``--observations`` (100,000; 10,000 with --quick) observations of 20
    Datastreams from a real SensorThings server (django-ogc-sensorthings, tests/sta_server/)
    into an empty cache: ``SyncEngine(SensorThingsConnector).catch_up()`` (validation,
    quarantine, roll-ups, cursor in one cache transaction per batch, the late-commit window),
    against bare paging with ``requests`` (the same keyset-paged query, 1,000 a page, JSON
    decoded, times parsed) written with raw ``sqlite3.executemany``: the lower bound of any
    copy. Both copy every observation, in turns (``--repeats``, best of each); the ratio is
    candidate/baseline observations per second (aim: 0.8 or more). The server answers slowly
    (about 1 ms an observation, pure Python), so both figures are mostly its time.

``mqtt``
    Live ingest at ``--rates`` (2,000 and 10,000 readings/s) for ``--seconds`` (10; 3 with
    --quick): every 10 ms a tick of readings for 20 indicators, the same rows both ways. The
    baseline is the SQL connector with push: each tick one INSERT transaction into a PostgreSQL
    platform (its NOTIFY wakes the console; CITYOPS_TEST_POSTGRES names the server); the
    candidate the MQTT connector: each tick one JSON batch message per indicator (QoS 1) to a
    throwaway Mosquitto. Both run the same SyncEngine into an empty cache; the figures are the
    readings per second that reached the store (what ``on_batch`` hands the wall) and the
    latency from the row's commit or publish to that hand-over, p50 and p99, in ms.

``jetstream``
    The same live ingest through JetStream (tests/benchmarks/bench_sources_nats.py): each tick of
    readings one message in the relay's wire format, acknowledged by a throwaway ``nats-server -js``
    before the next, synced by JetStreamConnector; against the same SQL-with-push baseline.

``fanout``
    ``--consoles`` consoles (50; 5 with --quick) on one PostgreSQL platform written at
    ``--fanout-rate`` readings/s: every console on the platform directly (baseline) against the
    relay publishing it to JetStream and every console on JetStream (candidate); the servers'
    CPU (PostgreSQL backends, plus nats-server for the candidate) per second of run, and the
    latency from commit to each console's store, p50 and p99.

Run::

    .venv/bin/python tests/benchmarks/bench_sources.py [--quick] [--only sensorthings|mqtt|jetstream|fanout] [--observations N]
        [--repeats 2] [--rates 2000,10000] [--seconds S]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

from _common import report  # noqa: E402

from console.cache import Cache  # noqa: E402
from console.sources.sta import SensorThingsConnector  # noqa: E402
from console.sync.engine import SyncEngine  # noqa: E402

PAGE = 1000


def _bare_sta_copy(base: str, target: Path) -> int:
    """Page through every observation with requests, keyset by id, into sqlite3: what a script would do."""
    import requests

    db = sqlite3.connect(target)
    db.execute("CREATE TABLE readings (id TEXT PRIMARY KEY, datastream TEXT, ts REAL, value REAL)")
    session = requests.Session()
    after, copied = None, 0
    while True:
        params = {"$orderby": "id asc", "$top": str(PAGE), "$select": "id,phenomenonTime,result,resultQuality",
                  "$expand": "Datastream($select=id)"}
        if after is not None:
            params["$filter"] = f"id gt {after}"
        body = session.get(f"{base}/Observations", params=params, timeout=120).json()
        rows = [(o["@iot.id"], o["Datastream"]["@iot.id"], datetime.fromisoformat(o["phenomenonTime"]).timestamp(),
                 o["result"]) for o in body["value"]]
        with db:
            db.executemany("INSERT INTO readings VALUES (?, ?, ?, ?)", rows)
        copied += len(rows)
        if not rows or "@iot.nextLink" not in body:
            break
        after = rows[-1][0]
    db.close()
    return copied


def sensorthings(args: argparse.Namespace) -> None:
    from tests.sta_server.harness import StaServer

    n = args.observations or (10_000 if args.quick else 100_000)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        server = StaServer(folder, max_top=PAGE)
        server.start()
        try:
            streams = [server.datastream(f"bench {i}", properties={"category": "weather"}) for i in range(20)]
            began = time.time() - n * 3.0 - 60  # one observation every 3 s, the newest a minute ago
            loaded = time.perf_counter()
            for k, stream in enumerate(streams):
                points = [(datetime.fromtimestamp(began + i * 3.0).astimezone().isoformat(), 10.0 + (i % 97) / 10)
                          for i in range(k, n, len(streams))]
                server.observe(stream, points)
            print(f"loaded {n:,} observations into the server in {time.perf_counter() - loaded:.1f} s", flush=True)

            def timed(run: Callable[[], int]) -> float:
                start = time.perf_counter()
                copied = run()
                if copied != n:
                    raise SystemExit(f"copied {copied:,} observations of {n:,}")
                return n / (time.perf_counter() - start)

            def baseline() -> int:
                (folder / "bare.db").unlink(missing_ok=True)
                return _bare_sta_copy(server.base, folder / "bare.db")

            def candidate() -> int:
                for old in folder.glob("cache.db*"):
                    old.unlink()
                connector = SensorThingsConnector(server.url)
                cache = Cache(folder / "cache.db")
                try:
                    return SyncEngine(connector, cache).catch_up()["rows"]["readings"]
                finally:
                    connector.close()
                    cache.close()

            # taken in turns, best of each: load from other work on the machine hits both alike
            rates: dict[str, list[float]] = {"baseline": [], "candidate": []}
            for _ in range(args.repeats):
                rates["baseline"].append(timed(baseline))
                rates["candidate"].append(timed(candidate))
            report("sensorthings catch-up", "observations/s", max(rates["baseline"]), max(rates["candidate"]),
                   "higher", observations=n, runs=args.repeats)
        finally:
            server.stop()


def mqtt(args: argparse.Namespace) -> None:
    from bench_sources_mqtt import ingest

    rates = [int(r) for r in args.rates.split(",")]
    seconds = args.seconds or (3.0 if args.quick else 10.0)
    for rate in rates:
        sql, broker = ingest("sql", rate, seconds), ingest("mqtt", rate, seconds)
        extra = {"rate": rate, "seconds": seconds}
        report(f"mqtt ingest at {rate:,}/s", "readings/s", sql.rate, broker.rate, "higher", **extra)
        report(f"mqtt latency p50 at {rate:,}/s", "ms", sql.p50, broker.p50, "lower", **extra)
        report(f"mqtt latency p99 at {rate:,}/s", "ms", sql.p99, broker.p99, "lower", **extra)


def jetstream(args: argparse.Namespace) -> None:
    from bench_sources_mqtt import ingest as sql_ingest
    from bench_sources_nats import ingest

    seconds = args.seconds or (3.0 if args.quick else 10.0)
    for rate in [int(r) for r in args.rates.split(",")]:
        sql, js = sql_ingest("sql", rate, seconds), ingest(rate, seconds)
        extra = {"rate": rate, "seconds": seconds}
        report(f"jetstream ingest at {rate:,}/s", "readings/s", sql.rate, js.rate, "higher", **extra)
        report(f"jetstream latency p50 at {rate:,}/s", "ms", sql.p50, js.p50, "lower", **extra)
        report(f"jetstream latency p99 at {rate:,}/s", "ms", sql.p99, js.p99, "lower", **extra)


def fanout(args: argparse.Namespace) -> None:
    from bench_sources_nats import fanout as run

    consoles = args.consoles or (5 if args.quick else 50)
    seconds = args.seconds or (3.0 if args.quick else 10.0)
    rate = args.fanout_rate
    sql, js = run("sql", consoles, rate, seconds), run("nats", consoles, rate, seconds)
    extra = {"consoles": consoles, "rate": rate, "seconds": seconds, "reached_sql": round(sql.reached, 4),
             "reached_nats": round(js.reached, 4)}
    report(f"fan-out to {consoles} consoles: server CPU", "CPU s/s", sql.server_cpu, js.server_cpu, "lower", **extra)
    report(f"fan-out to {consoles} consoles: latency p50", "ms", sql.p50, js.p50, "lower", **extra)
    report(f"fan-out to {consoles} consoles: latency p99", "ms", sql.p99, js.p99, "lower", **extra)


SOURCES: dict[str, Callable[[argparse.Namespace], None]] = {"sensorthings": sensorthings, "mqtt": mqtt,
                                                             "jetstream": jetstream, "fanout": fanout}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a check that it works")
    parser.add_argument("--only", choices=sorted(SOURCES), action="append",
                        help="run only this source (repeatable; default: all)")
    parser.add_argument("--observations", type=int, default=0, help="SensorThings observations to copy")
    parser.add_argument("--rates", default="2000,10000", help="MQTT: readings per second to offer, comma-separated")
    parser.add_argument("--seconds", type=float, default=0.0, help="MQTT: seconds each rate runs")
    parser.add_argument("--consoles", type=int, default=0, help="fan-out: consoles on each side (50; 5 with --quick)")
    parser.add_argument("--fanout-rate", type=int, default=200, help="fan-out: readings per second written (default 200)")
    parser.add_argument("--repeats", type=int, default=2, help="SensorThings: runs of baseline and candidate, taken in turns (default 2)")
    args = parser.parse_args()
    for name in args.only or SOURCES:
        SOURCES[name](args)


if __name__ == "__main__":
    main()

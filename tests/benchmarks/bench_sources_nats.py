"""bench_sources.py's JetStream section: live ingest through JetStream, and the relay's fan-out.

``ingest(rate, seconds)`` is bench_sources_mqtt's run with a JetStream producer: a process of its
own publishes each 10 ms tick of readings as one message (the relay's wire format, acknowledged
by JetStream before the next, then a wake message) to a throwaway ``nats-server -js``; the
console syncs it with JetStreamConnector into an empty cache. Figures: readings per second that
reached the store and the latency from publish to the engine's hand-over, p50 and p99 in ms.

``fanout(kind, consoles, rate, seconds)`` runs ``consoles`` consoles (each a SyncEngine into its
own cache, all in this process) on one PostgreSQL platform fed by INSERTs: ``"sql"`` each console
on the platform directly (LISTEN/NOTIFY), ``"nats"`` the relay (its own process) publishing the
platform to JetStream and every console on JetStream. Figures: latency from commit to each
console's hand-over (p50, p99 over every reading and console) and the servers' CPU per second
of run, read from /proc: the PostgreSQL backends serving the consoles (or the relay), and
nats-server.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from bench_sources_mqtt import INDICATORS, Figures, _run, _ticks, insert_sql

from console.cache import Cache
from console.sources import nats_wire
from console.sync.batch import Batch
from console.sync.engine import SyncEngine

PREFIX = "bench"


def _nats_server(folder: Path) -> tuple[subprocess.Popen, str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
    proc = subprocess.Popen([binary, "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", str(folder / "js")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc, f"nats://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    raise SystemExit("nats-server did not start")


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _indicators() -> list[dict]:
    from tests.pg import BARE_INDICATOR

    return [BARE_INDICATOR | {"id": i, "code": f"bench.{i}", "interval_s": 1.0} for i in range(1, INDICATORS + 1)]


async def _prepare(url: str) -> None:
    """The streams and the reference object, as the relay makes them."""
    import nats
    from nats.js.api import StreamConfig

    from console.model.schema import STREAMS

    nc = await nats.connect(url)
    js = nc.jetstream()
    for stream in STREAMS:
        await js.add_stream(StreamConfig(name=nats_wire.stream_name(PREFIX, stream),
                                         subjects=[nats_wire.subjects(PREFIX, stream)]))
    store = await js.create_object_store(nats_wire.bucket(PREFIX))
    await store.put(nats_wire.REFERENCE_OBJECT, nats_wire.encode_reference({"indicators": _indicators()}))
    await nc.close()


def publish_nats(url: str, rate: int, seconds: float, ids: list[int], t0: float, out) -> None:
    """The producer process: one message a tick, acknowledged before the next, then a wake."""
    import nats

    async def run() -> tuple[dict, float]:
        nc = await nats.connect(url)
        js = nc.jetstream()
        sent: dict = {}
        seq = 0
        began = time.perf_counter()
        for n, rows in _ticks(rate, seconds, ids, t0):
            flat = []
            for iid, ts, v in (r for batch in rows.values() for r in batch):
                seq += 1
                flat.append([seq, iid, ts, v, 0])
            now = time.perf_counter()
            await js.publish(nats_wire.subject(PREFIX, "readings", None), nats_wire.dumps({"rows": flat}),
                             headers={nats_wire.H_COUNT: str(len(flat))})
            await nc.publish(nats_wire.wake_subject(PREFIX, "readings"), b"")
            sent.update({(r[1], r[2]): now for r in flat})
            wait = began + (n + 1) * 0.01 - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
        offered = time.perf_counter() - began
        await nc.close()
        return sent, offered

    out.put(asyncio.run(run()))


def ingest(rate: int, seconds: float) -> Figures:
    from console.sources.nats import JetStreamConnector

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        server, url = _nats_server(folder)
        try:
            asyncio.run(_prepare(url))
            ids = list(range(1, INDICATORS + 1))
            return _run(JetStreamConnector(f"{url}?prefix={PREFIX}"), folder, publish_nats,
                        (url, rate, seconds, ids, time.time() - 5.0))
        finally:
            server.terminate()
            server.wait(10)


# -- fan-out ---------------------------------------------------------------------------------
@dataclass
class FanOut:
    p50: float  # ms, commit to a console's hand-over, over every reading and console
    p99: float
    server_cpu: float  # CPU seconds per second of run: PostgreSQL backends (+ nats-server)
    reached: float  # fraction of (reading, console) pairs that arrived


def _relay(platform: str, url: str, ready, stop) -> None:
    from console.sources.nats_relay import Relay

    relay = Relay(platform, f"{url}?prefix={PREFIX}", poll_interval=0.05)
    relay.prepare()
    relay.start()
    ready.set()
    stop.wait()
    relay.close()


def fanout(kind: str, consoles: int, rate: int, seconds: float) -> FanOut:
    from sqlalchemy import create_engine, text

    from tests.pg import fresh_database, throwaway_cluster

    # a PostgreSQL server of the run's own: 50 consoles' connections would crowd the machine's out
    with tempfile.TemporaryDirectory() as tmp, throwaway_cluster() as pg:
        with create_engine(f"{pg.url}/postgres", isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text("ALTER SYSTEM SET max_connections = 400"))
        pg.restart()
        with fresh_database(pg.url) as platform_url:
            return _fanout(kind, consoles, rate, seconds, Path(tmp), platform_url)


def _fanout(kind: str, consoles: int, rate: int, seconds: float, folder: Path, platform_url: str) -> FanOut:
    from sqlalchemy import create_engine, insert, text

    from console.model.schema import P
    from console.sources.nats import JetStreamConnector
    from console.sync.sql_connector import SqlConnector
    from tests.pg import bare_platform

    platform = bare_platform(platform_url)
    with platform.begin() as conn:
        conn.execute(insert(P["indicators"]), _indicators()[1:])
    context = multiprocessing.get_context("spawn")
    server = relay = stop = None
    watched: list[int] = []
    try:
        if kind == "nats":
            server, url = _nats_server(folder)
            ready, stop = context.Event(), context.Event()
            relay = context.Process(target=_relay, args=(platform_url, url, ready, stop))
            relay.start()
            ready.wait(60)
            watched.append(server.pid)
            make = lambda: JetStreamConnector(f"{url}?prefix={PREFIX}")  # noqa: E731
        else:
            make = lambda: SqlConnector(platform_url)  # noqa: E731
        arrived: list[dict] = [{} for _ in range(consoles)]
        engines = []
        for n in range(consoles):
            def on_batch(batch: Batch, mine=arrived[n]) -> None:
                now = time.perf_counter()
                for _, iid, ts, _, _ in batch.readings:
                    mine[(iid, ts)] = now
            engine = SyncEngine(make(), Cache(folder / f"cache{n}.db"), on_batch=on_batch, heartbeat_s=2.0)
            engine.sync_reference()
            engine.start()
            engines.append(engine)
        deadline = time.monotonic() + 60
        while any(e.status.state != "online" for e in engines) and time.monotonic() < deadline:
            time.sleep(0.1)
        name = platform_url.rpartition("/")[2]
        admin = create_engine(platform_url)
        with admin.connect() as conn:  # the backends serving the consoles (or the relay)
            watched += [pid for (pid,) in conn.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": name})]
        admin.dispose()
        cpu0, began = sum(_cpu_s(p) for p in watched), time.perf_counter()
        out = context.Queue()
        feeder = context.Process(target=insert_sql, args=(platform_url, rate, seconds,
                                                          list(range(1, INDICATORS + 1)), time.time() - 5.0, out))
        feeder.start()
        sent, _ = out.get()
        feeder.join()
        deadline = time.monotonic() + 30
        while any(len(a) < len(sent) for a in arrived) and time.monotonic() < deadline:
            time.sleep(0.05)
        elapsed = time.perf_counter() - began
        cpu = (sum(_cpu_s(p) for p in watched) - cpu0) / elapsed
        for engine in engines:
            engine.stop()
            engine.connector.close()
            engine.cache.close()
    finally:
        if stop is not None:
            stop.set()
            relay.join(20)
        if server is not None:
            server.terminate()
            server.wait(10)
        platform.dispose()
    lat = np.array([a[k] - t for a in arrived for k, t in sent.items() if k in a]) * 1000
    pairs = len(sent) * consoles
    return FanOut(float(np.percentile(lat, 50)) if len(lat) else float("nan"),
                  float(np.percentile(lat, 99)) if len(lat) else float("nan"), cpu, len(lat) / max(1, pairs))

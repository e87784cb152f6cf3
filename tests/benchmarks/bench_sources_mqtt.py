"""bench_sources.py's MQTT section: one live run of a source at a rate, into a fresh cache.

``ingest("sql" | "mqtt", rate, seconds)`` offers ``rate`` readings a second (a tick every 10 ms,
20 indicators) and measures what reached the store: readings per second, and the latency from
each row's commit (SQL) or publish (MQTT) to the engine's hand-over, p50 and p99 in ms. The
feeder runs in a process of its own (as a platform's writer or a city's publishers do), so it
takes no CPU time from the console's interpreter; both processes read the same monotonic clock.
"""

from __future__ import annotations

import json
import multiprocessing
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from console.cache import Cache  # noqa: E402
from console.sync.batch import Batch  # noqa: E402
from console.sync.engine import SyncEngine  # noqa: E402

INDICATORS = 20
TICK_S = 0.01

Sent = dict[tuple[int, float], float]


@dataclass
class Figures:
    rate: float  # readings per second that reached the store
    p50: float  # ms
    p99: float  # ms


def _ticks(rate: int, seconds: float, ids: list[int], t0: float):
    """Each tick's readings per indicator: (indicator id, ts, value), ts unique and recent."""
    per_tick = max(1, int(rate * TICK_S))
    for n in range(int(seconds / TICK_S)):
        rows: dict[int, list[tuple[int, float, float]]] = {}
        for k in range(per_tick):
            i = n * per_tick + k
            iid = ids[i % len(ids)]
            rows.setdefault(iid, []).append((iid, t0 + i * 1e-5, float(i % 97) / 10))
        yield n, rows


def _pace(began: float, n: int) -> None:
    wait = began + n * TICK_S - time.perf_counter()
    if wait > 0:
        time.sleep(wait)


def insert_sql(url: str, rate: int, seconds: float, ids: list[int], t0: float, out) -> None:
    """The feeder process of the SQL baseline: one INSERT transaction a tick."""
    import psycopg

    sent: Sent = {}
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        began = time.perf_counter()
        for n, rows in _ticks(rate, seconds, ids, t0):
            flat = [r for batch in rows.values() for r in batch]
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO readings (indicator_id, ts, value, quality) VALUES (%s, %s, %s, 0)", flat)
            conn.commit()
            now = time.perf_counter()
            sent.update({(iid, ts): now for iid, ts, _ in flat})
            _pace(began, n + 1)
    out.put((sent, time.perf_counter() - began))


def publish_mqtt(port: int, topics: dict[int, str], rate: int, seconds: float, ids: list[int], t0: float, out) -> None:
    """The feeder process of the MQTT candidate: one JSON batch message per indicator a tick, QoS 1."""
    import paho.mqtt.client as mqtt

    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-pub", protocol=mqtt.MQTTv5)
    pub.max_inflight_messages_set(1000)
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    sent: Sent = {}
    began = time.perf_counter()
    last = None
    for n, rows in _ticks(rate, seconds, ids, t0):
        for iid, batch in rows.items():
            body = json.dumps({"id": f"{n}-{iid}", "readings": [{"ts": ts, "value": v} for _, ts, v in batch]})
            now = time.perf_counter()
            sent.update({(iid, ts): now for _, ts, _ in batch})
            last = pub.publish(topics[iid], body, qos=1)
        _pace(began, n + 1)
    offered = time.perf_counter() - began
    if last is not None:
        last.wait_for_publish(30)
    pub.loop_stop()
    out.put((sent, offered))


def _run(connector, folder: Path, feeder, args: tuple) -> Figures:
    arrived: Sent = {}
    lock = threading.Lock()

    def on_batch(batch: Batch) -> None:
        now = time.perf_counter()
        with lock:
            for _, iid, ts, _, _ in batch.readings:
                arrived[(iid, ts)] = now

    cache = Cache(folder / "cache.db")
    engine = SyncEngine(connector, cache, on_batch=on_batch, heartbeat_s=1.0)
    engine.sync_reference()
    engine.start()
    try:
        deadline = time.monotonic() + 20
        while engine.status.state != "online" and time.monotonic() < deadline:
            time.sleep(0.05)
        context = multiprocessing.get_context("spawn")
        out = context.Queue()
        process = context.Process(target=feeder, args=(*args, out))
        process.start()
        sent, offered = out.get()
        process.join()
        deadline = time.monotonic() + 30
        while len(arrived) < len(sent) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        engine.stop()
        connector.close()
        cache.close()
    lat = np.array([arrived[k] - t for k, t in sent.items() if k in arrived]) * 1000
    if len(lat) < len(sent):
        print(f"  only {len(lat):,} of {len(sent):,} readings reached the store", flush=True)
    span = max(offered, max(arrived.values(), default=0) - min(sent.values(), default=0))
    return Figures(len(lat) / span, float(np.percentile(lat, 50)) if len(lat) else float("nan"),
                   float(np.percentile(lat, 99)) if len(lat) else float("nan"))


def ingest(kind: str, rate: int, seconds: float) -> Figures:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if kind == "sql":
            return _sql(rate, seconds, folder)
        return _mqtt(rate, seconds, folder)


def _sql(rate: int, seconds: float, folder: Path) -> Figures:
    from sqlalchemy import insert

    from console.model.schema import P
    from console.sync.sql_connector import SqlConnector
    from tests.pg import BARE_INDICATOR, bare_platform, fresh_database, server_url

    if server_url() is None:
        raise SystemExit("the SQL baseline needs CITYOPS_TEST_POSTGRES (a PostgreSQL server URL)")
    with fresh_database() as url:
        platform = bare_platform(url)
        ids = list(range(1, INDICATORS + 1))
        with platform.begin() as conn:
            conn.execute(insert(P["indicators"]), [BARE_INDICATOR | {"id": i, "code": f"bench.{i}", "interval_s": 1.0}
                                                   for i in ids[1:]])
        try:
            return _run(SqlConnector(url), folder, insert_sql, (url, rate, seconds, ids, time.time() - 5.0))
        finally:
            platform.dispose()


def _mqtt(rate: int, seconds: float, folder: Path) -> Figures:
    import paho.mqtt.client as mqtt

    from console.sources.mqtt import MqttConnector
    from console.sources.mqtt_json import indicator_id
    from tests.mosquitto import Broker

    broker = Broker(folder)
    broker.start()
    try:
        codes = [f"bench.{i}" for i in range(INDICATORS)]
        definer = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-definitions", protocol=mqtt.MQTTv5)
        definer.connect("127.0.0.1", broker.port)
        definer.loop_start()
        for code in codes:
            definer.publish(f"bench/indicators/{code}", json.dumps({"name": code, "unit": "m", "interval_s": 1.0}),
                            qos=1, retain=True).wait_for_publish(5)
        definer.loop_stop()
        ids = [indicator_id(c) for c in codes]
        topics = {indicator_id(c): f"bench/readings/{c}" for c in codes}
        connector = MqttConnector(f"{broker.url}/bench?client_id=bench-console", definitions=str(folder / "d.json"))
        connector.check()
        deadline = time.monotonic() + 10
        while len(connector.definitions.codes()) < INDICATORS and time.monotonic() < deadline:
            time.sleep(0.05)
        return _run(connector, folder, publish_mqtt, (broker.port, topics, rate, seconds, ids, time.time() - 5.0))
    finally:
        broker.stop()

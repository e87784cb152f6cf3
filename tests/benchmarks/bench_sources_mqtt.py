"""bench_sources.py's MQTT section: one live run of a source at a rate, into a fresh cache.

``ingest("sql" | "mqtt", rate, seconds)`` offers ``rate`` readings a second (a tick every 10 ms,
20 indicators) and measures what reached the store: readings per second, and the latency from
each row's commit (SQL) or publish (MQTT) to the engine's hand-over, p50 and p99 in ms.
"""

from __future__ import annotations

import json
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


@dataclass
class Figures:
    rate: float  # readings per second that reached the store
    p50: float  # ms
    p99: float  # ms


class _Clocked:
    """Readings sent (indicator, ts) -> when, and the latencies of those the store got."""

    def __init__(self):
        self.sent: dict[tuple[int, float], float] = {}
        self.latencies: list[float] = []
        self.first = self.last = None
        self.lock = threading.Lock()

    def on_batch(self, batch: Batch) -> None:
        now = time.perf_counter()
        with self.lock:
            for _, iid, ts, _, _ in batch.readings:
                sent = self.sent.get((iid, ts))
                if sent is not None:
                    self.latencies.append(now - sent)
            if batch.readings:
                self.first = self.first or now
                self.last = now


def _ticks(rate: int, seconds: float, ids: list[int]):
    """Each tick's readings per indicator: (indicator id, ts, value), ts unique and recent."""
    per_tick = max(1, int(rate * TICK_S))
    t0 = time.time() - 5.0
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


def _run(connector, folder: Path, feed) -> Figures:
    clock = _Clocked()
    cache = Cache(folder / "cache.db")
    engine = SyncEngine(connector, cache, on_batch=clock.on_batch, heartbeat_s=1.0)
    engine.sync_reference()
    engine.start()
    try:
        deadline = time.monotonic() + 20
        while engine.status.state != "online" and time.monotonic() < deadline:
            time.sleep(0.05)
        offered = feed(clock)
        expected = len(clock.sent)
        deadline = time.monotonic() + 30
        while len(clock.latencies) < expected and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        engine.stop()
        connector.close()
        cache.close()
    got = len(clock.latencies)
    if got < expected:
        print(f"  only {got:,} of {expected:,} readings reached the store", flush=True)
    lat = np.array(clock.latencies) * 1000
    span = max(offered, (clock.last or 0) - (clock.first or 0))
    return Figures(got / span if span else 0.0, float(np.percentile(lat, 50)) if got else float("nan"),
                   float(np.percentile(lat, 99)) if got else float("nan"))


def ingest(kind: str, rate: int, seconds: float) -> Figures:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if kind == "sql":
            return _sql(rate, seconds, folder)
        return _mqtt(rate, seconds, folder)


def _sql(rate: int, seconds: float, folder: Path) -> Figures:
    from sqlalchemy import insert

    from console.model.schema import P
    from console.sync.connector import SqlConnector
    from tests.pg import BARE_INDICATOR, bare_platform, fresh_database, server_url

    if server_url() is None:
        raise SystemExit("the SQL baseline needs CITYOPS_TEST_POSTGRES (a PostgreSQL server URL)")
    with fresh_database() as url:
        platform = bare_platform(url)
        ids = list(range(1, INDICATORS + 1))
        with platform.begin() as conn:
            conn.execute(insert(P["indicators"]), [BARE_INDICATOR | {"id": i, "code": f"bench.{i}", "interval_s": 1.0}
                                                   for i in ids[1:]])

        def feed(clock: _Clocked) -> float:
            raw = platform.raw_connection()
            cur = raw.cursor()
            began = time.perf_counter()
            for n, rows in _ticks(rate, seconds, ids):
                flat = [r for batch in rows.values() for r in batch]
                cur.executemany("INSERT INTO readings (indicator_id, ts, value, quality) VALUES (%s, %s, %s, 0)", flat)
                raw.commit()
                now = time.perf_counter()
                with clock.lock:
                    clock.sent.update({(iid, ts): now for iid, ts, _ in flat})
                _pace(began, n + 1)
            raw.close()
            return time.perf_counter() - began

        try:
            return _run(SqlConnector(url), folder, feed)
        finally:
            platform.dispose()


def _mqtt(rate: int, seconds: float, folder: Path) -> Figures:
    import paho.mqtt.client as mqtt

    from console.sources.mqtt import MqttConnector
    from console.sources.mqtt_json import indicator_id
    from tests.mosquitto import Broker

    broker = Broker(folder)
    broker.start()
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-pub", protocol=mqtt.MQTTv5)
    pub.max_inflight_messages_set(1000)
    pub.connect("127.0.0.1", broker.port)
    pub.loop_start()
    try:
        codes = [f"bench.{i}" for i in range(INDICATORS)]
        for code in codes:
            pub.publish(f"bench/indicators/{code}", json.dumps({"name": code, "unit": "m", "interval_s": 1.0}),
                        qos=1, retain=True).wait_for_publish(5)
        ids = [indicator_id(c) for c in codes]
        topic = {indicator_id(c): f"bench/readings/{c}" for c in codes}
        connector = MqttConnector(f"{broker.url}/bench?client_id=bench-console", definitions=str(folder / "d.json"))
        connector.check()
        deadline = time.monotonic() + 10
        while len(connector.definitions.codes()) < INDICATORS and time.monotonic() < deadline:
            time.sleep(0.05)

        def feed(clock: _Clocked) -> float:
            began = time.perf_counter()
            for n, rows in _ticks(rate, seconds, ids):
                for iid, batch in rows.items():
                    body = json.dumps({"id": f"{n}-{iid}", "readings": [{"ts": ts, "value": v} for _, ts, v in batch]})
                    now = time.perf_counter()
                    with clock.lock:
                        clock.sent.update({(iid, ts): now for _, ts, _ in batch})
                    pub.publish(topic[iid], body, qos=1)
                _pace(began, n + 1)
            return time.perf_counter() - began

        return _run(connector, folder, feed)
    finally:
        pub.loop_stop()
        broker.stop()

"""The MQTT source against a throwaway Mosquitto: the JSON convention live, a broker restarted and a
console restarted mid-stream with nothing lost, duplicates, out-of-order and bad messages, and the
cache equal to what was published (count and checksum)."""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from console.cache import Cache
from console.errors import UserError
from console.sources.mqtt import NO_HISTORY, MqttConnector
from console.sync.connector import PlatformUnavailable
from console.sync.engine import SyncEngine
from console.sync.open_connector import open_connector
from tests.mosquitto import Broker
from tests.waiting import wait_until


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    broker = Broker(tmp_path_factory.mktemp("mosquitto"))
    broker.start()
    yield broker
    broker.stop()


class Console:
    """A console's sync from the broker into its own cache (what ``cityops wall --platform mqtt://`` runs)."""

    def __init__(self, url: str, folder: Path):
        self.url, self.folder = url, folder
        self.cache = Cache(folder / "cache.db")
        self.statuses: list = []
        self.start()

    def start(self) -> None:
        self.connector = MqttConnector(self.url, definitions=str(self.folder / "definitions.json"))
        self.engine = SyncEngine(self.connector, self.cache, on_status=self.statuses.append, heartbeat_s=1.0)
        self.engine.start()

    def stop(self) -> None:
        self.engine.stop()
        self.connector.close()

    def readings(self) -> list[tuple]:
        with self.cache.engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(
                "SELECT indicator_id, ts, value, quality FROM readings ORDER BY indicator_id, ts").all()]

    def quarantine(self) -> list[str]:
        with self.cache.engine.connect() as conn:
            return [r[0] for r in conn.exec_driver_sql("SELECT reason FROM quarantine ORDER BY at").all()]


def publisher(broker: Broker, name: str) -> mqtt.Client:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=name, protocol=mqtt.MQTTv5)
    client.reconnect_delay_set(0.1, 0.5)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    return client


def checksum(rows: list[tuple]) -> str:
    return hashlib.sha256(repr(sorted((i, round(t, 6), round(v, 9)) for i, t, v, *_ in rows)).encode()).hexdigest()


def define(pub: mqtt.Client, root: str, code: str, **fields) -> None:
    body = {"name": code, "category": "drainage", "unit": "m", "warn_high": 2.0, "alarm_high": 3.0} | fields
    pub.publish(f"{root}/indicators/{code}", json.dumps(body), qos=1, retain=True).wait_for_publish(5)


def test_the_url_picks_the_mqtt_connector_and_a_bad_one_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("CITYOPS_DATA_DIR", str(tmp_path))
    connector = open_connector("mqtt://user:s3cret@127.0.0.1:1/plant")
    assert isinstance(connector, MqttConnector) and connector.root == "plant"
    assert "s3cret" not in connector.shown and connector.postgres is False
    for bad in ("mqtt://127.0.0.1:port/x", "mqtt:///nohost"):
        with pytest.raises(UserError) as err:
            open_connector(bad)
        assert "\n" not in str(err.value)
    nobody = open_connector("mqtt://127.0.0.1:1/plant")
    try:
        with pytest.raises(PlatformUnavailable, match="Connection refused"):  # nothing listens on port 1
            nobody.check()
    finally:
        nobody.close()


def test_each_data_folder_has_its_own_session_and_definitions(tmp_path, monkeypatch):
    """Two consoles on one machine (--data-dir sets CITYOPS_DATA_DIR) never share a broker session."""
    seen = []
    for name in ("a", "b"):
        monkeypatch.setenv("CITYOPS_DATA_DIR", str(tmp_path / name))
        connector = MqttConnector("mqtt://127.0.0.1:1/plant")
        seen.append((connector.client_id, connector.definitions.path))
        assert connector.definitions.path.is_relative_to(tmp_path / name)
    assert seen[0][0] != seen[1][0] and seen[0][1] != seen[1][1]


def test_live_push_duplicates_out_of_order_and_bad_messages(broker, tmp_path):
    root = f"t{uuid.uuid4().hex[:6]}"
    pub = publisher(broker, f"pub-{root}")
    define(pub, root, "drain.1")
    define(pub, root, "drain.2", alarm_high=5.0)
    console = Console(f"{broker.url}/{root}?client_id=c-{root}", tmp_path)
    assert wait_until(lambda: console.engine.status.state == "online", 10)
    now = time.time()
    sent = []
    messages = []
    for i in range(150):
        code = f"drain.{1 + i % 2}"
        reading = {"id": f"{root}-{i}", "ts": now - 300 + i, "value": round(random.uniform(0, 2.5), 3)}
        messages.append((code, reading))
        sent.append((code, reading["ts"], reading["value"]))
    random.Random(1).shuffle(messages)  # out of order
    batch = {"id": f"{root}-batch", "readings": [{"ts": now - 10 + k / 10, "value": 1.5} for k in range(20)]}
    sent += [("drain.1", r["ts"], r["value"]) for r in batch["readings"]]
    for code, reading in messages + messages[:30]:  # the first 30 again: a publisher's retry
        pub.publish(f"{root}/readings/{code}", json.dumps(reading), qos=1)
    pub.publish(f"{root}/readings/drain.1", json.dumps(batch), qos=1)
    bad = {f"{root}/readings/drain.1": b"\xff not json", f"{root}/readings/drain.2": json.dumps({"ts": now, "value": 1}),
           f"{root}/readings/nowhere": json.dumps({"id": "x1", "ts": now, "value": 1}),
           f"{root}/bogus/thing": json.dumps({"id": "x2"})}
    for topic, payload in bad.items():
        pub.publish(topic, payload, qos=1)
    pub.publish(f"{root}/readings/drain.2", json.dumps({"id": "x3", "ts": now, "value": "high"}), qos=1)
    pub.publish(f"{root}/incidents/inc-1", json.dumps({
        "id": "e1", "ts": now, "event": "opened", "actor": "drainage desk", "note": "manhole overflowing",
        "incident": {"kind": "waterlogging", "severity": 2, "status": "reported", "lon": 24.94, "lat": 60.17,
                     "title": "Overflow at Kluuvi"}}), qos=1)
    pub.publish(f"{root}/units/pump-7", json.dumps({"id": "u1", "ts": now, "lon": 24.95, "lat": 60.17,
                                                    "heading": 90, "status": "en_route", "kind": "utility"}), qos=1)
    try:
        assert wait_until(lambda: len(console.readings()) >= len(sent) and len(console.quarantine()) >= 5, 15)
        time.sleep(0.5)
        ids = {r["code"]: r["id"] for r in console.cache.rows("indicators")}
        expected = [(ids[c], t, v) for c, t, v in sent]
        got = console.readings()
        assert len(got) == len(expected) and checksum(got) == checksum(expected)
        reasons = console.quarantine()
        assert len(reasons) == 5, reasons
        for words in ("payload is not JSON", "no message id", "unknown indicator 'nowhere'", "topic kind 'bogus'",
                      "value is not a number"):
            assert any(words in r for r in reasons), (words, reasons)
        incident, = console.cache.rows("incidents")
        assert incident["title"] == "Overflow at Kluuvi" and incident["rev"] > 0
        assert console.cache.count("incident_events") == 1 and console.cache.count("unit_positions") == 1
        assert any(u["id"] == "pump-7" and u["kind"] == "utility" for u in console.cache.rows("units"))
        assert console.engine.status.push and console.engine.status.note == NO_HISTORY
        assert console.connector.duplicates >= 30
    finally:
        console.stop()
        pub.loop_stop()


def test_a_broker_restart_and_a_console_restart_mid_stream_lose_nothing(broker, tmp_path):
    """QoS 1 on a persistent session, acknowledged only once cached: both cuts lose nothing, repeat nothing."""
    root = f"t{uuid.uuid4().hex[:6]}"
    pub = publisher(broker, f"pub-{root}")
    define(pub, root, "level")
    console = Console(f"{broker.url}/{root}?client_id=c-{root}", tmp_path)
    assert wait_until(lambda: console.engine.status.state == "online", 10)
    now, total = time.time() - 3600, 900
    done = threading.Event()

    def publish() -> None:
        for i in range(total):
            while pub.publish(f"{root}/readings/level", json.dumps({"id": i, "ts": now + i, "value": i % 97 / 10}),
                              qos=1).rc not in (0, 4):  # 4: no connection, the client queues it
                time.sleep(0.05)
            time.sleep(0.002)
        done.set()

    sender = threading.Thread(target=publish)
    sender.start()
    try:
        assert wait_until(lambda: len(console.readings()) > 150, 15)
        broker.restart()  # the connection cut mid-stream, the broker itself gone and back
        assert wait_until(lambda: len(console.readings()) > 400, 20)
        console.stop()  # the console away (a restart) while the stream goes on
        time.sleep(0.5)
        console.start()
        assert done.wait(60)
        assert wait_until(lambda: len(console.readings()) >= total, 30), len(console.readings())
        time.sleep(0.5)
        got = console.readings()
        expected = [(got[0][0], now + i, i % 97 / 10) for i in range(total)]
        assert len(got) == total and checksum(got) == checksum(expected)
        assert not [r for r in console.quarantine() if "duplicate" in r]
        assert any(s.state == "offline" for s in console.statuses)  # the wall said it was cut off
    finally:
        sender.join()
        console.stop()
        pub.loop_stop()


def test_a_history_platform_fills_what_the_broker_never_queued(broker, tmp_path):
    """Readings the platform stored while no session queued them come from it; one that came both ways once."""
    from urllib.parse import quote

    from sqlalchemy import insert

    from console.model.schema import P
    from tests.pg import BARE_INDICATOR, bare_platform

    url = f"sqlite:///{tmp_path / 'platform.db'}"
    platform = bare_platform(url)
    now = time.time()
    stored = [{"indicator_id": 1, "ts": now - 600 + i, "value": i / 10, "quality": 0} for i in range(120)]
    with platform.begin() as conn:
        conn.execute(insert(P["readings"]), stored)
    root = f"t{uuid.uuid4().hex[:6]}"
    console = Console(f"{broker.url}/{root}?client_id=c-{root}&history={quote(url, safe='')}", tmp_path)
    pub = publisher(broker, f"pub-{root}")
    try:
        assert wait_until(lambda: console.engine.status.state == "online", 10)
        code = BARE_INDICATOR["code"]
        live = [(now - 600 + i, i / 10) for i in range(110, 140)]  # 10 of them the platform has too
        for i, (ts, value) in enumerate(live):
            pub.publish(f"{root}/readings/{code}", json.dumps({"id": i, "ts": ts, "value": value}), qos=1)
        expected = sorted({(1, r["ts"], r["value"]) for r in stored} | {(1, ts, v) for ts, v in live})
        assert wait_until(lambda: len(console.readings()) >= len(expected), 15), len(console.readings())
        time.sleep(0.3)
        got = console.readings()
        assert len(got) == len(expected) == 140 and checksum(got) == checksum(expected)
        assert [r["code"] for r in console.cache.rows("indicators")] == [code]  # the platform's catalogue
        assert console.engine.status.note == "" and not console.quarantine()
    finally:
        console.stop()
        pub.loop_stop()
        platform.dispose()


def test_data_dir_reaches_the_source_for_the_command_only(tmp_path, monkeypatch):
    """``--data-dir`` is CITYOPS_DATA_DIR while a command runs (console/cli.py), and only then."""
    import os

    from console.cli import _data_dir

    monkeypatch.delenv("CITYOPS_DATA_DIR", raising=False)
    with _data_dir(str(tmp_path / "d")):
        connector = MqttConnector("mqtt://127.0.0.1:1/x")
    assert connector.definitions.path.is_relative_to(tmp_path / "d")
    assert "CITYOPS_DATA_DIR" not in os.environ

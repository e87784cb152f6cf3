"""Sparkplug B against a throwaway Mosquitto: births define the indicators, data by alias, a death
turns the node's tiles stale at once, an old session's will is ignored, a sequence gap or data
without a birth asks for a rebirth (NCMD), duplicates and late messages; hypothesis-made bad
messages become quarantine rows, never a traceback."""

from __future__ import annotations

import json
import time
import uuid

import paho.mqtt.client as mqtt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.cache import Cache
from console.model.indicator import Indicator, Status
from console.sources.mqtt import MqttConnector
from console.sources.sparkplug_proto import Payload
from console.store import Store
from console.sync.batch import Batch
from console.sync.engine import SyncEngine
from tests.mosquitto import Broker
from tests.waiting import wait_until


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    broker = Broker(tmp_path_factory.mktemp("mosquitto"))
    broker.start()
    yield broker
    broker.stop()


def quarantine(cache: Cache) -> list[str]:
    with cache.engine.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql("SELECT reason FROM quarantine ORDER BY at").all()]


def metric(payload, name=None, alias=None, datatype=10, value=None, props=None, ts=None):
    m = payload.metrics.add(datatype=datatype)
    if name is not None:
        m.name = name
    if alias is not None:
        m.alias = alias
    if ts is not None:
        m.timestamp = int(ts * 1000)
    field = {1: "int_value", 3: "int_value", 4: "long_value", 9: "float_value", 10: "double_value",
             11: "boolean_value", 12: "string_value"}[datatype]
    if value is not None:
        setattr(m, field, value)
    for key, v in (props or {}).items():
        m.properties.keys.append(key)
        pv = m.properties.values.add()
        if isinstance(v, str):
            pv.type, pv.string_value = 12, v
        else:
            pv.type, pv.double_value = 10, float(v)
    return m


class EdgeNode:
    """An edge node as the specification has it: NDEATH as its will, births, then data by alias."""

    def __init__(self, broker: Broker, group: str, node: str):
        self.group, self.node, self.seq, self.bd_seq = group, node, 0, 0
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"edge-{group}-{node}",
                                  protocol=mqtt.MQTTv311)
        self.broker = broker

    def topic(self, kind: str, device: str = "") -> str:
        return f"spBv1.0/{self.group}/{kind}/{self.node}" + (f"/{device}" if device else "")

    def death(self, bd_seq: int) -> bytes:
        payload = Payload(timestamp=int(time.time() * 1000))
        metric(payload, "bdSeq", datatype=4, value=bd_seq)
        return payload.SerializeToString()

    def connect(self) -> None:
        self.client.will_set(self.topic("NDEATH"), self.death(self.bd_seq), qos=1)
        self.client.connect("127.0.0.1", self.broker.port)
        self.client.loop_start()

    def send(self, kind: str, build, device: str = "", seq: int | None = None) -> bytes:
        payload = Payload(timestamp=int(time.time() * 1000))
        if kind == "NBIRTH":
            self.seq = 0
            metric(payload, "bdSeq", datatype=4, value=self.bd_seq)
        payload.seq = self.seq if seq is None else seq
        build(payload)
        data = payload.SerializeToString()
        self.publish(self.topic(kind, device), data)
        self.seq = (payload.seq + 1) % 256
        return data

    def publish(self, topic: str, data: bytes) -> None:
        self.client.publish(topic, data, qos=1).wait_for_publish(5)


def birth(payload):
    metric(payload, "Level", 1, 10, 1.25, {"engUnit": "m", "category": "drainage", "district": "kluuvi",
                                           "warnHigh": 2.0, "alarmHigh": 3.0, "interval": 5, "decimals": 2})
    metric(payload, "Pump/Running", 2, 11, True)
    metric(payload, "Label", 3, 12, "pit A")  # text: not an indicator


def test_births_data_death_and_rebirth(broker, tmp_path):
    group = f"g{uuid.uuid4().hex[:6]}"
    commands: list[tuple[str, list[str]]] = []
    listener = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"ncmd-{group}", protocol=mqtt.MQTTv311)
    listener.on_message = lambda c, u, m: commands.append(
        (m.topic, [(x.name, x.boolean_value) for x in Payload.FromString(m.payload).metrics]))
    listener.connect("127.0.0.1", broker.port)
    listener.subscribe(f"spBv1.0/{group}/NCMD/#", qos=1)
    listener.loop_start()
    connector = MqttConnector(f"{broker.url}/unused?client_id=c-{group}&groups={group}",
                              definitions=str(tmp_path / "defs.json"))
    cache = Cache(tmp_path / "cache.db")
    store = Store()
    batches: list[Batch] = []
    engine = SyncEngine(connector, cache, on_batch=batches.append, heartbeat_s=1.0)
    engine.start()
    node = EdgeNode(broker, group, "pit")
    node.connect()
    assert wait_until(lambda: connector.connected.is_set(), 10)
    sent: list[tuple[str, float, float]] = []
    now = time.time()
    try:
        # data before any birth: set aside, and the node is asked to be born again
        node.send("NDATA", lambda p: metric(p, alias=1, value=9.9, ts=now - 60), seq=7)
        assert wait_until(lambda: commands, 5)
        assert commands[0] == (f"spBv1.0/{group}/NCMD/pit", [("Node Control/Rebirth", True)])

        node.send("NBIRTH", birth)
        sent += [("Level", None, 1.25), ("Pump/Running", None, 1.0)]
        node.send("DBIRTH", lambda p: metric(p, "Flow", 1, 9, 0.5, {"engUnit": "m3/s"}), device="pump-2")
        sent.append(("pump-2/Flow", None, 0.5))
        for i in range(5):  # node data by alias, device data by the device's own aliases
            node.send("NDATA", lambda p, i=i: metric(p, alias=1, value=1.0 + i / 10, ts=now - 50 + i))
            sent.append(("Level", now - 50 + i, 1.0 + i / 10))
        dup = node.send("DDATA", lambda p: metric(p, alias=1, datatype=9, value=0.75, ts=now - 40), device="pump-2")
        sent.append(("pump-2/Flow", now - 40, 0.75))
        node.publish(node.topic("DDATA", "pump-2"), dup)  # a redelivery: the same message again
        # late: seq n+1 arrives before seq n (kept), then a gap (kept, and a rebirth asked for)
        late = node.seq
        node.send("NDATA", lambda p: metric(p, alias=1, value=1.8, ts=now - 30), seq=late + 1)
        node.send("NDATA", lambda p: metric(p, alias=1, value=1.7, ts=now - 31), seq=late)
        sent += [("Level", now - 30, 1.8), ("Level", now - 31, 1.7)]
        assert len(commands) == 1
        node.send("NDATA", lambda p: metric(p, alias=1, value=1.9, ts=now - 20), seq=late + 5)
        sent.append(("Level", now - 20, 1.9))
        assert wait_until(lambda: len(commands) == 2, 5)

        codes = {f"{group}.pit.Level", f"{group}.pit.Pump.Running", f"{group}.pit.pump-2.Flow"}
        assert wait_until(lambda: codes <= {r["code"] for r in cache.rows("indicators")}, 10)
        level = next(r for r in cache.rows("indicators") if r["code"] == f"{group}.pit.Level")
        assert (level["unit"], level["category"], level["district_id"], level["alarm_high"], level["interval_s"]) == (
            "m", "drainage", "kluuvi", 3.0, 5.0)
        assert wait_until(lambda: cache.count("readings") == len(sent), 10), cache.count("readings")
        with cache.engine.connect() as conn:
            values = sorted(r[0] for r in conn.exec_driver_sql("SELECT value FROM readings").all())
        assert values == sorted(v for *_, v in sent)
        assert wait_until(lambda: quarantine(cache), 5)
        reasons = quarantine(cache)
        assert len(reasons) == 1 and "no birth certificate" in reasons[0]

        # an old session's will (bdSeq 0 is not this birth's 1) changes nothing; then the node dies
        node.publish(node.topic("NDEATH"), node.death(node.bd_seq - 1 if node.bd_seq else 99))
        node.client.disconnect()  # a clean disconnect sends no will: send the death as the broker would
        node.client.loop_stop()
        died = time.time()
        publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"will-{group}")
        publisher.connect("127.0.0.1", broker.port)
        publisher.loop_start()
        publisher.publish(node.topic("NDEATH"), node.death(node.bd_seq), qos=1).wait_for_publish(5)
        assert wait_until(lambda: sum(r[4] == 2 for b in batches for r in b.readings) == 3, 10)  # all 3 stale
        assert cache.count("readings") == len(sent) + 3
        for batch in batches:
            if batch.reference is not None:
                store.load_reference(batch.reference)
            store.apply(batch)
        indicators = {i.code: i for i in store.indicators.values()}
        at = died + 1.0
        assert {store.status(indicators[c].id, at) for c in codes} == {Status.STALE}

        # born again (the next bdSeq): live again, the same indicators
        node.bd_seq += 1
        node.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"edge2-{group}", protocol=mqtt.MQTTv311)
        node.connect()
        seen = len(batches)
        node.send("NBIRTH", birth)
        reborn = time.time()
        assert wait_until(lambda: sum(1 for b in batches[seen:] for r in b.readings if r[4] == 0) >= 2, 10)
        for batch in batches[seen:]:
            store.apply(batch)
        assert store.status(indicators[f"{group}.pit.Level"].id, reborn + 0.5) is Status.NORMAL
        assert len({r["code"] for r in cache.rows("indicators")} & codes) == 3
    finally:
        engine.stop()
        connector.close()
        listener.loop_stop()
        node.client.loop_stop()


def test_a_hand_encoded_payload_decodes_as_the_specification_lays_it_out():
    """Field numbers and wire types of Tahu's sparkplug_b.proto, written byte by byte."""
    # Payload.timestamp (1, varint) = 1000; Payload.seq (3, varint) = 5; one metric (2, bytes):
    #   name (1) "a", alias (2) 7, datatype (4) 10, double_value (13, fixed64) 2.5
    import struct

    metric_bytes = b"\x0a\x01a" + b"\x10\x07" + b"\x20\x0a" + b"\x69" + struct.pack("<d", 2.5)
    data = b"\x08\xe8\x07" + b"\x12" + bytes([len(metric_bytes)]) + metric_bytes + b"\x18\x05"
    payload = Payload.FromString(data)
    assert (payload.timestamp, payload.seq, payload.metrics[0].name, payload.metrics[0].alias,
            payload.metrics[0].double_value) == (1000, 5, "a", 7, 2.5)


TOPICS = st.one_of(
    st.sampled_from(["spBv1.0/g/NBIRTH/n", "spBv1.0/g/NDATA/n", "spBv1.0/g/DDATA/n/d", "spBv1.0/g/NDEATH/n",
                     "spBv1.0/g/DBIRTH/n/d", "spBv1.0/g/BOGUS/n", "spBv1.0/g", "root/readings/x.1",
                     "root/indicators/x.1", "root/incidents/i1", "root/units/u1", "root/nothing/here", "root"]),
    st.text(min_size=1, max_size=30).filter(lambda t: "\x00" not in t and "#" not in t and "+" not in t))
JSONISH = st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                           st.sampled_from(["id", "ts", "value", "quality", "readings", "incident", "event",
                                            "lon", "lat", "kind", "severity", "name", "bad"]), inner, max_size=6),
                       max_leaves=12)
PAYLOADS = st.one_of(st.binary(max_size=200), JSONISH.map(lambda x: json.dumps(x).encode()))


@pytest.fixture(scope="module")
def fed(broker, tmp_path_factory):
    """One console fed messages straight into its broker callback, with its engine (not started)."""
    folder = tmp_path_factory.mktemp("hyp")
    connector = MqttConnector(f"{broker.url}/root?client_id=h-{uuid.uuid4().hex[:8]}",
                              definitions=str(folder / "defs.json"))
    connector.check()
    engine = SyncEngine(connector, Cache(folder / "cache.db"))
    yield connector, engine
    connector.close()


def _not_an_object(payload: bytes) -> bool:
    try:
        return not isinstance(json.loads(payload), dict)
    except ValueError:
        return True


@settings(max_examples=25, deadline=None)
@given(messages=st.lists(st.tuples(TOPICS, PAYLOADS), min_size=1, max_size=8))
def test_bad_messages_are_quarantined_or_read_never_a_traceback(messages, fed):
    connector, engine = fed
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="unused")
    before = len(quarantine(engine.cache))
    for i, (topic, payload) in enumerate(messages):
        msg = mqtt.MQTTMessage(mid=i + 1, topic=topic.encode())
        msg.payload, msg.qos = payload, 0
        connector._on_message(client, None, msg)  # the broker thread's callback, fed directly
    engine.sync_reference()
    engine.step()
    engine.step()
    reasons = quarantine(engine.cache)[before:]
    # a message under the root that is not a JSON object (but an indicator's cleared definition) is set aside
    must = sum(1 for t, p in messages if t.startswith("root/") and _not_an_object(p)
               and not (t.startswith("root/indicators/") and not p))
    assert len(reasons) >= must
    assert all(r and "\n" not in r and "could not be read" not in r for r in reasons)  # no unforeseen error


def test_a_restarted_console_reads_what_its_session_queued_with_the_births_it_kept(broker, tmp_path):
    group = f"g{uuid.uuid4().hex[:6]}"
    url = f"{broker.url}/unused?client_id=c-{group}&groups={group}"

    def console():
        connector = MqttConnector(url, definitions=str(tmp_path / "defs.json"))
        engine = SyncEngine(connector, cache, heartbeat_s=1.0)
        engine.start()
        assert wait_until(lambda: connector.connected.is_set(), 10)
        return connector, engine

    cache = Cache(tmp_path / "cache.db")
    connector, engine = console()
    node = EdgeNode(broker, group, "pit")
    node.connect()
    now = time.time()
    try:
        node.send("NBIRTH", birth)
        node.send("NDATA", lambda p: metric(p, alias=1, value=1.5, ts=now - 20))
        assert wait_until(lambda: cache.count("readings") == 3, 10)
        engine.stop()
        connector.close()  # the console away: the node goes on, the broker queues its data
        for i in range(5):
            node.send("NDATA", lambda p, i=i: metric(p, alias=1, value=1.6 + i / 10, ts=now - 10 + i))
        connector, engine = console()
        assert wait_until(lambda: cache.count("readings") == 8, 10), cache.count("readings")
        assert not quarantine(cache)  # read with the kept birth: no "no birth certificate"
    finally:
        engine.stop()
        connector.close()
        node.client.loop_stop()

"""A Sparkplug B host application's view of the edge nodes: births, data, deaths and rebirths.

Topics are ``spBv1.0/<group>/<TYPE>/<node>[/<device>]``. An NBIRTH (and a DBIRTH for each of
the node's devices) lists every metric with its name, alias, data type and properties: each
numeric or boolean metric becomes an indicator, coded ``<group>.<node>[.<device>].<metric>``
(slashes in a metric's name become dots). Properties may carry the indicator's catalogue entry:
``engUnit`` (the unit), ``category``, ``district``, ``warnLow``/``warnHigh``/``alarmLow``/
``alarmHigh``, ``bad``, ``interval`` (seconds) and ``decimals``. NDATA/DDATA carry readings,
by alias or name, timed by the metric's timestamp (else the payload's), in milliseconds.

Sequence: every message of a node's session carries ``seq``, 0 at NBIRTH and one more each
message, modulo 256. A message seen before (same seq and content: a QoS 1 redelivery) is
dropped; one that skips ahead means messages were lost, and one that comes from a node with no
birth (or an alias no birth named) cannot be read: for both the host asks the node to be born
again, publishing NCMD ``Node Control/Rebirth`` = true, as the specification says, at most once
every REBIRTH_EVERY_S per node. A late message (behind the last seq) still carries timestamped
readings and is kept.

Death: NDEATH is the node's MQTT will, with the ``bdSeq`` of the birth it ends; one whose bdSeq
is not the current birth's is an old session's and is ignored. A death (NDEATH, or DDEATH for
one device) marks the indicators it ends stale at once: each gets a reading at the moment of
death with its last value and quality 2 (bad), which the wall shows as stale.
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from dataclasses import dataclass, field

from google.protobuf.message import DecodeError

from console.sources.mqtt_json import Decoded, NotConvention, indicator_id
from console.sources.sparkplug_proto import NUMERIC_TYPES, SIGNED_BITS, Payload

NAMESPACE = "spBv1.0"
REBIRTH_METRIC = "Node Control/Rebirth"
#: A node is asked to be born again at most this often.
REBIRTH_EVERY_S = 5.0
#: Messages per node remembered to spot a redelivery.
_RECENT = 64
QUALITY_BAD = 2
#: Property names (Sparkplug's engUnit, the rest this console's) -> indicator columns.
_PROPERTIES = {"engUnit": "unit", "category": "category", "district": "district_id", "warnLow": "warn_low",
               "warnHigh": "warn_high", "alarmLow": "alarm_low", "alarmHigh": "alarm_high", "bad": "bad",
               "interval": "interval_s", "decimals": "decimals", "name_zh": "name_zh"}


@dataclass
class Node:
    """One edge node's session as the host saw it."""

    bd_seq: int | None = None
    seq: int | None = None  # last in-order seq
    online: bool = False
    devices_online: set[str] = field(default_factory=set)
    aliases: dict[tuple[str, int], tuple[str | None, int]] = field(default_factory=dict)  # (device, alias) -> same
    #: (device, metric) -> (indicator code, or None for a metric no tile shows; data type)
    names: dict[tuple[str, str], tuple[str | None, int]] = field(default_factory=dict)
    recent: deque = field(default_factory=lambda: deque(maxlen=_RECENT))  # (seq, digest)
    last: dict[int, tuple[str, float]] = field(default_factory=dict)  # indicator id -> (device, last value)
    rebirth_at: float = -1e9


@dataclass
class Outcome(Decoded):
    """What one Sparkplug message adds, and which nodes to ask for a rebirth."""

    rebirth: list[tuple[str, str]] = field(default_factory=list)  # (group, node)
    problem: str | None = None  # why some of it could not be read (quarantined with the message)
    duplicate: bool = False


def split_topic(topic: str) -> tuple[str, str, str, str]:
    """(group, type, node, device) of a Sparkplug topic; NotConvention otherwise."""
    parts = topic.split("/")
    if len(parts) not in (4, 5) or parts[0] != NAMESPACE or not all(parts[1:]):
        raise NotConvention(f"topic {topic[:80]!r} is not spBv1.0/<group>/<type>/<node>[/<device>]")
    return parts[1], parts[2], parts[3], parts[4] if len(parts) == 5 else ""


def rebirth_payload(now: float) -> bytes:
    """The NCMD that asks a node to send its births again."""
    payload = Payload(timestamp=int(now * 1000))
    payload.metrics.add(name=REBIRTH_METRIC, timestamp=int(now * 1000), datatype=11, boolean_value=True)
    return payload.SerializeToString()


def _value(metric, datatype: int) -> float | None:
    """A metric's value as a float (None: null, or a type the wall does not show)."""
    if metric.is_null or datatype not in NUMERIC_TYPES:
        return None
    which = metric.WhichOneof("value")
    if which is None:
        return None
    raw = getattr(metric, which)
    if isinstance(raw, bool):
        return 1.0 if raw else 0.0
    if not isinstance(raw, (int, float)):
        raise NotConvention(f"metric {metric.name[:40]!r}: a {NUMERIC_TYPES[datatype]} carried as {which}")
    if datatype in SIGNED_BITS and isinstance(raw, int):
        bits = SIGNED_BITS[datatype]
        raw &= (1 << bits) - 1
        raw = raw - (1 << bits) if raw >= 1 << (bits - 1) else raw
    return float(raw)


def _property(value) -> object:
    which = value.WhichOneof("value")
    raw = None if value.is_null or which is None else getattr(value, which)
    return raw if isinstance(raw, (str, int, float)) else None  # property sets and lists: not a column


class SparkplugHost:
    """The state of every node seen; ``handle`` reads one message."""

    def __init__(self):
        self.nodes: dict[tuple[str, str], Node] = {}
        self.indicators: dict[str, dict] = {}  # indicator definitions from births, by code

    def export(self) -> dict[str, dict]:
        """Every node's session as JSON-ready data: a restarted console reads the data its broker
        session queued without waiting for births (console/sources/mqtt_state.py keeps it). The
        messages seen are left out: one read but not yet cached comes again and must be taken."""
        return {f"{group}/{node_id}": {
            "bd_seq": n.bd_seq, "seq": n.seq, "online": n.online, "devices": sorted(n.devices_online),
            "aliases": [[d, a, c, t] for (d, a), (c, t) in n.aliases.items()],
            "names": [[d, m, c, t] for (d, m), (c, t) in n.names.items()],
            "last": [[i, d, v] for i, (d, v) in n.last.items()]} for (group, node_id), n in self.nodes.items()}

    def restore(self, saved: dict, indicators: dict[str, dict]) -> None:
        """Take back the sessions ``export`` gave (a broken entry is skipped: births mend it)."""
        for key, data in saved.items():
            try:
                group, node_id = key.split("/", 1)
                node = Node(bd_seq=data["bd_seq"], seq=data["seq"], online=bool(data["online"]),
                            devices_online=set(data["devices"]),
                            aliases={(d, int(a)): (c, int(t)) for d, a, c, t in data["aliases"]},
                            names={(d, m): (c, int(t)) for d, m, c, t in data["names"]},
                            last={int(i): (d, float(v)) for i, d, v in data["last"]})
            except (KeyError, TypeError, ValueError):
                continue
            self.nodes[(group, node_id)] = node
            for code, _ in (*node.names.values(), *node.aliases.values()):
                if code is not None and code in indicators:
                    self.indicators[code] = indicators[code]

    def handle(self, topic: str, payload: bytes, now: float | None = None) -> Outcome:
        now = time.time() if now is None else now
        group, kind, node_id, device = split_topic(topic)
        if kind in ("NCMD", "DCMD", "STATE"):
            return Outcome()
        try:
            message = Payload.FromString(payload)
        except (DecodeError, ValueError, RuntimeError) as exc:
            raise NotConvention(f"{kind} payload is not a Sparkplug B protobuf ({str(exc)[:80]})") from None
        node = self.nodes.setdefault((group, node_id), Node())
        out = Outcome()
        if kind == "NBIRTH":
            self._nbirth(node, group, node_id, message, now, out)
        elif kind == "NDEATH":
            self._ndeath(node, message, now, out)
        elif kind in ("DBIRTH", "DDATA", "DDEATH", "NDATA"):
            if kind.startswith("D") and not device:
                raise NotConvention(f"{kind} topic {topic[:80]!r} names no device")
            if not self._in_sequence(node, group, node_id, message, payload, now, out):
                return out
            if kind == "DBIRTH":
                self._birth_metrics(node, group, node_id, device, message, now, out)
                node.devices_online.add(device)
            elif kind == "DDEATH":
                node.devices_online.discard(device)
                self._stale(node, now, out, device)
            else:
                self._data(node, group, node_id, device, message, now, out)
        else:
            raise NotConvention(f"Sparkplug message type {kind[:20]!r} is not one a host reads")
        return out

    # -- sessions ------------------------------------------------------------------------------
    def _nbirth(self, node: Node, group: str, node_id: str, message, now: float, out: Outcome) -> None:
        bd_seq = next((m.long_value for m in message.metrics if m.name == "bdSeq"), None)
        node.bd_seq, node.seq, node.online = bd_seq, int(message.seq), True
        node.devices_online.clear()
        node.aliases.clear()
        node.names.clear()
        node.recent.clear()
        node.recent.append((node.seq, None))
        node.rebirth_at = -1e9  # born: a new problem may ask again at once
        self._birth_metrics(node, group, node_id, "", message, now, out)

    def _ndeath(self, node: Node, message, now: float, out: Outcome) -> None:
        bd_seq = next((m.long_value for m in message.metrics if m.name == "bdSeq"), None)
        if not node.online or (bd_seq is not None and node.bd_seq is not None and bd_seq != node.bd_seq):
            return  # an earlier session's will, arriving after the node was born again
        node.online = False
        node.devices_online.clear()
        self._stale(node, now, out, None)

    def _stale(self, node: Node, now: float, out: Outcome, device: str | None) -> None:
        for iid, (dev, value) in node.last.items():
            if device is None or dev == device:
                out.readings.append((iid, now, value, QUALITY_BAD))

    def _in_sequence(self, node: Node, group: str, node_id: str, message, payload: bytes, now: float,
                     out: Outcome) -> bool:
        """False when the message is a redelivery, or cannot be read for want of a birth."""
        if not node.online:
            out.problem = "no birth certificate from this node yet (a rebirth was asked for)"
            self._ask_rebirth(node, group, node_id, now, out)
            return False
        seq = int(message.seq) % 256
        digest = hashlib.blake2b(payload, digest_size=8).digest()
        if (seq, digest) in node.recent:
            out.duplicate = True
            return False
        node.recent.append((seq, digest))
        ahead = (seq - node.seq) % 256
        if ahead == 1:
            node.seq = seq
        elif 1 < ahead < 128:  # messages between were lost: the node's state may be wrong
            node.seq = seq
            self._ask_rebirth(node, group, node_id, now, out)
        return True

    def _ask_rebirth(self, node: Node, group: str, node_id: str, now: float, out: Outcome) -> None:
        if now - node.rebirth_at >= REBIRTH_EVERY_S:
            node.rebirth_at = now
            out.rebirth.append((group, node_id))

    # -- metrics -------------------------------------------------------------------------------
    def _birth_metrics(self, node: Node, group: str, node_id: str, device: str, message, now: float,
                       out: Outcome) -> None:
        for metric in message.metrics:
            if metric.name == "bdSeq" or metric.name.startswith(("Node Control/", "Device Control/", "Properties/")):
                continue
            if metric.datatype not in NUMERIC_TYPES:  # text, datasets, files: nothing a tile shows
                node.names[(device, metric.name)] = (None, metric.datatype)
                if metric.HasField("alias"):
                    node.aliases[(device, metric.alias)] = (None, metric.datatype)
                continue
            code = ".".join(p for p in (group, node_id, device, metric.name.replace("/", ".")) if p)
            row = self._definition(code, metric)
            self.indicators[code] = row
            out.indicators.append(row)
            node.names[(device, metric.name)] = (code, metric.datatype)
            if metric.HasField("alias"):
                node.aliases[(device, metric.alias)] = (code, metric.datatype)
        self._data(node, group, node_id, device, message, now, out)

    def _definition(self, code: str, metric) -> dict:
        row = {"id": indicator_id(code), "code": code, "name": metric.name, "name_zh": None, "category": "sparkplug",
               "unit": "", "district_id": None, "warn_low": None, "warn_high": None, "alarm_low": None,
               "alarm_high": None, "bad": "high", "interval_s": 60.0, "decimals": 0 if metric.datatype <= 8 else 2}
        if metric.HasField("properties"):
            for key, value in zip(metric.properties.keys, metric.properties.values):
                if key in _PROPERTIES:
                    row[_PROPERTIES[key]] = _property(value)
        if isinstance(row["decimals"], float) and row["decimals"].is_integer():
            row["decimals"] = int(row["decimals"])  # sent as a Double; any other odd value the rules judge
        return row

    def _data(self, node: Node, group: str, node_id: str, device: str, message, now: float, out: Outcome) -> None:
        base = message.timestamp / 1000 if message.HasField("timestamp") else now
        unknown = []
        for metric in message.metrics:
            if metric.HasField("name") and metric.name:
                found = node.names.get((device, metric.name))
            else:
                found = node.aliases.get((device, metric.alias))
            if found is None:
                if metric.name != "bdSeq" and not metric.name.startswith(("Node Control/", "Device Control/")):
                    unknown.append(metric.name or f"alias {metric.alias}")
                continue
            code, datatype = found
            value = None if code is None else _value(metric, datatype)
            if value is None:
                continue
            ts = metric.timestamp / 1000 if metric.HasField("timestamp") else base
            iid = self.indicators[code]["id"]
            out.readings.append((iid, ts, value, 0))
            node.last[iid] = (device, value)
        if unknown:
            out.problem = f"metric(s) no birth named: {', '.join(unknown[:5])[:200]} (a rebirth was asked for)"
            self._ask_rebirth(node, group, node_id, now, out)


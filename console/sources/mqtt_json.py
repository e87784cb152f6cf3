"""The console's JSON topic convention on MQTT: readings, incidents and unit positions.

Topics sit under a root (the platform URL's path, ``cityops`` by default)::

    <root>/indicators/<code>      retained: an indicator's definition
                                  {"name", "category", "unit", "district_id", "warn_low", "warn_high",
                                   "alarm_low", "alarm_high", "bad", "interval_s", "decimals", "id"?}
    <root>/readings/<code>        {"id": MSGID, "ts": T, "value": V, "quality": 0|1|2}
                                  or a batch {"id": MSGID, "readings": [{"ts", "value", "quality"}, ...]}
    <root>/incidents/<incident>   {"id": MSGID, "ts": T, "event": "opened"|"dispatched"|..., "actor", "note",
                                   "incident": {"kind", "severity", "status", "district_id", "lon", "lat",
                                                "title", "opened_at"}}  (the incident as it stands after the event)
    <root>/units/<unit>           {"id": MSGID, "ts": T, "lon", "lat", "heading", "status", "kind"?, "callsign"?}

``T`` is UTC epoch seconds or an ISO 8601 time with its offset. ``MSGID`` is the publisher's
unique message id (a UUID, or "<sender>:<counter>"): a message whose id was seen before is a
duplicate (a QoS 1 redelivery, a publisher's retry) and is dropped. An indicator's numeric id is
its ``id`` field, else a stable number made from its code (``indicator_id``). A message that is
not this convention's is quarantined with the reason (not JSON, no message id, an unknown
indicator); the values themselves are checked by the sync engine's rules like any platform row.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

#: Indicator fields a definition may give, with the value used where it gives none.
INDICATOR_DEFAULTS: dict[str, object] = {"category": "mqtt", "unit": "", "district_id": None, "warn_low": None,
                                         "warn_high": None, "alarm_low": None, "alarm_high": None, "bad": "high",
                                         "interval_s": 60.0, "decimals": 1, "name_zh": None}
#: Ids made from codes lie in [500,000,000, 1,000,000,000): clear of a platform's small serial ids,
#: and below a namespaced source's span (console/sources/namespace.py ID_SPAN). Two codes that
#: meet on one id (rare) leave the second quarantined as a duplicate id, named: give it an "id".
_ID_BASE = 500_000_000


class NotConvention(Exception):
    """A message this convention cannot read: the reason is the quarantine row's."""


@dataclass
class Decoded:
    """What one message adds: rows per stream (without seq), definitions, and the message id."""

    msgid: str | None = None
    readings: list[tuple[int, float, float, int]] = field(default_factory=list)  # (indicator, ts, value, quality)
    incident_events: list[dict] = field(default_factory=list)
    incidents: list[dict] = field(default_factory=list)
    unit_positions: list[dict] = field(default_factory=list)
    indicators: list[dict] = field(default_factory=list)
    units: list[dict] = field(default_factory=list)


def indicator_id(code: str) -> int:
    """A stable id for an indicator known only by its code (the same on every console)."""
    digest = hashlib.blake2b(code.encode("utf-8", "surrogatepass"), digest_size=4).digest()
    return _ID_BASE + int.from_bytes(digest) % _ID_BASE  # _ID_BASE .. 2 * _ID_BASE - 1


def when(x: object, what: str = "ts") -> float:
    """Epoch seconds from a number or an ISO 8601 text with its offset."""
    if isinstance(x, bool) or x is None:
        raise NotConvention(f"{what} is missing" if x is None else f"{what} is not a time ({x!r})")
    if isinstance(x, (int, float)):
        return float(x)
    if isinstance(x, str):
        try:
            stamp = datetime.fromisoformat(x)
        except ValueError:
            raise NotConvention(f"{what} {x[:40]!r} is not an ISO 8601 time") from None
        if stamp.tzinfo is None:
            raise NotConvention(f"{what} {x[:40]!r} has no UTC offset")
        return stamp.timestamp()
    raise NotConvention(f"{what} is not a time ({type(x).__name__})")


def _object(payload: bytes) -> dict:
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, ValueError) as exc:
        raise NotConvention(f"payload is not JSON ({str(exc)[:80]})") from None
    if not isinstance(data, dict):
        raise NotConvention(f"payload is a JSON {type(data).__name__}, not an object")
    return data


def _msgid(data: dict) -> str:
    msgid = data.get("id")
    if isinstance(msgid, bool) or not isinstance(msgid, (str, int)) or msgid == "":
        raise NotConvention("no message id (\"id\")" if msgid is None else f"message id {msgid!r:.40} is not a text")
    return str(msgid)


def decode(root: str, topic: str, payload: bytes, codes: dict[str, int]) -> Decoded:
    """Read one message of the convention; ``codes`` maps known indicator codes to ids."""
    parts = topic[len(root) + 1:].split("/", 1) if topic.startswith(root + "/") else []
    if len(parts) != 2 or not parts[1]:
        raise NotConvention(f"topic {topic[:80]!r} is not <root>/<kind>/<name>")
    kind, name = parts
    if kind == "indicators":
        return _indicator(name, payload)
    data = _object(payload)
    out = Decoded(msgid=_msgid(data))
    if kind == "readings":
        if name not in codes:
            raise NotConvention(f"unknown indicator {name[:80]!r} (no definition on {root}/indicators/{name[:40]})")
        items = data.get("readings", [data])
        if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
            raise NotConvention("\"readings\" is not a list of objects")
        for item in items:
            quality = item.get("quality", 0)
            out.readings.append((codes[name], when(item.get("ts")), item.get("value"), quality))
    elif kind == "incidents":
        incident = data.get("incident")
        if not isinstance(incident, dict):
            raise NotConvention("no \"incident\" object (the incident as it stands after the event)")
        ts = when(data.get("ts"))
        out.incident_events.append({"incident_id": name, "ts": ts, "event": data.get("event"),
                                    "actor": data.get("actor", "mqtt"), "note": data.get("note", "")})
        out.incidents.append({**{k: incident.get(k) for k in ("kind", "severity", "status", "district_id", "lon",
                                                              "lat", "title")},
                              "id": name, "opened_at": when(incident.get("opened_at", ts), "opened_at"),
                              "updated_at": ts})
    elif kind == "units":
        out.unit_positions.append({"unit_id": name, "ts": when(data.get("ts")), "lon": data.get("lon"),
                                   "lat": data.get("lat"), "heading": data.get("heading", 0.0),
                                   "status": data.get("status", "available")})
        out.units.append({"id": name, "kind": data.get("kind", "patrol"), "callsign": data.get("callsign", name),
                          "district_id": data.get("district_id")})
    else:
        raise NotConvention(f"topic kind {kind[:40]!r} is not indicators, readings, incidents or units")
    return out


def _indicator(code: str, payload: bytes) -> Decoded:
    if not payload:  # a retained definition cleared: nothing to add
        return Decoded()
    data = _object(payload)
    row = {k: data.get(k, default) for k, default in INDICATOR_DEFAULTS.items()}
    row |= {"id": data.get("id", indicator_id(code)), "code": code, "name": data.get("name", code)}
    return Decoded(indicators=[row])

"""A GTFS-Realtime feed (a file or a URL) read into what the wall shows: vehicles and trip delays.

The feed is the protobuf ``FeedMessage`` of GTFS-Realtime 2.0 (decoded with Google's
``gtfs-realtime-bindings``). Vehicle positions become moving units; trip updates give each trip
its delay (the trip's own ``delay``, else its first stop time update's arrival or departure
delay), with the route it runs on and, where the same trip (or vehicle) has a position in the
feeds read together, where it is. An entity that cannot be used (no position, a position off the
Earth, no time, a trip with no route or no delay) is counted with its reason; a file that is not
a feed at all is one clear error.
"""

from __future__ import annotations

import math
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from google.protobuf.message import DecodeError
from google.transit import gtfs_realtime_pb2

from console.errors import UserError

#: Largest feed read, in bytes: a whole city's vehicles and trips are a few MB.
MAX_FEED = 64 * 1024 * 1024
FETCH_TIMEOUT_S = 30.0
#: GTFS-RT VehicleStopStatus -> the unit status the map shows.
_STATUS = {0: "incoming_at", 1: "stopped_at", 2: "in_transit_to"}


@dataclass(frozen=True)
class Vehicle:
    vehicle_id: str
    label: str
    trip_id: str
    route_id: str
    ts: float
    lon: float
    lat: float
    heading: float
    status: str


@dataclass(frozen=True)
class TripDelay:
    trip_id: str
    route_id: str
    vehicle_id: str
    delay_s: float
    ts: float


@dataclass
class Snapshot:
    """What one or more feeds said at one moment (their newest header time)."""

    ts: float = 0.0
    vehicles: list[Vehicle] = field(default_factory=list)
    delays: list[TripDelay] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    sources: list[str] = field(default_factory=list)


def fetch(source: str) -> bytes:
    """The feed's bytes from a file path or an http(s) URL; UserError (one line) when unreadable."""
    if source.startswith(("http://", "https://")):
        try:
            with urllib.request.urlopen(source, timeout=FETCH_TIMEOUT_S) as answer:  # noqa: S310 - http(s) only
                data = answer.read(MAX_FEED + 1)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise UserError(f"cannot fetch GTFS-Realtime feed {source}: {getattr(exc, 'reason', exc)}") from None
    else:
        try:
            with Path(source).open("rb") as f:
                data = f.read(MAX_FEED + 1)
        except OSError as exc:
            raise UserError(f"cannot read GTFS-Realtime feed {source}: {exc.strerror or exc}") from None
    if len(data) > MAX_FEED:
        raise UserError(f"{source} is larger than {MAX_FEED // 1024 // 1024} MB: not a GTFS-Realtime feed")
    return data


def parse(data: bytes, source: str) -> gtfs_realtime_pb2.FeedMessage:
    feed = gtfs_realtime_pb2.FeedMessage()
    try:
        feed.ParseFromString(data)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise UserError(f"{source} is not a GTFS-Realtime feed (protobuf: {str(exc)[:80] or 'undecodable'})") from None
    if not feed.HasField("header") or not feed.header.gtfs_realtime_version:
        raise UserError(f"{source} is not a GTFS-Realtime feed (no header with gtfs_realtime_version)")
    return feed


def read(sources: list[str]) -> Snapshot:
    """Read feeds together (a city often serves vehicle positions and trip updates apart)."""
    snap = Snapshot(sources=list(sources))
    trips: list[tuple] = []
    for source in sources:
        feed = parse(fetch(source), source)
        header_ts = float(feed.header.timestamp) if feed.header.timestamp else 0.0
        snap.ts = max(snap.ts, header_ts)
        for entity in feed.entity:
            if entity.is_deleted:
                continue
            if entity.HasField("vehicle"):
                _vehicle(entity, header_ts, snap)
            if entity.HasField("trip_update"):
                trips.append((entity, header_ts))
    routes = {v.trip_id: v.route_id for v in snap.vehicles if v.trip_id and v.route_id}
    for entity, header_ts in trips:
        _trip(entity, header_ts, routes, snap)
    return snap


def _vehicle(entity, header_ts: float, snap: Snapshot) -> None:
    v = entity.vehicle
    if not v.HasField("position"):
        snap.skipped["vehicle without a position"] += 1
        return
    lat, lon = float(v.position.latitude), float(v.position.longitude)
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180) or (
            lat == 0 and lon == 0):
        snap.skipped["vehicle position off the map"] += 1
        return
    ts = float(v.timestamp) if v.timestamp else header_ts
    if not ts:
        snap.skipped["vehicle position without a time"] += 1
        return
    vehicle_id = v.vehicle.id or entity.id
    bearing = float(v.position.bearing) if v.position.HasField("bearing") else 0.0
    snap.vehicles.append(Vehicle(vehicle_id, v.vehicle.label or vehicle_id, v.trip.trip_id, v.trip.route_id, ts,
                                 lon, lat, bearing % 360 if math.isfinite(bearing) else 0.0,
                                 _STATUS.get(v.current_status, "in_transit_to")))


def _trip(entity, header_ts: float, routes: dict[str, str], snap: Snapshot) -> None:
    t = entity.trip_update
    route = t.trip.route_id or routes.get(t.trip.trip_id, "")
    if not route:
        snap.skipped["trip update without a route"] += 1
        return
    delay = float(t.delay) if t.HasField("delay") else None
    for stop in t.stop_time_update:
        if delay is not None:
            break
        for event in (stop.arrival, stop.departure):
            if event.HasField("delay"):
                delay = float(event.delay)
                break
    if delay is None:
        snap.skipped["trip update without a delay"] += 1
        return
    ts = float(t.timestamp) if t.timestamp else header_ts
    snap.delays.append(TripDelay(t.trip.trip_id, route, t.vehicle.id, delay, ts))

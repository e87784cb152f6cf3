"""GTFS-Realtime into a platform: vehicles as moving units, trip delays as punctuality indicators.

``cityops import gtfs-rt FEED... --platform URL [--every S]`` reads the feeds (files or URLs,
console/importers/gtfs_rt.py) and writes, in ONE transaction:

- each vehicle as a unit (id ``gtfs:<vehicle id>``, kind ``transit``, its label as callsign, the
  district it is in) and its position as a ``unit_positions`` row (a position the platform holds
  already, same unit and time, is not written again: re-reading a feed writes nothing);
- punctuality, the share of trips on time (``ON_TIME_S``: no more than a minute early, five
  minutes late, as most agencies count it), per route (``transit.punctuality.route.<route>``) and
  per district where the trip's vehicle is (``transit.punctuality.<district>``), as readings at
  the feed's time; the indicators are added to the catalogue the first time (%, low is bad:
  warning under 85 %, alarm under 70 %).

With ``--every S`` it polls: a feed read every S seconds (a feed that fails once is one line on
stderr, and the next poll tries again), until interrupted.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict

import shapely
from shapely import STRtree
from sqlalchemy import Connection, func, select

from console.errors import UserError
from console.importers.districts import open_platform
from console.importers.gtfs_rt import Snapshot, TripDelay, Vehicle, read
from console.importers.report import ImportReport
from console.model.schema import P
from console.platform.db import bulk_insert

#: A trip is on time from a minute early to five minutes late.
ON_TIME_S = (-60.0, 300.0)
UNIT_PREFIX = "gtfs:"
POSITION_COLUMNS = ("unit_id", "ts", "lon", "lat", "heading", "status")
READING_COLUMNS = ("indicator_id", "ts", "value", "quality")


def import_gtfs_rt(sources: list[str], url: str, *, interval_s: float = 60.0) -> ImportReport:
    """Read the feeds once and write what they say into the platform at ``url``."""
    snap = read(sources)
    engine = open_platform(url, ("indicators", "units", "unit_positions", "readings", "districts"))
    report = ImportReport(source=", ".join(sources))
    report.skipped.update(snap.skipped)
    try:
        with engine.begin() as conn:
            where = _districts(conn)
            _write_vehicles(conn, snap.vehicles, where, report)
            _write_punctuality(conn, snap, where, interval_s, report)
    finally:
        engine.dispose()
    return report


def poll(sources: list[str], url: str, every_s: float) -> None:
    """Import every ``every_s`` seconds until interrupted; a failed read is one line, then the next try."""
    while True:
        began = time.monotonic()
        try:
            print(import_gtfs_rt(sources, url, interval_s=every_s).summary(), flush=True)
        except UserError as exc:
            print(f"cityops: {exc}", file=sys.stderr, flush=True)
        time.sleep(max(0.0, every_s - (time.monotonic() - began)))


class _Where:
    """Which district a point lies in (the platform's district boundaries), and its name."""

    def __init__(self, rows: list[tuple[str, str, str]]):
        self.ids, shapes = [], []
        self.names = {district_id: name for district_id, name, _ in rows}
        for district_id, _, boundary in rows:
            try:
                shapes.append(shapely.from_geojson(boundary))
                self.ids.append(district_id)
            except (shapely.errors.GEOSException, ValueError, TypeError):
                continue
        self.tree = STRtree(shapes) if shapes else None

    def district(self, lon: float, lat: float) -> str | None:
        if self.tree is None:
            return None
        point = shapely.Point(lon, lat)
        for i in self.tree.query(point, predicate="intersects"):
            return self.ids[int(i)]
        return None


def _districts(conn: Connection) -> _Where:
    districts = P["districts"]
    return _Where(conn.execute(select(districts.c.id, districts.c.name, districts.c.boundary)).all())


def _write_vehicles(conn: Connection, vehicles: list[Vehicle], where: _Where, report: ImportReport) -> None:
    units, positions = P["units"], P["unit_positions"]
    known = {r.id: (r.kind, r.callsign, r.district_id) for r in conn.execute(
        select(units.c.id, units.c.kind, units.c.callsign, units.c.district_id).where(
            units.c.id.like(f"{UNIT_PREFIX}%")))}
    rows, fresh = {}, []
    for v in vehicles:
        uid = UNIT_PREFIX + v.vehicle_id
        rows[uid] = {"id": uid, "kind": "transit", "callsign": v.label[:80], "district_id": where.district(v.lon, v.lat)}
        fresh.append((uid, v.ts, v.lon, v.lat, v.heading, v.status))
    new = [r for uid, r in rows.items() if uid not in known]
    moved = [r for uid, r in rows.items() if uid in known and known[uid] != (r["kind"], r["callsign"], r["district_id"])]
    if new:
        conn.execute(units.insert(), new)
    for r in moved:
        conn.execute(units.update().where(units.c.id == r["id"]).values(**r))
    held = set()
    if fresh:
        newest = dict(conn.execute(select(positions.c.unit_id, func.max(positions.c.ts)).where(
            positions.c.unit_id.in_(list(rows))).group_by(positions.c.unit_id)).all())
        held = {f for f in fresh if newest.get(f[0]) is not None and f[1] <= newest[f[0]]}
    write = sorted(set(fresh) - held, key=lambda f: f[1])
    bulk_insert(conn, "unit_positions", POSITION_COLUMNS, write)
    report.counts["vehicle position"] += len(write)
    if held:
        report.skipped["vehicle position: not newer than the platform's"] += len(held)


def _write_punctuality(conn: Connection, snap: Snapshot, where: _Where, interval_s: float,
                       report: ImportReport) -> None:
    if not snap.delays:
        return
    ts = snap.ts or max(d.ts for d in snap.delays) or time.time()
    located = {v.trip_id: v for v in snap.vehicles if v.trip_id} | {v.vehicle_id: v for v in snap.vehicles}
    groups: dict[tuple[str, str], list[TripDelay]] = defaultdict(list)
    for d in snap.delays:
        groups[("route", d.route_id)].append(d)
        vehicle = located.get(d.trip_id) or located.get(d.vehicle_id)
        district = where.district(vehicle.lon, vehicle.lat) if vehicle is not None else None
        if district is not None:
            groups[("district", district)].append(d)
    ids = _indicators(conn, [key for key in groups], where.names, interval_s, report)
    readings_table = P["readings"]
    already = {r[0] for r in conn.execute(select(readings_table.c.indicator_id).where(
        readings_table.c.ts == ts, readings_table.c.indicator_id.in_(list(ids.values()))))}
    rows = []
    for key, delays in groups.items():
        if ids[key] in already:
            continue
        on_time = sum(ON_TIME_S[0] <= d.delay_s <= ON_TIME_S[1] for d in delays)
        rows.append((ids[key], ts, round(100.0 * on_time / len(delays), 2), 0))
    bulk_insert(conn, "readings", READING_COLUMNS, rows)
    report.counts["reading"] += len(rows)
    if already:
        report.skipped["punctuality: the platform has this feed time already"] += len(already)


def _indicators(conn: Connection, keys: list[tuple[str, str]], districts: dict[str, str], interval_s: float,
                report: ImportReport) -> dict[tuple[str, str], int]:
    """The punctuality indicator of each (route or district) key: found by code, or added."""
    table = P["indicators"]
    codes = {key: f"transit.punctuality.route.{key[1]}" if key[0] == "route" else f"transit.punctuality.{key[1]}"
             for key in keys}
    found = dict(conn.execute(select(table.c.code, table.c.id).where(table.c.code.in_(list(codes.values())))).all())
    next_id = (conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1
    out = {}
    for key, code in codes.items():
        if code not in found:
            kind, name = key
            conn.execute(table.insert(), [{
                "id": next_id, "code": code, "category": "transit", "unit": "%",
                "name": f"Route {name} on time" if kind == "route" else f"Transit on time, {districts.get(name, name)}",
                "district_id": name if kind == "district" else None, "warn_low": 85.0, "alarm_low": 70.0,
                "bad": "low", "interval_s": max(1.0, interval_s), "decimals": 0}])
            found[code] = next_id
            next_id += 1
            report.counts["indicator"] += 1
        out[key] = found[code]
    return out


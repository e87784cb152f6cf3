"""The field fleet: patrol cars, ambulances, fire engines, utility crews and a UAV.

An idle unit's position is a pure function of time (patrol legs between street points drawn
per unit and UTC day, or parked at its station), so any moment regenerates identically. A
dispatched unit drives from where its patrol had it to the incident, stays on scene, and
drives back to where its patrol would be by then.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from console.platform.geo import Geography
from console.platform.timebase import DAY, rng

#: kind, how many, callsign prefix, km/h, patrol leg s (0: waits at the station), stopped share of a leg
FLEET = (
    ("patrol", 4, "P", 38.0, 240.0, 0.25),
    ("ambulance", 2, "A", 45.0, 0.0, 0.0),
    ("fire", 2, "F", 40.0, 0.0, 0.0),
    ("utility", 3, "U", 28.0, 600.0, 0.45),
    ("uav", 1, "D", 55.0, 150.0, 0.1),
)
DETOUR = 1.3  # streets are longer than the straight line


@dataclass(frozen=True)
class Unit:
    id: str
    kind: str
    callsign: str
    district: int
    station: tuple[float, float]
    speed_mps: float
    leg_s: float
    dwell: float
    report_s: float  # position reporting interval

    @property
    def mobile(self) -> bool:
        return self.leg_s > 0

    def row(self, geo: Geography) -> dict:
        return {"id": self.id, "kind": self.kind, "callsign": self.callsign,
                "district_id": geo.district_ids[self.district]}

    def travel_s(self, metres: np.ndarray | float) -> np.ndarray | float:
        factor = 1.0 if self.kind == "uav" else DETOUR
        return np.asarray(metres) * factor / self.speed_mps + 45.0


def build_fleet(geo: Geography) -> list[Unit]:
    units = []
    n = geo.n_districts
    for j, (kind, count, prefix, kmh, leg, dwell) in enumerate(FLEET):
        for k in range(count):
            district = (k * max(1, n // count) + j) % n
            callsign = f"{geo.code}-{prefix}{k + 1 + 10 * (j + 1)}"
            drivable = geo.points_in(district, drivable=True)
            station = geo.pt_lonlat[geo.nearest_point(geo.district_centres[district], drivable)]
            report = 10.0 + float(rng(0, "report", callsign).integers(0, 6))
            units.append(Unit(id=callsign.lower(), kind=kind, callsign=callsign, district=district,
                              station=(float(station[0]), float(station[1])), speed_mps=kmh / 3.6,
                              leg_s=leg, dwell=dwell, report_s=report))
    return units


def bearing(a: np.ndarray, b: np.ndarray, geo: Geography) -> np.ndarray:
    """Degrees clockwise from north, from lon/lat ``a`` to ``b``."""
    d = geo.metres(b) - geo.metres(a)
    return np.degrees(np.arctan2(d[..., 0], d[..., 1])) % 360.0


class Patrols:
    """Idle positions of the fleet, regenerated from (seed, unit, UTC day)."""

    def __init__(self, geo: Geography, fleet: list[Unit], seed: int):
        self.geo, self.fleet, self.seed = geo, {u.id: u for u in fleet}, seed
        self._day_points: dict[tuple[str, int], np.ndarray] = {}
        self._any = geo.points_in(-1, drivable=True)

    def _points(self, unit: Unit, day: int) -> np.ndarray:
        key = (unit.id, day)
        if key not in self._day_points:
            n = int(round(DAY / unit.leg_s))
            g = rng(self.seed, "patrol", unit.id, day)
            home = self.geo.points_in(unit.district, drivable=True)
            pick_home = g.uniform(size=n) < 0.6
            near = home[g.integers(len(home), size=n)]
            anywhere = self._any[g.integers(len(self._any), size=n)]
            idx = np.where(pick_home, near, anywhere)
            self._day_points[key] = self.geo.pt_lonlat[idx]
            if len(self._day_points) > 256:
                self._day_points.pop(next(iter(self._day_points)))
        return self._day_points[key]

    def waypoints(self, unit: Unit, legs: np.ndarray) -> np.ndarray:
        """Lon/lat where leg ``k`` (counted from the epoch) starts."""
        per_day = int(round(DAY / unit.leg_s))
        out = np.empty((legs.size, 2))
        days = legs // per_day
        for d in np.unique(days).tolist():
            sel = days == d
            out[sel] = self._points(unit, int(d))[legs[sel] - d * per_day]
        return out

    def idle(self, unit: Unit, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str] | str]:
        """(lon/lat, heading, status) of an idle unit at times ``t``."""
        t = np.asarray(t, dtype=float)
        if not unit.mobile:
            return np.tile(unit.station, (t.size, 1)), np.zeros(t.size), "available"
        legs = np.floor(t / unit.leg_s).astype(np.int64)
        frac = t / unit.leg_s - legs
        a = self.waypoints(unit, legs)
        b = self.waypoints(unit, legs + 1)
        prev = self.waypoints(unit, legs - 1)
        move = np.clip((frac - unit.dwell) / (1 - unit.dwell), 0, 1)[:, None]
        pos = a + (b - a) * move
        heading = np.where(frac < unit.dwell, bearing(prev, a, self.geo), bearing(a, b, self.geo))
        return pos, heading, "patrol"

    def at(self, unit: Unit, t: float) -> np.ndarray:
        return self.idle(unit, np.array([t]))[0][0]


@dataclass(frozen=True)
class Job:
    """One unit's trip to an incident: out, on scene, back."""

    unit_id: str
    incident_id: str
    dispatched: float
    on_scene: float
    resolved: float
    back: float
    start: tuple[float, float]
    scene: tuple[float, float]
    home: tuple[float, float]  # where the idle pattern has the unit at ``back``


def track(unit: Unit, ts: np.ndarray, patrols: Patrols, jobs: list[Job]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lon/lat, heading, status) of a unit at times ``ts``: the idle pattern overlaid with its jobs."""
    pos, heading, idle_status = patrols.idle(unit, ts)
    status = np.full(ts.size, idle_status, dtype=object)
    geo = patrols.geo
    for job in jobs:
        if job.back <= ts[0] or job.dispatched > ts[-1]:
            continue
        start, scene, home = (np.array(p) for p in (job.start, job.scene, job.home))
        out = (ts >= job.dispatched) & (ts < job.on_scene) & (ts < job.back)  # back < on_scene: called off
        f = ((ts[out] - job.dispatched) / max(1e-6, job.on_scene - job.dispatched))[:, None]
        pos[out] = start + (scene - start) * f
        there = bearing(start, scene, geo)
        heading[out] = there
        status[out] = "en_route"
        on = (ts >= job.on_scene) & (ts < job.resolved)
        pos[on] = scene
        heading[on] = there
        status[on] = "on_scene"
        ret = (ts >= job.resolved) & (ts < job.back)
        f = ((ts[ret] - job.resolved) / max(1e-6, job.back - job.resolved))[:, None]
        pos[ret] = scene + (home - scene) * f
        heading[ret] = bearing(scene, home, geo)
        status[ret] = "returning"
    return pos, heading, status


def report_times(unit: Unit, day: int, seed: int) -> np.ndarray:
    """When the unit reports its position during one UTC day (every ~10-15 s, jittered)."""
    g = rng(seed, "track", unit.id, day)
    iv = unit.report_s
    phase = g.uniform(0.2, 0.8) * iv
    n = int((DAY - phase - 0.2 * iv) // iv) + 1
    return day * DAY + phase + np.arange(n) * iv + g.uniform(-0.15, 0.15, n) * iv

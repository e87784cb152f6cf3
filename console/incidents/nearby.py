"""What is near an incident: the sensors around it with their live values, and the field units.

Distances are geodesic (pyproj.Geod on WGS84): the reference data is lon/lat, and a few hundred
sensors measure in well under a millisecond, so no projection or spatial index is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pyproj import Geod

from console.model.indicator import Indicator, Status
from console.store import Store

GEOD = Geod(ellps="WGS84")
#: Units that can take a job now are offered first when assigning.
FREE_UNIT_STATUSES = ("available", "patrol")


def distances_m(lon: float, lat: float, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """Metres from (lon, lat) to each of the points."""
    lons, lats = np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
    if not len(lons):
        return np.zeros(0)
    _, _, dist = GEOD.inv(np.full(len(lons), lon), np.full(len(lats), lat), lons, lats)
    return np.asarray(dist)


@dataclass(frozen=True)
class NearSensor:
    sensor_id: str
    kind: str
    indicator: Indicator | None
    distance_m: float
    value: float | None  # the reading in force at ``now`` (None: no data)
    age_s: float | None
    status: Status

    @property
    def name(self) -> str:
        return self.indicator.name if self.indicator is not None else self.kind.replace(".", " ")

    @property
    def text(self) -> str:
        """The value as the tiles show it: formatted with the indicator's decimals and unit."""
        if self.indicator is None or self.value is None:
            return "—"
        return f"{self.indicator.format(self.value)} {self.indicator.unit}".strip()


def nearest_sensors(store: Store, lon: float, lat: float, now: float, n: int = 6,
                    within_m: float | None = None) -> list[NearSensor]:
    """The ``n`` sensors nearest to (lon, lat), nearest first (ties by sensor id), with their values at ``now``."""
    sensors = [s for s in store.reference.get("sensors", []) if s.get("lon") is not None and s.get("lat") is not None]
    if not sensors:
        return []
    dist = distances_m(lon, lat, np.array([s["lon"] for s in sensors]), np.array([s["lat"] for s in sensors]))
    order = sorted(range(len(sensors)), key=lambda k: (round(float(dist[k]), 1), sensors[k]["id"]))
    found = []
    for k in order:
        if within_m is not None and dist[k] > within_m or len(found) >= n:
            break
        sensor = sensors[k]
        indicator = store.indicators.get(sensor.get("indicator_id"))
        reading = store.latest(indicator.id, now) if indicator is not None else None
        value, age = (reading[1], now - reading[0]) if reading is not None else (None, None)
        status = store.status(indicator.id, now) if indicator is not None else Status.NODATA
        found.append(NearSensor(sensor["id"], sensor.get("kind") or "", indicator, float(dist[k]), value, age, status))
    return found


@dataclass(frozen=True)
class NearUnit:
    unit_id: str
    callsign: str
    kind: str
    distance_m: float | None  # None: no position known yet
    status: str  # the unit's last reported status (available, patrol, en_route, on_scene, returning), or ""
    age_s: float | None

    @property
    def free(self) -> bool:
        return self.status in FREE_UNIT_STATUSES


def _position(store: Store, unit_id: str, now: float) -> dict | None:
    """The unit's last reported position at or before ``now``."""
    for pos in reversed(store.units.get(unit_id, [])):
        if pos["ts"] <= now:
            return pos
    return None


def units_near(store: Store, lon: float, lat: float, now: float) -> list[NearUnit]:
    """The fleet as seen from an incident: free units first, then by distance (unknown last)."""
    found = []
    for unit in store.reference.get("units", []):
        pos = _position(store, unit["id"], now)
        dist = float(distances_m(lon, lat, [pos["lon"]], [pos["lat"]])[0]) if pos is not None else None
        found.append(NearUnit(unit["id"], unit["callsign"], unit["kind"], dist,
                              pos.get("status", "") if pos else "", now - pos["ts"] if pos else None))
    found.sort(key=lambda u: (not u.free, u.distance_m is None, u.distance_m or 0.0, u.callsign))
    return found


def format_distance(metres: float | None) -> str:
    if metres is None:
        return "—"
    return f"{metres:.0f} m" if metres < 1000 else f"{metres / 1000:.1f} km"

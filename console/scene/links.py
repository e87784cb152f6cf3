"""Which sensor belongs to which building: nearest neighbours in the scene's metric frame.

Sensors are points (lon/lat) and buildings are footprints; a sensor on a facade or in the
courtyard is a few metres outside its polygon, so "inside" is not enough and a radius decides.
Both use a shapely STRtree, so a whole city links in one call.
"""

from __future__ import annotations

import numpy as np
import shapely


def nearest(centres_xy: np.ndarray, points_xy: np.ndarray, max_m: float | None = None) -> np.ndarray:
    """For each centre (B, 2), the index of the nearest point (S, 2), -1 where none is within ``max_m``."""
    centres = np.asarray(centres_xy, dtype=np.float64).reshape(-1, 2)
    points = np.asarray(points_xy, dtype=np.float64).reshape(-1, 2)
    found = np.full(len(centres), -1, dtype=np.int64)
    if not len(centres) or not len(points):
        return found
    tree = shapely.STRtree(shapely.points(points))
    pairs = tree.query_nearest(shapely.points(centres), max_distance=max_m, all_matches=False)
    found[pairs[0]] = pairs[1]
    return found


def sensors_in_buildings(geometry, sensor_rows, radius_m: float = 15.0) -> dict[int, list[dict]]:
    """building number → the sensor rows (with lon/lat) inside its footprint or within ``radius_m``
    of it; a sensor near several buildings goes to the nearest. Buildings in ascending order."""
    rows = [r for r in sensor_rows if r.get("lon") is not None and r.get("lat") is not None]
    if not rows or not geometry.footprints_xy:
        return {}
    x, y = geometry.frame.forward([r["lon"] for r in rows], [r["lat"] for r in rows])
    ok = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    tree = shapely.STRtree(np.asarray(geometry.footprints_xy, dtype=object))
    sensor, building = tree.query_nearest(shapely.points(x[ok], y[ok]), max_distance=radius_m, all_matches=False)
    found: dict[int, list[dict]] = {}
    for s, b in sorted(zip(ok[sensor].tolist(), building.tolist()), key=lambda sb: (sb[1], sb[0])):
        found.setdefault(b, []).append(rows[s])
    return found

"""Where a warning lies: its areas as shapes (polygons, circles on the Earth, named districts).

Used to draw it (map, 3D scene), to place its incident (a point and a district) and to write
its CAP polygons. Circles become 48-sided polygons in lon/lat, the degrees of longitude
stretched by the latitude's cosine, accurate to a few metres at city scale.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from console.cap.model import Alert, Area

KM_PER_DEGREE = 111.32
CIRCLE_SIDES = 48


def circle_ring(lon: float, lat: float, km: float, sides: int = CIRCLE_SIDES) -> tuple[tuple[float, float], ...]:
    """A closed ring around (lon, lat) at ``km``."""
    dlat = km / KM_PER_DEGREE
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    ring = [(lon + dlon * math.sin(2 * math.pi * k / sides), lat + dlat * math.cos(2 * math.pi * k / sides))
            for k in range(sides)]
    return (*ring, ring[0])


def district_rings(boundary: str) -> tuple[tuple[tuple[float, float], ...], ...]:
    """The outer rings of a district's GeoJSON boundary (CAP polygons have no holes)."""
    try:
        shape = shapely.from_geojson(boundary)
    except (shapely.errors.GEOSException, ValueError, TypeError):
        return ()
    parts = shape.geoms if isinstance(shape, MultiPolygon) else [shape] if isinstance(shape, Polygon) else []
    return tuple(tuple((float(x), float(y)) for x, y, *_ in p.exterior.coords) for p in parts)


def area_rings(area: Area, districts: Mapping[str, str]) -> list[tuple[tuple[float, float], ...]]:
    """Every ring that outlines ``area``: its polygons, its circles, its district's outline
    (``districts``: id -> GeoJSON boundary; a district the platform lacks draws nothing)."""
    rings = list(area.polygons) + [circle_ring(*c) for c in area.circles]
    if area.district and area.district in districts:
        rings += district_rings(districts[area.district])
    return rings


def alert_shape(alert: Alert, districts: Mapping[str, str]) -> BaseGeometry:
    """The union of the alert's areas (empty where it draws nothing)."""
    polygons = []
    for area in alert.areas():
        for ring in area_rings(area, districts):
            p = Polygon(ring)
            polygons.append(p if p.is_valid else shapely.make_valid(p))
    return shapely.union_all(polygons) if polygons else Polygon()


def anchor(alert: Alert, districts: Mapping[str, str]) -> tuple[float, float] | None:
    """A point inside the warning's area (its incident's place), or None where it has no area."""
    shape = alert_shape(alert, districts)
    if shape.is_empty:
        return None
    p = shape.representative_point()
    return float(p.x), float(p.y)


def most_covered(alert: Alert, districts: Mapping[str, str]) -> str | None:
    """The district the warning covers most of (its incident's district), or None."""
    issued = [a.district for a in alert.areas() if a.district in districts]
    if issued:
        return issued[0]
    shape = alert_shape(alert, districts)
    best, share = None, 0.0
    for did, boundary in sorted(districts.items()):
        try:
            district = shapely.make_valid(shapely.from_geojson(boundary))
            covered = shape.intersection(district).area / max(district.area, 1e-12)
        except (shapely.errors.GEOSException, ValueError, TypeError):
            continue
        if covered > share:
            best, share = did, covered
    return best


def district_names(alert: Alert, names: Mapping[str, str], lang: str = "en") -> list[str]:
    """The names of the districts an alert names, else its areas' descriptions in ``lang``'s block."""
    areas = alert.info(lang).areas or alert.areas()
    out = [names.get(a.district, a.desc or a.district) for a in areas if a.district]
    return out or [a.desc for a in areas if a.desc]


def outlines(areas: Iterable[Area], districts: Mapping[str, str]) -> list[tuple[tuple[float, float], ...]]:
    return [ring for area in areas for ring in area_rings(area, districts)]

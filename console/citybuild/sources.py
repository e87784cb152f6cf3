"""A city's geography from its files: districts, buildings and basemap features, cut to the city.

An extract is a rectangle: a country's extract holds its neighbours' buildings and streets too.
The city is its districts, so buildings whose footprint does not lie in a district are left
out (counted), and basemap features are cut to the districts' extent plus a margin, so the map
and the 3D scene show the city and its immediate surroundings, not the rest of the rectangle.
"""

from __future__ import annotations

import json
from pathlib import Path

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from console.city import Building, City, District, MapFeature
from console.errors import UserError
from console.importers.osm import OsmImport, import_osm
from console.importers.report import ImportReport

OSM_ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0 (openstreetmap.org/copyright)"
MARGIN = 0.05  # of the districts' extent: the basemap reaches this far beyond the city


def city_from_sources(osm: Path, districts: Path | None = None, name: str | None = None,
                      level: str | None = None) -> tuple[City, ImportReport]:
    """The City of an OSM extract (districts from it, or from the ``districts`` file) and the report."""
    result = import_osm(osm, level)
    report = result.report
    found = _file_districts(districts, report) if districts is not None else result.districts
    if not found:
        raise UserError(f"{districts or osm}: no districts found")
    city_name = (name or "").strip() or result.place or osm.name.split(".")[0].replace("-", " ").title()
    return _cut(result, found, city_name, report), report


def _file_districts(path: Path, report: ImportReport) -> list[District]:
    from console.importers.districts import read_districts

    rows, read = read_districts(path)
    report.notes.append("Districts: " + read.summary())
    return [District(r["id"], r["name"], shape(json.loads(r["boundary"]))) for r in rows]


def _cut(result: OsmImport, districts: list[District], name: str, report: ImportReport) -> City:
    """Buildings inside the districts (placed in theirs), basemap features cut to the city's extent."""
    areas = [d.boundary for d in districts]
    shapely.prepare(areas)
    points = [b.footprint.representative_point() for b in result.buildings]
    home = [-1] * len(points)
    for i, area in enumerate(areas):
        hits = shapely.contains(area, points)
        for k in hits.nonzero()[0]:
            if home[k] < 0:
                home[k] = i
    buildings = [Building(b.id, b.footprint, b.name, b.height, b.levels, b.use, b.year, districts[h].id)
                 for b, h in zip(result.buildings, home) if h >= 0]
    if outside := len(result.buildings) - len(buildings):
        report.notes.append(f"{outside:,} buildings outside the districts left out")
    minx, miny, maxx, maxy = shapely.total_bounds(areas)
    dx, dy = (maxx - minx) * MARGIN, (maxy - miny) * MARGIN
    frame = (minx - dx, miny - dy, maxx + dx, maxy + dy)
    features = []
    for f in result.features:
        cut = _clip(f.geometry, frame)
        if cut is not None:
            features.append(MapFeature(f.id, f.layer, f.kind, cut, f.name))
    if dropped := len(result.features) - len(features):
        report.notes.append(f"{dropped:,} map features beyond the city left out")
    report.counts["district"], report.counts["building"] = len(districts), len(buildings)
    for layer in {f.layer for f in result.features}:
        report.counts[layer] = sum(1 for f in features if f.layer == layer)
    return City(name, OSM_ATTRIBUTION, districts, buildings, features)


def _clip(geom: BaseGeometry, frame: tuple[float, float, float, float]) -> BaseGeometry | None:
    """The part of ``geom`` in the frame (whole if inside), None if nothing of it is."""
    minx, miny, maxx, maxy = geom.bounds
    if minx >= frame[0] and miny >= frame[1] and maxx <= frame[2] and maxy <= frame[3]:
        return geom
    if maxx < frame[0] or maxy < frame[1] or minx > frame[2] or miny > frame[3]:
        return None
    try:
        cut = shapely.clip_by_rect(geom, *frame)
    except shapely.errors.GEOSException:
        return None
    if cut.is_empty:
        return None
    parts = [p for p in shapely.get_parts(cut) if p.geom_type in _SAME.get(geom.geom_type, ())]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.union_all(parts) if geom.geom_type.endswith("Polygon") \
        else shapely.MultiLineString([list(p.coords) for p in parts])


_SAME = {"LineString": ("LineString",), "MultiLineString": ("LineString",), "Polygon": ("Polygon",),
         "MultiPolygon": ("Polygon",)}

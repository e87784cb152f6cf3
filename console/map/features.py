"""The store's reference data (GeoJSON text in lon/lat) as projected shapes a map can draw.

Parsed once per reference version: every coordinate of every layer goes through PROJ in one
call, and each shape keeps its parts as (n, 2) float arrays in metres, so the Qt side only
builds paths from them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Polygon
from shapely.ops import linemerge, polylabel

from console.map.projection import Projection, drawable, on_earth

#: Street classes by how prominent they are (0: arterial .. 3: paths); unknown classes are minor.
STREET_RANK = {"motorway": 0, "trunk": 0, "primary": 0, "primary_link": 0, "secondary": 1, "secondary_link": 1,
               "tertiary": 1, "tertiary_link": 1, "residential": 2, "unclassified": 2, "living_street": 2,
               "pedestrian": 2, "service": 2, "footway": 3, "cycleway": 3, "path": 3, "steps": 3,
               "trail": 3, "track": 3, "bridleway": 3}


@dataclass(frozen=True)
class Shape:
    """One feature: its layer and kind, its name, and its parts (rings or lines) in metres."""

    layer: str  # district, building, street, water, park, landuse
    kind: str
    name: str | None
    parts: tuple[np.ndarray, ...]
    polygon: bool  # parts are rings (exterior and holes) rather than lines
    ident: str = ""


@dataclass(frozen=True)
class District:
    id: str
    name: str
    shape: Shape
    anchor: tuple[float, float]  # where its label goes: deep inside, not just the centroid


@dataclass
class CityGeometry:
    """Everything the basemap draws, projected; ``bounds`` (x0, y0, x1, y1) spans the districts."""

    projection: Projection
    bounds: tuple[float, float, float, float]
    districts: list[District] = field(default_factory=list)
    shapes: list[Shape] = field(default_factory=list)  # streets, water, parks, land use
    buildings: list[Shape] = field(default_factory=list)
    named_streets: list[Shape] = field(default_factory=list)  # same-named pieces joined: where names go

    def layer(self, name: str) -> list[Shape]:
        return [s for s in self.shapes if s.layer == name]


def _parts(geom: dict) -> tuple[list[list], bool]:
    """GeoJSON geometry → (list of coordinate lists, is polygon)."""
    kind, coords = geom.get("type"), geom.get("coordinates") or []
    if not isinstance(coords, list):
        return [], False
    if kind == "Polygon":
        return list(coords), True
    if kind == "MultiPolygon":
        return [ring for poly in coords for ring in poly], True
    if kind == "LineString":
        return [coords], False
    if kind == "MultiLineString":
        return list(coords), False
    return [], False


def _array(part: object) -> np.ndarray | None:
    """A part's lon/lat as an (n, 2) array, or None unless every position is on Earth: a shape
    cached before the sync rules existed must not reach PROJ or Qt."""
    try:
        a = np.asarray(part, dtype=np.float64)
        a = a.reshape(len(a), -1)[:, :2]
    except (TypeError, ValueError, OverflowError):
        return None
    return a if len(a) and a.shape[1] == 2 and on_earth(a).all() else None


def _bounds_of(geoms: list[dict]) -> tuple[float, float, float, float] | None:
    pts = [a for g in geoms for p in _parts(g)[0] if (a := _array(p)) is not None]
    if not pts:
        return None
    allp = np.concatenate(pts)
    return float(allp[:, 0].min()), float(allp[:, 1].min()), float(allp[:, 0].max()), float(allp[:, 1].max())


def _geometry(text: str | dict | None) -> dict:
    if isinstance(text, dict):
        return text
    try:
        geom = json.loads(text) if text else {}
    except (TypeError, ValueError, RecursionError):
        return {}  # a broken shape must not take the whole map down
    return geom if isinstance(geom, dict) else {}


def reference_bounds(reference: dict) -> tuple[float, float, float, float] | None:
    """lon/lat bounds (west, south, east, north) of the districts, else of any basemap feature."""
    for table, column in (("districts", "boundary"), ("map_features", "geometry"), ("buildings", "footprint")):
        found = _bounds_of([_geometry(r.get(column)) for r in reference.get(table, [])])
        if found is not None:
            return found
    return None


def _anchor(rings: tuple[np.ndarray, ...]) -> tuple[float, float]:
    """The pole of inaccessibility of the largest polygon: a label there stays inside the district."""
    polys = []
    for ring in rings:  # exterior rings are counter-clockwise in GeoJSON; holes are skipped by area sign
        if len(ring) >= 4:
            poly = Polygon(ring)
            if poly.is_valid and poly.area > 0:
                polys.append(poly)
    if not polys:
        pts = np.concatenate(rings) if rings else np.zeros((1, 2))
        return float(pts[:, 0].mean()), float(pts[:, 1].mean())
    biggest = max(polys, key=lambda p: p.area)
    if isinstance(biggest, MultiPolygon):  # pragma: no cover (Polygon() never yields one)
        biggest = max(biggest.geoms, key=lambda p: p.area)
    point = polylabel(biggest, tolerance=max(biggest.length / 500, 1.0))
    return float(point.x), float(point.y)


def merge_streets(streets: list[Shape]) -> list[Shape]:
    """Join the pieces of each named street end to end (OSM splits a street into many short
    ways, most too short to carry its name): one shape per name, its longest lines first."""
    groups: dict[str, list[np.ndarray]] = {}
    kinds: dict[str, str] = {}
    for s in streets:
        groups.setdefault(s.name or "", []).extend(s.parts)
        best = kinds.get(s.name or "")
        if best is None or STREET_RANK.get(s.kind, 2) < STREET_RANK.get(best, 2):
            kinds[s.name or ""] = s.kind  # a street is as prominent as its most prominent piece
    out = []
    for name, parts in groups.items():
        kind = kinds[name]
        merged = linemerge(MultiLineString([LineString(p) for p in parts if len(p) >= 2]))
        lines = list(merged.geoms) if hasattr(merged, "geoms") else [merged]
        arrays = sorted((np.asarray(line.coords) for line in lines if not line.is_empty), key=lambda a: -_length(a))
        out.append(Shape("street", kind, name, tuple(arrays), False, name))
    return out


def _length(part: np.ndarray) -> float:
    return float(np.hypot(*np.diff(part, axis=0).T).sum()) if len(part) > 1 else 0.0


def city_geometry(reference: dict, projection: Projection | None = None,
                  crs: str | int | None = None) -> CityGeometry | None:
    """Project the reference data; None when it holds nothing to draw."""
    bounds = reference_bounds(reference)
    if bounds is None:
        return None
    projection = projection or Projection.for_bounds(*bounds, crs=crs)
    # (table, geometry column, layer or None for the row's own layer) -> raw parts, one PROJ call
    raw: list[tuple[str, str, str | None, str, list[list], bool]] = []
    for row in reference.get("districts", []):
        parts, poly = _parts(_geometry(row.get("boundary")))
        raw.append(("district", row["id"], row.get("name") or row["id"], "district", parts, poly))
    for row in reference.get("map_features", []):
        parts, poly = _parts(_geometry(row.get("geometry")))
        raw.append((row.get("layer") or "landuse", row.get("id", ""), row.get("name"), row.get("kind") or "", parts, poly))
    for row in reference.get("buildings", []):
        parts, poly = _parts(_geometry(row.get("footprint")))
        raw.append(("building", row.get("id", ""), row.get("name"), row.get("use") or "yes", parts, poly))
    arrays = [_array(p) for *_, parts, _ in raw for p in parts]
    usable = [a if a is not None else np.zeros((0, 2)) for a in arrays]
    sizes = [len(a) for a in usable]
    flat = projection.forward_xy(np.concatenate(usable)) if usable else np.zeros((0, 2))
    projected = np.split(flat, np.cumsum(sizes)[:-1]) if usable else []
    projected = [a if drawable(a).all() else a[:0] for a in projected]  # PROJ gave up on a point: not drawn
    x0, y0 = projection.forward(bounds[0], bounds[1])
    x1, y1 = projection.forward(bounds[2], bounds[3])
    geo = CityGeometry(projection, (float(x0), float(y0), float(x1), float(y1)))
    k = 0
    for layer, ident, name, kind, parts, poly in raw:
        mine = tuple(a for a in projected[k:k + len(parts)] if len(a) >= (3 if poly else 2))
        k += len(parts)
        if not mine:
            continue
        shape = Shape(layer, kind, name, mine, poly, ident)
        if layer == "district":
            geo.districts.append(District(ident, name, shape, _anchor(mine)))
        elif layer == "building":
            geo.buildings.append(shape)
        else:
            geo.shapes.append(shape)
    geo.named_streets = merge_streets([s for s in geo.shapes if s.layer == "street" and s.name])
    if geo.districts:  # the districts' projected extent (a corner-to-corner box is a little off)
        pts = np.concatenate([p for d in geo.districts for p in d.shape.parts])
        geo.bounds = (float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max()))
    return geo

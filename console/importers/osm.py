"""OpenStreetMap importer: districts, buildings and basemap features from an .osm / .osm.pbf file.

Geometry is assembled here, from node locations and member ways, with shapely: osmium's own area
assembler drops the areas it cannot build without saying which or why, and a city map must say
what it left out. Every feature left out or repaired is counted by reason in the
``ImportReport``; bad geometry never stops an import. Features whose nodes are not all in the
file (an extract cuts everything that crosses its edge) are skipped as areas, since their true
shape is unknown, and cut to the nodes present as lines.

Districts are assembled in ``osm_districts``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import osmium
import shapely
from shapely.geometry import LineString, MultiLineString, MultiPoint, Polygon, box, mapping
from shapely.geometry.base import BaseGeometry
from shapely.ops import linemerge

from console.city import BASEMAP_LAYERS, Building, District, MapFeature
from console.errors import UserError
from console.importers.osm_districts import Coords, boundary_areas, from_areas, from_lines, located_runs as _runs
from console.importers.report import ImportReport

Made = tuple[BaseGeometry, str | None]  # a geometry and the repair it needed, if any

STREET_LEFT_OUT = {"platform", "corridor", "elevator", "construction", "proposed"}
WATER_LANDUSE = {"basin", "reservoir", "pond"}
PARK_VALUES = {
    "leisure": {"park", "garden", "playground", "pitch"},
    "landuse": {"grass", "forest", "meadow"},
    "natural": {"scrub", "wood", "heath", "wetland"},
}
YEAR_TAGS = ("start_date", "building:start_date", "building:year", "year", "construction_date")
FOOT = 0.3048
MAX_HEIGHT_M = 1000.0  # taller is no building's height (the tallest stands at 828 m)


@dataclass
class OsmImport:
    districts: list[District]
    buildings: list[Building]
    features: list[MapFeature]
    report: ImportReport
    bbox: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # lon/lat extent of the extract
    place: str | None = None  # the area holding the districts (a city, a country), where complete


class _Skip(Exception):
    """A feature left out; the message is the counted reason."""


# --- tag values ------------------------------------------------------------------------------

_NUMBER = r"(\d+(?:[.,]\d+)?)"
_HEIGHT = re.compile(rf"\s*{_NUMBER}\s*(m|meters?|metres?|ft|feet|')?\s*", re.ASCII | re.IGNORECASE)
_FEET_INCHES = re.compile(r"""\s*(\d+)\s*'\s*(\d+(?:\.\d+)?)\s*"\s*""", re.ASCII)
_LEVELS = re.compile(rf"\s*{_NUMBER}\s*", re.ASCII)
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")


def parse_height(text: str) -> float | None:
    """Metres from an OSM height ("12.13 m", "12", "12,5", "40 ft", 12'6"); None unless 0 < h <= MAX_HEIGHT_M."""
    if m := _HEIGHT.fullmatch(text):
        value = float(m[1].replace(",", "."))
        if (m[2] or "m").lower() in ("ft", "feet", "'"):
            value *= FOOT
    elif m := _FEET_INCHES.fullmatch(text):
        value = (int(m[1]) + float(m[2]) / 12) * FOOT
    else:
        return None
    return value if 0 < value <= MAX_HEIGHT_M else None


def parse_levels(text: str) -> int | None:
    """Storeys from building:levels: "3", "3.5" (a half storey is still drawn: 4), "3;4" (the most: 4).

    None for anything else, or above 200 storeys.
    """
    values = []
    for part in text.split(";"):
        if not (m := _LEVELS.fullmatch(part)):
            return None
        values.append(float(m[1].replace(",", ".")))
    return math.ceil(max(values)) if max(values) <= 200 else None


def parse_year(tags: dict[str, str]) -> int | None:
    """The first plausible four-digit year of the date tags ("1923-1924" and "after 1905..1908" -> first)."""
    for key in YEAR_TAGS:
        if (m := _YEAR.search(tags.get(key, ""))) and 1000 <= int(m[1]) <= 2100:
            return int(m[1])
    return None


def _basemap(tags: dict[str, str]) -> tuple[str, str, bool] | None:
    """(layer, kind, is_area) of a basemap feature, or None."""
    if highway := tags.get("highway"):
        return None if highway in STREET_LEFT_OUT or tags.get("area") == "yes" else ("street", highway, False)
    if waterway := tags.get("waterway"):
        return "water", waterway, False
    natural, landuse = tags.get("natural"), tags.get("landuse")
    if natural == "coastline":
        return "water", "coastline", False
    if natural == "water" or landuse in WATER_LANDUSE:
        return "water", landuse if landuse in WATER_LANDUSE else "water", True
    for key, values in PARK_VALUES.items():
        if tags.get(key) in values:
            return "park", tags[key], True
    return ("landuse", landuse, True) if landuse else None


# --- geometry --------------------------------------------------------------------------------

def _located(coords: Coords) -> list[tuple[float, float]]:
    if any(c is None for c in coords):
        raise _Skip("missing node locations")
    return coords  # type: ignore[return-value]


def _rings(ways: list[list[tuple[float, float]]]) -> list[list[tuple[float, float]]]:
    """Closed rings from ways joined end to end (one closed way is one ring)."""
    if len(ways) > 1:
        ways = [list(line.coords) for line in shapely.get_parts(linemerge([w for w in ways if len(w) > 1]))]
    for ring in ways:
        if len(set(ring)) < 3:
            raise _Skip("fewer than 3 distinct points")
        if ring[0] != ring[-1]:
            raise _Skip("unclosed ring")
    return ways


def _area(outer: list[Coords], inner: list[Coords]) -> Made:
    """A polygon (outer rings less inner ones) and the repair it needed, if any."""
    outers = [Polygon(r) for r in _rings([_located(w) for w in outer])]
    inners = [Polygon(r) for r in _rings([_located(w) for w in inner])]
    if not outers:
        raise _Skip("no outer ring")
    invalid = [shapely.is_valid_reason(p) for p in outers + inners if not p.is_valid]
    if len(outers) == 1 and not inners and not invalid:
        return outers[0], None
    fix = [shapely.make_valid(p, method="structure", keep_collapsed=False) for p in outers + inners]
    geom = shapely.union_all(fix[: len(outers)])
    if inners:
        geom = geom.difference(shapely.union_all(fix[len(outers):]))
    if geom.is_empty:
        raise _Skip("empty after repair")
    if not invalid:
        return geom, None
    reason = invalid[0]
    return geom, "self-intersecting polygon" if "Self-intersection" in reason else re.sub(r"\[.*", "", reason).lower()


def _attempt(make: Callable[[], Made]) -> Made:
    """Run a geometry builder; a GEOS failure on odd input skips that one feature, not the import."""
    try:
        return make()
    except shapely.errors.GEOSException as exc:
        raise _Skip("geometry GEOS cannot process") from exc


def _line(coords: Coords) -> Made:
    """A line of the nodes present, and a note when some were missing (the extract cut the way)."""
    runs = _runs(coords)
    if not runs:
        raise _Skip("fewer than 2 located points")
    cut = "cut to the nodes in the extract" if len(runs) > 1 or len(runs[0]) != len(coords) else None
    return (LineString(runs[0]) if len(runs) == 1 else MultiLineString(runs)), cut


# --- reading ---------------------------------------------------------------------------------

@dataclass
class _Source:
    ways: dict[int, tuple[Coords, dict[str, str]]] = field(default_factory=dict)
    relations: list[tuple[int, dict[str, str], list[tuple[str, int, str]]]] = field(default_factory=list)
    places: list[tuple[str, str, float, float]] = field(default_factory=list)  # name, place, lon, lat
    bbox: tuple[float, float, float, float] | None = None
    areas: list[tuple[str, str, BaseGeometry]] = field(default_factory=list)  # level, name, complete area


def _wanted_relation(tags: dict[str, str]) -> bool:
    if tags.get("type") == "multipolygon":
        return any(k in tags for k in ("building", "landuse", "leisure", "natural"))
    return tags.get("boundary") == "administrative" and "admin_level" in tags


def _read(path: Path) -> _Source:
    """Two passes: relations first, to learn which untagged member ways to keep."""
    src = _Source()
    members: set[int] = set()
    for rel in osmium.FileProcessor(str(path), osmium.osm.RELATION):
        tags = dict(rel.tags)
        if _wanted_relation(tags):
            mems = [(m.type, m.ref, m.role) for m in rel.members]
            src.relations.append((rel.id, tags, mems))
            members.update(ref for kind, ref, _ in mems if kind == "w")
    places_only = osmium.filter.KeyFilter("place").enable_for(osmium.osm.NODE)
    processor = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
    for obj in processor.with_locations().with_filter(places_only):
        tags = dict(obj.tags)
        if obj.is_node():
            if "name" in tags:
                src.places.append((tags["name"], tags["place"], obj.location.lon, obj.location.lat))
        elif obj.id in members or "building" in tags or _basemap(tags):
            coords = [(n.lon, n.lat) if n.location.valid() else None for n in obj.nodes]
            src.ways[obj.id] = (coords, tags)
    head = processor.header.box()
    if head.valid():
        src.bbox = (head.bottom_left.lon, head.bottom_left.lat, head.top_right.lon, head.top_right.lat)
    src.areas = boundary_areas(path)
    return src


def import_osm(path: str | Path, level: str | None = None) -> OsmImport:
    """Import districts, buildings and basemap features; UserError if the file cannot be read.

    ``level`` forces the districts' level ("8", "suburb") where complete boundary areas exist.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    try:
        src = _read(path)
    except (RuntimeError, ValueError, osmium.InvalidLocationError) as exc:  # osmium's words for bad input
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UserError(f"{path}: not readable as OpenStreetMap data ({first})") from None
    return _Importer(src, ImportReport(source=path.name), level).run()


# --- assembly --------------------------------------------------------------------------------

class _Importer:
    def __init__(self, src: _Source, report: ImportReport, level: str | None = None) -> None:
        self.src, self.report, self.level = src, report, level
        self.buildings: list[Building] = []
        self.features: list[MapFeature] = []

    def run(self) -> OsmImport:
        for wid, (coords, tags) in self.src.ways.items():
            self._object(f"osm:w{wid}", tags, lambda c=coords: _area([c], []), lambda c=coords: _line(c))
        for rid, tags, members in self.src.relations:
            if tags.get("type") == "multipolygon":
                self._object(f"osm:r{rid}", tags, lambda m=members: self._relation_area(m), None)
        bbox = self.src.bbox or self._extent()
        place, districts = from_areas(self.src.areas, self.level, self.report)
        if not districts:
            districts = from_lines(self.src.relations, self.src.ways, self.src.places, box(*bbox), self.report)
        self.buildings = _place_buildings(self.buildings, districts)
        self.report.counts.update(district=len(districts), building=len(self.buildings))
        for layer in BASEMAP_LAYERS:
            self.report.counts[layer] = sum(1 for f in self.features if f.layer == layer)
        return OsmImport(districts, self.buildings, self.features, self.report, bbox, place)

    def _object(self, oid: str, tags: dict[str, str], area: Callable[[], Made],
                line: Callable[[], Made] | None) -> None:
        """Make the building and/or basemap feature an OSM object stands for, counting what fails."""
        if tags.get("building:part", "no") != "no" and "building" in tags:
            self.report.skipped["building: also tagged building:part (a part of another building)"] += 1
        elif "building" in tags:
            try:
                geom, fix = _attempt(area)
                self._repaired("building", fix)
                self.buildings.append(self._building(oid, geom, tags))
            except _Skip as skip:
                self.report.skipped[f"building: {skip}"] += 1
        if not (kind := _basemap(tags)) or (line is None and not kind[2]):
            return
        layer, value, is_area = kind
        try:
            geom, fix = _attempt(area if is_area else line)
            self._repaired(layer, fix)
            self.features.append(MapFeature(oid, layer, value, geom, tags.get("name")))
        except _Skip as skip:
            self.report.skipped[f"{layer}: {skip}"] += 1

    def _repaired(self, layer: str, reason: str | None) -> None:
        if reason:
            self.report.repaired[f"{layer}: {reason}"] += 1

    def _relation_area(self, members: list[tuple[str, int, str]]) -> Made:
        refs = [(ref, role) for kind, ref, role in members if kind == "w"]
        if any(ref not in self.src.ways for ref, _ in refs):
            raise _Skip("missing member ways")
        ways = {role: [self.src.ways[ref][0] for ref, r in refs if (r == "inner") == (role == "inner")]
                for role in ("outer", "inner")}
        return _area(ways["outer"], ways["inner"])

    def _building(self, oid: str, geom: BaseGeometry, tags: dict[str, str]) -> Building:
        height = levels = None
        if "height" in tags and (height := parse_height(tags["height"])) is None:
            self.report.skipped["building height: unusable value (building kept)"] += 1
        if "building:levels" in tags and (levels := parse_levels(tags["building:levels"])) is None:
            self.report.skipped["building levels: unusable value (building kept)"] += 1
        return Building(oid, geom, tags.get("name"), height, levels, tags["building"], parse_year(tags))

    def _extent(self) -> tuple[float, float, float, float]:
        points = [c for coords, _ in self.src.ways.values() for c in coords if c]
        points += [(lon, lat) for _, _, lon, lat in self.src.places]
        if not points:
            raise UserError(f"{self.report.source}: holds no map data")
        return MultiPoint(points).bounds


def _place_buildings(buildings: list[Building], districts: list[District]) -> list[Building]:
    """Each building with the first district that holds its representative point (else the nearest)."""
    if not buildings:
        return []
    points = shapely.point_on_surface(np.array([b.footprint for b in buildings], dtype=object))
    home = np.full(len(buildings), -1)
    for i, d in enumerate(districts):
        shapely.prepare(d.boundary)
        home[shapely.covers(d.boundary, points) & (home < 0)] = i
    for k in np.flatnonzero(home < 0):
        home[k] = min(range(len(districts)), key=lambda i: districts[i].boundary.distance(points[k]))
    return [Building(b.id, b.footprint, b.name, b.height, b.levels, b.use, b.year, districts[h].id)
            for b, h in zip(buildings, home.tolist())]


# --- writing ---------------------------------------------------------------------------------

def _feature(geom: BaseGeometry, **props: object) -> dict:
    rounded = shapely.transform(geom, lambda xy: np.round(xy, 6))
    return {"type": "Feature", "properties": props, "geometry": mapping(rounded)}


def write_city_geojson(result: OsmImport, out: Path, name: str, attribution: str) -> None:
    """One FeatureCollection (WGS84, 6 decimals), one feature per line, that ``console.city.load_city`` reads."""
    feats = [_feature(d.boundary, layer="district", id=d.id, name=d.name) for d in result.districts]
    feats += [_feature(b.footprint, layer="building", id=b.id, name=b.name, height=b.height, levels=b.levels,
                       use=b.use, year=b.year, district=b.district_id) for b in result.buildings]
    feats += [_feature(f.geometry, layer=f.layer, id=f.id, name=f.name, kind=f.kind) for f in result.features]
    head = {"type": "FeatureCollection", "name": name, "attribution": attribution,
            "source": f"OpenStreetMap extract {result.report.source}", "bbox": [round(v, 6) for v in result.bbox],
            "report": result.report.as_dict()}
    lines = ",\n".join(json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in feats)
    text = json.dumps(head, ensure_ascii=False)[:-1] + ', "features": [\n' + lines + "\n]}\n"
    Path(out).write_text(text, encoding="utf-8")

"""OpenStreetMap importer: districts, buildings and basemap features from an .osm / .osm.pbf file.

Geometry is assembled here, from node locations and member ways, with shapely: osmium's own area
assembler drops the areas it cannot build without saying which or why, and a city map must say
what it left out. Every feature left out or repaired is counted by reason in the
``ImportReport``; bad geometry never stops an import. Features whose nodes are not all in the
file (an extract cuts everything that crosses its edge) are skipped as areas, since their true
shape is unknown, and cut to the nodes present as lines.

Districts. City extracts are clipped, so their admin boundary relations are incomplete: in the
Helsinki extract every admin_level 10 relation (Kamppi, Kluuvi, ...) lacks the member ways that
lie outside the box, and none can be assembled as a ring. What the extract does hold is the
boundary *lines* inside the box. So districts are built from lines: take the admin level with
the most relations that have boundary ways in the extract, keep the stretches of those ways whose
nodes are present, extend each loose end straight on until it meets another boundary or the
extract edge (the missing nodes lie beyond it), polygonize the lines together with the extract's
bounding box, and name each face after the relation whose boundary lines run longest along it
(faces with the same name are merged). The result tiles the box exactly, with real boundaries and
real names: for Helsinki the six level-10 districts Kaartinkaupunki, Kallio (in the box: its
subdistrict Siltasaari), Kamppi, Kluuvi, Kruununhaka and Punavuori. Partial lines carry no side,
so an area outside every relation of that level would take a neighbour's name; an extract inside
one city has none. Where an extract holds no boundary lines at all, districts are Voronoi cells
of the named place nodes (suburb, quarter, neighbourhood), clipped to the box.

A whole city or country in the extract is better served: where boundary relations are complete,
osmium's area handler assembles them into (multi)polygons, and the districts are the level with
the most named areas (2 to ``MAX_DISTRICTS``) inside the one coarser area that holds most of
them, whose name becomes the city's. For Liechtenstein that is its 11 level-8 municipalities
(exclaves included) inside the level-2 country; the cut Austrian and Swiss neighbours do not
assemble and are not taken. Suburb and quarter areas (``boundary=place`` or ``place=*``) count
as levels too, and ``level`` forces one ("8", or "suburb").
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import osmium
import osmium.geom
import shapely
from shapely.geometry import LineString, MultiLineString, MultiPoint, Point, Polygon, box, mapping
from shapely.geometry.base import BaseGeometry
from shapely.ops import linemerge, polygonize, substring, unary_union

from console.city import BASEMAP_LAYERS, Building, District, MapFeature
from console.errors import UserError
from console.importers.report import ImportReport

Coords = list[tuple[float, float] | None]  # a way's node locations in order; None where the file lacks the node
Made = tuple[BaseGeometry, str | None]  # a geometry and the repair it needed, if any

STREET_LEFT_OUT = {"platform", "corridor", "elevator", "construction", "proposed"}
WATER_LANDUSE = {"basin", "reservoir", "pond"}
PARK_VALUES = {
    "leisure": {"park", "garden", "playground", "pitch"},
    "landuse": {"grass", "forest", "meadow"},
    "natural": {"scrub", "wood", "heath", "wetland"},
}
YEAR_TAGS = ("start_date", "building:start_date", "building:year", "year", "construction_date")
PLACE_SEEDS = {"suburb", "quarter", "neighbourhood", "borough"}
MAX_DISTRICTS = 60  # more areas than a wall can name: a finer level than districts
FOOT = 0.3048
_TOL = 1e-9  # degrees: "the same point" for boundary line ends


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
    """Metres from an OSM height ("12.13 m", "12", "12,5", "40 ft", 12'6"); None unless 0 < h <= 1000 m."""
    if m := _HEIGHT.fullmatch(text):
        value = float(m[1].replace(",", "."))
        if (m[2] or "m").lower() in ("ft", "feet", "'"):
            value *= FOOT
    elif m := _FEET_INCHES.fullmatch(text):
        value = (int(m[1]) + float(m[2]) / 12) * FOOT
    else:
        return None
    return value if 0 < value <= 1000 else None


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


def _runs(coords: Coords) -> list[list[tuple[float, float]]]:
    """Stretches of consecutive nodes present in the file, each with at least two distinct points."""
    runs: list[list[tuple[float, float]]] = [[]]
    for c in coords:
        if c is None:
            runs.append([])
        else:
            runs[-1].append(c)
    return [r for r in runs if len(set(r)) > 1]


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
    src.areas = _boundary_areas(path)
    return src


def _area_level(tags: dict[str, str]) -> str | None:
    """The level a named boundary area counts at: its admin_level, or its place kind."""
    if not tags.get("name"):
        return None
    if tags.get("boundary") == "administrative" and tags.get("admin_level"):
        return tags["admin_level"]
    if tags.get("place") in PLACE_SEEDS:
        return tags["place"]
    return None


def _boundary_areas(path: Path) -> list[tuple[str, str, BaseGeometry]]:
    """Named administrative and place areas whose rings are all in the file, by osmium's area handler."""
    wkb = osmium.geom.WKBFactory()
    found = []
    candidates = osmium.filter.KeyFilter("boundary", "place")
    for obj in osmium.FileProcessor(str(path)).with_areas(candidates):
        if not obj.is_area() or (level := _area_level(dict(obj.tags))) is None:
            continue
        try:
            geom = shapely.from_wkb(wkb.create_multipolygon(obj))
        except (RuntimeError, shapely.errors.GEOSException):  # osmium could not build it: not complete
            continue
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        if not geom.is_empty and geom.area > 0:
            found.append((level, obj.tags["name"], geom))
    return found


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
        place, districts = _from_areas(self.src.areas, self.level, self.report)
        if not districts:
            districts = _districts(self.src, box(*bbox), self.report)
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


# --- districts -------------------------------------------------------------------------------

def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-") or "district"


def _from_areas(areas: list[tuple[str, str, BaseGeometry]], forced: str | None,
                report: ImportReport) -> tuple[str | None, list[District]]:
    """(the holding area's name, districts) from complete boundary areas; no districts if none fit."""
    by_level: dict[str, list[tuple[str, BaseGeometry]]] = defaultdict(list)
    for level, name, geom in areas:
        by_level[level].append((name, geom))
    if forced is not None:
        if forced not in by_level:
            have = ", ".join(sorted(by_level, key=_level_order)) or "none"
            raise UserError(f"{report.source}: no complete boundary areas at level {forced!r} "
                            f"(levels with complete areas: {have})")
        levels = [forced]
    else:
        levels = [lv for lv, found in by_level.items() if 2 <= len(found) <= MAX_DISTRICTS]
    best: tuple[int, str, str | None, list[tuple[str, BaseGeometry]]] | None = None
    for level in levels:
        holder, inside = _holder(level, by_level)
        if len(inside) >= (1 if forced else 2) and (best is None or (len(inside), _level_order(level))
                                                     > (best[0], _level_order(best[1]))):
            best = (len(inside), level, holder, inside)
    if best is None:
        return None, []
    _, level, holder, inside = best
    merged: dict[str, list[BaseGeometry]] = defaultdict(list)
    for name, geom in inside:
        merged[name].append(geom)
    districts = [District(_slug(n), n, shapely.union_all(parts)) for n, parts in merged.items()]
    what = f"admin_level {level}" if level[:1].isdigit() else f"place={level}"
    report.notes.append(f"Districts: the {len(districts)} {what} areas" + (f" inside {holder}" if holder else "")
                        + ", assembled from complete boundary relations")
    return holder, sorted(districts, key=lambda d: d.name)


def _level_order(level: str) -> float:
    """Finer levels sort higher: admin levels by number, place kinds after admin level 10."""
    order = {"borough": 10.5, "suburb": 11, "quarter": 12, "neighbourhood": 13}
    return float(level) if level.replace(".", "", 1).isdigit() else order.get(level, 14)


def _holder(level: str, by_level: dict[str, list[tuple[str, BaseGeometry]]]
            ) -> tuple[str | None, list[tuple[str, BaseGeometry]]]:
    """The coarser area that holds the most of ``level``'s areas, and those areas (all where none does)."""
    found = by_level[level]
    best: tuple[int, float, str | None, list] = (0, 0.0, None, found)
    for coarser, outer in by_level.items():
        if _level_order(coarser) >= _level_order(level):
            continue
        for name, geom in outer:
            inside = [(n, g) for n, g in found if _within(g, geom)]
            if (len(inside), -geom.area) > best[:2]:
                best = (len(inside), -geom.area, name, inside)
    return best[2], best[3]


def _within(inner: BaseGeometry, outer: BaseGeometry) -> bool:
    """Mostly inside (shared borders are drawn twice, never exactly alike)."""
    try:
        return inner.intersection(outer).area >= 0.95 * inner.area
    except shapely.errors.GEOSException:
        return False


def _districts(src: _Source, frame: Polygon, report: ImportReport) -> list[District]:
    runs: dict[int, list[LineString]] = {}  # boundary way id -> its stretches inside the extract
    by_level: dict[str, list[tuple[str, list[int]]]] = defaultdict(list)
    for _, tags, members in src.relations:
        if tags.get("boundary") != "administrative" or not tags.get("name"):
            continue
        for ref in (ref for kind, ref, _ in members if kind == "w" and ref in src.ways and ref not in runs):
            clipped = [LineString(r).intersection(frame) for r in _runs(src.ways[ref][0])]
            runs[ref] = [p for c in clipped for p in shapely.get_parts(c) if p.geom_type == "LineString"]
        if refs := [ref for kind, ref, _ in members if kind == "w" and runs.get(ref)]:
            by_level[tags["admin_level"]].append((tags["name"], refs))
    districts: list[District] = []
    if by_level:
        level = max(by_level, key=lambda lv: (len(by_level[lv]), float(lv) if lv.isdigit() else 0))
        try:
            districts = _from_boundaries(by_level[level], runs, frame)
            report.notes.append(f"Districts: the {len(districts)} admin_level {level} areas, assembled from "
                                "the boundary lines inside the extract and its edge")
        except shapely.errors.GEOSException:
            report.notes.append(f"Districts: the admin_level {level} boundary lines could not be assembled")
    if not districts:
        districts = _from_places(src.places, frame)
        report.notes.append(f"Districts: {len(districts)} Voronoi cells of named places")
    return sorted(districts, key=lambda d: d.name)


def _from_boundaries(relations: list[tuple[str, list[int]]], runs: dict[int, list[LineString]],
                     frame: Polygon) -> list[District]:
    used = {ref for _, refs in relations for ref in refs}
    all_lines = [line for ref in used for line in runs[ref]]
    obstacles = unary_union(all_lines + [frame.exterior])
    reach = 2 * math.dist(frame.bounds[:2], frame.bounds[2:])
    extended: dict[int, list[LineString]] = {}
    for ref in used:
        extended[ref] = list(runs[ref])
        for line in runs[ref]:
            for end, before in ((line.coords[0], line.coords[1]), (line.coords[-1], line.coords[-2])):
                if _loose(Point(end), line, all_lines, frame):
                    extended[ref].append(_extend(before, end, obstacles, reach))
    owned = [(name, unary_union([line for ref in refs for line in extended[ref]])) for name, refs in relations]
    faces = list(polygonize(unary_union([*(g for _, g in owned), frame.exterior])))
    scores = [[face.boundary.intersection(g).length for _, g in owned] for face in faces]
    best = [max(s) for s in scores]
    names: dict[int, str] = {i: owned[s.index(best[i])][0] for i, s in enumerate(scores)
                             if best[i] > 0 and s.count(best[i]) == 1}
    for i, s in enumerate(scores):  # a tie (face bounded by one line): the side not named yet
        if i not in names and best[i] > 0:
            tied = [owned[j][0] for j, v in enumerate(s) if v == best[i]]
            names[i] = next((n for n in tied if n not in names.values()), tied[0])
    merged: dict[str, list[BaseGeometry]] = defaultdict(list)
    for i, face in enumerate(faces):
        merged[names.get(i, "Unnamed")].append(face)
    return [District(_slug(n), n, shapely.union_all(parts)) for n, parts in merged.items()]


def _loose(end: Point, line: LineString, lines: list[LineString], frame: Polygon) -> bool:
    """A line end that meets neither another boundary line nor the extract edge."""
    if frame.exterior.distance(end) < _TOL or line.is_closed:
        return False
    return not any(other is not line and other.distance(end) < _TOL for other in lines)


def _extend(before: tuple[float, float], end: tuple[float, float], obstacles: BaseGeometry,
            reach: float) -> LineString:
    """The straight continuation of a line end up to the first boundary line or extract edge it meets."""
    (x0, y0), (x1, y1) = before, end
    step = math.dist(before, end)
    ray = LineString([end, (x1 + (x1 - x0) / step * reach, y1 + (y1 - y0) / step * reach)])
    hits = shapely.get_coordinates(ray.intersection(obstacles))
    stop = min((d for d in (ray.project(Point(c)) for c in hits) if d > _TOL), default=ray.length)
    return substring(ray, 0, stop)


def _from_places(places: list[tuple[str, str, float, float]], frame: Polygon) -> list[District]:
    seeds: dict[str, Point] = {}
    for name, place, lon, lat in places:
        if place in PLACE_SEEDS and frame.covers(Point(lon, lat)):
            seeds.setdefault(name, Point(lon, lat))
    if len(seeds) < 2:
        name = next(iter(seeds), "Map area")
        return [District(_slug(name), name, frame)]
    cells = shapely.voronoi_polygons(MultiPoint(list(seeds.values())), extend_to=frame, ordered=True)
    return [District(_slug(n), n, cell.intersection(frame)) for n, cell in zip(seeds, shapely.get_parts(cells))]


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

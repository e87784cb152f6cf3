"""Districts of an OpenStreetMap extract: from complete boundary areas, boundary lines, or places.

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

import math
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

import osmium
import osmium.geom
import shapely
from shapely.geometry import LineString, MultiPoint, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import polygonize, substring, unary_union

from console.city import District
from console.errors import UserError
from console.importers.report import ImportReport

Coords = list[tuple[float, float] | None]  # a way's node locations in order; None where the file lacks the node
PLACE_SEEDS = {"suburb", "quarter", "neighbourhood", "borough"}
MAX_DISTRICTS = 60  # more areas than a wall can name: a finer level than districts
_TOL = 1e-9  # degrees: "the same point" for boundary line ends


def located_runs(coords: Coords) -> list[list[tuple[float, float]]]:
    """Stretches of consecutive nodes present in the file, each with at least two distinct points."""
    runs: list[list[tuple[float, float]]] = [[]]
    for c in coords:
        if c is None:
            runs.append([])
        else:
            runs[-1].append(c)
    return [r for r in runs if len(set(r)) > 1]


def _area_level(tags: dict[str, str]) -> str | None:
    """The level a named boundary area counts at: its admin_level, or its place kind."""
    if not tags.get("name"):
        return None
    if tags.get("boundary") == "administrative" and tags.get("admin_level"):
        return tags["admin_level"]
    if tags.get("place") in PLACE_SEEDS:
        return tags["place"]
    return None


def boundary_areas(path: Path) -> list[tuple[str, str, BaseGeometry]]:
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


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-") or "district"


def from_areas(areas: list[tuple[str, str, BaseGeometry]], forced: str | None,
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


def from_lines(relations: list[tuple[int, dict[str, str], list[tuple[str, int, str]]]],
               ways: dict[int, tuple[Coords, dict[str, str]]], places: list[tuple[str, str, float, float]],
               frame: Polygon, report: ImportReport) -> list[District]:
    """Districts from the boundary lines inside a clipped extract, else Voronoi cells of its places."""
    runs: dict[int, list[LineString]] = {}  # boundary way id -> its stretches inside the extract
    by_level: dict[str, list[tuple[str, list[int]]]] = defaultdict(list)
    for _, tags, members in relations:
        if tags.get("boundary") != "administrative" or not tags.get("name"):
            continue
        for ref in (ref for kind, ref, _ in members if kind == "w" and ref in ways and ref not in runs):
            clipped = [LineString(r).intersection(frame) for r in located_runs(ways[ref][0])]
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
        districts = _from_places(places, frame)
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

"""The footprint of a 3D building: its chosen surfaces (LoD0, else ground, else all) seen from above, merged.

One building's footprint is a handful of GEOS calls whose per-call overhead is most of their cost, so
the buildings read together have theirs made in one pass of vectorised calls: every polygon at once,
then one union per building (buildings grouped by how many polygons they have: the union of each
group's rows is one call). The result is the same geometry as one building at a time; a chunk in
which some footprint needs a count (a polygon repaired, no footprint at all, a GEOS failure) is left
to the one-at-a-time path, which counts those in building order like every other count.
"""

from __future__ import annotations

import itertools

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from console.importers.report import ImportReport

#: A surface as the CityJSON reader cleans it: its rings (vertex numbers), its semantic type.
Surface = tuple[list[list[int]], "str | None"]
_POLYGON = 3  # shapely's type id


def footprint(lonlat: np.ndarray, flat: list[Surface], report: ImportReport) -> BaseGeometry | None:
    """One building's footprint from its surfaces' rings (numbers into ``lonlat``); None if nothing of
    it has an area seen from above. An invalid polygon is repaired and counted (once per building)."""
    polys = _polygons(lonlat, flat, 0)
    polys = polys[shapely.area(polys) > 0]
    broken = ~shapely.is_valid(polys)
    if broken.any():
        polys[broken] = shapely.make_valid(polys[broken])
        report.repaired["building footprint: invalid polygon (repaired)"] += 1
    merged = shapely.union_all(polys) if len(polys) else shapely.Polygon()
    parts = [p for p in shapely.get_parts(merged) if p.geom_type == "Polygon" and p.area > 0]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def footprints(lonlat: np.ndarray, buildings: list[tuple[int, list[Surface]]]) -> list[BaseGeometry] | None:
    """The footprints of several buildings (each: where its vertex 0 lies in ``lonlat``, its surfaces),
    the same as ``footprint`` of each; None if any of them would need a count (see the module)."""
    bases = [base for base, flat in buildings for surface, _ in flat for _ in surface]
    try:
        polys = _polygons(lonlat, [s for _, flat in buildings for s in flat], bases)
        owner = np.repeat(np.arange(len(buildings)), [len(flat) for _, flat in buildings])
        kept = shapely.area(polys) > 0
        polys, owner = polys[kept], owner[kept]
        counts = np.bincount(owner, minlength=len(buildings))
        if not counts.all() or not shapely.is_valid(polys).all():
            return None
        merged = np.empty(len(buildings), dtype=object)
        for k in np.unique(counts).tolist():  # owner is sorted: each building's polygons lie together
            rows = np.flatnonzero(counts == k)
            merged[rows] = shapely.union_all(polys[np.isin(owner, rows)].reshape(len(rows), k), axis=1)
        parts, index = shapely.get_parts(merged, return_index=True)
    except shapely.errors.GEOSException:
        return None
    keep = (shapely.get_type_id(parts) == _POLYGON) & (shapely.area(parts) > 0)
    parts, index = parts[keep], index[keep]  # index ascending: each building's parts lie together
    counts = np.bincount(index, minlength=len(buildings))
    if not counts.all():
        return None
    made = parts[np.cumsum(counts) - counts]  # a building of one part: that polygon
    several = np.flatnonzero(counts > 1)
    if len(several):
        mine = np.isin(index, several)
        made[several] = shapely.multipolygons(parts[mine], indices=np.searchsorted(several, index[mine]))
    return made.tolist()


def _polygons(lonlat: np.ndarray, flat: list[Surface], bases: int | list[int]) -> np.ndarray:
    """One polygon per surface (exterior, then holes), its vertices moved on by ``bases`` (per ring)."""
    rings = [r for surface, _ in flat for r in surface]
    sizes = np.fromiter(map(len, rings), dtype=np.int64, count=len(rings))
    verts = np.fromiter(itertools.chain.from_iterable(rings), dtype=np.int64, count=int(sizes.sum()))
    if not isinstance(bases, int) or bases:
        verts += np.repeat(np.asarray(bases, dtype=np.int64), sizes)
    return shapely.polygons(shapely.linearrings(lonlat[verts], indices=np.repeat(np.arange(len(rings)), sizes)),
                            indices=np.repeat(np.arange(len(flat)), [len(surface) for surface, _ in flat]))

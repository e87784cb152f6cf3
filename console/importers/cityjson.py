"""CityJSON 1.1/2.0 documents and CityJSONSeq streams into building rows with a self-contained model.

One row per Building: its BuildingParts (and installations, nested or not) go into that row's
model, since a 3D BAG "Pand" is one building to an operator however the reconstruction split it.
Each object keeps its highest-LoD geometry that has surfaces left after cleaning: a surface whose
outer ring refers to a vertex that is not there, or has fewer than 3 distinct vertices, is
dropped (a bad hole only loses the hole); a non-planar surface is kept as it is (1 cm tolerance,
val3dity's default) and counted, as renderers triangulate it anyway. A surface repeated in one
geometry is kept once (counted), and a model whose text passes MAX_MODEL_BYTES is stored as its
LoD1 block instead (counted: the report says which were simplified). Semantics stay aligned with
the surfaces kept; textures and materials are not carried.

Coordinates: integer vertices through the ``transform``, then the horizontal part of the CRS
(``urn:ogc:def:crs:EPSG::7415`` is RD New + NAP: only RD New moves x, y) to WGS84 lon/lat with
pyproj (cityjson_vertices.py); z becomes metres above the building's ground (3D BAG ``h_maaiveld``,
else the lowest z of the building and its parts). A missing CRS is taken as lon/lat only when the
coordinates are.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import shapely

from console.importers.batch import Batch, OneAtATime
from console.importers.building_footprint import footprint as footprint_of
from console.importers.cityjson_vertices import MAX_Z_M, VertexReader
from console.importers.footprints import LON_LAT_SCALE, Z_SCALE, extrusion_model, model_text, storeys
from console.importers.osm import MAX_HEIGHT_M
from console.importers.report import ImportReport
from console.values import is_number

LEVELS = {"MultiSurface": 1, "CompositeSurface": 1, "Solid": 2, "MultiSolid": 3, "CompositeSolid": 3}
PARTS = ("BuildingPart", "BuildingInstallation")
#: A stored model larger than this (one building's CityJSON text) is replaced by its LoD1 block: one
#: platform row must not hold tens of MB that every console syncs and the scene meshes on every load.
MAX_MODEL_BYTES = 2_000_000
IMPLAUSIBLE = (f"building height: no building's in its attributes (over {MAX_HEIGHT_M:,.0f} m, or a ground beyond "
               f"{MAX_Z_M / 1000:,.0f} km; the model's own used)")


class _Skip(Exception):
    """An object left out; the message is the counted reason."""


class CityJsonReader(VertexReader):
    """Reads the objects of one file (a document, or a header and its features) into rows."""

    # -- objects -------------------------------------------------------------------------------
    def rows(self, objects: Any, vertices: Any) -> list[dict]:
        """The rows of the Buildings among ``objects`` (one document, or one CityJSONFeature)."""
        return self.rows_of([(objects, vertices)])

    def rows_of(self, features: Iterable[tuple[Any, Any]], made: bool = False) -> list[dict]:
        """The rows of several features' Buildings, read together: one reprojection of all their
        vertices, one pass for their surfaces' planarity and their footprints' text (the same rows
        and counts as one feature at a time, in a fraction of the time for small buildings).

        ``made``: the features were made by a reader of ours (CityGML), so every ring is a list of
        distinct vertex numbers of its feature and no surface is repeated: a geometry with no vertex
        unusable once projected and no ring under 3 vertices is taken whole, unchecked."""
        read: list[tuple[dict, np.ndarray]] = []
        for objects, vertices in features:
            if not isinstance(objects, dict) or not objects:
                self.report.skipped["CityJSON feature without CityObjects"] += 1
                continue
            xyz = vertices if made else self._xyz(vertices)  # ours: finite numbers in the file's CRS already
            if self.project is None and len(xyz):
                self._choose_crs(xyz)
            read.append((objects, xyz))
        if not read:
            return []
        lonlat, z = self._vertices(np.concatenate([xyz for _, xyz in read]))
        counted = (self.report.skipped.copy(), self.report.repaired.copy())
        try:
            return self._rows(read, Batch(self.report, lonlat, z, together=True), made)
        except OneAtATime:  # counts as they were, and every footprint made as it comes
            for counter, before in zip((self.report.skipped, self.report.repaired), counted):
                counter.clear()
                counter.update(before)
            return self._rows(read, Batch(self.report, lonlat, z, together=False), made)

    def _rows(self, read: list[tuple[dict, np.ndarray]], batch: Batch, made: bool) -> list[dict]:
        unusable = np.isnan(batch.lonlat).any(axis=1) | np.isnan(batch.z)
        for objects, xyz in read:
            start, stop = batch.base, batch.base + len(xyz)
            bad = set(np.flatnonzero(unusable[start:stop]).tolist()) if unusable.any() else set()
            self._objects(objects, batch.lonlat[start:stop], batch.z[start:stop], bad, batch, made)
            batch.base = stop
        return batch.rows()

    def _objects(self, objects: dict, lonlat: np.ndarray, z: np.ndarray, bad: set[int], batch: Batch,
                 made: bool) -> None:
        """Each Building among ``objects`` into ``batch`` (``bad``: its unusable vertices); other objects
        counted as skipped."""
        for oid, obj in objects.items():
            kind = obj.get("type") if isinstance(obj, dict) else None
            parents = obj.get("parents") if isinstance(obj, dict) else None
            if kind in PARTS and isinstance(parents, list) and any(isinstance(p, str) and p in objects
                                                                   for p in parents):
                continue  # comes with its building
            try:
                if kind != "Building":
                    raise _Skip("building part without its building" if kind in PARTS else
                                f"not a building ({str(kind)[:40]})")
                _Building(self.report, objects, lonlat, z, bad, made).read(oid, obj, batch)
            except _Skip as skip:
                self.report.skipped[f"{'building' if kind in ('Building', *PARTS) else 'object'}: {skip}"] += 1
            except shapely.errors.GEOSException:
                self.report.skipped["building: geometry GEOS cannot process"] += 1


class _Building:
    """One Building and its parts: cleaned geometries, footprint, height and model."""

    def __init__(self, report: ImportReport, objects: dict, lonlat: np.ndarray, z: np.ndarray, bad: set[int],
                 made: bool = False) -> None:
        self.report, self.objects = report, objects
        self.lonlat, self.z, self.bad = lonlat, z, bad  # every vertex of the file or feature; bad: unusable ones
        self.made = made  # made by a reader of ours (see rows_of)
        self.cleaned: dict[int, tuple[dict, list] | None] = {}

    def read(self, oid: str, obj: dict, batch: Batch) -> None:
        """The building into ``batch``, which finishes its row; _Skip if nothing of it can be drawn."""
        members = [(oid, obj, None), *self._parts(oid, obj, {oid})]
        best = {pid: self._best(o, flat_ok=True) for pid, o, _ in members[1:]}
        best[oid] = self._best(obj, flat_ok=not any(best.values()))  # its LoD0 is the footprint, not a part
        if not any(best.values()):
            raise _Skip("no usable geometry")
        if lost := sum(not best[pid] for pid, _, _ in members[1:]):
            self.report.skipped["building part: no usable geometry (left out of its building)"] += lost
        surfaces = [s for cleaned in best.values() if cleaned for s in cleaned[1]]
        idx = self._used(surfaces)
        attrs = obj.get("attributes") if isinstance(obj.get("attributes"), dict) else {}
        ground, top = self._heights(attrs, idx)
        batch.planarity([rings for rings, _ in surfaces if sum(map(len, rings)) > 3], idx)
        flat = self._footprint_surfaces([g for g in _geometries(obj) if _lod(g) == 0], surfaces)
        footprint = None if batch.together else footprint_of(self.lonlat, flat, self.report)
        if footprint is None and not batch.together:
            raise _Skip("no footprint (no surface with an area seen from above)")
        model = self._model(oid, _objects(oid, members, best), idx, ground)
        if len(model) > MAX_MODEL_BYTES and top > ground:
            if footprint is None:
                raise OneAtATime  # the block needs the footprint now, and its count comes in building order
            model = extrusion_model(oid, footprint, 0.0, top - ground, {"simplified_from_bytes": len(model)})
            self.report.repaired[f"building model: over {MAX_MODEL_BYTES / 1e6:g} MB, stored as its LoD1 "
                                 "block (footprint and height)"] += 1
        year = _year(attrs.get("oorspronkelijkbouwjaar", attrs.get("yearOfConstruction")))
        use = next((attrs[k] for k in ("function", "usage", "use") if isinstance(attrs.get(k), str)), None)
        batch.add(oid, footprint if footprint is not None else flat, {
            "name": attrs.get("name"), "height": top - ground if top > ground else None,
            "levels": storeys(attrs.get("storeysAboveGround")), "use": use, "year": year, "model": model})

    def _heights(self, attrs: dict, idx: np.ndarray) -> tuple[float, float]:
        """(ground, top) in metres: the 3D BAG's own where it gives both, else the model's extent (its
        top the surveyor's measured height over its ground, where there is one). An attribute no
        building has (over MAX_HEIGHT_M tall, a ground beyond MAX_Z_M) is left out and counted: it
        would store a model whose heights overflow and a building taller than any."""
        ground, top = _number(attrs.get("h_maaiveld")), _number(attrs.get("h_dak_max"))  # 3D BAG
        if ground is not None and (abs(ground) > MAX_Z_M or (top is not None and top - ground > MAX_HEIGHT_M)):
            self.report.repaired[IMPLAUSIBLE] += 1
            ground = top = None
        if ground is not None and top is not None:
            return ground, top
        z = self.z if len(idx) == len(self.z) else self.z[idx]  # idx: all of them, or some
        ground, top = float(z.min()) if ground is None else ground, float(z.max())
        if (measured := _number(attrs.get("measuredHeight"))) is not None and measured > MAX_HEIGHT_M:
            self.report.repaired[IMPLAUSIBLE] += 1
        elif measured is not None and measured > 0:
            top = ground + measured  # what the surveyor measured, over the model's own extent
        return ground, top

    def _used(self, surfaces: list) -> np.ndarray:
        """The vertices the surfaces use, sorted. A feature of ours numbers each ring's vertices apart, so
        where its distinct rings hold as many vertices as it has, they are all of them (nearly always)."""
        if self.made:
            rings = {id(ring): len(ring) for rings, _ in surfaces for ring in rings}
            if sum(rings.values()) == len(self.z):
                return np.arange(len(self.z))
        return np.unique(np.fromiter(itertools.chain.from_iterable(r for rings, _ in surfaces for r in rings),
                                     dtype=np.int64))

    def _parts(self, oid: str, obj: dict, seen: set[str]) -> list[tuple[str, dict, str]]:
        out = []
        kids = obj.get("children")
        for kid in kids if isinstance(kids, list) else []:
            child = self.objects.get(kid) if isinstance(kid, str) else None
            if not isinstance(child, dict) or child.get("type") not in PARTS:
                self.report.skipped["building part: listed as a child but not in the file"] += 1
            elif kid not in seen:
                seen.add(kid)
                out += [(kid, child, oid), *self._parts(kid, child, seen)]
        return out

    # -- geometry ------------------------------------------------------------------------------
    def _best(self, obj: dict, flat_ok: bool) -> tuple[dict, list] | None:
        """The highest-LoD geometry with surfaces left after cleaning (LoD0 only if ``flat_ok``)."""
        for geom in sorted(_geometries(obj), key=_lod, reverse=True):
            if (flat_ok or _lod(geom) > 0) and (cleaned := self._clean(geom)):
                return cleaned
        return None

    def _clean(self, geom: dict) -> tuple[dict, list] | None:
        """The geometry with its unusable surfaces dropped (counted once), and its flat surface list."""
        if id(geom) not in self.cleaned:
            self.cleaned[id(geom)] = self._cleaned(geom)
        return self.cleaned[id(geom)]

    def _cleaned(self, geom: dict) -> tuple[dict, list] | None:
        sem = geom.get("semantics")
        kinds = sem.get("surfaces") if isinstance(sem, dict) and isinstance(sem.get("surfaces"), list) else None
        bounds = geom.get("boundaries")
        if self.made and not self.bad and min(map(len, itertools.chain.from_iterable(bounds)), default=0) >= 3:
            # nothing to drop: a copy of it (a model's renumbering replaces its boundaries)
            values = sem["values"] if kinds is not None else [None] * len(bounds)
            return dict(geom), [(b, None if v is None else kinds[v]["type"]) for b, v in zip(bounds, values)]
        flat: list[tuple[list, str | None]] = []
        seen: set[tuple] = set()

        def walk(bounds: Any, values: Any, level: int) -> tuple[list, list]:
            out_b, out_v = [], []
            for i, item in enumerate(bounds if isinstance(bounds, list) else []):
                value = values[i] if isinstance(values, list) and i < len(values) else None
                if level > 1:
                    b, v = walk(item, value, level - 1)
                elif (b := self._surface(item)) is not None and (key := _key(b)) in seen:
                    self.report.repaired["building surface: repeated (kept once)"] += 1
                    b = None
                elif b is not None:
                    seen.add(key)
                    ok = type(value) is int and 0 <= value < len(kinds or ())
                    v = value if ok else None
                    flat.append((b, kinds[value].get("type") if ok and isinstance(kinds[value], dict) else None))
                if b:
                    out_b.append(b)
                    out_v.append(v)
            return out_b, out_v

        bounds, values = walk(geom.get("boundaries"), sem.get("values") if kinds is not None else None,
                              LEVELS[geom["type"]])
        if not bounds:
            return None
        out = {"type": geom["type"], "lod": geom.get("lod"), "boundaries": bounds}
        if kinds is not None:
            out["semantics"] = {"surfaces": kinds, "values": values}
        return out, flat

    def _surface(self, item: Any) -> list | None:
        """A surface's rings, bad holes dropped; None (counted) if its outer ring is unusable."""
        rings = []
        for k, ring in enumerate(item if isinstance(item, list) and item else [None]):
            if (problem := self._problem(ring)) is None:
                rings.append(ring)
                continue
            self.report.skipped[f"building surface: {problem} ({'dropped' if k == 0 else 'hole dropped'})"] += 1
            if k == 0:
                return None
        return rings

    def _problem(self, ring: Any) -> str | None:
        """What makes a ring unusable, if anything."""
        if not isinstance(ring, list) or not ring or set(map(type, ring)) != {int}:
            return "malformed ring"
        if (distinct := set(ring)) and (min(distinct) < 0 or max(distinct) >= len(self.z) or
                                        not self.bad.isdisjoint(distinct)):
            return "missing or unusable vertex"
        return "fewer than 3 distinct vertices" if len(distinct) < 3 else None

    def _footprint_surfaces(self, lod0: list, surfaces: list) -> list:
        """The surfaces the footprint is made of: the LoD0 surfaces, else the ground surfaces, else all."""
        flat = [s for g in lod0 if (c := self._clean(g)) for s in c[1]]
        return flat or [s for s in surfaces if s[1] == "GroundSurface"] or surfaces

    def _model(self, oid: str, objects: dict, idx: np.ndarray, ground: float) -> str:
        """The CityJSON 2.0 text with only this building's vertices, renumbered (``idx`` sorted)."""
        xyz = np.column_stack([self.lonlat, self.z] if len(idx) == len(self.z) else [self.lonlat[idx], self.z[idx]])
        lon0, lat0 = (round(v, 7) for v in xyz[:, :2].min(axis=0).tolist())
        units = np.rint((xyz - (lon0, lat0, ground)) / (LON_LAT_SCALE, LON_LAT_SCALE, Z_SCALE)).astype(np.int64)
        if idx[0] != 0 or idx[-1] != len(idx) - 1:  # not every vertex of the feature is this building's
            new = dict(zip(idx.tolist(), range(len(idx))))
            for entry in objects.values():
                for g in entry["geometry"]:
                    g["boundaries"] = _remap(g["boundaries"], new)
        return model_text(oid, objects, units.tolist(), lon0, lat0)


def _objects(oid: str, members: list[tuple[str, dict, str | None]], best: dict) -> dict:
    """The model's CityObjects: the building (its geometry, if any) and the parts with geometry."""
    objects = {}
    for pid, obj, parent in members:
        if best[pid] or pid == oid:
            entry: dict = {"type": obj["type"]}
            if isinstance(obj.get("attributes"), dict) and obj["attributes"]:
                entry["attributes"] = obj["attributes"]
            entry["geometry"] = [best[pid][0]] if best[pid] else []
            if parent is not None:
                entry["parents"] = [parent]
            if kids := [k for k, _, p in members if p == pid and best[k]]:
                entry["children"] = kids
            objects[pid] = entry
    return objects


def _geometries(obj: dict) -> list[dict]:
    geoms = obj.get("geometry")
    if not isinstance(geoms, list):
        return []
    return [g for g in geoms if isinstance(g, dict) and isinstance(g.get("type"), str) and g["type"] in LEVELS]


def _lod(geom: dict) -> float:
    try:
        value = float(geom.get("lod", 0))
    except (TypeError, ValueError):
        return 0.0
    return value if math.isfinite(value) else 0.0


def _key(rings: list) -> tuple:
    """A surface's identity whatever vertex it starts from: its rings' vertex numbers, sorted."""
    return tuple(tuple(sorted(r)) for r in rings)


def _remap(bounds: list, new: dict[int, int]) -> list:
    return [new[i] for i in bounds] if type(bounds[0]) is int else [_remap(b, new) for b in bounds]


def _number(value: Any) -> float | None:
    return float(value) if is_number(value) else None


def _year(value: Any) -> int | None:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    return value if type(value) is int and 1000 <= value <= 2100 else None

"""Buildings of CityJSON (and CityGML) features read together: what is left once each building's
geometry is cleaned, done for all of them at once.

A building of a few dozen vertices costs more in per-call overhead than in arithmetic, so the
planarity test of every surface (1 cm tolerance, val3dity's default; a non-planar surface is kept as
it is and counted, renderers triangulate it anyway) runs as one vectorised pass over all of the
features' surfaces, their footprints are made in one vectorised pass (building_footprint.py) and
their GeoJSON text is one call. The rows are the same as for one building at a time: each building's
surfaces are measured in metres round its own mean vertex.
"""

from __future__ import annotations

import itertools

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from console.importers.building_footprint import Surface, footprints
from console.importers.footprints import footprint_texts, row
from console.importers.report import ImportReport

PLANAR_M = 0.01
_M_PER_DEG = 111_319.49


class OneAtATime(Exception):
    """The buildings read together need something counted in building order (a footprint repaired or
    missing, a model stored as its block): read them again one at a time, the counts as before."""


class Batch:
    """What the buildings read together leave to be done for all of them at once: the planarity of
    their surfaces (one vectorised pass) and their footprints' GeoJSON text (one call), then the rows."""

    def __init__(self, report: ImportReport, lonlat: np.ndarray, z: np.ndarray, together: bool) -> None:
        self.report, self.lonlat, self.z = report, lonlat, z  # every vertex of the features read together
        self.together = together  # footprints made here for all at once (else each as its building is read)
        self.base = 0  # where the building being read has its vertex 0 in lonlat and z
        #: per building with surfaces to test: its base, those surfaces (rings of its own vertex numbers)
        #: and its vertices in lonlat (their latitude gives the scale)
        self.tested: list[tuple[int, list[list[list[int]]], np.ndarray]] = []
        self.pending: list[tuple[str, BaseGeometry | None, dict]] = []  # None: its footprint made in rows()
        self.later: list[tuple[int, list[Surface]]] = []  # (base, surfaces) of each footprint to make here

    def planarity(self, surfaces: list[list[list[int]]], idx: np.ndarray) -> None:
        """Surfaces of more than 3 vertices of one building, to test for planarity (``idx``: its vertices)."""
        if surfaces:
            self.tested.append((self.base, surfaces, idx + self.base))

    def add(self, oid: str, footprint: BaseGeometry | list[Surface], fields: dict) -> None:
        """A building's row to make: its footprint, or (together) the surfaces to make it of."""
        if isinstance(footprint, list):
            self.later.append((self.base, footprint))
        self.pending.append((oid, None if isinstance(footprint, list) else footprint, fields))

    def rows(self) -> list[dict]:
        """The rows of the buildings added, their non-planar surfaces counted; OneAtATime where a
        footprint made here would need a count."""
        if self.later:
            made = footprints(self.lonlat, self.later)
            if made is None:
                raise OneAtATime
            self.pending = [(oid, shape, fields) for (oid, _, fields), shape in zip(self.pending, made)]
        if self.tested:
            self._count_non_planar()
        try:
            texts = footprint_texts([f for _, f, _ in self.pending]) if self.pending else []
        except shapely.errors.GEOSException:
            texts = []
            for _, footprint, _ in self.pending:
                try:
                    texts.append(footprint_texts([footprint])[0])
                except shapely.errors.GEOSException:
                    texts.append(None)
                    self.report.skipped["building: geometry GEOS cannot process"] += 1
        return [row(oid, text, self.report, **fields) for (oid, _, fields), text in zip(self.pending, texts)
                if text is not None]

    def _count_non_planar(self) -> None:
        """Count surfaces whose vertices stray more than 1 cm from their plane (Newell normal), in metres
        east, north and up round each building's mean vertex."""
        rings = [ring for _, surfaces, _ in self.tested for surface in surfaces for ring in surface]
        sizes = np.fromiter(map(len, rings), dtype=np.int64, count=len(rings))
        verts = np.fromiter(itertools.chain.from_iterable(rings), dtype=np.int64, count=int(sizes.sum()))
        of_surface = np.array([len(surface) for _, surfaces, _ in self.tested for surface in surfaces])  # rings
        of_building = np.array([len(surfaces) for _, surfaces, _ in self.tested])  # surfaces
        bases = np.array([base for base, _, _ in self.tested], dtype=np.int64)
        counts = np.add.reduceat(sizes, np.cumsum(of_surface) - of_surface)  # vertices of each surface
        per_building = np.add.reduceat(counts, np.cumsum(of_building) - of_building)
        verts += np.repeat(bases, per_building)
        starts = np.cumsum(counts) - counts
        building = np.repeat(np.arange(len(per_building)), per_building)  # of each vertex in verts
        vertices = [u for _, _, u in self.tested]
        used = [len(u) for u in vertices]
        lat0 = np.add.reduceat(self.lonlat[np.concatenate(vertices), 1], np.cumsum(used) - used) / used
        scale = np.column_stack([_M_PER_DEG * np.cos(np.radians(lat0)), np.full(len(lat0), _M_PER_DEG),
                                 np.ones(len(lat0))])
        xyz = np.column_stack([self.lonlat[verts], self.z[verts]]) * scale[building]
        xyz -= (np.add.reduceat(xyz, np.cumsum(per_building) - per_building) / per_building[:, None])[building]
        ring_start = np.repeat(np.cumsum(sizes) - sizes, sizes)
        nxt = ring_start + (np.arange(len(verts)) - ring_start + 1) % np.repeat(sizes, sizes)
        normal = np.add.reduceat(np.cross(xyz, xyz[nxt]), starts)  # Newell: twice the area vector
        size = np.linalg.norm(normal, axis=1)
        centre = np.add.reduceat(xyz, starts) / counts[:, None]
        unit = normal / np.where(size > 0, size, 1.0)[:, None]
        surface = np.repeat(np.arange(len(counts)), counts)
        off = np.abs(((xyz - centre[surface]) * unit[surface]).sum(axis=1))
        far = np.maximum.reduceat(off, starts) > PLANAR_M
        if n := int((far & (size > 1e-9)).sum()):
            self.report.repaired["building surface: non-planar (kept as is)"] += n


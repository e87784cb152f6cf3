"""The ground under the buildings: street centre lines and flat water and park areas, in the frame.

Read from the store's ``map_features`` rows (GeoJSON text in lon/lat), all of a layer at once:
one PROJ call, one triangulation pass. A feature that cannot be read is left out (the basemap
counts those already); the ground is context, never a reason to fail a scene.
"""

from __future__ import annotations

import numpy as np
import shapely

from console.scene.frame import Frame
from console.scene.mesh import SCENE_XY_M, BuildingMesh
from console.scene.triangulate import Polygons, triangulate

LINES = (1, 5)  # shapely type ids: LineString, MultiLineString
AREAS = (3, 6)  # Polygon, MultiPolygon


def _shapes(rows: list[dict], frame: Frame, kinds: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The rows' geometries of the given kinds, in the frame, and the row each came from."""
    texts = np.array([r.get("geometry") if isinstance(r.get("geometry"), str) else None for r in rows] + [None],
                     dtype=object)[:-1]
    geoms = shapely.from_geojson(texts, on_invalid="ignore")
    keep = np.flatnonzero(np.isin(shapely.get_type_id(geoms), kinds) & ~shapely.is_empty(geoms))
    geoms = shapely.transform(shapely.force_2d(geoms[keep]), frame.forward_xy)
    xy, owner = shapely.get_coordinates(geoms, return_index=True)
    with np.errstate(invalid="ignore"):
        far = ~(np.isfinite(xy).all(axis=1) & (np.abs(xy) <= SCENE_XY_M).all(axis=1))
    near = ~np.isin(np.arange(len(geoms)), owner[far])  # a shape PROJ could not place near the city: left out
    return geoms[near], keep[near]


def street_lines(feature_rows, frame: Frame) -> tuple[np.ndarray, np.ndarray]:
    """Streets as points (N, 3) float32 at z = 0 and segments (S, 2) int32 between them."""
    rows = [r for r in feature_rows if r.get("layer", "street") == "street"]
    geoms, _ = _shapes(rows, frame, LINES)
    coords, line = shapely.get_coordinates(shapely.get_parts(geoms), return_index=True)
    ok = np.isfinite(coords).all(axis=1)
    start = np.flatnonzero((line[1:] == line[:-1]) & ok[1:] & ok[:-1])
    points = np.column_stack([coords, np.zeros(len(coords))]).astype(np.float32)
    return points, np.column_stack([start, start + 1]).astype(np.int32).reshape(-1, 2)


def flat_areas(feature_rows, frame: Frame, layers: tuple[str, ...] = ("water", "park")) -> BuildingMesh:
    """The areas of ``layers`` triangulated at z = 0; ``building`` holds each triangle's class, the
    index of its layer in ``layers`` (0 water, 1 park by default), ``roof`` is all False."""
    rows = [r for r in feature_rows if r.get("layer") in layers]
    geoms, keep = _shapes(rows, frame, AREAS)
    if not len(geoms):
        return BuildingMesh(np.zeros((0, 3), np.float32), np.zeros((0, 3), np.int32), np.zeros(0, np.int32),
                            np.zeros(0, bool))
    cls = np.array([layers.index(rows[i]["layer"]) for i in keep.tolist()], dtype=np.int32)
    kind, coords, offs = shapely.to_ragged_array(geoms)
    if kind == shapely.GeometryType.POLYGON:
        (ring_off, poly_off), poly_cls = offs, cls
    else:
        ring_off, poly_off, multi = offs
        poly_cls = np.repeat(cls, np.diff(multi))
    flat = np.column_stack([coords, np.zeros(len(coords))])
    cut = triangulate(Polygons(flat, ring_off.astype(np.int64), poly_off.astype(np.int64)), up=True)
    return BuildingMesh(flat.astype(np.float32), cut.triangles.astype(np.int32), poly_cls[cut.polygon],
                        np.zeros(len(cut.triangles), dtype=bool))

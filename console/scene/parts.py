"""The two kinds of building geometry as flat triangle arrays: CityJSON models and extruded footprints.

Each returns (points (P, 3) float64, triangles (T, 3) int64, row of each triangle, roof flag) and,
per repair, the rows it touched; ``mesh`` merges them, numbers the buildings and cuts chunks.
Both run on all their buildings at once, so the per-building cost is the ear cutting alone.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely

from console.scene.cityjson import ModelSurfaces
from console.scene.frame import Frame
from console.scene.triangulate import Polygons, extrude, offsets, triangulate

ROOF_NZ = 0.3  # without semantics, a surface whose normal rises this steeply is roof
GROUND_M = 0.05  # a downward surface lower than this is the floor: nobody sees it from above ground

Part = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def empty() -> Part:
    return np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)


def models(found: dict[int, ModelSurfaces], frame: Frame,
           tick: Callable[[int], None]) -> tuple[Part, dict[str, np.ndarray]]:
    """Every model's surfaces in the frame, triangulated in one pass."""
    if not found:
        return empty(), {}
    rows = np.fromiter(found, dtype=np.int64, count=len(found))
    ms = list(found.values())
    lonlatz = np.concatenate([m.lonlatz for m in ms])
    x, y = frame.forward(lonlatz[:, 0], lonlatz[:, 1])
    xyz = np.column_stack([x, y, lonlatz[:, 2]])
    v_off = offsets([len(m.lonlatz) for m in ms])
    ring_idx = np.concatenate([m.ring_idx + v_off[k] for k, m in enumerate(ms)])
    ring_off = offsets(np.concatenate([np.diff(m.ring_off) for m in ms]))
    surf_off = offsets(np.concatenate([np.diff(m.surf_off) for m in ms]))
    surf_row = np.repeat(rows, [len(m.kind) for m in ms])
    semantic = np.array([-1 if k is None else int(k == "RoofSurface") for m in ms for k in m.kind])
    cut = triangulate(Polygons(xyz[ring_idx], ring_off, surf_off),
                      progress=lambda k, total: tick(k * len(rows) // total))
    tris, poly = ring_idx[cut.triangles], cut.polygon
    nz = cut.normal[poly, 2]
    floor = (semantic[poly] < 0) & (nz < -0.9) & (xyz[tris, 2].max(axis=1) < GROUND_M)
    tris, poly, nz = tris[~floor], poly[~floor], nz[~floor]
    roof = np.where(semantic[poly] < 0, nz > ROOF_NZ, semantic[poly] == 1)
    fixes = {"degenerate surface dropped": np.unique(surf_row[~cut.kept]),
             "degenerate ring dropped": np.unique(surf_row[cut.holes_dropped > 0])}
    for row, m in zip(rows.tolist(), ms):
        for reason in m.dropped:
            fixes[reason] = np.append(fixes.get(reason, np.zeros(0, dtype=np.int64)), row)
    return (xyz, tris, surf_row[poly], roof), fixes


def extruded(feet: np.ndarray, rows: np.ndarray, heights: np.ndarray,
             tick: Callable[[int], None]) -> tuple[Part, dict[str, np.ndarray]]:
    """Footprints (shapely, in the frame) raised to their heights, all in one pass."""
    if not len(rows):
        return empty(), {}
    kind, coords, offs = shapely.to_ragged_array(feet)
    if kind == shapely.GeometryType.POLYGON:
        (ring_off, poly_off), poly_row, poly_h = offs, rows, heights
    else:
        ring_off, poly_off, multi = offs
        poly_row, poly_h = np.repeat(rows, np.diff(multi)), np.repeat(heights, np.diff(multi))
    points, tris, poly, roof, cut = extrude(coords, ring_off.astype(np.int64), poly_off.astype(np.int64), poly_h,
                                            progress=lambda k, total: tick(k * len(rows) // total))
    fixes = {"degenerate ring dropped": np.unique(poly_row[~cut.kept | (cut.holes_dropped > 0)])}
    return (points, tris, poly_row[poly], roof), fixes


def merge(parts: list[Part]) -> Part:
    """One set of arrays, with the points no triangle uses left out (dropped duplicates, floors)."""
    offs = offsets([len(p[0]) for p in parts])
    points = np.concatenate([p[0] for p in parts])
    tris = np.concatenate([p[1] + offs[k] for k, p in enumerate(parts)])
    used = np.zeros(len(points), dtype=bool)
    used[tris.ravel()] = True
    renumber = np.cumsum(used) - 1
    return (points[used], renumber[tris], np.concatenate([p[2] for p in parts]),
            np.concatenate([p[3] for p in parts]))


def hull(points: np.ndarray, tris: np.ndarray):
    """A stand-in footprint for a model that came without one: the hull of its points from above."""
    shape = shapely.convex_hull(shapely.multipoints(points[np.unique(tris)][:, :2]))
    return shape if shapely.get_type_id(shape) == 3 else shapely.buffer(shape, 0.5)

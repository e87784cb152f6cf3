"""Planar polygons with holes → triangles, for many polygons at once.

A city is tens of thousands of small polygons, so everything that can be done on all of them
together is (cleaning rings, Newell normals, orientation, walls); only the ear cutting itself
runs once per polygon (mapbox_earcut, a few microseconds each). Each polygon is cut in its own
plane (the Newell normal's), so steep roofs and walls cut as well as footprints, and a slightly
non-planar surface still gets triangles. Every triangle comes out wound about its polygon's
normal, so a closed building has outward normals and back faces could be culled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import mapbox_earcut
import numpy as np

EPS_M = 1e-3  # points closer than a millimetre are one point
MIN_AREA_M2 = 1e-4  # a ring smaller than this (1 cm²) is a line or a point, not a surface
PROGRESS_EVERY = 500  # polygons between progress calls


@dataclass
class Polygons:
    """Many polygons as flat arrays: ring r is points[ring_off[r]:ring_off[r + 1]] (closed or not),
    polygon q is rings poly_off[q]:poly_off[q + 1], its first ring the exterior, the others holes."""

    points: np.ndarray  # (N, 3) float64
    ring_off: np.ndarray  # (R + 1,) int64
    poly_off: np.ndarray  # (Q + 1,) int64


@dataclass
class Triangulation:
    triangles: np.ndarray  # (T, 3) int64 into Polygons.points
    polygon: np.ndarray  # (T,) the polygon each triangle belongs to
    normal: np.ndarray  # (Q, 3) unit normal of each polygon (zero where it was dropped)
    kept: np.ndarray  # (Q,) bool: False where the exterior ring was degenerate
    holes_dropped: np.ndarray  # (Q,) degenerate holes left out of kept polygons
    ring_points: np.ndarray  # (M,) the kept rings, cleaned and oriented, as indices into points
    ring_off: np.ndarray  # (R' + 1,) offsets into ring_points
    ring_polygon: np.ndarray  # (R',) the polygon of each kept ring


def offsets(counts: np.ndarray) -> np.ndarray:
    off = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=off[1:])
    return off


def _successor(off: np.ndarray) -> np.ndarray:
    """For points laid out ring after ring, the position of the next point around the same ring."""
    nxt = np.arange(1, off[-1] + 1, dtype=np.int64)
    full = off[1:] > off[:-1]
    nxt[off[1:][full] - 1] = off[:-1][full]
    return nxt


def _clean(points: np.ndarray, ring_off: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the points that stay (repeated points and closing points dropped) and the new
    ring offsets into them."""
    n_rings = len(ring_off) - 1
    ring = np.repeat(np.arange(n_rings), np.diff(ring_off))
    keep = np.isfinite(points).all(axis=1)
    if len(points) > 1:
        same = (ring[1:] == ring[:-1]) & (np.abs(points[1:] - points[:-1]).max(axis=1) < EPS_M)
        keep[1:] &= ~same
    idx = np.flatnonzero(keep)
    off = offsets(np.bincount(ring[idx], minlength=n_rings))
    two = off[1:] - off[:-1] >= 2
    last, first = off[1:][two] - 1, off[:-1][two]
    closing = np.abs(points[idx[last]] - points[idx[first]]).max(axis=1) < EPS_M
    if closing.any():
        idx = np.delete(idx, last[closing])
        off = offsets(np.bincount(ring[idx], minlength=n_rings))
    return idx, off


def _newell(p: np.ndarray, off: np.ndarray) -> np.ndarray:
    """(R, 3) Newell normal of each ring: its direction the ring's normal, its length twice its
    area (for a non-planar ring, the normal of the plane it is closest to)."""
    ring = np.repeat(np.arange(len(off) - 1), np.diff(off))
    local = p - p[off[:-1][ring]] if len(p) else p  # about each ring's first point: small numbers
    q = local[_successor(off)]
    parts = ((local[:, 1] - q[:, 1]) * (local[:, 2] + q[:, 2]), (local[:, 2] - q[:, 2]) * (local[:, 0] + q[:, 0]),
             (local[:, 0] - q[:, 0]) * (local[:, 1] + q[:, 1]))
    return np.column_stack([np.bincount(ring, w, minlength=len(off) - 1) for w in parts])


def _reverse(idx: np.ndarray, off: np.ndarray, flip: np.ndarray) -> np.ndarray:
    """idx with the rings marked in ``flip`` reversed in place."""
    ring = np.repeat(np.arange(len(off) - 1), np.diff(off))
    pos = np.arange(len(idx))
    sel = flip[ring]
    pos[sel] = off[:-1][ring[sel]] + off[1:][ring[sel]] - 1 - pos[sel]
    return idx[pos]


def _basis(normal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit u, v with (u, v, normal) right-handed: counter-clockwise in (u, v) is about the normal."""
    axis = np.where(np.abs(normal[:, 2:3]) < 0.9, [[0.0, 0.0, 1.0]], [[1.0, 0.0, 0.0]])
    u = np.cross(axis, normal)
    u /= np.maximum(np.linalg.norm(u, axis=1, keepdims=True), 1e-300)
    return u, np.cross(normal, u)


def triangulate(polys: Polygons, *, up: bool = False,
                progress: Callable[[int, int], None] | None = None) -> Triangulation:
    """Triangles of every polygon. ``up``: the polygons are footprints; each is cut in the xy plane
    and wound counter-clockwise seen from above, whatever its rings' orientation.
    ``progress(done, total)`` is called every 500 polygons (it may raise to stop the work)."""
    pts = np.asarray(polys.points, dtype=np.float64).reshape(-1, 3)
    ring_off, poly_off = np.asarray(polys.ring_off, dtype=np.int64), np.asarray(polys.poly_off, dtype=np.int64)
    n_poly = len(poly_off) - 1
    poly_of_ring = np.repeat(np.arange(n_poly), np.diff(poly_off))
    idx, off = _clean(pts, ring_off)
    p = pts[idx]
    ring_n = _newell(p, off)
    area = np.linalg.norm(ring_n, axis=1) / 2
    good = (np.diff(off) >= 3) & (area >= MIN_AREA_M2)
    has_rings = poly_off[1:] > poly_off[:-1]
    ext = poly_off[:-1][has_rings]
    kept = np.zeros(n_poly, dtype=bool)
    kept[has_rings] = good[ext]
    normal = np.zeros((n_poly, 3))
    if up:
        normal[kept, 2] = 1.0
    else:
        normal[has_rings] = ring_n[ext] / np.maximum(2 * area[ext], 1e-300)[:, None]
        normal[~kept] = 0.0
    is_ext = np.zeros(len(area), dtype=bool)
    is_ext[ext] = True
    facing = np.einsum("ij,ij->i", ring_n, normal[poly_of_ring])
    idx = _reverse(idx, off, np.where(is_ext, facing < 0, facing > 0))  # exterior about the normal, holes against
    ring_keep = good & kept[poly_of_ring]
    holes_dropped = np.bincount(poly_of_ring[~good & ~is_ext & kept[poly_of_ring]], minlength=n_poly)
    ring_of_pt = np.repeat(np.arange(len(area)), np.diff(off))
    idx = idx[ring_keep[ring_of_pt]]
    off = offsets(np.diff(off)[ring_keep])
    ring_polygon = poly_of_ring[ring_keep]
    tri, tri_poly = _cut(pts, idx, off, ring_polygon, normal, n_poly, progress)
    return Triangulation(tri, tri_poly, normal, kept, holes_dropped, idx, off, ring_polygon)


def _cut(pts, idx, off, ring_polygon, normal, n_poly, progress) -> tuple[np.ndarray, np.ndarray]:
    """Ear-cut each kept polygon in its own plane; triangles as indices into pts."""
    poff = offsets(np.bincount(ring_polygon, minlength=n_poly))
    ring_of_pt = np.repeat(np.arange(len(off) - 1), np.diff(off))
    poly_of_pt = ring_polygon[ring_of_pt]
    u, v = _basis(normal)
    origin = pts[idx[off[:-1][poff[:-1][poly_of_pt]]]] if len(idx) else np.zeros((0, 3))
    local = pts[idx] - origin
    uv = np.column_stack([np.einsum("ij,ij->i", local, u[poly_of_pt]), np.einsum("ij,ij->i", local, v[poly_of_pt])])
    n_rings, n_pts = np.diff(poff), off[poff[1:]] - off[poff[:-1]]
    simple = np.flatnonzero((n_rings == 1) & (n_pts == 3))  # a lone triangle needs no cutting
    slow = np.flatnonzero((n_rings >= 1) & ~((n_rings == 1) & (n_pts == 3)))
    starts, cuts = off[poff[slow]], []
    ends = (off[1:] - off[poff[ring_polygon]]).astype(np.uint32)  # each ring's end within its polygon
    earcut, first, last = mapbox_earcut.triangulate_float64, poff[slow].tolist(), poff[slow + 1].tolist()
    for k, (s, r0, r1) in enumerate(zip(starts.tolist(), first, last)):
        cuts.append(earcut(uv[s:s + int(ends[r1 - 1])], ends[r0:r1]))
        if progress is not None and k % PROGRESS_EVERY == PROGRESS_EVERY - 1:
            progress(k + 1, len(slow))
    n_cut = np.array([len(c) // 3 for c in cuts], dtype=np.int64)
    cut = np.concatenate(cuts).reshape(-1, 3).astype(np.int64) if cuts else np.zeros((0, 3), dtype=np.int64)
    tri = np.concatenate([off[poff[simple]][:, None] + np.arange(3), cut + np.repeat(starts, n_cut)[:, None]])
    tri_poly = np.concatenate([simple, np.repeat(slow, n_cut)]).astype(np.int64)
    a, b, c = uv[tri[:, 0]], uv[tri[:, 1]], uv[tri[:, 2]]
    cw = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0]) < 0
    tri[cw] = tri[cw][:, [0, 2, 1]]
    return idx[tri], tri_poly


def extrude(xy: np.ndarray, ring_off: np.ndarray, poly_off: np.ndarray, height: np.ndarray, *,
            progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                          np.ndarray, Triangulation]:
    """Footprints (x, y in metres) raised from the ground to ``height`` (one per polygon): walls,
    two triangles per edge, and a flat roof; no floor, nobody looks at a building from below.
    Returns points (2N, 3): the ground copy of xy, then the roof copy; triangles (T, 3); the
    polygon and the roof flag of each triangle; and the footprint triangulation (kept, holes)."""
    n = len(xy)
    flat = np.column_stack([xy, np.zeros(n)])
    cut = triangulate(Polygons(flat, ring_off, poly_off), up=True, progress=progress)
    poly_of_pt = np.repeat(np.repeat(np.arange(len(poly_off) - 1), np.diff(poly_off)), np.diff(ring_off))
    points = np.concatenate([flat, np.column_stack([xy, np.asarray(height, dtype=np.float64)[poly_of_pt]])])
    a = cut.ring_points
    b = a[_successor(cut.ring_off)]
    walls = np.stack([np.column_stack([a, b, b + n]), np.column_stack([a, b + n, a + n])], axis=1).reshape(-1, 3)
    wall_poly = np.repeat(np.repeat(cut.ring_polygon, np.diff(cut.ring_off)), 2)
    triangles = np.concatenate([walls, cut.triangles + n])
    polygon = np.concatenate([wall_poly, cut.polygon])
    roof = np.concatenate([np.zeros(len(walls), dtype=bool), np.ones(len(cut.triangles), dtype=bool)])
    return points, triangles, polygon, roof, cut

"""Buildings → a few merged meshes for the 3D scene, each triangle tagged with its building.

One actor per building draws ~10× slower than one merged mesh (DESIGN.md §6), yet an operator
picks and recolours single buildings. So buildings are merged into at most 64 spatial chunks of
comparable size, and each triangle carries its building's number: a pick reads the number of the
triangle hit, a recolour is one fancy-index of a colour table. Each chunk has a coarse twin, one
box per building (10 triangles), drawn while the camera moves.

A row with a CityJSON model is drawn from it; any other has its footprint raised to its height
(else its levels × 3 m, else 9 m). What cannot be drawn is left out and counted by reason.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely

from console.scene import parts
from console.scene.cityjson import read_model
from console.scene.frame import Frame
from console.scene.triangulate import offsets

LEVEL_M = 3.0
DEFAULT_HEIGHT_M = 9.0
PROGRESS_EVERY = 500  # buildings between progress reports
MAX_CHUNKS_LOG2 = 6  # at most 64 chunks: few draw calls, yet whole chunks fall out of view
CHUNK_TRIANGLES = 32_768  # fewer triangles than this in all: one chunk
HEIGHT_REPAIRS = (None, "height from levels", "height missing, 9 m assumed")
MAX_HEIGHT_M = 1000.0  # taller is a broken value (the tallest tower is 828 m): levels or 9 m instead
#: Farthest a drawn point may lie from the frame's origin (metres across, metres up): a point
#: beyond, or not finite, never reaches VTK (1e308 used to end in an IndexError there).
SCENE_XY_M, SCENE_Z_M = 1e6, 1e4


class Cancelled(Exception):
    """build_scene stopped because ``cancelled()`` said so (a newer request superseded it)."""


@dataclass
class BuildingMesh:
    points: np.ndarray  # (P, 3) float32, metres in the frame, ground at z = 0
    triangles: np.ndarray  # (T, 3) int32 into points
    building: np.ndarray  # (T,) int32: each triangle's building number (index into SceneGeometry.ids)
    roof: np.ndarray  # (T,) bool: roof / upward-facing surface (shaded lighter)


@dataclass
class Chunk:
    fine: BuildingMesh
    coarse: BuildingMesh  # one box per building: what is drawn while the camera moves


@dataclass
class SceneGeometry:
    frame: Frame
    ids: list[str]  # building ids in number order
    rows: list[dict]  # the source rows in the same order
    centres: np.ndarray  # (B, 3) float64: footprint centroid x, y and roof top z
    footprints_xy: list  # per building: shapely geometry in the frame (for sensor links)
    chunks: list[Chunk]  # spatial tiles, each merged; every building in exactly one
    bounds: tuple[float, float, float, float, float, float]  # xmin, xmax, ymin, ymax, zmin, zmax
    skipped: Counter  # reason -> buildings left out of the scene
    repaired: Counter  # reason -> buildings drawn after a repair


class _Ticker:
    """progress(done, total) about every PROGRESS_EVERY buildings, and the cancellation check."""

    def __init__(self, total: int, progress, cancelled) -> None:
        self.total, self.progress, self.cancelled, self.shown = total, progress, cancelled, None

    def __call__(self, done: int) -> None:
        if self.cancelled is not None and self.cancelled():
            raise Cancelled()
        if self.progress is not None and (self.shown is None or done - self.shown >= PROGRESS_EVERY
                                          or (done == self.total and self.shown != done)):
            self.shown = done
            self.progress(done, self.total)


def _height(row: dict) -> tuple[float, int]:
    """Height in metres and how it was found (index into HEIGHT_REPAIRS)."""
    for key, factor, how in (("height", 1.0, 0), ("levels", LEVEL_M, 1)):
        try:
            value = float(row.get(key)) * factor
        except (TypeError, ValueError):
            continue
        if math.isfinite(value) and 0 < value <= MAX_HEIGHT_M:
            return value, how
    return DEFAULT_HEIGHT_M, 2


def _text(value) -> str | None:
    if isinstance(value, dict):
        return json.dumps(value)
    return value if isinstance(value, str) and value.strip() else None


def _closed(text: str):
    """GeoJSON that GEOS refused, with its rings closed (some writers leave them open), or None."""
    try:
        geom = json.loads(text)
        polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        for poly in polys:
            for ring in poly:
                if ring and ring[0] != ring[-1]:
                    ring.append(ring[0])
        return shapely.from_geojson(json.dumps(geom), on_invalid="ignore")
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, shapely.errors.GEOSException):
        return None


def _footprints(rows: list[dict]) -> tuple[np.ndarray, list]:
    """Each row's footprint in lon/lat (None where there is none) and, where none, why."""
    texts = np.array([_text(r.get("footprint")) for r in rows] + [None], dtype=object)[:-1]
    geoms = shapely.from_geojson(texts, on_invalid="ignore")
    why: list = [None] * len(rows)
    for i in np.flatnonzero(shapely.is_missing(geoms) & (texts != None)):  # noqa: E711 (elementwise)
        geoms[i] = _closed(texts[i])
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6)) & ~shapely.is_empty(geoms)
    for i in np.flatnonzero(~polygonal).tolist():
        why[i] = "no footprint or model" if texts[i] is None else (
            "footprint unreadable" if geoms[i] is None else "footprint not a polygon")
    x0, y0, x1, y1 = shapely.bounds(geoms).T
    with np.errstate(invalid="ignore"):
        for i in np.flatnonzero((x0 < -180) | (x1 > 180) | (y0 < -90) | (y1 > 90)).tolist():
            why[i] = "footprint coordinates out of range"
    geoms[[w is not None for w in why]] = None
    return shapely.force_2d(geoms), why


def _frame_around(feet: np.ndarray, models: dict) -> Frame:
    boxes = [shapely.bounds(feet[~shapely.is_missing(feet)]).reshape(-1, 4)]
    boxes += [np.r_[m.lonlatz[:, :2].min(0), m.lonlatz[:, :2].max(0)][None] for m in models.values() if len(m.lonlatz)]
    box = np.concatenate(boxes)
    box = box[np.isfinite(box).all(axis=1) & (box[:, 0] >= -180) & (box[:, 2] <= 180)
              & (box[:, 1] >= -90) & (box[:, 3] <= 90)]
    if not len(box):
        return Frame(0.0, 0.0)
    return Frame.around(box[:, 0].min(), box[:, 1].min(), box[:, 2].max(), box[:, 3].max())


def _project(feet: np.ndarray, why: list, frame: Frame) -> None:
    """Footprints into the frame, in place; those PROJ cannot place are dropped."""
    has = ~shapely.is_missing(feet)
    feet[has] = shapely.transform(feet[has], frame.forward_xy)
    coords, owner = shapely.get_coordinates(feet, return_index=True)
    for i in np.unique(owner[~np.isfinite(coords).all(axis=1)]):
        feet[i], why[i] = None, "footprint coordinates out of range"


def build_scene(rows, frame: Frame | None = None, *, progress: Callable[[int, int], None] | None = None,
                cancelled: Callable[[], bool] | None = None) -> SceneGeometry:
    """The scene's buildings, merged into chunks. ``progress(done, total)`` about every 500
    buildings; ``cancelled()`` True raises Cancelled. Counts go in ``skipped`` / ``repaired``."""
    rows = list(rows)
    n = len(rows)
    tick = _Ticker(n, progress, cancelled)
    tick(0)
    feet, why = _footprints(rows)
    found, failed = {}, set()
    for i, row in enumerate(rows):
        if row.get("model"):
            try:
                found[i] = read_model(row["model"])
            except ValueError:
                failed.add(i)
    frame = frame or _frame_around(feet, found)
    _project(feet, why, frame)
    tick(0)
    modelled, fixes = parts.models(found, frame, tick)
    drawn = np.zeros(n, dtype=bool)
    drawn[modelled[2]] = True
    fallback = [i for i in sorted(failed | set(found)) if not drawn[i]]  # models that gave no triangle
    for i in fallback:
        if feet[i] is None:
            why[i] = "model unusable"
    fixes["model unusable, footprint extruded"] = np.array([i for i in fallback if feet[i] is not None], dtype=np.int64)
    ext = np.array([i for i in range(n) if feet[i] is not None and not drawn[i]], dtype=np.int64)
    heights = [_height(rows[i]) for i in ext.tolist()]
    how = np.array([h for _, h in heights], dtype=np.int64)
    for k in (1, 2):
        fixes[HEIGHT_REPAIRS[k]] = ext[how == k]
    raised, more = parts.extruded(feet[ext], ext, np.array([h for h, _ in heights], dtype=np.float64),
                                  lambda k: tick(len(found) + k))
    for reason, hit in more.items():
        fixes[reason] = np.union1d(fixes.get(reason, np.zeros(0, dtype=np.int64)), hit)
    points, tris, tri_row, roof = parts.merge(_drawable([modelled, raised]))
    counts = np.bincount(tri_row, minlength=n)
    kept = np.flatnonzero(counts > 0)
    skipped = Counter(why[i] or "footprint degenerate" for i in np.flatnonzero(counts == 0).tolist())
    repaired = +Counter({reason: int(np.isin(hit, kept).sum()) for reason, hit in fixes.items()})
    tick(n)
    footprints = _stand_ins(feet, kept, points, tris, tri_row)
    number = np.full(n, -1, dtype=np.int64)
    number[kept] = np.arange(len(kept))
    xy = shapely.get_coordinates(shapely.centroid(footprints)).reshape(-1, 2)
    chunks, top = _chunks(points, tris, number[tri_row], roof, footprints, xy)
    lo, hi = (points.min(axis=0), points.max(axis=0)) if len(points) else (np.zeros(3), np.zeros(3))
    bounds = (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]), float(lo[2]), float(hi[2]))
    return SceneGeometry(frame, [str(rows[i].get("id")) for i in kept.tolist()], [rows[i] for i in kept.tolist()],
                         np.column_stack([xy, top]), list(footprints), chunks, bounds, skipped, repaired)


def _drawable(pieces: list[parts.Part]) -> list[parts.Part]:
    """The pieces without the triangles that touch a point not finite or beyond the scene's
    extent (a model vertex at 1e308): a building left without triangles is counted as skipped."""
    out = []
    for points, tris, tri_row, roof in pieces:
        with np.errstate(invalid="ignore"):
            ok = (np.isfinite(points).all(axis=1) & (np.abs(points[:, :2]) <= SCENE_XY_M).all(axis=1)
                  & (np.abs(points[:, 2]) <= SCENE_Z_M))
        keep = ok[tris].all(axis=1) if len(tris) else np.zeros(0, bool)
        out.append((points, tris[keep], tri_row[keep], roof[keep]) if not keep.all() else (points, tris, tri_row, roof))
    return out


def _stand_ins(feet, kept, points, tris, tri_row) -> np.ndarray:
    """Each kept building's footprint; for a model without one, the hull of its points from above."""
    footprints = feet[kept].copy()
    need = np.flatnonzero(shapely.is_missing(footprints))
    if len(need):
        order = np.argsort(tri_row, kind="stable")
        lo = np.searchsorted(tri_row[order], kept[need])
        hi = np.searchsorted(tri_row[order], kept[need], side="right")
        for k, a, b in zip(need.tolist(), lo.tolist(), hi.tolist()):
            footprints[k] = parts.hull(points, tris[order[a:b]])
    return footprints


def _tiles(xy: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Tile number of each building: halve the longer side at the weighted median, again and again,
    so tiles hold comparable numbers of triangles wherever the city is dense or sparse."""
    total = int(weight.sum())
    levels = 0 if total <= CHUNK_TRIANGLES else min(MAX_CHUNKS_LOG2, math.ceil(math.log2(total / CHUNK_TRIANGLES)))
    groups = [np.arange(len(xy))]
    for _ in range(levels):
        halves = []
        for g in groups:
            if len(g) < 2:
                halves.append(g)
                continue
            axis = int(np.argmax(np.ptp(xy[g], axis=0)))
            g = g[np.argsort(xy[g, axis], kind="stable")]
            cum = np.cumsum(weight[g])
            cut = int(np.clip(np.searchsorted(cum, cum[-1] / 2) + 1, 1, len(g) - 1))
            halves += [g[:cut], g[cut:]]
        groups = halves
    tile = np.empty(len(xy), dtype=np.int64)
    for k, g in enumerate(groups):
        tile[g] = k
    return tile


#: A box: corners 0-3 on the ground (counter-clockwise from above), 4-7 above them; roof, then walls.
_BOX = np.array([[4, 5, 6], [4, 6, 7]] + [t for i in range(4) for t in
                                          ([i, (i + 1) % 4, (i + 1) % 4 + 4], [i, (i + 1) % 4 + 4, i + 4])])
_BOX_ROOF = np.arange(10) < 2


def _boxes(footprints: np.ndarray, top: np.ndarray) -> np.ndarray:
    """(B, 8, 3) corners of each building's coarse box: its footprint's minimum rotated rectangle."""
    rect = shapely.minimum_rotated_rectangle(footprints)
    bad = (shapely.get_type_id(rect) != 3) | (shapely.get_num_coordinates(rect) != 5)
    if bad.any():  # a sliver's rectangle is a line: a 1 m box instead
        x0, y0, x1, y1 = shapely.bounds(footprints[bad]).T
        rect[bad] = shapely.box(x0 - 0.5, y0 - 0.5, x1 + 0.5, y1 + 0.5)
    xy = shapely.get_coordinates(rect).reshape(-1, 5, 2)[:, :4]
    nxt = np.roll(xy, -1, axis=1)
    cw = (xy[..., 0] * nxt[..., 1] - nxt[..., 0] * xy[..., 1]).sum(axis=1) < 0
    xy[cw] = xy[cw][:, ::-1]
    box = np.zeros((len(xy), 8, 3), dtype=np.float32)
    box[:, :4, :2] = box[:, 4:, :2] = xy
    box[:, 4:, 2] = top[:, None]
    return box


def _chunks(points, tris, tri_b, roof, footprints, xy) -> tuple[list[Chunk], np.ndarray]:
    """The merged meshes, tile by tile, each building's triangles together; and each roof top."""
    n_b = len(footprints)
    if not n_b:
        return [], np.zeros(0)
    point_b = np.empty(len(points), dtype=np.int64)
    for k in range(3):
        point_b[tris[:, k]] = tri_b
    tile = _tiles(xy, np.bincount(tri_b, minlength=n_b))
    n_tiles = int(tile.max()) + 1
    order = np.argsort(tile[point_b] * n_b + point_b, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    p_off = offsets(np.bincount(tile[point_b], minlength=n_tiles))
    local = rank - p_off[tile[point_b]]
    sorted_b = point_b[order]
    starts = np.flatnonzero(np.r_[True, sorted_b[1:] != sorted_b[:-1]])
    top = np.zeros(n_b)
    top[sorted_b[starts]] = np.maximum.reduceat(points[order, 2], starts)
    t_order = np.argsort(tile[tri_b] * n_b + tri_b, kind="stable")
    t_off = offsets(np.bincount(tile[tri_b], minlength=n_tiles))
    fine_pts, fine_tris = points[order].astype(np.float32), local[tris[t_order]].astype(np.int32)
    fine_b, fine_roof = tri_b[t_order].astype(np.int32), roof[t_order]
    boxes = _boxes(footprints, top)
    chunks = []
    for c in range(n_tiles):
        members = np.flatnonzero(tile == c)
        t = slice(t_off[c], t_off[c + 1])
        coarse_tris = (_BOX[None] + 8 * np.arange(len(members))[:, None, None]).reshape(-1, 3).astype(np.int32)
        chunks.append(Chunk(
            BuildingMesh(fine_pts[p_off[c]:p_off[c + 1]], fine_tris[t], fine_b[t], fine_roof[t]),
            BuildingMesh(boxes[members].reshape(-1, 3), coarse_tris, np.repeat(members, 10).astype(np.int32),
                         np.tile(_BOX_ROOF, len(members)))))
    return chunks, top

"""Coarser twins of a tile's mesh, for where its detail is finer than the screen can show.

A tileset refines coarse to fine, but its finest tiles may hold more triangles than the pixels
they cover: the TilesetWithRequestVolume sample's one building is 66,094 triangles, ~120 pixels
tall from where the whole city block is in view, and costs the most of each frame on a software-GL
wall. Its twins are the same mesh with the vertices snapped to a grid (vertex clustering: each
vertex moves to the mean of the vertices in its cell; triangles that collapse are dropped), so
the error is known, not guessed: the farthest any vertex moved, in metres. The scene draws a twin
only where that error spans at most a pixel or two on screen. Feature numbers stay on the
triangles, so a twin picks as its tile does. Qt-free: the layer makes twins on its worker thread.
"""

from __future__ import annotations

import numpy as np

from console.scene.gltf import Model

MIN_TRIANGLES = 20_000  # a content smaller than this costs little to draw as it is
CELLS = (512, 256, 128, 64)  # twins' grids: the content's bounding diagonal over these
MIN_SHRINK = 0.7  # a twin with more than this share of its finer one's triangles is not worth keeping


def cluster(model: Model, cell: float) -> tuple[Model, float]:
    """``model`` with its vertices snapped to a grid of ``cell`` metres, and the farthest a vertex moved."""
    points = np.asarray(model.points, dtype=np.float64)
    grid = np.floor((points - points.min(axis=0)) / cell).astype(np.int64)
    size = grid.max(axis=0) + 1 if len(grid) else np.ones(3, dtype=np.int64)
    _, where = np.unique((grid[:, 0] * size[1] + grid[:, 1]) * size[2] + grid[:, 2], return_inverse=True)
    count = np.bincount(where)
    merged = np.column_stack([np.bincount(where, points[:, k]) for k in range(3)]) / count[:, None]
    error = float(np.linalg.norm(points - merged[where], axis=1).max()) if len(points) else 0.0
    corners = where[np.asarray(model.triangles, dtype=np.int64)]
    whole = (corners[:, 0] != corners[:, 1]) & (corners[:, 1] != corners[:, 2]) & (corners[:, 0] != corners[:, 2])
    corners, feature = corners[whole], np.asarray(model.feature)[whole]
    ordered = np.sort(corners, axis=1)
    n = len(count)
    keys = (ordered[:, 0] * n + ordered[:, 1]) * n + ordered[:, 2] if n < 2_000_000 else ordered
    _, first = np.unique(keys, axis=0 if keys.ndim == 2 else None, return_index=True)  # a face twice: once
    first.sort()
    return Model(merged, corners[first], feature[first], model.properties), error


def twins(model: Model) -> list[tuple[float, Model]]:
    """(error in metres, twin) from finest to coarsest; none for a content cheap to draw as it is."""
    points = np.asarray(model.points, dtype=np.float64)
    if len(model.triangles) < MIN_TRIANGLES or not len(points) or not np.isfinite(points).all():
        return []
    diagonal = float(np.linalg.norm(np.ptp(points, axis=0)))
    if diagonal <= 0:
        return []
    out: list[tuple[float, Model]] = []
    fewer = len(model.triangles)
    for cells in CELLS:
        twin, error = cluster(model, diagonal / cells)
        if len(twin.triangles) > MIN_SHRINK * fewer:
            continue
        out.append((error, twin))
        fewer = len(twin.triangles)
    return out

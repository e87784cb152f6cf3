"""Clustering of map points for one zoom: markers that would overlap on screen become one.

A grid in *world* metres (cell = the radius in pixels at this zoom) bins the points with
numpy; neighbouring cells whose centroids lie within the radius are then merged greedily,
biggest first, so a group that straddles a cell border is still one cluster. The grid is
anchored at the world origin, not the screen, so panning never reshuffles clusters, and ties
are broken by cell key: the same points at the same zoom give the same clusters every time.
100,000 points cluster in a few tens of milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Clusters:
    """Per cluster: centroid (metres), member count, worst (lowest) severity and a representative
    member (the most severe, earliest index); per point: ``label``, the cluster it belongs to."""

    x: np.ndarray
    y: np.ndarray
    count: np.ndarray
    worst: np.ndarray
    first: np.ndarray
    label: np.ndarray

    def __len__(self) -> int:
        return len(self.count)

    def members(self, k: int) -> np.ndarray:
        return np.flatnonzero(self.label == k)


def _empty() -> Clusters:
    e = np.zeros(0)
    return Clusters(e, e, e.astype(np.int64), e.astype(np.int64), e.astype(np.int64), e.astype(np.int64))


def _merge(ix: np.ndarray, iy: np.ndarray, cx: np.ndarray, cy: np.ndarray, count: np.ndarray,
           radius: float) -> np.ndarray:
    """Root cell of each cell: biggest cells first absorb the neighbouring cells within ``radius``."""
    m = len(count)
    key_to_cell = {(int(a), int(b)): i for i, (a, b) in enumerate(zip(ix.tolist(), iy.tolist()))}
    order = np.lexsort((iy, ix, -count))  # most points first; ties by cell key (deterministic)
    root = np.full(m, -1, dtype=np.int64)
    r2 = radius * radius
    ixl, iyl, cxl, cyl = ix.tolist(), iy.tolist(), cx.tolist(), cy.tolist()
    for i in order.tolist():
        if root[i] >= 0:
            continue
        root[i] = i
        a, b, x, y = ixl[i], iyl[i], cxl[i], cyl[i]
        for da in (-1, 0, 1):
            for db in (-1, 0, 1):
                j = key_to_cell.get((a + da, b + db))
                if j is not None and root[j] < 0 and (cxl[j] - x) ** 2 + (cyl[j] - y) ** 2 <= r2:
                    root[j] = i
    return root


def cluster(x: np.ndarray, y: np.ndarray, severity: np.ndarray | None, scale: float,
            radius_px: float = 36.0) -> Clusters:
    """Cluster points (metres) for a map drawn at ``scale`` pixels per metre.

    Points closer than about ``radius_px`` on screen end up in one cluster; at a zoom where
    they are further apart every point is its own cluster.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    n = len(x)
    if n == 0:
        return _empty()
    sev = np.full(n, 4, dtype=np.int64) if severity is None else np.asarray(severity, dtype=np.int64)
    radius = radius_px / scale  # metres
    gx = np.floor(x / radius).astype(np.int64)
    gy = np.floor(y / radius).astype(np.int64)
    span = int(gy.max() - gy.min()) + 1
    key = (gx - gx.min()) * span + (gy - gy.min())
    cells, first_of_cell, inv = np.unique(key, return_index=True, return_inverse=True)
    cnt = np.bincount(inv)
    cx = np.bincount(inv, x) / cnt
    cy = np.bincount(inv, y) / cnt
    root = _merge(gx[first_of_cell], gy[first_of_cell], cx, cy, cnt, radius)
    roots, cell_label = np.unique(root, return_inverse=True)
    label = cell_label[inv]
    k = len(roots)
    count = np.bincount(label, minlength=k)
    ccx = np.bincount(label, x, minlength=k) / count
    ccy = np.bincount(label, y, minlength=k) / count
    order = np.lexsort((np.arange(n), sev, label))  # by cluster, then most severe, then index
    starts = np.searchsorted(label[order], np.arange(k))
    first = order[starts]
    return Clusters(ccx, ccy, count, sev[first], first, label)


def fan_out(clusters: Clusters, radius_px: float = 26.0) -> tuple[np.ndarray, np.ndarray]:
    """Screen offsets (dx, dy pixels, y down) that spread the members of each cluster around its
    centre: at the closest zoom, incidents at one address still get a marker each to click."""
    n = len(clusters.label)
    dx, dy = np.zeros(n), np.zeros(n)
    for k in np.flatnonzero(clusters.count > 1).tolist():
        members = clusters.members(k)
        m = len(members)
        ring = radius_px * max(1.0, m / 6)  # more members: a wider ring, so markers do not touch
        angles = -math.pi / 2 + 2 * math.pi * np.arange(m) / m
        dx[members] = ring * np.cos(angles)
        dy[members] = ring * np.sin(angles)
    return dx, dy

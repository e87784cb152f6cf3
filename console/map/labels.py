"""Greedy label placement in screen pixels: labels never overlap, the important ones win.

Labels are taken in priority order (districts, then major streets, then minor ones; within a
rank, longer streets first); each tries its candidate spots in turn and takes the first one
that is inside the area, clear of the blocked rectangles (legend, scale bar) and of every label
already placed. Labels may be rotated (street names follow the street), so overlap is tested
on the rotated rectangles (separating axes), with a grid of buckets keeping it near-linear.
A name repeated along a long street keeps a minimum distance from its twins.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

Spot = tuple[float, float, float]  # centre x, centre y (pixels, y down), angle (radians)
BUCKET = 64.0


@dataclass(frozen=True)
class Label:
    """Text of ``w`` × ``h`` pixels that may sit at any of ``spots`` (tried in order)."""

    text: str
    w: float
    h: float
    spots: tuple[Spot, ...]
    priority: float = 0.0  # lower is placed first
    group: str = ""  # labels of one group (a street's name) keep ``repeat_gap`` apart
    data: object = None  # what the caller needs to draw it (style, font)


@dataclass(frozen=True)
class Placed:
    label: Label
    x: float
    y: float
    angle: float
    corners: np.ndarray  # (4, 2): the rotated rectangle, padding included


def corners(x: float, y: float, w: float, h: float, angle: float, pad: float = 0.0) -> np.ndarray:
    """The four corners of a w × h rectangle centred on (x, y) and turned by ``angle``."""
    c, s = math.cos(angle), math.sin(angle)
    hw, hh = w / 2 + pad, h / 2 + pad
    local = np.array([[-hw, -hh], [hw, -hh], [hw, hh], [-hw, hh]])
    return local @ np.array([[c, s], [-s, c]]) + (x, y)


def overlap(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two convex quadrilaterals overlap (touching edges do not count)."""
    for quad in (a, b):
        for i in range(2):  # a rectangle has two edge directions
            edge = quad[i + 1] - quad[i]
            axis = np.array([-edge[1], edge[0]])
            pa, pb = a @ axis, b @ axis
            if pa.max() <= pb.min() + 1e-9 or pb.max() <= pa.min() + 1e-9:
                return False
    return True


def line_spots(xy: np.ndarray, length: float, step: float = 40.0, straightness: float = 0.97) -> list[Spot]:
    """Where along a polyline (pixels) a straight label ``length`` long lies on the line: spots
    whose chord of that length is nearly as long as the path under it, best-centred first.
    Angles are kept upright (text never reads upside down)."""
    xy = np.asarray(xy, dtype=np.float64)
    if len(xy) < 2:
        return []
    seg = np.hypot(*np.diff(xy, axis=0).T)
    dist = np.concatenate([[0.0], np.cumsum(seg)])
    total = dist[-1]
    if total < length:
        return []
    centres = np.arange(length / 2, total - length / 2 + 1e-9, step) if total > length else np.array([total / 2])
    if len(centres) == 0:
        centres = np.array([total / 2])
    ax = np.interp(centres - length / 2, dist, xy[:, 0])
    ay = np.interp(centres - length / 2, dist, xy[:, 1])
    bx = np.interp(centres + length / 2, dist, xy[:, 0])
    by = np.interp(centres + length / 2, dist, xy[:, 1])
    chord = np.hypot(bx - ax, by - ay)
    good = chord >= straightness * length
    order = np.argsort(np.abs(centres - total / 2), kind="stable")
    spots = []
    for i in order.tolist():
        if good[i]:
            angle = math.atan2(by[i] - ay[i], bx[i] - ax[i])
            if angle > math.pi / 2:
                angle -= math.pi
            elif angle <= -math.pi / 2:
                angle += math.pi
            spots.append(((ax[i] + bx[i]) / 2, (ay[i] + by[i]) / 2, angle))
    return spots


class _Buckets:
    """Placed rectangles indexed by the grid cells their bounding boxes touch."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], list[np.ndarray]] = {}

    @staticmethod
    def _keys(quad: np.ndarray) -> Iterable[tuple[int, int]]:
        (x0, y0), (x1, y1) = quad.min(axis=0) // BUCKET, quad.max(axis=0) // BUCKET
        return ((i, j) for i in range(int(x0), int(x1) + 1) for j in range(int(y0), int(y1) + 1))

    def hits(self, quad: np.ndarray) -> bool:
        seen: set[int] = set()
        for key in self._keys(quad):
            for other in self.cells.get(key, ()):
                if id(other) not in seen:
                    seen.add(id(other))
                    if overlap(quad, other):
                        return True
        return False

    def add(self, quad: np.ndarray) -> None:
        for key in self._keys(quad):
            self.cells.setdefault(key, []).append(quad)


def _inset(label: Label, pad: float) -> float:
    """How far a spot must be from the area's edge for its label to fit at some angle: a turned
    rectangle reaches at least half its shorter side (and the padding) from its centre along x and y
    (a hair less, so rounding never drops a spot the exact test would take)."""
    return min(label.w, label.h) / 2 + pad - 1e-9


def _in_reach(blocked: Sequence[tuple[float, float, float, float]] | np.ndarray, labels: Sequence[Label],
              pad: float, area: tuple[float, float] | None) -> list[list[float]]:
    """The blocked rectangles some label could touch at one of its spots (at any angle): only these
    can change where a label goes. A street-zoom map blocks hundreds of markers for a few names,
    and indexing every one of them cost more than placing the names."""
    boxes = np.asarray(blocked, dtype=np.float64).reshape(-1, 4)
    spots = np.array([(x, y, math.hypot(lb.w / 2 + pad, lb.h / 2 + pad), _inset(lb, pad))
                      for lb in labels for x, y, _ in lb.spots], dtype=np.float64).reshape(-1, 4)
    if area is not None:
        x, y, inset = spots[:, 0], spots[:, 1], spots[:, 3]
        spots = spots[(inset <= x) & (x <= area[0] - inset) & (inset <= y) & (y <= area[1] - inset)]
    if not len(boxes) or not len(spots):
        return []
    near = np.zeros(len(boxes), dtype=bool)
    for start in range(0, len(spots), 256):  # a bounded matrix per step, however many spots
        x, y, r = (spots[start:start + 256, k, None] for k in range(3))
        near |= ((boxes[:, 0] <= x + r) & (boxes[:, 2] >= x - r) & (boxes[:, 1] <= y + r) &
                 (boxes[:, 3] >= y - r)).any(axis=0)
    return boxes[near].tolist()


def place_labels(labels: Sequence[Label], width: float | None = None, height: float | None = None,
                 pad: float = 2.0, blocked: Sequence[tuple[float, float, float, float]] = (),
                 repeat_gap: float = 320.0) -> list[Placed]:
    """Place what fits, most important first; the result never holds two overlapping labels.

    ``width``/``height`` bound the area (labels must lie wholly inside); ``blocked`` are
    (x0, y0, x1, y1) rectangles no label may cover.
    """
    bounded = width is not None and height is not None
    taken = _Buckets()
    for x0, y0, x1, y1 in _in_reach(blocked, labels, pad, (width, height) if bounded else None):
        taken.add(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64))
    placed: list[Placed] = []
    where: dict[str, list[tuple[float, float]]] = {}
    for label in sorted(labels, key=lambda lb: lb.priority):  # sorted() is stable: ties keep their order
        inset = _inset(label, pad)
        for x, y, angle in label.spots:
            if bounded and not (inset <= x <= width - inset and inset <= y <= height - inset):
                continue  # it would reach outside the area at any angle: no need to turn it
            quad = corners(x, y, label.w, label.h, angle, pad)
            if bounded:
                lo, hi = quad.min(axis=0), quad.max(axis=0)
                if lo[0] < 0 or lo[1] < 0 or hi[0] > width or hi[1] > height:
                    continue
            if label.group and any((x - a) ** 2 + (y - b) ** 2 < repeat_gap ** 2 for a, b in where.get(label.group, ())):
                continue
            if taken.hits(quad):
                continue
            taken.add(quad)
            placed.append(Placed(label, x, y, angle, quad))
            if label.group:
                where.setdefault(label.group, []).append((x, y))
            break
    return placed

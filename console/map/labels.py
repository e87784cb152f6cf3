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


Quad = list[tuple[float, float]]  # four corners, in order around the rectangle
Box = tuple[float, float, float, float]  # x0, y0, x1, y1


def _quad(x: float, y: float, w: float, h: float, angle: float, pad: float = 0.0) -> Quad:
    """``corners`` as plain floats: placement tries thousands of spots a second, and numpy's
    overhead on four points was most of the cost."""
    c, s = math.cos(angle), math.sin(angle)
    hw, hh = w / 2 + pad, h / 2 + pad
    return [(x + lx * c - ly * s, y + lx * s + ly * c) for lx, ly in ((-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh))]


def corners(x: float, y: float, w: float, h: float, angle: float, pad: float = 0.0) -> np.ndarray:
    """The four corners of a w × h rectangle centred on (x, y) and turned by ``angle``."""
    return np.array(_quad(x, y, w, h, angle, pad))


def _bounds(quad: Quad) -> Box:
    xs, ys = [p[0] for p in quad], [p[1] for p in quad]
    return min(xs), min(ys), max(xs), max(ys)


def _apart(a: Quad, b: Quad) -> bool:
    """Whether one of ``a``'s two edge directions separates the two (touching counts as apart)."""
    for i in range(2):  # a rectangle has two edge directions
        ax, ay = a[i][1] - a[i + 1][1], a[i + 1][0] - a[i][0]
        pa, pb = [x * ax + y * ay for x, y in a], [x * ax + y * ay for x, y in b]
        if max(pa) <= min(pb) + 1e-9 or max(pb) <= min(pa) + 1e-9:
            return True
    return False


def overlap(a: np.ndarray | Quad, b: np.ndarray | Quad) -> bool:
    """Whether two convex quadrilaterals overlap (touching edges do not count)."""
    a, b = [tuple(p) for p in np.asarray(a).tolist()], [tuple(p) for p in np.asarray(b).tolist()]
    return not (_apart(a, b) or _apart(b, a))


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
    """Placed rectangles (corners and bounding box) indexed by the grid cells their boxes touch."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], list[tuple[Quad, Box]]] = {}

    @staticmethod
    def _keys(box: Box) -> Iterable[tuple[int, int]]:
        x0, y0, x1, y1 = (int(v // BUCKET) for v in box)
        return ((i, j) for i in range(x0, x1 + 1) for j in range(y0, y1 + 1))

    def hits(self, quad: Quad, box: Box) -> bool:
        seen: set[int] = set()
        for key in self._keys(box):
            for other in self.cells.get(key, ()):
                if id(other) not in seen:
                    seen.add(id(other))
                    (q, (x0, y0, x1, y1)) = other
                    if x1 < box[0] or box[2] < x0 or y1 < box[1] or box[3] < y0:
                        continue  # boxes wholly apart: so are the rectangles
                    if not (_apart(quad, q) or _apart(q, quad)):
                        return True
        return False

    def add(self, quad: Quad, box: Box) -> None:
        item = (quad, box)
        for key in self._keys(box):
            self.cells.setdefault(key, []).append(item)


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
        quad = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
        taken.add(quad, _bounds(quad))
    placed: list[Placed] = []
    where: dict[str, list[tuple[float, float]]] = {}
    for label in sorted(labels, key=lambda lb: lb.priority):  # sorted() is stable: ties keep their order
        inset = _inset(label, pad)
        for x, y, angle in label.spots:
            if bounded and not (inset <= x <= width - inset and inset <= y <= height - inset):
                continue  # it would reach outside the area at any angle: no need to turn it
            quad = _quad(x, y, label.w, label.h, angle, pad)
            box = _bounds(quad)
            if bounded and (box[0] < 0 or box[1] < 0 or box[2] > width or box[3] > height):
                continue
            if label.group and any((x - a) ** 2 + (y - b) ** 2 < repeat_gap ** 2 for a, b in where.get(label.group, ())):
                continue
            if taken.hits(quad, box):
                continue
            taken.add(quad, box)
            placed.append(Placed(label, x, y, angle, np.array(quad)))
            if label.group:
                where.setdefault(label.group, []).append((x, y))
            break
    return placed

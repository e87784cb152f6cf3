"""Where the map's furniture (layer chips, north arrow, scale bar, keys) goes in a panel, and the
rectangle left for the map itself.

The furniture stays in the panel's corners: the chips top left (in rows, or a column), the north
arrow top right, the scale bar bottom left, the keys bottom right.
The city's extent (districts, open incidents, units) is fitted as large as it can be in a box
that no corner piece overlaps: each piece sits either beside the box (in the ground left over
where the panel's shape differs from the city's) or above or below it. Every arrangement of the
pieces and every choice of beside/above is tried (a few hundred, cheap sums) and the largest
city wins; so a wide panel puts the chips in a column beside a tall city, a tall panel above it.
Nothing the map must show lies under a chip or a key, and the panel is used, not left black.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QRectF, QSizeF

EDGE = 8.0  # from the panel's edge
GAP = 6.0  # between two pieces of furniture
CLEAR = 8.0  # between the furniture and the map's box
PAD = 34.0  # a point of the fitted extent stays this far inside the box: the largest cluster at its edge shows whole

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in world metres


@dataclass(frozen=True)
class Extent:
    """What the city view must show whole: the city's map (its edge may touch the box) and the
    points on it, markers and units, which need room for their icons beyond their centres."""

    city: Box
    points: Box | None = None

    @property
    def box(self) -> Box:
        if self.points is None:
            return self.city
        (a, b, c, d), (e, f, g, h) = self.city, self.points
        return min(a, e), min(b, f), max(c, g), max(d, h)

    def centre(self) -> tuple[float, float]:
        x0, y0, x1, y1 = self.box
        return (x0 + x1) / 2, (y0 + y1) / 2


@dataclass(frozen=True)
class Furniture:
    """The sizes of what is laid out, in pixels."""

    chips: tuple[QSizeF, ...]
    arrow: QSizeF
    scale_bars: tuple[QSizeF, ...]  # the most room the scale bar takes at each length it may have
    keys: tuple[tuple[QSizeF, QSizeF], ...]  # bottom up: each key's (side by side, stacked) size


@dataclass(frozen=True)
class Frame:
    area: QRectF  # the map's extent is fitted in here, clear of every piece of furniture
    chips: tuple[QRectF, ...]
    arrow: QRectF
    scale_bar: tuple[float, float, int | None]  # its left, its bottom and which of Furniture.scale_bars (None: none)
    keys: tuple[QRectF, ...]  # as Furniture.keys, each at its place
    stacked: bool  # the keys stand in their stacked form


def extent_of(city: Box, x: np.ndarray, y: np.ndarray) -> Extent:
    """The city's box and the points (x, y) within reach of it: one far away (an imported event
    across the world) does not shrink the city to a dot."""
    reach = 0.5 * max(city[2] - city[0], city[3] - city[1])
    near = (x >= city[0] - reach) & (x <= city[2] + reach) & (y >= city[1] - reach) & (y <= city[3] + reach)
    x, y = x[near], y[near]
    return Extent(tuple(float(v) for v in city), (float(x.min()), float(y.min()), float(x.max()), float(y.max()))
                  if len(x) else None)


def fit_scale(extent: Extent, area: QRectF, pad: float = PAD) -> float:
    """Pixels per metre at which ``extent``, centred, fills ``area``: the city's edge may reach the
    area's, a point stays ``pad`` pixels inside it."""
    cx, cy = extent.centre()
    rooms = (area.width() / 2, area.width() / 2, area.height() / 2, area.height() / 2)

    def reach(b: Box) -> tuple[float, float, float, float]:  # from the centre to each side: W, E, S, N
        return cx - b[0], b[2] - cx, cy - b[1], b[3] - cy

    limits = [room / max(d, 0.5) for room, d in zip(rooms, reach(extent.city))]
    if extent.points is not None:
        limits += [max(room - pad, 1.0) / max(d, 0.5) for room, d in zip(rooms, reach(extent.points))]
    return max(1e-6, min(limits))


def _chip_blocks(chips: tuple[QSizeF, ...]) -> list[list[QRectF]]:
    """The chips in rows of n (every n from all in one row to one a row), from (0, 0)."""
    blocks = []
    for per_row in range(max(1, len(chips)), 0, -1):
        rects, y = [], 0.0
        for start in range(0, len(chips), per_row):
            row, x = chips[start:start + per_row], 0.0
            for size in row:
                rects.append(QRectF(x, y, size.width(), size.height()))
                x += size.width() + GAP
            y += max(s.height() for s in row) + GAP
        blocks.append(rects)
    return blocks


def _box(rects: list[QRectF]) -> tuple[float, float]:
    return (max((r.right() for r in rects), default=0.0), max((r.bottom() for r in rects), default=0.0))


def frame(f: Furniture, width: float, height: float, extent: Extent) -> Frame:
    """The arrangement that shows ``extent`` (world metres) the largest in a width × height panel."""
    aw, ah = f.arrow.width(), f.arrow.height()
    found = []  # (scale, chip rows, stacked keys, shorter scale bar, the arrangement)
    spare = None  # the first arrangement whose pieces clear one another, though they leave the map no box
    for chips in _chip_blocks(f.chips):
        cw, ch = _box(chips)
        if cw + GAP + aw > width - 2 * EDGE:  # a chip never runs under the north arrow
            continue
        rows = len({r.top() for r in chips})
        for stacked, bar in itertools.product((False, True), range(len(f.scale_bars)) or [None]):
            sb = f.scale_bars[bar] if bar is not None else QSizeF(0, 0)
            bl = (sb.width(), sb.height())
            keys = [k[1] if stacked else k[0] for k in f.keys]
            br = (max((k.width() for k in keys), default=0.0), sum(k.height() + GAP for k in keys) - GAP)
            if bl[0] + GAP + br[0] > width - 2 * EDGE or max(ch + GAP + bl[1], ah + GAP + br[1]) > height - 2 * EDGE:
                continue  # the corner pieces would overlap one another
            if cw + GAP + br[0] > width - 2 * EDGE and ch + GAP + br[1] > height - 2 * EDGE:
                continue  # the chips' rows would reach down into the keys
            spare = spare or (QRectF(0, 0, width, height), chips, stacked, bar, keys)
            corners = ((cw, ch, True, True), (aw, ah, False, True), (*bl, True, False), (*br, False, False))
            for choice in itertools.product((True, False), repeat=4):  # each piece: beside the box, or above/below
                lo_x, hi_x, lo_y, hi_y = EDGE, width - EDGE, EDGE, height - EDGE
                for (w, h, left, top), beside in zip(corners, choice):
                    if beside and left:
                        lo_x = max(lo_x, EDGE + w + CLEAR)
                    elif beside:
                        hi_x = min(hi_x, width - EDGE - w - CLEAR)
                    elif top:
                        lo_y = max(lo_y, EDGE + h + CLEAR)
                    else:
                        hi_y = min(hi_y, height - EDGE - h - CLEAR)
                if hi_x - lo_x > 2 * PAD and hi_y - lo_y > 2 * PAD:
                    area = QRectF(lo_x, lo_y, hi_x - lo_x, hi_y - lo_y)
                    found.append((fit_scale(extent, area), rows, stacked, bar, (area, chips, stacked, bar, keys)))
    if not found and f.scale_bars:  # no room for it all: the scale bar gives way first (the keys say what is what)
        return frame(dataclasses.replace(f, scale_bars=()), width, height, extent)
    if not found and spare is not None:  # then the furniture stands over the map, clear of one another
        return _placed(f, width, height, *spare)
    if not found and not f.arrow.isEmpty():  # then the north arrow (the wall's maps are always north up)
        return frame(dataclasses.replace(f, arrow=QSizeF(0, 0)), width, height, extent)
    if not found:  # a panel too small for any arrangement: the furniture over the map, the chips in as few rows as fit
        blocks = _chip_blocks(f.chips)
        chips = next((b for b in blocks if _box(b)[0] + GAP + aw <= width - 2 * EDGE), blocks[-1])
        return _placed(f, width, height, QRectF(0, 0, width, height), chips, True, None, [k[1] for k in f.keys])
    largest = max(c[0] for c in found)

    def off_centre(c: tuple) -> int:  # in twentieths of the panel: the map in the middle reads best
        centre = c[4][0].center()
        return round(20 * (abs(centre.x() / width - 0.5) + abs(centre.y() / height - 0.5)))

    # among those within 1 % of the largest city: the most central, fewest chip rows, keys side by
    # side, the longer scale bar
    chosen = min((c for c in found if c[0] >= largest * 0.99), key=lambda c: (off_centre(c), *c[1:4]))
    return _placed(f, width, height, *chosen[4])


def _placed(f: Furniture, width: float, height: float, area: QRectF, chips: list[QRectF], stacked: bool,
            bar: int | None, keys: list[QSizeF]) -> Frame:
    """Every piece at its corner, as the arrangement chose."""
    arrow = QRectF(width - EDGE - f.arrow.width(), EDGE, f.arrow.width(), f.arrow.height())
    placed_keys, bottom = [], height - EDGE
    for k in keys:
        placed_keys.append(QRectF(width - EDGE - k.width(), bottom - k.height(), k.width(), k.height()))
        bottom = placed_keys[-1].top() - GAP
    return Frame(area, tuple(r.translated(EDGE, EDGE) for r in chips), arrow, (EDGE, height - EDGE, bar),
                 tuple(placed_keys), stacked)

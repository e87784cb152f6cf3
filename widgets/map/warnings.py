"""The public warnings in force on the map: their areas outlined, quietly but visibly (DESIGN §7).

A warning's area is drawn under the incidents and units: a faint wash and a fine diagonal
hatch in the theme's warning colour, a dashed outline two pixels wide, and, at the area's top,
the hazard's name beside a small warning triangle (shape and word, not only colour), placed
clear of the map's chips and keys (a line lower, or beside, when they are in the way). A city-
wide warning covering the whole view stays a wash; it never hides the map beneath it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen, QPolygonF

from console.cap.live import InForce
from console.map.labels import Label, place_labels
from console.map.projection import Projection, drawable
from widgets.map import style
from widgets.map.basemap import View
from widgets.warning_banner import warning_colour

WASH_ALPHA = 26
HATCH_ALPHA = 48


@dataclass(frozen=True)
class WarningArea:
    """One warning's outline in world metres (a path of its rings) and its label."""

    id: str
    path: QPainterPath
    label: str
    top: tuple[float, float]  # world point the label hangs from: the area's highest point


def warning_areas(shown: list[InForce], projection: Projection) -> list[WarningArea]:
    """The warnings' rings projected to the map's metres (rings that cannot be drawn are left out)."""
    out = []
    for w in shown:
        path = QPainterPath()
        path.setFillRule(Qt.FillRule.WindingFill)
        tops = []
        for ring in w.rings:
            xy = projection.forward_xy(np.array(ring, dtype=np.float64))
            if len(xy) < 3 or not drawable(xy).all():
                continue
            path.addPolygon(QPolygonF([QPointF(x, y) for x, y in xy.tolist()]))
            path.closeSubpath()
            tops.append(tuple(xy[int(np.argmax(xy[:, 1]))]))
        if tops:
            out.append(WarningArea(w.id, path, w.event, max(tops, key=lambda t: t[1])))
    return out


def paint_warnings(p: QPainter, view: View, areas: list[WarningArea], paths: style.TextPaths,
                   blocked: list[tuple[float, float, float, float]] = ()) -> list[tuple[float, float, float, float]]:
    """Draw the areas and their names (clear of ``blocked`` boxes); returns where the names went."""
    if not areas:
        return []
    colour = warning_colour()
    wash, hatch = QColor(colour), QColor(colour)
    wash.setAlpha(WASH_ALPHA)
    hatch.setAlpha(HATCH_ALPHA)
    hatch_brush = QBrush(hatch, Qt.BrushStyle.BDiagPattern)
    outline = QPen(colour, 2, Qt.PenStyle.DashLine)
    outline.setCosmetic(True)  # two pixels at any zoom
    p.save()
    p.setTransform(view.transform(), True)
    for area in areas:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(wash)
        p.drawPath(area.path)
        p.setBrush(hatch_brush)
        brush_transform = p.transform().inverted()[0]  # the hatch in screen pixels, not in metres
        hatch_brush.setTransform(brush_transform)
        p.setBrush(hatch_brush)
        p.drawPath(area.path)
        p.setPen(outline)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(area.path)
    p.restore()
    font = style.font(17, bold=True)
    labels = [_label(area, view, paths, font) for area in areas]
    placed = place_labels(labels, view.width, view.height, pad=3.0, blocked=blocked)
    for pl in placed:
        style.draw_text(p, paths, pl.label.text, font, pl.x, pl.y, colour)
    return [(*pl.corners.min(axis=0), *pl.corners.max(axis=0)) for pl in placed]


def _label(area: WarningArea, view: View, paths: style.TextPaths, font) -> Label:
    """The name hangs just under the area's top (kept inside the view); where a chip, a key or
    another name is, it tries a line lower, then beside, down to the bottom of the view."""
    text = f"⚠ {area.label}"
    w, h = paths.size(text, font)
    margin = 6.0
    x = view.width / 2 + (area.top[0] - view.cx) * view.scale
    y = view.height / 2 - (area.top[1] - view.cy) * view.scale + 16
    x = min(max(x, w / 2 + margin), view.width - w / 2 - margin)
    y = min(max(y, h / 2 + margin), view.height - h / 2 - margin)
    steps = max(1, int((view.height - margin - y) / (h * 1.3)) + 1)
    spots = []
    for k in range(steps):
        for dx in (0.0, -w * 0.6, w * 0.6):
            spots.append((min(max(x + dx, w / 2 + margin), view.width - w / 2 - margin), y + k * h * 1.3, 0.0))
    return Label(text, w, h, tuple(spots))

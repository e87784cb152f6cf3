"""The public warnings in force on the map: their areas outlined, quietly but visibly (DESIGN §7).

A warning's area is drawn under the incidents and units: a faint wash and a fine diagonal
hatch in the theme's warning colour, a dashed outline two pixels wide, and, at the area's top,
the hazard's name beside a small warning triangle (shape and word, not only colour). A city-
wide warning covering the whole view stays a wash; it never hides the map beneath it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen, QPolygonF

from console.cap.live import InForce
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


def paint_warnings(p: QPainter, view: View, areas: list[WarningArea], paths: style.TextPaths) -> None:
    if not areas:
        return
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
    for area in areas:
        x = view.width / 2 + (area.top[0] - view.cx) * view.scale
        y = view.height / 2 - (area.top[1] - view.cy) * view.scale
        x, y = min(max(x, 90.0), view.width - 90.0), min(max(y + 16, 60.0), view.height - 40.0)
        text = f"⚠ {area.label}"
        style.draw_text(p, paths, text, font, x, y, colour)

"""Marker drawing: a simple icon per incident kind, severity by colour *and* size, clusters,
the selection ring, the pulse of new incidents, unit arrows and sensor squares.

Incident markers are pre-rendered sprites (one per kind × severity), so a frame with a
thousand markers is a thousand pixmap blits rather than path fills.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

from console.map.live import KINDS
from widgets import theme
from widgets.map import style

RADIUS = {1: 18.0, 2: 16.0, 3: 14.0, 4: 12.0}  # the more severe, the bigger
GLYPH = theme.BACKGROUND  # dark glyphs read on every severity colour (red to yellow to grey)


def _poly(points) -> QPainterPath:
    path = QPainterPath()
    path.addPolygon(QPolygonF([QPointF(x, y) for x, y in points]))
    path.closeSubpath()
    return path


def _circle(x: float, y: float, r: float) -> QPainterPath:
    path = QPainterPath()
    path.addEllipse(QPointF(x, y), r, r)
    return path


def _icons() -> dict[str, QPainterPath]:
    """Icon outlines in a [-1, 1] box (y down)."""
    car = QPainterPath()
    car.addRoundedRect(QRectF(-0.85, -0.2, 1.7, 0.6), 0.15, 0.15)
    car = car.united(_poly([(-0.5, -0.2), (-0.3, -0.65), (0.3, -0.65), (0.5, -0.2)]))
    car = car.united(_circle(-0.45, 0.45, 0.22)).united(_circle(0.45, 0.45, 0.22))
    drop = QPainterPath(QPointF(0, -0.95))
    drop.cubicTo(0.3, -0.5, 0.62, -0.1, 0.62, 0.3)
    drop.arcTo(QRectF(-0.62, -0.32, 1.24, 1.24), 0, -180)
    drop.cubicTo(-0.62, -0.1, -0.3, -0.5, 0, -0.95)
    flame = QPainterPath(QPointF(0.15, -1.0))
    flame.cubicTo(0.45, -0.55, 0.8, -0.2, 0.62, 0.35)
    flame.cubicTo(0.5, 0.85, -0.5, 0.85, -0.62, 0.35)
    flame.cubicTo(-0.72, -0.05, -0.55, -0.3, -0.45, -0.55)
    flame.cubicTo(-0.3, -0.3, -0.15, -0.25, -0.05, -0.3)
    flame.cubicTo(0.05, -0.55, 0.05, -0.75, 0.15, -1.0)
    cloud = _circle(-0.42, 0.12, 0.36).united(_circle(0.05, -0.18, 0.48)).united(_circle(0.47, 0.16, 0.34))
    cloud = cloud.united(_poly([(-0.78, 0.12), (0.81, 0.16), (0.81, 0.5), (-0.78, 0.5)]))
    bolt = _poly([(0.25, -1.0), (-0.55, 0.12), (-0.05, 0.12), (-0.3, 1.0), (0.58, -0.22), (0.08, -0.22), (0.42, -1.0)])
    house = _poly([(-0.72, 0.85), (-0.72, -0.1), (0.0, -0.82), (0.72, -0.1), (0.72, 0.85)])
    house = house.subtracted(_poly([(-0.2, 0.85), (-0.2, 0.3), (0.2, 0.3), (0.2, 0.85)]))
    bubble = QPainterPath()
    bubble.addRoundedRect(QRectF(-0.85, -0.75, 1.7, 1.15), 0.3, 0.3)
    bubble = bubble.united(_poly([(-0.45, 0.3), (-0.6, 0.95), (0.05, 0.3)]))
    bang = _poly([(-0.16, -0.85), (0.16, -0.85), (0.1, 0.3), (-0.1, 0.3)]).united(_circle(0, 0.65, 0.18))
    return {"traffic_accident": car, "waterlogging": drop, "fire_alarm": flame, "gas_leak": cloud,
            "power_outage": bolt, "building_safety": house, "hotline_cluster": bubble, "": bang}


ICONS = _icons()


def icon(kind: int | str) -> QPainterPath:
    name = KINDS[kind] if isinstance(kind, int) and 0 <= kind < len(KINDS) else kind
    return ICONS.get(name if isinstance(name, str) else "", ICONS[""])


def paint_marker(p: QPainter, x: float, y: float, kind: int | str, severity: int) -> None:
    """One incident: a severity-coloured disc sized by severity, a dark rim, the kind's icon."""
    r = RADIUS.get(severity, 12.0)
    p.setPen(QPen(theme.BACKGROUND, 2.0))
    p.setBrush(theme.SEVERITY_COLOURS.get(severity, theme.TEXT_DIM))
    p.drawEllipse(QPointF(x, y), r, r)
    p.save()
    p.translate(x, y)
    p.scale(r * 0.6, r * 0.6)
    p.fillPath(icon(kind), GLYPH)
    p.restore()


class Sprites:
    """Pre-rendered incident markers per (kind, severity, device pixel ratio)."""

    def __init__(self) -> None:
        self._cache: dict[tuple, QPixmap] = {}

    def get(self, kind: int, severity: int, dpr: float) -> QPixmap:
        key = (kind, severity, dpr)
        pix = self._cache.get(key)
        if pix is None:
            r = RADIUS.get(severity, 12.0)
            side = math.ceil(2 * r + 4)
            pix = QPixmap(round(side * dpr), round(side * dpr))
            pix.setDevicePixelRatio(dpr)
            pix.fill(Qt.GlobalColor.transparent)
            q = QPainter(pix)
            q.setRenderHint(QPainter.RenderHint.Antialiasing)
            paint_marker(q, side / 2, side / 2, kind, severity)
            q.end()
            pix = self._cache[key] = pix
        return pix

    def bubble(self, count: int, worst: int, dpr: float) -> QPixmap:
        """A cluster bubble. Kept per shown count and colour: at street zoom hundreds of small
        clusters are on screen at once."""
        pix = self._cache.get(("bubble", count, worst, dpr))  # the fast path: this count seen before
        if pix is not None:
            return pix
        key = ("cluster", count_text(count), worst, dpr)  # the radius stops growing long before the text does
        pix = self._cache.get(key)
        if pix is None:
            side = math.ceil(2 * (cluster_radius(count) + 6) + 2)
            pix = QPixmap(round(side * dpr), round(side * dpr))
            pix.setDevicePixelRatio(dpr)
            pix.fill(Qt.GlobalColor.transparent)
            q = QPainter(pix)
            q.setRenderHint(QPainter.RenderHint.Antialiasing)
            q.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            paint_cluster(q, side / 2, side / 2, count, worst)
            q.end()
            if len(self._cache) > 4000:
                self._cache.clear()
            self._cache[key] = pix
        self._cache[("bubble", count, worst, dpr)] = pix  # tagged: a marker's key is (kind, severity, dpr)
        return pix

    def draw(self, p: QPainter, x: float, y: float, kind: int, severity: int, dpr: float) -> float:
        """Blit the marker centred on (x, y); returns its radius (for hit tests)."""
        pix = self.get(kind, severity, dpr)
        side = pix.width() / dpr
        p.drawPixmap(QPointF(x - side / 2, y - side / 2), pix)
        return RADIUS.get(severity, 12.0)


def count_text(count: int) -> str:
    return str(count) if count < 1000 else f"{count / 1000:.0f}k" if count >= 10_000 else f"{count / 1000:.1f}k"


def cluster_radius(count: int) -> float:
    return min(34.0, 18.0 + 4.5 * math.log2(max(count, 1)))


def paint_cluster(p: QPainter, x: float, y: float, count: int, worst: int) -> float:
    """A group of incidents: a haloed disc in the worst member's colour, the count in bold."""
    r = cluster_radius(count)
    colour = theme.SEVERITY_COLOURS.get(worst, theme.TEXT_DIM)
    halo = QColor(colour)
    halo.setAlpha(90)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(halo)
    p.drawEllipse(QPointF(x, y), r + 6, r + 6)
    p.setPen(QPen(theme.BACKGROUND, 2.5))
    p.setBrush(colour)
    p.drawEllipse(QPointF(x, y), r, r)
    text = count_text(count)
    f = style.font(r * (0.95 if len(text) <= 2 else 0.75), bold=True)
    p.setFont(f)
    p.setPen(theme.BACKGROUND)
    p.drawText(QRectF(x - r, y - r, 2 * r, 2 * r), Qt.AlignmentFlag.AlignCenter, text)
    return r + 6


def paint_selection(p: QPainter, x: float, y: float, r: float) -> None:
    """The selected incident: a thick white ring with a dark edge, the same on every view."""
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(QPen(theme.BACKGROUND, 8.0))
    p.drawEllipse(QPointF(x, y), r + 7, r + 7)
    p.setPen(QPen(style.SELECT_RING, 4.0))
    p.drawEllipse(QPointF(x, y), r + 7, r + 7)


PULSE_REACH = 22.0  # how far beyond the marker the pulse ring travels, pixels


def paint_pulse(p: QPainter, x: float, y: float, r: float, phase: float, severity: int) -> None:
    """A ring that leaves the marker and fades: "this one is new" (phase 0..1, from the clock)."""
    colour = QColor(theme.SEVERITY_COLOURS.get(severity, theme.TEXT_DIM))
    colour.setAlphaF(0.9 * (1.0 - phase) + 0.1)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(QPen(colour, 4.0))
    rr = r + 4 + PULSE_REACH * phase
    p.drawEllipse(QPointF(x, y), rr, rr)


def paint_unit(p: QPainter, x: float, y: float, heading: float, busy: bool, trail: list[QPointF],
               small: bool = False) -> None:
    """A unit: its trail, then an arrowhead pointing where it is heading (degrees from north)."""
    n = len(trail)
    colour = QColor(style.UNIT_TRAIL)
    for i in range(1, n):  # older segments fainter: the trail fades out behind the unit
        colour.setAlphaF(style.UNIT_TRAIL.alphaF() * i / (n - 1))
        p.setPen(QPen(colour, 3.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        p.drawLine(trail[i - 1], trail[i])
    p.save()
    p.translate(x, y)
    p.rotate(heading)  # screen y is down, so a clockwise turn from "up" is a positive rotation
    if small:
        p.scale(0.75, 0.75)
    p.setPen(QPen(theme.BACKGROUND, 2.0))
    p.setBrush(style.UNIT_BUSY if busy else style.UNIT)
    p.drawPolygon(QPolygonF([QPointF(0, -13), QPointF(9, 9), QPointF(0, 4), QPointF(-9, 9)]))
    p.restore()


def paint_sensor(p: QPainter, x: float, y: float, colour: QColor, big: bool) -> float:
    """A sensor: a small square (incidents are discs, units arrows), bigger when in alarm."""
    h = 6.0 if big else 4.0
    p.setPen(QPen(theme.BACKGROUND, 1.5))
    p.setBrush(colour)
    p.drawRect(QRectF(x - h, y - h, 2 * h, 2 * h))
    return h

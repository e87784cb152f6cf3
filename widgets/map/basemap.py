"""The basemap: districts, land use, parks, water, buildings and streets, with their labels.

Every feature becomes a QPolygonF in world metres once per reference version (a QPainterPath
only for polygons with holes), with its bounding box, so a redraw culls with numpy and draws
what is in view one polygon at a time under one transform. That is the raster engine's fast
path: one giant QPainterPath per layer measured 3–5× slower (its stroker outlines the whole
layer at once). The result goes into an image a margin larger than the view
(``Basemap.render``: a QImage, so a worker thread may draw it; widgets/map/render.py); the
canvas then only blits it while panning, and draws it again when the zoom changes or the view
leaves it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPainterPath, QPen, QPolygonF, QTransform

from console.map.features import STREET_RANK, CityGeometry, Shape
from console.map.projection import drawable
from console.map.labels import Label, Placed, line_spots, place_labels
from widgets.map import style


def _poly(part: np.ndarray, close: bool = False) -> QPolygonF:
    points = [QPointF(x, y) for x, y in part.tolist()]
    if close and points and points[0] != points[-1]:
        points.append(points[0])
    return QPolygonF(points)


class Layer:
    """Drawable items of one layer (or street class) and their bounding boxes (x0, y0, x1, y1)."""

    def __init__(self, shapes: list[Shape], outlines: bool = False):
        self.items: list[QPolygonF | QPainterPath] = []
        boxes = []
        for shape in shapes:
            # Qt's rasteriser crashes on coordinates that are not finite or absurdly far
            # (exit 139): checked here, before any Qt call, whatever the geometry came from.
            parts = tuple(part for part in shape.parts if len(part) and drawable(part).all())
            if not parts:
                continue
            if shape.polygon and not outlines and len(parts) > 1:  # holes: one odd-even path
                path = QPainterPath()
                path.setFillRule(Qt.FillRule.OddEvenFill)
                for part in parts:
                    path.addPolygon(_poly(part))
                    path.closeSubpath()
                self.items.append(path)
                allp = np.concatenate(parts)
                boxes.append((*allp.min(axis=0), *allp.max(axis=0)))
                continue
            for part in parts:
                self.items.append(_poly(part, close=outlines))
                boxes.append((*part.min(axis=0), *part.max(axis=0)))
        self.boxes = np.array(boxes, dtype=np.float64).reshape(-1, 4)

    def visible(self, rect: tuple[float, float, float, float]) -> list[QPolygonF | QPainterPath]:
        b = self.boxes
        keep = (b[:, 2] >= rect[0]) & (b[:, 0] <= rect[2]) & (b[:, 3] >= rect[1]) & (b[:, 1] <= rect[3])
        return [self.items[i] for i in np.flatnonzero(keep).tolist()]

    def fill(self, p: QPainter, rect: tuple, brush: QColor, pen: QPen | None = None) -> None:
        p.setPen(pen if pen is not None else Qt.PenStyle.NoPen)
        p.setBrush(brush)
        for item in self.visible(rect):
            if isinstance(item, QPainterPath):
                p.drawPath(item)
            else:
                p.drawPolygon(item)

    def stroke(self, p: QPainter, rect: tuple, pen: QPen) -> None:
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        for item in self.visible(rect):
            p.drawPolyline(item)


@dataclass(frozen=True)
class View:
    """A rendering of the world: ``scale`` pixels per metre, (cx, cy) at the pixmap's centre."""

    cx: float
    cy: float
    scale: float
    width: int
    height: int

    def transform(self) -> QTransform:
        """World metres (y north) -> pixels (y down)."""
        s = self.scale
        return QTransform(s, 0, 0, -s, self.width / 2 - self.cx * s, self.height / 2 + self.cy * s)

    def world_rect(self) -> tuple[float, float, float, float]:
        hw, hh = self.width / 2 / self.scale, self.height / 2 / self.scale
        return self.cx - hw, self.cy - hh, self.cx + hw, self.cy + hh


class Basemap:
    """The city's basemap, and drawing it (with labels) at any view."""

    def __init__(self, geo: CityGeometry):
        self.geo = geo
        self.text = style.TextPaths()  # the UI thread's (district names, drawn live)
        self._street_text = style.TextPaths()  # and the render's, which may run on a worker thread
        self.districts = [(Layer([d.shape]), style.DISTRICT_FILLS[i % len(style.DISTRICT_FILLS)])
                          for i, d in enumerate(geo.districts)]
        self.district_outline = Layer([d.shape for d in geo.districts], outlines=True)
        by_layer: dict[str, list[Shape]] = {}
        for s in geo.shapes:
            key = s.layer if s.layer != "street" else f"street{STREET_RANK.get(s.kind, 2)}"
            if s.layer == "water" and not s.polygon:
                key = "waterline"
            by_layer.setdefault(key, []).append(s)
        self.layers = {k: Layer(v) for k, v in by_layer.items()}
        self.buildings = Layer(geo.buildings)
        # the most prominent streets first, then the longest: they carry their names first
        self.streets = sorted(geo.named_streets, key=lambda s: (STREET_RANK.get(s.kind, 2), -_length(s.parts[0])))

    def render(self, view: View, buildings: bool = True, labels: bool = True, dpr: float = 1.0,
               separate_labels: bool = False) -> tuple[QImage, QImage | None]:
        """Images of ``view`` (cold: everything drawn again): the opaque basemap, and, when
        ``separate_labels``, its labels on a transparent one (the heat map goes between the two
        so names stay legible over it; otherwise they are drawn into the basemap: one blit less).
        Images, not pixmaps: any thread may call this."""
        base = _image(view, dpr, style.LAND, QImage.Format.Format_RGB32)  # opaque: a pan frame's blit is a copy
        p = QPainter(base)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.paint(p, view, buildings)
        if labels and not separate_labels:
            self.paint_labels(p, view)
        p.end()
        if not (labels and separate_labels):
            return base, None
        text = _image(view, dpr, Qt.GlobalColor.transparent)
        p = QPainter(text)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.paint_labels(p, view)
        p.end()
        return base, text

    def paint_districts(self, p: QPainter, view: View) -> None:
        """Only the districts and their borders: what the map shows at once while the whole
        basemap is drawn on a worker (a few polygons: no wait)."""
        p.save()
        p.setTransform(view.transform(), True)
        rect = view.world_rect()
        for layer, colour in self.districts:
            layer.fill(p, rect, colour)
        p.restore()
        self._border(p, view, rect)

    def paint(self, p: QPainter, view: View, buildings: bool = True) -> None:
        s, rect = view.scale, view.world_rect()
        p.save()
        p.setTransform(view.transform(), True)
        for layer, colour in self.districts:
            layer.fill(p, rect, colour)
        for name, colour in (("landuse", style.LANDUSE), ("park", style.PARK), ("water", style.WATER)):
            if name in self.layers:
                self.layers[name].fill(p, rect, colour)
        if "waterline" in self.layers:
            self.layers["waterline"].stroke(p, rect, _pen(style.WATER_LINE, min(3.0, max(1.5, 1.5 * s))))
        if buildings:  # footprints get an edge once they are big enough to tell apart
            self.buildings.fill(p, rect, style.BUILDING, _pen(style.BUILDING_EDGE, 1.0) if s >= 1.2 else None)
        for rank in (3, 2, 1, 0):
            layer = self.layers.get(f"street{rank}")
            if layer is None or (rank == 3 and s < style.PATHS_FROM_SCALE):
                continue
            colour, metres, lo, hi = style.STREETS[rank]
            layer.stroke(p, rect, _pen(colour, min(hi, max(lo, metres * s))))
        p.restore()
        self._border(p, view, rect)

    def _border(self, p: QPainter, view: View, rect: tuple) -> None:
        border = _pen(style.DISTRICT_BORDER, 2.5)
        border.setDashPattern([4.0, 2.5])  # in pen widths: 10 px dashes, 6 px gaps
        border.setCapStyle(Qt.PenCapStyle.FlatCap)
        p.save()
        p.setTransform(view.transform(), True)
        self.district_outline.stroke(p, rect, border)
        p.restore()

    # -- labels ------------------------------------------------------------------------------
    def label_candidates(self, view: View, streets: bool = True, text: style.TextPaths | None = None) -> list[Label]:
        """Districts (always), then named streets of the classes this zoom shows, in pixels (measured
        with ``text``: each thread its own)."""
        text = text or self.text
        t = view.transform()
        out: list[Label] = []
        dfont = style.font(min(30, max(17, 26 * view.scale ** 0.25)), bold=True, spacing=1.5)
        for d in self.geo.districts:
            x, y = t.map(d.anchor[0], d.anchor[1])
            name = d.name.upper()
            w, h = text.size(name, dfont)
            # at the anchor, else a little above, below or beside it (a marker or street name may be there)
            spots = tuple((x + dx, y + dy, 0.0) for dx, dy in ((0.0, 0.0), (0.0, -h * 1.2), (0.0, h * 1.2),
                                                                (-w * 0.6, 0.0), (w * 0.6, 0.0), (0.0, -h * 2.4),
                                                                (0.0, h * 2.4), (-w * 0.6, -h * 1.2), (w * 0.6, h * 1.2)))
            out.append(Label(name, w, h, spots, priority=0.0, data=("district", dfont)))
        if not streets:
            return out
        max_rank = 2 if view.scale >= style.MINOR_LABELS_FROM_SCALE else 1
        sfont = {0: style.font(16, bold=True), 1: style.font(15, bold=True), 2: style.font(14)}
        x0, y0, x1, y1 = view.world_rect()
        for order, street in enumerate(self.streets):
            rank = STREET_RANK.get(street.kind, 2)
            if rank > max_rank:
                continue
            w, h = text.size(street.name, sfont[rank])
            for part in street.parts:
                if part[:, 0].max() < x0 or part[:, 0].min() > x1 or part[:, 1].max() < y0 or part[:, 1].min() > y1:
                    continue
                px = np.column_stack([view.width / 2 + (part[:, 0] - view.cx) * view.scale,
                                      view.height / 2 - (part[:, 1] - view.cy) * view.scale])
                spots = line_spots(px, w + 12, step=max(24.0, w / 2))
                if spots:
                    out.append(Label(street.name, w, h, tuple(spots[:6]), priority=1 + rank + order * 1e-6,
                                     group=street.name, data=("street", sfont[rank])))
        return out

    def paint_labels(self, p: QPainter, view: View) -> None:
        """Street names (cached with the basemap); district names are placed first, so streets keep
        clear of them, but drawn live by ``paint_district_labels``, clear of the markers."""
        placed = place_labels(self.label_candidates(view, text=self._street_text), view.width, view.height, pad=3.0,
                              repeat_gap=max(260.0, min(view.width, view.height) * 0.45))
        for pl in placed:
            kind, f = pl.label.data
            if kind == "street":
                style.draw_text(p, self._street_text, pl.label.text, f, pl.x, pl.y, style.STREET_LABEL,
                                math.degrees(pl.angle), halo=2.5)

    def paint_district_labels(self, p: QPainter, view: View,
                              blocked: list[tuple[float, float, float, float]]) -> list[Placed]:
        """District names where no incident or unit marker is: at the district's anchor, else a
        line above or below it (a unit icon must never sit on a name); returns where they went."""
        placed = place_labels(self.label_candidates(view, streets=False), view.width, view.height, pad=3.0,
                              blocked=blocked)
        for pl in placed:
            _, f = pl.label.data
            style.draw_text(p, self.text, pl.label.text, f, pl.x, pl.y, style.DISTRICT_LABEL, 0.0, halo=3.5)
        return placed


def _image(view: View, dpr: float, fill, fmt: QImage.Format = QImage.Format.Format_ARGB32_Premultiplied) -> QImage:
    image = QImage(max(1, round(view.width * dpr)), max(1, round(view.height * dpr)), fmt)
    image.setDevicePixelRatio(dpr)
    image.fill(fill)
    return image


def _length(part: np.ndarray) -> float:
    return float(np.hypot(*np.diff(part, axis=0).T).sum()) if len(part) > 1 else 0.0


def _pen(colour: QColor, width_px: float) -> QPen:
    """A pen whose width is in pixels whatever the world transform (round ends join segments)."""
    pen = QPen(QBrush(colour), width_px, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    pen.setCosmetic(True)
    return pen


def world_rect_px(view: View, rect: QRectF) -> tuple[float, float, float, float]:
    """A pixel rectangle of ``view`` in world metres (x0, y0, x1, y1)."""
    inv, _ = view.transform().inverted()
    a, b = inv.map(rect.topLeft()), inv.map(rect.bottomRight())
    return min(a.x(), b.x()), min(a.y(), b.y()), max(a.x(), b.x()), max(a.y(), b.y())

"""The rainstorm panel's map: districts shaded by expected risk, sensors ringed by theirs.

Expected risk is a forecast, not an alarm: it is drawn in the forecast's own hue (theme.FORECAST),
stronger where more is expected, never in an alarm colour (tests/test_theme.py keeps those for
alarms). The basemap, labels and input are the wall map's (widgets/map/canvas.py).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QT_TRANSLATE_NOOP, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from console.map.features import CityGeometry
from console.map.live import SensorPositions
from console.scene import colour
from widgets import theme
from widgets.i18n import tr
from widgets.map import overlay, style
from widgets.map.basemap import Layer, View
from widgets.map.canvas import MapCanvas

#: Fill opacity by what a district's worst indicator is expected to reach: neither limit, its
#: warning limit, its alarm limit. Three steps, so the difference reads from across the room; the
#: 3D scene shows the same steps (console/scene/colour.py).
OPACITY = colour.EXPECTED_OPACITY
KEY = (QT_TRANSLATE_NOOP("rain", "no limit expected"), QT_TRANSLATE_NOOP("rain", "warning limit expected"),
       QT_TRANSLATE_NOOP("rain", "alarm limit expected"))


def risk_colour(level: int) -> QColor:
    """The forecast hue, stronger the further the district is expected to go (0, 1, 2)."""
    c = QColor(theme.FORECAST)
    c.setAlphaF(OPACITY[max(0, min(2, level))])
    return c


class RiskMap(MapCanvas):
    """A map canvas with the districts' and sensors' expected risk over the basemap."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.layers = {"buildings", "labels"}
        self.geo: CityGeometry | None = None
        self.sensor_xy: SensorPositions | None = None
        self.district_level: dict[str, int] = {}
        self.sensor_risk: dict[int, tuple[float, int]] = {}  # indicator id -> (risk, level)
        self.setMinimumSize(360, 160)  # tabbed with the city map on the trainer desk: it must not squeeze the trend below
        self._shapes: dict[str, Layer] = {}

    def set_geometry(self, geo: CityGeometry, sensors: SensorPositions | None) -> None:
        self.geo, self.sensor_xy = geo, sensors
        self._shapes = {d.id: Layer([d.shape]) for d in geo.districts}

    def set_risk(self, districts: dict[str, int], sensors: dict[int, tuple[float, int]]) -> None:
        """Each district's expected level (0-2) and each sensor's (risk, level)."""
        self.district_level, self.sensor_risk = districts, sensors
        self.update()

    def _basemap(self, p: QPainter, view: View) -> None:
        """The basemap, then the districts shaded under the labels."""
        super()._basemap(p, view)
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setTransform(view.transform(), True)
        rect = view.world_rect()
        edge = QPen(QColor(theme.FORECAST), 3.0 / view.scale)
        for ident, level in self.district_level.items():
            layer = self._shapes.get(ident)
            if layer is not None:
                layer.fill(p, rect, risk_colour(level), edge if level == 2 else None)
        p.restore()

    def _overlays(self, p: QPainter, view: View) -> None:
        """Scale, north and the key; no layer chips or incident key (this map shows neither)."""
        self._chips = []
        boxes = [overlay.scale_bar(p, view.scale, 8, view.height - 8), overlay.north_arrow(p, view.width - 8, 8)]
        self._sensors(p, view)
        if self.district_level:
            boxes.append(self._key(p, view))
        self._overlay_boxes = [(r.left(), r.top(), r.right(), r.bottom()) for r in boxes]

    def _sensors(self, p: QPainter, view: View) -> None:
        if self.sensor_xy is None:
            return
        t = view.transform()
        ring = QPen(QColor(theme.BACKGROUND), 2.0)
        for iid, x, y in zip(self.sensor_xy.indicator, self.sensor_xy.x.tolist(), self.sensor_xy.y.tolist()):
            held = self.sensor_risk.get(iid)
            if held is None:
                continue
            risk, level = held
            pt = t.map(QPointF(x, y))
            radius = 5.0 + 3.0 * level  # bigger where a limit is expected: the shape says it too
            colour = QColor(theme.FORECAST)
            colour.setAlphaF(0.35 + 0.65 * float(np.clip(risk, 0, 1)))
            p.setPen(ring)
            p.setBrush(colour)
            p.drawEllipse(pt, radius, radius)

    def _key(self, p: QPainter, view: View) -> QRectF:
        """Bottom right: what the shading means."""
        p.save()
        p.setFont(style.font(15, bold=True))
        labels = [(level, tr("rain", text)) for level, text in enumerate(KEY)][::-1]
        width = max(p.fontMetrics().horizontalAdvance(text) for _, text in labels) + 54
        box = QRectF(view.width - 8 - width, view.height - 8 - 26 * len(labels) - 12, width, 26 * len(labels) + 12)
        p.setPen(Qt.PenStyle.NoPen)
        bg = QColor(theme.BACKGROUND)
        bg.setAlphaF(0.82)
        p.setBrush(bg)
        p.drawRoundedRect(box, 4, 4)
        for n, (level, text) in enumerate(labels):
            top = box.top() + 6 + 26 * n
            p.setBrush(risk_colour(level))
            p.setPen(QPen(QColor(theme.FORECAST), 2.0 if level == 2 else 1.0))
            p.drawRect(QRectF(box.left() + 8, top + 3, 24, 18))
            p.setPen(QColor(theme.TEXT))
            p.drawText(QRectF(box.left() + 42, top, width, 24), Qt.AlignmentFlag.AlignVCenter, text)
        p.restore()
        return box

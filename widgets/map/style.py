"""How the map looks: a quiet dark basemap under loud incidents, and text with a halo.

The basemap stays low in contrast (near the panel surface) so that severity colours, the
only saturated colours on the map, are what the eye finds first from across the room.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker

from console.model.indicator import Status
from widgets import theme

LAND = QColor("#1a1d21")  # outside the districts: no map data there, a quiet neutral ground (not black)
NO_DATA_TEXT = QColor("#6f7782")  # "No map data", written on that ground: legible, and quieter than any name
#: Neighbouring districts differ a little in hue at the same low brightness.
DISTRICT_FILLS = [QColor(c) for c in ("#1a2433", "#1b2a28", "#231f30", "#1f2431", "#1a2a31", "#24222c")]
DISTRICT_BORDER = QColor("#8ea3c0")
LANDUSE = QColor("#1e2631")
PARK = QColor("#173124")
WATER = QColor("#123251")
WATER_LINE = QColor("#2a5f8f")
BUILDING = QColor("#29323e")
BUILDING_EDGE = QColor("#333e4c")
#: Street rank -> (colour, width in metres, narrowest pixels, widest pixels)
STREETS = {
    0: (QColor("#66768b"), 12.0, 2.6, 22.0),
    1: (QColor("#525f70"), 9.0, 1.9, 16.0),
    2: (QColor("#3a4554"), 5.5, 1.1, 10.0),
    3: (QColor("#2f3945"), 1.8, 0.8, 3.0),
}
PATHS_FROM_SCALE = 0.9  # footways and paths appear from this zoom (pixels per metre)
MINOR_LABELS_FROM_SCALE = 1.4  # residential street names from this zoom

DISTRICT_LABEL = QColor("#c7d3e1")
STREET_LABEL = QColor("#b3bfcd")
HALO = QColor(11, 15, 20, 235)
SELECT_RING = QColor("#ffffff")
UNIT = QColor("#4ea1ff")
UNIT_BUSY = QColor("#7fe0ff")  # en route or on scene: brighter, they are working
UNIT_TRAIL = QColor(78, 161, 255, 120)
SENSOR_COLOURS = {**theme.STATUS_COLOURS, Status.NODATA: QColor("#56606d")}
#: where incidents were dense: a haze of light, brighter where denser, no hue (amber and red mean warning and alarm)
HEAT_STOPS = ((0.0, (226, 230, 238, 0)), (0.25, (226, 230, 238, 60)), (0.6, (236, 239, 245, 110)),
              (1.0, (248, 249, 252, 160)))


def font(px: float, bold: bool = False, spacing: float = 0.0) -> QFont:
    f = QFont("DejaVu Sans")
    f.setPixelSize(max(7, round(px)))
    f.setBold(bold)
    if spacing:
        f.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, spacing)
    return f


class TextPaths:
    """Text as painter paths, centred on the origin, kept per (text, font): drawing a label with
    its halo is then two path fills, and the same street name is laid out once."""

    def __init__(self) -> None:
        self._paths: dict[tuple[str, str], tuple[QPainterPath, float, float]] = {}

    def get(self, text: str, f: QFont) -> tuple[QPainterPath, float, float]:
        """The centred path and the text's width and height in pixels."""
        key = (text, f.key())
        hit = self._paths.get(key)
        if hit is None:
            m = QFontMetricsF(f)
            w, h = m.horizontalAdvance(text), m.ascent() + m.descent()
            path = QPainterPath()
            path.addText(QPointF(-w / 2, m.ascent() - h / 2), f, text)
            if len(self._paths) > 4000:
                self._paths.clear()
            hit = self._paths[key] = (path, w, h)
        return hit

    def size(self, text: str, f: QFont) -> tuple[float, float]:
        _, w, h = self.get(text, f)
        return w, h

    def halo(self, text: str, f: QFont, width: float) -> QPainterPath:
        """The outline of the text's halo, stroked once: filling it is cheap, stroking is not."""
        key = (text, f.key() + f"|halo{width}")
        hit = self._paths.get(key)
        if hit is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(width * 2)
            stroker.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            stroker.setCapStyle(Qt.PenCapStyle.RoundCap)
            path, w, h = self.get(text, f)
            hit = self._paths[key] = (stroker.createStroke(path).simplified(), w, h)
        return hit[0]


def draw_text(p: QPainter, paths: TextPaths, text: str, f: QFont, x: float, y: float, colour: QColor,
              angle_deg: float = 0.0, halo: float = 3.0) -> None:
    """Text centred on (x, y), turned by ``angle_deg``, with a dark halo so it reads over anything."""
    path, _, _ = paths.get(text, f)
    p.save()
    p.translate(x, y)
    if angle_deg:
        p.rotate(angle_deg)
    if halo:
        p.fillPath(paths.halo(text, f, halo), HALO)
    p.fillPath(path, colour)
    p.restore()


def heat_colour_table() -> list[int]:
    """256 premultiplied ARGB values from transparent to a bright haze: the heat ramp."""
    table = []
    for i in range(256):
        v = i / 255
        for (a, ca), (b, cb) in zip(HEAT_STOPS, HEAT_STOPS[1:]):
            if v <= b:
                t = (v - a) / (b - a)
                r, g, bl, al = (round(ca[k] + (cb[k] - ca[k]) * t) for k in range(4))
                break
        table.append(QColor(r, g, bl, al).rgba())
    return table

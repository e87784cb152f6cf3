"""How one indicator tile is painted: geometry and fonts per tile size, status shapes, the figure.

Kept apart from tiles.py (what a tile shows and when the grid repaints) and tile_spark.py (the
sparkline) so each stays short. Everything costly is built once (fonts and shapes per tile size,
sparkline polylines per series version) and then only drawn, because one pass paints a wall of up to ~120 tiles.
Status is shown three ways, so it reads in greyscale and to colour-blind eyes: the band's
colour, the status word, and a shape of its own per status. In the high-performance look a
normal tile shows none of them: only the abnormal carries colour.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QPolygonF

from console.layout.legibility import SMALLEST_TEXT_PX
from console.model.indicator import Status
from widgets import theme
from widgets.figure_text import FIGURES
from widgets.tile_spark import Spark, paint_spark

if TYPE_CHECKING:
    from widgets.tile_layers import StaticLayers
    from widgets.tiles import TileState

QUIET_WARN_LINE, QUIET_ALARM_LINE = QColor("#5d6878"), QColor("#8b98a8")  # limits in greys: normal stays quiet


def limit_colours() -> tuple[QColor, QColor]:
    """The warning and alarm limit lines on a sparkline: greys in the high-performance look
    (a limit is not an alarm), the status colours, faded, in the classic one."""
    if theme.look.quiet_normal:
        return QUIET_WARN_LINE, QUIET_ALARM_LINE
    warn, alarm = QColor(theme.STATUS_COLOURS[Status.WARNING]), QColor(theme.STATUS_COLOURS[Status.ALARM])
    warn.setAlpha(170)
    alarm.setAlpha(200)
    return warn, alarm


def blend(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` moved a fraction ``t`` toward ``b`` (the dim half of a flash, tints)."""
    return QColor(round(a.red() + (b.red() - a.red()) * t), round(a.green() + (b.green() - a.green()) * t),
                  round(a.blue() + (b.blue() - a.blue()) * t))


FLAT_ARROW = blend(theme.TEXT_DIM, theme.SURFACE_RAISED, 0.35)


def _luminance(c: QColor) -> float:
    def lin(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4
    return 0.2126 * lin(c.red()) + 0.7152 * lin(c.green()) + 0.0722 * lin(c.blue())


_INK: dict[int, QColor] = {}


def ink_on(background: QColor) -> QColor:
    """Dark or light text, whichever has the higher contrast on ``background`` (WCAG ratio)."""
    found = _INK.get(background.rgb())
    if found is None:
        lb = _luminance(background)
        dark, light = _luminance(theme.BACKGROUND), _luminance(theme.TEXT)
        found = theme.BACKGROUND if (lb + 0.05) / (dark + 0.05) >= (light + 0.05) / (lb + 0.05) else theme.TEXT
        if len(_INK) < 256:
            _INK[background.rgb()] = found
    return found


# -- shapes, in a unit box (y down); drawn scaled, so they are built once ----------------------
def _poly(*pts: tuple[float, float]) -> QPainterPath:
    path = QPainterPath()
    path.addPolygon(QPolygonF([QPointF(x, y) for x, y in pts]))
    path.closeSubpath()
    return path


def _octagon() -> QPainterPath:
    pts = [(0.5 + 0.54 * math.cos(math.radians(22.5 + 45 * k)), 0.5 + 0.54 * math.sin(math.radians(22.5 + 45 * k)))
           for k in range(8)]
    return _poly(*pts)


def _circle() -> QPainterPath:
    path = QPainterPath()
    path.addEllipse(QRectF(0, 0, 1, 1))
    return path


ARROWS = {  # filled block arrows: they stay legible where a font's ↑ would be a hairline
    "up": _poly((0.5, 0.0), (1.0, 0.5), (0.68, 0.5), (0.68, 1.0), (0.32, 1.0), (0.32, 0.5), (0.0, 0.5)),
    "down": _poly((0.5, 1.0), (1.0, 0.5), (0.68, 0.5), (0.68, 0.0), (0.32, 0.0), (0.32, 0.5), (0.0, 0.5)),
    "flat": _poly((1.0, 0.5), (0.5, 0.0), (0.5, 0.34), (0.0, 0.34), (0.0, 0.66), (0.5, 0.66), (0.5, 1.0)),
}
DIAMOND = _poly((0.5, 0.0), (1.0, 0.5), (0.5, 1.0), (0.0, 0.5))  # unacknowledged
_SHAPES = {
    Status.NORMAL: _circle(),
    Status.WARNING: _poly((0.5, 0.0), (1.04, 0.96), (-0.04, 0.96)),
    Status.ALARM: _octagon(),
}


def paint_icon(p: QPainter, status: Status, rect: QRectF, ink: QColor, band: QColor) -> None:
    """The status shape: ✓ in a disc, ! in a triangle, ! in an octagon, a clock ring, a dash."""
    p.save()
    p.translate(rect.topLeft())
    p.scale(rect.width(), rect.height())
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(ink)
    if status in _SHAPES:
        p.drawPath(_SHAPES[status])
        if status is Status.NORMAL:
            p.setPen(QPen(band, 0.16, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
            p.drawPolyline([QPointF(0.26, 0.53), QPointF(0.44, 0.71), QPointF(0.76, 0.33)])
        else:
            top = 0.3 if status is Status.WARNING else 0.2
            p.setBrush(band)
            p.drawRect(QRectF(0.42, top, 0.16, 0.68 - top - 0.06))
            p.drawEllipse(QRectF(0.41, 0.7, 0.18, 0.18))
    elif status is Status.STALE:
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(ink, 0.14, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        p.drawEllipse(QRectF(0.07, 0.07, 0.86, 0.86))
        p.drawPolyline([QPointF(0.5, 0.24), QPointF(0.5, 0.5), QPointF(0.72, 0.62)])
    else:  # NODATA
        p.drawRect(QRectF(0.08, 0.4, 0.84, 0.2))
    p.restore()


# -- geometry and fonts of one tile size -------------------------------------------------------
def _font(family: str, px: float, bold: bool = False, condensed: bool = False) -> QFont:
    font = QFont(family)
    font.setPixelSize(max(8, round(px)))
    font.setBold(bold)
    if condensed:
        font.setStretch(QFont.Stretch.SemiCondensed)
    return font


class TileMetrics:
    """Where everything sits in a tile of w × h pixels, and its fonts: built once per tile size.

    ``value_px`` is the grid's value font size (None: the largest the row holds, for fitting);
    the sparkline takes whatever height the value row leaves, the trend arrow sits at its end.
    """

    CACHE_MAX = 4096  # text widths remembered; values change all day, so the caches are bounded

    def __init__(self, w: int, h: int, family: str, value_px: int | None = None):
        self.w, self.h, self.family, self.value_px = w, h, family, value_px
        short = min(w, h / 0.65)
        self.pad = max(4.0, short * 0.05)
        self.band_h = max(SMALLEST_TEXT_PX / 0.6, h * 0.17)  # the status word at least the smallest text
        self.radius = max(3.0, short * 0.03)
        self.border = max(2.0, short * 0.014)
        self.flash_border = max(4.0, short * 0.035)
        icon = self.band_h * 0.66
        self.icon = QRectF(self.pad * 0.8, (self.band_h - icon) / 2, icon, icon)
        self.status_font = _font(family, self.band_h * 0.6, bold=True)
        self.status_y = self.band_h / 2 + QFontMetricsF(self.status_font).capHeight() / 2
        name_px = max(float(SMALLEST_TEXT_PX), min(h * 0.095, w * 0.085))  # MIN_TILE holds it
        self.name_font = _font(family, name_px)
        self.where_font = _font(family, name_px, bold=True)
        self.unit_font = _font(family, name_px * 1.1)
        self.small_unit_font = _font(family, name_px * 0.85)  # for a long unit ("boardings/10 min")
        names = QFontMetricsF(self.name_font)
        self.measure_y = self.band_h + self.pad * 0.4 + names.ascent()  # baselines
        self.where_y = self.measure_y + names.lineSpacing()
        self.max_value_px = max(12, round(h * 0.3))
        self.min_value_px = max(10, round(name_px * 1.3))
        px = value_px or self.max_value_px
        self.value_y = self.where_y + names.descent() + px * 0.9
        top, bottom = self.value_y + self.pad * 0.7, h - self.pad * 0.8
        size = min(bottom - top, px * 0.62)
        self.spark: QRectF | None = None
        if bottom - top >= 8 and w - 3 * self.pad - size >= 24:
            self.arrow = QRectF(w - self.pad - size, (top + bottom - size) / 2, size, size)
            self.spark = QRectF(self.pad, top, w - 2.5 * self.pad - size, bottom - top)
        else:  # no room for a sparkline: the arrow ends the value row
            size = px * 0.62
            self.arrow = QRectF(w - self.pad - size, self.value_y - px * 0.36 - size / 2, size, size)
        self._advance: dict[tuple[int, str], float] = {}
        self._elided: dict[tuple[int, str, int], str] = {}

    # fonts are keyed by id(): each lives as long as these caches (here, or in _VALUE_FONTS)
    def advance(self, font: QFont, text: str) -> float:
        key = (id(font), text)
        found = self._advance.get(key)
        if found is None:
            if len(self._advance) > self.CACHE_MAX:
                self._advance.clear()
            found = self._advance[key] = QFontMetricsF(font).horizontalAdvance(text)
        return found

    def elide(self, font: QFont, text: str, width: float) -> str:
        key = (id(font), text, int(width))
        found = self._elided.get(key)
        if found is None:
            if len(self._elided) > self.CACHE_MAX:
                self._elided.clear()
            found = self._elided[key] = QFontMetricsF(font).elidedText(text, Qt.TextElideMode.ElideRight, int(width))
        return found


_VALUE_FONTS: dict[tuple[str, int], QFont] = {}


def value_font(family: str, px: int) -> QFont:
    """The bold (semi-condensed, so long figures fit narrow tiles) value font, cached per size."""
    font = _VALUE_FONTS.get((family, px))
    if font is None:
        font = _VALUE_FONTS[(family, px)] = _font(family, px, bold=True, condensed=True)
    return font


# -- one tile ----------------------------------------------------------------------------------
def paint_tile(p: QPainter, x: float, y: float, m: TileMetrics, s: TileState, value_px: int,
               spark: Spark | None, layers: StaticLayers | None = None) -> None:
    """Paint tile state ``s`` at x, y: status band, names, value and unit, trend arrow, sparkline.

    With ``layers``, the parts that change only with the status, the alarm or the names come from
    its cache (one blit) where the painter allows an exact copy; the figure is always drawn."""
    p.save()
    p.translate(x, y)
    if layers is None or not layers.draw(p, m, s):
        paint_static(p, m, s)
    paint_figure(p, m, s, value_px, spark)
    p.restore()


def paint_static(p: QPainter, m: TileMetrics, s: TileState) -> None:
    """The tile's frame, status band (shape, word, age, the unacknowledged chip) and names, at 0, 0."""
    paint_frame(p, m, s)
    paint_names(p, m, s)


def paint_frame(p: QPainter, m: TileMetrics, s: TileState) -> None:
    """The tile's frame and status band, at 0, 0: all of its static part but the names."""
    w, h = m.w, m.h
    quiet = theme.look.quiet_normal and s.status is Status.NORMAL  # normal: no colour, shape or word
    colour = theme.SURFACE_RAISED if quiet else theme.STATUS_COLOURS[s.status]
    flashing = s.flash is not None
    # returned to normal but not acknowledged: the steady ◆ UNACK chip (colour, shape and word) in a quiet
    # frame, not the flashing frame of a standing alarm (a room after a storm would be all magenta frames)
    returned = flashing and quiet
    band = colour if not flashing or s.flash_on or quiet else blend(colour, theme.SURFACE_RAISED, 0.65)
    # body, then the status band over its top (a band-coloured rounded top, squared off below)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(theme.SURFACE_RAISED)
    p.drawRoundedRect(QRectF(0, 0, w, h), m.radius, m.radius)
    p.setBrush(band)
    p.drawRoundedRect(QRectF(0, 0, w, m.band_h + m.radius), m.radius, m.radius)
    p.setBrush(theme.SURFACE_RAISED)
    p.drawRect(QRectF(0, m.band_h, w, m.radius + 1))
    # border: flashing in the alarm's priority colour while unacknowledged, else steady
    if flashing and not returned:
        pcol = theme.UNACKED if theme.look.quiet_normal else theme.SEVERITY_COLOURS.get(int(s.flash), colour)
        pen = QPen(pcol if s.flash_on else blend(pcol, theme.BACKGROUND, 0.7), m.flash_border)
    elif s.status in (Status.WARNING, Status.ALARM):
        pen = QPen(colour, m.border * 1.5)
    else:
        pen = QPen(theme.BORDER, m.border * 0.75)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    inset = pen.widthF() / 2
    p.drawRoundedRect(QRectF(inset, inset, w - 2 * inset, h - 2 * inset), m.radius, m.radius)
    # status band: shape, word, and the age of a stale figure; an unacknowledged alarm's chip at its end
    right = w - m.pad
    word_x = m.icon.right() + m.pad * 0.6
    word = theme.status_word(s.status)
    if flashing and theme.look.quiet_normal:  # the chip, whole where the status word leaves room, else ◆ alone
        room = w - (m.pad if quiet else word_x + m.advance(m.status_font, word) + m.pad)
        right = _paint_unacked(p, m, s.flash_on or returned, room) - m.pad * 0.5
    if not quiet:
        ink = ink_on(band)
        paint_icon(p, s.status, m.icon, ink, band)
        p.setFont(m.status_font)
        p.setPen(ink)
        base = m.status_y
        p.drawText(QPointF(word_x, base), word)
        if s.age_text:
            age_x = word_x + m.advance(m.status_font, word + " ")
            p.drawText(QPointF(age_x, base), m.elide(m.status_font, s.age_text, right - age_x))


def paint_names(p: QPainter, m: TileMetrics, s: TileState) -> None:
    """The tile's names, at 0, 0: what is measured (dim), then where (bright, bold)."""
    inner = m.w - 2 * m.pad
    p.setFont(m.name_font)
    p.setPen(theme.TEXT_DIM)
    p.drawText(QPointF(m.pad, m.measure_y), m.elide(m.name_font, s.measure, inner))
    p.setFont(m.where_font)
    p.setPen(theme.TEXT)
    p.drawText(QPointF(m.pad, m.where_y), m.elide(m.where_font, s.where, inner))


def paint_figure(p: QPainter, m: TileMetrics, s: TileState, value_px: int, spark: Spark | None) -> None:
    """What moves with every reading, over the static part: value, unit, trend arrow, sparkline."""
    w = m.w
    dimmed = s.status in (Status.STALE, Status.NODATA)
    # value, unit and trend arrow on one baseline
    font = value_font(m.family, value_px)
    p.setFont(font)
    p.setPen(theme.TEXT_DIM if dimmed else theme.TEXT)
    FIGURES.draw(p, QPointF(m.pad, m.value_y), s.value)  # large: from glyph images (widgets/figure_text.py)
    unit_x = m.pad + m.advance(font, s.value) + m.pad * 0.5
    arrow_in_row = m.spark is None and s.trend is not None
    room = w - m.pad - unit_x - (m.w - m.arrow.left() if arrow_in_row else 0)
    if room > 8:
        unit_font = m.unit_font if m.advance(m.unit_font, s.unit) <= room else m.small_unit_font
        p.setFont(unit_font)
        p.setPen(theme.TEXT_DIM)
        p.drawText(QPointF(unit_x, m.value_y), m.elide(unit_font, s.unit, room))
    if s.trend is not None:
        _paint_arrow(p, m.arrow, s.trend.name.lower(), s.worse)
    if spark is not None and m.spark is not None:
        paint_spark(p, m.spark, spark, dimmed)


def _paint_unacked(p: QPainter, m: TileMetrics, bright: bool, room: float) -> float:
    """A chip at the band's right end: ◆ and the word UNACK on the unacknowledged colour,
    flashing with the border (◆ alone where ``room`` is too narrow for the word); returns its left edge."""
    word = theme.tr("status", theme.UNACK_WORD)
    size = m.icon.height() * 0.8
    chip_w = size + m.pad * 1.2 + m.advance(m.status_font, word)
    if chip_w > room:
        word, chip_w = "", size + m.pad * 0.8
    chip = QRectF(m.w - m.pad * 0.5 - chip_w, m.icon.top(), chip_w, m.icon.height())
    fill = theme.UNACKED if bright else blend(theme.UNACKED, theme.SURFACE_RAISED, 0.55)
    ink = ink_on(fill)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(fill)
    p.drawRoundedRect(chip, m.radius, m.radius)
    p.save()
    p.translate(chip.left() + m.pad * 0.4, chip.center().y() - size / 2)
    p.scale(size, size)
    p.setBrush(ink)
    p.drawPath(DIAMOND)
    p.restore()
    p.setFont(m.status_font)
    p.setPen(ink)
    p.drawText(QPointF(chip.left() + size + m.pad * 0.8, m.status_y), word)
    return chip.left()


def _paint_arrow(p: QPainter, box: QRectF, direction: str, worse: int) -> None:
    """A block arrow; a flat one smaller and dim, so only real moves catch the eye."""
    if direction == "flat":
        box = QRectF(box.center().x() - box.width() * 0.3, box.center().y() - box.height() * 0.3,
                     box.width() * 0.6, box.height() * 0.6)
    tint = theme.TREND_WORSE if worse > 0 else theme.TREND_BETTER if worse < 0 else FLAT_ARROW
    p.save()
    p.translate(box.topLeft())
    p.scale(box.width(), box.height())
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(tint)
    p.drawPath(ARROWS[direction])
    p.restore()

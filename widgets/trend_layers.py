"""What a trend chart draws besides its series: grid, threshold bands, alarm marks, axes.

All of it is painted by one ``Backdrop`` item per view box, in opaque colours, because on
software OpenGL every extra item and every translucent fill costs a full pass over the plot
(DESIGN.md §4); with these the chart draws within ~10% of a bare PlotDataItem.
"""

from __future__ import annotations

import functools
import math
import time

import pyqtgraph as pg
from PySide6.QtCore import QT_TRANSLATE_NOOP, QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPen

from console.layout.legibility import SMALLEST_TEXT_PX
from console.model.indicator import Indicator, Status
from widgets import i18n, theme

GRID_COLOUR = "#1d2531"  # SURFACE with a little BORDER mixed in


def alpha(colour: QColor, alpha: int) -> QColor:
    c = QColor(colour)
    c.setAlpha(alpha)
    return c


@functools.cache
def font(px: int, bold: bool = False) -> QFont:
    """A chart's painted label at ``px`` pixels (never below the interface's smallest text)."""
    font = QFont()
    font.setPixelSize(max(SMALLEST_TEXT_PX, px))
    font.setBold(bold)
    return font


def over_surface(colour: QColor, alpha: int) -> QColor:
    """``colour`` at ``alpha`` over the chart background, as one opaque colour: the same look,
    but an opaque fill is a plain copy where a translucent one blends every pixel of the band."""
    a, base = alpha / 255, theme.SURFACE
    return QColor(*(round(c * a + b * (1 - a)) for c, b in zip(colour.getRgb()[:3], base.getRgb()[:3])))


class Backdrop(pg.GraphicsObject):
    """Everything drawn behind the series, in one item: grid, threshold bands, alarm marks.

    It spans the visible view and counts for the y auto-range only with the warning
    thresholds, so the headroom to warning is always in view (a flat rain line at 0 mm/h is
    drawn against its 10 mm/h warning, not on a ±0.5 scale). One item, because every graphics
    item costs a Python paint call and clipping per frame; as separate items these layers cost
    more than drawing the peak-downsampled data.
    """

    def __init__(self, layers: list) -> None:
        super().__init__()
        self.layers = layers
        for layer in layers:
            layer.changed = self._changed
        self._rect: QRectF | None = None
        self.setZValue(-10)

    def dataBounds(self, axis, frac=1.0, orthoRange=None):  # noqa: N802, N803 (pyqtgraph's names)
        values = [v for layer in self.layers for v in getattr(layer, "in_range", ())] if axis == 1 else []
        return (min(values), max(values)) if values else None

    def _changed(self) -> None:
        self.update()
        view = self.getViewBox()
        if view is not None:  # thresholds count for the y range
            view.itemBoundsChanged(self)

    def viewTransformChanged(self) -> None:  # noqa: N802
        self.prepareGeometryChange()
        self._rect = None
        super().viewTransformChanged()

    def boundingRect(self) -> QRectF:  # noqa: N802
        if self._rect is None:
            view = self.viewRect()
            self._rect = QRectF() if view is None else QRectF(view).normalized()
        return self._rect

    def paint(self, p, *args) -> None:
        view = self.boundingRect()
        if view.isEmpty():
            return
        tr = p.transform()
        p.resetTransform()  # layers draw in device pixels: lines and text keep their size
        device = QRectF(tr.map(view.topLeft()), tr.map(view.bottomRight())).normalized()
        for layer in self.layers:
            layer.draw(p, tr, view, device)


class _TickRecorder:
    """Keeps the tick values the axis chose while drawing itself, for ``GridLines``."""

    grid_values: list[float] = []

    def tickValues(self, minVal, maxVal, size):  # noqa: N802, N803 (pyqtgraph's names)
        levels = super().tickValues(minVal, maxVal, size)
        self.grid_values = [v for _spacing, values in levels for v in values]
        return levels


class Axis(_TickRecorder, pg.AxisItem):
    pass


#: pyqtgraph's tick formats that write words (in English, whatever the locale): translated as formats.
_WORDY_FORMATS = (QT_TRANSLATE_NOOP("trend", "%a %d"), QT_TRANSLATE_NOOP("trend", "%b"))


class DateAxis(_TickRecorder, pg.DateAxisItem):
    """Local time; day and month ticks ("Mon 05", "Jun") in the interface's language."""

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph's name)
        spec = next((s for s in self.zoomLevel.tickSpecs if s.spacing == spacing), None)
        if spec is None or spec.format not in _WORDY_FORMATS:
            return super().tickStrings(values, scale, spacing)
        return [time.strftime(i18n.tr("trend", spec.format), time.localtime(v)) for v in values]


class GridLines:
    """The grid at the axes' ticks, opaque and under the data.

    pyqtgraph's grid (ticks extended by the axes, translucent) costs as much per frame as the
    data. The axes are painted first (lower z), so their tick values are this frame's.
    """

    changed = staticmethod(lambda: None)

    def __init__(self, x_axis: _TickRecorder, y_axis: _TickRecorder) -> None:
        self.axes = (x_axis, y_axis)
        self.pen = QPen(QColor(GRID_COLOUR), 1)

    def draw(self, p, tr, view: QRectF, device: QRectF) -> None:
        # the view transform only scales and shifts: map by hand, no QPointF per line
        left, right, top, bottom = view.left(), view.right(), view.top(), view.bottom()
        y0, y1, x0, x1 = device.top(), device.bottom(), device.left(), device.right()
        sx, dx, sy, dy = tr.m11(), tr.dx(), tr.m22(), tr.dy()
        lines = [QLineF(x * sx + dx, y0, x * sx + dx, y1) for x in self.axes[0].grid_values if left <= x <= right]
        lines += [QLineF(x0, y * sy + dy, x1, y * sy + dy) for y in self.axes[1].grid_values if top <= y <= bottom]
        p.setPen(self.pen)
        p.drawLines(lines)


class ThresholdBands:
    """Warning and alarm regions of one indicator, each edge a dashed line labelled with value and unit.

    Alone on its chart the regions are shaded across the plot. When two units share a chart,
    each axis' regions are a strip along that axis instead: shading the whole plot for one
    axis would paint the other axis' series as "in alarm".
    """

    STRIP_PX = 7
    changed = staticmethod(lambda: None)

    def __init__(self, right: bool) -> None:
        self.right = right
        self.strip = False
        self.regions: list[tuple[float, float, QColor]] = []
        self.edges: list[tuple[float, QColor, str]] = []
        self.in_range: tuple[float, ...] = ()  # thresholds the axis always shows

    def set_indicator(self, ind: Indicator | None, strip: bool) -> None:
        self.regions, self.edges, self.strip, self.in_range = [], [], strip, ()
        if ind is not None:
            warnings = tuple(v for v in (ind.warn_low, ind.warn_high) if v is not None)
            self.in_range = warnings or tuple(v for v in (ind.alarm_low, ind.alarm_high) if v is not None)
            warn, alarm = theme.STATUS_COLOURS[Status.WARNING], theme.STATUS_COLOURS[Status.ALARM]
            inf = math.inf
            for lo, hi, colour, edge, word in (
                (ind.warn_high, ind.alarm_high if ind.alarm_high is not None else inf, warn, ind.warn_high,
                 i18n.tr("trend", "WARN ≥")),
                (ind.alarm_high, inf, alarm, ind.alarm_high, i18n.tr("trend", "ALARM ≥")),
                (ind.alarm_low if ind.alarm_low is not None else -inf, ind.warn_low, warn, ind.warn_low,
                 i18n.tr("trend", "WARN ≤")),
                (-inf, ind.alarm_low, alarm, ind.alarm_low, i18n.tr("trend", "ALARM ≤")),
            ):
                if edge is not None:
                    self.regions.append((lo, hi, over_surface(colour, 170 if strip else 26)))
                    self.edges.append((edge, colour, f"{word} {ind.format(edge)} {ind.unit}"))
        self.changed()

    def draw(self, p, tr, view: QRectF, device: QRectF) -> None:
        """Fills first: ``draw_edges`` goes over the grid, this under it."""
        for lo, hi, colour in self.regions:
            a, b = max(lo, view.top()), min(hi, view.bottom())
            if a < b:
                ya, yb = tr.map(QPointF(0, a)).y(), tr.map(QPointF(0, b)).y()
                x = (device.right() - self.STRIP_PX if self.right else device.left()) if self.strip else device.left()
                width = self.STRIP_PX if self.strip else device.width()
                p.fillRect(QRectF(x, min(ya, yb), width, abs(yb - ya)), colour)

    def draw_edges(self, p, tr, view: QRectF, device: QRectF) -> None:
        p.setFont(font(SMALLEST_TEXT_PX))
        align = (Qt.AlignmentFlag.AlignRight if self.right else Qt.AlignmentFlag.AlignLeft) | Qt.AlignmentFlag.AlignBottom
        for value, colour, text in self.edges:
            if view.top() <= value <= view.bottom():
                y = tr.map(QPointF(0, value)).y()
                p.setPen(QPen(alpha(colour, 150), 1, Qt.PenStyle.DashLine))
                p.drawLine(QPointF(device.left(), y), QPointF(device.right(), y))
                p.setPen(colour)
                p.drawText(QRectF(device.left() + 10, y - 15, device.width() - 20, 14), align, text)


class Edges:
    """The threshold edges as a layer of their own, so they are drawn over the grid."""

    changed = staticmethod(lambda: None)

    def __init__(self, bands: ThresholdBands) -> None:
        self.bands = bands

    def draw(self, p, tr, view: QRectF, device: QRectF) -> None:
        self.bands.draw_edges(p, tr, view, device)


class AlarmMarks:
    """Vertical lines at alarm events of the shown indicators, labelled at the top."""

    MIN_LABEL_GAP_PX = 36
    changed = staticmethod(lambda: None)

    def __init__(self) -> None:
        self.marks: list[tuple[float, QColor, bool, str, QColor]] = []  # ts, line, dashed, label, label colour

    def set_marks(self, marks: list[tuple[float, QColor, bool, str, QColor]]) -> None:
        self.marks = sorted(marks, key=lambda m: m[0])
        self.changed()

    def draw(self, p, tr, view: QRectF, device: QRectF) -> None:
        p.setFont(font(SMALLEST_TEXT_PX, bold=True))
        last_label = -math.inf
        for ts, colour, dashed, label, label_colour in self.marks:
            if not view.left() <= ts <= view.right():
                continue
            x = tr.map(QPointF(ts, 0)).x()
            p.setPen(QPen(colour, 1.5, Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine))
            p.drawLine(QPointF(x, device.top() + 14), QPointF(x, device.bottom()))
            if label and x - last_label >= self.MIN_LABEL_GAP_PX:
                p.setPen(label_colour)
                centre = min(max(x, device.left() + 30), device.right() - 30)  # whole, even at the edge
                p.drawText(QRectF(centre - 30, device.top(), 60, 13), Qt.AlignmentFlag.AlignCenter, label)
                last_label = x


class PassiveViewBox(pg.ViewBox):
    """The right-hand axis' ViewBox: lies on top but lets mouse gestures through to the main one."""

    def mouseDragEvent(self, ev, axis=None) -> None:  # noqa: N802
        ev.ignore()

    def wheelEvent(self, ev, axis=None) -> None:  # noqa: N802
        ev.ignore()

    def mouseClickEvent(self, ev) -> None:  # noqa: N802
        ev.ignore()

"""The legend of the 3D scene: what its building colours and its markers mean.

A painted widget, not labels: its groups (the colours' title, the normal band's ramp, the
threshold colours, the beacon and sensor keys) are measured and placed as one strip under the
scene, wrapped onto rows on a narrow panel, or flowed into a column beside the scene on a
far-read wall (``dock_legend`` chooses). The rest around the canvas is ``widgets.scene.overlay``.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QLinearGradient, QPainter, QPen
from PySide6.QtWidgets import QBoxLayout, QSizePolicy, QWidget

from console.model.indicator import Status
from console.model.vocab import SEVERITIES
from widgets import theme
from widgets.i18n import core, tr
from widgets.map import style

Swatch = tuple[tuple[int, int, int], str]  # a colour and its words

ROW_PX, GAP_PX, RAMP_PX = 34, 18, 200
LINE_PX, GROUP_GAP_PX = 23, 8  # the column legend: a line of 14–15 px text, a little air between its groups


class LegendStrip(QWidget):
    """Painted under the scene: what the building colours mean (a title, the ramp of the normal
    band as one gradient bar labelled at its ends, the threshold colours), then the beacon and
    sensor keys at the right. On a narrow panel the groups wrap onto a second row instead of
    overlapping; ``set_content`` repaints only when something changed.

    As a ``column`` (``set_column``) it stands beside the scene instead, each group's words
    flowing in a narrow column: on a far-read wall the text is large in few logical pixels, and
    three rows under the scene took half the panel's height from it.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.content: tuple = ("", [], [], True, True)
        self.column = False
        self.column_height = math.inf  # the most the column may take: the scene's height
        self.setFixedHeight(ROW_PX + 8)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_column(self, column: bool, height: float = math.inf) -> None:
        """Beside the scene (a column no taller than ``height``, if it can) or under it (a strip as
        wide as the view)."""
        if (column, height) != (self.column, self.column_height):
            self.column, self.column_height = column, height
            self.setMinimumWidth(0)
            self.setMaximumWidth(16_777_215)
            self.setSizePolicy(QSizePolicy.Policy.Fixed if column else QSizePolicy.Policy.Expanding,
                               QSizePolicy.Policy.Fixed)
            self._relayout()
            self.update()

    @property
    def title(self) -> str:
        return self.content[0]

    def set_content(self, title: str, ramp: list[Swatch], swatches: list[Swatch], beacons: bool,
                    sensors: bool) -> None:
        new = (title, ramp, swatches, beacons, sensors)
        if new != self.content:
            self.content = new
            self._relayout()
            self.update()

    def _groups(self) -> list[tuple[float, bool, object]]:
        """(width, kept at the right, paint(p, x, cy)) of each group, in reading order."""
        title, ramp, swatches, beacons, sensors = self.content
        head, small = style.font(15, bold=True), style.font(14)
        hm, sm = QFontMetricsF(head), QFontMetricsF(small)
        groups = [(hm.horizontalAdvance(title), False, lambda p, x, cy: _text(p, x, cy, title, head, theme.TEXT))]
        if ramp:
            groups.append((RAMP_PX, False, lambda p, x, cy: _ramp(p, x, cy, ramp, small)))
        for rgb, text in swatches:
            groups.append((21 + sm.horizontalAdvance(text), False,
                           lambda p, x, cy, rgb=rgb, text=text: _chip(p, x, cy, QColor(*rgb), text, small, True)))
        for name, items in _keys(beacons, sensors):
            width = sm.horizontalAdvance(name) + 10 + sum(21 + sm.horizontalAdvance(t) + 12 for _, t in items)
            groups.append((width, True, lambda p, x, cy, name=name, items=items: _key(p, x, cy, name, items, small)))
        return groups

    def _flows(self) -> list[list[tuple[float, float, object]]]:
        """The column's groups, each a list of (width, height, paint(p, x, cy)) items that flow; the
        colours' title alone on its line, over the group of its colours."""
        title, ramp, swatches, beacons, sensors = self.content
        head, small = style.font(15, bold=True), style.font(14)
        sm = QFontMetricsF(small)
        flows = [[(QFontMetricsF(head).horizontalAdvance(title), LINE_PX,
                   lambda p, x, cy: _text(p, x, cy, title, head, theme.TEXT))]]
        first: list[tuple[float, float, object]] = []
        if ramp:
            first.append((RAMP_PX, ROW_PX, lambda p, x, cy: _ramp(p, x, cy, ramp, small)))
        first += [(21 + sm.horizontalAdvance(text), LINE_PX,
                   lambda p, x, cy, rgb=rgb, text=text: _chip(p, x, cy, QColor(*rgb), text, small, True))
                  for rgb, text in swatches]
        flows.append(first)
        for name, items in _keys(beacons, sensors):
            flows.append([(sm.horizontalAdvance(name), LINE_PX,
                           lambda p, x, cy, name=name: _text(p, x, cy, name, small, theme.TEXT_DIM))]
                         + [(21 + sm.horizontalAdvance(text), LINE_PX,
                             lambda p, x, cy, c=c, text=text: _chip(p, x, cy, c, text, small)) for c, text in items])
        return flows

    def _place_column(self, width: float) -> tuple[list[tuple[float, float, object]], float]:
        """Where each item of the column goes, (x, centre y, paint), and the column's height: each
        group starts a line, its items wrap within ``width``."""
        placed, y = [], 4.0
        for n, flow in enumerate(self._flows()):
            if not flow:
                continue
            line: list[tuple[float, float, object]] = []
            x = 6.0
            for w, h, paint in flow:
                if line and x + w > width - 6.0:
                    tall = max(item[1] for item in line)
                    placed += [(ix, y + tall / 2, ip) for ix, _, ip in line]
                    line, x, y = [], 6.0, y + tall
                line.append((x, h, paint))
                x += w + 12.0
            tall = max(item[1] for item in line)
            placed += [(ix, y + tall / 2, ip) for ix, _, ip in line]
            y += tall + (GROUP_GAP_PX if n else 0.0)  # the title stays with its colours
        return placed, y - GROUP_GAP_PX + 4.0

    def column_width(self) -> int:
        """The column's width: its widest item (or the ramp, or a key's name with its first word),
        widened while that keeps it taller than ``column_height`` (up to twice as wide)."""
        flows = self._flows()
        widths = [w for flow in flows for w, _, _ in flow]
        pairs = [flow[0][0] + 12.0 + flow[1][0] for flow in flows[2:] if len(flow) > 1]
        narrow = math.ceil(max([*widths, *pairs, RAMP_PX]) + 12.0)
        return next((w for w in range(narrow, 2 * narrow, 8) if self._place_column(w)[1] <= self.column_height),
                    2 * narrow)

    def rows_at(self, width: float) -> int:
        """How many rows the strip takes under a scene ``width`` pixels wide."""
        return 1 + max((row for _, row, _ in self._place(width)), default=0)

    def _place(self, width: float | None = None) -> list[tuple[float, int, object]]:
        """Where each group goes: (x, row, paint). One row when all fit (keys at the right), else wrapped."""
        groups, right = self._groups(), (self.width() if width is None else width) - 6.0
        if sum(w for w, _, _ in groups) + GAP_PX * (len(groups) + 1) <= right:
            x, placed = right, []
            for w, at_right, paint in reversed(groups):
                if at_right:
                    x -= w
                    placed.append((x, 0, paint))
                    x -= GAP_PX
            x = 6.0
            for w, at_right, paint in groups:
                if not at_right:
                    placed.append((x, 0, paint))
                    x += w + GAP_PX
            return placed
        x, row, placed = 6.0, 0, []
        for w, _, paint in groups:
            if x > 6.0 and x + w > right:
                x, row = 6.0, row + 1
            placed.append((x, row, paint))
            x += w + GAP_PX
        return placed

    def _relayout(self) -> None:
        if self.column:
            width = self.column_width()
            height = math.ceil(self._place_column(width)[1])
            if (self.width(), self.height()) != (width, height):
                self.setFixedSize(width, height)
            return
        rows = 1 + max((row for _, row, _ in self._place()), default=0)
        if self.height() != rows * ROW_PX + 8:
            self.setFixedHeight(rows * ROW_PX + 8)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._relayout()

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.column:
            for x, cy, paint in self._place_column(self.width())[0]:
                paint(p, x, cy)
        else:
            for x, row, paint in self._place():
                paint(p, x, 4 + row * ROW_PX + ROW_PX / 2)
        p.end()


def dock_legend(legend: LegendStrip, under: QBoxLayout, status: QWidget, beside: QBoxLayout, width: int,
                height: int) -> None:
    """``legend`` under the scene (in ``under``, above the ``status`` line) while it fits one row of
    ``width``; else beside it (in ``beside``, after the canvas), a column at most ``height`` tall."""
    column = legend.rows_at(width) > 1
    if column != legend.column:
        (beside if legend.column else under).removeWidget(legend)
        if column:
            beside.insertWidget(1, legend, 0, Qt.AlignmentFlag.AlignTop)
        else:
            under.insertWidget(under.indexOf(status), legend)
    legend.set_column(column, height if column else math.inf)


def _keys(beacons: bool, sensors: bool) -> list[tuple[str, list[tuple[QColor, str]]]]:
    """The marker keys shown: (name, [(colour, word)])."""
    keys = []
    if beacons:
        keys.append((tr("scene", "Incidents"), [(theme.SEVERITY_COLOURS[s], core(SEVERITIES[s]))
                                                for s in (1, 2, 3, 4)]))
    if sensors:
        keys.append((tr("scene", "Sensors"), [(style.SENSOR_COLOURS[s], theme.status_word(s)) for s in
                                              (Status.NORMAL, Status.WARNING, Status.ALARM, Status.NODATA)]))
    return keys


def _text(p: QPainter, x: float, cy: float, text: str, font, colour: QColor) -> None:
    p.setFont(font)
    p.setPen(colour)
    p.drawText(QRectF(x, cy - 14, QFontMetricsF(font).horizontalAdvance(text) + 2, 28),
               Qt.AlignmentFlag.AlignVCenter, text)


def _ramp(p: QPainter, x: float, cy: float, ramp: list[Swatch], font) -> None:
    """The normal band as a gradient bar, its end values below it."""
    bar = QRectF(x, cy - 14, RAMP_PX, 12)
    gradient = QLinearGradient(bar.left(), 0, bar.right(), 0)
    for k, (rgb, _) in enumerate(ramp):
        gradient.setColorAt(k / max(1, len(ramp) - 1), QColor(*rgb))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(gradient)
    p.drawRoundedRect(bar, 3, 3)
    p.setFont(font)
    p.setPen(theme.TEXT_DIM)
    below = QRectF(x, bar.bottom() + 1, RAMP_PX, 18)
    p.drawText(below, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, ramp[0][1])
    p.drawText(below, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, ramp[-1][1])


def _chip(p: QPainter, x: float, cy: float, colour: QColor, text: str, font, square: bool = False) -> float:
    """A colour mark and its word (never colour alone); returns where it ends."""
    p.setPen(QPen(theme.BACKGROUND, 1.2))
    p.setBrush(colour)
    if square:
        p.drawRoundedRect(QRectF(x, cy - 8, 16, 16), 3, 3)
    else:
        p.drawEllipse(QRectF(x, cy - 7, 14, 14))
    _text(p, x + 21, cy, text, font, theme.TEXT)
    return x + 21 + QFontMetricsF(font).horizontalAdvance(text)


def _key(p: QPainter, x: float, cy: float, title: str, items: list, font) -> None:
    """A titled row of dots."""
    _text(p, x, cy, title, font, theme.TEXT_DIM)
    x += QFontMetricsF(font).horizontalAdvance(title) + 10
    for colour, text in items:
        x = _chip(p, x, cy, colour, text, font) + 12

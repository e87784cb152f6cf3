"""What sits around the 3D canvas: the legend strip, the picked building's card, the status line
and the loading page.

Qt widgets beside the canvas, not over it: a native VTK window hides any widget laid on top of
it, and text painted by Qt stays crisp at any camera distance. (The few labels inside the scene
are in ``widgets.scene.labels``.)
"""

from __future__ import annotations

import html
import math

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QLinearGradient, QPainter, QPen
from PySide6.QtWidgets import QFrame, QLabel, QProgressBar, QSizePolicy, QVBoxLayout, QWidget

from console.model.indicator import Status
from console.model.vocab import SEVERITIES
from widgets import theme
from widgets.i18n import core, tr
from widgets.map import style

CARD_WIDTH = 380
Swatch = tuple[tuple[int, int, int], str]


# -- the legend ----------------------------------------------------------------------------------
ROW_PX, GAP_PX, RAMP_PX = 34, 18, 200


class LegendStrip(QWidget):
    """Painted under the scene: what the building colours mean (a title, the ramp of the normal
    band as one gradient bar labelled at its ends, the threshold colours), then the beacon and
    sensor keys at the right. On a narrow panel the groups wrap onto a second row instead of
    overlapping; ``set_content`` repaints only when something changed.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.content: tuple = ("", [], [], True, True)
        self.setFixedHeight(ROW_PX + 8)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

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
        keys = []
        if beacons:
            keys.append((tr("scene", "Incidents"), [(theme.SEVERITY_COLOURS[s], core(SEVERITIES[s]))
                                                    for s in (1, 2, 3, 4)]))
        if sensors:
            keys.append((tr("scene", "Sensors"), [(style.SENSOR_COLOURS[s], theme.status_word(s)) for s in
                                                  (Status.NORMAL, Status.WARNING, Status.ALARM, Status.NODATA)]))
        for name, items in keys:
            width = sm.horizontalAdvance(name) + 10 + sum(21 + sm.horizontalAdvance(t) + 12 for _, t in items)
            groups.append((width, True, lambda p, x, cy, name=name, items=items: _key(p, x, cy, name, items, small)))
        return groups

    def _place(self) -> list[tuple[float, int, object]]:
        """Where each group goes: (x, row, paint). One row when all fit (keys at the right), else wrapped."""
        groups, right = self._groups(), self.width() - 6.0
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
        rows = 1 + max((row for _, row, _ in self._place()), default=0)
        if self.height() != rows * ROW_PX + 8:
            self.setFixedHeight(rows * ROW_PX + 8)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._relayout()

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        for x, row, paint in self._place():
            paint(p, x, 4 + row * ROW_PX + ROW_PX / 2)
        p.end()


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


# -- the picked building's card ------------------------------------------------------------------
class InfoCard(QFrame):
    """Name, size, use and age of the picked building, and its sensors' current values."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("sceneCard")
        self.setFixedWidth(CARD_WIDTH)
        self.setStyleSheet(f"QFrame#sceneCard {{ background: {theme.SURFACE_RAISED.name()}; "
                           f"border: 1px solid {theme.BORDER.name()}; border-radius: 6px; }}"
                           "QFrame#sceneCard QLabel { background: transparent; }")
        box = QVBoxLayout(self)
        box.setContentsMargins(14, 12, 14, 12)
        box.setSpacing(8)
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.facts = QLabel()
        self.linked = QLabel()
        self.linked.setWordWrap(True)
        self.hint = QLabel(tr("scene", "Esc closes · double-click flies there"))
        self.hint.setStyleSheet(f"color: {theme.TEXT_DIM.name()}; font-size: 14px;")
        for label in (self.heading, self.facts, self.linked):
            label.setTextFormat(Qt.TextFormat.RichText)
            box.addWidget(label)
        box.addStretch(1)
        box.addWidget(self.hint)
        self.building: int | None = None
        self._shown: tuple = ()
        self.hide()

    def show_building(self, building: int, title: str, facts: list[tuple[str, str]],
                      linked: list[tuple[str, str, Status]]) -> None:
        """``facts`` (label, value) rows; ``linked`` (indicator name, value text, status)."""
        shown = (building, title, tuple(facts), tuple(linked))
        self.building = building
        if shown != self._shown:
            self._shown = shown
            breakable = html.escape(title).replace(".", ".\u200b")  # long ids (NL.IMBAG.Pand.0503…) wrap at dots
            self.heading.setText(f'<div style="font-size:20px; font-weight:700">{breakable}</div>')
            rows = "".join(f'<tr><td style="color:{theme.TEXT_DIM.name()}; padding-right:14px">{html.escape(k)}</td>'
                           f'<td>{html.escape(v)}</td></tr>' for k, v in facts)
            self.facts.setText(f'<table style="font-size:15px">{rows}</table>')
            self.linked.setText(_linked_html(linked))
        self.show()

    def show_facts(self, title: str, facts: list[tuple[str, str]]) -> None:
        """A card of plain facts (a 3D Tiles feature's properties): no linked indicators."""
        self.show_building(-1, title, facts, [])
        self.linked.hide()

    def close_card(self) -> None:
        self.linked.show()
        self.building = None
        self._shown = ()
        self.hide()


def _linked_html(linked: list[tuple[str, str, Status]]) -> str:
    head = f'<div style="color:{theme.TEXT_DIM.name()}; font-size:14px; font-weight:600">' \
           f'{html.escape(tr("scene", "LINKED INDICATORS"))}</div>'
    if not linked:
        return head + f'<div style="font-size:15px">{html.escape(tr("scene", "No sensors at this building"))}</div>'
    rows = "".join(
        f'<tr><td style="color:{style.SENSOR_COLOURS[s].name()}; font-size:18px">●</td>'
        f'<td style="padding-left:6px">{html.escape(name)}</td>'
        f'<td align="right" style="padding-left:12px; font-weight:700">{html.escape(value)}</td>'
        f'<td style="padding-left:8px; color:{style.SENSOR_COLOURS[s].name()}; font-weight:700">'
        f'{html.escape(theme.status_word(s))}</td></tr>' for name, value, s in linked)
    return head + f'<table style="font-size:15px">{rows}</table>'


# -- status line and loading page ----------------------------------------------------------------
class StatusLine(QLabel):
    """Where the camera is and what the tour does; amber while the tour waits on an alarm."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFixedHeight(26)
        self._shown: tuple = ()

    def show_text(self, text: str, warn: bool = False) -> None:
        if (text, warn) == self._shown:
            return
        self._shown = (text, warn)
        colour = theme.STATUS_COLOURS[Status.WARNING] if warn else theme.TEXT_DIM
        self.setStyleSheet(f"color: {colour.name()}; font-size: 15px; font-weight: {700 if warn else 400};")
        self.setText(text)


class LoadingPage(QWidget):
    """What the panel shows while the city's meshes are built: how far it got, or why it failed."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        box = QVBoxLayout(self)
        box.addStretch(1)
        self.label = QLabel()
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setStyleSheet(f"color: {theme.TEXT.name()}; font-size: 22px; font-weight: 600;")
        self.label.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.bar.setTextVisible(False)
        self.bar.setFixedSize(420, 10)
        box.addWidget(self.label)
        box.addWidget(self.bar, 0, Qt.AlignmentFlag.AlignHCenter)
        box.addStretch(1)
        self.progress(0, 0)

    def progress(self, done: int, total: int) -> None:
        percent = math.floor(100 * done / total) if total else 0
        self.bar.show()
        self.bar.setValue(percent)
        self.label.setText(tr("scene", "Loading 3D city… {percent} %").format(percent=percent))

    def message(self, text: str) -> None:
        self.bar.hide()
        self.label.setText(text)

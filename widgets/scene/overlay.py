"""What sits around the 3D canvas: the picked building's card, the status line and the loading
page (the legend under or beside it is ``widgets.scene.legend``).

Qt widgets beside the canvas, not over it: a native VTK window hides any widget laid on top of
it, and text painted by Qt stays crisp at any camera distance. (The few labels inside the scene
are in ``widgets.scene.labels``.)
"""

from __future__ import annotations

import html
import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QLabel, QProgressBar, QVBoxLayout, QWidget

from console.model.indicator import Status
from widgets import theme
from widgets.i18n import tr
from widgets.map import style

CARD_WIDTH = 380


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
    """Where the camera is and what the tour does; amber while the tour waits on an alarm.

    Its parts come most important first: those that do not fit whole are left off from the end,
    never cut mid-word (a far-read wall's panel is narrow in logical pixels)."""

    SEPARATOR = "  ·  "

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
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt naming)
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        parts = self._shown[0].split(self.SEPARATOR) if self._shown else [""]
        self.ensurePolished()  # the style sheet's font, measured
        metrics, room = self.fontMetrics(), self.contentsRect().width()
        while len(parts) > 1 and metrics.horizontalAdvance(self.SEPARATOR.join(parts)) > room:
            parts.pop()
        self.setText(self.SEPARATOR.join(parts))


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

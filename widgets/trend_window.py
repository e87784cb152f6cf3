"""Which span a trend chart shows, and the row that chooses it: a window following now (15 min, 1 h,
1 d, 7 d, or the layout's own), or a span looked back at after a pan or zoom, which returns to now
when Live is pressed or nobody touched the chart for a minute.

Mixed into ``TrendChart`` (widgets/trend.py), as the wall's sign-in and screenshots are into ``Wall``:
the chart draws, this part holds what it is asked to draw and says so on its buttons.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout

from widgets import theme
from widgets.base import ViewContext
from widgets.i18n import duration, tr

_WINDOW = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|h|d)$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_window(text: str) -> float:
    """'15m', '1h', '24h', '7d' -> seconds."""
    match = _WINDOW.match(text.strip())
    if not match:
        raise ValueError(f"chart window {text!r} is not like 15m, 1h, 24h or 7d")
    return float(match.group(1)) * _UNIT_S[match.group(2)]


def window_label(seconds: float) -> str:
    """Seconds as a button reads: '15 min', '1 h', '7 d'."""
    return duration(seconds)


_BUTTONS = f"""
QPushButton {{ background: {theme.SURFACE_RAISED.name()}; color: {theme.TEXT_DIM.name()};
               border: 1px solid {theme.BORDER.name()}; border-radius: 3px; padding: 1px 8px; }}
QPushButton:checked {{ color: {theme.TEXT.name()}; border-color: {theme.ACCENT.name()}; }}
QPushButton#live {{ color: {theme.ACCENT.name()}; border-color: {theme.ACCENT.name()}; font-weight: 600; }}
QPushButton#live:checked {{ color: {theme.TEXT.name()};
                            border-color: {theme.BORDER.name()}; }}
QLabel {{ background: transparent; }}
"""


class WindowControls:
    """The window part of a ``TrendChart``: what it reads of the chart, and the span it follows."""

    ctx: ViewContext
    body: QVBoxLayout
    title_label: QLabel
    vb: pg.ViewBox
    WINDOWS: tuple[float, ...]
    LIVE_TIMEOUT_S: float
    window_s: float
    following: bool
    _touched: float
    _now: float | None
    _view_key: tuple | None
    refresh: Callable[[float], None]

    def _build_toolbar(self) -> None:
        """Title, status, window buttons and Live on one row: wall space is for the chart."""
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        self.body.removeWidget(self.title_label)
        self.title_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # cut, not widen
        row.addWidget(self.title_label, 1)
        self.window_buttons: dict[float, QPushButton] = {}
        self._window_group = QButtonGroup(self)
        self._window_group.setExclusive(False)  # looking back, none is checked: _show_mode decides
        for seconds in sorted({*self.WINDOWS, self.window_s}):
            button = QPushButton(window_label(seconds))
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _=False, s=seconds: self.set_window(s))
            self._window_group.addButton(button)
            self.window_buttons[seconds] = button
            row.addWidget(button)
        self.live_button = QPushButton(tr("trend", "● LIVE"))
        self.live_button.setObjectName("live")
        self.live_button.setCheckable(True)
        self.live_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.live_button.setToolTip(tr("trend", "Follow now; looking back returns here after {seconds} s idle")
                                    .format(seconds=f"{self.LIVE_TIMEOUT_S:.0f}"))
        self.live_button.clicked.connect(lambda: self.go_live())
        row.addSpacing(6)
        row.addWidget(self.live_button)
        for button in (*self.window_buttons.values(), self.live_button):
            button.setStyleSheet(_BUTTONS)
        self.body.insertLayout(0, row)
        # the legend is a row of text above the plot, not an overlay: it never hides data
        below = QHBoxLayout()
        below.setContentsMargins(2, 0, 2, 0)
        self.legend = QLabel("")
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.status_label = QLabel("")
        self.status_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.status_label.setWordWrap(True)  # a narrow panel wraps it rather than widening the screen
        for label in (self.legend, self.status_label):
            label.setStyleSheet(f"background: transparent; color: {theme.TEXT.name()}; font-size: 14px;")
        self.status_label.setStyleSheet(self.status_label.styleSheet() + f"color: {theme.TEXT_DIM.name()};")
        below.addWidget(self.legend, 1)
        below.addWidget(self.status_label)
        self.body.insertLayout(1, below)
        self._show_mode()

    def set_window(self, seconds: float) -> None:
        """A window button: that span, following now."""
        self.window_s = seconds
        self.go_live()

    def go_live(self) -> None:
        self.following = True
        self._view_key = None
        self._show_mode()
        if self._now is not None:
            self.refresh(self._now)

    def show_range(self, t0: float, t1: float) -> None:
        """Look at [t0, t1] as a pan or zoom with the mouse would."""
        self.vb.setXRange(t0, t1, padding=0)
        self._on_user_range([True, False])

    def _on_user_range(self, mask) -> None:
        self.following = False
        self._touched = time.monotonic()
        self._show_mode()
        if self._now is not None:
            self.refresh(self._now)

    def _show_mode(self) -> None:
        self.live_button.setChecked(self.following)
        if self.ctx.timeline is not None:  # in a replay "live" would mislead: the chart follows the replayed time
            self.live_button.setText(tr("trend", "● FOLLOWING") if self.following else tr("trend", "▶ BACK TO NOW"))
        else:
            self.live_button.setText(tr("trend", "● LIVE") if self.following else tr("trend", "▶ BACK TO LIVE"))
        for seconds, button in self.window_buttons.items():
            button.setChecked(self.following and seconds == self.window_s)

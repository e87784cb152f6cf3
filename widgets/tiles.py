"""Indicator tiles: one painted widget for the whole grid, readable from across the room.

A single widget painting every tile keeps the paint cost to one pass and lets the grid fill
its area exactly: the column count is chosen so tiles come out close to a 16:10 shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QWidget

from console.model.indicator import Indicator, Status, format_age
from widgets import theme
from widgets.base import View, register


@dataclass(frozen=True)
class TileState:
    """What one tile shows; the grid repaints only when some tile's state changes."""

    code: str
    name: str
    value: str
    unit: str
    status: Status
    age_text: str


def grid_shape(n: int, width: float, height: float, aspect: float = 1.6) -> tuple[int, int]:
    """Columns and rows for ``n`` tiles filling width × height with tiles near ``aspect``."""
    if n <= 0:
        return 0, 0
    best = (1, n, math.inf)
    for cols in range(1, n + 1):
        rows = math.ceil(n / cols)
        tile_aspect = (width / cols) / max(height / rows, 1.0)
        waste = cols * rows - n
        score = abs(math.log(tile_aspect / aspect)) + 0.15 * waste
        if score < best[2]:
            best = (cols, rows, score)
    return best[0], best[1]


class TileCanvas(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.states: list[TileState] = []
        self.setMinimumSize(200, 120)

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt naming)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        cols, rows = grid_shape(len(self.states), self.width(), self.height())
        if not cols:
            painter.setPen(theme.TEXT_DIM)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Waiting for data…")
            return
        gap = 6.0
        w = (self.width() - gap * (cols - 1)) / cols
        h = (self.height() - gap * (rows - 1)) / rows
        value_px = min(self._value_px(painter, s, w, h) for s in self.states)
        for i, state in enumerate(self.states):
            r, c = divmod(i, cols)
            self._paint_tile(painter, QRectF(c * (w + gap), r * (h + gap), w, h), state, value_px)

    @staticmethod
    def _geometry(w: float, h: float) -> tuple[float, float, float]:
        """Band height, padding and text scale of a tile of w × h pixels."""
        band = max(6.0, h * 0.07)
        pad = max(6.0, w * 0.05)
        scale = min((h - band - 4 - pad * 0.6) / 6.0, (w - 2 * pad) / 9.0)
        return band, pad, scale

    def _value_px(self, painter: QPainter, s: TileState, w: float, h: float) -> int:
        """The largest value font that fits this tile beside its unit: one size serves the grid."""
        _, pad, scale = self._geometry(w, h)
        width = w - 2 * pad
        name_font = QFont(painter.font()); name_font.setPixelSize(max(10, int(scale * 0.8)))
        unit_w = min(QFontMetrics(name_font).horizontalAdvance(s.unit) + scale * 0.4, width * 0.45)
        font = QFont(painter.font()); font.setBold(True)
        size = max(12, int(scale * 2.6))
        font.setPixelSize(size)
        value_w = QFontMetrics(font).horizontalAdvance(s.value)
        if value_w + unit_w > width:
            size = max(12, min(size, int(size * (width - unit_w) / max(value_w, 1))))
        return size

    def _paint_tile(self, p: QPainter, rect: QRectF, s: TileState, value_px: int) -> None:
        colour = theme.STATUS_COLOURS[s.status]
        p.setPen(QPen(colour if s.status in (Status.WARNING, Status.ALARM) else theme.BORDER, 2))
        p.setBrush(theme.SURFACE_RAISED)
        p.drawRoundedRect(rect.adjusted(1, 1, -1, -1), 5, 5)
        band, pad, scale = self._geometry(rect.width(), rect.height())
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        p.drawRoundedRect(QRectF(rect.left() + 1, rect.top() + 1, rect.width() - 2, band), 4, 4)
        inner = rect.adjusted(pad, band + 4, -pad, -pad * 0.6)
        # two name lines (measure, then where), value + unit (large), status word and age
        name_font = QFont(p.font()); name_font.setPixelSize(max(10, int(scale * 0.8)))
        where_font = QFont(name_font); where_font.setBold(True)
        small_font = QFont(p.font()); small_font.setPixelSize(max(9, int(scale * 0.85))); small_font.setBold(True)
        line = QFontMetrics(name_font).height()
        top = QRectF(inner.left(), inner.top(), inner.width(), line)
        where_rect = QRectF(inner.left(), top.bottom(), inner.width(), line)
        bottom_h = QFontMetrics(small_font).height() * 1.2
        mid = QRectF(inner.left(), where_rect.bottom(), inner.width(), inner.bottom() - bottom_h - where_rect.bottom())
        bottom = QRectF(inner.left(), mid.bottom(), inner.width(), bottom_h)
        measure, _, where = s.name.partition(", ")
        p.setFont(name_font)
        p.setPen(theme.TEXT_DIM)
        p.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   QFontMetrics(name_font).elidedText(measure, Qt.TextElideMode.ElideRight, int(top.width())))
        p.setFont(where_font)
        p.setPen(theme.TEXT)
        p.drawText(where_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   QFontMetrics(where_font).elidedText(where, Qt.TextElideMode.ElideRight, int(where_rect.width())))
        value_font = QFont(p.font()); value_font.setBold(True)
        value_font.setPixelSize(value_px)
        value_w = QFontMetrics(value_font).horizontalAdvance(s.value)
        p.setPen(theme.TEXT_DIM if s.status in (Status.STALE, Status.NODATA) else theme.TEXT)
        p.setFont(value_font)
        p.drawText(mid, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, s.value)
        p.setFont(name_font)
        p.setPen(theme.TEXT_DIM)
        unit_rect = QRectF(mid.left() + value_w + scale * 0.3, mid.top(), mid.width() - value_w - scale * 0.3, mid.height())
        p.drawText(unit_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   QFontMetrics(name_font).elidedText(s.unit, Qt.TextElideMode.ElideRight, int(unit_rect.width())))
        p.setFont(small_font)
        p.setPen(colour if s.status not in (Status.NODATA,) else theme.TEXT_DIM)
        p.drawText(bottom, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, theme.STATUS_WORDS[s.status])
        if s.age_text:
            p.setPen(theme.TEXT_DIM)
            p.drawText(bottom, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, s.age_text)


@register("tiles")
class TileGrid(View):
    """A grid of indicator tiles chosen by code patterns, categories and/or district."""

    PARAMS = {"title": str, "indicators": list, "categories": list, "district": str}

    def __init__(self, store, params, parent=None):
        super().__init__(store, params, parent)
        self.canvas = TileCanvas(self)
        self.body.addWidget(self.canvas, 1)

    def default_title(self) -> str:
        return "Vital signs"

    def tile_state(self, ind: Indicator, now: float) -> TileState:
        reading = self.store.latest(ind.id, now)
        if reading is None:
            return TileState(ind.code, ind.name, "—", ind.unit, Status.NODATA, "")
        ts, value, _ = reading
        status = ind.status(value, now - ts)
        age = f"{format_age(now - ts)} ago" if status is Status.STALE else ""
        return TileState(ind.code, ind.name, ind.format(value), ind.unit, status, age)

    def refresh(self, now: float) -> None:
        states = [self.tile_state(ind, now) for ind in self.chosen()]
        if states != self.canvas.states:
            self.canvas.states = states
            self.canvas.update()

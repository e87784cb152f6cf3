"""What sits on top of the map, fixed to the screen: the layer bar, scale bar, north arrow and
the severity key. Painted, like the map: no child widgets to lay out or to repaint separately.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen, QPolygonF

from console.model.vocab import SEVERITIES
from widgets import theme
from widgets.i18n import core
from widgets.map import style

PANEL = QColor(20, 27, 36, 225)
CHIP_ON = QColor("#1f3b5c")
_NICE = (10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000)


def layer_bar(p: QPainter, layers: list[tuple[str, str, bool]], x: float = 8, y: float = 8,
              right: float = float("inf")) -> list[tuple[QRectF, str]]:
    """Chips "1 Incidents", "2 Heat · 1 h", … lit when the layer is on; returns their rectangles.
    A chip that would cross ``right`` (the north arrow's edge) starts a row below."""
    f = style.font(14, bold=True)
    m = QFontMetricsF(f)
    p.setFont(f)
    rects = []
    left = x
    for i, (name, text, on) in enumerate(layers):
        label = f"{i + 1}  {text}"
        r = QRectF(x, y, m.horizontalAdvance(label) + 18, m.height() + 10)
        if r.right() > right and x > left:
            x, y = left, r.bottom() + 6
            r = QRectF(x, y, r.width(), r.height())
        p.setPen(QPen(theme.ACCENT if on else theme.BORDER, 1.5))
        p.setBrush(CHIP_ON if on else PANEL)
        p.drawRoundedRect(r, 5, 5)
        p.setPen(theme.TEXT if on else theme.TEXT_DIM)
        p.drawText(r, Qt.AlignmentFlag.AlignCenter, label)
        rects.append((r, name))
        x = r.right() + 6
    return rects


def nice_length(metres: float) -> float:
    """The largest round length (10 m, 20 m, 50 m, … 50 km) not over ``metres``."""
    return max((n for n in _NICE if n <= metres), default=_NICE[0])


def scale_bar(p: QPainter, scale: float, x: float, bottom: float, target_px: float = 160) -> QRectF:
    """A two-tone bar of a round length near ``target_px`` with its length written above."""
    metres = nice_length(target_px / scale)
    w = metres * scale
    text = f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
    f = style.font(14, bold=True)
    m = QFontMetricsF(f)
    box = QRectF(x, bottom - 22 - m.height() - 8, max(w, m.horizontalAdvance(text)) + 20, m.height() + 30)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(PANEL)
    p.drawRoundedRect(box, 5, 5)
    bar_y = box.bottom() - 14
    half = w / 2
    p.setBrush(theme.TEXT)
    p.drawRect(QRectF(x + 10, bar_y, half, 6))
    p.setBrush(theme.TEXT_DIM)
    p.drawRect(QRectF(x + 10 + half, bar_y, half, 6))
    p.setFont(f)
    p.setPen(theme.TEXT)
    p.drawText(QRectF(x + 10, box.top() + 4, box.width() - 20, m.height()), Qt.AlignmentFlag.AlignLeft, text)
    return box


def north_arrow(p: QPainter, right: float, top: float, size: float = 46) -> QRectF:
    """An arrow pointing up with an N: the map is always drawn north up."""
    box = QRectF(right - size, top, size, size * 1.25)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(PANEL)
    p.drawRoundedRect(box, 5, 5)
    cx, cy = box.center().x(), box.top() + size * 0.78
    p.setBrush(theme.TEXT)
    p.drawPolygon(QPolygonF([QPointF(cx, cy - size * 0.5), QPointF(cx + size * 0.22, cy + size * 0.15),
                             QPointF(cx, cy), QPointF(cx - size * 0.22, cy + size * 0.15)]))
    p.setFont(style.font(size * 0.3, bold=True))
    p.setPen(theme.TEXT)
    p.drawText(QRectF(box.left(), box.top() + 1, size, size * 0.32), Qt.AlignmentFlag.AlignCenter, "N")
    return box


def severity_key(p: QPainter, right: float, bottom: float, summary: str) -> QRectF:
    """Severity colours with their words (never colour alone), and the active/new summary."""
    f = style.font(14, bold=True)
    m = QFontMetricsF(f)
    items = [(s, core(SEVERITIES[s]).upper()) for s in (1, 2, 3, 4)]
    widths = [m.horizontalAdvance(t) + 26 for _, t in items]
    line = m.height() + 6
    w = max(sum(widths) + 10, m.horizontalAdvance(summary) + 20)
    box = QRectF(right - w, bottom - (2 * line + 10), w, 2 * line + 10)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(PANEL)
    p.drawRoundedRect(box, 5, 5)
    p.setFont(f)
    x = box.left() + 8
    y = box.top() + 5
    for (sev, text), width in zip(items, widths):
        r = 4.0 + (4 - sev) * 1.3
        p.setPen(QPen(theme.BACKGROUND, 1.5))
        p.setBrush(theme.SEVERITY_COLOURS[sev])
        p.drawEllipse(QPointF(x + 8, y + line / 2), r, r)
        p.setPen(theme.TEXT)
        p.drawText(QRectF(x + 18, y, width, line), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
        x += width
    p.setPen(theme.TEXT)
    p.drawText(QRectF(box.left() + 10, y + line, w - 20, line), Qt.AlignmentFlag.AlignVCenter, summary)
    return box


def heat_key(p: QPainter, right: float, bottom: float, text: str, table: list[int]) -> QRectF:
    """The heat ramp and what it sums (which incidents, over which window)."""
    f = style.font(14, bold=True)
    m = QFontMetricsF(f)
    w = max(200.0, m.horizontalAdvance(text) + 20)
    box = QRectF(right - w, bottom - m.height() - 30, w, m.height() + 30)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(PANEL)
    p.drawRoundedRect(box, 5, 5)
    steps = 24
    bar = QRectF(box.left() + 10, box.bottom() - 16, w - 20, 8)
    for i in range(steps):
        c = QColor.fromRgba(table[math.floor(255 * (i + 0.5) / steps)])
        c.setAlpha(max(c.alpha(), 60))
        p.setBrush(c)
        p.drawRect(QRectF(bar.left() + bar.width() * i / steps, bar.top(), bar.width() / steps + 0.5, bar.height()))
    p.setFont(f)
    p.setPen(theme.TEXT)
    p.drawText(QRectF(box.left() + 10, box.top() + 4, w - 20, m.height()), Qt.AlignmentFlag.AlignLeft, text)
    return box

"""What sits on top of the map, fixed to the screen: the layer bar, scale bar, north arrow and
the severity key. Painted, like the map: no child widgets to lay out or to repaint separately.
"""

from __future__ import annotations

import functools
import math
import re

from PySide6.QtCore import QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen, QPixmap, QPolygonF

from console.model.vocab import SEVERITIES
from widgets import theme
from widgets.i18n import core
from widgets.map import style
from widgets.map.frame import Frame, Furniture

PANEL = QColor(20, 27, 36, 225)
CHIP_ON = QColor("#1f3b5c")
_NICE = (10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000)


def chip_label(index: int, text: str) -> str:
    return f"{index + 1}  {text}"


def chip_size(label: str) -> QSizeF:
    m = QFontMetricsF(style.font(14, bold=True))
    return QSizeF(m.horizontalAdvance(label) + 18, m.height() + 10)


def layer_bar(p: QPainter, layers: list[tuple[str, str, bool]], rects: list[QRectF]) -> list[tuple[QRectF, str]]:
    """Chips "1 Incidents", "2 Heat · 1 h", … at ``rects`` (widgets/map/frame.py places them), lit
    when the layer is on; returns each chip's rectangle with its layer."""
    p.setFont(style.font(14, bold=True))
    out = []
    for i, ((name, text, on), r) in enumerate(zip(layers, rects)):
        p.setPen(QPen(theme.ACCENT if on else theme.BORDER, 1.5))
        p.setBrush(CHIP_ON if on else PANEL)
        p.drawRoundedRect(r, 5, 5)
        p.setPen(theme.TEXT if on else theme.TEXT_DIM)
        p.drawText(r, Qt.AlignmentFlag.AlignCenter, chip_label(i, text))
        out.append((r, name))
    return out


def nice_length(metres: float) -> float:
    """The largest round length (10 m, 20 m, 50 m, … 50 km) not over ``metres``."""
    return max((n for n in _NICE if n <= metres), default=_NICE[0])


SCALE_BAR_PX = (160, 100)  # the bar's length is a round distance near one of these (the frame picks)


def scale_bar_size(target_px: float) -> QSizeF:
    """The most room the scale bar takes (its bar is at most ``target_px`` long)."""
    m = QFontMetricsF(style.font(14, bold=True))
    return QSizeF(max(target_px, m.horizontalAdvance("5000 m")) + 20, m.height() + 30)


def scale_bar(p: QPainter, scale: float, x: float, bottom: float, target_px: float = SCALE_BAR_PX[0]) -> QRectF:
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


ARROW_PX = 46


def north_arrow(p: QPainter, right: float, top: float, size: float = ARROW_PX) -> QRectF:
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


def _severity_items() -> list[tuple[int, str]]:
    return [(s, core(SEVERITIES[s]).upper()) for s in (1, 2, 3, 4)]


def _summary_lines(summary: str, stacked: bool) -> list[str]:
    """The summary on one line, or stacked its parts ("30 active", "0 new") one a line."""
    return [part.strip() for part in summary.split("·")] if stacked else [summary]


def severity_key_size(summary: str, stacked: bool = False) -> QSizeF:
    """The severity key's size: its four words in a row (or one a line, ``stacked``) over the summary."""
    m = QFontMetricsF(style.font(14, bold=True))
    widths = [m.horizontalAdvance(t) + 26 for _, t in _severity_items()]
    line = m.height() + 6
    lines = _summary_lines(summary, stacked)
    items = max(widths) + 10 if stacked else sum(widths) + 10
    text = max(m.horizontalAdvance(t) for t in lines) + 20
    return QSizeF(max(items, text), (len(lines) + (4 if stacked else 1)) * line + 10)


def severity_key(p: QPainter, right: float, bottom: float, summary: str, stacked: bool = False) -> QRectF:
    """Severity colours with their words (never colour alone), and the active/new summary."""
    f = style.font(14, bold=True)
    m = QFontMetricsF(f)
    items = _severity_items()
    widths = [m.horizontalAdvance(t) + 26 for _, t in items]
    line = m.height() + 6
    size = severity_key_size(summary, stacked)
    box = QRectF(right - size.width(), bottom - size.height(), size.width(), size.height())
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
        if stacked:
            y += line
        else:
            x += width
    y = y if stacked else y + line
    p.setPen(theme.TEXT)
    for text in _summary_lines(summary, stacked):
        p.drawText(QRectF(box.left() + 10, y, box.width() - 20, line), Qt.AlignmentFlag.AlignVCenter, text)
        y += line
    return box


def heat_key_size(text: str, narrow: bool = False) -> QSizeF:
    """The heat key's size: a ramp 200 pixels long, or (``narrow``) as long as its text needs."""
    m = QFontMetricsF(style.font(14, bold=True))
    return QSizeF(max(100.0 if narrow else 200.0, m.horizontalAdvance(text) + 20), m.height() + 30)


def heat_key(p: QPainter, right: float, bottom: float, text: str, table: list[int], narrow: bool = False) -> QRectF:
    """The heat ramp and what it sums (which incidents, over which window)."""
    f = style.font(14, bold=True)
    m = QFontMetricsF(f)
    size = heat_key_size(text, narrow)
    w = size.width()
    box = QRectF(right - w, bottom - size.height(), w, size.height())
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


def furniture(chips: list[str], summary: str, heat: str | None) -> Furniture:
    """The sizes of the chips, north arrow, scale bar and keys (the heat key when ``heat`` is its
    text), for widgets/map/frame.py to lay out."""
    # room for counts up to 999 (more as they come): the frame stays put as the counts change
    summary = re.sub(r"\d+", lambda m: "8" * max(3, len(m.group())), summary)
    return _measured(tuple(chips), summary, heat, tuple(_severity_items()))


@functools.lru_cache(maxsize=64)
def _measured(chips: tuple[str, ...], summary: str, heat: str | None, severities: tuple) -> Furniture:
    """``furniture`` measured once per wording: a pan frame asks for it twice, and measuring took
    tens of font metrics each time. ``severities`` (the key's words, as translated now) is only
    part of the cache key: the key's size is measured from them."""
    keys = [(severity_key_size(summary), severity_key_size(summary, stacked=True))]
    if heat is not None:
        keys.append((heat_key_size(heat), heat_key_size(heat, narrow=True)))
    return Furniture(tuple(chip_size(label) for label in chips), QSizeF(ARROW_PX, ARROW_PX * 1.25),
                     tuple(scale_bar_size(px) for px in SCALE_BAR_PX), tuple(keys))


def paint_all(p: QPainter, fr: Frame, chips: list[tuple[str, str, bool]], scale: float, summary: str,
              heat: str | None) -> tuple[list[tuple[QRectF, str]], list[QRectF]]:
    """Everything where ``fr`` puts it: the chips (returned with their layers, to be clicked) and
    the box of every piece, chips first, then the scale bar, the north arrow and the keys."""
    placed = layer_bar(p, chips, list(fr.chips))
    boxes = [r for r, _ in placed]
    x, bottom, bar = fr.scale_bar
    if bar is not None:  # None: a panel too short for it
        boxes.append(scale_bar(p, scale, x, bottom, SCALE_BAR_PX[bar]))
    if not fr.arrow.isEmpty():  # empty: a panel too short for it
        boxes.append(north_arrow(p, fr.arrow.right(), fr.arrow.top()))
    severity, *rest = fr.keys
    boxes.append(severity_key(p, severity.right(), severity.bottom(), summary, fr.stacked))
    if heat is not None and rest:
        boxes.append(heat_key(p, rest[0].right(), rest[0].bottom(), heat, style.heat_colour_table(), fr.stacked))
    return placed, boxes


def drawn(fr: Frame, chips: list[tuple[str, str, bool]], scale: float, summary: str, heat: str | None, width: int,
          height: int, dpr: float) -> tuple[QPixmap, list[tuple[QRectF, str]], list[QRectF]]:
    """What ``paint_all`` draws, into a transparent pixmap the panel's size: drawn once while what it
    says stays the same (a pan changes none of it), then each frame blits just the pieces' boxes."""
    pixmap = QPixmap(round(width * dpr), round(height * dpr))
    pixmap.setDevicePixelRatio(dpr)
    pixmap.fill(Qt.GlobalColor.transparent)
    q = QPainter(pixmap)
    q.setRenderHint(QPainter.RenderHint.Antialiasing)
    placed, boxes = paint_all(q, fr, chips, scale, summary, heat)
    q.end()
    return pixmap, placed, boxes


def blit(p: QPainter, pixmap: QPixmap, boxes: list[QRectF], dpr: float) -> None:
    """The pieces ``drawn`` put in ``pixmap``, each box alone (the map shows between them)."""
    for box in boxes:
        rect = box.adjusted(-2, -2, 2, 2).toAlignedRect()  # pens reach half their width outside
        p.drawPixmap(rect, pixmap, QRectF(rect.x() * dpr, rect.y() * dpr, rect.width() * dpr,
                                          rect.height() * dpr).toRect())


def boxes(fr: Frame) -> list[tuple[float, float, float, float]]:
    """Where ``fr`` puts the chips, arrow, keys and scale bar (x0, y0, x1, y1): labels keep clear."""
    x, bottom, bar = fr.scale_bar
    rects = [*fr.chips, *([] if fr.arrow.isEmpty() else [fr.arrow]), *fr.keys]
    if bar is not None:
        s = scale_bar_size(SCALE_BAR_PX[bar])
        rects.append(QRectF(x, bottom - s.height(), s.width(), s.height()))
    return [(r.left(), r.top(), r.right(), r.bottom()) for r in rects]

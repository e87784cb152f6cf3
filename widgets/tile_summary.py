"""A summary tile: what a grid folds away when paging through it would take longer than it is shown.

A screen that turns to a group of 39 indicators for 30 s and shows two tiles at a time would
need 39 pages: most tiles never come round. Instead the grid shows every abnormal tile on its own
(alarms first) and folds the rest into a summary tile per group: how many there are in each
state, by shape, word and colour as on the tiles, and the worst of them named. It counts every
indicator of its group that is not a tile on the page shown, so an alarm that waits for its turn
on another page is still counted and named here: no alarm is ever off the screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen

from console.model.indicator import Status
from widgets import theme
from widgets.i18n import tr
from widgets.tile_paint import DIAMOND, TileMetrics, paint_icon

#: The order a summary counts states in: the most urgent first, normal (quiet) last.
ORDER = (Status.ALARM, Status.WARNING, Status.STALE, Status.NODATA, Status.NORMAL)
NAMED = 4  # the worst folded indicators a summary names, as many of them as its tile has room for


@dataclass(frozen=True)
class SummaryState:
    """One summary tile: its group's name and what of the group it stands for.

    ``counts``: (status, how many) in ORDER, zero counts left out; ``unacked``: how many of them
    have an alarm not yet acknowledged; ``named``: (status, unacknowledged, name) of the worst
    ones, worst first, each named by what tells them apart in the group (what, where, or both)."""

    title: str
    total: int
    counts: tuple[tuple[Status, int], ...]
    unacked: int = 0
    named: tuple[tuple[Status, bool, str], ...] = ()
    alone: bool = False  # no tiles beside it: it stands for the whole grid ("16 indicators", not "16 others")

    def count(self, status: Status) -> int:
        return dict(self.counts).get(status, 0)


def summary_state(title: str, folded: list[tuple[Status, bool, str]], alone: bool) -> SummaryState:
    """The summary of ``folded`` (status, unacknowledged, name per indicator, worst first)."""
    counts = tuple((s, n) for s in ORDER if (n := sum(f[0] is s for f in folded)))
    named = tuple(f for f in folded if f[0] is not Status.NORMAL or f[1])[:NAMED]
    return SummaryState(title, len(folded), counts, sum(f[1] for f in folded), named, alone)


def _colour(status: Status) -> QColor:
    """A count's colour: the status colour for the abnormal; normal in plain text (it is quiet)."""
    return theme.TEXT if status is Status.NORMAL and theme.look.quiet_normal else theme.STATUS_COLOURS[status]


def _mark(p: QPainter, status: Status, unacked: bool, box: QRectF) -> None:
    """The status shape of a line, as the tiles draw it; ◆ for an unacknowledged alarm that returned."""
    if unacked and status is Status.NORMAL:
        p.save()
        p.translate(box.topLeft())
        p.scale(box.width(), box.height())
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(theme.UNACKED)
        p.drawPath(DIAMOND)
        p.restore()
    elif status is not Status.NORMAL or not theme.look.quiet_normal:
        paint_icon(p, status, box, theme.STATUS_COLOURS[status], theme.SURFACE_RAISED)


def paint_summary(p: QPainter, x: float, y: float, m: TileMetrics, s: SummaryState) -> None:
    """The group's name and how many it holds, then one line per state (shape, count, word), then
    the worst ones named, as many lines as the tile holds: the counts first, so none is ever cut."""
    p.save()
    p.translate(x, y)
    worst = s.counts[0][0] if s.counts else Status.NORMAL
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(theme.SURFACE_RAISED)
    p.drawRoundedRect(QRectF(0, 0, m.w, m.h), m.radius, m.radius)
    pen = QPen(theme.STATUS_COLOURS[worst], m.border * 1.5) if worst in (Status.WARNING, Status.ALARM) \
        else QPen(theme.BORDER, m.border * 0.75)
    pen.setStyle(Qt.PenStyle.DashLine)  # dashed: a summary, not one indicator's tile
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    inset = pen.widthF() / 2
    p.drawRoundedRect(QRectF(inset, inset, m.w - 2 * inset, m.h - 2 * inset), m.radius, m.radius)
    inner = m.w - 2 * m.pad
    names = QFontMetricsF(m.name_font)
    base = m.pad + names.ascent()
    p.setFont(m.where_font)
    p.setPen(theme.TEXT)
    p.drawText(QPointF(m.pad, base), m.elide(m.where_font, s.title, inner))
    base += names.lineSpacing()
    p.setFont(m.name_font)
    p.setPen(theme.TEXT_DIM)
    p.drawText(QPointF(m.pad, base), m.elide(m.name_font, (tr("tiles", "{n} indicators") if s.alone
                                                          else tr("tiles", "{n} others")).format(n=s.total),
                                                inner))
    line = names.lineSpacing() * 1.25
    size = names.capHeight() * 1.5
    lines: list[tuple[Status, bool, str, bool]] = [
        (status, False, f"{n} {theme.status_word(status)}", True) for status, n in s.counts]
    if s.unacked:
        lines.insert(1 if s.count(Status.ALARM) else 0,
                     (Status.NORMAL, True, f"{s.unacked} {theme.tr('status', theme.UNACK_WORD)}", True))
    lines += [(status, unacked, name, False) for status, unacked, name in s.named]
    for status, unacked, text, bold in lines:
        if base + line + names.descent() > m.h - m.pad * 0.5:
            break
        base += line
        _mark(p, status, unacked, QRectF(m.pad, base - names.capHeight() / 2 - size / 2, size, size))
        font = m.where_font if bold else m.name_font
        p.setFont(font)
        p.setPen(theme.UNACKED if unacked and bold else _colour(status) if bold else theme.TEXT)
        left = m.pad + size + m.pad * 0.6
        p.drawText(QPointF(left, base), m.elide(font, text, m.w - m.pad - left))
    p.restore()

"""The report's page machinery: a painter over a PDF writer's pages that flows text and tables,
breaks pages (repeating a table's header), numbers them and draws time axes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPdfWriter, QPen

from console.shell.report_style import DIM, INK, RULE, SHADE, Clock
from widgets.i18n import tr
from widgets.theme import FONT_FAMILIES

#: Print resolution: sharp lines and small type on paper, a small file.
DPI = 200
#: Candidate spacings of time-axis ticks, seconds: the first giving at most MAX_TICKS ticks wins.
TICK_STEPS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800)
MAX_TICKS = 9


@dataclass(frozen=True)
class Col:
    title: str
    width: float  # share of the text width
    align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft
    wrap: bool = False  # wrapped over lines (else cut short with "…")


Cell = str | tuple[str, QColor]


class Doc:
    """A painter over the writer's pages with a cursor ``y``: flows text and tables, breaks pages."""

    def __init__(self, writer: QPdfWriter, clock: Clock, footer: str, total: int | None):
        self.writer, self.clock, self.footer, self.total = writer, clock, footer, total
        self.p = QPainter(writer)
        self.p.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.w, self.h = float(writer.width()), float(writer.height())
        self.bottom = self.h - self.mm(9)  # the footer's strip
        self.y, self.page = 0.0, 1
        self.continued: Callable[[], None] | None = None  # redraws a heading on a page a section runs onto

    def mm(self, v: float) -> float:
        return v * DPI / 25.4

    def font(self, pt: float, bold: bool = False) -> QFont:
        f = QFont()
        f.setFamilies(FONT_FAMILIES)
        f.setPointSizeF(pt)
        f.setBold(bold)
        f.setFeature(QFont.Tag("liga"), 0)  # "flooded", not "ﬂooded": a reader's search and copy find the words
        return f

    def new_page(self) -> None:
        self._footer()
        self.writer.newPage()
        self.page += 1
        self.y = 0.0
        if self.continued is not None:
            self.continued()

    def finish(self) -> None:
        self._footer()
        self.p.end()

    def need(self, height: float) -> None:
        """Start a new page unless ``height`` fits below the cursor (or the page is still empty)."""
        if self.y + height > self.bottom and self.y > 0.0:
            self.new_page()

    def _footer(self) -> None:
        self.p.setFont(self.font(7))
        self.p.setPen(DIM)
        self.p.drawLine(QPointF(0, self.bottom + self.mm(2.5)), QPointF(self.w, self.bottom + self.mm(2.5)))
        page = (tr("report", "page {n} of {total}").format(n=self.page, total=self.total) if self.total
                else tr("report", "page {n}").format(n=self.page))
        box = QRectF(0, self.bottom + self.mm(3.5), self.w, self.mm(5))
        width = self.p.fontMetrics().horizontalAdvance(page) + self.mm(4)
        footer = self.p.fontMetrics().elidedText(self.footer, Qt.TextElideMode.ElideRight, int(box.width() - width))
        self.p.drawText(box.adjusted(0, 0, -width, 0), Qt.AlignmentFlag.AlignLeft, footer)
        self.p.drawText(box, Qt.AlignmentFlag.AlignRight, page)

    def measure(self, text: str, font: QFont, width: float) -> float:
        """The height of ``text`` wrapped to ``width``."""
        self.p.setFont(font)
        return self.p.boundingRect(QRectF(0, 0, width, 1e6), Qt.TextFlag.TextWordWrap, text).height()

    def clip(self, text: str, font: QFont, width: float, height: float) -> str:
        """``text``, cut short with "…" where wrapped to ``width`` it would be taller than ``height``."""
        if self.measure(text, font, width) <= height:
            return text
        lo, hi = 0, len(text)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if self.measure(text[:mid] + "…", font, width) <= height else (lo, mid - 1)
        return text[:lo] + "…"

    def text(self, text: str, pt: float, colour: QColor = INK, bold: bool = False, x: float = 0.0,
             width: float | None = None, after: float = 1.5) -> None:
        """A paragraph at the cursor, wrapped to ``width`` (the text width), moving the cursor below it."""
        width = self.w - x if width is None else width
        font = self.font(pt, bold)
        height = self.measure(text, font, width)
        self.need(height)
        self.p.setFont(font)
        self.p.setPen(colour)
        self.p.drawText(QRectF(x, self.y, width, height), Qt.TextFlag.TextWordWrap, text)
        self.y += height + self.mm(after)

    def heading(self, text: str) -> None:
        self.need(self.mm(24))
        self.p.setFont(self.font(15, True))
        self.p.setPen(INK)
        height = self.p.fontMetrics().height()
        self.p.drawText(QRectF(0, self.y, self.w, height), Qt.AlignmentFlag.AlignLeft, text)
        self.y += height + self.mm(1)
        self.p.setPen(QPen(INK, self.mm(0.4)))
        self.p.drawLine(QPointF(0, self.y), QPointF(self.w, self.y))
        self.y += self.mm(3)

    def subheading(self, text: str) -> None:
        self.need(self.mm(20))
        self.y += self.mm(2)
        self.text(text, 11, bold=True, after=1)

    def table(self, cols: Sequence[Col], rows: Sequence[Sequence[Cell]], pt: float = 8.5,
              title: str | None = None) -> None:
        """Rows under a shaded header; a row never splits, and a page the table runs onto repeats
        ``title`` (continued) and the header."""
        pad = self.mm(1.2)
        while True:  # smaller type before any word is cut
            font, bold = self.font(pt), self.font(pt, True)
            widths, fits = self._widths(cols, rows, font, bold, pad)
            if fits or pt <= 7:
                break
            pt -= 0.5
        xs = np.concatenate([[0.0], np.cumsum(widths)])
        header_h = max(self.measure(c.title, bold, w - 2 * pad) for c, w in zip(cols, widths)) + 2 * pad

        def header() -> None:
            self.p.fillRect(QRectF(0, self.y, self.w, header_h), SHADE)
            self.p.setFont(bold)
            self.p.setPen(INK)
            for c, x, w in zip(cols, xs, widths):
                self.p.drawText(QRectF(x + pad, self.y + pad, w - 2 * pad, header_h - 2 * pad),
                                int(c.align | Qt.AlignmentFlag.AlignBottom) | Qt.TextFlag.TextWordWrap, c.title)
            self.y += header_h

        def again() -> None:
            if title:
                self.text(tr("report", "{title} (continued)").format(title=title), 9, DIM, after=1)
            header()

        line = self.p.fontMetrics().height()
        self.need(header_h + line + 2 * pad)
        header()
        before, self.continued = self.continued, again
        room = self.bottom - header_h - self.mm(10)  # the most a row can have: a page under the header
        try:
            for n, row in enumerate(rows):
                cells = [(c, None) if isinstance(c, str) else c for c in row]
                cells = [(self.clip(text, font, w - 2 * pad, room - 2 * pad) if col.wrap else text, colour)
                         for (text, colour), col, w in zip(cells, cols, widths)]
                self.p.setFont(font)
                line = self.p.fontMetrics().height()
                height = max([line] + [self.measure(text, font, w - 2 * pad) for (text, _), col, w
                                       in zip(cells, cols, widths) if col.wrap]) + 2 * pad
                self.need(height)
                if n % 2:
                    self.p.fillRect(QRectF(0, self.y, self.w, height), QColor("#f7f9fb"))
                self.p.setFont(font)
                metrics = self.p.fontMetrics()
                for (text, colour), col, x, w in zip(cells, cols, xs, widths):
                    self.p.setPen(colour or INK)
                    box = QRectF(x + pad, self.y + pad, w - 2 * pad, height - 2 * pad)
                    if col.wrap:
                        self.p.drawText(box, int(col.align) | Qt.TextFlag.TextWordWrap, text)
                    else:
                        self.p.drawText(box, int(col.align), metrics.elidedText(text, Qt.TextElideMode.ElideRight,
                                                                                int(box.width())))
                self.y += height
                self.p.setPen(QPen(RULE, self.mm(0.15)))
                self.p.drawLine(QPointF(0, self.y), QPointF(self.w, self.y))
        finally:
            self.continued = before
        self.y += self.mm(3)

    def _widths(self, cols: Sequence[Col], rows: Sequence[Sequence[Cell]], font: QFont, bold: QFont,
                pad: float) -> tuple[list[float], bool]:
        """Column widths near their shares, none narrower than its words need (a header's longest
        word; a wrapped column's longest word, a cut-short column's longest cell); and whether they fit."""
        def widest(texts: Iterable[str], f: QFont, words: bool) -> float:
            self.p.setFont(f)
            metrics = self.p.fontMetrics()
            return max((metrics.horizontalAdvance(w) for t in texts for w in (t.split() if words else t.split("\n"))),
                       default=0.0)

        need = [max(widest([c.title], bold, True), widest([r[k] if isinstance(r[k], str) else r[k][0] for r in rows],
                                                          font, c.wrap)) + 2 * pad + self.mm(0.8)
                for k, c in enumerate(cols)]
        if sum(need) > self.w:
            return [n * self.w / sum(need) for n in need], False
        widths = [max(c.width * self.w, n) for c, n in zip(cols, need)]
        over = sum(widths) - self.w
        if over > 0:  # give back what is above need, in proportion
            excess = [w - n for w, n in zip(widths, need)]
            return [w - e * over / sum(excess) for w, e in zip(widths, excess)], True
        takers = [k for k, c in enumerate(cols) if c.wrap] or list(range(len(cols)))  # the room left over
        share = sum(cols[k].width for k in takers)
        return [w - over * cols[k].width / share if k in takers else w for k, w in enumerate(widths)], True

    def time_axis(self, x0: float, x1: float, y: float, height: float, labels: bool = True) -> None:
        """Vertical hour/minute grid lines over [y, y + height] with their times above (``labels``)."""
        start, end = self.clock.start, self.clock.end
        self.p.setFont(self.font(7))
        metrics = self.p.fontMetrics()
        for t in ticks(start, end):
            x = x0 + (t - start) / (end - start) * (x1 - x0)
            self.p.setPen(QPen(RULE, self.mm(0.15)))
            self.p.drawLine(QPointF(x, y), QPointF(x, y + height))
            if labels:
                self.p.setPen(DIM)
                label = self.clock(t)
                w = metrics.horizontalAdvance(label)
                self.p.drawText(QRectF(min(x - w / 2, x1 - w), y - metrics.height(), w + 2, metrics.height()),
                                Qt.AlignmentFlag.AlignLeft, label)  # the last one kept inside the page


def ticks(start: float, end: float) -> list[float]:
    """Round local times inside [start, end], at most MAX_TICKS of them."""
    span = max(end - start, 1.0)
    step = next((s for s in TICK_STEPS if span / s <= MAX_TICKS), TICK_STEPS[-1])
    offset = time.localtime(start).tm_gmtoff
    first = math.ceil((start + offset) / step) * step - offset
    return [float(t) for t in np.arange(first, end + 1e-6, step)]

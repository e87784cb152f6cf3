"""The report's key measurements as charts, and the list of annotations and bookmarks that their
numbered marks refer to."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPen, QPolygonF

from console.incidents.sla import format_elapsed
from console.replay.debrief import Debrief, Note
from console.replay.debrief_charts import Chart
from console.shell.report_draw import Col, Doc, ticks
from console.shell.report_style import (ALARM_INK, DIM, INK, LIMIT_WORDS, NOTE_INK, NOTE_KINDS, PRIORITY_INK, RULE,
                                        SERIES_INK, WARN_INK)
from widgets.i18n import tr


def charts_page(doc: Doc, d: Debrief) -> None:
    doc.heading(tr("report", "Key measurements"))
    if not d.charts:
        doc.text(tr("report", "The recording holds no readings to chart for this period."), 10)
        return
    doc.text(tr("report", "Readings over the period (per bucket, lowest to highest: short spikes stay visible), "
                          "dashed lines at the warning and alarm limits, ▼ where an alarm was raised, numbered marks "
                          "at the annotations and bookmarks listed on the last page."), 8.5, DIM, after=2)
    height = min(doc.mm(62), (doc.bottom - doc.y) / len(d.charts) - doc.mm(2))
    for chart in d.charts:
        doc.need(height)
        _chart(doc, chart, d.notes, QRectF(0, doc.y, doc.w, height))
        doc.y += height + doc.mm(2)


def _chart(doc: Doc, c: Chart, notes: Sequence[Note], box: QRectF) -> None:
    p = doc.p
    start, end = doc.clock.start, doc.clock.end
    p.setFont(doc.font(9, True))
    title_h = p.fontMetrics().height()
    info = [c.code]
    if c.alarms:
        info.append(tr("report", "alarms raised: {n}").format(n=len(c.alarms)))
    if c.alarm_s:
        info.append(tr("report", "time in alarm: {time}").format(time=format_elapsed(c.alarm_s)))
    p.setPen(INK)
    name = f"{c.name} ({c.unit})" if c.unit else c.name
    p.drawText(QRectF(box.left(), box.top(), box.width(), title_h), Qt.AlignmentFlag.AlignLeft, name)
    name_w = p.fontMetrics().horizontalAdvance(name)
    p.setFont(doc.font(7.5))
    p.setPen(DIM)
    p.drawText(QRectF(box.left() + name_w + doc.mm(3), box.top(), box.width() - name_w - doc.mm(3), title_h),
               int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
               p.fontMetrics().elidedText(" · ".join(info), Qt.TextElideMode.ElideRight,
                                          int(box.width() - name_w - doc.mm(3))))
    small = p.fontMetrics()
    plot = QRectF(box.left() + doc.mm(16), box.top() + title_h + doc.mm(3.5), box.width() - doc.mm(16) - doc.mm(21),
                  box.height() - title_h - doc.mm(3.5) - small.height() - doc.mm(2))
    lo, hi = _y_range(c)

    def x_of(t: float) -> float:
        return plot.left() + (t - start) / (end - start) * plot.width()

    def y_of(v: float) -> float:
        return plot.bottom() - (v - lo) / (hi - lo) * plot.height()

    p.fillRect(plot, QColor("#fbfcfd"))
    grid, decimals = _nice(lo, hi)
    for v in grid:  # value grid and labels
        y = y_of(v)
        p.setPen(QPen(RULE, doc.mm(0.12)))
        p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
        p.setPen(DIM)
        p.drawText(QRectF(box.left(), y - small.height() / 2, doc.mm(15), small.height()),
                   int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), f"{v:,.{decimals}f}")
    p.setFont(doc.font(7))
    for t in ticks(start, end):
        x = x_of(t)
        p.setPen(QPen(RULE, doc.mm(0.12)))
        p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
        p.setPen(DIM)
        label = doc.clock(t)
        w = small.horizontalAdvance(label)
        p.drawText(QRectF(x - w / 2, plot.bottom() + doc.mm(1), w + 2, small.height()), Qt.AlignmentFlag.AlignLeft,
                   label)
    p.save()
    p.setClipRect(plot)
    _series(doc, c, x_of, y_of)
    for key, value in c.thresholds.items():
        ink = ALARM_INK if key.startswith("alarm") else WARN_INK
        pen = QPen(ink, doc.mm(0.35), Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.drawLine(QPointF(plot.left(), y_of(value)), QPointF(plot.right(), y_of(value)))
    p.restore()
    p.setFont(doc.font(6.5))
    for key, value in c.thresholds.items():  # labelled in the right margin, inside the range only
        if lo <= value <= hi:
            p.setPen(ALARM_INK if key.startswith("alarm") else WARN_INK)
            p.drawText(QRectF(plot.right() + doc.mm(1), y_of(value) - small.height() / 2, doc.mm(21), small.height()),
                       int(Qt.AlignmentFlag.AlignVCenter), f"{tr('report', LIMIT_WORDS[key])} {value:,.{c.decimals}f}")
    size = doc.mm(1.6)
    for mark in c.alarms:  # ▼ above the plot where each alarm was raised
        x = x_of(mark.ts)
        ink = PRIORITY_INK.get(mark.priority, ALARM_INK)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(ink)
        p.drawPolygon(QPolygonF([QPointF(x - size, plot.top() - 2 * size), QPointF(x + size, plot.top() - 2 * size),
                                 QPointF(x, plot.top())]))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(ink, doc.mm(0.15), Qt.PenStyle.DotLine))
        p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
    p.setFont(doc.font(6, True))
    for note in notes:  # numbered marks along the bottom, as listed on the last page
        if not start <= note.ts <= end:
            continue
        x = x_of(note.ts)
        p.setPen(QPen(NOTE_INK, doc.mm(0.2), Qt.PenStyle.DashLine))
        p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
        r = doc.mm(1.9)
        circle = QRectF(x - r, plot.bottom() - 2 * r - doc.mm(0.5), 2 * r, 2 * r)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(NOTE_INK)
        p.drawEllipse(circle)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QColor("white"))
        p.drawText(circle, Qt.AlignmentFlag.AlignCenter, str(note.number))
    p.setPen(QPen(DIM, doc.mm(0.2)))
    p.drawRect(plot)


def _series(doc: Doc, c: Chart, x_of: Callable[[float], float], y_of: Callable[[float], float]) -> None:
    """The envelope: a band from each bucket's lowest to its highest reading, outlined; broken at gaps."""
    breaks = np.flatnonzero(np.diff(c.ts) > c.gap_s) + 1
    band = QColor(SERIES_INK)
    band.setAlpha(60)
    for ts, lo, hi in zip(np.split(c.ts, breaks), np.split(c.lo, breaks), np.split(c.hi, breaks)):
        upper = [QPointF(x_of(t), y_of(v)) for t, v in zip(ts, hi)]
        lower = [QPointF(x_of(t), y_of(v)) for t, v in zip(ts, lo)]
        if len(ts) > 1 and np.any(hi > lo):
            doc.p.setPen(Qt.PenStyle.NoPen)
            doc.p.setBrush(band)
            doc.p.drawPolygon(QPolygonF(upper + lower[::-1]))
            doc.p.setBrush(Qt.BrushStyle.NoBrush)
        doc.p.setPen(QPen(SERIES_INK, doc.mm(0.3)))
        for edge in (upper, lower) if np.any(hi > lo) else (upper,):
            if len(edge) == 1:
                doc.p.drawEllipse(edge[0], doc.mm(0.4), doc.mm(0.4))
            path = QPainterPath(edge[0])
            for point in edge[1:]:
                path.lineTo(point)
            doc.p.drawPath(path)


def _y_range(c: Chart) -> tuple[float, float]:
    """The readings' range, widened to take in the limits that are near it (how close it came matters;
    a limit far off would squash the curve flat)."""
    lo, hi = float(c.lo.min()), float(c.hi.max())
    span = max(hi - lo, abs(hi) * 0.05, 1e-9)
    for value in c.thresholds.values():
        if lo - span <= value <= hi + span:
            lo, hi = min(lo, value), max(hi, value)
    pad = (hi - lo) * 0.06 or 1.0
    return lo - pad, hi + pad


def _nice(lo: float, hi: float, count: int = 5) -> tuple[list[float], int]:
    """Round grid values inside [lo, hi] (steps of 1, 2, 2.5 or 5 times a power of ten) and the
    decimals their labels need (2.5 needs one more than 2)."""
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    mantissa = next(m for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    step = mantissa * magnitude
    decimals = max(0, -math.floor(math.log10(step)) + (mantissa == 2.5))
    return [float(v) for v in np.arange(math.ceil(lo / step) * step, hi, step)], decimals



# -- annotations and bookmarks -------------------------------------------------------------
def notes_page(doc: Doc, notes: Sequence[Note]) -> None:
    title = tr("report", "Annotations and bookmarks")
    doc.heading(title)
    if not notes:
        doc.text(tr("report", "No annotations or bookmarks were made on this recording."), 10)
        return
    cols = [Col(tr("report", "No."), 0.06, Qt.AlignmentFlag.AlignRight), Col(tr("report", "Time"), 0.12),
            Col(tr("report", "Kind"), 0.13), Col(tr("report", "By"), 0.17, wrap=True),
            Col(tr("report", "Text"), 0.52, wrap=True)]
    doc.table(cols, [[str(n.number), doc.clock(n.ts, seconds=True), tr("report", NOTE_KINDS.get(n.kind, n.kind)),
                      n.author or "—", n.text] for n in notes], pt=9, title=title)

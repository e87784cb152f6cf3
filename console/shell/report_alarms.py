"""The report's alarm statistics: by priority, time to acknowledge, the busiest indicators and who
did what."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPen

from console.incidents.sla import format_elapsed
from console.replay.debrief import Debrief
from console.shell.report_draw import TICK_STEPS, Cell, Col, Doc
from console.shell.report_style import ACTION_WORDS, ALARM_INK, DIM, INK, PRIORITY_INK, RULE, span_text, priority_word
from widgets.i18n import core, tr


def alarms_page(doc: Doc, d: Debrief) -> None:
    s = d.summary
    title = tr("report", "Alarm statistics")
    doc.heading(title)
    doc.text(tr("report", "Alarms raised between {start} and {end}, by the priority they were raised with. Time to "
                          "acknowledge runs from the alarm to its acknowledgement; p90: 90 % were acknowledged "
                          "within it.").format(start=doc.clock(s.start), end=doc.clock(s.end)), 8.5, DIM, after=2)
    if not d.priorities:
        doc.text(tr("report", "No alarm was raised in this period."), 10)
    else:
        drill = any(p.drill for p in d.priorities)
        right = Qt.AlignmentFlag.AlignRight
        cols = [Col(tr("report", "Priority"), 0.1), Col(tr("report", "Raised"), 0.08, right),
                Col(tr("report", "Acknowledged"), 0.08, right), Col(tr("report", "Median"), 0.08, right),
                Col(tr("report", "p90"), 0.08, right), Col(tr("report", "Longest"), 0.08, right),
                Col(tr("report", "Unacknowledged at the end"), 0.08, right),
                Col(tr("report", "Escalated"), 0.08, right), Col(tr("report", "Shelved"), 0.08, right)]
        if drill:
            cols.append(Col(tr("report", "Drill"), 0.07, right))
        rows = []
        for p in d.priorities:
            row: list[Cell] = [(priority_word(p.priority), PRIORITY_INK.get(p.priority, INK)), str(p.count),
                               str(p.acknowledged), span_text(p.ack_median_s), span_text(p.ack_p90_s),
                               span_text(p.ack_max_s),
                               (str(p.unacknowledged_at_end), ALARM_INK if p.unacknowledged_at_end else INK),
                               str(p.escalated), str(p.shelved)]
            rows.append(row + ([str(p.drill)] if drill else []))
        doc.table(cols, rows, title=title)
        _ack_bars(doc, d)
    if d.top_indicators:
        doc.subheading(tr("report", "Indicators with the most alarms"))
        doc.table([Col(tr("report", "Indicator"), 0.45, wrap=True), Col(tr("report", "Code"), 0.31),
                   Col(tr("report", "Alarms"), 0.1, Qt.AlignmentFlag.AlignRight),
                   Col(tr("report", "Time in alarm"), 0.14, Qt.AlignmentFlag.AlignRight)],
                  [[t.name, t.code, str(t.alarms), format_elapsed(t.alarm_s)] for t in d.top_indicators],
                  title=title)
    if d.acks_by:
        doc.subheading(tr("report", "Acknowledged by"))
        doc.table([Col(tr("report", "Operator"), 0.5), Col(tr("report", "Alarms acknowledged"), 0.25,
                                                          Qt.AlignmentFlag.AlignRight)],
                  [[actor, str(n)] for actor, n in d.acks_by], title=title)
    doc.subheading(tr("report", "Operators' actions"))
    if not d.actions_by:
        doc.text(tr("report", "No operator action was recorded in this period."), 10)
        return
    kinds = d.action_kinds
    share = 0.5 / max(len(kinds) + 1, 3)
    right = Qt.AlignmentFlag.AlignRight
    cols = [Col(tr("report", "Operator"), 0.24), Col(tr("report", "Role"), 0.14),
            *(Col(tr("report", ACTION_WORDS[k]) if k in ACTION_WORDS else k, share, right, wrap=True)
              for k in kinds),
            Col(tr("report", "Total"), share, right)]
    rows = [[a.actor, core(a.role) if a.role else "—", *(str(a.counts.get(k, 0) or "—") for k in kinds), str(a.total)]
            for a in d.actions_by]
    doc.table(cols, rows, title=title)


def _ack_bars(doc: Doc, d: Debrief) -> None:
    """Median and p90 time to acknowledge per priority as bars, the longest as a tick."""
    shown = [p for p in d.priorities if p.ack_max_s is not None]
    if not shown:
        return
    doc.p.setFont(doc.font(8))
    metrics = doc.p.fontMetrics()
    line = metrics.height()
    height = doc.mm(8) + len(shown) * doc.mm(7) + line * 2
    doc.need(height + doc.mm(10))
    doc.subheading(tr("report", "Time to acknowledge by priority"))
    label_w, value_w = doc.mm(26), doc.mm(62)
    x0, x1 = label_w, doc.w - value_w
    longest = max(p.ack_max_s for p in shown)
    step = next((t for t in TICK_STEPS if longest / t <= 5), TICK_STEPS[-1]) if longest > 60 else 15
    top = max(math.ceil(longest / step), 1) * step
    scale = (x1 - x0) / top
    doc.p.setFont(doc.font(8))
    for p in shown:
        y, h = doc.y, doc.mm(4.5)
        ink = PRIORITY_INK.get(p.priority, INK)
        doc.p.setPen(ink)
        doc.p.drawText(QRectF(0, y, label_w - doc.mm(2), h), int(Qt.AlignmentFlag.AlignVCenter),
                       priority_word(p.priority))
        light = QColor(ink)
        light.setAlpha(70)
        doc.p.fillRect(QRectF(x0, y, p.ack_p90_s * scale, h), light)
        doc.p.fillRect(QRectF(x0, y, p.ack_median_s * scale, h), ink)
        doc.p.setPen(QPen(INK, doc.mm(0.4)))
        xm = x0 + p.ack_max_s * scale
        doc.p.drawLine(QPointF(xm, y - doc.mm(0.8)), QPointF(xm, y + h + doc.mm(0.8)))
        doc.p.setPen(INK)
        doc.p.drawText(QRectF(x1 + doc.mm(3), y, value_w - doc.mm(3), h), int(Qt.AlignmentFlag.AlignVCenter),
                       tr("report", "median {median} · p90 {p90} · longest {max}").format(
                           median=span_text(p.ack_median_s), p90=span_text(p.ack_p90_s),
                           max=span_text(p.ack_max_s)))
        doc.y += doc.mm(7)
    doc.p.setPen(QPen(RULE, doc.mm(0.2)))
    doc.p.drawLine(QPointF(x0, doc.y - doc.mm(2)), QPointF(x1, doc.y - doc.mm(2)))
    doc.p.setPen(DIM)
    for k in range(int(top // step) + 1):
        x = x0 + k * step * scale
        label = format_elapsed(k * step)
        w = metrics.horizontalAdvance(label)
        doc.p.drawText(QRectF(x - w / 2, doc.y - doc.mm(1.5), w + 2, line), Qt.AlignmentFlag.AlignLeft, label)
    doc.y += line + doc.mm(1)
    doc.text(tr("report", "Dark bar: median; light bar: p90; tick: the longest."), 7.5, DIM, after=3)

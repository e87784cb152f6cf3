"""The report's first page: what was replayed and when, and the shift's figures at a glance."""

from __future__ import annotations

import time

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QPen

from console.incidents.sla import format_elapsed
from console.replay.debrief import Debrief
from console.shell.report_draw import Doc
from console.shell.report_style import ALARM_INK, DIM, DRILL_INK, INK, RULE, SHADE, span_text, period_text, zone_text
from widgets.i18n import tr


def source_text(source: str) -> str:
    """Where the recording came from, as a reader of the report needs it: the platform's URL (without
    a password), or "a console's local cache" — never a path on the machine that made it."""
    if not source:
        return "—"
    return tr("report", "a console's local cache") if source.startswith("cache ") else source


def cover_page(doc: Doc, d: Debrief) -> None:
    s = d.summary
    doc.text(tr("report", "CityOps Console"), 10, DIM, after=0.5)
    doc.text(tr("report", "After-action report"), 26, bold=True, after=2)
    if s.title:
        doc.text(s.title, 18, after=4)
    where = s.district_name or s.district_id or tr("report", "whole city")
    times = tr("report", "local time, {zone}; durations as m:ss, or 1 h 05 above an hour").format(
        zone=zone_text(s.start))
    rows = [(tr("report", "Period"), f"{period_text(s.start, s.end)}  ({format_elapsed(s.end - s.start)})"),
            (tr("report", "Times"), times),
            (tr("report", "Area"), where),
            (tr("report", "Recorded from"), source_text(s.source))]
    if s.created_at:
        rows.append((tr("report", "Recording made"), time.strftime("%Y-%m-%d %H:%M", time.localtime(s.created_at))))
    for label, value in rows:
        top = doc.y
        doc.text(label, 10, DIM, width=doc.mm(38), after=0)
        doc.y = top
        doc.text(value, 10, x=doc.mm(40), after=1.2)
    if s.drill_title:
        _drill_box(doc, s.drill_title, s.drill_incidents, s.drill_alarms)
    doc.y += doc.mm(8)
    waiting = sum(p.unacknowledged_at_end for p in d.priorities)
    figures = [
        (str(s.incidents_opened), tr("report", "incidents opened")),
        (str(s.incidents_carried), tr("report", "carried over from before")),
        (str(s.incidents_open_at_end), tr("report", "still open at the end")),
        (str(s.actions), tr("report", "operators' actions")),
        (str(s.alarms), tr("report", "alarms raised")),
        (str(s.alarms_acknowledged), tr("report", "acknowledged ({share} %)").format(
            share=f"{100 * s.alarms_acknowledged / s.alarms:.0f}") if s.alarms else tr("report", "acknowledged")),
        (span_text(s.ack_median_s), tr("report", "median time to acknowledge")),
        (str(waiting), tr("report", "unacknowledged at the end"), ALARM_INK if waiting else INK),
    ]
    _figure_grid(doc, figures, 4)
    doc.y += doc.mm(6)
    doc.subheading(tr("report", "In this report"))
    for line in (tr("report", "Incident timelines: each incident's steps, who took them and how long they took."),
                 tr("report", "Alarm statistics: alarms by priority, time to acknowledge, who acknowledged them."),
                 tr("report", "Key measurements: the readings behind the alarms, with limits and alarm times."),
                 tr("report", "Annotations and bookmarks: what the trainer noted, in time order.")):
        doc.text(f"•  {line}", 10, after=1)


def _figure_grid(doc: Doc, figures: list[tuple], per_row: int) -> None:
    """Large numbers with their captions in boxes: what a supervisor takes in at a glance."""
    gap = doc.mm(4)
    w = (doc.w - gap * (per_row - 1)) / per_row
    h = doc.mm(30)
    for n, (value, caption, *ink) in enumerate(figures):
        if n % per_row == 0 and n:
            doc.y += h + gap
        x = (n % per_row) * (w + gap)
        box = QRectF(x, doc.y, w, h)
        doc.p.setPen(QPen(RULE, doc.mm(0.3)))
        doc.p.setBrush(QBrush(SHADE))
        doc.p.drawRoundedRect(box, doc.mm(1.5), doc.mm(1.5))
        doc.p.setBrush(Qt.BrushStyle.NoBrush)
        doc.p.setPen(ink[0] if ink else INK)
        doc.p.setFont(doc.font(22, True))
        value_h = doc.p.fontMetrics().height()
        doc.p.drawText(QRectF(x + doc.mm(3), doc.y + doc.mm(3), w - doc.mm(6), value_h), Qt.AlignmentFlag.AlignLeft,
                       doc.p.fontMetrics().elidedText(value, Qt.TextElideMode.ElideRight, int(w - doc.mm(6))))
        doc.p.setFont(doc.font(8.5))
        doc.p.setPen(DIM)
        doc.p.drawText(QRectF(x + doc.mm(3), doc.y + doc.mm(3) + value_h, w - doc.mm(6), h - value_h - doc.mm(4)),
                       Qt.TextFlag.TextWordWrap, caption)
    doc.y += h


def _drill_box(doc: Doc, title: str, incidents: int, alarms: int) -> None:
    text = tr("report", "DRILL: {title}. Drill incidents: {incidents}; drill alarms: {alarms}. They are marked "
                        "DRILL wherever they appear and never reached the live city.").format(
        title=title, incidents=incidents, alarms=alarms)
    height = doc.measure(text, doc.font(10, True), doc.w - doc.mm(8)) + doc.mm(5)
    doc.y += doc.mm(3)
    doc.p.setPen(QPen(DRILL_INK, doc.mm(0.6)))
    doc.p.drawRect(QRectF(0, doc.y, doc.w, height))
    doc.y += doc.mm(2.5)
    doc.text(text, 10, DRILL_INK, bold=True, x=doc.mm(4), width=doc.w - doc.mm(8), after=2.5)

"""The report's incident timelines: a table of step times, then one bar per incident coloured by
status with who moved it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPen

from console.incidents.sla import format_elapsed
from console.model.vocab import SEVERITIES, STATUSES
from console.replay.debrief import Debrief, IncidentTimeline
from console.shell.report_draw import Cell, Col, Doc
from console.shell.report_style import DIM, INK, LATE_INK, PRIORITY_INK, RULE, STATUS_FILL, status_word
from widgets.i18n import core, tr


def incidents_page(doc: Doc, d: Debrief) -> None:
    title = tr("report", "Incident timelines")
    doc.heading(title)
    if not d.incidents:
        doc.text(tr("report", "No incident was opened or active in this period."), 10)
        return
    doc.text(tr("report", "Incidents opened in the period or still active at its start. Step times are the wall's "
                          "service-level timers: dispatch from reported to dispatched, on scene from dispatched to on "
                          "scene, resolve from on scene to resolved. ! over the amber target, !! over the red target "
                          "(targets by severity); ⟳ still under way at the end."), 8.5, DIM, after=2)
    cols = [Col(tr("report", "Incident"), 0.4, wrap=True), Col(tr("report", "Severity"), 0.06),
            Col(tr("report", "District"), 0.1), Col(tr("report", "Opened"), 0.06),
            Col(tr("report", "Status at the end"), 0.09),
            *(Col(core(step).capitalize(), 0.07, Qt.AlignmentFlag.AlignRight)
              for step in ("dispatch", "on scene", "resolve"))]
    rows = []
    for i in d.incidents:
        label = f"{i.title}\n{i.id}" + (f" · {tr('report', 'DRILL')}" if i.drill else "")
        times = {t.name: t for t in i.times}
        cells: list[Cell] = [label, (core(SEVERITIES.get(i.severity, "?")), _severity_ink(i.severity)), i.district,
                             doc.clock(i.opened_at), status_word(i.status)]
        for step in ("dispatch", "on scene", "resolve"):
            t = times.get(step)
            if t is None:
                cells.append("—")
                continue
            mark = {"amber": " !", "red": " !!"}.get(t.late, "")
            cells.append((("⟳ " if t.running else "") + format_elapsed(t.seconds) + mark, LATE_INK.get(t.late, INK)))
        rows.append(cells)
    doc.table(cols, rows, title=title)
    _gantt(doc, d.incidents, title)


def _severity_ink(severity: int) -> QColor:
    return PRIORITY_INK.get(severity, INK)


def _gantt(doc: Doc, incidents: Sequence[IncidentTimeline], title: str) -> None:
    """One bar per incident over the period, a coloured stretch per status, who took each step beneath."""
    label_w = doc.mm(46)
    x0, x1 = label_w + doc.mm(2), doc.w
    start, end = doc.clock.start, doc.clock.end

    def x_of(t: float) -> float:
        return x0 + (min(max(t, start), end) - start) / (end - start) * (x1 - x0)

    def header() -> None:
        _status_legend(doc)
        doc.y += doc.mm(4)
        doc.time_axis(x0, x1, doc.y, doc.mm(1))
        doc.y += doc.mm(1.5)

    doc.need(doc.mm(50))
    doc.subheading(tr("report", "Timeline"))
    header()
    before = doc.continued

    def again() -> None:
        doc.text(tr("report", "{title} (continued)").format(title=title), 9, DIM, after=1)
        header()

    doc.continued = again
    try:
        for i in incidents:
            who = _who(i)
            bar_h = doc.mm(3.6)
            row_h = max(doc.mm(10.5), doc.mm(3) + bar_h + doc.measure(who, doc.font(7), x1 - x0))
            doc.need(row_h)
            top = doc.y
            doc.time_axis(x0, x1, top, bar_h + doc.mm(1.2), labels=False)  # not across the words
            doc.p.setFont(doc.font(8, True))
            doc.p.setPen(INK)
            metrics = doc.p.fontMetrics()
            line = metrics.height()
            room = int(label_w - doc.mm(3))  # the "began before" arrow sits at its end
            doc.p.drawText(QRectF(0, top, room, line), Qt.AlignmentFlag.AlignLeft,
                           metrics.elidedText(i.title, Qt.TextElideMode.ElideRight, room))
            doc.p.setFont(doc.font(7))
            doc.p.setPen(DIM)
            small = doc.p.fontMetrics()
            sub = f"{i.id} · {core(SEVERITIES.get(i.severity, '?'))}"
            sub += f" · {tr('report', 'DRILL')}" if i.drill else ""
            doc.p.drawText(QRectF(0, top + line, room, small.height()), Qt.AlignmentFlag.AlignLeft,
                           small.elidedText(sub, Qt.TextElideMode.ElideRight, room))
            bar = QRectF(x0, top + doc.mm(0.6), x1 - x0, bar_h)
            _bar(doc, i, bar, x_of)
            doc.p.setFont(doc.font(7))
            doc.p.setPen(INK)
            doc.p.drawText(QRectF(x0, bar.bottom() + doc.mm(0.8), x1 - x0, row_h), Qt.TextFlag.TextWordWrap, who)
            doc.y = top + row_h
            doc.p.setPen(QPen(RULE, doc.mm(0.15)))
            doc.p.drawLine(QPointF(0, doc.y), QPointF(doc.w, doc.y))
    finally:
        doc.continued = before


def _bar(doc: Doc, i: IncidentTimeline, bar: QRectF, x_of: Callable[[float], float]) -> None:
    start, end = doc.clock.start, doc.clock.end
    doc.p.setFont(doc.font(6.5, True))
    metrics = doc.p.fontMetrics()
    for n, step in enumerate(i.steps):
        if step.status == "closed":  # over: a cap, no bar after it
            doc.p.fillRect(QRectF(x_of(step.ts) - doc.mm(0.4), bar.top(), doc.mm(0.8), bar.height()),
                           STATUS_FILL["closed"])
            continue
        until = i.steps[n + 1].ts if n + 1 < len(i.steps) else end
        a, b = x_of(step.ts), x_of(until)
        if b - a <= 0:
            continue
        segment = QRectF(a, bar.top(), b - a, bar.height())
        doc.p.fillRect(segment, STATUS_FILL[step.status])
        word = status_word(step.status)
        if metrics.horizontalAdvance(word) + doc.mm(1.5) < segment.width():
            doc.p.setPen(QColor("white"))
            doc.p.drawText(segment, Qt.AlignmentFlag.AlignCenter, word)
    if i.steps and i.steps[0].ts < start:  # began before the period: an arrow says so
        doc.p.setPen(INK)
        doc.p.drawText(QRectF(bar.left() - doc.mm(2.5), bar.top(), doc.mm(2.5), bar.height()),
                       Qt.AlignmentFlag.AlignCenter, "◀")


def _who(i: IncidentTimeline) -> str:
    """"reported: 12345 hotline · dispatched 16:11: M. Virtanen · on scene, resolved: HEL-P13" — steps with the
    same actor in a row are named once."""
    groups: list[tuple[list[str], str]] = []
    for step in i.steps:
        if step.skipped:
            continue
        if groups and groups[-1][1] == step.actor:
            groups[-1][0].append(status_word(step.status))
        else:
            groups.append(([status_word(step.status)], step.actor))
    return "  ·  ".join(f"{', '.join(words)}: {actor or '—'}" for words, actor in groups)


def _status_legend(doc: Doc) -> None:
    doc.p.setFont(doc.font(7.5))
    metrics = doc.p.fontMetrics()
    x = 0.0
    swatch = doc.mm(3)
    for status in STATUSES:
        word = status_word(status)
        doc.p.fillRect(QRectF(x, doc.y + (metrics.height() - swatch) / 2, swatch if status != "closed" else doc.mm(0.8),
                              swatch), STATUS_FILL[status])
        x += swatch + doc.mm(1.2)
        doc.p.setPen(INK)
        doc.p.drawText(QRectF(x, doc.y, doc.w, metrics.height()), Qt.AlignmentFlag.AlignLeft, word)
        x += metrics.horizontalAdvance(word) + doc.mm(5)
    hint = tr("report", "◀ began before the period")
    doc.p.setPen(DIM)
    doc.p.drawText(QRectF(x, doc.y, doc.w - x, metrics.height()), Qt.AlignmentFlag.AlignLeft, hint)
    doc.y += metrics.height()

"""The after-action report as a PDF: what a supervisor reads, prints and files after a shift or a drill.

``write_report(debrief, path)`` lays out the figures of console/replay/debrief.py on A4 pages with
Qt's ``QPdfWriter``: (1) cover and summary, (2) incident timelines, a table then one bar per
incident coloured by status with who moved it, (3) alarm statistics, (4) key measurements as
charts, (5) annotations and bookmarks. Paper is white, so it uses a light print palette of its
own (the wall's theme is dark); colours follow Okabe-Ito and every colour also has its word.

It paints with fonts, so it needs a ``QGuiApplication`` (a ``QApplication`` is one); the
offscreen platform (``QT_QPA_PLATFORM=offscreen``) is enough, no display is needed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QT_TRANSLATE_NOOP, QBuffer, QIODevice, QMarginsF, QPointF, QRectF, QSaveFile, Qt
from PySide6.QtGui import (QBrush, QColor, QFont, QPageLayout, QPageSize, QPainter, QPainterPath, QPdfWriter, QPen,
                           QPolygonF)

from console.alarms.model import Priority
from console.errors import UserError
from console.incidents.sla import format_elapsed
from console.model.vocab import SEVERITIES, STATUSES
from console.replay.debrief import Chart, Debrief, IncidentTimeline, Note
from widgets.i18n import core, tr
from widgets.theme import FONT_FAMILIES

#: Print resolution: sharp lines and small type on paper, a small file.
DPI = 200
INK, DIM, RULE, SHADE = QColor("#1b1f24"), QColor("#5d6670"), QColor("#c3cad3"), QColor("#eef1f5")
#: Lifecycle statuses on paper (Okabe-Ito: told apart by colour-blind readers; each bar also has its word).
STATUS_FILL = {"reported": QColor("#e69f00"), "dispatched": QColor("#0072b2"), "on_scene": QColor("#cc79a7"),
               "resolved": QColor("#009e73"), "closed": QColor("#8a939d")}
PRIORITY_INK = {1: QColor("#a3001f"), 2: QColor("#c62828"), 3: QColor("#a86b00"), 4: QColor("#5d6670")}
WARN_INK, ALARM_INK = QColor("#c98500"), QColor("#c62828")
LATE_INK = {"amber": WARN_INK, "red": ALARM_INK}
SERIES_INK, NOTE_INK, DRILL_INK = QColor("#0072b2"), QColor("#6a3d9a"), QColor("#8e24aa")
#: The operators' action kinds as the report names them (console/model/action.py ACTIONS).
ACTION_WORDS = {"acknowledge": QT_TRANSLATE_NOOP("report", "Acknowledged"),
                "shelve": QT_TRANSLATE_NOOP("report", "Shelved"),
                "unshelve": QT_TRANSLATE_NOOP("report", "Unshelved"),
                "comment": QT_TRANSLATE_NOOP("report", "Commented"),
                "status": QT_TRANSLATE_NOOP("report", "Status changes"),
                "assign": QT_TRANSLATE_NOOP("report", "Assignments")}
NOTE_KINDS = {"annotation": QT_TRANSLATE_NOOP("report", "annotation"),
              "bookmark": QT_TRANSLATE_NOOP("report", "bookmark")}
LIMIT_WORDS = {"alarm_low": QT_TRANSLATE_NOOP("report", "alarm"), "alarm_high": QT_TRANSLATE_NOOP("report", "alarm"),
               "warn_low": QT_TRANSLATE_NOOP("report", "warning"), "warn_high": QT_TRANSLATE_NOOP("report", "warning")}
#: Candidate spacings of time-axis ticks, seconds: the first giving at most MAX_TICKS ticks wins.
TICK_STEPS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800)
MAX_TICKS = 9


def write_report(debrief: Debrief, path: Path) -> Path:
    """Write the report to ``path`` whole (a crash or a full disk leaves the old file or none) and return it.

    Laid out twice: once to count the pages, so each can say "page 3 of 7" when printed.
    """
    path = Path(path)
    scratch = QBuffer()
    scratch.open(QIODevice.OpenModeFlag.WriteOnly)
    pages = _render(debrief, scratch, total=None)
    out = QSaveFile(str(path))  # Qt's atomic writer: a temporary file renamed over ``path`` on commit
    if not out.open(QIODevice.OpenModeFlag.WriteOnly):
        raise UserError(f"cannot write the report to {path}: {out.errorString()}")
    try:
        _render(debrief, out, total=pages)
    except BaseException:
        out.cancelWriting()
        raise
    if not out.commit():
        raise UserError(f"cannot write the report to {path}: {out.errorString()}")
    return path


def _render(debrief: Debrief, device: QIODevice, total: int | None) -> int:
    s = debrief.summary
    writer = QPdfWriter(device)
    writer.setResolution(DPI)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                     QMarginsF(16, 14, 16, 12), QPageLayout.Unit.Millimeter))
    title = tr("report", "After-action report")
    writer.setTitle(f"{title} — {s.title}" if s.title else title)
    writer.setCreator(f"CityOps Console {s.console_version}".strip())
    footer = " · ".join(part for part in (title, s.title, _period(s.start, s.end)) if part)
    doc = _Doc(writer, Clock(s.start, s.end), footer, total)
    try:
        _cover(doc, debrief)
        doc.new_page()
        _incidents(doc, debrief)
        doc.new_page()
        _alarms(doc, debrief)
        doc.new_page()
        _charts(doc, debrief)
        doc.new_page()
        _notes(doc, debrief.notes)
    finally:
        doc.finish()
    return doc.page


# -- time and numbers as printed --------------------------------------------------------------
class Clock:
    """Local times as the wall shows them; with the date only when the window spans days."""

    def __init__(self, start: float, end: float):
        self.start, self.end = start, end
        self.days = time.strftime("%Y%m%d", time.localtime(start)) != time.strftime("%Y%m%d", time.localtime(end))

    def __call__(self, ts: float, seconds: bool = False) -> str:
        fmt = ("%m-%d " if self.days else "") + ("%H:%M:%S" if seconds else "%H:%M")
        return time.strftime(fmt, time.localtime(ts))


def _period(start: float, end: float) -> str:
    same_day = time.strftime("%Y%m%d", time.localtime(start)) == time.strftime("%Y%m%d", time.localtime(end))
    last = time.strftime("%H:%M" if same_day else "%Y-%m-%d %H:%M", time.localtime(end))
    return f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(start))} – {last}"


def _zone(ts: float) -> str:
    offset = time.localtime(ts).tm_gmtoff
    sign = "+" if offset >= 0 else "-"
    return f"UTC{sign}{abs(offset) // 3600:02d}:{abs(offset) % 3600 // 60:02d}"


def _span(seconds: float | None) -> str:
    return "—" if seconds is None else format_elapsed(seconds)


def _status(status: str) -> str:
    return core(status.replace("_", " "))


def _priority(priority: int) -> str:
    return core(Priority(priority).name) if priority in Priority._value2member_map_ else str(priority)


# -- the page machinery -----------------------------------------------------------------------
@dataclass(frozen=True)
class Col:
    title: str
    width: float  # share of the text width
    align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft
    wrap: bool = False  # wrapped over lines (else cut short with "…")


Cell = str | tuple[str, QColor]


class _Doc:
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


# -- 1. cover and summary ---------------------------------------------------------------------
def _cover(doc: _Doc, d: Debrief) -> None:
    s = d.summary
    doc.text(tr("report", "CityOps Console"), 10, DIM, after=0.5)
    doc.text(tr("report", "After-action report"), 26, bold=True, after=2)
    if s.title:
        doc.text(s.title, 18, after=4)
    where = s.district_name or s.district_id or tr("report", "whole city")
    times = tr("report", "local time, {zone}; durations as m:ss, or 1 h 05 above an hour").format(zone=_zone(s.start))
    rows = [(tr("report", "Period"), f"{_period(s.start, s.end)}  ({format_elapsed(s.end - s.start)})"),
            (tr("report", "Times"), times),
            (tr("report", "Area"), where),
            (tr("report", "Recorded from"), s.source or "—")]
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
        (_span(s.ack_median_s), tr("report", "median time to acknowledge")),
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


def _figure_grid(doc: _Doc, figures: list[tuple], per_row: int) -> None:
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


def _drill_box(doc: _Doc, title: str, incidents: int, alarms: int) -> None:
    text = tr("report", "DRILL: {title}. Drill incidents: {incidents}; drill alarms: {alarms}. They are marked "
                        "DRILL wherever they appear and never reached the live city.").format(
        title=title, incidents=incidents, alarms=alarms)
    height = doc.measure(text, doc.font(10, True), doc.w - doc.mm(8)) + doc.mm(5)
    doc.y += doc.mm(3)
    doc.p.setPen(QPen(DRILL_INK, doc.mm(0.6)))
    doc.p.drawRect(QRectF(0, doc.y, doc.w, height))
    doc.y += doc.mm(2.5)
    doc.text(text, 10, DRILL_INK, bold=True, x=doc.mm(4), width=doc.w - doc.mm(8), after=2.5)


# -- 2. incident timelines --------------------------------------------------------------------
def _incidents(doc: _Doc, d: Debrief) -> None:
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
                             doc.clock(i.opened_at), _status(i.status)]
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


def _gantt(doc: _Doc, incidents: Sequence[IncidentTimeline], title: str) -> None:
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


def _bar(doc: _Doc, i: IncidentTimeline, bar: QRectF, x_of: Callable[[float], float]) -> None:
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
        word = _status(step.status)
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
            groups[-1][0].append(_status(step.status))
        else:
            groups.append(([_status(step.status)], step.actor))
    return "  ·  ".join(f"{', '.join(words)}: {actor or '—'}" for words, actor in groups)


def _status_legend(doc: _Doc) -> None:
    doc.p.setFont(doc.font(7.5))
    metrics = doc.p.fontMetrics()
    x = 0.0
    swatch = doc.mm(3)
    for status in STATUSES:
        word = _status(status)
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


# -- 3. alarm statistics ----------------------------------------------------------------------
def _alarms(doc: _Doc, d: Debrief) -> None:
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
            row: list[Cell] = [(_priority(p.priority), PRIORITY_INK.get(p.priority, INK)), str(p.count),
                               str(p.acknowledged), _span(p.ack_median_s), _span(p.ack_p90_s), _span(p.ack_max_s),
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


def _ack_bars(doc: _Doc, d: Debrief) -> None:
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
        doc.p.drawText(QRectF(0, y, label_w - doc.mm(2), h), int(Qt.AlignmentFlag.AlignVCenter), _priority(p.priority))
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
                           median=_span(p.ack_median_s), p90=_span(p.ack_p90_s), max=_span(p.ack_max_s)))
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


# -- 4. key charts ----------------------------------------------------------------------------
def _charts(doc: _Doc, d: Debrief) -> None:
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


def _chart(doc: _Doc, c: Chart, notes: Sequence[Note], box: QRectF) -> None:
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


def _series(doc: _Doc, c: Chart, x_of: Callable[[float], float], y_of: Callable[[float], float]) -> None:
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


# -- 5. annotations and bookmarks -------------------------------------------------------------
def _notes(doc: _Doc, notes: Sequence[Note]) -> None:
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


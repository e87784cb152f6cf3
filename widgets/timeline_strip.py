"""The timeline's strip: the whole recording on one axis, painted (widgets/timeline.py puts it together).

Two histogram rows (when incidents and alarms came), operators' actions and drill events (ticks),
the trainer's bookmarks (flags) and annotations (speech marks), the loop (shaded) and the
playhead. Click or drag on it to scrub; shift-drag selects a loop; hover tells the time.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QT_TRANSLATE_NOOP, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (QBrush, QColor, QFont, QFontMetrics, QMouseEvent, QPainter, QPainterPath, QPaintEvent,
                           QPen, QPolygonF)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from console.replay.timeline import Transport
from widgets import theme
from widgets.i18n import age, tr
from widgets.replay_banner import DRILL_COLOUR, replayed_time

INCIDENT_COLOUR = QColor(theme.SERIES_COLOURS[0])  # sky blue
ALARM_COLOUR = theme.STATUS_COLOURS[theme.Status.ALARM]
ACTION_COLOUR = QColor("#3fd39b")
BOOKMARK_COLOUR = QColor("#ffffff")
ANNOTATION_COLOUR = QColor(theme.SERIES_COLOURS[4])  # pink: a person's words
PLAYHEAD_COLOUR = QColor("#ffffff")
LOOP_COLOUR = theme.ACCENT
#: Axis tick steps and histogram bin widths to pick from (seconds): round numbers a clock shows.
NICE_STEPS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800)


def clock_span(seconds: float) -> str:
    """01:12:05 (hours keep counting past a day: a recording's offset, not a time of day)."""
    s = int(max(0.0, seconds))
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


class TimelineStrip(QWidget):
    """The recording on one axis; click or drag scrubs, shift-drag selects a loop, hover tells the time."""

    LABEL_W, RIGHT = 118, 14
    NOTES_H, ACTIONS_H, AXIS_H = 26, 16, 26

    def __init__(self, transport: Transport, parent: QWidget | None = None):
        super().__init__(parent)
        self.transport = transport
        self.timeline = transport.timeline
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMouseTracking(True)
        self.hover_x: float | None = None
        self._drag: str | None = None  # "scrub" or "loop" while a button is down
        self._anchor = 0.0  # where a loop selection started (time)
        self._press_x = 0.0
        self._density: dict[tuple[str, int], tuple] = {}
        self.compact = False  # on a far-read wall: see rows()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(900, 170)

    # -- geometry --------------------------------------------------------------------------
    @property
    def x0(self) -> float:
        return float(self.LABEL_W)

    @property
    def x1(self) -> float:
        return float(self.width() - self.RIGHT)

    def x_of(self, t: float) -> float:
        tl = self.timeline
        return self.x0 + (t - tl.start) / tl.duration * (self.x1 - self.x0)

    def t_at(self, x: float) -> float:
        tl = self.timeline
        return tl.clamp(tl.start + (x - self.x0) / max(self.x1 - self.x0, 1.0) * tl.duration)

    def seconds_per_pixel(self) -> float:
        return self.timeline.duration / max(self.x1 - self.x0, 1.0)

    def rows(self) -> dict[str, QRectF]:
        """Where each row is: notes on top, the two histograms sharing what height is left, actions, the axis.
        Compact (a wall screen read from afar, one short row): the two histograms only, notes marked on
        the first; the REPLAY band says the time, so there is no axis, and actions are a desk's detail."""
        w, h = float(self.width()), float(self.height())
        if self.compact:
            lane = max(14.0, (h - 6) / 2)
            incident, alarm = QRectF(0, 2, w, lane), QRectF(0, lane + 4, w, lane)
            end = QRectF(0, alarm.bottom(), w, 0)
            return {"notes": incident, "incident": incident, "alarm": alarm, "action": end, "axis": end}
        hist = max(20.0, (h - self.NOTES_H - self.ACTIONS_H - self.AXIS_H - 8) / 2)
        y = 2.0
        out = {}
        for name, height in (("notes", self.NOTES_H), ("incident", hist), ("alarm", hist), ("action", self.ACTIONS_H)):
            out[name] = QRectF(0, y, w, height)
            y += height + 2
        out["axis"] = QRectF(0, y, w, self.AXIS_H)
        return out

    def _bins(self) -> tuple[int, float]:
        """How many histogram bins (a round width each, at least 16 px wide: the shape of a storm,
        not minute-by-minute noise) and how long each is."""
        duration = self.timeline.duration
        span = next((s for s in NICE_STEPS if s / self.seconds_per_pixel() >= 16), NICE_STEPS[-1])
        bins = max(1, round(duration / span))
        return bins, duration / bins

    def density(self, kind: str, bins: int):
        key = (kind, bins, len(self.timeline.marks))  # marks arrive while the first pass runs
        if key not in self._density:
            self._density[key] = self.timeline.density(kind, bins)
        return self._density[key]

    # -- painting --------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt naming)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), theme.SURFACE)
        rows = self.rows()
        top, bottom = rows["notes"].top(), rows["action"].bottom()
        self._paint_loop(p, top, rows["axis"].top() + 6)
        bins, span = self._bins()
        for kind, colour, word in (("incident", INCIDENT_COLOUR, QT_TRANSLATE_NOOP("timeline", "INCIDENTS")),
                                   ("alarm", ALARM_COLOUR, QT_TRANSLATE_NOOP("timeline", "ALARMS"))):
            self._paint_histogram(p, rows[kind], self.density(kind, bins), colour, tr("timeline", word), span)
        if not self.compact:
            self._paint_actions(p, rows["action"])
            self._paint_axis(p, rows["axis"])
        self._paint_notes(p, rows["notes"], bottom)
        self._paint_unpassed(p, top, rows["axis"].top())
        if self.hover_x is not None and self._drag is None:
            self._paint_hover(p, top, rows["axis"])
        self._paint_playhead(p, top, rows["axis"].top() + 4)
        p.end()

    def _label(self, p: QPainter, row: QRectF, word: str, colour: QColor, detail: str = "") -> None:
        p.setFont(theme.font(14, QFont.Weight.Bold))
        p.setPen(colour)
        if detail:
            p.drawText(QRectF(8, row.top(), self.LABEL_W - 12, row.height() / 2 + 4),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, word)
            p.setFont(theme.font(14))
            p.setPen(theme.TEXT_DIM)
            p.drawText(QRectF(8, row.center().y() + 3, self.LABEL_W - 12, row.height() / 2),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, detail)
        else:
            p.drawText(QRectF(8, row.top(), self.LABEL_W - 12, row.height()),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, word)

    def _paint_histogram(self, p: QPainter, row: QRectF, counts, colour: QColor, word: str, span: float) -> None:
        lane = QRectF(self.x0, row.top(), self.x1 - self.x0, row.height())
        p.fillRect(lane, theme.SURFACE_RAISED)
        peak = int(counts.max()) if len(counts) else 0
        detail = "" if self.compact else tr("timeline", "peak {n} / {span}").format(n=peak, span=age(span))
        self._label(p, row, word, colour, detail)
        if peak == 0:
            return
        width = lane.width() / len(counts)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        for i, n in enumerate(counts.tolist()):
            if n:
                height = max(2.0, (lane.height() - 3) * n / peak)
                p.drawRect(QRectF(lane.left() + i * width + 0.5, lane.bottom() - height, max(width - 1.0, 1.0), height))

    def _paint_actions(self, p: QPainter, row: QRectF) -> None:
        self._label(p, row, tr("timeline", "ACTIONS"), ACTION_COLOUR)
        p.setPen(QPen(ACTION_COLOUR, 1.5))
        for t in self.timeline.times("action").tolist():
            x = self.x_of(t)
            p.drawLine(QPointF(x, row.top() + 2), QPointF(x, row.bottom() - 1))

    def _paint_notes(self, p: QPainter, row: QRectF, bottom: float) -> None:
        """Drill marks (diamonds), bookmarks (flags on a pole down the strip) and annotations (speech marks)."""
        if not self.compact:  # compact: the marks over the incidents' lane, which keeps its name
            self._label(p, row, tr("timeline", "NOTES"), theme.TEXT_DIM)
        notes = sorted([(t, "drill", "") for t in self.timeline.times("drill").tolist()]
                       + [(b.ts, "bookmark", b.label) for b in self.timeline.bookmarks]
                       + [(a.ts, "annotation", a.text) for a in self.timeline.annotations])
        for n, (t, kind, text) in enumerate(notes):
            x = self.x_of(t)
            if kind == "bookmark":
                self._flag(p, x, row, bottom)
            elif kind == "annotation":
                self._speech(p, x, row)
            else:
                self._diamond(p, x, row)
            room = (self.x_of(notes[n + 1][0]) if n + 1 < len(notes) else self.x1) - x - 32
            if text and room >= 40 and not self.compact:  # the words beside the mark, as far as the next mark allows
                p.setFont(theme.font(14))
                p.setPen(BOOKMARK_COLOUR if kind == "bookmark" else ANNOTATION_COLOUR)
                words = QFontMetrics(p.font()).elidedText(text, Qt.TextElideMode.ElideRight, int(min(room, 260)))
                p.drawText(QRectF(x + 22, row.top(), room, row.height()),
                           Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, words)

    @staticmethod
    def _diamond(p: QPainter, x: float, row: QRectF) -> None:
        """A drill event: a lemon diamond, the drill badge's colour."""
        mid = row.center().y()
        p.setPen(QPen(QColor("#000000"), 1))
        p.setBrush(DRILL_COLOUR)
        p.drawPolygon(QPolygonF([QPointF(x, mid - 8), QPointF(x + 7, mid), QPointF(x, mid + 8), QPointF(x - 7, mid)]))

    @staticmethod
    def _flag(p: QPainter, x: float, row: QRectF, bottom: float) -> None:
        """A bookmark: a white flag, its pole dashed down the strip to show what it marks."""
        p.setPen(QPen(QColor(255, 255, 255, 110), 1, Qt.PenStyle.DashLine))
        p.drawLine(QPointF(x, row.top() + 4), QPointF(x, bottom))
        p.setPen(QPen(BOOKMARK_COLOUR, 2))
        p.drawLine(QPointF(x, row.top() + 3), QPointF(x, row.bottom()))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(BOOKMARK_COLOUR)
        top = row.top()
        p.drawPolygon(QPolygonF([QPointF(x, top + 3), QPointF(x + 13, top + 8), QPointF(x, top + 13)]))

    @staticmethod
    def _speech(p: QPainter, x: float, row: QRectF) -> None:
        """An annotation: a speech bubble whose tail points at its moment."""
        bubble = QPainterPath()
        bubble.addRoundedRect(QRectF(x - 2, row.top() + 2, 20, 14), 4, 4)
        tail = QPainterPath()
        tail.addPolygon(QPolygonF([QPointF(x, row.top() + 12), QPointF(x, row.bottom() - 1),
                                   QPointF(x + 8, row.top() + 15)]))
        p.setPen(QPen(QColor("#000000"), 1))
        p.setBrush(ANNOTATION_COLOUR)
        p.drawPath(bubble.united(tail))
        p.setPen(QPen(QColor("#000000"), 1.4))
        for dx in (3.5, 8.0, 12.5):  # the three dots of someone speaking
            p.drawPoint(QPointF(x + dx, row.top() + 9))

    def _paint_loop(self, p: QPainter, top: float, bottom: float) -> None:
        loop = self.timeline.loop
        if loop is None:
            return
        a, b = self.x_of(loop[0]), self.x_of(loop[1])
        shade = QColor(LOOP_COLOUR)
        shade.setAlpha(55)
        p.fillRect(QRectF(a, top, max(b - a, 2.0), bottom - top), shade)
        p.setPen(QPen(LOOP_COLOUR, 2))
        p.drawLine(QPointF(a, top), QPointF(a, bottom))
        p.drawLine(QPointF(b, top), QPointF(b, bottom))

    def _paint_unpassed(self, p: QPainter, top: float, bottom: float) -> None:
        """The part the first pass has not reached: hatched, with how far it got; a held seek says it waits."""
        tl = self.timeline
        if tl.passed >= tl.end:
            return
        a = self.x_of(tl.passed)
        area = QRectF(a, top, self.x1 - a, bottom - top)
        p.fillRect(area, QColor(0, 0, 0, 120))
        p.fillRect(area, QBrush(QColor(255, 255, 255, 40), Qt.BrushStyle.BDiagPattern))
        p.setPen(QPen(theme.ACCENT, 2))
        p.drawLine(QPointF(a, top), QPointF(a, bottom))
        share = (tl.passed - tl.start) / tl.duration
        if tl.waiting is not None:
            text = tr("timeline", "going to {time}: preparing, {share} % done").format(
                time=time.strftime("%H:%M:%S", time.localtime(tl.waiting)), share=f"{share * 100:.0f}")
        else:
            text = tr("timeline", "preparing the replay: {share} %").format(share=f"{share * 100:.0f}")
        p.setFont(theme.font(14, QFont.Weight.Bold))
        width = QFontMetrics(p.font()).horizontalAdvance(text) + 16
        box = QRectF(min(max(a + 8, self.x0), self.x1 - width), top + 4, width, 24)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(theme.SURFACE_RAISED)
        p.drawRoundedRect(box, 4, 4)
        p.setPen(theme.TEXT)
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _ticks(self) -> tuple[float, list[float]]:
        """A round tick step (at least 110 px apart) and the ticks on local-time boundaries."""
        tl = self.timeline
        step = next((s for s in NICE_STEPS if s / self.seconds_per_pixel() >= 110), NICE_STEPS[-1])
        offset = time.localtime(tl.start).tm_gmtoff
        first = ((tl.start + offset) // step + 1) * step - offset
        if first - step >= tl.start:
            first -= step
        ticks = []
        t = first
        while t <= tl.end:
            ticks.append(t)
            t += step
        return step, ticks

    def _paint_axis(self, p: QPainter, row: QRectF) -> None:
        p.setPen(QPen(theme.BORDER, 1))
        p.drawLine(QPointF(self.x0, row.top()), QPointF(self.x1, row.top()))
        step, ticks = self._ticks()
        grid_top = self.rows()["incident"].top()
        p.setFont(theme.font(14))
        metrics = QFontMetrics(p.font())
        for t in ticks:
            x = self.x_of(t)
            p.setPen(QPen(theme.BORDER, 1))
            p.drawLine(QPointF(x, grid_top), QPointF(x, row.top() + 5))
            local = time.localtime(t)
            midnight = local.tm_hour == 0 and local.tm_min == 0
            text = replayed_time(t).rsplit(" ", 1)[0] if step >= 86400 or midnight else time.strftime("%H:%M", local)
            half = metrics.horizontalAdvance(text) / 2
            if x - half < 4 or x + half > self.width() - 2:
                continue
            p.setPen(theme.TEXT_DIM)
            p.drawText(QRectF(x - half - 2, row.top() + 5, 2 * half + 4, row.height() - 5),
                       Qt.AlignmentFlag.AlignCenter, text)

    def _paint_hover(self, p: QPainter, top: float, axis: QRectF) -> None:
        x = min(max(self.hover_x, self.x0), self.x1)
        p.setPen(QPen(QColor(255, 255, 255, 90), 1))
        p.drawLine(QPointF(x, top), QPointF(x, axis.top()))
        text = time.strftime("%H:%M:%S", time.localtime(self.t_at(x)))
        p.setFont(theme.font(14, QFont.Weight.Bold))
        width = QFontMetrics(p.font()).horizontalAdvance(text) + 12
        box = QRectF(min(max(x - width / 2, self.x0), self.x1 - width), axis.top() + 2, width, axis.height() - 3)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(theme.SURFACE_RAISED)
        p.drawRoundedRect(box, 4, 4)
        p.setPen(theme.TEXT)
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_playhead(self, p: QPainter, top: float, bottom: float) -> None:
        x = self.x_of(self.transport.now())
        p.setPen(QPen(QColor(0, 0, 0, 160), 5))
        p.drawLine(QPointF(x, top + 6), QPointF(x, bottom))
        p.setPen(QPen(PLAYHEAD_COLOUR, 2.5))
        p.drawLine(QPointF(x, top + 6), QPointF(x, bottom))
        p.setPen(QPen(QColor("#000000"), 1))
        p.setBrush(PLAYHEAD_COLOUR)
        p.drawPolygon(QPolygonF([QPointF(x - 7, top), QPointF(x + 7, top), QPointF(x, top + 10)]))

    # -- pointer ---------------------------------------------------------------------------
    def tip_at(self, x: float) -> str:
        """The hover text at ``x``: the time there and whatever is drawn within a few pixels of it."""
        t = self.t_at(x)
        lines = [f"{replayed_time(t)}  (+{clock_span(t - self.timeline.start)})"]
        near = 6 * self.seconds_per_pixel()
        for note in self.timeline.annotations:
            if abs(note.ts - t) <= near:
                lines.append(tr("timeline", "✎ {author}: {text}").format(author=note.author, text=note.text))
        for mark in self.timeline.bookmarks:
            if abs(mark.ts - t) <= near:
                lines.append(tr("timeline", "⚑ bookmark {time} {label}").format(
                    time=time.strftime("%H:%M:%S", time.localtime(mark.ts)), label=mark.label).rstrip())
        found = [m for m in self.timeline.marks if abs(m.ts - t) <= near]
        lines += [f"· {m.label}" for m in found[:6]]
        if len(found) > 6:
            lines.append(tr("timeline", "… and {n} more").format(n=len(found) - 6))
        return "\n".join(lines)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton or not self.transport.active:
            return
        x = event.position().x()
        self._press_x = x
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self._drag, self._anchor = "loop", self.t_at(x)
        else:
            self._drag = "scrub"
            self.transport.seek(self.t_at(x))
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        x = event.position().x()
        self.hover_x = x
        if self._drag == "scrub":
            self.transport.seek(self.t_at(x))
        elif self._drag == "loop" and abs(x - self._press_x) >= 3:
            self.timeline.set_loop(self._anchor, self.t_at(x))
        elif self._drag is None:
            QToolTip.showText(event.globalPosition().toPoint(), self.tip_at(x), self)
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag = None
            self.update()

    def leaveEvent(self, event) -> None:  # noqa: N802
        self.hover_x = None
        QToolTip.hideText()
        self.update()

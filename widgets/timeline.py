"""The trainer's timeline: transport, speed, the replayed time, and a strip of the whole recording.

The strip shows when incidents and alarms came (two histogram rows), operators' actions and
drill events (ticks), the trainer's bookmarks (flags) and annotations (speech marks), the loop
(shaded) and the playhead. Click or drag on it to scrub; shift-drag selects a loop. Nothing
opens a dialog (kiosk rule): annotations are typed into a line under the strip.

``install_shortcuts`` puts the same controls on a window's keys, for walls without a mouse.
Everything the controls do goes through ``console.replay.timeline.Transport``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QT_TRANSLATE_NOOP, QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (QColor, QFont, QFontMetrics, QIcon, QKeySequence, QMouseEvent, QPainter, QPainterPath,
                           QPaintEvent, QPen, QPixmap, QPolygonF, QShortcut)
from PySide6.QtWidgets import (QButtonGroup, QHBoxLayout, QLabel, QLineEdit, QSizePolicy, QToolButton, QToolTip,
                               QVBoxLayout, QWidget)

from console.clock import Clock, Mode
from console.replay.timeline import SPEEDS, Bookmark, Timeline, Transport
from widgets import theme
from widgets.base import View, register
from widgets.i18n import age, tr
from widgets.replay_banner import DRILL_COLOUR, replayed_time, speed_text

STEP_S, BIG_STEP_S, LOOP_S = 10.0, 60.0, 300.0
INCIDENT_COLOUR = QColor(theme.SERIES_COLOURS[0])  # sky blue
ALARM_COLOUR = theme.STATUS_COLOURS[theme.Status.ALARM]
ACTION_COLOUR = QColor("#3fd39b")
BOOKMARK_COLOUR = QColor("#ffffff")
ANNOTATION_COLOUR = QColor(theme.SERIES_COLOURS[4])  # pink: a person's words
PLAYHEAD_COLOUR = QColor("#ffffff")
LOOP_COLOUR = theme.ACCENT
KEYS_HINT = QT_TRANSLATE_NOOP("timeline", "Space play/pause · ←→ 10 s · Shift+←→ 1 min · Ctrl+←→ incident · "
                                          "Alt+←→ alarm · [ ] speed · Home/End · L loop 5 min · B bookmark")
#: Axis tick steps and histogram bin widths to pick from (seconds): round numbers a clock shows.
NICE_STEPS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800)


def clock_span(seconds: float) -> str:
    """01:12:05 (hours keep counting past a day: a recording's offset, not a time of day)."""
    s = int(max(0.0, seconds))
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


def _font(px: int, weight: QFont.Weight = QFont.Weight.Normal) -> QFont:
    font = QFont()
    font.setFamilies(theme.FONT_FAMILIES)
    font.setPixelSize(px)
    font.setWeight(weight)
    return font


def _icon(shape: str, colour: QColor = theme.TEXT) -> QIcon:
    """Transport icons drawn, not taken from a font: the interface fonts lack ⏮ ⏸ and friends."""
    size = 48
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(colour)

    def tri(x0: float, x1: float) -> None:  # a triangle from x0 (its base) to x1 (its point)
        p.drawPolygon(QPolygonF([QPointF(x0, 10), QPointF(x1, 24), QPointF(x0, 38)]))

    if shape == "play":
        tri(12, 40)
    elif shape == "pause":
        p.drawRect(QRectF(11, 10, 9, 28))
        p.drawRect(QRectF(28, 10, 9, 28))
    elif shape in ("back", "prev"):
        tri(26, 8)
        tri(44, 26)
        if shape == "prev":
            p.drawRect(QRectF(3, 10, 5, 28))
    elif shape in ("forward", "next"):
        tri(4, 22)
        tri(22, 40)
        if shape == "next":
            p.drawRect(QRectF(40, 10, 5, 28))
    p.end()
    return QIcon(pix)


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
        """Where each row is: notes on top, the two histograms sharing what height is left, actions, the axis."""
        w, h = float(self.width()), float(self.height())
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
        key = (kind, bins)
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
        self._paint_actions(p, rows["action"])
        self._paint_notes(p, rows["notes"], bottom)
        self._paint_axis(p, rows["axis"])
        if self.hover_x is not None and self._drag is None:
            self._paint_hover(p, top, rows["axis"])
        self._paint_playhead(p, top, rows["axis"].top() + 4)
        p.end()

    def _label(self, p: QPainter, row: QRectF, word: str, colour: QColor, detail: str = "") -> None:
        p.setFont(_font(13, QFont.Weight.Bold))
        p.setPen(colour)
        if detail:
            p.drawText(QRectF(8, row.top(), self.LABEL_W - 12, row.height() / 2 + 4),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, word)
            p.setFont(_font(12))
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
        self._label(p, row, word, colour, tr("timeline", "peak {n} / {span}").format(n=peak, span=age(span)))
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
            if text and room >= 40:  # the words beside the mark, as far as the next mark allows
                p.setFont(_font(12))
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
        p.setFont(_font(13))
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
        p.setFont(_font(13, QFont.Weight.Bold))
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


class SpeedLadder(QWidget):
    """Slower, the rungs 0.25× .. 64×, faster; the current rung lit. Where the row is too narrow
    for every rung, only the current one stays between slower and faster."""

    def __init__(self, make_button, transport: Transport, parent: QWidget | None = None):
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        self.slower = make_button("−", tr("timeline", "Slower ([ or -)"), lambda: transport.faster(-1))
        row.addWidget(self.slower)
        self.group = QButtonGroup(self)
        self.buttons: dict[float, QToolButton] = {}
        for speed in SPEEDS:
            b = make_button(speed_text(speed), tr("timeline", "Replay at {speed} real time").format(
                speed=speed_text(speed)), lambda _=False, s=speed: transport.set_speed(s))
            b.setCheckable(True)
            self.group.addButton(b)
            self.buttons[speed] = b
            row.addWidget(b)
        self.faster = make_button("+", tr("timeline", "Faster (] or +)"), lambda: transport.faster(1))
        row.addWidget(self.faster)
        self.speed = 1.0

    def _width(self, buttons) -> int:
        return sum(b.sizeHint().width() for b in buttons) + 4 * (len(buttons) - 1)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(self._width([self.slower, *self.buttons.values(), self.faster]), self.slower.sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        widest = max(self.buttons.values(), key=lambda b: b.sizeHint().width())
        return QSize(self._width([self.slower, widest, self.faster]), self.slower.sizeHint().height())

    def show_speed(self, speed: float) -> None:
        """Light the rung of ``speed`` (none when the clock runs between rungs)."""
        self.speed = speed
        self.group.setExclusive(False)
        for rung, b in self.buttons.items():
            b.setChecked(rung == speed)
        self.group.setExclusive(True)
        self._fit()

    def _fit(self) -> None:
        compact = self.width() < self.sizeHint().width()
        for rung, b in self.buttons.items():
            b.setVisible(not compact or rung == self.speed)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()


class TimelineView(QWidget):
    """Transport, speed ladder, replayed time, the strip, loop, bookmark and an inline annotation line."""

    def __init__(self, clock: Clock, timeline: Timeline, author: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.clock, self.timeline, self.author = clock, timeline, author
        self.transport = Transport(clock, timeline)
        self.setObjectName("timeline")
        self.setStyleSheet(
            "QWidget#timeline, QWidget#timeline QLabel { background: transparent; }"
            f" QToolButton {{ background: {theme.SURFACE_RAISED.name()}; border: 1px solid {theme.BORDER.name()};"
            f" border-radius: 5px; padding: 3px 8px; font-size: 15px; color: {theme.TEXT.name()}; }}"
            f" QToolButton:hover {{ border-color: {theme.ACCENT.name()}; }}"
            f" QToolButton:checked {{ background: {theme.ACCENT.name()}; color: {theme.BACKGROUND.name()};"
            f" border-color: {theme.ACCENT.name()}; }}"
            f" QToolButton:disabled {{ color: {theme.BORDER.name()}; }}"
            f" QToolButton#play {{ background: {theme.ACCENT.name()}; border-color: {theme.ACCENT.name()}; }}"
            f" QLineEdit {{ background: {theme.SURFACE_RAISED.name()}; border: 1px solid {theme.BORDER.name()};"
            f" border-radius: 4px; padding: 4px 6px; font-size: 15px; }}")
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(6)
        box.addLayout(self._transport_row())
        self.strip = TimelineStrip(self.transport, self)
        box.addWidget(self.strip, 1)
        box.addLayout(self._notes_row())
        self.hint = QLabel(tr("timeline", KEYS_HINT))
        self.hint.setStyleSheet(f"color: {theme.TEXT_DIM.name()}; font-size: 13px;")
        box.addWidget(self.hint)
        self._drawn: tuple = ()
        self._texts: tuple = ()
        self.refresh(clock.now())

    # -- building --------------------------------------------------------------------------
    def _button(self, text: str, tip: str, slot: Callable[[], None], icon: str = "") -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the window's shortcuts
        if icon:
            button.setIcon(_icon(icon))
            button.setIconSize(QSize(20, 20))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon if text
                                      else Qt.ToolButtonStyle.ToolButtonIconOnly)
        button.clicked.connect(slot)
        return button

    def _transport_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(4)
        t = self.transport
        self.prev_button = self._button(tr("timeline", "Incident"), tr("timeline", "Previous incident (Ctrl+←)"),
                                        lambda: self._jump("incident", False), "prev")
        self.back_button = self._button(tr("timeline", "10 s"), tr("timeline", "Step back 10 s (←; Shift+← 1 min)"),
                                        lambda: t.step(-STEP_S), "back")
        self.play_button = self._button("", tr("timeline", "Play or pause (Space)"), t.toggle_play, "play")
        self.play_button.setObjectName("play")
        self.play_button.setIconSize(QSize(26, 26))
        self.play_button.setMinimumWidth(56)
        self.forward_button = self._button(tr("timeline", "10 s"),
                                           tr("timeline", "Step forward 10 s (→; Shift+→ 1 min)"),
                                           lambda: t.step(STEP_S), "forward")
        self.next_button = self._button(tr("timeline", "Incident"), tr("timeline", "Next incident (Ctrl+→)"),
                                        lambda: self._jump("incident", True), "next")
        for b in (self.prev_button, self.back_button, self.play_button, self.forward_button, self.next_button):
            row.addWidget(b)
        row.addSpacing(14)
        self.ladder = SpeedLadder(self._button, t, self)
        row.addWidget(self.ladder)
        row.addStretch(1)
        times = QVBoxLayout()
        times.setSpacing(0)
        self.time_label = QLabel()
        self.time_label.setStyleSheet(f"font-size: 26px; font-weight: 700; color: {theme.TEXT.name()};")
        self.time_label.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.position_label = QLabel()
        self.position_label.setStyleSheet(f"font-size: 15px; color: {theme.TEXT_DIM.name()};")
        self.position_label.setAlignment(Qt.AlignmentFlag.AlignRight)
        times.addWidget(self.time_label)
        times.addWidget(self.position_label)
        row.addLayout(times)
        return row

    def _notes_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(6)
        self.loop_button = self._button(tr("timeline", "⟲ Loop"), tr("timeline", "Loop 5 min from the playhead, "
                                        "or stop looping (L); shift-drag on the strip to choose"),
                                        lambda: self.transport.toggle_loop(LOOP_S))
        self.loop_button.setCheckable(True)
        self.bookmark_button = self._button(tr("timeline", "⚑ Bookmark"), tr("timeline", "Bookmark the playhead (B)"),
                                            lambda: self.transport.bookmark())
        self.note = QLineEdit(self)
        self.note.setPlaceholderText(tr("timeline", "Annotation for the trainees at the playhead…"))
        # Typed into only when clicked (or focused on purpose): a window's keys stay with the replay
        # shortcuts, and Enter or Esc hands them back.
        self.note.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.note.returnPressed.connect(self.add_annotation)
        self.note.installEventFilter(self)
        self.add_button = self._button(tr("timeline", "Add note"), tr("timeline", "Add the annotation at the playhead"),
                                       self.add_annotation)
        self.feedback = QLabel()
        self.feedback.setStyleSheet(f"color: {theme.STATUS_COLOURS[theme.Status.WARNING].name()}; font-size: 14px;")
        for w in (self.loop_button, self.bookmark_button):
            row.addWidget(w)
        row.addSpacing(10)
        row.addWidget(self.note, 1)
        row.addWidget(self.add_button)
        row.addWidget(self.feedback)
        return row

    # -- actions ---------------------------------------------------------------------------
    def _jump(self, kind: str, forward: bool) -> None:
        mark = self.transport.jump(kind, forward)
        self._say("" if mark is not None else
                  tr("timeline", "no later incident") if forward else tr("timeline", "no earlier incident"))

    def add_annotation(self) -> None:
        """The inline line's text as an annotation at the playhead (refused, and said why, when empty)."""
        try:
            self.timeline.add_annotation(self.transport.now(), self.author, self.note.text())
        except ValueError:
            self._say(tr("timeline", "an annotation needs some text"))
            return
        self.note.clear()
        self.note.clearFocus()
        self._say("")

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        """Esc in the annotation line leaves it (the text stays) and gives the keys back to the shortcuts."""
        if obj is self.note and event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Escape:
            self.note.clearFocus()
            return True
        return super().eventFilter(obj, event)

    def _say(self, text: str) -> None:
        self.feedback.setText(text)
        self.refresh(self.clock.now())

    # -- refresh ---------------------------------------------------------------------------
    def refresh(self, now: float) -> None:
        """Show the clock's time; repaint the strip only when what it would draw changed."""
        tl, clock = self.timeline, self.clock
        now = tl.clamp(now)
        texts = (replayed_time(now), int(now - tl.start))
        if texts != self._texts:
            self._texts = texts
            self.time_label.setText(texts[0])
            self.position_label.setText(tr("timeline", "+{elapsed} of {total}").format(
                elapsed=clock_span(now - tl.start), total=clock_span(tl.duration)))
        key = (round(self.strip.x_of(now)), clock.mode, clock.playing, clock.speed, tl.version, self.strip.width())
        if key == self._drawn:
            return
        self._drawn = key
        replaying = clock.mode is Mode.REPLAY
        for w in (self.prev_button, self.back_button, self.play_button, self.forward_button, self.next_button,
                  self.ladder, self.loop_button, self.bookmark_button, self.add_button, self.note):
            w.setEnabled(replaying)
        self.play_button.setIcon(_icon("pause" if clock.playing and replaying else "play", theme.BACKGROUND))
        self.ladder.show_speed(clock.speed)
        self.loop_button.setChecked(tl.loop is not None)
        if tl.loop is not None:
            self.loop_button.setText(tr("timeline", "⟲ Loop {a}–{b}").format(
                a=time.strftime("%H:%M:%S", time.localtime(tl.loop[0])),
                b=time.strftime("%H:%M:%S", time.localtime(tl.loop[1]))))
        else:
            self.loop_button.setText(tr("timeline", "⟲ Loop"))
        self.strip.update()


def install_shortcuts(window: QWidget, clock: Clock, timeline: Timeline,
                      on_bookmark: Callable[[Bookmark], None] | None = None) -> list[QShortcut]:
    """Put the timeline's controls on ``window``'s keys (a wall has no mouse); returns the shortcuts.

    Space play/pause; ←/→ 10 s and Shift+←/→ 1 min (pausing); Ctrl+←/→ previous/next incident;
    Alt+←/→ previous/next alarm; [ ] or - + slower/faster; Home/End start/end; L loops the next
    5 min or stops looping; B bookmarks the playhead and hands the bookmark to ``on_bookmark``.
    """
    t = Transport(clock, timeline)

    def bookmark() -> None:
        mark = t.bookmark()
        if mark is not None and on_bookmark is not None:
            on_bookmark(mark)

    K, M = Qt.Key, Qt.KeyboardModifier
    bindings: list[tuple[tuple, Callable[[], None]]] = [
        ((K.Key_Space,), t.toggle_play),
        ((K.Key_Left,), lambda: t.step(-STEP_S)), ((K.Key_Right,), lambda: t.step(STEP_S)),
        ((M.ShiftModifier | K.Key_Left,), lambda: t.step(-BIG_STEP_S)),
        ((M.ShiftModifier | K.Key_Right,), lambda: t.step(BIG_STEP_S)),
        ((M.ControlModifier | K.Key_Left,), lambda: t.jump("incident", False)),
        ((M.ControlModifier | K.Key_Right,), lambda: t.jump("incident", True)),
        ((M.AltModifier | K.Key_Left,), lambda: t.jump("alarm", False)),
        ((M.AltModifier | K.Key_Right,), lambda: t.jump("alarm", True)),
        ((K.Key_BracketLeft, K.Key_Minus), lambda: t.faster(-1)),
        ((K.Key_BracketRight, K.Key_Plus, K.Key_Equal), lambda: t.faster(1)),
        ((K.Key_Home,), t.to_start), ((K.Key_End,), t.to_end),
        ((K.Key_L,), lambda: t.toggle_loop(LOOP_S)),
        ((K.Key_B,), bookmark),
    ]
    shortcuts = []
    for keys, slot in bindings:
        for key in keys:
            shortcut = QShortcut(QKeySequence(key), window)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)
            shortcuts.append(shortcut)
    return shortcuts


@register("timeline")
class TimelinePanel(View):
    """The timeline as a wall view: a ``TimelineView`` of the context's clock and timeline.

    The shell sets ``ctx.timeline`` when a recording is loaded (None when live); the panel
    builds its timeline for whichever timeline the context holds at the time of a refresh.
    """

    PARAMS = {"title": str}

    def __init__(self, ctx, params, parent=None):
        super().__init__(ctx, params, parent)
        self.live = QLabel(tr("timeline", "Live: no recording loaded"))
        self.live.setStyleSheet(f"color: {theme.TEXT_DIM.name()}; font-size: 16px; background: transparent;")
        self.body.addWidget(self.live, 1, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.view: TimelineView | None = None

    def default_title(self) -> str:
        return tr("timeline", "Timeline")

    def refresh(self, now: float) -> None:
        timeline = self.ctx.timeline if self.ctx.clock is not None else None
        if (self.view.timeline if self.view else None) is not timeline:
            if self.view is not None:
                self.view.deleteLater()
                self.view = None
            if timeline is not None:
                self.view = TimelineView(self.ctx.clock, timeline, self.ctx.operator.name, self)
                self.body.insertWidget(1, self.view, 1)
                self.view.show()
            self.live.setVisible(timeline is None)
        if self.view is not None:
            self.view.refresh(now)

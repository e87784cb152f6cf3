"""The timeline's controls around the strip: transport row, speed ladder, replayed time, loop,
bookmark and the inline annotation line (nothing opens a dialog: kiosk rule).

Everything the controls do goes through ``console.replay.timeline.Transport``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QT_TRANSLATE_NOOP, QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap, QPolygonF
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QLineEdit, QToolButton, QVBoxLayout, QWidget

from console.clock import Clock, Mode
from console.replay.timeline import SPEEDS, Timeline, Transport
from widgets import theme
from widgets.i18n import tr
from widgets.replay_banner import replayed_time, speed_text
from widgets.timeline_strip import TimelineStrip, clock_span

STEP_S, BIG_STEP_S, LOOP_S = 10.0, 60.0, 300.0
KEYS_HINT = QT_TRANSLATE_NOOP("timeline", "Space play/pause · ←→ 10 s · Shift+←→ 1 min · Ctrl+←→ incident · "
                                          "Alt+←→ alarm · [ ] speed · Home/End · L loop 5 min · B bookmark")


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

    def __init__(self, clock: Clock, timeline: Timeline, author: str, parent: QWidget | None = None,
                 compact: bool = False):
        """``compact``: for a wall screen read from afar, the transport and the strip only (icons,
        no annotation line or key hint: the keys still work, notes are typed at a desk)."""
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
        self.transport_row = self._transport_row()
        box.addLayout(self.transport_row)
        self.strip = TimelineStrip(self.transport, self)
        box.addWidget(self.strip, 1)
        box.addLayout(self._notes_row())
        self.hint = QLabel(tr("timeline", KEYS_HINT))
        self.hint.setStyleSheet(f"color: {theme.TEXT_DIM.name()}; font-size: 14px;")
        box.addWidget(self.hint)
        if compact:
            self._compact()
        self._drawn: tuple = ()
        self._texts: tuple = ()
        self.refresh(clock.now())

    def _compact(self) -> None:
        self.hint.hide()
        for w in (self.loop_button, self.bookmark_button, self.note, self.add_button):
            w.hide()
        for b in (self.prev_button, self.back_button, self.forward_button, self.next_button):
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.ladder.hide()  # the speed shows in the REPLAY band; its keys still change it
        self.position_label.hide()
        self.time_label.hide()  # the REPLAY band says the replayed time: the strip gets the width
        self.strip.compact = True
        self.strip.setMinimumHeight(56)
        self.layout().removeWidget(self.strip)  # beside the transport, one row: the screen's height is for views
        self.transport_row.insertWidget(self.transport_row.indexOf(self.ladder) + 1, self.strip, 1)
        for i in range(self.transport_row.count()):  # the strip, not the gap beside it, takes the width
            if self.transport_row.itemAt(i).spacerItem() is not None:
                self.transport_row.setStretch(i, 0)

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
        self.feedback.setStyleSheet(f"color: {theme.TEXT.name()}; font-size: 14px;")
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

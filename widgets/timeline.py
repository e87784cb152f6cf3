"""The trainer's timeline: transport, speed, the replayed time, and a strip of the whole recording.

The strip shows when incidents and alarms came (two histogram rows), operators' actions and
drill events (ticks), the trainer's bookmarks (flags) and annotations (speech marks), the loop
(shaded) and the playhead. Click or drag on it to scrub; shift-drag selects a loop. Nothing
opens a dialog (kiosk rule): annotations are typed into a line under the strip.

``install_shortcuts`` puts the same controls on a window's keys, for walls without a mouse.
Everything the controls do goes through ``console.replay.timeline.Transport``. The strip is
painted in timeline_strip.py, the controls around it are built in timeline_view.py.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QWidget

from console.clock import Clock
from console.replay.timeline import Bookmark, Timeline, Transport
from widgets import theme
from widgets.base import View, register
from widgets.i18n import tr
from widgets.timeline_strip import (ACTION_COLOUR, ALARM_COLOUR, ANNOTATION_COLOUR, BOOKMARK_COLOUR, INCIDENT_COLOUR,
                                    LOOP_COLOUR, NICE_STEPS, PLAYHEAD_COLOUR, TimelineStrip, clock_span)
from widgets.timeline_view import BIG_STEP_S, KEYS_HINT, LOOP_S, STEP_S, SpeedLadder, TimelineView

__all__ = ["ACTION_COLOUR", "ALARM_COLOUR", "ANNOTATION_COLOUR", "BIG_STEP_S", "BOOKMARK_COLOUR", "INCIDENT_COLOUR",
           "KEYS_HINT", "LOOP_COLOUR", "LOOP_S", "NICE_STEPS", "PLAYHEAD_COLOUR", "STEP_S", "SpeedLadder",
           "TimelinePanel", "TimelineStrip", "TimelineView", "clock_span", "install_shortcuts"]


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

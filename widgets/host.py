"""The holder every wall view sits in: a view that raises stops alone, shows why, and comes back.

A wall runs for months; one view's bug (in ``refresh``, in a paint, in a slot) must cost that
panel a few seconds, never the wall. The host swaps the broken view for an error card readable
across the room, deletes it, and builds a fresh one after a back-off that doubles (2, 4, 8 ...
60 s) while it keeps failing and starts over once a view has run for ten minutes.

Qt calls a view's overrides (paintEvent, key and mouse events, slots) from C++, so their
exceptions never reach our code: PySide hands them to ``sys.excepthook``. ``install_fault_router``
puts a hook there that finds the host of the widget that raised and fails it.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from pathlib import Path
from time import monotonic

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QStackedLayout, QVBoxLayout, QWidget

from console.layout.spec import LayoutError, ViewSpec
from widgets import theme
from widgets.base import VIEWS, View, ViewContext
from widgets.i18n import tr

log = logging.getLogger("cityops.wall")

FIRST_BACKOFF_S = 2
MAX_BACKOFF_S = 60
#: A view that ran this long before failing is healthy again: its back-off starts over.
HEALTHY_S = 600.0
#: How PySide words an override's exception when it reaches Python through a Qt call (show, grab),
#: once per override it passed through.
_PYSIDE_PREFIX = re.compile(r"^(Error calling Python override of \S+\(\): )+")
_FAULT = theme.OUT_OF_SERVICE  # a stopped view is out of service, not an alarm


def describe(exc: BaseException) -> str:
    """``Type: first line of the message`` (at most 200 characters): what the card says went wrong."""
    lines = _PYSIDE_PREFIX.sub("", str(exc)).strip().splitlines()
    first = lines[0][:200] if lines else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


class ErrorCard(QFrame):
    """What a stopped view shows instead of itself: its title, why it stopped, when it comes back.

    Big text and an amber border, so an operator five metres away sees which panel is down.
    Labels take no focus: the card never takes the keyboard from the view operators act in.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("viewError")
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)  # a panel keeps its view's size
        self.setStyleSheet(
            f"QFrame#viewError {{ background: {theme.SURFACE.name()}; border: 6px solid {_FAULT.name()};"
            f" border-radius: 6px; }}"
            f" QLabel {{ background: transparent; border: none; }}"
            f" QLabel#errorTitle {{ color: {theme.TEXT_DIM.name()}; font-size: 24px; font-weight: 600; }}"
            f" QLabel#errorReason {{ color: {_FAULT.name()}; font-size: 32px; font-weight: 700; }}"
            f" QLabel#errorCountdown {{ color: {theme.TEXT.name()}; font-size: 28px; }}")
        box = QVBoxLayout(self)
        box.setContentsMargins(24, 18, 24, 18)
        box.addStretch(1)
        self.title, self.reason, self.countdown = QLabel(), QLabel(), QLabel()
        for label, name in ((self.title, "errorTitle"), (self.reason, "errorReason"),
                            (self.countdown, "errorCountdown")):
            label.setObjectName(name)
            label.setWordWrap(True)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            box.addWidget(label)
        box.addStretch(1)


class ViewHost(QWidget):
    """One view of the layout, built from its spec and rebuilt whenever it fails.

    ``failures`` counts the failures since the view last ran for HEALTHY_S (the attempt number
    on the card); ``view`` is None while the error card stands in for it.
    """

    def __init__(self, spec: ViewSpec, ctx: ViewContext, source: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.spec = spec
        self.ctx = ctx
        self.view: View | None = None
        self.failures = 0
        #: how long the view stays on screen at a time (a rotating page's dwell; None: always), also after a restart
        self.shown_for_s: float | None = None
        self._title = tr("layout", str(spec.params.get("title", spec.view))).upper()
        self._built_at = 0.0
        self._left = 0  # seconds until the next restart
        self._stack = QStackedLayout(self)
        self.card = ErrorCard(self)
        self._stack.addWidget(self.card)
        self._tick = QTimer(self)  # one timer: the countdown and the restart cannot disagree
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._count_down)
        try:
            view = VIEWS[spec.view](ctx, spec.params)
        except ValueError as exc:  # a parameter the view itself found wrong: the layout's mistake
            raise LayoutError(f"{source}: {spec.path}: {exc}") from None
        except Exception as exc:
            self._stopped(exc)
        else:
            self._show(view)

    @property
    def failed(self) -> bool:
        return self.view is None

    def keyboard_target(self) -> QWidget | None:
        return None if self.view is None else self.view.keyboard_target()

    def refresh(self, now: float) -> None:
        if self.view is None:
            return
        try:
            self.view.refresh(now)
        except Exception as exc:
            self.fail(exc)

    def fail(self, exc: BaseException) -> None:
        """The running view raised: delete it and show the card (a no-op while it is already down)."""
        if self.view is None:  # a paint may raise again before the deleted view is gone
            return
        view, self.view = self.view, None
        if monotonic() - self._built_at >= HEALTHY_S:
            self.failures = 0
        self._stack.setCurrentWidget(self.card)
        self._stack.removeWidget(view)
        view.hide()
        view.deleteLater()
        self._stopped(exc)

    def restart_now(self) -> None:
        """Build a fresh view from the spec at once (the countdown does this when it runs out)."""
        if self.view is not None:
            return
        self._tick.stop()
        try:
            view = VIEWS[self.spec.view](self.ctx, self.spec.params)
        except Exception as exc:  # after the first build even a ValueError is the view's bug
            self._stopped(exc)
            return
        keyboard = self.window().focusWidget() is self.card  # the stack moved the failed view's focus there
        self._show(view)
        if keyboard and (target := view.keyboard_target()) is not None:
            target.setFocus()

    def set_shown_for(self, seconds: float | None) -> None:
        """Tell the view how long it is on screen at a time (a grid summarises what it could not page through)."""
        self.shown_for_s = seconds
        if self.view is not None:
            self.view.shown_for_s = seconds

    def _show(self, view: View) -> None:
        self.view = view
        view.shown_for_s = self.shown_for_s
        self._title = view.title_label.text()
        self._built_at = monotonic()
        self._stack.addWidget(view)
        self._stack.setCurrentWidget(view)

    def _stopped(self, exc: BaseException) -> None:
        """Log the failure once, with its traceback as text (a record must not keep the view alive)."""
        self.failures += 1
        self._left = min(FIRST_BACKOFF_S * 2 ** min(self.failures - 1, 6), MAX_BACKOFF_S)  # no huge powers
        log.error("view %r at %s stopped (attempt %d), restarting in %d s:\n%s", self.spec.view, self.spec.path,
                  self.failures, self._left, "".join(traceback.format_exception(exc)).rstrip())
        self.card.title.setText(self._title)
        self.card.reason.setText(tr("host", "This view stopped: {error}").format(error=describe(exc)))
        self._show_countdown()
        self._tick.start()

    def _show_countdown(self) -> None:
        self.card.countdown.setText(
            tr("host", "Restarting in {seconds} s (attempt {attempt})").format(seconds=self._left,
                                                                              attempt=self.failures))

    def _count_down(self) -> None:
        self._left -= 1
        if self._left > 0:
            self._show_countdown()
        else:
            self.restart_now()


def route_fault(exc: BaseException) -> bool:
    """Fail the host of the widget whose code raised ``exc``; False when it belongs to no view.

    The traceback's frames are searched innermost first for a ``self`` that is a live QObject
    inside a running view. The shell also calls this for exceptions that come back out of
    Qt calls it makes itself (``show``, ``grab``), where PySide raises instead of calling the hook.
    """
    frames = [frame for frame, _ in traceback.walk_tb(exc.__traceback__)]
    for frame in reversed(frames):
        host = _host_of(frame.f_locals.get("self"))
        if host is not None:
            host.fail(exc)
            return True
    return False


def _host_of(obj: object) -> ViewHost | None:
    if not isinstance(obj, QObject) or isinstance(obj, ViewHost):
        return None
    while obj is not None and shiboken6.isValid(obj):
        parent = obj.parent()
        if isinstance(parent, ViewHost):
            return parent if parent.view is obj else None  # not the card, not a view already stopped
        obj = parent
    return None


_previous_hook = None


def _fault_hook(exc_type, exc, tb) -> None:
    """Route a view's exception to its host; log any other. Never re-raise: the wall must stay up.

    Exceptions that belong to no view are not passed on to the previous hook: the log is the
    wall's one record of them (the default hook would print the same traceback a second time).
    sys.last_* are cleared so the traceback does not keep a stopped view alive until the next error.
    """
    for name in ("last_type", "last_value", "last_traceback", "last_exc"):
        sys.__dict__.pop(name, None)
    if not route_fault(exc.with_traceback(tb)):
        log.error("unhandled exception outside any view", exc_info=(exc_type, exc, tb))


def install_fault_router() -> None:
    """Send exceptions raised in Qt overrides and slots to the view they belong to (idempotent)."""
    global _previous_hook
    if sys.excepthook is not _fault_hook:
        _previous_hook = sys.excepthook
        sys.excepthook = _fault_hook


def uninstall_fault_router() -> None:
    """Put back the hook that was there before ``install_fault_router``."""
    global _previous_hook
    if sys.excepthook is _fault_hook:
        sys.excepthook = _previous_hook
        _previous_hook = None

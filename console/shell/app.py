"""Run a wall: open the layout's windows on their screens, feed them from sync, refresh on a capped timer.

The wall follows what changes under it without a restart: screens plugged in and out
(``ScreenMap``), edits of the layout file (``LayoutWatcher``), and the page rotation. Its windows
are made and placed by ``WallWindows`` (console/shell/wall_windows.py).
"""

from __future__ import annotations

import getpass
import logging
import math
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget

from console.alarms import room
from console.cache import Cache, outbox
from console.clock import Clock
from console.errors import UserError
from console.frames import FramePacer
from console.forecast import Forecasts
from console.forecast.early import EarlyWarnings
from console.layout.legibility import scaled
from console.shell.qt_scale import set_interface_scale
from console.layout.parse import load_layout
from console.layout.spec import Layout, ScreenSpec
from console.layout.rotation import WallRotation
from console import memory
from console.incidents.plans import Checklists
from console.model.action import NOBODY, Operator, OperatorAction
from console.store import Store
from console.store.history import HistorySource
from console.store import live
from console.store.warm import warm_store
from console.replay.session import ReplaySession
from console.sync.connector import Connector
from console.sync.sql_connector import SqlConnector
from console.sync.batch import Batch
from console.sync.engine import SyncEngine
from console.sync.status import SyncStatus
from console.shell.bridge import SyncBridge
from console.shell.control_bridge import ControlBridge
from console.shell.screens import Assignment, Placement, ScreenMap
from console.shell.reload import LayoutWatcher
from console.shell.signin import SignIn
from console.shell.qt_setup import interface_scale
from console.shell.wall_screenshots import ShotsWritten, WallScreenshots
from console.shell.wall_signin import WallSignIn
from console.shell.wall_windows import WallWindows
from console.shell.workstation import Workstation
from widgets import ViewContext, view_params
from widgets.timeline import install_shortcuts
from widgets.trend_history import wait_for_fetches

log = logging.getLogger("cityops.wall")

#: Without new data, views refresh this often for what time alone changes (the clock, staleness,
#: flashing); most ticks find nothing changed and draw nothing.
REFRESH_HZ = 4.0
#: Free memory goes back to the system this often (and after every layout reload): console/memory.py.
TRIM_EVERY_S = 60.0
#: How a batch of new data reaches the screen: "leading" paints it at once unless a paint is
#: recent (console/frames.py); "tick" leaves it to the next refresh tick (the old capped path,
#: kept for benchmarks/bench_vitals.py to compare against).
PACINGS = ("leading", "tick")


def read_layout(name: str) -> Layout:
    """Validate the whole layout before any window opens."""
    return load_layout(name, view_params())


def node_screens(layout: Layout, node: int) -> list[ScreenSpec]:
    """The screens this wall PC shows; none is a mistake in the command line or the layout."""
    screens = layout.node_screens(node)
    if not screens:
        nodes = ", ".join(str(n) for n in sorted({s.node for s in layout.screens}))
        raise UserError(f"layout {layout.source} has no screens for node {node} (its nodes: {nodes})")
    return screens


class Wall(WallWindows, WallSignIn, WallScreenshots):
    """The windows of one layout, the store behind them, and the sync engine feeding it."""

    def __init__(self, layout: Layout, cache: Cache | None, connector: Connector | None, clock: Clock,
                 poll_interval: float = 1.0, operator: Operator | None = None, node: int = 1,
                 windowed: bool = False, replay: ReplaySession | None = None, state_dir: Path | None = None,
                 pacing: str = "leading"):
        if pacing not in PACINGS:
            raise ValueError(f"pacing {pacing!r} is not one of {', '.join(PACINGS)}")
        self.pacing = pacing
        #: the interface scale this process runs at, so the smallest text is legible where the
        #: screens are read from; the wall lays out in pixels of that scale (``scaled``)
        self.scale = interface_scale(layout, node)
        self.declared = layout  # in the screens' own pixels: wall.png is drawn at their size
        layout = scaled(layout, self.scale)
        self.specs = node_screens(layout, node) if layout.mode == "wall" else []
        self.layout = layout
        self.node = node
        self.windowed = windowed
        self.clock = clock
        self.cache = cache
        #: where the wall keeps its own files (arrangements, checklists, screenshots): beside the cache
        self.state_dir = state_dir or (cache.path.parent if cache is not None else Path.cwd())
        self._writes: list[ShotsWritten] = []  # screenshots being encoded on workers
        self.replay = replay
        #: on PostgreSQL the person signs in and the platform gives their role; elsewhere (an SQLite
        #: demo platform) the command line names them and nobody is authenticated
        signs_in = isinstance(connector, SqlConnector) and connector.postgres and replay is None
        self.demo = isinstance(connector, SqlConnector) and not connector.postgres
        operator = NOBODY if signs_in else (operator or Operator(getpass.getuser()))
        if replay is None:
            self.store = Store()
            warm_store(self.store, cache, clock.now())
            record = self._keep
            self.alarms = room.room_alarms(self.store.indicators.values(), recorder=record)
            now = clock.now()  # the room's alarm state: the newest saved one, run forward (console/alarms/room.py)
            room.start(self.alarms, cache, now, near=self.store.window, near_from=now - self.store.horizon_s)
            self.context = ViewContext(self.store, HistorySource(cache), self.alarms, operator, recorder=record,
                                       checklists=Checklists(self.state_dir / "checklists.json"), clock=clock)
            self.status = SyncStatus("connecting" if connector else "offline", "" if connector else "no platform")
        else:  # a recording: no cache, no outbox, no platform; what operators do stays in the training log
            self.store, self.alarms = replay.source.store, replay.source.alarms
            self.alarms.recorder = replay.training
            self.context = ViewContext(self.store, replay.source.history(), self.alarms, operator,
                                       recorder=replay.training, clock=clock, timeline=replay.timeline)
            self.status = SyncStatus("replay", replay.title)
        # forecasts of every indicator, from data before the clock's "now" only (live and replay)
        self.forecasts = self.context.forecasts = Forecasts(self.store, self.context.history)
        self.early = self.context.early = EarlyWarnings(recorder=self.context.recorder)
        self.signin: SignIn | None = None
        if signs_in:
            self._start_sign_in(connector, record, cache)
        self.bridge = SyncBridge()
        self.bridge.batch.connect(self._on_batch)
        self.bridge.status.connect(self._on_status)
        self.engine = None
        if connector is not None:
            self.engine = SyncEngine(connector, cache, on_batch=self.bridge.post_batch,
                                     on_status=self.bridge.post_status, poll_interval=poll_interval)
        self.windows, self.spans = self._make_windows(layout, self.specs)
        self.workstation = (Workstation(layout, self.context, self.state_dir / "arrangements.json")
                            if layout.mode == "workstation" else None)
        if self.workstation is not None:
            self.workstation.show_identity(self.context.operator, self.demo)
            self._keys(self.workstation)
            if self.signin is not None:
                top = self.workstation.menuWidget().layout()
                top.insertWidget(top.indexOf(self.workstation.header) + 1, self.signin.panel)
        self.rotation = WallRotation(self.specs)
        self.control: ControlBridge | None = None  # shared clock and rotation commands (attach_control)
        self.assignment: Assignment | None = None  # where the windows went (None: windowed)
        self.error: str | None = None  # the last layout edit that could not be used
        #: called after a good reload made new windows and a new rotation (the control channel
        #: re-applies its rotation commands to it)
        self.on_reload: list[Callable[[], None]] = []
        self.placement = Placement()
        self._screens: ScreenMap | None = None
        self._watcher: LayoutWatcher | None = None
        self._cursor_hidden = False
        self.timer = QTimer()
        self.timer.setInterval(int(1000 / REFRESH_HZ))
        self.timer.timeout.connect(self.refresh)
        self._turn = QTimer()  # a page turn due before the next tick happens on time, not up to a tick late
        self._turn.setSingleShot(True)
        self._turn.setTimerType(Qt.TimerType.PreciseTimer)
        self._turn.timeout.connect(self.refresh)
        memory.settle()  # a wall runs for weeks: freed memory goes back to the system (console/memory.py)
        self._trim = QTimer()
        self._trim.setInterval(int(TRIM_EVERY_S * 1000))
        self._trim.timeout.connect(memory.trim)
        self.pacer = FramePacer()
        self._soon = QTimer()  # the paint the pacer put off to the end of its frame budget
        self._soon.setSingleShot(True)
        self._soon.setTimerType(Qt.TimerType.PreciseTimer)
        self._soon.timeout.connect(self.refresh)

    def _keep(self, action: OperatorAction) -> None:
        """An operator's action: into the audit log and the outbox, and sent now, not at the next poll."""
        outbox.record(self.cache, action)
        if getattr(self, "engine", None) is not None:
            self.engine.send_soon()

    def _on_batch(self, batch: Batch) -> None:
        """A sync batch on the UI thread: into the store, then the readings and the room's actions
        through the alarm rules, as every console of the room does (console/alarms/room.py).

        An action of this console the platform refused is said in the alarm list or the incident
        detail, as the console's own refusals are, and what it showed goes back to the room's state.
        """
        live.take(self.store, self.alarms, batch, self.early)
        if self.pacing == "leading" and (len(batch) or batch.reference is not None):
            wait = self.pacer.changed()
            if wait is not None:  # 0: after the batches already queued, so they share the paint
                self._soon.start(math.ceil(wait * 1000))

    def _on_status(self, status: SyncStatus) -> None:
        self.status = status

    def _keys(self, window: QWidget) -> None:
        """The console's own keys on a window: F12 screenshots, F9 sign out, F10 hand over."""
        QShortcut(QKeySequence(Qt.Key.Key_F12), window, self.save_screenshots)
        self._sign_out_keys(window)

    def start(self) -> None:
        if self.workstation is not None:  # a desk, not a wall: an ordinary window, the mouse, no hot reload
            if self.replay is not None:
                install_shortcuts(self.workstation, self.clock, self.replay.timeline)
            self.workstation.show()
        else:
            if not self.windowed:
                QGuiApplication.setOverrideCursor(Qt.CursorShape.BlankCursor)  # a wall has no mouse
                self._cursor_hidden = True
                self._screens = ScreenMap()
                self._screens.changed.connect(lambda: self._place(initial=False))
            self._show(activate=True)
            self._watcher = LayoutWatcher(self.layout.source, self.reload)
        if self.signin is not None:
            self.signin.start()  # the engine starts when the platform has signed someone in
        elif self.engine is not None:
            self.engine.start()
        self.refresh()
        self.timer.start()
        self._trim.start()

    # -- hot reload ------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the layout file again: a good edit rebuilds the windows, a bad one is shown and ignored.

        The store, sync, alarms and view context stay; only the windows are new.
        """
        scale = self.scale
        try:
            declared = read_layout(str(self.layout.source))
            scale = self._rescale(interface_scale(declared, self.node))
            layout = scaled(declared, scale)
            specs = node_screens(layout, self.node)
            windows, spans = self._make_windows(layout, specs)
        except UserError as exc:
            if scale != self.scale:  # the last good layout runs on at its own scale
                set_interface_scale(self.scale)
            self.error = str(exc)
            log.error("layout error, still showing the last good layout: %s", exc)
            for window in self.windows:
                window.set_error(self.error)
            return
        active = any(out.isActiveWindow() for w in self.windows for out in self.outputs(w))
        old = [*self.spans.values(), *(w for w in self.windows if w.spec.name not in self.spans)]
        self.layout, self.specs, self.windows, self.spans = layout, specs, windows, spans
        self.declared, self.scale = declared, scale
        self.rotation = WallRotation(specs)
        self.error = None
        self.placement = Placement()
        self._show(activate=active)
        for item in old:
            item.close()
        memory.trim()  # the old windows' memory, back to the system at once
        log.info("layout %s reloaded: %d screens", layout.source, len(specs))
        for callback in self.on_reload:
            callback()
        self.refresh()

    def _rescale(self, scale: float) -> float:
        """The scale the reloaded layout runs at: the one its screens' distance and size ask for,
        set on Qt at once (console/shell/qt_scale.py); the present one where Qt cannot change it."""
        if scale == self.scale:
            return scale
        if set_interface_scale(scale):
            log.info("interface scale %g -> %g for the layout's viewing distance and screen size", self.scale, scale)
            return scale
        log.warning("the layout's new viewing distance or screen size needs interface scale %g (running at %g): "
                    "restart the wall to apply it", scale, self.scale)
        return self.scale

    # -- refresh ---------------------------------------------------------------------------

    def refresh(self) -> None:
        if self.replay is not None:
            self.replay.follow(self.clock)  # the recording to the clock's time (loops, the end, seeks)
        now = self.clock.now()
        wall_now = self.clock.live_now()  # pages turn on the wall's own time, in a replay at 64× too
        self.alarms.tick(now)
        if self.forecasts.refresh(now):  # once a minute of the clock's time, or after a seek back
            self.early.update(self.forecasts, self.store.indicators, self._value_at(now), self._alarm_active)
        soonest = math.inf
        fresh = self.store.fresh_time(now)  # the newest data not dated ahead of the clock
        for window in self.windows:
            position = self.rotation.position(window.spec.name, wall_now)
            window.show_position(position, wall_now)
            if position.next_at is not None:
                soonest = min(soonest, position.next_at)
            window.header.refresh(self.clock, self.status, fresh)
            window.show_replay(self.clock, self.replay)
            window.refresh(now)
            if window.timeline is not None:
                window.timeline.refresh(now)
        for span in self.spans.values():
            span.render()
        if self.workstation is not None:
            self.workstation.refresh(now, self.clock, self.status, fresh, self.replay)
        left = soonest - self.clock.live_now()  # from the end of this refresh, which the next tick counts from
        if left < 1 / REFRESH_HZ:
            self._turn.start(max(0, math.ceil(left * 1000)))
        self.pacer.painted()
        self._soon.stop()
        if self.pacing == "leading" and self.timer.isActive():
            self.timer.start()  # this refresh was the tick's work: the next one is a tick from now

    def _value_at(self, now: float) -> Callable[[int], float | None]:
        return lambda iid: None if (reading := self.store.latest(iid, now)) is None else reading[1]

    def _alarm_active(self, alarm_id: str) -> bool:
        alarm = self.alarms.get(alarm_id)
        return alarm is not None and alarm.active

    def stop(self) -> None:
        self.timer.stop()
        self._turn.stop()
        self._trim.stop()
        self._soon.stop()
        self._watcher = None
        self._screens = None
        if self.signin is not None:
            self.signin.stop()
        if self.engine is not None:
            self.engine.stop()
        wait_for_fetches()  # no chart worker may still be reading the cache when it closes
        for span in self.spans.values():
            span.close()
        for window in self.windows:
            window.close()
        if self.workstation is not None:
            self.workstation.close()
        if self._cursor_hidden:
            QGuiApplication.restoreOverrideCursor()
            self._cursor_hidden = False

"""Run a wall: open the layout's windows on their screens, feed them from sync, refresh on a capped timer.

The wall follows what changes under it without a restart: screens plugged in and out
(``ScreenMap``), edits of the layout file (``LayoutWatcher``), and the page rotation.
"""

from __future__ import annotations

import getpass
import logging
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QIcon, QImage, QPixmap, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QWidget

from console.alarms import room
from console.cache import Cache, outbox
from console.clock import Clock
from console.errors import UserError
from console.frames import FramePacer
from console.forecast import Forecasts
from console.forecast.early import EarlyWarnings
from resources import resource_path
from console.layout.legibility import scaled, text_scale
from console.shell.qt_scale import set_interface_scale
from console.layout.parse import Layout, ScreenSpec, load_layout
from console.layout.rotation import WallRotation
from console import memory
from console.incidents.plans import Checklists
from console.model.action import NOBODY, Operator, OperatorAction
from console.store import Store
from console.store.history import HistorySource
from console.store import live
from console.store.warm import warm_store
from console.replay.session import ReplaySession
from console.sync.connector import Connector, SqlConnector
from console.sync.batch import Batch
from console.sync.engine import SyncEngine, SyncStatus
from console.shell.bridge import SyncBridge
from console.shell.control_bridge import ControlBridge, attach_control
from console.shell.screens import Assignment, Placement, ScreenMap, compose, show_windowed
from console.shell.span import SpanScreen
from console.shell.virtual_screens import screen_rects
from console.shell.watchdog import UiWatchdog
from console.shell.reload import LayoutWatcher
from console.shell.signin import HANDOVER_KEY, SIGN_OUT_KEY, SignIn
from console.shell.window import WallWindow
from console.shell.workstation import Workstation
from widgets import ViewContext, view_params
from widgets.host import install_fault_router, uninstall_fault_router
from widgets.i18n import install_translation
from widgets.timeline import TimelineView, install_shortcuts
from widgets.trend_history import wait_for_fetches
from widgets.scene import grab_shown
from widgets.signin import SignInPanel
from widgets.theme import apply_theme

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


def ensure_display() -> None:
    """Fail with a sentence, not a Qt abort, when there is no screen to open windows on."""
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if sys.platform.startswith("linux") and not platform and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise UserError("no display: run under a desktop session or xvfb-run, "
                        "or set QT_QPA_PLATFORM=offscreen for a headless wall")


def qt_app() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("CityOps Console")
    app.setDesktopFileName("cityops")  # matches packaging/cityops.desktop (the Wayland app id)
    app.setWindowIcon(QIcon(str(resource_path("icons", "cityops.svg"))))
    apply_theme(app)
    return app


def offscreen_app() -> QGuiApplication:
    """A Qt application for drawing without windows (reports): offscreen when there is no display."""
    if QGuiApplication.instance() is None:
        try:
            ensure_display()
        except UserError:
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        QGuiApplication(sys.argv[:1])
    return QGuiApplication.instance()


def interface_scale(layout: Layout, node: int) -> float:
    """The scale the interface runs at for the screens this process shows (the workstation's one)."""
    return text_scale(layout.node_screens(node) if layout.mode == "wall" else layout.screens[:1])


def use_interface_scale(layout: Layout, node: int) -> None:
    """Set Qt's scale factor for the layout's screens; only before the QApplication exists."""
    if QApplication.instance() is None:
        os.environ["QT_SCALE_FACTOR"] = f"{interface_scale(layout, node):g}"


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


@dataclass
class WallOptions:
    seconds: float | None = None  # quit after this long (headless checks)
    screenshot_dir: Path | None = None  # save one PNG per window before quitting
    poll_interval: float = 1.0  # seconds between polls when the platform cannot push
    operator: Operator | None = None  # who is at this console (None: whom the platform signs in)
    node: int = 1  # which wall PC this is: it shows the layout's screens of this node
    lang: str = "en"  # interface language: en or zh
    windowed: bool = False  # ordinary windows instead of frameless full-screen ones
    platform: str | None = None  # platform URL: the wall's nodes share its clock and rotation commands
    theme: str = "high-performance"  # widgets/theme.py LOOKS: how status is coloured


class Wall:
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
        self._writes: list[_Written] = []  # screenshots being encoded on workers
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
            self.signin = SignIn(connector, SignInPanel(connector.shown), record, self.engine_flush,
                                 outbox.console_id(cache))
            self.signin.signed_in.connect(self._signed_in)
            self.signin.signed_out.connect(self._signed_out)
            self.signin.unreachable.connect(lambda why, retry: setattr(
                self, "status", SyncStatus("offline", why, reason=why, retry_s=retry)))
            self.status = SyncStatus("connecting", "signing in")
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

    # -- who is at the console -------------------------------------------------------------

    def _keys(self, window: QWidget) -> None:
        """The console's own keys on a window: F12 screenshots, F9 sign out, F10 hand over."""
        QShortcut(QKeySequence(Qt.Key.Key_F12), window, self.save_screenshots)
        if self.signin is not None:
            QShortcut(QKeySequence(SIGN_OUT_KEY), window, lambda: self.signin.sign_out())
            QShortcut(QKeySequence(HANDOVER_KEY), window, lambda: self.signin.sign_out(handover=True))

    def _show_identity(self) -> None:
        for window in self.windows:
            window.show_identity(self.context.operator, self.demo)
        if self.workstation is not None:
            self.workstation.show_identity(self.context.operator, self.demo)

    def _signed_in(self, operator: Operator) -> None:
        """The platform said who is here: their role from now on, and the city's data flowing."""
        self.context.operator = operator
        self._show_identity()
        if self.engine is not None:
            self.engine.start()

    def _signed_out(self) -> None:
        self.context.operator = NOBODY
        self._show_identity()
        if self.engine is not None:
            self.engine.stop()
        self.status = SyncStatus("connecting", "signing in")

    def engine_flush(self) -> None:
        """Deliver what waits in the outbox now, as the person leaving (on the sign-out thread)."""
        if self.engine is not None:
            self.engine.deliver_outbox()

    # -- windows ---------------------------------------------------------------------------

    def _make_windows(self, layout: Layout, specs: list[ScreenSpec]) -> tuple[list[WallWindow], dict[str, SpanScreen]]:
        """Every screen's window (and a spanning screen's slices), or none if any view refuses to build."""
        windows: list[WallWindow] = []
        spans: dict[str, SpanScreen] = {}
        try:
            for spec in specs:
                window = WallWindow(spec, layout.title, self.context, layout.source)
                windows.append(window)
                if len(spec.outputs) > 1:
                    spans[spec.name] = SpanScreen(spec, window)
        except UserError:
            for window in windows:
                window.deleteLater()
            raise
        for window in windows:
            window.show_identity(self.context.operator, self.demo)
            for out in spans[window.spec.name].slices if window.spec.name in spans else [window]:
                self._keys(out)
        if self.signin is not None and windows:  # the panel asks in the first screen, under its header
            windows[0].layout().insertWidget(windows[0].layout().indexOf(windows[0].header) + 1, self.signin.panel)
        if self.replay is not None:
            self._replay_controls(layout, windows)
        return windows, spans

    def _replay_controls(self, layout: Layout, windows: list[WallWindow]) -> None:
        """In a replay every window takes the timeline's keys, and the one with the most height to
        spare shows the timeline along its foot unless the layout places one itself."""
        timeline = self.replay.timeline
        for window in windows:
            install_shortcuts(window, self.clock, timeline)
        placed = any(view.name == "timeline" for w in windows for view in w.views)
        if windows and not placed:  # on the screen with the most height to spare (the first among equals)
            host = max(windows, key=lambda w: w.spec.size[1] - w.minimumSizeHint().height())
            strip = TimelineView(self.clock, timeline, self.context.operator.name, compact=self.scale > 1)
            host.layout().addWidget(strip)
            windows[0].timeline = strip

    def outputs(self, window: WallWindow) -> list[QWidget]:
        """The top-level windows that show ``window``: itself, or a spanning screen's slices."""
        span = self.spans.get(window.spec.name)
        return list(span.slices) if span else [window]

    def _place(self, initial: bool) -> None:
        """Every output window onto its screen (``Placement.place``), or all ordinary windows when windowed."""
        if self.windowed:
            for window in self.windows:
                for out in self.outputs(window):
                    show_windowed(out, window.spec.size)
            return
        outputs = {w.spec.name: self.outputs(w) for w in self.windows}
        self.assignment = self.placement.place(self.specs, outputs, initial)
        for span in self.spans.values():
            span.dirty = True

    def _show(self, activate: bool) -> None:
        for span in self.spans.values():
            span.show()
        self._place(initial=True)
        first = next((out for w in self.windows for out in self.outputs(w) if out.isVisible()), None)
        if activate and first is not None:
            first.activateWindow()  # the keyboard goes to the alarm list (WallWindow.showEvent)

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
        if soonest - wall_now < 1 / REFRESH_HZ:
            self._turn.start(max(0, math.ceil((soonest - wall_now) * 1000)))
        self.pacer.painted()
        self._soon.stop()
        if self.pacing == "leading" and self.timer.isActive():
            self.timer.start()  # this refresh was the tick's work: the next one is a tick from now

    def _value_at(self, now: float) -> Callable[[int], float | None]:
        return lambda iid: None if (reading := self.store.latest(iid, now)) is None else reading[1]

    def _alarm_active(self, alarm_id: str) -> bool:
        alarm = self.alarms.get(alarm_id)
        return alarm is not None and alarm.active

    # -- screenshots -----------------------------------------------------------------------

    def screenshot(self, folder: Path) -> list[Path]:
        """One PNG per screen, named after it, and ``wall.png``: the whole wall as it stands."""
        return _write_pngs(self._grab_all(folder))

    def _grab_all(self, folder: Path) -> list[tuple[QImage, Path]]:
        """The pictures to save, taken now on the UI thread; encoding them can happen elsewhere."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"screenshot folder {folder} cannot be created: {exc.strerror}") from None
        self.refresh()
        QApplication.processEvents()  # let the header and views lay out what refresh just set
        if self.workstation is not None:
            return [(grab_shown(self.workstation).toImage(), folder / f"{self.layout.source.stem}.png")]
        for span in self.spans.values():
            span.dirty = True
            span.render()
        grabs = [(window, grab_shown(window)) for window in self.windows]
        shots = [(pixmap.toImage(), folder / f"{window.spec.name}.png") for window, pixmap in grabs]
        shots.append((compose(self._arranged(grabs)), folder / "wall.png"))
        return shots

    def _arranged(self, grabs: list[tuple[WallWindow, QPixmap]]) -> list[tuple[QRect, QPixmap]]:
        """Where each screen's picture goes in ``wall.png``: on the monitors it fills when every
        screen has one (the room's own arrangement), else where the layout puts it, so a machine
        with fewer monitors than the wall still shows the wall as it hangs."""
        outputs = [(window, pixmap, self.outputs(window)) for window, pixmap in grabs]
        if all(out.isVisible() and (window.spec.name, k) in self.placement.on
               for window, _, outs in outputs for k, out in enumerate(outs)):
            pictures = [(out.geometry().topLeft(), pixmap if len(outs) == 1 else grab_shown(out))
                        for _, pixmap, outs in outputs for out in outs]  # Qt keeps screen origins unscaled
            return [(QRect(at, picture.size()), picture) for at, picture in pictures]  # in device pixels
        rects = iter(screen_rects(self.declared, self.node, None))
        arranged = []
        for window, pixmap in grabs:
            place = QRect()
            for _ in window.spec.outputs:
                place = place.united(QRect(*next(rects)))
            arranged.append((place, pixmap))
        return arranged

    def screenshot_screen(self, name: str, path: Path) -> Path:
        """One screen of the wall as a PNG (a spanning screen whole, with its bezel strips)."""
        window = next((w for w in self.windows if w.spec.name == name), None)
        if window is None:
            raise UserError(f"no screen {name!r} on this wall (its screens: {', '.join(s.name for s in self.specs)})")
        return _write_pngs([(grab_shown(window).toImage(), path)])[0]

    def screenshot_later(self, folder: Path, done: Callable[[list[Path] | str], None]) -> None:
        """The screens grabbed now; encoding them (seconds for nine 1080p screens and the 5760×3240
        whole, more on a loaded PC) happens on a worker while the UI thread goes on painting.
        ``done`` gets the paths written, or why not, on the UI thread. UserError: no folder."""
        shots = self._grab_all(folder)
        relay = _Written()
        self._writes.append(relay)  # kept until its answer is delivered

        def landed(result: list[Path] | str) -> None:
            self._writes.remove(relay)
            done(result)

        def write() -> None:
            try:
                relay.done.emit(_write_pngs(shots))
            except UserError as exc:
                relay.done.emit(str(exc))

        relay.done.connect(landed, Qt.ConnectionType.QueuedConnection)  # delivered in the relay's (UI) thread
        threading.Thread(target=write, name="screenshots", daemon=True).start()

    def save_screenshots(self) -> None:
        """F12 on any wall window: the whole wall, into a folder of its own beside the cache."""
        folder = self.state_dir / "screenshots" / time.strftime("%Y%m%d-%H%M%S")

        def saved(result: list[Path] | str) -> None:
            if isinstance(result, str):
                log.error("screenshot failed: %s", result)
            else:
                log.info("screenshots of the wall saved in %s", folder)

        try:
            self.screenshot_later(folder, saved)
        except UserError as exc:
            log.error("screenshot failed: %s", exc)

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


def _write_pngs(shots: list[tuple[QImage, Path]]) -> list[Path]:
    """Encode the pictures as PNG files, two at a time (QImage.save lets go of the GIL)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        written = list(pool.map(lambda shot: shot[0].save(str(shot[1])), shots))
    for ok, (_, path) in zip(written, shots):
        if not ok:
            raise UserError(f"could not write screenshot {path}")
    return [path for _, path in shots]


class _Written(QObject):
    """Carries what a screenshot worker wrote (the paths, or why not) to the UI thread."""

    done = Signal(object)  # list[Path] | str


def run_wall(layout: Layout, cache: Cache | None, connector: Connector | None, options: WallOptions,
             clock: Clock | None = None, replay: ReplaySession | None = None, state_dir: Path | None = None) -> int:
    """Open the wall and run the event loop until the user (or ``--seconds``) ends it."""
    ensure_display()
    use_interface_scale(layout, options.node)
    app = qt_app()
    apply_theme(app, options.theme)
    install_translation(app, options.lang)
    wall = Wall(layout, cache, connector, clock or Clock(), options.poll_interval, options.operator,
                node=options.node, windowed=options.windowed, replay=replay, state_dir=state_dir)
    failure: list[str] = []

    def saved(result: list[Path] | str) -> None:
        if isinstance(result, str):
            failure.append(result)
        else:
            for path in result:
                print(f"screenshot: {path}")
        app.quit()

    def finish() -> None:
        """The timed run's end: its screenshots encoded while the event loop runs, then quit."""
        if options.screenshot_dir is None:
            app.quit()
            return
        try:
            wall.screenshot_later(options.screenshot_dir, saved)
        except UserError as exc:
            failure.append(str(exc))
            app.quit()  # a screenshot that fails must not leave a timed run going

    if options.seconds is not None:
        QTimer.singleShot(int(options.seconds * 1000), finish)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: app.quit())
    wakeup = QTimer()  # lets Python run its signal handlers while Qt's loop is waiting
    wakeup.start(250)
    wakeup.timeout.connect(lambda: None)
    # nodes of one wall share the platform's clock and its page commands (a SQL platform's: a source
    # such as NATS or MQTT has no wall_control table, and its walls turn their pages each on its own)
    if options.platform and (connector is None or isinstance(connector, SqlConnector)):
        # the console's connector where it has one: the channel signs in and out with its person
        shared = connector if isinstance(connector, SqlConnector) else options.platform
        wall.control = attach_control(wall, shared, layout.source)
        wall.on_reload.append(wall.control.reapply)
    install_fault_router()  # a view that raises in a paint, an event or a slot stops alone and restarts
    watchdog = UiWatchdog()  # logs a frozen UI thread with its stack
    wall.start()
    watchdog.start()
    if wall.assignment is not None and wall.assignment.missing:
        print(wall.assignment.summary(layout.source.stem), file=sys.stderr)
    try:
        app.exec()
    finally:
        wakeup.stop()
        watchdog.stop()
        if wall.control is not None:
            wall.control.stop()
        wall.stop()
        uninstall_fault_router()
    if failure:
        raise UserError(failure[0])
    return 0

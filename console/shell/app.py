"""Run a wall: open the layout's windows, feed them from sync, refresh on a capped timer."""

from __future__ import annotations

import getpass
import json
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from console.alarms import AlarmManager, AlarmState
from console.cache import Cache, outbox
from console.clock import Clock
from console.errors import UserError
from console.layout.parse import Layout, load_layout
from console.incidents.plans import Checklists
from console.model.action import Operator
from console.store import Store
from console.store.history import HistorySource
from console.store.warm import warm_store
from console.sync.connector import Connector
from console.sync.batch import Batch
from console.sync.engine import SyncEngine, SyncStatus
from console.shell.bridge import SyncBridge
from console.shell.window import WallWindow
from widgets import ViewContext, view_params
from widgets.trend_history import wait_for_fetches
from widgets.theme import apply_theme

#: Views repaint at most this often; most ticks find nothing changed and draw nothing.
REFRESH_HZ = 4.0
#: The alarm rules run over readings at most this old (at start, over this much of the cache),
#: so standing alarms show at once and long-gone ones do not flood the list.
ALARM_LOOKBACK_S = 900.0
#: Operators' acknowledgements and shelves of this long ago are restored at start.
RESTORE_ACTIONS_S = 86400.0
#: Deadband as a fraction of the warning-to-alarm span: 5% keeps the demo's noisy drains from chattering.
ALARM_DEADBAND = 0.05


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
    apply_theme(app)
    return app


def read_layout(name: str) -> Layout:
    """Validate the whole layout before any window opens."""
    return load_layout(name, view_params())


@dataclass
class WallOptions:
    seconds: float | None = None  # quit after this long (headless checks)
    screenshot_dir: Path | None = None  # save one PNG per window before quitting
    poll_interval: float = 1.0  # seconds between polls when the platform cannot push
    operator: Operator | None = None  # who is at this console (default: the login name)
    node: int = 1  # which wall PC this is: it shows the layout's screens of this node
    lang: str = "en"  # interface language: en or zh
    windowed: bool = False  # ordinary windows instead of frameless full-screen ones


class Wall:
    """The windows of one layout, the store behind them, and the sync engine feeding it."""

    def __init__(self, layout: Layout, cache: Cache, connector: Connector | None, clock: Clock,
                 poll_interval: float = 1.0, operator: Operator | None = None):
        self.layout = layout
        self.clock = clock
        self.cache = cache
        self.store = Store()
        warm_store(self.store, cache, clock.now())
        self.alarms = AlarmManager(self.store.indicators.values(), deadband=ALARM_DEADBAND,
                                   recorder=lambda action: outbox.record(cache, action))
        now = clock.now()
        for iid in self.store.series:  # alarms standing now show at once
            self.alarms.update(iid, *self.store.window(iid, now - ALARM_LOOKBACK_S, now))
        self._restore_alarm_actions(now)
        self.status = SyncStatus("connecting" if connector else "offline", "" if connector else "no platform")
        self.bridge = SyncBridge()
        self.bridge.batch.connect(self._on_batch)
        self.bridge.status.connect(self._on_status)
        self.engine = None
        if connector is not None:
            self.engine = SyncEngine(connector, cache, on_batch=self.bridge.post_batch,
                                     on_status=self.bridge.post_status, poll_interval=poll_interval)
        self.context = ViewContext(self.store, HistorySource(cache), self.alarms,
                                   operator or Operator(getpass.getuser()),
                                   recorder=lambda action: outbox.record(cache, action),
                                   checklists=Checklists(cache.path.with_name("checklists.json")))
        self.windows = [WallWindow(spec, layout.title, self.context, layout.source) for spec in layout.screens]
        self.timer = QTimer()
        self.timer.setInterval(int(1000 / REFRESH_HZ))
        self.timer.timeout.connect(self.refresh)

    def _restore_alarm_actions(self, now: float) -> None:
        """Acknowledgements and shelves survive a restart: they are replayed, silently, from the audit log.

        An acknowledgement counts only for an occurrence that began before it (``raised_at``),
        so an alarm that rose again since is announced again; a shelf only while it lasts.
        """
        with self.cache.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT ts, actor, role, action, target_id, detail FROM audit_log "
                "WHERE target_kind = 'alarm' AND ts >= ? ORDER BY id", (now - RESTORE_ACTIONS_S,)).all()
        recorder, self.alarms.recorder = self.alarms.recorder, None  # already in the audit log
        try:
            for ts, actor, role, action, alarm_id, detail in rows:
                alarm = self.alarms.get(alarm_id)
                if alarm is None:
                    continue
                payload = json.loads(detail or "{}")
                try:
                    if action == "acknowledge" and ts >= alarm.raised_at and not alarm.acknowledged:
                        self.alarms.acknowledge(alarm_id, actor, role, now)
                    elif action == "shelve" and payload.get("until", 0) > now:
                        self.alarms.shelve(alarm_id, actor, role, now, payload["until"] - now, payload["reason"])
                    elif action == "unshelve" and alarm.state is AlarmState.SHELVED:
                        self.alarms.unshelve(alarm_id, actor, role, now)
                except (KeyError, ValueError):
                    continue  # the alarm moved on since; nothing to restore
        finally:
            self.alarms.recorder = recorder

    def _on_batch(self, batch: Batch) -> None:
        """A sync batch on the UI thread: into the store, then through the alarm rules.

        Only readings of the last ALARM_LOOKBACK_S go through the rules: a catch-up of hours
        must not greet the operator with every alarm that rose and fell while the wall was off
        (the charts and the cache still show them).
        """
        groups = self.store.apply(batch)
        if batch.reference is not None:
            self.alarms.set_indicators(self.store.indicators.values())
        since = self.clock.now() - ALARM_LOOKBACK_S
        for iid, (ts, values, quality) in groups.items():
            recent = ts >= since
            if recent.any():
                self.alarms.update(iid, ts[recent], values[recent], quality[recent])

    def _on_status(self, status: SyncStatus) -> None:
        self.status = status

    def start(self) -> None:
        for window in self.windows:
            window.show()
        if self.engine is not None:
            self.engine.start()
        self.refresh()
        self.timer.start()

    def refresh(self) -> None:
        now = self.clock.now()
        self.alarms.tick(now)
        for window in self.windows:
            window.header.refresh(self.clock, self.status, self.store.data_time)
            window.refresh(now)

    def screenshot(self, folder: Path) -> list[Path]:
        """One PNG per window, named after its screen."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"screenshot folder {folder} cannot be created: {exc.strerror}") from None
        self.refresh()
        QApplication.processEvents()  # let the header and views lay out what refresh just set
        saved = []
        for window in self.windows:
            path = folder / f"{window.spec.name}.png"
            if not window.grab().save(str(path)):
                raise UserError(f"could not write screenshot {path}")
            saved.append(path)
        return saved

    def stop(self) -> None:
        self.timer.stop()
        if self.engine is not None:
            self.engine.stop()
        wait_for_fetches()  # no chart worker may still be reading the cache when it closes
        for window in self.windows:
            window.close()


def run_wall(layout: Layout, cache: Cache, connector: Connector | None, options: WallOptions,
             clock: Clock | None = None) -> int:
    """Open the wall and run the event loop until the user (or ``--seconds``) ends it."""
    ensure_display()
    app = qt_app()
    wall = Wall(layout, cache, connector, clock or Clock(), options.poll_interval, options.operator)
    failure: list[str] = []

    def finish() -> None:
        if options.screenshot_dir is not None:
            try:
                for path in wall.screenshot(options.screenshot_dir):
                    print(f"screenshot: {path}")
            except UserError as exc:
                failure.append(str(exc))
        app.quit()

    if options.seconds is not None:
        QTimer.singleShot(int(options.seconds * 1000), finish)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: app.quit())
    wakeup = QTimer()  # lets Python run its signal handlers while Qt's loop is waiting
    wakeup.start(250)
    wakeup.timeout.connect(lambda: None)
    wall.start()
    try:
        app.exec()
    finally:
        wakeup.stop()
        wall.stop()
    if failure:
        raise UserError(failure[0])
    return 0

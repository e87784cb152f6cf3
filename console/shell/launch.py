"""Launch a wall as a process: the Qt application, the event loop, signals, the UI watchdog, the
shared control channel, and a timed run's screenshots (``cityops wall``, ``cityops replay``).
"""

from __future__ import annotations

import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QTimer

from console.cache import Cache
from console.clock import Clock
from console.errors import UserError
from console.layout.spec import Layout
from console.model.action import Operator
from console.replay.session import ReplaySession
from console.shell.app import Wall
from console.shell.control_bridge import attach_control
from console.shell.qt_setup import ensure_display, qt_app, use_interface_scale
from console.shell.watchdog import UiWatchdog
from console.sync.connector import Connector
from console.sync.sql_connector import SqlConnector
from widgets.host import install_fault_router, uninstall_fault_router
from widgets.i18n import install_translation
from widgets.theme import apply_theme


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
    # a quit() before the event loop runs does nothing: a Ctrl-C while the wall starts (its first
    # refresh takes seconds on a big wall) waits in a timer for the loop instead of being lost
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: QTimer.singleShot(0, app.quit))
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
        wall.control.applied.connect(wall.refresh)  # a command due before the next tick turns on time
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

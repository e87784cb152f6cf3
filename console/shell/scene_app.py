"""One 3D view in a window of its own, for `cityops scene`: buildings from files, no platform."""

from __future__ import annotations

import signal
from pathlib import Path

from PySide6.QtCore import QTimer

from console.clock import Clock
from console.errors import UserError
from console.scene.tileset import Tileset
from console.shell.app import REFRESH_HZ
from console.shell.qt_setup import ensure_display, qt_app
from console.store import Store
from widgets import VIEWS, ViewContext
from widgets.i18n import install_translation
from widgets.scene import grab_shown


def run_scene(rows: list[dict], title: str, *, building: str | None = None, seconds: float | None = None,
              screenshot: Path | None = None, windowed: bool = False, lang: str = "en",
              tileset: Tileset | None = None) -> int:
    """Show ``rows`` (building rows as the platform holds them) in the wall's 3D view until closed;
    with ``building`` (an id), that building's card open and the camera on it once it has loaded;
    with a ``tileset``, the 3D Tiles canvas with the buildings beside it."""
    ensure_display()
    app = qt_app()
    install_translation(app, lang)
    store = Store()
    store.load_reference({"buildings": rows})
    clock = Clock()
    if tileset is not None:
        from widgets.scene.tileset_view import TilesetView

        view = TilesetView(tileset, rows)
    else:  # files hold buildings only: no sensors or incidents to key in the legend
        view = VIEWS["scene3d"](ViewContext(store=store, clock=clock), {"title": title, "layers": ["labels"]})
    view.setWindowTitle(f"{title} — CityOps Console")
    view.resize(1600, 900)
    view.show() if windowed else view.showFullScreen()
    ticks = QTimer()
    if tileset is None:
        ticks.timeout.connect(lambda: view.refresh(clock.now()))
    if building is not None:
        def look() -> None:  # once the scene has loaded: the building's card, the camera on it
            if view.scene is not None:
                ticks.timeout.disconnect(look)
                if building in view.scene.geometry.ids:  # the scene may have left it out (unusable geometry)
                    view.show_building(view.scene.geometry.ids.index(building), fly_s=0.0)
        ticks.timeout.connect(look)
    ticks.start(int(1000 / REFRESH_HZ))
    failure: list[str] = []

    def finish() -> None:
        try:
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                if not grab_shown(view).save(str(screenshot)):
                    failure.append(f"could not write screenshot {screenshot}")
                else:
                    print(f"screenshot: {screenshot}")
        finally:
            app.quit()

    if seconds is not None:
        QTimer.singleShot(int(seconds * 1000), finish)
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    wakeup = QTimer()  # lets Python run its signal handler while Qt's loop waits
    wakeup.timeout.connect(lambda: None)
    wakeup.start(250)
    try:
        app.exec()
    finally:
        ticks.stop()
        wakeup.stop()
        view.close()
    if failure:
        raise UserError(failure[0])
    return 0


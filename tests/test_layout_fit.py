"""Every shipped layout fits the screens it declares: opened at their sizes, no window needs more
than its screen and no view is squeezed below its minimum size."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from console.cache import Cache
from console.clock import Clock
from console.model.action import Operator
from console.replay.capture import record_from_cache
from console.replay.session import open_session
from console.shell.app import Wall, qt_app, read_layout
from console.sync.connector import SqlConnector
from console.sync.engine import SyncEngine
from layouts import LAYOUT_DIR
from widgets.base import View

END = 1_780_000_000.0
LAYOUTS = sorted(p.stem for p in LAYOUT_DIR.glob("*.toml"))


@pytest.fixture(scope="module")
def synced(small_platform_file, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("fit") / "cache.db"
    cache = Cache(path)
    SyncEngine(SqlConnector(f"sqlite:///{small_platform_file}"), cache).catch_up()
    cache.close()
    return path


def _misfits(wall: Wall) -> list[str]:
    """Windows that need more than their screen, views smaller than they need, at the declared sizes."""
    app = QApplication.instance()
    found = []
    windows = [(w, w.spec.size, w.spec.name) for w in wall.windows]
    if wall.workstation is not None:
        windows.append((wall.workstation, wall.layout.screens[0].size, "workstation"))
    for window, (w, h), name in windows:
        window.resize(w, h)
        app.processEvents()
        need = window.minimumSizeHint()
        if need.width() > w or need.height() > h or window.height() > h or window.width() > w:
            found.append(f"{name}: needs {need.width()}×{need.height()} on a {w}×{h} screen")
        for view in window.findChildren(View):
            hint = view.minimumSizeHint()
            if view.isVisible() and (view.width() < hint.width() or view.height() < hint.height()):
                found.append(f"{name}: view {view.name!r} is {view.width()}×{view.height()}, "
                             f"needs {hint.width()}×{hint.height()}")
    return found


@pytest.mark.parametrize("name", LAYOUTS)
def test_every_shipped_layout_fits_its_screens(name, synced, tmp_path, qtbot):
    """Opened in replay, the tighter case: every view the live wall shows, plus the REPLAY band and
    the timeline (on a wall's first screen, or the trainer desk's panel)."""
    qt_app()
    shutil.copy(synced, tmp_path / "cache.db")
    cache = Cache(tmp_path / "cache.db")
    clock = Clock()
    clock.replay(END - 600, speed=1.0, playing=False)
    session = open_session(record_from_cache(cache, END - 600, END))
    cache.close()
    wall = Wall(read_layout(name), None, None, clock, operator=Operator("ann", "trainer"), windowed=True,
                replay=session, state_dir=tmp_path / "replay")
    wall.start()
    try:
        problems = _misfits(wall)
    finally:
        wall.stop()
    assert not problems, f"layout {name}:\n" + "\n".join(problems)

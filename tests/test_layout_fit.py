"""Every shipped layout fits the screens it declares: opened at their sizes, no window needs more
than its screen and no view is squeezed below its minimum size; and every text it draws, on every
page, subtends at least 16 arc-minutes where its screen is read from (DESIGN §7)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from console.cache import Cache
from console.clock import Clock
from console.model.action import Operator
from console.layout.legibility import MIN_ARC_MINUTES, arc_minutes, min_text_height_px
from console.replay.capture import record_from_cache
from console.replay.session import open_session
from console.shell.app import Wall, read_layout
from console.shell.qt_setup import qt_app
from console.sync.sql_connector import SqlConnector
from console.sync.engine import SyncEngine
from layouts import LAYOUT_DIR
from tests.text_sizes import drawn_text
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


def _pages(wall: Wall):
    """Each window at its screen's size on each of its pages in turn: (window, size, name, declared screen)."""
    app = QApplication.instance()
    declared = {s.name: s for s in read_layout(wall.layout.source.stem).screens}
    if wall.workstation is not None:
        screen = wall.layout.screens[0]
        yield wall.workstation, screen.size, "workstation", declared[screen.name]
    for window in wall.windows:
        for page in range(window.stack.count()):
            window.stack.setCurrentIndex(page)
            window.resize(*window.spec.size)
            app.processEvents()
            yield window, window.spec.size, f"{window.spec.name} page {page + 1}", declared[window.spec.name]


def _misfits(wall: Wall) -> list[str]:
    """Windows that need more than their screen, views smaller than they need, at the declared sizes
    (in the pixels the wall lays out in: its screens' sizes over the interface scale), on every page."""
    app = QApplication.instance()
    found = []
    for window, (w, h), name, _ in _pages(wall):
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


def _replaying(name: str, synced: Path, tmp_path: Path) -> Wall:
    """Layout ``name`` started on a replay of the synced cache's last ten minutes, held at its start."""
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
    return wall


@pytest.mark.parametrize("name", LAYOUTS)
def test_every_shipped_layout_fits_its_screens(name, synced, tmp_path, qtbot):
    """Opened in replay, the tighter case: every view the live wall shows, plus the REPLAY band and
    the timeline (on a wall's first screen, or the trainer desk's panel)."""
    wall = _replaying(name, synced, tmp_path)
    try:
        problems = _misfits(wall)
    finally:
        wall.stop()
    assert not problems, f"layout {name}:\n" + "\n".join(problems)


def _too_small(wall: Wall) -> list[str]:
    """Text drawn smaller than 16′ at its screen's declared distance, the smallest on each page."""
    found = []
    for window, _, name, screen in _pages(wall):
        drawn = drawn_text(window)
        assert drawn, f"{name}: no text drawn at all"
        assert min_text_height_px(screen) is not None, f"{name}: the layout declares no distance and diagonal"
        small: dict[float, str] = {}  # one example of each too-small size, smallest first
        for d in sorted(drawn, key=lambda d: d.cap_px):
            height = round(d.cap_px * wall.scale, 1)  # the screen's own pixels: Qt scales the interface by wall.scale
            if arc_minutes(height, screen) < MIN_ARC_MINUTES - 0.05 and height not in small:
                small[height] = (f"{name}: {d.text[:40]!r} is {height:.1f} px tall, {arc_minutes(height, screen):.1f}′ "
                                 f"at {screen.distance:g} m (needs {MIN_ARC_MINUTES:g}′)")
        found.extend(list(small.values())[:5])
    return found


@pytest.mark.parametrize("name", LAYOUTS)
def test_every_shipped_layouts_text_is_legible_where_it_is_read(name, synced, tmp_path, qtbot):
    """Live, every page of every screen: the smallest text drawn (tile names, table cells, axis
    ticks, map labels alike), at the interface scale the wall runs at, subtends at least 16′."""
    qt_app()
    shutil.copy(synced, tmp_path / "cache.db")
    cache = Cache(tmp_path / "cache.db")
    clock = Clock()
    clock.replay(END, speed=1.0, playing=False)  # the synced data's last moment, held
    wall = Wall(read_layout(name), cache, None, clock, operator=Operator("ann", "supervisor"), windowed=True,
                state_dir=tmp_path)
    wall.start()
    try:
        problems = _too_small(wall)
    finally:
        wall.stop()
        cache.close()
    assert not problems, f"layout {name}:\n" + "\n".join(problems)


def test_tabbed_panels_leave_the_layout_its_shares(synced, tmp_path, qtbot):
    """The trainer desk's map shares its dock with the rainstorm panel as tabs, and a tabbed dock is
    as tall as its tallest tab's minimum: a tall minimum there squeezed the trend below to a strip.
    In replay, the trend and the map split their column 2 : 3, as the layout says."""
    wall = _replaying("trainer", synced, tmp_path)
    try:
        assert not _misfits(wall)  # at the desk's 1920×1080
        views = {view.name: view for view in wall.workstation.findChildren(View)}
        trend, chart = views["trend"].height(), views["map"].height()
    finally:
        wall.stop()
    assert trend / (trend + chart) == pytest.approx(2 / 5, abs=0.05), (trend, chart)

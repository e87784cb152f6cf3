"""The wall's windows: one per screen (full-screen, windowed, or a screen short), pages turning on
their dwell, a node's share of a layout, hot reload of the layout file, spans and screenshots.

A screen file for the offscreen platform is read when the QApplication is made, so the tests that
need nine screens run the wall in a process of their own.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPen

from console.cache import Cache
from console.clock import Clock
from console.errors import UserError
from console.layout.parse import load_layout
from console.shell.app import Wall
from console.shell.qt_setup import qt_app
from console.sync.sql_connector import SqlConnector
from console.sync.engine import SyncEngine
from widgets import VIEWS, View, view_params

REPO = Path(__file__).resolve().parents[1]
END = 1_780_000_000.0
TILES = '[screens.root]\nview = "tiles"\nindicators = ["weather.*"]\n'


def _grid(rows: int, cols: int) -> str:
    """A wall of rows × cols 1920×1080 screens r1c1.., on outputs 0.. row by row."""
    screens = [f'[[screens]]\nname = "r{r + 1}c{c + 1}"\noutput = {r * cols + c}\n{TILES}'
               for r in range(rows) for c in range(cols)]
    return 'title = "Test wall"\n' + "\n".join(screens)


def _nine_screens(path: Path) -> Path:
    screens = [{"name": f"wall-{i + 1}", "x": (i % 3) * 1920, "y": (i // 3) * 1080, "width": 1920, "height": 1080,
                "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1} for i in range(9)]
    path.write_text(json.dumps({"screens": screens}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def synced(small_platform_file, tmp_path_factory) -> Path:
    """A cache synced from the small platform once; tests use copies of it."""
    path = tmp_path_factory.mktemp("synced") / "cache.db"
    cache = Cache(path)
    SyncEngine(SqlConnector(f"sqlite:///{small_platform_file}"), cache).catch_up()
    cache.close()
    return path


@pytest.fixture
def open_wall(synced, tmp_path, qtbot):
    """Opens walls on a copy of the synced cache, and stops them at the end of the test."""
    shutil.copy(synced, tmp_path / "cache.db")
    walls: list[Wall] = []

    def make(layout_file: Path, start: bool = True, **options) -> Wall:
        qt_app()
        options.setdefault("clock", Clock(lambda: END))
        wall = Wall(load_layout(layout_file, view_params()), Cache(tmp_path / "cache.db"), None, **options)
        walls.append(wall)
        if start:
            wall.start()
        return wall

    yield make
    for wall in walls:
        wall.stop()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _run(args: list[str], env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})})


# -- nine screens, windowed, fewer screens ----------------------------------------------------

NINE_CHILD = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from console.cache import Cache
    from console.clock import Clock
    from console.shell.app import Wall, read_layout
    from console.shell.qt_setup import qt_app

    layout_file, cache_file, shots = sys.argv[1:4]
    app = qt_app()
    wall = Wall(read_layout(layout_file), Cache(Path(cache_file)), None, Clock(lambda: 1_780_000_000.0))
    wall.start()
    app.processEvents()
    cursor = QGuiApplication.overrideCursor()
    windows = [{"name": w.spec.name, "frameless": bool(w.windowFlags() & Qt.WindowType.FramelessWindowHint),
                "full_screen": w.isFullScreen(), "geometry": list(w.geometry().getRect()),
                "screen": w.windowHandle().screen().name()} for w in wall.windows]
    paths = [str(p) for p in wall.screenshot(Path(shots))]
    wall.stop()
    print(json.dumps({"windows": windows, "missing": wall.assignment.missing, "paths": paths,
                      "cursor": cursor.shape().name if cursor else None,
                      "cursor_after": QGuiApplication.overrideCursor() is not None}))
""")


def test_nine_screens_get_nine_frameless_full_screen_windows_and_one_picture_of_the_wall(synced, tmp_path):
    layout = _write(tmp_path / "nine.toml", _grid(3, 3))
    shutil.copy(synced, tmp_path / "cache.db")
    done = _run(["-c", NINE_CHILD, str(layout), str(tmp_path / "cache.db"), str(tmp_path / "shots")],
                {"QT_QPA_PLATFORM": f"offscreen:configfile={_nine_screens(tmp_path / 'screens.json')}"})
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["windows"] == [
        {"name": f"r{r + 1}c{c + 1}", "frameless": True, "full_screen": True,
         "geometry": [c * 1920, r * 1080, 1920, 1080], "screen": f"wall-{r * 3 + c + 1}"}
        for r in range(3) for c in range(3)]
    assert result["missing"] == []
    assert result["cursor"] == "BlankCursor" and not result["cursor_after"]  # no cursor on a wall, back at stop
    names = [Path(p).name for p in result["paths"]]
    assert names == [f"r{r}c{c}.png" for r in (1, 2, 3) for c in (1, 2, 3)] + ["wall.png"]
    wall = QImage(result["paths"][-1])
    assert wall.size().toTuple() == (3 * 1920, 3 * 1080)  # the union of the nine screens
    centre = QImage(result["paths"][4])
    assert centre.size().toTuple() == (1920, 1080)
    for x, y in ((5, 5), (400, 300), (1900, 1000)):  # r2c2 sits in the middle of the wall picture
        assert wall.pixelColor(1920 + x, 1080 + y) == centre.pixelColor(x, y)


def test_windowed_mode_opens_ordinary_windows_of_the_layout_size(open_wall, tmp_path):
    wall = open_wall(_write(tmp_path / "nine.toml", _grid(3, 3)), windowed=True)
    assert wall.assignment is None and QGuiApplication.overrideCursor() is None
    for window in wall.windows:
        assert window.isVisible() and not window.isFullScreen()
        assert not window.windowFlags() & Qt.WindowType.FramelessWindowHint
        assert window.size().toTuple() == (1920, 1080)
    *screens, whole = wall.screenshot(tmp_path / "shots")
    assert QImage(str(whole)).size().toTuple() == (3 * 1920, 3 * 1080)  # the windows in a 3 × 3 grid


def test_fewer_screens_than_the_layout_needs_says_what_it_does_instead(open_wall, small_platform_file, tmp_path):
    layout = _write(tmp_path / "nine.toml", _grid(3, 3))
    wall = open_wall(layout)
    (screen,) = QGuiApplication.screens()
    first, *others = wall.windows
    assert first.isFullScreen() and first.geometry() == screen.geometry()
    assert all(w.isVisible() and not w.isFullScreen() for w in others)
    on = f"'{screen.name()}'" if screen.name() else "screen #0"  # the offscreen platform's is nameless
    expected = f"layout nine has 9 screens, this machine has 1: r1c1 full-screen on {on}, the other 8 as ordinary windows"
    assert wall.assignment.summary("nine") == expected

    done = _run(["-m", "console", "run", "--platform", str(small_platform_file),
                 "--cache", str(tmp_path / "cache.db"), "--layout", str(layout), "--seconds", "0.5"],
                {"QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"^layout nine has 9 screens, this machine has 1: r1c1 full-screen on ('[^']+'|screen #0), "
                     r"the other 8 as ordinary windows$", done.stderr, re.MULTILINE), done.stderr


# -- nodes -----------------------------------------------------------------------------------

TWO_NODES = """
title = "Two nodes"
[[screens]]
name = "top"
node = 1
{tiles}
[[screens]]
name = "bottom-left"
node = 2
output = 0
{tiles}
[[screens]]
name = "bottom-right"
node = 2
output = 1
{tiles}
""".format(tiles=TILES)


def test_a_node_shows_its_own_screens_of_the_layout(open_wall, tmp_path):
    layout = _write(tmp_path / "nodes.toml", TWO_NODES)
    wall = open_wall(layout, node=2, windowed=True)
    assert [w.spec.name for w in wall.windows] == ["bottom-left", "bottom-right"]
    with pytest.raises(UserError) as caught:
        open_wall(layout, start=False, node=3)
    assert str(caught.value) == f"layout {layout} has no screens for node 3 (its nodes: 1, 2)"


# -- pages -----------------------------------------------------------------------------------

PAGES = """
title = "Pages"
[[screens]]
name = "turning"
dwell = 10
rotation = ["city", "storm"]
  [[screens.pages]]
  name = "city"
  [screens.pages.root]
  view = "tiles"
  indicators = ["weather.*"]
  [[screens.pages]]
  name = "storm"
  dwell = 20
  [screens.pages.root]
  view = "alarms"
[[screens]]
name = "still"
{tiles}
""".format(tiles=TILES)


def test_pages_turn_at_their_dwell_and_each_turn_is_logged(open_wall, tmp_path, caplog):
    t0 = 1_780_000_020.0  # a whole number of 30 s cycles since the epoch: the rotation starts over
    t = [t0]
    wall = open_wall(_write(tmp_path / "pages.toml", PAGES), clock=Clock(lambda: t[0]), windowed=True)
    turning, still = wall.windows
    city, storm = turning.pages
    assert turning.stack.currentIndex() == 0 and city[0].isVisible() and not storm[0].isVisible()
    assert turning.header.page.text() == "city 1/2 · next in 10 s"
    assert still.header.page.text() == ""  # one page: nothing to say

    caplog.set_level(logging.INFO, logger="cityops.wall")
    t[0] = t0 + 9.5
    wall.refresh()
    assert turning.stack.currentIndex() == 0 and turning.header.page.text() == "city 1/2 · next in 1 s"
    t[0] = t0 + 10
    wall.refresh()
    assert turning.stack.currentIndex() == 1 and storm[0].isVisible() and not city[0].isVisible()
    assert turning.header.page.text() == "storm 2/2 · next in 20 s"
    t[0] = t0 + 30
    wall.refresh()
    assert turning.stack.currentIndex() == 0
    turns = [r.getMessage() for r in caplog.records if r.getMessage().startswith("page ")]
    assert turns == [f"page turning: storm at {t0 + 10:.3f}", f"page turning: city at {t0 + 30:.3f}"]


def test_only_the_page_on_screen_is_refreshed(open_wall, tmp_path, monkeypatch):
    t = [1_780_000_020.0]
    wall = open_wall(_write(tmp_path / "pages.toml", PAGES), clock=Clock(lambda: t[0]), windowed=True)
    calls: list[str] = []
    for view in wall.windows[0].views:
        monkeypatch.setattr(view, "refresh", lambda now, name=view.name: calls.append(name))
    wall.refresh()
    assert calls == ["tiles"]
    t[0] += 10
    calls.clear()
    wall.refresh()
    assert calls == ["alarms"]


# -- hot reload ------------------------------------------------------------------------------

def test_a_layout_edit_rebuilds_the_wall_and_a_bad_one_keeps_the_last_good_layout(open_wall, tmp_path, qtbot,
                                                                                  caplog):
    layout = _write(tmp_path / "live.toml", _grid(1, 2))
    wall = open_wall(layout, windowed=True)
    before, store, rotation = list(wall.windows), wall.store, wall.rotation
    reloads: list[int] = []
    wall.on_reload.append(lambda: reloads.append(len(wall.windows)))

    bad = _write(tmp_path / "edit.tmp", _grid(1, 2).replace('title = "Test wall"', "title = 5"))
    os.replace(bad, layout)  # as editors save: a new file renamed over the old one
    qtbot.waitUntil(lambda: all(w.error.isVisible() for w in wall.windows), timeout=5000)
    assert wall.windows == before and all(w.isVisible() for w in before)
    assert {w.error.text() for w in before} == {
        f"layout error — still showing the last good layout: {layout}: title: expected a string"}
    assert wall.error == f"{layout}: title: expected a string"
    assert f"layout error, still showing the last good layout: {wall.error}" in caplog.messages

    _write(layout, _grid(1, 3))  # fixed, and a screen more; written in place this time
    qtbot.waitUntil(lambda: len(wall.windows) == 3, timeout=5000)
    assert [w.spec.name for w in wall.windows] == ["r1c1", "r1c2", "r1c3"]
    assert wall.error is None and not any(w.error.isVisible() for w in wall.windows)
    assert all(w.isVisible() for w in wall.windows) and not any(w.isVisible() for w in before)
    assert wall.store is store and wall.windows[0].ctx is before[0].ctx  # data, alarms and context stay
    assert wall.rotation is not rotation and reloads == [3]  # told once, after the new windows were made


def test_a_layout_edit_of_the_viewing_distance_applies_its_scale_on_reload(open_wall, tmp_path, qtbot, monkeypatch,
                                                                           caplog):
    """Read from 4 m the screens run at 2.95; moved to 6 m, the reload sets Qt's scale to 4.45 and the
    windows lay out in its pixels, without a restart. Where Qt cannot change it, the wall says so."""
    from console.shell import qt_scale
    from PySide6.QtGui import QGuiApplication

    def at(distance: float) -> str:
        return _grid(1, 1).replace('title = "Test wall"\n', f'title = "Test wall"\ndistance = {distance}\ndiagonal = 55\n')

    layout = _write(tmp_path / "far.toml", at(4.0))
    wall = open_wall(layout, windowed=True)
    assert wall.scale == 2.95 and wall.windows[0].spec.size == (651, 366)
    try:
        _write(layout, at(6.0))
        qtbot.waitUntil(lambda: wall.scale == 4.45, timeout=5000)
        assert wall.windows[0].spec.size == (431, 243) and wall.declared.screens[0].size == (1920, 1080)
        assert QGuiApplication.primaryScreen().devicePixelRatio() == pytest.approx(4.45), "Qt's own scale follows"
        monkeypatch.setattr(qt_scale, "_set_global_factor", lambda: None)  # a Qt without the call
        caplog.set_level(logging.WARNING, logger="cityops.wall")
        before = wall.windows
        _write(layout, at(4.0))
        qtbot.waitUntil(lambda: wall.windows is not before, timeout=5000)
        assert wall.scale == 4.45 and any("restart the wall to apply it" in m for m in caplog.messages)
    finally:
        monkeypatch.undo()
        qt_scale.set_interface_scale(1.0)  # as the other tests run


def _alive(app) -> dict[str, int]:
    """What a rebuild makes, alive now: Qt widgets, views, and pyqtgraph's items (their Python side)."""
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # the old windows' deleteLater
    gc.collect()
    objects = gc.get_objects()
    return {"widgets": len(app.allWidgets()), "views": sum(isinstance(o, View) for o in objects),
            "plot items": sum(isinstance(o, pg.GraphicsObject) for o in objects)}


def test_layout_reloads_leave_no_windows_views_or_plot_items_behind(open_wall, tmp_path, qtbot):
    """A wall reloads its layout for weeks: each rebuild's windows must go with the next one."""
    layout = _write(tmp_path / "live.toml", (REPO / "layouts" / "single.toml").read_text(encoding="utf-8"))
    wall = open_wall(layout, windowed=True)
    app = qt_app()
    counts = []
    for _ in range(4):
        wall.reload()
        for page in range(len(wall.windows[0].pages)):  # every page drawn once, as the rotation does
            wall.windows[0].stack.setCurrentIndex(page)
            wall.refresh()
            app.processEvents()
        counts.append(_alive(app))
    assert counts[0]["views"] >= 8 and counts[0]["plot items"] > 0
    assert counts[-1] == counts[1], counts  # the first rebuild may make what is made once per process

# -- spans -----------------------------------------------------------------------------------

class Diagonal(View):
    """A test view: a red line falling one pixel every four across a black panel."""

    PARAMS: dict = {}

    def refresh(self, now: float) -> None:
        pass

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("black"))
        painter.setPen(QPen(QColor("red"), 1))
        painter.drawLine(0, 0, self.width(), self.width() // 4)


SPAN = """
title = "Span"
[[screens]]
name = "map"
size = [640, 480]
outputs = [0, 1]
span = [2, 1]
bezel = [200, 0]
[screens.root]
view = "diagonal"
"""


def _red_row(image: QImage, x: int) -> int:
    rows = [y for y in range(image.height()) if image.pixelColor(x, y).red() > 200 and image.pixelColor(x, y).green() < 80]
    assert rows, f"no line at x={x}"
    return rows[0]


def test_a_line_across_the_seam_of_a_spanning_screen_continues_behind_the_bezel(open_wall, tmp_path):
    VIEWS["diagonal"] = Diagonal
    Diagonal.name = "diagonal"
    try:
        wall = open_wall(_write(tmp_path / "span.toml", SPAN), windowed=True)
        (canvas,) = wall.windows
        left, right = wall.outputs(canvas)
        assert canvas.size().toTuple() == (640 + 200 + 640, 480)  # both outputs and the strip between
        assert canvas.testAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        assert left.size().toTuple() == right.size().toTuple() == (640, 480)
        wall.refresh()
        a, b = left.grab().toImage(), right.grab().toImage()
        drop = _red_row(b, 0) - _red_row(a, 639)
        assert abs(drop - 201 / 4) <= 1.5  # the 200 px behind the frames are skipped, not squeezed out
        whole = canvas.grab().toImage()
        assert _red_row(whole, 639) == _red_row(a, 639) and _red_row(whole, 840) == _red_row(b, 0)
    finally:
        del VIEWS["diagonal"]


# -- screenshots -----------------------------------------------------------------------------

def test_f12_saves_the_whole_wall_beside_the_cache(open_wall, tmp_path, qtbot, caplog):
    wall = open_wall(_write(tmp_path / "two.toml", _grid(1, 2)), windowed=True)
    window = wall.windows[1]
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    caplog.set_level(logging.INFO, logger="cityops.wall")
    qtbot.keyClick(window, Qt.Key.Key_F12)  # taken at once, written by a worker thread
    qtbot.waitUntil(lambda: any(m.startswith("screenshots of the wall saved in") for m in caplog.messages))
    (folder,) = (tmp_path / "screenshots").iterdir()
    assert re.fullmatch(r"\d{8}-\d{6}", folder.name)
    assert sorted(p.name for p in folder.iterdir()) == ["r1c1.png", "r1c2.png", "wall.png"]
    assert f"screenshots of the wall saved in {folder}" in caplog.messages
    wall.screenshot_screen("r1c2", tmp_path / "one.png")
    assert QImage(str(tmp_path / "one.png")).size().toTuple() == (1920, 1080)
    with pytest.raises(UserError, match=r"no screen 'r9c9' on this wall \(its screens: r1c1, r1c2\)"):
        wall.screenshot_screen("r9c9", tmp_path / "none.png")


def test_screenshots_are_encoded_off_the_ui_thread_and_reported_on_it(open_wall, tmp_path, qtbot, monkeypatch):
    """A timed run's screenshots (and F12's): grabbed on the UI thread, encoded on a worker while the
    event loop runs, the paths handed back on the UI thread."""
    import threading

    from console.shell import wall_screenshots

    encoders, answers = [], []
    encode = wall_screenshots._write_pngs

    def recorded(shots):
        encoders.append(threading.current_thread())
        return encode(shots)

    monkeypatch.setattr(wall_screenshots, "_write_pngs", recorded)
    wall = open_wall(_write(tmp_path / "two.toml", _grid(1, 2)), windowed=True)
    wall.screenshot_later(tmp_path / "shots", lambda result: answers.append((threading.current_thread(), result)))
    qtbot.waitUntil(lambda: bool(answers), timeout=30_000)
    (worker,), ((thread, paths),) = encoders, answers
    assert worker is not threading.main_thread() and worker.name == "screenshots"
    assert thread is threading.main_thread()
    assert [p.name for p in paths] == ["r1c1.png", "r1c2.png", "wall.png"]
    assert QImage(str(paths[0])).size().toTuple() == (1920, 1080)


def test_virtual_screens_are_the_walls_own_arrangement():
    from console.shell.app import read_layout
    from console.shell.virtual_screens import parse_grid, screen_rects

    nine = screen_rects(read_layout("wall-3x3"), 1, None)  # outputs 0..8: the 3×3 wall, row by row
    assert nine == [(c * 1920, r * 1080, 1920, 1080) for r in range(3) for c in range(3)]
    assert screen_rects(read_layout("demo"), 1, None) == [(i * 1920, 0, 1920, 1080) for i in range(4)]
    assert screen_rects(read_layout("wall-2x2"), 2, parse_grid("2x1")) == [(0, 0, 1920, 1080), (1920, 0, 1920, 1080)]
    with pytest.raises(UserError, match="COLUMNSxROWS"):
        parse_grid("nine")


def test_a_turn_due_before_the_tick_after_a_slow_refresh_is_timed_from_that_refreshs_end(open_wall, tmp_path,
                                                                                          monkeypatch):
    """The tick restarts when a refresh ends: a turn timed from the refresh's start came as late as the
    refresh was long (over 100 ms on a loaded PC: the two-node wall out of step)."""
    t0 = 1_780_000_020.0  # the rotation's cycle starts: "city" until t0 + 10
    t = [t0 + 9.7]  # the turn 0.3 s away: after the next tick if refreshing took no time
    wall = open_wall(_write(tmp_path / "pages.toml", PAGES), clock=Clock(lambda: t[0]), windowed=True)
    turning = wall.windows[0]
    refresh = turning.refresh

    def slow_refresh(now: float) -> None:
        refresh(now)
        t[0] += 0.15

    monkeypatch.setattr(turning, "refresh", slow_refresh)
    wall.refresh()  # from t0 + 9.7 to t0 + 9.85: the next tick at t0 + 10.1
    assert wall._turn.isActive() and abs(wall._turn.interval() - 150) <= 1, wall._turn.interval()


def test_a_wall_command_due_before_the_next_tick_is_timed_when_it_arrives(open_wall, small_platform_file, tmp_path,
                                                                           qtbot):
    """Commands take effect ``LEAD_S`` (0.3 s) after they are sent; one arriving later than a tick
    before its instant turned the page at the next tick instead, up to 250 ms late on one node."""
    from console.layout.rotation import RotationCommand
    from console.shell.control_bridge import ControlBridge

    t0 = 1_780_000_020.0
    t = [t0 + 5.0]  # "city" until t0 + 10: no turn is near
    layout_file = _write(tmp_path / "pages.toml", PAGES)
    wall = open_wall(layout_file, start=False, clock=Clock(lambda: t[0]), windowed=True)
    wall.refresh()
    assert not wall._turn.isActive()
    bridge = ControlBridge(wall, f"sqlite:///{small_platform_file}", layout_file)  # not started: our clock
    bridge.applied.connect(wall.refresh)  # as the wall's launch connects it
    try:
        bridge.commands.emit([RotationCommand("next", t0 + 5.2)])
        qtbot.waitUntil(wall._turn.isActive, timeout=10_000)
        assert abs(wall._turn.interval() - 200) <= 1, wall._turn.interval()
        t[0] = t0 + 5.2
        wall.refresh()
        assert wall.windows[0].stack.currentIndex() == 1  # "storm", at the command's instant
    finally:
        bridge.stop()

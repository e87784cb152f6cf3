"""The shell opens a layout and shows live values from the store (pytest-qt, offscreen)."""

from __future__ import annotations

import shutil

from PySide6.QtGui import QGuiApplication, QImage

from console.cache import Cache
from console.clock import Clock
from console.model.indicator import Status
from console.platform.feeder import DemoFeeder
from console.shell.app import Wall, read_layout
from console.shell.qt_setup import qt_app
from console.sync.sql_connector import SqlConnector
from console.sync.engine import SyncEngine
from widgets.incidents import IncidentList
from widgets.tiles import TileGrid
from widgets.trend import TrendChart
from widgets import theme

END = 1_780_000_000.0


def _wall(demo_platform, tmp_path, qtbot, at: list[float]):
    src = demo_platform.removeprefix("sqlite:///")
    shutil.copy(src, tmp_path / "platform.db")
    url = f"sqlite:///{tmp_path / 'platform.db'}"
    cache = Cache(tmp_path / "cache.db")
    SyncEngine(SqlConnector(url), cache).catch_up()
    qt_app()
    wall = Wall(read_layout("demo"), cache, None, Clock(lambda: at[0]))
    for window in wall.windows:
        qtbot.addWidget(window)
    wall.start()
    return wall, url, cache


def _views(wall, kind):
    return [v for w in wall.windows for v in w.views if isinstance(v, kind)]


def test_wall_opens_the_layout_and_shows_live_values(demo_platform, tmp_path, qtbot):
    at = [END]
    wall, url, cache = _wall(demo_platform, tmp_path, qtbot, at)
    tiles = _views(wall, TileGrid)[0]
    states = tiles.canvas.states
    # the demo wall is read from 2.5 m: its 24 tiles take turns in pages of tiles that stay legible there
    assert len(tiles.chosen()) >= 12 and 1 <= len(states) < len(tiles.chosen())
    assert all(s.value != "—" for s in states), "every tile shows a value from the cache"
    assert sum(s.status is Status.NORMAL for s in states) >= len(states) // 2
    incidents = _views(wall, IncidentList)[0]
    assert incidents.model.rowCount() > 0
    trend = _views(wall, TrendChart)[0]
    assert any(c.getData()[0] is not None and len(c.getData()[0]) > 3 for c in trend.curves.values())

    # ten simulated minutes later, new readings flow platform -> sync -> cache -> store -> tiles
    before = [s.value for s in states]
    feeder = DemoFeeder(url)
    feeder.advance(END + 600)
    feeder.stop()
    engine = SyncEngine(SqlConnector(url), cache)
    with qtbot.waitSignal(wall.bridge.batch, timeout=5000):
        wall.bridge.post_batch(engine.step())
    at[0] = END + 600
    wall.refresh()
    after = [s.value for s in tiles.canvas.states]
    assert after != before
    assert wall.windows[0].header.mode.text() == "LIVE"
    wall.stop()


def test_tiles_turn_stale_when_data_stops(demo_platform, tmp_path, qtbot):
    at = [END]
    wall, _, _ = _wall(demo_platform, tmp_path, qtbot, at)
    at[0] = END + 3600  # an hour with no data: nothing may look current
    wall.refresh()
    states = _views(wall, TileGrid)[0].canvas.states
    assert {s.status for s in states} == {Status.STALE}
    assert all("ago" in s.age_text for s in states)
    wall.stop()


def test_screenshot_shows_the_status_colours(demo_platform, tmp_path, qtbot):
    at = [END]
    wall, _, _ = _wall(demo_platform, tmp_path, qtbot, at)
    qtbot.waitExposed(wall.windows[0])
    paths = wall.screenshot(tmp_path / "shots")
    # one per screen of the layout, and the whole wall as the layout arranges it (four screens in a
    # row), although this machine has one monitor (main full-screen on it, the rest as windows)
    assert [p.name for p in paths] == ["main.png", "health.png", "incidents.png", "city3d.png", "wall.png"]
    image = QImage(str(paths[0]))
    width, height = QGuiApplication.primaryScreen().size().toTuple()
    assert image.size().toTuple() == (width, height)
    whole, health = QImage(str(paths[-1])), QImage(str(paths[1]))
    assert whole.size().toTuple() == (4 * 1920, 1080)  # the screens' own pixels, whatever the interface scale
    sx, sy = 1920 / health.width(), 1080 / health.height()
    for x, y in ((5, 5), (health.width() // 2, health.height() // 2), (health.width() - 9, health.height() - 9)):
        # the second screen sits second in the row, stretched from the size this test's windows have
        assert whole.pixelColor(int(1920 + (x + 0.5) * sx), int((y + 0.5) * sy)) == health.pixelColor(x, y)
    colours = {image.pixelColor(x, y).name() for x in range(0, image.width(), 4) for y in range(0, image.height(), 4)}
    assert theme.STATUS_COLOURS[Status.NORMAL].name() in colours  # green status bands of normal tiles
    assert theme.BACKGROUND.name() in colours
    wall.stop()


def test_header_shows_how_the_platform_connection_stands(qtbot):
    from console.shell.header import HeaderBar
    from console.sync.status import SyncStatus

    qt_app()
    header = HeaderBar("Test")
    qtbot.addWidget(header)
    header.show()
    clock = Clock(lambda: END)
    header.refresh(clock, SyncStatus("catching_up", "412,000 of 1,000,000 rows · 85,000 rows/s", 0.412,
                                     done=412_000, total=1_000_000, rate=85_000.0), END - 7200)
    assert header.progress.isVisible() and header.progress.value() == 412
    assert header.connection.text() == "CATCHING UP 41%"
    assert "412,000 of 1,000,000 rows" in header.detail.text() and "newest data 2.0 h old" in header.detail.text()
    header.refresh(clock, SyncStatus("online", "push", push=True), END - 2)
    assert not header.progress.isVisible()
    assert header.connection.text() == "PLATFORM ONLINE"
    assert header.detail.text() == "live by push · newest data 2 s old"
    header.refresh(clock, SyncStatus("online", "polling every 0.5 s", poll_s=0.5), END - 2)
    assert header.detail.text() == "live by polling every 0.5 s · newest data 2 s old"
    header.refresh(clock, SyncStatus("offline", "Connection refused · retrying in 8 s", outbox=2,
                                     reason="Connection refused", retry_s=8.0), END - 300)
    assert header.connection.text() == "PLATFORM OFFLINE"
    assert header.detail.text() == "Connection refused · retrying in 8 s · newest data 5 min old · 2 operator actions waiting to send"
    badge = header.connection.grab().toImage()
    # offline, the figures go stale: the badge takes the stale colour (alarm red is for process alarms)
    assert badge.pixelColor(3, badge.height() // 2).name() == theme.STATUS_COLOURS[Status.STALE].name()


def test_the_header_names_the_operator_and_role(demo_platform, tmp_path, qtbot):
    from console.model.action import Operator

    qt_app()
    wall = Wall(read_layout("demo"), Cache(tmp_path / "cache.db"), None, Clock(lambda: END),
                operator=Operator("hanna", "supervisor"))
    for window in wall.windows:
        qtbot.addWidget(window)
    assert {w.header.who.text() for w in wall.windows} == {"hanna · SUPERVISOR"}
    wall.stop()

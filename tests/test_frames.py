"""Leading-edge repaint: the first change paints at once, a burst shares one paint, idle paints nothing."""

from __future__ import annotations

import shutil

import pytest

from console.cache import Cache
from console.clock import Clock
from console.frames import FramePacer
from console.platform.feeder import DemoFeeder
from console.shell.app import Wall, read_layout
from console.shell.qt_setup import qt_app
from console.sync.sql_connector import SqlConnector
from console.sync.engine import SyncEngine
from widgets.tiles import TileGrid

END = 1_780_000_000.0


class FakeClock:
    def __init__(self, t: float = 100.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_first_change_after_a_quiet_spell_paints_at_once():
    clock = FakeClock()
    pacer = FramePacer(budget_s=0.05, clock=clock)
    assert pacer.changed() == 0.0
    pacer.painted()
    clock.t += 10.0  # a quiet spell
    assert pacer.changed() == 0.0


def test_a_burst_within_the_budget_coalesces_into_one_paint_at_its_end():
    clock = FakeClock()
    pacer = FramePacer(budget_s=0.05, clock=clock)
    assert pacer.changed() == 0.0
    pacer.painted()
    clock.t += 0.01
    wait = pacer.changed()
    assert abs(wait - 0.04) < 1e-9, "waits out the rest of the frame budget"
    for _ in range(100):  # the storm: every further change joins the paint already due
        clock.t += 0.0001
        assert pacer.changed() is None
    assert pacer.coalesced == 100
    clock.t = pacer.due
    pacer.painted()
    clock.t += 0.05
    assert pacer.changed() == 0.0, "a budget after the coalesced paint, the next change is at once again"


def test_a_paint_for_another_reason_counts_as_the_recent_paint():
    clock = FakeClock()
    pacer = FramePacer(budget_s=0.05, clock=clock)
    pacer.painted()  # the tick repainted for the clock
    clock.t += 0.02
    assert abs(pacer.changed() - 0.03) < 1e-9


def test_idle_pacer_asks_for_nothing():
    pacer = FramePacer(clock=FakeClock())
    assert pacer.due is None and pacer.coalesced == 0


@pytest.fixture(scope="module")
def fed(demo_platform, tmp_path_factory):
    """A cache caught up with the demo platform (copied fresh for each wall), the batch of the next
    ten minutes of the city for it, and a layout of just the tiles: built once for this module."""
    folder = tmp_path_factory.mktemp("frames")
    shutil.copy(demo_platform.removeprefix("sqlite:///"), folder / "platform.db")
    url = f"sqlite:///{folder / 'platform.db'}"
    cache = Cache(folder / "cache.db")
    engine = SyncEngine(SqlConnector(url), cache)
    engine.catch_up()
    cache.close()
    shutil.copy(folder / "cache.db", folder / "caught-up.db")
    feeder = DemoFeeder(url)
    feeder.advance(END + 600)
    feeder.stop()
    cache = Cache(folder / "cache.db")
    batch = SyncEngine(SqlConnector(url), cache).step()
    cache.close()
    (folder / "wall.toml").write_text('title = "frames"\n[[screens]]\nname = "main"\nsize = [1280, 720]\n'
                                      '[screens.root]\nview = "tiles"\nindicators = ["*"]\n')
    return folder, batch


def _wall(fed, tmp_path, qtbot, pacing: str):
    folder, batch = fed
    shutil.copy(folder / "caught-up.db", tmp_path / "cache.db")
    qt_app()
    at = [END]
    wall = Wall(read_layout(str(folder / "wall.toml")), Cache(tmp_path / "cache.db"), None, Clock(lambda: at[0]),
                pacing=pacing, windowed=True)
    for window in wall.windows:
        qtbot.addWidget(window)
    wall.start()
    tiles = next(v for w in wall.windows for v in w.views if isinstance(v, TileGrid))
    return wall, batch, at, tiles


def test_a_batch_reaches_the_tiles_without_waiting_for_the_tick(fed, tmp_path, qtbot):
    wall, batch, at, tiles = _wall(fed, tmp_path, qtbot, "leading")
    wall.timer.stop()  # no tick at all: only the batch itself can bring it to the screen
    before = [s.value for s in tiles.canvas.states]
    at[0] = END + 600
    wall.bridge.post_batch(batch)
    qtbot.waitUntil(lambda: [s.value for s in tiles.canvas.states] != before, timeout=5000)
    # idle afterwards: the tick runs, the clock stands, no data comes -> nothing repaints
    wall.timer.start()
    seen = []  # (paints, last refresh); the first tick may still draw what the batch set off (alarms)
    for _ in range(8):
        qtbot.wait(150)
        seen.append((tiles.canvas.paints, wall.pacer.last_paint))
    assert seen[-1][0] == seen[2][0], "nothing changed, nothing painted"
    wall.stop()


def test_the_old_tick_pacing_leaves_a_batch_to_the_next_tick(fed, tmp_path, qtbot):
    wall, batch, at, tiles = _wall(fed, tmp_path, qtbot, "tick")
    wall.timer.stop()
    before = [s.value for s in tiles.canvas.states]
    at[0] = END + 600
    with qtbot.waitSignal(wall.bridge.batch, timeout=5000):
        wall.bridge.post_batch(batch)
    qtbot.wait(100)
    assert [s.value for s in tiles.canvas.states] == before, "no tick, no refresh"
    wall.refresh()
    assert [s.value for s in tiles.canvas.states] != before
    wall.stop()

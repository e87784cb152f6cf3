"""The demo wall through the recorded rainstorm: alarms rise and flash, operators handle them, the city recovers.

The wall runs on a clock the test moves minute by minute and is fed the cache's readings as sync
batches, the same path live data takes. Set CITYOPS_SHOTS=DIR to keep a screenshot of each moment.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from console.alarms import AlarmState
from console.cache import Cache, outbox
from console.clock import Clock
from console.model.action import Operator
from console.platform.create import read_scenario
from console.shell.app import Wall, read_layout
from console.shell.qt_setup import qt_app
from console.sync.batch import Batch
from console.sync.sql_connector import SqlConnector
from console.sync.engine import SyncEngine
from widgets.alarms import AlarmList
from widgets.tiles import TileGrid

STEP_S = 60.0


def _shot(wall: Wall, name: str) -> None:
    folder = os.environ.get("CITYOPS_SHOTS")
    if folder:
        for path in wall.screenshot(Path(folder) / name):
            print(f"screenshot: {path}")


@pytest.fixture
def synced(demo_platform, tmp_path):
    """A cache holding the whole demo platform (which has a recorded storm), and that storm."""
    cache = Cache(tmp_path / "cache.db")
    SyncEngine(SqlConnector(demo_platform), cache).catch_up()
    return cache, read_scenario(demo_platform)["storms"][0]


def test_a_rainstorm_on_the_wall(synced, qtbot):
    cache, storm = synced
    now = [storm.start - 600]
    qt_app()
    wall = Wall(read_layout("demo"), cache, None, Clock(lambda: now[0]), operator=Operator("ann", "operator"))
    for window in wall.windows:
        qtbot.addWidget(window)
    wall.start()
    tiles = next(v for w in wall.windows for v in w.views if isinstance(v, TileGrid))
    alarm_list = next(v for w in wall.windows for v in w.views if isinstance(v, AlarmList))

    def advance() -> None:
        """One more minute of the city, as one sync batch, then a wall refresh."""
        with cache.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT seq, indicator_id, ts, value, quality FROM readings "
                                        "WHERE ts > ? AND ts <= ? ORDER BY seq", (now[0], now[0] + STEP_S)).all()
        now[0] += STEP_S
        wall._on_batch(Batch(readings=[tuple(r) for r in rows]))
        wall.refresh()

    def raised(prefix: str) -> list:
        return [a for a in wall.alarms.alarms() if a.code.startswith(prefix)]

    while not (raised("drainage.level") and raised("traffic.congestion")):
        assert now[0] < storm.end + 3600, "the storm raised no drainage and traffic alarms"
        advance()
    # The alarms stand out: their tiles flash until someone acknowledges (on whichever page of the
    # grid they stand: a small window pages its tiles, flashing ones first).
    every = [tiles.tile_state(ind, now[0]) for ind in tiles.chosen()]
    flashing = [s for s in every if s.flash]
    assert all(s.flash for s in tiles.canvas.states), "the page shown leads with flashing tiles"
    assert {s.code.split(".")[0] for s in flashing} >= {"drainage", "traffic"}
    _shot(wall, "1-alarms-rise")

    # The operator acknowledges the top alarm and shelves a traffic alarm, from the keyboard.
    alarm_list.table.setFocus()
    top = alarm_list.selected()
    qtbot.keyClick(alarm_list.table, Qt.Key.Key_Return)
    after = wall.alarms.get(top.id)
    assert after is None or after.state is AlarmState.ACKED  # a returned alarm goes once acknowledged
    traffic = raised("traffic.congestion")[0]
    alarm_list.table.selectRow([a.id for a in alarm_list.model.rows].index(traffic.id))
    qtbot.keyClick(alarm_list.table, Qt.Key.Key_S)
    qtbot.keyClicks(alarm_list.bar.text, "diversion in place, police on site")
    qtbot.keyClick(alarm_list.bar.text, Qt.Key.Key_Return)
    assert wall.alarms.get(traffic.id).state is AlarmState.SHELVED
    wall.refresh()
    _shot(wall, "2-acknowledged-and-shelved")
    assert [a["action"] for a in outbox.pending(cache)] == ["acknowledge", "shelve"]

    # The storm passes: every drainage and traffic alarm returns to normal and, once acknowledged, goes.
    qtbot.keyClick(alarm_list.table, Qt.Key.Key_A)
    peak = len(wall.alarms.alarms(include_shelved=True))
    while any(a.active for a in wall.alarms.alarms(include_shelved=True)
              if a.code.startswith(("drainage.level", "traffic.congestion"))):
        assert now[0] < storm.end + 2 * 3600, "the alarms never returned to normal"
        advance()
    returned = [a for a in wall.alarms.alarms() if a.state is AlarmState.RTN_UNACK]
    qtbot.keyClick(alarm_list.table, Qt.Key.Key_A)
    assert not [a for a in wall.alarms.alarms() if a.code.startswith("drainage.level")]
    assert peak > 0 and all(a.state is not AlarmState.RTN_UNACK for a in wall.alarms.alarms())
    wall.refresh()
    _shot(wall, "3-back-to-normal")
    actions = [a["action"] for a in outbox.pending(cache)]
    assert actions[:2] == ["acknowledge", "shelve"] and actions.count("acknowledge") >= 1 + len(returned)
    wall.stop()


def test_acknowledgements_and_shelves_survive_a_restart_of_the_wall(synced, qtbot):
    cache, storm = synced
    qt_app()
    now = storm.start + 45 * 60  # drains and streets in alarm
    first = Wall(read_layout("demo"), cache, None, Clock(lambda: now), operator=Operator("ann", "operator"))
    standing = first.alarms.alarms()
    assert len(standing) >= 3
    acked, shelved, untouched = standing[0].id, standing[1].id, standing[2].id
    first.alarms.acknowledge(acked, "ann", "operator", now)
    first.alarms.shelve(shelved, "ann", "operator", now, 3600, "pump on manual")
    first.stop()
    recorded = len(cache.rows("audit_log"))

    again = Wall(read_layout("demo"), cache, None, Clock(lambda: now + 60), operator=Operator("ben", "operator"))
    assert again.alarms.get(acked).state is AlarmState.ACKED
    assert again.alarms.get(shelved).state is AlarmState.SHELVED
    assert again.alarms.get(shelved).shelve_reason == "pump on manual"
    assert again.alarms.get(untouched).state in (AlarmState.UNACK, AlarmState.RTN_UNACK)  # still to acknowledge
    assert len(cache.rows("audit_log")) == recorded  # restoring is not a new action
    again.stop()


def test_on_the_supervisor_screen_map_table_and_detail_share_one_selection(synced, qtbot):
    from PySide6.QtCore import QPoint

    from widgets.incident_detail import IncidentDetail
    from widgets.incidents import IncidentList
    from widgets.map.view import MapView

    cache, storm = synced
    qt_app()
    now = storm.start + 45 * 60
    wall = Wall(read_layout("demo"), cache, None, Clock(lambda: now), operator=Operator("hanna", "supervisor"))
    (screen,) = [w for w in wall.windows if w.spec.name == "incidents"]
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitExposed(screen)
    wall.refresh()
    (city,) = [v for v in screen.views if isinstance(v, MapView)]
    (table,) = [v for v in screen.views if isinstance(v, IncidentList)]
    (detail,) = [v for v in screen.views if isinstance(v, IncidentDetail)]
    qtbot.waitUntil(lambda: any(h.incident for h in city.canvas.hits))
    marker = next(h for h in city.canvas.hits if h.incident is not None)
    qtbot.mouseClick(city.canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(marker.x), round(marker.y)))
    wall.refresh()
    assert wall.context.selection.incident_id == marker.incident
    assert table.model.rows[table.table.currentIndex().row()]["id"] == marker.incident
    assert marker.incident in detail.header.text()
    _shot(wall, "4-supervisor-selects-on-the-map")
    wall.stop()

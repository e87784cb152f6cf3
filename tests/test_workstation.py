"""Workstation mode: the views as docks, named arrangements that survive restarts and bad files,
and push to wall allowed to supervisors only (pytest-qt, offscreen)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from console.alarms import AlarmManager
from console.clock import Clock
from console.layout.parse import load_layout
from console.model.action import Operator
from console.shell.qt_setup import qt_app
from console.shell.workstation import Workstation
from console.store import Store
from console.sync.status import SyncStatus
from widgets import ViewContext, view_params

NOW = 1_780_000_000.0
RIGHT = Qt.DockWidgetArea.RightDockWidgetArea

WALL = """\
# a small wall the workstation pushes to
title = "Test wall"

[[screens]]
name = "left"
[screens.root]
view = "tiles"

[[screens]]
name = "right"
  [[screens.pages]]
  name = "calm"
  [screens.pages.root]
  view = "alarms"

  [[screens.pages]]
  name = "storm"
  [screens.pages.root]
  type = "rows"
  shares = [2]
    [[screens.pages.root.items]]
    view = "health"
"""

DESK = """\
title = "Supervisor workstation"
mode = "workstation"
wall = "{wall}"

[[screens]]
name = "desk"
size = [1600, 1000]
[screens.root]
type = "columns"
shares = [3, 2]
  [[screens.root.items]]
  type = "rows"
    [[screens.root.items.items]]
    view = "tiles"
    title = "Vital signs"
    [[screens.root.items.items]]
    view = "trend"
    title = "Rain"
    indicators = ["weather.rain.intensity"]
    window = "15m"
  [[screens.root.items]]
  type = "tabs"
  titles = ["Alarms", "Incidents"]
    [[screens.root.items.items]]
    view = "alarms"
    title = "Alarms"
    [[screens.root.items.items]]
    view = "incidents"
    title = "Incidents"
"""


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    wall = tmp_path / "wall.toml"
    wall.write_text(WALL, encoding="utf-8")
    desk = tmp_path / "desk.toml"
    desk.write_text(DESK.format(wall=wall), encoding="utf-8")
    return {"wall": wall, "desk": desk, "arrangements": tmp_path / "arrangements.json"}


@pytest.fixture
def open_desk(qtbot, files):
    def make(role: str = "supervisor", name: str = "hanna") -> Workstation:
        qt_app()
        ctx = ViewContext(Store(), None, AlarmManager([]), Operator(name, role))
        window = Workstation(load_layout(files["desk"], view_params()), ctx, files["arrangements"])
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window
    return make


def _dock(window: Workstation, title: str):
    return next(d for d in window.docks if d.windowTitle() == title)


def _snapshot(window: Workstation) -> dict[str, tuple]:
    return {d.objectName(): (window.dockWidgetArea(d), d.isHidden(), d.isFloating()) for d in window.docks}


def test_every_view_is_a_dock_arranged_like_the_layout_and_the_title_names_the_role(open_desk):
    window = open_desk()
    assert window.windowTitle() == "CityOps — Supervisor workstation — hanna (SUPERVISOR)"
    assert window.header.who.text() == "hanna · SUPERVISOR"
    assert [d.windowTitle() for d in window.docks] == ["Vital signs", "Rain", "Alarms", "Incidents"]
    assert len({d.objectName() for d in window.docks}) == 4
    assert _dock(window, "Rain").objectName() == "view:screens[0].root.items[0].items[1]"
    tiles, rain, alarms, incidents = (_dock(window, t).geometry() for t in ("Vital signs", "Rain", "Alarms",
                                                                            "Incidents"))
    assert tiles.bottom() < rain.top() and tiles.left() == rain.left()  # rows: stacked
    assert tiles.right() < alarms.left()  # columns: side by side
    assert tiles.width() > alarms.width()  # shares 3 : 2
    assert window.tabifiedDockWidgets(_dock(window, "Alarms")) == [_dock(window, "Incidents")]  # tabs
    panels = window.panels_menu.actions()
    assert [a.text() for a in panels] == ["Vital signs", "Rain", "Alarms", "Incidents"]

    refreshed = []
    for dock, view in window.views.items():
        view.refresh = lambda now, title=dock.windowTitle(): refreshed.append(title)
    window.refresh(NOW, Clock(lambda: NOW), SyncStatus("online", "LISTEN"), NOW - 5)
    assert window.header.mode.text() == "LIVE" and "PLATFORM ONLINE" in window.header.connection.text()
    assert sorted(refreshed) == ["Alarms", "Rain", "Vital signs"]  # the tab underneath is not repainted

    panels[0].trigger()  # the View menu closes and re-opens panels
    assert _dock(window, "Vital signs").isHidden()
    panels[0].trigger()
    assert not _dock(window, "Vital signs").isHidden()


def test_a_named_arrangement_restores_what_was_saved(open_desk, qtbot):
    window = open_desk()
    qtbot.keyClicks(window.name_edit, "storm")
    qtbot.keyClick(window.name_edit, Qt.Key.Key_Return)  # typed inline, no dialog
    assert window.arrangements.names() == ["storm"]
    assert "storm saved" in window.statusBar().currentMessage()
    saved = _snapshot(window)

    window.addDockWidget(RIGHT, _dock(window, "Rain"))
    _dock(window, "Vital signs").close()
    _dock(window, "Alarms").setFloating(True)
    assert _snapshot(window) != saved

    assert window.restore_arrangement("storm")
    assert _snapshot(window) == saved
    assert not window.restore_arrangement("calm")
    assert "no arrangement named 'calm' (saved: storm)" in window.statusBar().currentMessage()


def test_arrangements_survive_a_restart_and_the_last_used_comes_back(open_desk, files):
    window = open_desk()
    window.save_arrangement("default")
    window.addDockWidget(RIGHT, _dock(window, "Rain"))
    window.save_arrangement("rain right")
    window.restore_arrangement("default")
    window.restore_arrangement("rain right")  # the last used
    window.close()

    data = json.loads(files["arrangements"].read_text(encoding="utf-8"))
    assert sorted(data["desk"]) == ["default", "rain right"]
    assert set(data["desk"]["default"]) >= {"state", "geometry", "saved_at"}

    again = open_desk()
    assert again.arrangements.names() == ["default", "rain right"]
    assert again.dockWidgetArea(_dock(again, "Rain")) == RIGHT
    assert again.name_edit.text() == "rain right"
    assert again.delete_arrangement("default")
    assert [a.text() for a in again.arrangements_menu.actions()] == ["rain right"]
    assert sorted(json.loads(files["arrangements"].read_text(encoding="utf-8"))["desk"]) == ["rain right"]


@pytest.mark.parametrize("content", ["{not json", '{"desk": ["a list"]}', '{"desk": {"a": {"state": "!!"}}}'])
def test_an_unusable_arrangements_file_is_moved_aside_and_the_window_opens(open_desk, files, caplog, content):
    files["arrangements"].write_text(content, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="cityops.workstation"):
        window = open_desk()
    message = window.statusBar().currentMessage()
    assert "unusable" in message and "moved aside" in message and "\n" not in message
    assert message in caplog.text
    aside = list(files["arrangements"].parent.glob("arrangements.json.unusable-*"))
    assert len(aside) == 1 and aside[0].read_text(encoding="utf-8") == content
    assert not files["arrangements"].exists()
    assert window.arrangements.names() == [] and len(window.docks) == 4
    assert window.save_arrangement("fresh")  # and a good file is written again
    assert list(json.loads(files["arrangements"].read_text(encoding="utf-8"))["desk"]) == ["fresh"]


def test_a_supervisor_pushes_a_panel_to_the_chosen_wall_page(open_desk, files, qtbot):
    window = open_desk()
    assert window.push_action.isEnabled()
    assert [window.screen_choice.itemText(i) for i in range(window.screen_choice.count())] == ["left", "right"]
    window.screen_choice.setCurrentText("right")
    assert [window.page_choice.itemText(i) for i in range(window.page_choice.count())] == ["calm", "storm"]
    window.page_choice.setCurrentText("storm")
    window.panel_choice.setCurrentText("Rain")
    assert window.push_to_wall()
    assert "Rain pushed to wall wall, screen right, page storm" in window.statusBar().currentMessage()

    storm = load_layout(files["wall"], view_params()).screens[1].pages[1].root
    assert [v.view for v in storm.items] == ["health", "trend"] and storm.shares == [2.0, 2.0]
    assert storm.items[1].params["title"] == "Rain"
    assert files["wall"].read_text(encoding="utf-8").startswith("# a small wall the workstation pushes to")

    window.screen_choice.setCurrentText("left")  # the focused panel goes before the chosen one
    window.activateWindow()
    _dock(window, "Alarms").setFocus()
    assert window.current_dock() is _dock(window, "Alarms")
    assert window.push_to_wall()
    left = load_layout(files["wall"], view_params()).screens[0].root
    assert [v.view for v in left.items] == ["tiles", "alarms"]

    window.screen_choice.setCurrentText("right")  # the keyboard alone: Ctrl+Shift+P pushes the focused panel
    window.page_choice.setCurrentText("calm")
    with qtbot.waitActive(window):
        window.activateWindow()
    _dock(window, "Vital signs").setFocus()
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_P,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    calm = load_layout(files["wall"], view_params()).screens[1].pages[0].root
    assert [(v.view, v.params.get("title")) for v in calm.items] == [("alarms", None), ("tiles", "Vital signs")]


@pytest.mark.parametrize("role", ["operator", "trainer"])
def test_only_supervisors_push_even_when_the_push_is_called_directly(open_desk, files, role):
    window = open_desk(role, "olli")
    assert window.windowTitle().endswith(f"olli ({role.upper()})")
    assert not window.push_action.isEnabled()
    before, stat = files["wall"].read_bytes(), files["wall"].stat()
    window.panel_choice.setCurrentText("Rain")
    assert not window.push_to_wall()
    assert f"{role} may not push views to the wall" in window.statusBar().currentMessage()
    assert files["wall"].read_bytes() == before and files["wall"].stat().st_mtime_ns == stat.st_mtime_ns
    assert sorted(p.name for p in files["wall"].parent.iterdir()) == ["desk.toml", "wall.toml"]

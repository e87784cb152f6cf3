"""The 3D scene view ("scene3d") on the demo city: live colours, beacons, the card, presets, the tour.

Runs on Qt's offscreen platform, where the canvas renders through VTK's own off-screen window.
Set CITYOPS_SHOTS=DIR to keep screenshots of the view in a 1920×1080 window.
"""

from __future__ import annotations

import gc
import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QPoint, Qt

from console.alarms import AlarmManager, AlarmState
from console.cache import Cache
from console.model.indicator import Status
from console.platform.create import read_scenario
from console.scene import colour
from console.store import Store
from console.store.warm import warm_store
from console.sync.sql_connector import SqlConnector
from console.sync.engine import SyncEngine


@pytest.fixture(scope="module")
def synced(demo_platform, tmp_path_factory):
    """The demo platform in a cache, ten minutes after its rainstorm ended."""
    cache = Cache(tmp_path_factory.mktemp("scene") / "cache.db")
    SyncEngine(SqlConnector(demo_platform), cache).catch_up()
    return cache, read_scenario(demo_platform)["storms"][0].end + 600


def _peak(demo_platform) -> float:
    """Three quarters into the rainstorm: drains near full, streets flooding."""
    storm = read_scenario(demo_platform)["storms"][0]
    return storm.start + 0.75 * (storm.end - storm.start)


@pytest.fixture
def store(synced) -> Store:
    cache, at = synced
    fresh = Store()
    warm_store(fresh, cache, at)
    return fresh


@pytest.fixture
def make_scene(qapp, qtbot, synced):
    from widgets import theme
    from widgets.base import ViewContext
    from widgets.scene.view import SceneView

    theme.apply_theme(qapp)

    def make(store: Store, ctx: ViewContext | None = None, size=(1920, 1080), **params) -> SceneView:
        view = SceneView(ctx or ViewContext(store), {"title": "3D city", **params})
        qtbot.addWidget(view)
        view.resize(*size)
        view.show()
        qtbot.waitExposed(view)
        view.refresh(synced[1])
        qtbot.waitUntil(lambda: view.scene is not None, timeout=30_000)
        view.refresh(synced[1])
        return view
    return make


def _shot(view, name: str) -> None:
    folder = os.environ.get("CITYOPS_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        view.canvas.grab()  # renders what is pending
        view.grab().save(str(Path(folder) / f"scene-{name}.png"))


def _platform_count(url: str, table: str) -> int:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def _lonlat(view, b: int) -> tuple[float, float]:
    x, y, _ = view.scene.geometry.centres[b]
    lon, lat = view.scene.geometry.frame.inverse(x, y)
    return float(lon), float(lat)


def test_the_view_is_registered_and_checks_its_parameters(store, qapp):
    from widgets.base import VIEWS, ViewContext
    from widgets.scene.view import SceneView

    from widgets.scene import canvas, view

    assert VIEWS["scene3d"] is SceneView and view.FOV_DEG == canvas.FOV_DEG  # labels are placed with the canvas's lens
    for bad in ({"layers": ["streets", "trees"]}, {"dwell": "soon"}, {"colour": " "}):
        with pytest.raises(ValueError):
            SceneView(ViewContext(store), bad)


def test_loads_every_building_with_a_preset_per_district(demo_platform, store, make_scene, qtbot):
    view = make_scene(store)
    assert len(view.scene.geometry.ids) == _platform_count(demo_platform, "buildings") == 439
    districts = sorted(store.reference["districts"], key=lambda d: d["id"])
    assert [name for name, _ in view.presets] == ["Whole city"] + [d["name"] for d in districts]
    assert view.preset_box.count() == 7 and view.preset_box.itemText(3) == "3  Kamppi"
    qtbot.keyClick(view.canvas.surface, Qt.Key.Key_3)  # the surface passes digits up to the view
    assert view.preset_box.currentIndex() == 3
    assert view.target == view.preset_pose(3)  # on its way there
    assert view.preset_pose(3).distance < view.preset_pose(0).distance  # a district is closer than the city
    qtbot.keyClick(view.canvas.surface, Qt.Key.Key_Home)
    assert view.preset_box.currentIndex() == 0 and view.target == view.preset_pose(0)
    _shot(view, "city-risk")


def test_one_district(store, make_scene, qtbot, synced):
    from widgets.base import ViewContext
    from widgets.scene.view import SceneView

    view = make_scene(store, district="kamppi", colour="traffic.congestion.*", tour=True)
    kamppi = [r for r in store.reference["buildings"] if r["district_id"] == "kamppi"]
    assert sorted(view.scene.geometry.ids) == sorted(r["id"] for r in kamppi)
    assert [name for name, _ in view.presets] == ["Kamppi"] and view.preset_box.itemText(0) == "1  Kamppi"
    assert set(view.source.tolist()) == {store.by_code["traffic.congestion.kamppi"].id}  # its own sensor only
    assert view.legend.content[1][-1][1] == "65 %"  # the ramp ends at that sensor's warning limit
    assert len(view.tour.stops) == 1 and view.status.text().startswith("TOUR 1/1  ·  Kamppi")
    view.canvas.set_pose(view.tour.pose(view.tour_elapsed))
    _shot(view, "district")
    qtbot.keyClick(view.canvas.surface, Qt.Key.Key_1)
    assert view.target == view.preset_pose(0) and not view.tour_timer.isActive()  # the key held the tour
    view.refresh(synced[1])
    assert view.paused_for == "user"
    empty = SceneView(ViewContext(Store()), {})  # nothing synced yet: says so, and waits
    qtbot.addWidget(empty)
    empty.refresh(0.0)
    assert empty.loading.label.text() == "No buildings in the reference data yet" and empty.scene is None
    lost = SceneView(ViewContext(store), {"district": "atlantis"})
    qtbot.addWidget(lost)
    lost.refresh(0.0)
    assert lost.loading.label.text() == "No district atlantis in the reference data" and lost.scene is None


def test_colours_follow_a_changed_reading(store, make_scene, synced, qtbot):
    view = make_scene(store, colour="drainage.level.*")
    at = synced[1]
    well = store.by_code["drainage.level.kamppi.1"]
    lit = view.source == well.id
    assert 0 < lit.sum() < len(lit)
    assert set(np.unique(view.source)) <= {i.id for i in store.select(["drainage.level.*"])}
    before = view.colours.copy()
    view.canvas.grab()
    renders = view.canvas.renders
    view.refresh(at + 0.5)
    qtbot.wait(30)
    assert view.canvas.renders == renders  # nothing changed: no frame drawn
    store.add_readings(well.id, np.array([at + 1.0]), np.array([well.alarm_high + 5.0]))
    view.refresh(at + 1.0)
    changed = (view.colours != before).any(axis=1)
    assert np.array_equal(changed, lit)  # that sensor's buildings, and no other
    assert (view.colours[lit] == colour.ALARM).all()
    assert view.legend.title == "Drainage well level · %"


def test_a_closed_view_frees_its_gl_context_on_the_ui_thread_while_the_next_one_loads(store, synced, qtbot):
    """A view's off-screen OpenGL context goes when its widget does; it used to wait for Python's
    cycle collector, which ran it down at any moment, on the UI thread or on whichever thread
    crossed the threshold (a scene load's, in about half the runs), beside the next view's frames."""
    from widgets.base import ViewContext
    from widgets.scene.surfaces import SKY, image_rgb
    from widgets.scene.view import SceneView

    sky = np.array([SKY.red(), SKY.green(), SKY.blue()])
    threshold = gc.get_threshold()
    gc.set_threshold(50, 5, 5)  # collections all through the loads, as on a busy wall
    try:
        previous = None
        for _ in range(3):
            view = SceneView(ViewContext(store), {"title": "3D city"})
            view.resize(640, 400)
            view.show()
            view.refresh(synced[1])  # its scene loads on the loader's thread ...
            if previous is not None:  # ... while the view before it goes, as the wall's host lets one go
                window = previous.canvas.window
                assert window.GetInitialized()  # it has drawn: it holds a context
                previous.close()
                previous.deleteLater()
                QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
                assert not window.GetInitialized()  # released with the widget, here on the UI thread
                del window
            qtbot.waitUntil(lambda: view.scene is not None, timeout=30_000)
            shown = image_rgb(view.canvas.grab())
            assert (shown != sky).any(axis=2).mean() > 0.05  # the next view still draws
            previous = view
        previous.close()
        previous.deleteLater()
    finally:
        gc.set_threshold(*threshold)


def test_risk_marks_the_building_of_an_open_safety_alert(store, make_scene, synced):
    view = make_scene(store)
    at = synced[1]
    assert not view.levels.any()
    b = int(np.argmax(view.scene.geometry.centres[:, 2]))  # the tallest building
    lon, lat = _lonlat(view, b)
    store.add_incidents([{"id": "INC-TEST-1", "kind": "building_safety", "severity": 2, "status": "reported",
                          "district_id": view.scene.geometry.rows[b]["district_id"], "lon": lon, "lat": lat,
                          "title": "Facade element loose", "opened_at": at - 60, "updated_at": at - 60, "rev": 1}])
    view.refresh(at)
    assert np.flatnonzero(view.levels).tolist() == [b] and view.levels[b] == 2
    assert tuple(view.colours[b]) == colour.ALARM
    assert "buildings at risk: 1" in view.status.text()


def test_beacons_only_for_open_incidents(store, make_scene, synced):
    view = make_scene(store)
    at = synced[1]
    done = {e["incident_id"] for evs in store.incident_events.values() for e in evs
            if e["event"] in ("resolved", "closed") and e["ts"] <= at}
    still_open = [r for r in store.incidents.values() if r["opened_at"] <= at and r["id"] not in done]
    assert 0 < len(still_open) < len(store.incidents)
    beacons = view.markers["beacons"]
    assert len(beacons.xyz) == len(still_open)
    x, y = view.scene.geometry.frame.forward([r["lon"] for r in still_open], [r["lat"] for r in still_open])
    assert sorted(zip(np.round(x, 3), np.round(y, 3))) == sorted(zip(np.round(beacons.xyz[:, 0], 3),
                                                                     np.round(beacons.xyz[:, 1], 3)))
    view.ctx.selection.select(still_open[0]["id"])
    view.refresh(at)
    assert view.target.focal[:2] == pytest.approx((x[0], y[0]))  # flies to the selection
    assert view.labels.texts("selected") == [still_open[0]["title"]]


def test_tour_pauses_while_an_alarm_is_unacknowledged(store, make_scene, synced):
    from widgets.base import ViewContext

    at = synced[1]
    alarms = AlarmManager(store.indicators.values(), on_delay_s=0)
    view = make_scene(store, ViewContext(store, alarms=alarms), tour=True, dwell="10s")
    wall = [1000.0]
    view.clock = lambda: wall[0]
    view.refresh(at)
    assert view.paused_for == "" and view.tour_timer.isActive()
    assert view.status.text().startswith("TOUR 1/6")
    tilt = store.by_code["building.tilt.kamppi"]
    alarms.update(tilt.id, np.array([at + 1]), np.array([tilt.alarm_high + 1.0]))
    view.refresh(at + 1)
    assert view.paused_for == "alarm" and not view.tour_timer.isActive()
    assert view.status.text().startswith("TOUR PAUSED · alarm active")
    _shot(view, "tour-paused")
    assert alarms.acknowledge_all("ann", "operator", at + 2) == 2  # its HI and HIHI
    assert {a.state for a in alarms.alarms()} == {AlarmState.ACKED}
    view.refresh(at + 2)
    assert view.paused_for == "" and view.tour_timer.isActive()
    view.eventFilter(view.canvas.surface, _press())  # an operator's touch holds it a minute
    view.refresh(at + 3)
    assert view.paused_for == "user" and view.status.text().startswith("TOUR PAUSED · resumes in 60 s")
    wall[0] += 61
    view.refresh(at + 4)
    assert view.paused_for == "" and view.tour_timer.isActive()


def _press():
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtGui import QMouseEvent

    return QMouseEvent(QEvent.Type.MouseButtonPress, QPointF(5, 5), QPointF(5, 5), Qt.MouseButton.LeftButton,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)


def test_clicking_a_building_opens_its_card_with_linked_indicators(store, make_scene, qtbot, synced):
    from console.scene.camera import Pose

    view = make_scene(store, colour="building.tilt.*")
    tilt = store.by_code["building.tilt.kluuvi"]
    (b,) = [b for b, sensors in view.links.by_building.items() if any(s["indicator_id"] == tilt.id for s in sensors)]
    x, y, top = view.scene.geometry.centres[b]
    view.canvas.set_pose(Pose((float(x), float(y), float(top)), 250.0, 200.0, 80.0))
    centre = QPoint(view.canvas.surface.width() // 2, view.canvas.surface.height() // 2)
    assert view.canvas.pick(centre.x(), centre.y()) == b
    qtbot.mouseClick(view.canvas.surface, Qt.MouseButton.LeftButton, pos=centre)
    assert view.card.isVisible() and view.card.building == b
    row = view.scene.geometry.rows[b]
    assert (row["name"] or row["id"]) in view.card.heading.text()
    text = view.card.linked.text()
    assert "Tilt" in text and "Strain" in text
    reading = store.latest(tilt.id, synced[1])
    assert f"{tilt.format(reading[1])} mrad" in text
    assert store.status(tilt.id, synced[1]) in (Status.NORMAL, Status.WARNING, Status.ALARM)
    _shot(view, "card")
    qtbot.keyClick(view.canvas.surface, Qt.Key.Key_Escape)
    assert not view.card.isVisible() and view.card.building is None


def test_a_new_load_cancels_the_running_one(store, qtbot):
    from widgets.scene.loader import SceneLoader

    loader = SceneLoader()
    got = []
    loader.loaded.connect(got.append)
    big = {**store.reference, "buildings": store.reference["buildings"] * 20}  # slow enough to overtake
    loader.start(big, None)
    first = loader.thread
    loader.start(store.reference, "kamppi")
    qtbot.waitUntil(lambda: bool(got), timeout=30_000)
    first.join(30)
    qtbot.wait(50)
    assert not first.is_alive() and len(got) == 1
    assert {r["district_id"] for r in got[0].geometry.rows} == {"kamppi"}
    assert [d.id for d in got[0].districts] == ["kamppi"]


def test_closing_the_view_stops_its_build(store, make_scene, qtbot, qapp):
    from widgets.base import ViewContext
    from widgets.scene.view import SceneView

    big = Store()
    big.load_reference({**store.reference, "buildings": store.reference["buildings"] * 20})
    view = SceneView(ViewContext(big), {})
    view.refresh(0.0)
    assert view.loader.running and view.loading.label.text() == "Loading 3D city… 0 %"
    thread, jobs = view.loader.thread, view.loader.jobs
    view.deleteLater()
    qtbot.wait(20)
    thread.join(30)
    assert jobs._stop.is_set() and not thread.is_alive()


def test_screenshots_during_the_storm(demo_platform, synced, make_scene, qtbot):
    cache, _ = synced
    peak = _peak(demo_platform)
    store = Store()
    warm_store(store, cache, peak)
    view = make_scene(store, colour="drainage.level.*")
    view.refresh(peak)
    level = {tuple(int(v) for v in c): int(n) for c, n in zip(*np.unique(view.colours, axis=0, return_counts=True))}
    assert (level[colour.ALARM], level[colour.WARNING]) == (203, 217)  # of 439: the storm's drains are full
    offered = view.labels.texts("beacons") + view.labels.texts("sensors") + view.labels.texts("districts")
    assert 0 < len(view.labels.shown) < len(offered)  # the overlapping ones are hidden
    _shot(view, "storm-drainage")
    view.ctx.selection.select(view.incidents.ids[int(view.incidents.active(peak)[0])])
    view.refresh(peak)
    view.canvas.set_pose(view.target)  # where the flight ends
    _shot(view, "storm-selected")


def test_the_buildings_are_made_off_the_ui_thread_and_shown_when_they_arrive(store, synced, qtbot, monkeypatch):
    """Meshing the buildings into VTK actors runs on the loader's thread; the view shows its loading
    page meanwhile, then the canvas draws exactly the actors that thread made."""
    import threading

    from widgets.base import ViewContext
    from widgets.scene import actors
    from widgets.scene.view import SceneView

    made: list[tuple[threading.Thread, actors.Buildings]] = []
    release = threading.Event()

    class Recorded(actors.Buildings):
        def __init__(self, geometry):
            release.wait(30)  # held until the test has seen the view waiting
            super().__init__(geometry)
            made.append((threading.current_thread(), self))

    monkeypatch.setattr(actors, "Buildings", Recorded)
    view = SceneView(ViewContext(store), {})
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    view.refresh(synced[1])
    qtbot.wait(100)  # the UI thread turns while the buildings are being made
    assert view.scene is None and view.stack.currentIndex() == 0 and not made
    rendered = view.canvas.renders
    release.set()
    qtbot.waitUntil(lambda: view.scene is not None, timeout=30_000)
    (thread, buildings), = made
    assert thread is not threading.main_thread() and thread.name == "scene-loader"
    assert view.scene.buildings is buildings and view.canvas._buildings is buildings
    assert view.stack.currentIndex() == 1
    qtbot.waitUntil(lambda: view.canvas.renders > rendered, timeout=10_000)  # drawn on the UI thread
    assert all(view.canvas.renderer.HasViewProp(m.actor) for m in buildings.fine)


def test_on_a_far_read_wall_panel_the_legend_stands_beside_the_scene(make_scene, store, qtbot):
    """A 3×3 wall's screen in its logical pixels (1920×1080 read from 4 m: ~640×325): the legend's
    three rows under the scene took half its height; beside it, the scene keeps the panel's height
    and the legend all its words. A desk's wide panel keeps the one row under the scene."""
    from tests.text_sizes import drawn_text

    view = make_scene(store, size=(640, 325))
    qtbot.waitUntil(lambda: view.legend.column, timeout=5_000)
    qtbot.wait(50)
    page = view.canvas.parentWidget()
    assert view.canvas.height() == page.height() and view.canvas.width() >= 0.55 * view.width()
    assert view.legend.height() <= page.height() and view.legend.geometry().right() <= page.width()
    words = {d.text for d in drawn_text(view.legend)}
    assert {"no alert", "alert open or sensor alarm", "critical", "minor", "NO DATA"} <= words
    view.resize(1920, 1080)
    qtbot.waitUntil(lambda: not view.legend.column and view.legend.height() == 34 + 8, timeout=5_000)  # one row
    assert view.legend.parentWidget() is not page and view.legend.width() > 0.9 * view.width()


def test_a_reload_is_told_apart_off_the_ui_thread_and_the_old_scene_shows_meanwhile(store, make_scene, synced,
                                                                                     qtbot, monkeypatch):
    """Fingerprinting every building runs on the loader's thread: a reload of the same city keeps the
    scene; a changed city is built while the old scene stays on screen, then replaces it."""
    import threading

    from widgets.scene import loader

    view = make_scene(store)
    first, threads, real = view.scene, [], loader.fingerprint
    monkeypatch.setattr(loader, "fingerprint", lambda *a: (threads.append(threading.current_thread()), real(*a))[1])
    store.load_reference(dict(store.reference))  # a new version of the same city
    view.refresh(synced[1])
    qtbot.waitUntil(lambda: not view.loader.running, timeout=30_000)
    assert view.scene is first and view.stack.currentIndex() == 1
    assert len(threads) == 1 and threads[0].name == "scene-loader"
    store.load_reference({**store.reference, "buildings": store.reference["buildings"][:-1]})
    view.refresh(synced[1])
    assert view.loader.running and view.scene is first and view.stack.currentIndex() == 1  # shown meanwhile
    qtbot.waitUntil(lambda: view.scene is not first, timeout=30_000)
    assert len(view.scene.geometry.ids) == len(first.geometry.ids) - 1 and view.stack.currentIndex() == 1
    assert [t.name for t in threads] == ["scene-loader"] * 2

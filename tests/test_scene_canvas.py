"""The 3D scene canvas on the Helsinki demo buildings: which surface, picking, recolouring, level of
detail, render on demand; the native surface on a real X server in a child process.

Pixels are checked against the canvas's building-number image (a frame drawn with number-coded
colours), so "this pixel shows building 108" never depends on the picker it is compared with.
Set CITYOPS_SHOTS=DIR to keep screenshots of both surfaces.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import shapely
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from console.city import load_city
from console.platform.geo import city_rows
from console.scene.colour import ALARM, NEUTRAL, SELECTED
from console.scene.mesh import build_scene
from tests.conftest import REPO
from widgets.scene import backend
from widgets.scene.surfaces import SKY, image_rgb

SIZE = (640, 400)


@pytest.fixture(scope="module")
def helsinki():
    return build_scene(city_rows(load_city())["buildings"])


@pytest.fixture
def canvas(qtbot, helsinki):
    from widgets.scene.canvas import SceneCanvas

    view = SceneCanvas()
    qtbot.addWidget(view)
    view.resize(*SIZE)
    view.show()
    qtbot.waitExposed(view)
    view.set_geometry(helsinki)
    qtbot.waitUntil(lambda: view.renders > 0 and not view._dirty)
    yield view
    view.close()


def _shot(canvas, name: str) -> None:
    if os.environ.get("CITYOPS_SHOTS"):
        canvas.grab().save(str(Path(os.environ["CITYOPS_SHOTS"]) / f"{name}.png"))


def _interior(numbers: np.ndarray) -> np.ndarray:
    """Pixels whose 3×3 neighbourhood shows one building: away from silhouettes, where a ray and
    the rasteriser may disagree by half a pixel."""
    same = numbers >= 0
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            same &= np.roll(np.roll(numbers, dy, 0), dx, 1) == numbers
    same[[0, -1], :] = same[:, [0, -1]] = False
    return same


# -- the backend ---------------------------------------------------------------------------------
def test_the_surface_follows_the_qt_platform(monkeypatch):
    monkeypatch.delenv("CITYOPS_SCENE", raising=False)
    assert {p: backend.choose(p) for p in ("xcb", "windows", "cocoa", "offscreen", "wayland", "minimal",
                                           "eglfs", "vnc")} == {
        "xcb": "native", "windows": "native", "cocoa": "native", "offscreen": "offscreen",
        "wayland": "offscreen", "minimal": "offscreen", "eglfs": "offscreen", "vnc": "offscreen"}
    monkeypatch.setenv("CITYOPS_SCENE", "offscreen")
    assert backend.choose("xcb") == "offscreen"
    monkeypatch.setenv("CITYOPS_SCENE", "native")  # refused where there are no native windows
    assert backend.choose("offscreen") == "offscreen" and backend.choose("xcb") == "native"


def test_doctor_reports_the_3d_scene_backend(qapp):
    """`cityops doctor` runs in a process of its own, as it does for a user: its OpenGL probe makes
    a Qt context current, which crashes Mesa in a process where VTK's contexts came first."""
    code = ("import json; from PySide6.QtWidgets import QApplication; app = QApplication([]); "
            "from console.shell.doctor import report; print(json.dumps(dict(report(None, None))))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[1])
    assert run.returncode == 0, run.stderr[-2000:]
    lines = json.loads(run.stdout.strip().splitlines()[-1])
    assert re.fullmatch(r"off-screen \(vtk(EGL|OSOpenGL)RenderWindow: .+\)", lines["3D scenes"])
    assert backend.describe() == lines["3D scenes"]


# -- the off-screen surface (this process runs Qt's offscreen platform) ---------------------------
def test_offscreen_platform_gets_the_offscreen_surface_and_it_draws_the_buildings(canvas, helsinki):
    from widgets.scene.surfaces import OffscreenSurface

    assert canvas.kind == "offscreen" and isinstance(canvas.surface, OffscreenSurface)
    pixels = image_rgb(canvas.grab())
    numbers = canvas.building_image()
    assert pixels.shape == (SIZE[1], SIZE[0], 3) and numbers.shape == (SIZE[1], SIZE[0])
    shown = np.unique(numbers[numbers >= 0])
    assert len(shown) > 0.9 * len(helsinki.ids)  # nearly all 439 buildings are in view
    sky = np.array([SKY.red(), SKY.green(), SKY.blue()])
    assert (pixels[numbers >= 0] != sky).any(axis=1).all()  # every building pixel is drawn
    assert (pixels[0, 0] == sky).all() and numbers[0, 0] == -1
    _shot(canvas, "scene-offscreen")


def test_pick_returns_the_building_under_the_pixel_and_none_for_the_sky(canvas, helsinki):
    tallest = int(np.argmax(helsinki.centres[:, 2]))
    x, y = canvas.project(helsinki.centres[tallest])  # the middle of its roof
    assert canvas.pick(int(x), int(y)) == tallest
    assert canvas.building_image()[int(y), int(x)] == tallest
    assert canvas.pick(3, 3) is None  # sky
    numbers = canvas.building_image()
    # OSM maps some buildings twice (a relation over its ways: osm:r1688819 on osm:w...); where two
    # roofs coincide, which one a ray meets first is a tie, so those pixels are left out
    feet = np.asarray(helsinki.footprints_xy, dtype=object)
    left, right = shapely.STRtree(feet).query(feet, predicate="intersects")
    apart = left != right
    shared = np.unique(left[apart][shapely.area(shapely.intersection(feet[left[apart]], feet[right[apart]])) > 1.0])
    ys, xs = np.nonzero(_interior(numbers) & ~np.isin(numbers, shared))
    sample = np.random.default_rng(4).choice(len(xs), 150, replace=False)
    assert [canvas.pick(int(xs[i]), int(ys[i])) for i in sample] == [int(numbers[ys[i], xs[i]]) for i in sample]
    hits = []
    canvas.picked.connect(hits.append)
    QTest.mouseClick(canvas.surface, Qt.MouseButton.LeftButton, pos=QPoint(int(x), int(y)))
    QTest.mouseClick(canvas.surface, Qt.MouseButton.LeftButton, pos=QPoint(3, 3))
    assert hits == [tallest, -1]


def test_recolouring_one_building_changes_its_pixels_and_no_others(canvas, helsinki, qtbot):
    numbers = canvas.building_image()
    counts = np.bincount(numbers[numbers >= 0])
    building = int(np.argmax(counts))
    before = image_rgb(canvas.grab())
    colours = np.tile(np.asarray(NEUTRAL, dtype=np.uint8), (len(helsinki.ids), 1))
    colours[building] = ALARM
    renders = canvas.renders
    canvas.set_colours(colours)
    qtbot.waitUntil(lambda: canvas.renders == renders + 1)
    after = image_rgb(canvas.grab())
    changed = (after != before).any(axis=2)
    assert changed.sum() == counts[building]  # every pixel of it, and nothing else
    assert set(np.unique(numbers[changed])) == {building}
    canvas.set_highlight(building)
    lit = image_rgb(canvas.grab())
    changed = (lit != after).any(axis=2)
    assert set(np.unique(numbers[changed])) == {building}
    assert (lit[numbers == building].min(axis=1) >= min(SELECTED) // 2).all()  # shades of the selection white


def test_dragging_draws_the_coarse_level_and_the_fine_one_returns_when_still(canvas, qtbot):
    started, finished = [], []
    canvas.interaction_started.connect(lambda: started.append(1))
    canvas.interaction_finished.connect(lambda: finished.append(1))
    before = canvas.pose()
    QTest.mousePress(canvas.surface, Qt.MouseButton.LeftButton, pos=QPoint(300, 200))
    for step in range(1, 6):
        QTest.mouseMove(canvas.surface, QPoint(300 + 12 * step, 200))
        QApplication.processEvents()
        assert canvas.interacting and canvas.lod == "coarse"
    QTest.mouseRelease(canvas.surface, Qt.MouseButton.LeftButton, pos=QPoint(360, 200))
    assert canvas.pose().azimuth == pytest.approx((before.azimuth + 60 * 0.3) % 360)  # dragged right: turned
    assert started == [1] and not finished
    qtbot.waitUntil(lambda: finished == [1], timeout=10_000)
    qtbot.waitUntil(lambda: not canvas._dirty)
    assert canvas.lod == "fine" and not canvas.interacting


def test_nothing_is_drawn_when_nothing_changed_and_many_changes_make_one_frame(canvas, qtbot, helsinki):
    renders = canvas.renders
    qtbot.wait(400)
    assert canvas.renders == renders
    assert not [t for t in canvas.findChildren(QTimer) if t.isActive()]  # idle: no timer runs at all
    canvas.request_render()
    canvas.set_colours(np.zeros((len(helsinki.ids), 3), dtype=np.uint8))
    canvas.set_highlight(3)
    canvas.set_pose(replace(canvas.pose(), azimuth=10.0))
    canvas.request_render()
    qtbot.wait(100)
    assert canvas.renders == renders + 1


def test_the_wheel_zooms_towards_the_point_under_the_cursor(canvas):
    at = QPointF(420, 260)
    ground = canvas.ground_at(at.x(), at.y())
    distance = canvas.pose().distance
    event = QWheelEvent(at, canvas.surface.mapToGlobal(at), QPoint(0, 0), QPoint(0, 240), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(canvas.surface, event)
    assert canvas.pose().distance == pytest.approx(distance * 0.85 ** 2)
    after = canvas.ground_at(at.x(), at.y())
    assert np.hypot(after[0] - ground[0], after[1] - ground[1]) < 0.002 * distance


def test_markers_lines_and_areas_draw_and_are_not_picked(canvas, helsinki):
    tallest = int(np.argmax(helsinki.centres[:, 2]))
    top = helsinki.centres[tallest] + [0, 0, 2.0]
    x, y = canvas.project(top)
    canvas.set_points("beacons", top[None], np.array([[255, 0, 255]], dtype=np.uint8), "beacon", 12.0)
    pixels = image_rgb(canvas.grab())
    magenta = (pixels[..., 0] > 120) & (pixels[..., 1] < 40) & (pixels[..., 2] > 120)
    assert magenta.sum() > 8
    assert canvas.pick(int(x), int(y)) == tallest  # the beacon is not a building
    canvas.set_points("beacons", np.zeros((0, 3)), np.zeros((0, 3), dtype=np.uint8), "beacon", 12.0)
    x0, x1, y0, y1 = helsinki.bounds[:4]
    line = np.array([[x0, y0, 0.1], [x1, y1, 0.1]], dtype=np.float32)
    canvas.set_lines("streets", line, np.array([[0, 1]]), (0, 255, 0))
    pixels = image_rgb(canvas.grab())
    assert not ((pixels[..., 0] > 120) & (pixels[..., 2] > 120) & (pixels[..., 1] < 40)).any()
    assert ((pixels[..., 1] > 200) & (pixels[..., 0] < 60)).sum() > 50


def test_an_empty_scene_draws_the_sky_and_picks_nothing(qtbot):
    from widgets.scene.canvas import SceneCanvas

    view = SceneCanvas()
    qtbot.addWidget(view)
    view.resize(200, 120)
    view.set_geometry(build_scene([]))
    pixels = image_rgb(view.grab())
    assert (pixels == [SKY.red(), SKY.green(), SKY.blue()]).all(axis=2).mean() > 0.5  # sky, and ground
    assert view.pick(100, 60) is None and (view.building_image() == -1).all()
    view.close()


# -- the native surface on a real X server ---------------------------------------------------------
CHILD = textwrap.dedent("""
    import json, os, sys
    import numpy as np
    from PySide6.QtWidgets import QApplication
    from console.city import load_city
    from console.platform.geo import city_rows
    from console.scene.colour import ALARM, NEUTRAL
    from console.scene.mesh import build_scene
    from widgets.scene.canvas import SceneCanvas
    from widgets.scene.surfaces import image_rgb

    app = QApplication([])
    geometry = build_scene(city_rows(load_city())["buildings"])
    canvas = SceneCanvas()
    canvas.resize(640, 400)
    canvas.show()
    for _ in range(20):
        app.processEvents()
    canvas.set_geometry(geometry)
    app.processEvents()
    numbers = canvas.building_image()
    tallest = int(np.argmax(geometry.centres[:, 2]))
    x, y = canvas.project(geometry.centres[tallest])
    counts = np.bincount(numbers[numbers >= 0])
    building = int(np.argmax(counts))
    before = image_rgb(canvas.grab())
    colours = np.tile(np.asarray(NEUTRAL, dtype=np.uint8), (len(geometry.ids), 1))
    colours[building] = ALARM
    canvas.set_colours(colours)
    after = image_rgb(canvas.grab())
    changed = (after != before).any(axis=2)
    if len(sys.argv) > 1:
        canvas.grab().save(sys.argv[1])
    print(json.dumps({"kind": canvas.kind, "surface": type(canvas.surface).__name__,
                      "shown": int(len(np.unique(numbers[numbers >= 0]))), "tallest": tallest,
                      "picked": canvas.pick(int(x), int(y)), "sky": canvas.pick(3, 3),
                      "changed": int(changed.sum()), "building_pixels": int(counts[building]),
                      "changed_buildings": sorted(set(numbers[changed].tolist()))}))
    canvas.close()
""")


@pytest.mark.xvfb
def test_native_surface_on_x_draws_picks_and_recolours_the_same(helsinki):
    if not os.environ.get("DISPLAY"):
        pytest.skip("needs a real X server ($DISPLAY)")
    shot = [str(Path(os.environ["CITYOPS_SHOTS"]) / "scene-native.png")] if os.environ.get("CITYOPS_SHOTS") else []
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "PYTHONPATH": str(REPO)}
    env.pop("CITYOPS_SCENE", None)
    done = subprocess.run([sys.executable, "-c", CHILD, *shot], env=env, capture_output=True, text=True,
                          timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    tallest = int(np.argmax(helsinki.centres[:, 2]))
    assert result["kind"] == "native" and result["surface"] == "NativeSurface"
    assert result["shown"] > 0.9 * len(helsinki.ids)
    assert result["picked"] == result["tallest"] == tallest and result["sky"] is None
    assert result["changed"] == result["building_pixels"] > 0 and len(result["changed_buildings"]) == 1

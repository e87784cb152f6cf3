"""The city map fitted to its panel: whatever the panel's shape, every district, open incident and
unit is on screen and clear of the layer chips and keys, the city fills the panel's height (wide)
or width (tall), the ground beyond the city's map data is a quiet grey saying "No map data", not
the wall's black, and a warning's name keeps clear of the chips."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF, QTimer
from PySide6.QtGui import QPainterPath, QPolygonF

from tests.test_map import _paint, make_map  # noqa: F401 (make_map: a fixture)

NOW = 1_780_000_000.0


@pytest.fixture(scope="module")
def city_store():
    """The shipped Helsinki centre with an incident in each corner of it, one just beyond its east
    edge, and a unit beyond its north edge (units drive out of the city too)."""
    from console.city import load_city
    from console.map.features import reference_bounds
    from console.platform.geo import city_rows
    from console.store import Store
    from console.sync.batch import Batch

    ref = city_rows(load_city())
    ref["units"] = [{"id": "u1", "kind": "patrol", "callsign": "HEL-P1", "district_id": None}]
    west, south, east, north = reference_bounds(ref)
    mid_lon, mid_lat = (west + east) / 2, (south + north) / 2
    spots = [(west + 0.0005, south + 0.0003), (east - 0.0005, south + 0.0003), (west + 0.0005, north - 0.0003),
             (east - 0.0005, north - 0.0003), (east + 0.0015, mid_lat), (mid_lon, mid_lat)]
    store = Store()
    store.load_reference(ref)
    store.add_incidents([dict(id=f"INC-{i}", kind="fire", severity=1 + i % 4, status="on_scene", district_id=None,
                              lon=lon, lat=lat, title=f"fit {i}", opened_at=NOW - 3600, updated_at=NOW - 3600, rev=i)
                         for i, (lon, lat) in enumerate(spots)])
    store.apply(Batch(unit_positions=[{"unit_id": "u1", "ts": NOW - 5, "lon": mid_lon, "lat": north + 0.001,
                                       "heading": 0.0, "status": "en_route"}]))
    return store


@pytest.fixture
def show_map(make_map):
    """The city map at ``size`` with incidents, units, buildings and labels, painted."""
    return lambda store, size: make_map(store, NOW, size, layers=["incidents", "units", "buildings", "labels"])


def _pixels(canvas) -> np.ndarray:
    from PySide6.QtGui import QImage

    image = canvas.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    w, h = image.width(), image.height()
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(h, image.bytesPerLine())
    return rows[:, :w * 3].reshape(h, w, 3).copy()  # a copy: the image's memory goes with it


@pytest.mark.parametrize("size", [(1500, 620), (520, 1000)], ids=["wide", "tall"])
def test_the_city_view_fits_the_panel_whole_clear_of_the_furniture(city_store, show_map, size):
    from widgets import theme
    from widgets.map import frame, style

    view = show_map(city_store, size)
    c = view.canvas
    w, h = c.width(), c.height()
    t = c.view().transform()
    fr = c.frame()
    furniture = [*fr.chips, fr.arrow, *fr.keys]
    assert len(c.active) == 6 and len(c.units) == 1

    # every district's outline, every open incident and the unit: in the panel, under no chip or key
    corners = np.concatenate([part for d in view.geo.districts for part in d.shape.parts])
    points = [(float(x), float(y), 0.0) for x, y in corners]
    points += [(float(view.incidents.x[i]), float(view.incidents.y[i]), 14.0) for i in c.active]
    points += [(u.x, u.y, 12.0) for u in c.units]
    for x, y, r in points:
        p = t.map(QPointF(x, y))
        assert r - 1 <= p.x() <= w - r + 1 and r - 1 <= p.y() <= h - r + 1, (x, y, p)
        spot = QRectF(p.x() - r, p.y() - r, 2 * r, 2 * r) if r else QRectF(p.x() - 0.5, p.y() - 0.5, 1, 1)
        assert not [box for box in furniture if box.intersects(spot)], (x, y, p)

    # it fills the panel: the city spans most of the panel's height (wide) or width (tall)
    xs, ys = [t.map(QPointF(x, y)).x() for x, y, _ in points], [t.map(QPointF(x, y)).y() for x, y, _ in points]
    spans = ((max(xs) - min(xs)) / w, (max(ys) - min(ys)) / h)
    assert max(spans) > 0.8, spans  # (a third of the width, before: the rest was black)
    assert c.scale == pytest.approx(c.fit()) and frame.fit_scale(c.extent(), fr.area) == pytest.approx(c.scale)

    # no black: every column of the panel shows the map or its ground, none is the wall's background
    px = _pixels(c)
    black = np.array([theme.BACKGROUND.red(), theme.BACKGROUND.green(), theme.BACKGROUND.blue()])
    is_black = np.abs(px.astype(int) - black).sum(axis=2) <= 6
    assert not is_black.all(axis=0).any(), "a column of the panel is black"
    assert is_black.mean() < 0.02
    ground = np.array([style.LAND.red(), style.LAND.green(), style.LAND.blue()])
    left = px[h // 2, 2]
    assert np.abs(left.astype(int) - ground).sum() <= 3  # beside the city: the quiet ground

    # and the ground says what it is, on the ground, in the panel
    note = c.no_data_note
    assert note is not None and note.label.text == "No map data"
    x0, y0 = note.corners.min(axis=0)
    x1, y1 = note.corners.max(axis=0)
    city = QRectF(t.map(QPointF(corners[:, 0].min(), corners[:, 1].max())),
                  t.map(QPointF(corners[:, 0].max(), corners[:, 1].min())))
    assert 0 <= x0 and x1 <= w and 0 <= y0 and y1 <= h
    assert not city.intersects(QRectF(x0, y0, x1 - x0, y1 - y0))
    assert not [box for box in furniture if box.intersects(QRectF(x0, y0, x1 - x0, y1 - y0))]


def test_the_home_view_takes_in_a_unit_that_leaves_the_view(city_store, show_map):
    """A unit driving out of the view: the home view fits again so it stays on the map."""
    from console.sync.batch import Batch

    view = show_map(city_store, (1200, 700))
    c = view.canvas
    scale = c.scale
    x0, y0, x1, y1 = c.view().world_rect()
    lon, lat = (float(v) for v in view.geo.projection.inverse((x0 + x1) / 2, y1 + 150))
    city_store.apply(Batch(unit_positions=[{"unit_id": "u1", "ts": NOW + 1, "lon": lon, "lat": lat, "heading": 0.0,
                                            "status": "en_route"}]))
    try:
        view.refresh(NOW + 1)
        _paint(c)
        y = c.view().transform().map(QPointF(c.units[0].x, c.units[0].y)).y()
        assert c.scale < scale and 0 < y < c.height()
    finally:
        city_store.units["u1"].pop()  # the module's store as the other tests know it


def test_a_warning_name_keeps_clear_of_the_layer_chips(city_store, show_map):
    """A warning over the whole city hangs its name at the map's top, where on a tall panel the
    chips are: the name goes below them, not under them."""
    from widgets.map.warnings import WarningArea

    view = show_map(city_store, (520, 1000))
    c = view.canvas
    x0, y0, x1, y1 = view.geo.bounds
    path = QPainterPath()
    path.addPolygon(QPolygonF([QPointF(x0 - 2000, y0 - 2000), QPointF(x1 + 2000, y0 - 2000),
                               QPointF(x1 + 2000, y1 + 2000), QPointF(x0 - 2000, y1 + 2000)]))
    c.warnings = [WarningArea("w1", path, "Heavy rain warning", ((x0 + x1) / 2, y1 + 2000))]
    _paint(c)
    chips = c.frame().chips
    assert len({r.top() for r in chips}) > 1, "the chips are in rows at the top"
    (box,) = c.warning_labels
    label = QRectF(QPointF(box[0], box[1]), QPointF(box[2], box[3]))
    assert label.top() < c.height() / 3, "the name stays near the top"
    assert not [r for r in chips if r.intersects(label)]
    for placed in c.district_labels:  # and the district names keep clear of it
        x, y = placed.corners.min(axis=0)
        r, b = placed.corners.max(axis=0)
        assert not label.intersects(QRectF(x, y, r - x, b - y))


def test_in_the_event_loop_the_basemap_is_built_and_drawn_on_a_worker(city_store, qapp, qtbot, monkeypatch):
    """On a loaded machine a cold basemap took seconds on the UI thread (the watchdog saw the wall
    frozen): inside the event loop the map builds and draws it on a worker, painting the districts
    meanwhile, and shows the whole basemap once it lands."""
    import threading

    from widgets import theme
    from widgets.base import ViewContext
    from widgets.map import MapView, render
    from widgets.map.basemap import Basemap

    seen: dict[str, object] = {}
    build, draw = render.build_basemap, Basemap.render

    def building(*args):
        seen["build thread"] = threading.current_thread() is threading.main_thread()
        return build(*args)

    def drawing(self, *args, **kwargs):
        seen["draw thread"] = threading.current_thread() is threading.main_thread()
        seen["painted before"] = view.canvas.paints > 0 and view.canvas.basemap is not None
        return draw(self, *args, **kwargs)

    monkeypatch.setattr(render, "build_basemap", building)
    monkeypatch.setattr(Basemap, "render", drawing)
    theme.apply_theme(qapp)
    view = MapView(ViewContext(city_store), {"layers": ["incidents", "units", "buildings", "labels"]})
    qtbot.addWidget(view)
    view.resize(900, 700)
    view.show()
    qtbot.waitExposed(view)
    QTimer.singleShot(0, lambda: view.refresh(NOW))  # as the wall's timer does: inside the event loop
    qtbot.waitUntil(lambda: view.canvas.cache_draws >= 1, timeout=20_000)
    assert render.wait_for_renders()
    assert seen == {"build thread": False, "draw thread": False, "painted before": True}
    assert view.geo is not None and len(view.canvas.active) == 6  # the live layers went on the new map at once


@pytest.mark.parametrize("size", [(640, 150), (560, 120), (651, 100)])
def test_a_panel_too_short_for_all_the_furniture_never_piles_it_up(city_store, show_map, size):
    """The nine- and four-screen walls in replay leave the map a short strip: the chips stood in a
    column down over the scale bar. The scale bar gives way first, and nothing overlaps."""
    from widgets.map import overlay

    view = show_map(city_store, size)
    fr = view.canvas.frame()
    boxes = overlay.boxes(fr)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (size, a, b)
    assert all(0 <= x0 and x1 <= size[0] for x0, _, x1, _ in boxes)

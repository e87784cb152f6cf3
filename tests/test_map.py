"""The city map: projection, clustering, heat and labels (Qt-free), and the map view on the demo city.

Set CITYOPS_SHOTS=DIR to keep screenshots of the map at city and street zoom during the storm.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
from pyproj import CRS, Geod, Transformer
from shapely.geometry import Point, Polygon

from console.map.cluster import cluster, fan_out
from console.map.features import STREET_RANK, city_geometry
from console.map.heat import heat_grid, in_window, parse_window
from console.map.labels import Label, corners, line_spots, overlap, place_labels
from console.map.projection import Projection

LON, LAT = 24.944, 60.1716  # Helsinki centre


# -- projection ----------------------------------------------------------------------------------
def test_projection_round_trips_and_matches_pyproj():
    rng = np.random.default_rng(3)
    lon, lat = LON + rng.uniform(-0.05, 0.05, 500), LAT + rng.uniform(-0.03, 0.03, 500)
    proj = Projection.centred(LON, LAT)
    x, y = proj.forward(lon, lat)
    direct = Transformer.from_crs("EPSG:4326", proj.crs, always_xy=True).transform(lon, lat)
    assert np.allclose(x, direct[0], atol=1e-6) and np.allclose(y, direct[1], atol=1e-6)
    back_lon, back_lat = proj.inverse(x, y)
    assert np.allclose(back_lon, lon, atol=1e-9) and np.allclose(back_lat, lat, atol=1e-9)
    assert abs(float(proj.forward(LON, LAT)[0])) < 1e-6  # the centre is the origin

    national = Projection.for_bounds(24.93, 60.16, 24.96, 60.18, crs="national")
    assert national.crs == CRS.from_epsg(3067)
    tm35 = Transformer.from_crs("EPSG:4326", "EPSG:3067", always_xy=True).transform(lon, lat)
    nx, ny = national.forward(lon, lat)
    assert np.allclose(nx, tm35[0], atol=1e-6) and np.allclose(ny, tm35[1], atol=1e-6)
    assert Projection.for_bounds(2.2, 48.8, 2.4, 48.9, crs="national").crs.to_epsg() is None  # Paris: centred


def test_projection_distances_are_metres():
    geod = Geod(ellps="WGS84")
    proj = Projection.for_bounds(LON - 0.01, LAT - 0.01, LON + 0.01, LAT + 0.01)
    cx, cy = proj.forward(LON, LAT)
    east_lon, east_lat, _ = geod.fwd(LON, LAT, 90, 1000.0)
    ex, ey = proj.forward(east_lon, east_lat)
    assert abs(math.hypot(ex - cx, ey - cy) - 1000.0) < 0.01 and abs(ex - cx - 1000.0) < 0.5
    north_lon, north_lat, _ = geod.fwd(LON, LAT, 0, 1000.0)
    nx, ny = proj.forward(north_lon, north_lat)
    assert abs(ny - cy - 1000.0) < 0.01 and abs(nx - cx) < 1e-6
    # between two points away from the centre the plane is still true to 0.1 %
    a, b = (24.93, 60.165), (24.955, 60.178)
    (ax, bx), (ay, by) = proj.forward([a[0], b[0]], [a[1], b[1]])
    true = geod.inv(a[0], a[1], b[0], b[1])[2]
    assert abs(math.hypot(bx - ax, by - ay) - true) / true < 1e-3


# -- clustering ----------------------------------------------------------------------------------
def _groups(rng, sizes=(500, 300, 200), centres=((0.0, 0.0), (3000.0, 0.0), (0.0, -2500.0)), spread=40.0):
    xs, ys, sev = [], [], []
    for k, (n, (cx, cy)) in enumerate(zip(sizes, centres)):
        xs.append(cx + rng.normal(0, spread, n))
        ys.append(cy + rng.normal(0, spread, n))
        sev.append(np.full(n, 4 - k))  # group k's worst severity is 4 - k ...
        sev[-1][n // 2] = 3 - k if k < 3 else 1  # ... but for one member
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(sev)


def test_clusters_three_groups_at_low_zoom_and_singletons_at_high_zoom():
    rng = np.random.default_rng(7)
    x, y, sev = _groups(rng)
    low = cluster(x, y, sev, scale=0.02)  # 36 px ≈ 1,800 m: each group is one marker, the groups apart
    assert sorted(low.count.tolist(), reverse=True) == [500, 300, 200]
    by_size = np.argsort(-low.count)
    for k, (cx, cy), worst in zip(by_size, ((0, 0), (3000, 0), (0, -2500)), (3, 2, 1)):
        assert math.hypot(low.x[k] - cx, low.y[k] - cy) < 10
        assert low.worst[k] == worst and sev[low.first[k]] == worst and low.label[low.first[k]] == k
    assert np.array_equal(np.bincount(low.label), low.count)
    again = cluster(x, y, sev, scale=0.02)
    assert all(np.array_equal(getattr(low, f), getattr(again, f)) for f in ("x", "y", "count", "label"))

    gx, gy = np.meshgrid(np.arange(40) * 5.0, np.arange(25) * 5.0)  # 1,000 points 5 m apart
    high = cluster(gx.ravel() + rng.uniform(-1, 1, 1000), gy.ravel() + rng.uniform(-1, 1, 1000), None, scale=20.0)
    assert len(high) == 1000 and set(high.count.tolist()) == {1}


def test_a_group_on_a_cell_corner_stays_one_cluster():
    rng = np.random.default_rng(1)
    scale, radius = 0.1, 360.0  # 36 px at 0.1 px/m: cells of 360 m, corner at (360, 360)
    x, y = 360 + rng.normal(0, 30, 400), 360 + rng.normal(0, 30, 400)
    result = cluster(x, y, None, scale)
    assert np.floor(x / radius).min() != np.floor(x / radius).max()  # it does straddle cells
    assert result.count.tolist() == [400]


def test_fan_out_gives_markers_at_one_address_a_place_each():
    x, y = np.array([0.0, 0.0, 0.0, 500.0]), np.array([0.0, 0.0, 0.0, 0.0])
    cl = cluster(x, y, None, scale=8.0, radius_px=8.0)
    dx, dy = fan_out(cl)
    offsets = {(round(a, 3), round(b, 3)) for a, b in zip(dx[:3], dy[:3])}
    assert len(offsets) == 3 and all(math.hypot(a, b) > 20 for a, b in offsets)
    assert dx[3] == 0 and dy[3] == 0  # a lone marker stays where it is


# -- heat ----------------------------------------------------------------------------------------
def test_heat_grid_is_a_density_around_the_incidents():
    grid = heat_grid(np.array([500.0]), np.array([300.0]), (0, 0, 1000, 1000), cell=20, bandwidth=80)
    assert grid.values.shape == (50, 50)
    assert abs(grid.values.sum() * grid.cell ** 2 / 1e6 - 1.0) < 0.01  # one incident's worth in all
    iy, ix = np.unravel_index(np.argmax(grid.values), grid.values.shape)
    assert (grid.x0 + ix * grid.cell, grid.y0 + iy * grid.cell) in ((480, 280), (500, 300), (480, 300), (500, 280))
    assert grid.at(500, 300) > 10 * grid.at(500, 700)
    weighted = heat_grid(np.array([500.0, 500.0]), np.array([300.0, 300.0]), (0, 0, 1000, 1000), 20, 80,
                         weights=np.array([2.0, 1.0]))
    assert np.allclose(weighted.values, 3 * grid.values)
    opened = np.array([0.0, 3000.0, 3500.0, 4000.0])
    assert in_window(opened, 3600.0, parse_window("1h")).tolist() == [False, True, True, False]
    assert parse_window("30m") == 1800 and parse_window("2d") == 172800
    with pytest.raises(ValueError):
        parse_window("soon")


# -- labels --------------------------------------------------------------------------------------
def _quad_polygon(quad: np.ndarray) -> Polygon:
    return Polygon(quad.tolist())


def test_labels_never_overlap_and_the_important_ones_win():
    rng = np.random.default_rng(5)
    labels = []
    for i in range(400):
        x, y = rng.uniform(0, 800, 2)
        angle = float(rng.uniform(-1.2, 1.2)) if i % 3 else 0.0
        spots = tuple((x + dx, y, angle) for dx in (0.0, 30.0, -30.0))
        labels.append(Label(f"L{i}", float(rng.uniform(30, 140)), 14.0, spots, priority=float(i % 3)))
    placed = place_labels(labels, 800, 800, pad=2.0, blocked=[(0, 0, 200, 40)])
    assert 40 < len(placed) < 400
    polys = [_quad_polygon(p.corners) for p in placed]
    for i in range(len(polys)):
        for j in range(i + 1, len(polys)):
            assert polys[i].intersection(polys[j]).area < 1e-6, (placed[i].label.text, placed[j].label.text)
    blocked = Polygon([(0, 0), (200, 0), (200, 40), (0, 40)])
    assert all(p.intersection(blocked).area < 1e-6 for p in polys)
    assert all(q.corners.min() >= 0 and q.corners.max() <= 800 for q in placed)

    district = Label("KLUUVI", 120, 24, ((300, 300, 0.0),), priority=0)
    major = Label("Mannerheimintie", 140, 15, ((320, 305, 0.3),), priority=1)
    minor = Label("Yrjönkatu", 80, 13, ((330, 300, 0.0), (330, 400, 0.0)), priority=2)
    got = place_labels([minor, major, district], 800, 800)
    assert [p.label.text for p in got] == ["KLUUVI", "Yrjönkatu"] and got[1].y == 400  # minor moved along

    twins = [Label("Unioninkatu", 80, 13, ((100 + 60 * k, 100, 0.0),), priority=1, group="Unioninkatu")
             for k in range(10)]
    got = place_labels(twins, 800, 800, repeat_gap=250)  # a name repeats only so often
    assert [p.x for p in got] == [100, 400]


def test_overlap_of_rotated_rectangles():
    a = corners(0, 0, 100, 10, math.radians(45))
    assert overlap(a, corners(30, 30, 20, 10, 0))  # on the diagonal
    assert not overlap(a, corners(30, -30, 20, 10, 0))  # beside it; the bounding boxes do overlap
    assert not overlap(corners(0, 0, 10, 10, 0), corners(10, 0, 10, 10, 0))  # touching is not overlapping


def test_line_spots_follow_straight_stretches_upright():
    line = np.array([[0, 0], [300, 0], [300, 300]], dtype=float)
    spots = line_spots(line, 100, step=20)
    assert spots and all(abs(a) <= math.pi / 2 + 1e-9 for _, _, a in spots)
    assert all(abs(y) < 1e-9 or abs(x - 300) < 1e-9 for x, y, _ in spots)  # never across the corner
    backwards = line_spots(line[::-1].copy(), 100, step=20)
    assert all(abs(a) <= math.pi / 2 + 1e-9 for _, _, a in backwards)  # a street drawn east to west reads upright
    assert line_spots(line, 1000) == []


def test_city_geometry_of_the_demo_city():
    import json

    from console.city import DEFAULT_CITY

    reference: dict[str, list[dict]] = {"districts": [], "map_features": [], "buildings": []}
    for feat in json.loads(Path(DEFAULT_CITY).read_text(encoding="utf-8"))["features"]:
        p, g = feat["properties"], json.dumps(feat["geometry"])
        if p["layer"] == "district":
            reference["districts"].append({"id": p["id"], "name": p["name"], "boundary": g})
        elif p["layer"] == "building":
            reference["buildings"].append({"id": p["id"], "footprint": g})
        else:
            reference["map_features"].append({"id": p["id"], "layer": p["layer"], "kind": p.get("kind"),
                                              "name": p.get("name"), "geometry": g})
    reference["map_features"].append({"id": "bad", "layer": "street", "kind": "primary", "geometry": "{oops"})
    geo = city_geometry(reference)
    assert len(geo.districts) == 6 and len(geo.buildings) == 439
    x0, y0, x1, y1 = geo.bounds
    assert 800 < x1 - x0 < 1300 and 1400 < y1 - y0 < 1900  # the centre is about 1 km by 1.7 km
    for d in geo.districts:  # every district's label anchor lies inside it
        assert Polygon(d.shape.parts[0]).buffer(1).contains(Point(d.anchor))
    names = {s.name: s for s in geo.named_streets}
    assert STREET_RANK[names["Mannerheimintie"].kind] == 0
    assert len(names) == len(geo.named_streets)  # one shape per name: its pieces joined


# -- the map view on the demo city ---------------------------------------------------------------
@pytest.fixture(scope="module")
def storm(demo_platform, tmp_path_factory):
    """A store filled from the demo platform as the wall would have it ten minutes after the storm
    (its waterlogging incidents still open), unit positions of the last ten minutes included."""
    from console.cache import Cache
    from console.platform.create import read_scenario
    from console.store import Store
    from console.store.warm import warm_store
    from console.sync.batch import Batch
    from console.sync.sql_connector import SqlConnector
    from console.sync.engine import SyncEngine

    scenario = read_scenario(demo_platform)["storms"][0]
    cache = Cache(tmp_path_factory.mktemp("map") / "cache.db")
    SyncEngine(SqlConnector(demo_platform), cache).catch_up()
    at = scenario.end + 600
    store = Store()
    warm_store(store, cache, at)
    with cache.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT unit_id, ts, lon, lat, heading, status FROM unit_positions "
                                    "WHERE ts > ? AND ts <= ? ORDER BY ts", (at - 600, at)).mappings().all()
        events = conn.exec_driver_sql("SELECT seq, incident_id, ts, event, actor, note FROM incident_events "
                                      "WHERE ts <= ? ORDER BY seq", (at,)).mappings().all()
    store.apply(Batch(unit_positions=[dict(r) for r in rows]))
    store.add_incidents([], [dict(e) for e in events])  # the wall warms events too: status at any time
    return store, at


def _open_at(store, at: float) -> int:
    """Incidents open at ``at``, counted from the store's rows and events directly."""
    done = {e["incident_id"] for evs in store.incident_events.values() for e in evs
            if e["event"] in ("resolved", "closed") and e["ts"] <= at}
    return sum(r["opened_at"] <= at and r["id"] not in done for r in store.incidents.values())


@pytest.fixture
def make_map(qapp, qtbot):
    from widgets import theme
    from widgets.base import ViewContext
    from widgets.map import MapView

    theme.apply_theme(qapp)

    def make(store, at: float, size=(1280, 800), **params) -> MapView:
        view = MapView(ViewContext(store), params)
        qtbot.addWidget(view)
        view.resize(*size)
        view.show()
        qtbot.waitExposed(view)
        view.refresh(at)
        _paint(view.canvas)
        return view
    return make


def _paint(canvas) -> None:
    """Paint now (a repaint right after the window opens may wait for the event loop)."""
    from PySide6.QtWidgets import QApplication

    paints = canvas.paints
    canvas.repaint()
    if canvas.paints == paints:
        QApplication.processEvents()
    assert canvas.paints > paints


def _image(view):
    return view.canvas.grab().toImage()


def _colour(image, x: float, y: float) -> str:
    return image.pixelColor(round(x), round(y)).name()


def _shot(view, name: str) -> None:
    folder = os.environ.get("CITYOPS_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        view.grab().save(str(Path(folder) / name))


def test_the_map_view_is_registered_and_checks_its_parameters(storm, make_map):
    from widgets.base import VIEWS, ViewContext
    from widgets.map import MapView
    from widgets.map.view import STREET_SCALE, web_zoom_scale

    assert VIEWS["map"] is MapView
    store, at = storm
    assert make_map(store, at, zoom="street", center=[24.95, 60.17]).canvas.scale == STREET_SCALE
    assert make_map(store, at, zoom=16).canvas.scale == pytest.approx(web_zoom_scale(16, 60.17), rel=1e-3)
    for bad in ({"layers": ["incidents", "traffic"]}, {"zoom": "block"}, {"center": [24.9]}, {"heat_window": "later"}):
        with pytest.raises(ValueError):
            MapView(ViewContext(store), bad)
    from console.store import Store

    empty = make_map(Store(), at)  # no reference data yet: a message, not a crash
    assert empty.geo is None and empty.canvas.basemap is None


def test_the_map_draws_districts_streets_and_incident_markers(storm, make_map):
    from widgets import theme
    from widgets.map import markers, style

    store, at = storm
    view = make_map(store, at, layers=[])  # the bare basemap first: fills and streets unobstructed
    image, t = _image(view), view.canvas.view().transform()
    for i, d in enumerate(view.geo.districts):
        poly = Polygon([t.map(float(x), float(y)) for x, y in d.shape.parts[0]])
        x0, y0, x1, y1 = poly.bounds
        seen = [_colour(image, x, y) for x in range(int(x0), int(x1), 4) for y in range(int(y0), int(y1), 4)
                if poly.contains(Point(x, y))]
        fills = {f.name(): seen.count(f.name()) for f in style.DISTRICT_FILLS}
        assert max(fills, key=fills.get) == style.DISTRICT_FILLS[i].name(), d.name  # its own fill, no other
    street = next(s for s in view.geo.named_streets if s.name == "Mannerheimintie")
    part = street.parts[0]
    along = np.concatenate([[0], np.cumsum(np.hypot(*np.diff(part, axis=0).T))])
    d = np.arange(0, along[-1], 5.0)
    probes = [t.map(float(a), float(b)) for a, b in zip(np.interp(d, along, part[:, 0]), np.interp(d, along, part[:, 1]))]
    on_street = [_colour(image, x, y) == style.STREETS[0][0].name() for x, y in probes]
    assert np.mean(on_street) > 0.8
    assert _colour(image, 5, view.canvas.height() / 2) == style.LAND.name()  # west of the city: no map

    view.canvas.layers |= {"incidents"}
    view.refresh(at + 0.01)
    _paint(view.canvas)
    image = _image(view)
    singles = [h for h in view.canvas.hits if h.incident is not None]
    clusters = [h for h in view.canvas.hits if h.cluster is not None]
    assert len(singles) >= 5 and clusters, "the storm's incidents show, some of them clustered"
    index = {iid: i for i, iid in enumerate(view.incidents.ids)}
    for h in singles:  # a severity-coloured disc, its size by severity, left of the icon
        sev = int(view.incidents.severity[index[h.incident]])
        assert _colour(image, h.x - 0.8 * h.r, h.y) == theme.SEVERITY_COLOURS[sev].name()
        assert h.r == markers.RADIUS[sev] and markers.RADIUS[1] > markers.RADIUS[2] > markers.RADIUS[3] > markers.RADIUS[4]
    assert sum(view.canvas._clusters.clusters.count) == len(view.canvas.active) == _open_at(store, at) >= 12
    waterlogging = [i for i in view.canvas.active if view.incidents.kind[i] == 1]
    assert len(waterlogging) >= 4


def test_click_selects_an_incident_and_a_selection_anywhere_is_ringed(storm, make_map, qtbot):
    from PySide6.QtCore import QPoint, Qt

    from widgets.map import style

    store, at = storm
    view = make_map(store, at, layers=["incidents", "units", "buildings", "labels"])
    single = next(h for h in view.canvas.hits if h.incident is not None)
    ring_probe = (single.x, single.y - single.r - 7)
    assert _colour(_image(view), *ring_probe) != style.SELECT_RING.name()
    qtbot.mouseClick(view.canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(single.x), round(single.y)))
    assert view.ctx.selection.incident_id == single.incident
    view.refresh(at)
    _paint(view.canvas)
    assert _colour(_image(view), *ring_probe) == style.SELECT_RING.name()

    # selected elsewhere (the incident list): an incident inside a cluster comes out of it, ringed
    cl = view.canvas._clusters
    member = int(cl.points[np.flatnonzero(cl.clusters.count[cl.clusters.label] > 1)[0]])
    view.ctx.selection.select(view.incidents.ids[member])
    view.refresh(at)
    _paint(view.canvas)
    hit = next(h for h in view.canvas.hits if h.incident == view.incidents.ids[member])
    image = _image(view)
    assert _colour(image, hit.x, hit.y - hit.r - 7) == style.SELECT_RING.name()
    assert _colour(image, *ring_probe) != style.SELECT_RING.name()  # the old one lost its ring

    view.canvas.toggle("incidents")  # with the incident layer off, the selection still shows
    _paint(view.canvas)
    assert [h.incident for h in view.canvas.hits] == [view.incidents.ids[member]]


def test_clicking_a_cluster_zooms_into_it(storm, make_map, qtbot):
    from PySide6.QtCore import QPoint, Qt

    store, at = storm
    view = make_map(store, at, layers=["incidents"])
    c = view.canvas
    hit = next(h for h in c.hits if h.cluster is not None)
    before = c.scale
    qtbot.mouseClick(c, Qt.MouseButton.LeftButton, pos=QPoint(round(hit.x), round(hit.y)))
    assert c.scale == pytest.approx(before * 2.5) and (c.cx, c.cy) == pytest.approx(hit.cluster)
    assert view.ctx.selection.incident_id is None


def test_layers_toggle_from_the_keyboard_and_the_layer_bar(storm, make_map, qtbot):
    from PySide6.QtCore import Qt

    store, at = storm
    view = make_map(store, at)
    c = view.canvas
    assert c.layers == {"incidents", "units", "buildings", "labels"}
    qtbot.keyClick(c, Qt.Key.Key_2)  # heat
    assert "heat" in c.layers and c.heat is not None
    _paint(c)
    qtbot.keyClick(c, Qt.Key.Key_1)  # incidents off
    _paint(c)
    assert "incidents" not in c.layers and not c.hits
    rect, name = c._chips[0]
    qtbot.mouseClick(c, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    assert name == "incidents" and "incidents" in c.layers
    _paint(c)
    assert c.hits
    qtbot.keyClick(c, Qt.Key.Key_4)  # sensors: live values at street zoom
    assert "sensors" in c.layers and len(view.canvas.sensors) == len(store.reference["sensors"])
    for key in (Qt.Key.Key_5, Qt.Key.Key_6):
        qtbot.keyClick(c, key)
    assert not {"buildings", "labels"} & c.layers


def test_wheel_zooms_around_the_cursor_and_drag_pans(storm, make_map, qtbot):
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    store, at = storm
    view = make_map(store, at, layers=["incidents"])
    c = view.canvas
    cursor = QPointF(300, 200)
    under = c.view().transform().inverted()[0].map(cursor)
    event = QWheelEvent(cursor, c.mapToGlobal(cursor), QPoint(), QPoint(0, 240), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    scale = c.scale
    QApplication.sendEvent(c, event)
    assert c.scale == pytest.approx(scale * 1.25 ** 2)
    still = c.view().transform().map(under)
    assert abs(still.x() - cursor.x()) < 1e-6 and abs(still.y() - cursor.y()) < 1e-6

    cx, cy = c.cx, c.cy
    qtbot.mousePress(c, Qt.MouseButton.LeftButton, pos=QPoint(600, 400))
    qtbot.mouseMove(c, QPoint(650, 380))
    qtbot.mouseRelease(c, Qt.MouseButton.LeftButton, pos=QPoint(650, 380))
    assert c.cx == pytest.approx(cx - 50 / c.scale) and c.cy == pytest.approx(cy - 20 / c.scale)
    assert view.ctx.selection.incident_id is None  # a drag is not a click
    qtbot.keyClick(c, Qt.Key.Key_Home)
    assert c.scale == pytest.approx(scale) and not c.moved


def test_the_basemap_cache_serves_pans_and_is_drawn_again_only_when_needed(storm, make_map, qtbot):
    store, at = storm
    view = make_map(store, at, zoom="street", layers=["incidents"])
    c = view.canvas
    drawn = c.cache_draws
    for _ in range(10):  # small pans stay inside the cached margin
        c.pan_by(20, 10)
        _paint(c)
    assert c.cache_draws == drawn
    c.pan_by(c.width(), 0)  # a pan past the margin draws it again, once
    _paint(c)
    _paint(c)
    assert c.cache_draws == drawn + 1
    c.zoom_by(1.25)  # while zooming, the old cache is shown scaled ...
    _paint(c)
    assert c.cache_draws == drawn + 1
    qtbot.waitUntil(lambda: c.cache_draws == drawn + 2, timeout=10_000)  # ... then drawn crisp again


def test_no_repaint_when_nothing_shown_changed(storm, make_map, qtbot):
    store, at = storm
    view = make_map(store, at, layers=["incidents", "sensors", "heat"])
    c = view.canvas
    assert c.phase is not None, "some incidents are new: they pulse"
    qtbot.wait(50)
    paints = c.paints
    for _ in range(5):
        view.refresh(at)
        qtbot.wait(5)
    assert c.paints == paints  # same time, same data: nothing to draw
    view.refresh(at + 0.25)  # the pulse moved on: only the pulsing markers are repainted
    qtbot.wait(20)
    assert c.paints == paints + 1
    for iid in view.shown.new:  # the operator looked at the new ones: they stop pulsing
        view.ctx.selection.select(iid)
        view.refresh(at + 0.5)
    view.ctx.selection.select(None)
    view.refresh(at + 0.75)
    qtbot.wait(20)
    assert c.phase is None
    paints = c.paints
    for k in range(1, 5):
        view.refresh(at + 0.75 + k * 0.25)
        qtbot.wait(5)
    assert c.paints == paints  # no pulse, no new data: a quiet map stays unpainted


def test_screenshots_during_the_storm(storm, make_map):
    """City zoom and street zoom over the flooded Kallio shore (CITYOPS_SHOTS=DIR keeps them)."""
    store, at = storm
    city = make_map(store, at, size=(1280, 800))
    street = make_map(store, at, size=(1280, 800), zoom="street", center=[24.9505, 60.1775],
                      layers=["incidents", "units", "sensors", "buildings", "labels"])
    assert len(street.canvas.units) >= 10 and any(s.text != "—" for s in street.canvas.sensors)
    _shot(city, "map_city.png")
    _shot(street, "map_street.png")


MAP_LAYOUT = """
title = "Map wall"

[[screens]]
name = "map"
size = [1600, 900]

[screens.root]
type = "columns"
shares = [3, 1]

  [[screens.root.items]]
  view = "map"
  title = "City map"
  zoom = "city"
  layers = ["incidents", "units", "buildings", "labels"]
  heat_window = "1h"

  [[screens.root.items]]
  view = "map"
  title = "Kallio shore"
  zoom = 17
  center = [24.9505, 60.1775]
  layers = ["incidents", "units", "sensors", "buildings", "labels"]
"""


def test_a_layout_puts_maps_on_the_wall(demo_platform, storm, tmp_path, qtbot):
    """Two maps on a wall from a layout file: they share the selection with the rest of the wall."""
    from console.cache import Cache
    from console.clock import Clock
    from console.layout.parse import load_layout
    from console.shell.app import Wall
    from console.shell.qt_setup import qt_app
    from console.sync.sql_connector import SqlConnector
    from console.sync.engine import SyncEngine
    from widgets import view_params
    from widgets.map import MapView

    store, at = storm
    layout_file = tmp_path / "map.toml"
    layout_file.write_text(MAP_LAYOUT, encoding="utf-8")
    cache = Cache(tmp_path / "cache.db")
    SyncEngine(SqlConnector(demo_platform), cache).catch_up()
    qt_app()
    wall = Wall(load_layout(layout_file, view_params()), cache, None, Clock(lambda: at))
    for window in wall.windows:
        qtbot.addWidget(window)
    wall.start()
    qtbot.waitExposed(wall.windows[0])
    wall.refresh()
    city, shore = [v for w in wall.windows for v in w.views if isinstance(v, MapView)]
    assert shore.canvas.scale > 2 * city.canvas.scale
    for view in (city, shore):
        _paint(view.canvas)
    assert len(city.canvas.active) == _open_at(store, at)
    target = next(h.incident for h in shore.canvas.hits if h.incident is not None)
    city.ctx.selection.select(target)  # as the incident list would
    wall.refresh()
    assert city.canvas.selected is not None and shore.canvas.selected == city.canvas.selected
    paths = wall.screenshot(tmp_path / "shots")
    assert paths and paths[0].stat().st_size > 10_000
    wall.stop()


def test_a_unit_last_heard_of_before_its_trail_still_shows_where_it_is():
    from console.map.live import unit_marks
    from console.map.projection import Projection
    from console.store import Store

    store = Store()
    store.load_reference({"units": [{"id": "u1", "kind": "patrol", "callsign": "HEL-P1", "district_id": None}]})
    store.units["u1"] = [{"unit_id": "u1", "ts": 1000.0, "lon": 24.95, "lat": 60.17, "heading": 90.0, "status": "idle"}]
    (mark,) = unit_marks(store, Projection.for_bounds(24.9, 60.15, 25.0, 60.2), now=1000.0 + 1800, trail_s=300)
    assert mark.callsign == "HEL-P1" and len(mark.trail) == 1


def test_district_names_keep_clear_of_unit_and_incident_markers(storm, make_map):
    """A unit parked on a district's name: the name moves a line up or down (or yields), never
    lies under the icon; no name is under an incident marker either."""
    from console.sync.batch import Batch
    from widgets.map import layers

    store, at = storm
    view = make_map(store, at, size=(900, 900), layers=["incidents", "units", "labels"])
    canvas = view.canvas
    kallio = next(d for d in view.geo.districts if d.name == "Kallio")
    lon, lat = (float(v) for v in view.geo.projection.inverse(*kallio.anchor))
    unit = next(iter(store.units))
    store.apply(Batch(unit_positions=[{"unit_id": unit, "ts": at + 1, "lon": lon, "lat": lat, "heading": 0.0,
                                       "status": "available"}]))
    try:
        view.refresh(at + 1)
        _paint(canvas)
    finally:
        store.units[unit].pop()  # the module's store as the other tests know it
    v = canvas.view()
    boxes = layers.mark_boxes(v, canvas.units) + layers.marker_boxes(v, canvas._clusters, canvas.incidents,
                                                                     canvas.selected)
    parked = [b for b in layers.mark_boxes(v, canvas.units)
              if b[0] <= v.transform().map(*kallio.anchor)[0] <= b[2]]
    assert parked, "the unit stands on Kallio's name"
    assert len(canvas.district_labels) >= 4
    for placed in canvas.district_labels:
        name = _quad_polygon(placed.corners)
        for x0, y0, x1, y1 in boxes:
            assert not name.intersects(Polygon([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])), placed.label.text
    _shot(view, "map_names_clear_of_units.png")


def test_on_a_narrow_map_the_layer_bar_wraps_clear_of_the_north_arrow(storm, make_map):
    """On a wall read from afar the map panel is narrow: the chips go on a second row rather than
    under the north arrow (the fifth chip sat beneath it)."""
    store, at = storm
    view = make_map(store, at, size=(560, 700))
    c = view.canvas
    arrow = c._overlay[2][len(c._chips) + 1]  # chips, then the scale bar, then the arrow
    assert len({r.top() for r, _ in c._chips}) > 1, "the chips did not need a second row: make the map narrower"
    assert not [name for r, name in c._chips if r.intersects(arrow)]
    assert all(r.right() <= arrow.left() for r, _ in c._chips)

"""The 3D scene's Qt-free core: meshes, chunks, frame, camera, tour, colours and sensor links."""

from __future__ import annotations

import json
import math
from collections import Counter

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.model.indicator import Indicator, Status
from console.scene import colour
from console.scene.camera import Flight, Pose, eye, fit, screen_axes, towards
from console.scene.frame import Frame
from console.scene.ground import flat_areas, street_lines
from console.scene.links import nearest, sensors_in_buildings
from console.scene.mesh import Cancelled, build_scene
from console.scene.synthetic import synthetic_rows
from console.scene.tour import Tour
from console.scene.triangulate import Polygons, triangulate
from tests.conftest import REPO

LON0, LAT0 = 24.94, 60.17
FRAME = Frame(LON0, LAT0)


def polygon(*rings_m) -> str:
    """GeoJSON text of a polygon given in metres about (LON0, LAT0)."""
    coords = []
    for ring in rings_m:
        xy = np.asarray(ring, dtype=float)
        lon, lat = FRAME.inverse(xy[:, 0], xy[:, 1])
        coords.append(np.column_stack([lon, lat]).tolist() + [[lon[0], lat[0]]])
    return json.dumps({"type": "Polygon", "coordinates": coords})


def row(ident, footprint=None, height=12.0, **extra) -> dict:
    return {"id": ident, "footprint": footprint, "height": height, **extra}


def all_fine(geometry):
    """Every chunk's fine mesh as one (points, triangles, building, roof), points in float64."""
    pts, tris, b, roof, off = [], [], [], [], 0
    for c in geometry.chunks:
        pts.append(c.fine.points.astype(float))
        tris.append(c.fine.triangles + off)
        b.append(c.fine.building)
        roof.append(c.fine.roof)
        off += len(c.fine.points)
    return np.concatenate(pts), np.concatenate(tris), np.concatenate(b), np.concatenate(roof)


def normals(points, tris):
    p = points[tris]
    return np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])


BOX = [(0, 0), (10, 0), (10, 20), (0, 20)]


# -- extruded footprints ---------------------------------------------------------------------------

def test_a_box_is_ten_triangles_closed_above_ground_with_outward_normals():
    g = build_scene([row("a", polygon(BOX[::-1]), 12.0)], FRAME)  # clockwise in, wound right out
    pts, tris, b, roof = all_fine(g)
    assert (len(pts), len(tris), int(roof.sum())) == (8, 10, 2)
    assert g.chunks[0].fine.points.dtype == np.float32 and g.chunks[0].fine.triangles.dtype == np.int32
    directed = Counter((int(t[i]), int(t[(i + 1) % 3])) for t in tris for i in range(3))
    assert max(directed.values()) == 1  # consistent winding: no edge twice the same way
    open_edges = [e for e in directed if (e[1], e[0]) not in directed]
    assert len(open_edges) == 4 and all(pts[list(e), 2].max() == 0 for e in open_edges)  # only the floorless base
    n = normals(pts, tris)
    assert np.allclose(n[roof][:, :2], 0) and (n[roof][:, 2] > 0).all()
    centre = pts.mean(axis=0)
    outward = np.einsum("ij,ij->i", n[~roof][:, :2], pts[tris[~roof]].mean(axis=1)[:, :2] - centre[:2])
    assert (outward > 0).all()
    assert np.isclose(np.abs(n[roof][:, 2]).sum() / 2, 200.0, rtol=1e-4)
    assert g.centres[0, 2] == pytest.approx(12.0) and g.bounds[4:] == (0.0, 12.0)


def test_a_courtyard_is_left_open_and_its_walls_face_into_it():
    hole = [(6, 6), (6, 14), (14, 14), (14, 6)]
    g = build_scene([row("c", polygon([(0, 0), (20, 0), (20, 20), (0, 20)], hole), 9.0)], FRAME)
    pts, tris, b, roof = all_fine(g)
    assert (int((~roof).sum()), int(roof.sum())) == (16, 8)
    n = normals(pts, tris)
    assert np.abs(n[roof][:, 2]).sum() / 2 == pytest.approx(400 - 64, rel=1e-4)
    assert not any(shapely.Polygon(pts[t][:, :2]).contains(shapely.Point(10, 10)) for t in tris[roof])
    inner = pts[tris[~roof]].mean(axis=1) - [10, 10, 0]  # about the courtyard's middle
    faces_in = np.einsum("ij,ij->i", n[~roof][:, :2], -inner[:, :2]) > 0
    in_court = np.abs(inner[:, :2]).max(axis=1) < 5
    assert (faces_in == in_court).all() and in_court.sum() == 8


def test_heights_come_from_height_then_levels_then_nine_metres():
    rows = [row("h", polygon(BOX), 30.0), row("l", polygon(BOX), None, levels=4),
            row("d", polygon(BOX), None), row("z", polygon(BOX), 0.0, levels="x")]
    g = build_scene(rows, FRAME)
    assert g.centres[:, 2].tolist() == [30.0, 12.0, 9.0, 9.0]
    assert g.repaired == Counter({"height from levels": 1, "height missing, 9 m assumed": 2})


def test_unusable_footprints_are_counted_never_raised():
    rows = [row("ok", polygon(BOX)), row("none", None), row("text", "not json"),
            row("point", json.dumps({"type": "Point", "coordinates": [LON0, LAT0]})),
            row("flat", polygon([(0, 0), (5, 0), (10, 0)])), row("dup", polygon([(0, 0), (0, 0), (0, 0), (1, 1)])),
            row("far", json.dumps({"type": "Polygon", "coordinates": [[[500, 0], [501, 0], [501, 1], [500, 0]]]})),
            row("open", json.dumps({"type": "Polygon", "coordinates": [[[LON0, LAT0], [LON0 + 1e-4, LAT0],
                                                                          [LON0, LAT0 + 1e-4]]]}))]
    g = build_scene(rows, FRAME)
    assert g.ids == ["ok", "open"]  # an unclosed ring is closed, not refused
    assert g.skipped == Counter({"no footprint or model": 1, "footprint unreadable": 1, "footprint not a polygon": 1,
                                 "footprint degenerate": 2, "footprint coordinates out of range": 1})


def test_a_degenerate_hole_is_dropped_and_counted():
    sliver = [(5, 5), (6, 6), (7, 7)]
    g = build_scene([row("s", polygon(BOX, sliver))], FRAME)
    assert len(all_fine(g)[1]) == 10 and g.repaired == Counter({"degenerate ring dropped": 1})


def test_multipolygon_parts_all_belong_to_their_building():
    parts = [[[list(p) for p in np.column_stack(FRAME.inverse(*np.array(r, float).T)).tolist()]]
             for r in (BOX, [(30, 0), (40, 0), (40, 10), (30, 10)])]
    for poly in parts:
        poly[0].append(poly[0][0])
    g = build_scene([row("m", json.dumps({"type": "MultiPolygon", "coordinates": parts}))], FRAME)
    assert len(all_fine(g)[1]) == 20 and set(all_fine(g)[2].tolist()) == {0}


def rings_to_polygons(polys) -> Polygons:
    """[[ring, ...], ...] with rings as lists of (x, y, z) → Polygons."""
    rings = [np.asarray(r, dtype=float).reshape(-1, 3) for p in polys for r in p]
    return Polygons(np.concatenate(rings) if rings else np.zeros((0, 3)),
                    np.cumsum([0] + [len(r) for r in rings]), np.cumsum([0] + [len(p) for p in polys]))


def test_a_wall_with_a_window_and_a_warped_quad_are_cut_in_their_own_planes():
    wall = [[(0, 0, 0), (10, 0, 0), (10, 0, 6), (0, 0, 6)], [(2, 0, 2), (2, 0, 4), (4, 0, 4), (4, 0, 2)]]
    warped = [[(0, 0, 0), (10, 0, 0), (10, 10, 1.5), (0, 10, 0)]]
    cut = triangulate(rings_to_polygons([wall, warped, [[(0, 0, 0), (1, 1, 1), (2, 2, 2)]]]))
    assert cut.kept.tolist() == [True, True, False] and cut.holes_dropped.tolist() == [0, 0, 0]
    assert np.allclose(cut.normal[0], [0, -1, 0]) and cut.normal[1][2] > 0.98
    pts = rings_to_polygons([wall, warped]).points
    n = normals(pts, cut.triangles)
    assert np.bincount(cut.polygon).tolist() == [8, 2]
    assert np.abs(n[cut.polygon == 0]).sum(axis=0)[1] / 2 == pytest.approx(60 - 4)  # the window stays open
    assert (np.einsum("ij,ij->i", n, cut.normal[cut.polygon]) > 0).all()


point3 = st.tuples(*[st.floats(-50, 50, allow_nan=False) | st.sampled_from([0.0, 1.0])] * 3)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(st.lists(point3, max_size=8), min_size=1, max_size=3), max_size=5))
def test_random_3d_polygons_cut_without_error_and_about_their_normal(polys):
    cut = triangulate(rings_to_polygons(polys))
    pts = rings_to_polygons(polys).points
    assert len(cut.kept) == len(polys) and (cut.triangles < max(len(pts), 1)).all()
    assert set(cut.polygon.tolist()) <= set(np.flatnonzero(cut.kept).tolist())
    n = normals(pts, cut.triangles)
    scale = np.abs(pts).max() ** 2 if len(pts) else 1.0
    assert (np.einsum("ij,ij->i", n, cut.normal[cut.polygon]) >= -1e-9 * scale).all()


# -- CityJSON models --------------------------------------------------------------------------------

def model(boundaries, vertices_m, semantics=None, kind="Solid", lod="2.2", extra_objects=None) -> str:
    """A one-building CityJSON document as the importer writes it, vertices given in metres."""
    v = np.asarray(vertices_m, dtype=float)
    lon, lat = FRAME.inverse(v[:, 0], v[:, 1])
    ints = np.column_stack([np.round((lon - LON0) / 1e-7), np.round((lat - LAT0) / 1e-7), np.round(v[:, 2] / 1e-3)])
    geom = {"type": kind, "lod": lod, "boundaries": boundaries}
    if semantics is not None:
        geom["semantics"] = semantics
    objects = {"b": {"type": "Building", "geometry": [geom]}, **(extra_objects or {})}
    return json.dumps({"type": "CityJSON", "version": "2.0",
                       "transform": {"scale": [1e-7, 1e-7, 1e-3], "translate": [LON0, LAT0, 0.0]},
                       "CityObjects": objects, "vertices": ints.astype(int).tolist()})


#: A gable house 10 × 8 m: eaves at 6 m, ridge at 9.5 m along y = 4. Vertices 0-3 ground, 4-7 eaves, 8-9 ridge.
HOUSE_V = [(0, 0, 0), (10, 0, 0), (10, 8, 0), (0, 8, 0), (0, 0, 6), (10, 0, 6), (10, 8, 6), (0, 8, 6),
           (0, 4, 9.5), (10, 4, 9.5)]
HOUSE = [[[0, 3, 2, 1]], [[0, 1, 5, 4]], [[1, 2, 6, 9, 5]], [[2, 3, 7, 6]], [[3, 0, 4, 8, 7]],
         [[4, 5, 9, 8]], [[6, 7, 8, 9]]]
HOUSE_SEM = {"surfaces": [{"type": "GroundSurface"}, {"type": "WallSurface"}, {"type": "RoofSurface"}],
             "values": [[0, 1, 1, 1, 1, 2, 2]]}


def test_a_cityjson_house_keeps_its_ridge_height_and_roof_semantics():
    g = build_scene([row("house", None, None, model=model([HOUSE], HOUSE_V, HOUSE_SEM))], FRAME)
    pts, tris, b, roof = all_fine(g)
    assert g.centres[0, 2] == pytest.approx(9.5, abs=1e-3)
    assert pts[tris[roof]][..., 2].min() == pytest.approx(6.0, abs=1e-3)
    assert (len(tris), int(roof.sum())) == (14, 4)  # ground dropped; walls 2 + 3 + 2 + 3, two roof planes 2 + 2
    n = normals(pts, tris)
    middle = pts.mean(axis=0)
    assert (np.einsum("ij,ij->i", n, pts[tris].mean(axis=1) - middle) > 0).all()  # outward, as the source
    assert shapely.get_type_id(g.footprints_xy[0]) == 3 and g.footprints_xy[0].area == pytest.approx(80, rel=1e-3)


def test_without_semantics_upward_surfaces_are_roof_and_the_floor_goes():
    g = build_scene([row("house", None, None, model=model([HOUSE], HOUSE_V))], FRAME)
    pts, tris, b, roof = all_fine(g)
    assert (len(tris), int(roof.sum())) == (14, 4)
    assert g.repaired == Counter()


def test_lod0_is_ignored_beside_a_solid_and_parts_join_their_building():
    footprint = {"type": "MultiSurface", "lod": "0", "boundaries": [[[0, 1, 2, 3]]]}
    part = {"type": "BuildingPart", "parents": ["b"], "geometry": [
        {"type": "MultiSurface", "lod": "1.2", "boundaries": [[[4, 5, 6, 7]]]}]}
    doc = json.loads(model([HOUSE], HOUSE_V, HOUSE_SEM, extra_objects={"p": part}))
    doc["CityObjects"]["b"]["geometry"].insert(0, footprint)
    g = build_scene([row("house", None, None, model=json.dumps(doc))], FRAME)
    pts, tris, b, roof = all_fine(g)
    assert len(tris) == 16 and pts[tris][..., 2].min() == 0.0  # the part's flat 6 m top adds 2; no LoD 0 floor


def test_bad_surfaces_are_dropped_and_counted_and_bad_models_fall_back():
    broken = HOUSE[:5] + [[[4, 5, 99, 8]], [[6, 7, 7, 7]]]  # a missing vertex, a surface of one point
    ok = model([broken], HOUSE_V, HOUSE_SEM)
    rows = [row("m", None, None, model=ok), row("fallback", polygon(BOX), 5.0, model='{"CityObjects": 3}'),
            row("lost", None, None, model="{not json"), row("empty", None, None, model=model([[]], HOUSE_V)),
            row("nested", None, None, model=model([[[[[1]]]]], HOUSE_V, kind="MultiSurface"))]
    g = build_scene(rows, FRAME)
    assert g.ids == ["m", "fallback"]
    assert g.repaired == Counter({"surface with missing vertices dropped": 1, "degenerate surface dropped": 1,
                                  "model unusable, footprint extruded": 1})
    assert g.skipped == Counter({"model unusable": 3})
    assert len(all_fine(g)[1]) == 10 + 10  # the house lost a roof plane; the fallback is a box


# -- chunks, coarse boxes, progress -----------------------------------------------------------------

def test_every_building_is_in_exactly_one_chunk_fine_and_coarse():
    g = build_scene(synthetic_rows(4000, seed=3))
    assert len(g.ids) == 4000 and not g.skipped and 2 <= len(g.chunks) <= 64
    fine_sets = [set(np.unique(c.fine.building).tolist()) for c in g.chunks]
    coarse_sets = [set(np.unique(c.coarse.building).tolist()) for c in g.chunks]
    assert fine_sets == coarse_sets and sum(map(len, fine_sets)) == 4000 and set().union(*fine_sets) == set(range(4000))
    for c in g.chunks:
        assert (np.bincount(c.coarse.building)[np.unique(c.coarse.building)] == 10).all()
        assert len(c.coarse.triangles) == 10 * len(np.unique(c.coarse.building)) and c.coarse.roof.sum() * 5 == len(
            c.coarse.triangles)
        assert c.fine.triangles.max() < len(c.fine.points) and c.coarse.triangles.max() < len(c.coarse.points)
        assert (np.diff(c.fine.building) >= 0).all()  # a building's triangles lie together
    sizes = [len(c.fine.triangles) for c in g.chunks]
    assert max(sizes) < 1.2 * min(sizes)  # comparable tiles
    top = np.concatenate([c.coarse.points.reshape(-1, 8, 3)[:, 4, 2] for c in g.chunks])
    order = np.concatenate([np.unique(c.coarse.building) for c in g.chunks])
    assert np.allclose(top[np.argsort(order)], g.centres[:, 2], atol=1e-3)


def test_coarse_box_covers_the_footprint():
    g = build_scene([row("L", polygon([(0, 0), (20, 0), (20, 5), (5, 5), (5, 15), (0, 15)]), 7.0)], FRAME)
    corners = g.chunks[0].coarse.points[:4, :2].astype(float)
    assert shapely.Polygon(corners).buffer(0.01).contains(g.footprints_xy[0])
    assert shapely.Polygon(corners).area == pytest.approx(300, rel=1e-3)
    box = g.chunks[0].coarse
    n = normals(box.points.astype(float), box.triangles)
    out = np.einsum("ij,ij->i", n, box.points[box.triangles].mean(axis=1) - box.points.mean(axis=0))
    assert (out > 0).all() and (n[box.roof][:, 2] > 0).all()  # outward: back faces may be culled


def test_progress_and_cancel():
    rows = synthetic_rows(2100, seed=1)
    seen = []
    build_scene(rows, progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 2100) and seen[-1] == (2100, 2100)
    assert all(b[0] >= a[0] for a, b in zip(seen, seen[1:])) and len(seen) >= 4
    calls = []
    with pytest.raises(Cancelled):
        build_scene(rows, cancelled=lambda: calls.append(1) or len(calls) > 2)


def test_empty_input_gives_an_empty_scene():
    g = build_scene([])
    assert (g.ids, g.chunks, g.bounds, len(g.centres)) == ([], [], (0.0,) * 6, 0)


# -- real files -------------------------------------------------------------------------------------

def helsinki_features() -> list[dict]:
    return json.loads((REPO / "resources" / "city" / "helsinki-centre.geojson").read_text())["features"]


def test_helsinki_demo_city_exact_figures():
    rows = [{"id": p["id"], "footprint": json.dumps(f["geometry"]), "height": p["height"], "levels": p["levels"]}
            for f in helsinki_features() if (p := f["properties"])["layer"] == "building"]
    g = build_scene(rows)
    fine = sum(len(c.fine.triangles) for c in g.chunks)
    assert (len(g.ids), len(g.chunks), fine, sum(len(c.coarse.triangles) for c in g.chunks)) == (439, 1, 18942, 4390)
    assert not g.skipped and g.repaired == Counter({"height missing, 9 m assumed": 287, "height from levels": 137})
    assert g.centres[:, 2].max() == 70.0


@pytest.fixture(scope="module")
def real_rows(shared_data):
    from console.importers.buildings import read_buildings

    names = ("sf-buildings", "delft-3dbag.city.jsonl", "delft-3dbag-tile901.city.jsonl")
    return {name: read_buildings(shared_data / name)[0] for name in names}


def test_real_building_files_through_the_importer(real_rows):
    figures = {}
    for name, rows in real_rows.items():
        g = build_scene(rows)
        figures[name] = (len(g.ids), dict(g.skipped), dict(g.repaired), sum(len(c.fine.triangles) for c in g.chunks))
    assert figures["sf-buildings"] == (13167, {}, {"height missing, 9 m assumed": 1}, 267740)
    assert figures["delft-3dbag.city.jsonl"] == (99, {}, {"degenerate surface dropped": 21}, 42253)
    assert figures["delft-3dbag-tile901.city.jsonl"] == (52, {}, {"degenerate surface dropped": 1}, 3747)


def test_delft_lod22_roofs_are_flagged_and_reach_the_models_top(real_rows):
    g = build_scene(real_rows["delft-3dbag.city.jsonl"])
    k = g.ids.index("NL.IMBAG.Pand.0503100000000033")
    assert g.centres[k, 2] == pytest.approx(30.784, abs=1e-3)
    pts, tris, b, roof = all_fine(g)
    mine = b == k
    assert pts[tris[mine & roof]][..., 2].max() == pytest.approx(30.784, abs=1e-3)
    assert 0.3 < roof.mean() < 0.6 and (normals(pts, tris[roof])[:, 2] > 0).mean() > 0.99


def test_ground_streets_and_areas_from_the_demo_city():
    rows = [{"layer": f["properties"]["layer"], "geometry": json.dumps(f["geometry"])} for f in helsinki_features()]
    points, segments = street_lines(rows, FRAME)
    assert points.dtype == np.float32 and segments.dtype == np.int32 and (points[:, 2] == 0).all()
    assert len(segments) == 7134 and segments.max() < len(points)
    areas = flat_areas(rows, FRAME)
    assert set(np.unique(areas.building).tolist()) == {0, 1} and len(areas.triangles) == 1526
    assert not areas.roof.any() and areas.triangles.max() < len(areas.points)


# -- frame, camera, tour ----------------------------------------------------------------------------

def test_frame_round_trip_and_centre():
    frame = Frame.around(24.93, 60.16, 24.95, 60.18)
    lon = np.array([24.93, 24.94, 24.95, 24.931])
    lat = np.array([60.16, 60.17, 60.18, 60.179])
    x, y = frame.forward(lon, lat)
    assert abs(x[1]) < 1e-6 and abs(y[1]) < 1e-6
    back = frame.inverse(x, y)
    assert np.allclose(back[0], lon, atol=1e-10) and np.allclose(back[1], lat, atol=1e-10)
    assert y[2] - y[0] == pytest.approx(2228.3, abs=0.5)  # 0.02° of latitude near 60° N


def test_camera_fit_shows_every_corner_of_the_box():
    bounds = (-500.0, 700.0, -300.0, 900.0, 0.0, 120.0)
    for az, el, aspect in ((200.0, 35.0, 16 / 9), (0.0, 80.0, 1.0), (90.0, 10.0, 32 / 9)):
        pose = fit(bounds, azimuth=az, elevation=el, fov_deg=30.0, aspect=aspect)
        right, up, forward = screen_axes(pose)
        corners = np.array([[x, y, z] for x in bounds[:2] for y in bounds[2:4] for z in bounds[4:]]) - eye(pose)
        depth = corners @ forward
        sx = corners @ right / depth / (math.tan(math.radians(15)) * aspect)
        sy = corners @ up / depth / math.tan(math.radians(15))
        assert (depth > 0).all() and np.abs(sx).max() <= 1 and np.abs(sy).max() <= 1
        assert max(np.abs(sx).max(), np.abs(sy).max()) > 0.9  # no further than needed
    assert fit(bounds).focal == (100.0, 300.0, 60.0)
    assert eye(Pose((0, 0, 0), 100, 90, 0)) == pytest.approx((100, 0, 0))
    assert eye(Pose((0, 0, 0), 100, 0, 90)) == pytest.approx((0, 0, 100))


def test_flight_endpoints_short_turn_and_log_distance():
    a = Pose((0.0, 0.0, 0.0), 100.0, 350.0, 30.0)
    b = Pose((1000.0, 0.0, 0.0), 10000.0, 10.0, 60.0)
    f = Flight(a, b, 4.0)
    assert f.pose(0) == a and f.pose(4.0) == b and f.pose(9.0) == b and f.done(4.0) and not f.done(3.9)
    mid = f.pose(2.0)
    assert mid.azimuth == pytest.approx(0.0, abs=1e-9) or mid.azimuth == pytest.approx(360.0)
    assert mid.distance == pytest.approx(1000.0) and mid.focal[0] == pytest.approx(500.0)
    assert all(min(abs(f.pose(t).azimuth - 0), abs(f.pose(t).azimuth - 360)) <= 10.0001 for t in np.linspace(0, 4, 41))
    assert towards(a, (5, 6, 7)) == Pose((5.0, 6.0, 7.0), 100.0, 350.0, 30.0)
    assert towards(a, (5, 6), distance=40).distance == 40


def test_tour_is_periodic_pure_and_continuous():
    stops = [("north", Pose((0.0, 1000.0, 0.0), 500.0, 0.0, 40.0)),
             ("east", Pose((1000.0, 0.0, 0.0), 800.0, 90.0, 30.0)),
             ("south", Pose((0.0, -1000.0, 0.0), 300.0, 180.0, 50.0))]
    tour = Tour(stops, dwell_s=20.0, flight_s=4.0, orbit_deg_per_s=1.0)
    assert tour.period_s == 72.0
    times = [0.0, 3.0, 4.0, 13.5, 24.0, 30.0, 71.9]
    forward = [tour.pose(t) for t in times]
    assert [tour.pose(t) for t in reversed(times)] == forward[::-1]  # no state
    for t, p in zip(times, forward):
        q = tour.pose(t + 3 * tour.period_s)
        assert q.focal == pytest.approx(p.focal) and q.azimuth == pytest.approx(p.azimuth)
    assert tour.pose(4.0) == stops[0][1] and tour.pose(14.0).azimuth == pytest.approx(10.0)
    assert tour.stop(2.0) == (0, "north") and tour.stop(30.0) == (1, "east") and tour.stop(71.0) == (2, "south")
    for boundary in (24.0, 48.0, 72.0):  # a flight leaves from where the orbit ended
        before, after = tour.pose(boundary - 1e-6), tour.pose(boundary + 1e-6)
        assert np.allclose(before.focal, after.focal, atol=0.01) and abs(before.azimuth - after.azimuth) < 0.01
    lone = Tour(stops[:1], dwell_s=10.0, flight_s=2.0, orbit_deg_per_s=2.0)
    assert lone.pose(5.0).azimuth == pytest.approx(10.0) and lone.stop(100.0) == (0, "north")
    with pytest.raises(ValueError):
        Tour([])


# -- colours ----------------------------------------------------------------------------------------

HIGH = Indicator(1, "drainage.level.a", "Drainage level", "drainage", "%", 60.0, bad="high",
                 warn_high=60.0, alarm_high=80.0)
LOW = Indicator(2, "heat.supply.a", "Supply temperature", "gas_heat", "°C", 60.0, bad="low",
                warn_low=64.0, alarm_low=58.0)
BOTH = Indicator(3, "structure.tilt.a", "Tilt", "building", "mm/m", 60.0, bad="both",
                 warn_low=-1.5, warn_high=1.5, alarm_low=-3.0, alarm_high=3.0)


@pytest.mark.parametrize("indicator, values", [
    (HIGH, [0.0, 30.0, 59.9, 60.0, 79.9, 80.0, 120.0, np.nan]),
    (LOW, [90.0, 70.0, 64.1, 64.0, 58.1, 58.0, -5.0, np.nan]),
    (BOTH, [0.0, 1.0, -1.49, 1.5, -1.5, 2.9, 3.0, -3.0, np.nan]),
])
def test_value_colours_follow_the_indicator_thresholds(indicator, values):
    rgb = colour.value_colours(np.array(values), indicator)
    for value, c in zip(values, rgb):
        status = indicator.level(value)
        expected = {Status.WARNING: colour.WARNING, Status.ALARM: colour.ALARM, Status.NODATA: colour.NO_DATA}
        if status in expected:
            assert tuple(c) == expected[status], (value, status)
        else:
            assert tuple(c) not in (colour.WARNING, colour.ALARM, colour.NO_DATA)
            assert c[0] < c[1] and c[0] < 160  # ramp: blue to green, never red or amber


def test_ramp_lightens_towards_the_bad_side():
    light = lambda rgb: rgb.astype(float) @ [0.2126, 0.7152, 0.0722]  # noqa: E731
    assert (np.diff(light(colour.value_colours(np.array([0.0, 20.0, 40.0, 59.0]), HIGH))) > 0).all()
    assert (np.diff(light(colour.value_colours(np.array([90.0, 80.0, 70.0, 65.0]), LOW))) > 0).all()
    both = light(colour.value_colours(np.array([0.0, 0.7, 1.4]), BOTH))
    assert (np.diff(both) > 0).all() and colour.band(HIGH) == (0.0, 60.0) and colour.band(LOW) == (64.0, 88.0)


def test_risk_colours_and_legend():
    assert colour.risk_colours(np.array([0, 1, 2], dtype=np.int8)).tolist() == [
        list(colour.NEUTRAL), list(colour.WARNING), list(colour.ALARM)]
    stops = colour.legend(HIGH)
    assert [s[2] for s in stops[-3:]] == ["≥ 60.0 %", "≥ 80.0 %", "no data"]
    assert stops[-3][1] == colour.WARNING and stops[-2][1] == colour.ALARM and math.isnan(stops[-1][0])
    assert [s[0] for s in stops[:-1]] == sorted(s[0] for s in stops[:-1])
    low = colour.legend(LOW)
    assert low[0][1] == colour.ALARM and low[0][2] == "≤ 58.0 °C" and low[1][1] == colour.WARNING


def test_scene_colours_are_the_themes_status_colours():
    from widgets import theme

    for status, rgb in ((Status.WARNING, colour.WARNING), (Status.ALARM, colour.ALARM)):
        c = theme.STATUS_COLOURS[status]
        assert (c.red(), c.green(), c.blue()) == rgb
    assert theme.BACKGROUND.name() == "#%02x%02x%02x" % colour.BACKGROUND
    assert theme.FORECAST.name() == "#%02x%02x%02x" % colour.FORECAST  # expected risk: the forecast's hue
    assert sum(colour.ROOF) > sum(colour.NEUTRAL) and colour.NEUTRAL[2] > colour.NEUTRAL[0]


# -- sensor links -----------------------------------------------------------------------------------

def test_nearest_points_within_a_radius():
    centres = np.array([[0.0, 0.0], [100.0, 0.0], [500.0, 500.0]])
    points = np.array([[1.0, 1.0], [90.0, 0.0], [0.0, -3.0]])
    assert nearest(centres, points).tolist() == [0, 1, 1]
    assert nearest(centres, points, max_m=50.0).tolist() == [0, 1, -1]
    assert nearest(centres, np.zeros((0, 2))).tolist() == [-1, -1, -1]


def test_sensors_go_to_the_building_they_are_in_or_next_to():
    rows = [row("a", polygon(BOX)), row("b", polygon([(30, 0), (40, 0), (40, 10), (30, 10)]))]
    g = build_scene(rows, FRAME)

    def sensor(ident, x, y):
        lon, lat = FRAME.inverse(x, y)
        return {"id": ident, "lon": float(lon), "lat": float(lat)}
    sensors = [sensor("in-a", 5, 5), sensor("wall-b", 42, 5), sensor("between", 24, 5), sensor("far", 200, 200),
               {"id": "nowhere", "lon": None, "lat": None}, sensor("in-b", 35, 5)]
    found = sensors_in_buildings(g, sensors)
    assert {b: [s["id"] for s in ss] for b, ss in found.items()} == {0: ["in-a"], 1: ["wall-b", "between", "in-b"]}
    assert list(sensors_in_buildings(g, sensors, radius_m=1.0)) == [0, 1]
    assert [s["id"] for s in sensors_in_buildings(g, sensors, radius_m=1.0)[1]] == ["in-b"]


# -- generated bad input ----------------------------------------------------------------------------

coordinate = st.floats(-60, 60, allow_nan=False, allow_infinity=False) | st.sampled_from([0.0, 10.0, 1e-4])
ring = st.lists(st.tuples(coordinate, coordinate), min_size=0, max_size=9)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.lists(ring, min_size=1, max_size=3),
                          st.none() | st.floats(-10, 80) | st.just(float("nan"))), min_size=1, max_size=6))
def test_random_polygons_never_raise(buildings):
    rows = []
    for k, (rings, height) in enumerate(buildings):
        coords = []
        for r in rings:
            if r:
                lon, lat = FRAME.inverse(*np.array(r, float).T)
                coords.append(np.column_stack([lon, lat]).tolist())
            else:
                coords.append([])
        rows.append(row(f"r{k}", json.dumps({"type": "Polygon", "coordinates": coords}), height))
    g = build_scene(rows, FRAME)
    assert len(g.ids) + sum(g.skipped.values()) == len(rows)
    pts, tris, b, roof = all_fine(g) if g.chunks else (None, np.zeros((0, 3)), np.zeros(0), None)
    assert set(b.tolist()) == set(range(len(g.ids)))
    assert all(np.isfinite(c.fine.points).all() and np.isfinite(c.coarse.points).all() for c in g.chunks)


json_value = st.recursive(st.none() | st.integers(-3, 12) | st.text(max_size=3),
                          lambda inner: st.lists(inner, max_size=4), max_leaves=25)


@settings(max_examples=60, deadline=None)
@given(json_value, st.sampled_from(["Solid", "MultiSurface", "MultiSolid", "CompositeSurface", "Nope"]), json_value)
def test_random_cityjson_boundaries_never_raise(boundaries, kind, values):
    doc = json.loads(model([HOUSE], HOUSE_V, HOUSE_SEM))
    doc["CityObjects"]["b"]["geometry"] = [{"type": kind, "lod": "2", "boundaries": boundaries,
                                            "semantics": {"surfaces": [{"type": "RoofSurface"}], "values": values}}]
    g = build_scene([row("x", polygon(BOX), model=json.dumps(doc)), row("y", None, model=json.dumps(doc))], FRAME)
    assert g.ids[0] == "x" and len(g.ids) + sum(g.skipped.values()) == 2

"""3D Tiles on the real sample tilesets: the tree, where each feature lands (against the position its
own batch table states, in radians, written by the tileset's producer), refinement by screen-space
error, request volumes, what cannot be drawn, mutated input, and picking in the canvas.

By hand from the JSON: TilesetWithRequestVolume has 9 tiles (the root; its child whose content is
city/tileset.json, that external tileset's root and its 4 b3dm leaves; building.b3dm; points.pnts,
behind a 15 m viewer request volume and not shipped). MetadataGranularities has a root and 4 tiles
of 5 contents each (one house, four trees): 20 contents, in a local box with no place on the Earth.
"""

from __future__ import annotations

import json
import math
import shutil
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, configuration, given, settings
from hypothesis import strategies as st

from console.errors import UserError
from console.scene.gltf import ContentError, Model, read_content
from console.scene.tileset import Tileset, frame_mapping, select, to_geographic
from tests.conftest import SHARED_DATA

configuration.set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "cityops-console-hypothesis")

TILES = SHARED_DATA / "3dtiles"
VOLUME, METADATA = TILES / "TilesetWithRequestVolume", TILES / "MetadataGranularities"
pytestmark = pytest.mark.skipif(not TILES.is_dir(), reason="real data folder not beside the repository")


def _placed(path: Path):
    from console.scene.frame import Frame

    tileset = Tileset(path / "tileset.json")
    frame = Frame.around(*tileset.lon_lat_box()[:4]) if tileset.geographic else None
    to_frame, _ = frame_mapping(tileset, frame)
    tileset.place(to_frame)
    return tileset, to_frame


def test_the_tree_and_each_feature_where_its_batch_table_says():
    tileset = Tileset(VOLUME / "tileset.json")
    assert len(tileset.tiles) == 9 and tileset.geographic
    names = sorted(t.content.name for t in tileset.tiles if t.content is not None)
    assert names == ["building.b3dm", "ll.b3dm", "lr.b3dm", "points.pnts", "ul.b3dm", "ur.b3dm"]
    for tile in tileset.tiles:
        if tile.content is None or tile.content.parent.name != "city":
            continue
        model = tileset.load(tile, lambda xyz: np.asarray(xyz, dtype=float))  # ECEF, as the content says
        lon, lat, h = to_geographic(model.points)
        assert len(model.properties) == 10 and set(model.feature.tolist()) == set(range(10))
        for f, props in enumerate(model.properties):
            corners = np.unique(model.triangles[model.feature == f])
            east = (lon[corners].mean() - math.degrees(props["Longitude"])) * 111_320 * math.cos(math.radians(40))
            north = (lat[corners].mean() - math.degrees(props["Latitude"])) * 110_570
            assert math.hypot(east, north) < 0.5  # metres
            assert h[corners].max() == pytest.approx(props["Height"], abs=0.01)


def test_refinement_by_screen_space_error_and_the_request_volume():
    tileset, to_frame = _placed(VOLUME)
    assert select(tileset, np.array([0.0, 0.0, 200_000.0]), 900, 30) == []  # root's 100 m error: 0.7 px
    near = select(tileset, np.array([300.0, 0.0, 300.0]), 900, 30)
    assert sorted(t.content.name for t in near) == ["building.b3dm", "ll.b3dm", "lr.b3dm", "ul.b3dm", "ur.b3dm"]
    points = next(t for t in tileset.tiles if t.content is not None and t.content.name == "points.pnts")
    inside = points.box.mean(axis=0)  # its request volume: a 15 m sphere round its own 1.25 m one
    assert "points.pnts" in {t.content.name for t in select(tileset, inside, 900, 30)}
    building = next(t for t in tileset.tiles if t.content is not None and t.content.name == "building.b3dm")
    looking_away = select(tileset, np.array([300.0, 0.0, 300.0]), 900, 30, focal=np.array([2_000.0, 0.0, 300.0]))
    assert looking_away == []  # the camera turned away from the city: nothing to load
    looking_at = select(tileset, np.array([300.0, 0.0, 300.0]), 900, 30, focal=np.array([0.0, 0.0, 0.0]))
    assert {t.number for t in looking_at} == {t.number for t in near}
    with pytest.raises(ContentError, match="cannot read points.pnts"):
        tileset.load(points, to_frame)
    model = tileset.load(building, to_frame)
    size = model.points.max(axis=0) - model.points.min(axis=0)
    assert len(model.triangles) == 66_094 and size[2] == pytest.approx(67.0, abs=0.2)  # its box: 2 x 6.701 m


def test_a_local_tileset_and_its_metadata():
    tileset, to_frame = _placed(METADATA)
    assert not tileset.geographic and tileset.properties["author"] == "Cesium"
    contents = [t for t in tileset.tiles if t.content is not None]
    assert len(contents) == 20
    shown = select(tileset, np.array([0.0, -60.0, 40.0]), 900, 30)
    assert len(shown) == 20  # every tile's error is 0: all drawn, houses with their trees
    house = next(t for t in contents if t.content.name == "house1-1.glb")
    assert house.metadata == {"district": "Museum District", "population": 23, "vertices": 684, "materials": 5}
    model = tileset.load(house, to_frame)
    lo, hi = house.box
    assert (model.points.min(axis=0) >= lo - 0.01).all() and (model.points.max(axis=0) <= hi + 0.01).all()


def _glb_with_property_table() -> bytes:
    """A glTF 2.0 binary written here byte by byte (not by the reader's library): two triangles, feature
    ids 0 and 1 by EXT_mesh_features, and an EXT_structural_metadata property table naming them."""
    xyz = np.array([[0, 0, 0], [10, 0, 0], [0, 10, 0], [20, 0, 0], [30, 0, 0], [20, 10, 0]], np.float32)
    ids = np.array([0, 0, 0, 1, 1, 1], np.float32)
    names, heights = b"Town hallLibrary", np.array([31.5, 12.25], np.float32)
    offsets = np.array([0, 9, 16], np.uint32)
    chunks = [xyz.tobytes(), ids.tobytes(), names, offsets.tobytes(), heights.tobytes()]
    views, blob = [], b""
    for chunk in chunks:
        views.append({"buffer": 0, "byteOffset": len(blob), "byteLength": len(chunk)})
        blob += chunk + b"\0" * (-len(chunk) % 4)
    doc = {"asset": {"version": "2.0"}, "extensionsUsed": ["EXT_mesh_features", "EXT_structural_metadata"],
           "scene": 0, "scenes": [{"nodes": [0]}], "nodes": [{"mesh": 0}], "buffers": [{"byteLength": len(blob)}],
           "bufferViews": views,
           "accessors": [{"bufferView": 0, "componentType": 5126, "count": 6, "type": "VEC3",
                          "min": [0, 0, 0], "max": [30, 10, 0]},
                         {"bufferView": 1, "componentType": 5126, "count": 6, "type": "SCALAR"}],
           "meshes": [{"primitives": [{"attributes": {"POSITION": 0, "_FEATURE_ID_0": 1}, "mode": 4,
                                       "extensions": {"EXT_mesh_features": {"featureIds": [
                                           {"featureCount": 2, "attribute": 0, "propertyTable": 0}]}}}]}],
           "extensions": {"EXT_structural_metadata": {
               "schema": {"id": "city", "classes": {"building": {"properties": {
                   "name": {"type": "STRING"}, "height": {"type": "SCALAR", "componentType": "FLOAT32"}}}}},
               "propertyTables": [{"class": "building", "count": 2, "properties": {
                   "name": {"values": 2, "stringOffsets": 3}, "height": {"values": 4}}}]}}}
    text = json.dumps(doc).encode()
    text += b" " * (-len(text) % 4)
    body = struct.pack("<II", len(text), 0x4E4F534A) + text + struct.pack("<II", len(blob), 0x004E4942) + blob
    return b"glTF" + struct.pack("<II", 2, 12 + len(body)) + body


def test_a_glb_feature_reads_its_ext_structural_metadata_row():
    """The shipped 1.1 tileset carries tileset, tile and group metadata but no property tables: this
    glb is built by hand so a 1.1 content's per-feature properties (what picking shows) are read."""
    model = read_content(_glb_with_property_table())
    assert model.feature.tolist() == [0, 1]
    assert model.properties == [{"name": "Town hall", "height": 31.5}, {"name": "Library", "height": 12.25}]
    # y-up glTF turned z-up, as the 3D Tiles specification prescribes: (x, y, z) -> (x, -z, y)
    assert model.points[4].tolist() == [30.0, 0.0, 0.0] and model.points[2].tolist() == [0.0, 0.0, 10.0]


def test_contents_that_cannot_be_drawn_say_why():
    with pytest.raises(ContentError, match=r"a point cloud \(pnts\) is not drawn"):
        read_content(b"pnts" + bytes(40))
    with pytest.raises(ContentError, match="shorter than its header"):
        read_content(b"b3dm" + bytes(8))
    glb = (METADATA / "house1-1.glb").read_bytes()
    with pytest.raises(ContentError, match=r"glTF 1\.0"):
        read_content(glb[:4] + struct.pack("<I", 1) + glb[8:])


def test_an_unreadable_tileset_is_one_line(tmp_path):
    for text, why in (("{", "not a tileset"), ('{"asset": {"version": "2.0"}, "root": {}}', "version '2.0'"),
                      ('{"asset": {"version": "1.0"}}', "no root tile")):
        (tmp_path / "tileset.json").write_text(text)
        with pytest.raises(UserError, match=why):
            Tileset(tmp_path / "tileset.json")


# --- mutated input -----------------------------------------------------------------------------

_B3DM = (VOLUME / "city" / "ll.b3dm").read_bytes() if TILES.is_dir() else bytes(100)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.integers(0, len(_B3DM) - 1), st.binary(min_size=1, max_size=8)),
                      min_size=1, max_size=6), cut=st.integers(0, len(_B3DM)))
def test_mutated_b3dm_gives_a_model_or_a_reason(edits, cut):
    data = bytearray(_B3DM)
    for at, junk in edits:
        data[at:at + len(junk)] = junk
    try:
        model = read_content(bytes(data[: max(cut, 28)]))
    except ContentError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(model, Model) and np.isfinite(model.points).all()
    assert len(model.triangles) == 0 or model.triangles.max() < len(model.points)


_JUNK = st.sampled_from([None, -1, 0, 1e308, "x", [], {}, [1, 2], {"box": [0] * 12}, {"region": [0] * 6},
                         float("nan"), True, "../../etc/passwd", {"uri": "missing.b3dm"}])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.sampled_from(["geometricError", "boundingVolume", "transform", "content",
                                                 "children", "refine", "viewerRequestVolume"]),
                                st.integers(0, 3), _JUNK), min_size=1, max_size=4))
def test_mutated_tileset_json_gives_tiles_or_one_line(edits):
    doc = json.loads((VOLUME / "tileset.json").read_text())
    nodes = [doc["root"], *doc["root"]["children"]]
    for key, at, junk in edits:
        nodes[at][key] = junk
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        shutil.copytree(VOLUME / "city", root / "city")
        (root / "tileset.json").write_text(json.dumps(doc))
        try:
            tileset = Tileset(root / "tileset.json")
        except UserError as exc:
            assert "\n" not in str(exc)
            return
        to_frame, _ = frame_mapping(tileset, None)
        tileset.place(to_frame)
        for tile in select(tileset, np.zeros(3), 900, 30):
            try:
                tileset.load(tile, to_frame)
            except (ContentError, UserError) as exc:
                assert "\n" not in str(exc)


# --- in the canvas -----------------------------------------------------------------------------

def test_the_tileset_view_draws_refines_and_picks_a_feature(qtbot):
    from widgets.scene.tileset_view import TilesetView

    tileset, _ = _placed(METADATA)
    view = TilesetView(tileset, [])
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: len(view.layer.shown) == 20, timeout=20_000)
    assert view.layer.triangles_shown() == sum(len(m.triangles) for _, m in view.layer.models.values())
    house = next(t for t in tileset.tiles if t.content is not None and t.content.name == "house1-1.glb")
    view.canvas.render_now()
    x, y = view.canvas.project(house.box.mean(axis=0))
    hit = view.layer.pick(int(x), int(y))
    assert hit is not None and hit[1] in {house.number, *(s.number for s in house.siblings)}
    view._clicked(int(x), int(y))
    assert view.card.isVisible() and "Museum District" in view.card.facts.text()
    view.close()


def test_coarser_twins_of_the_sample_building_with_their_error_measured():
    from console.scene.simplify import cluster, twins

    tileset, to_frame = _placed(VOLUME)
    building = next(t for t in tileset.tiles if t.content is not None and t.content.name == "building.b3dm")
    model = tileset.load(building, to_frame)
    assert len(model.triangles) == 66_094
    made = twins(model)
    errors, counts = [e for e, _ in made], [len(t.triangles) for _, t in made]
    assert len(made) >= 2 and errors == sorted(errors) and counts[0] <= 0.7 * 66_094
    assert all(b <= 0.7 * a for a, b in zip(counts, counts[1:]))
    for _, twin in made:
        assert set(twin.feature.tolist()) <= set(model.feature.tolist()) and twin.properties is model.properties
        assert twin.triangles.max() < len(twin.points)
    error, coarsest = made[-1]
    sample = model.points[np.random.default_rng(3).choice(len(model.points), 3000, replace=False)]
    nearest = np.sqrt(((sample[:, None, :] - coarsest.points[None]) ** 2).sum(axis=2)).min(axis=1)
    assert nearest.max() <= error + 1e-6  # no vertex of the content farther from the twin than it says
    _, half_metre = cluster(model, 0.5)
    assert 0 < half_metre <= math.sqrt(3) * 0.5  # a vertex stays in its grid cell
    blocks = next(t for t in tileset.tiles if t.content is not None and t.content.name == "ll.b3dm")
    assert twins(tileset.load(blocks, to_frame)) == []  # 120 triangles: drawn as they are


def test_the_layer_draws_a_twin_only_where_its_error_is_under_two_pixels(qtbot):
    from dataclasses import replace

    from widgets.scene.tiles3d import TWIN_PX
    from widgets.scene.tileset_view import TilesetView

    view = TilesetView(Tileset(VOLUME / "tileset.json"), [])
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    layer, canvas = view.layer, view.canvas
    building = next(t for t in view.tileset.tiles if t.content is not None and t.content.name == "building.b3dm")
    qtbot.waitUntil(lambda: building.number in layer.shown and not layer.pending, timeout=30_000)
    full = layer.models[building.number][0]
    px_per_m = canvas.height() / (2 * math.tan(math.radians(15)))
    for distance in (40.0, 150.0, 600.0, 3000.0):
        canvas.set_pose(replace(canvas.pose(), focal=tuple(building.box.mean(axis=0)), distance=distance))
        drawn = layer.drawn[building.number]
        near = float(np.linalg.norm(np.asarray(eye_of(canvas)) - np.clip(eye_of(canvas), *building.box)))
        fitting = [(e, a) for e, a, _ in layer.twins[building.number] if e * px_per_m / near <= TWIN_PX]
        assert drawn is (fitting[-1][1] if fitting else full) and drawn.GetVisibility()
        assert sum(a.GetVisibility() for a in [full, *(a for _, a, _ in layer.twins[building.number])]) == 1
    assert layer.drawn[building.number] is not full  # 3 km away: a twin
    canvas.render_now()
    x, y = canvas.project(building.box.mean(axis=0))
    hit = layer.pick(int(x), int(y))
    assert hit is not None and hit[1] == building.number  # the twin picks as its tile
    assert hit[2] in set(layer.models[building.number][1].feature.tolist())  # (no batch table: -1)
    view.close()


def eye_of(canvas) -> np.ndarray:
    from console.scene.camera import eye

    return np.asarray(eye(canvas.pose()), dtype=float)


def test_a_tileset_with_one_corrupt_tile_draws_the_rest_and_names_it(qtbot, tmp_path):
    from widgets.scene.tileset_view import TilesetView

    shutil.copytree(VOLUME, tmp_path / "volume")
    bad = tmp_path / "volume" / "city" / "ul.b3dm"
    bad.write_bytes(bad.read_bytes()[:200])  # cut inside its feature table
    view = TilesetView(Tileset(tmp_path / "volume" / "tileset.json"), [])
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    layer = view.layer
    qtbot.waitUntil(lambda: len(layer.shown) == 4 and not layer.pending, timeout=30_000)
    assert sorted(view.tileset.tiles[n].content.name for n in layer.shown) == \
        ["building.b3dm", "ll.b3dm", "lr.b3dm", "ur.b3dm"]
    assert sum(layer.failed.values()) == 1 and "left out: 1" in view.status.text()
    view.close()


def test_fit_points_shows_every_point_and_fills_one_screen_axis():
    from console.scene.camera import eye, fit_points, screen_axes

    rng = np.random.default_rng(7)
    for _ in range(20):
        points = rng.normal(size=(200, 3)) * rng.uniform(1, 300, size=3) + rng.uniform(-1e3, 1e3, size=3)
        azimuth, elevation, aspect = rng.uniform(0, 360), rng.uniform(10, 80), rng.uniform(0.5, 3)
        pose = fit_points(points, azimuth=azimuth, elevation=elevation, fov_deg=30, aspect=aspect, margin=1.0)
        right, up, forward = screen_axes(pose)
        rel = points - np.asarray(eye(pose))
        depth = rel @ forward
        x = rel @ right / depth / math.tan(math.radians(15)) / aspect  # -1 .. 1 across the screen
        y = rel @ up / depth / math.tan(math.radians(15))
        assert (depth > 0).all() and np.abs(x).max() <= 1 + 1e-6 and np.abs(y).max() <= 1 + 1e-6
        assert max(x.max() - x.min(), y.max() - y.min()) >= 2 - 1e-6  # as near as it can be
        assert abs(x.max() + x.min()) < 1e-6 or abs(y.max() + y.min()) < 1e-6  # centred on the bound axis


@pytest.mark.parametrize("folder", [VOLUME, METADATA], ids=["geographic", "local"])
def test_the_tileset_view_fills_its_panel_with_what_it_draws(qtbot, folder):
    from widgets.scene.surfaces import SKY, image_rgb
    from widgets.scene.tileset_view import TilesetView

    view = TilesetView(Tileset(folder / "tileset.json"), [])
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)

    def spans() -> tuple[float, float]:
        rgb = image_rgb(view.canvas.grab()).astype(int)
        drawn = np.abs(rgb - np.array([SKY.red(), SKY.green(), SKY.blue()])).sum(axis=2) > 12
        rows, cols = np.flatnonzero(drawn.any(axis=1)), np.flatnonzero(drawn.any(axis=0))
        if not len(rows):
            return 0.0, 0.0
        return (cols[-1] - cols[0] + 1) / drawn.shape[1], (rows[-1] - rows[0] + 1) / drawn.shape[0]

    qtbot.waitUntil(lambda: bool(view.layer.shown) and not view.layer.pending and max(spans()) >= 0.85, timeout=30_000)
    assert min(spans()) >= 0.5  # the other axis is not squeezed either
    view.close()


def test_a_tileset_view_deleted_while_its_buildings_are_built_stops_the_build_and_nothing_reaches_it(
        qtbot, monkeypatch):
    """The buildings are meshed on a thread that used to emit on the view itself: a view closed and
    deleted meanwhile (a supervisor closing the window) had the thread raise on a deleted widget."""
    import threading

    from PySide6.QtCore import QCoreApplication, QEvent

    from widgets.scene import tileset_view
    from widgets.scene.tileset_view import TilesetView

    release, started, built = threading.Event(), threading.Event(), []
    real = tileset_view.build_scene

    def slow_build(*args, **kwargs):
        started.set()
        release.wait(30)
        built.append(real(*args, **kwargs))  # raises Cancelled where the build is stopped
        return built[-1]

    raised: list[BaseException] = []
    monkeypatch.setattr(tileset_view, "build_scene", slow_build)
    monkeypatch.setattr(threading, "excepthook", lambda hook: raised.append(hook.exc_value))
    view = TilesetView(Tileset(VOLUME / "tileset.json"), _rows_beside_the_tileset())
    assert started.wait(30)
    worker = next(t for t in threading.enumerate() if t.name == "tileset-buildings")
    view.close()
    view.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    release.set()
    worker.join(30)
    qtbot.wait(50)  # anything queued for the view would land now
    assert not worker.is_alive() and raised == [] and built == []


def _rows_beside_the_tileset() -> list[dict]:
    """Three platform building rows just east of the sample city (75.6102 W, 40.0427 N), 15–40 m tall."""
    rows = []
    for k, height in enumerate((15.0, 25.0, 40.0)):
        lon, lat = -75.6079 + 0.0006 * k, 40.0427
        ring = [[lon, lat], [lon + 0.0003, lat], [lon + 0.0003, lat + 0.0002], [lon, lat + 0.0002], [lon, lat]]
        rows.append({"id": f"b{k}", "district_id": None, "name": f"Block {k}", "height": height, "levels": None,
                     "use": None, "year": None, "model": None,
                     "footprint": json.dumps({"type": "Polygon", "coordinates": [ring]})})
    return rows


def test_the_wall_view_draws_a_tileset_under_the_platform_buildings(qtbot):
    import os

    from console.clock import Clock
    from console.scene.camera import fit
    from console.store import Store
    from widgets import VIEWS, ViewContext
    from widgets.scene import grab_shown

    store = Store()
    store.load_reference({"buildings": _rows_beside_the_tileset()})
    view = VIEWS["scene3d"](ViewContext(store=store, clock=Clock()), {"tileset": str(VOLUME / "tileset.json")})
    qtbot.addWidget(view)
    view.resize(1100, 700)
    view.show()
    qtbot.waitExposed(view)
    view.refresh(0.0)
    qtbot.waitUntil(lambda: view.tiles is not None, timeout=30_000)
    lo, hi = view.tileset.root.box  # the buildings' preset looks east, away from the city: now at all of it
    view.fly(fit((lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]), fov_deg=30,
                 aspect=view.canvas.width() / view.canvas.height()), 0)
    view.tiles.update()
    qtbot.waitUntil(lambda: len(view.tiles.shown) == 5, timeout=30_000)
    canvas = view.canvas
    canvas.render_now()
    ul = next(t for t in view.tileset.tiles if t.content is not None and t.content.name == "ul.b3dm")
    model = view.tiles.models[ul.number][1]
    feature_xy = model.points[model.triangles[model.feature == 0][0]].mean(axis=0)
    x, y = canvas.project(feature_xy)
    canvas._clicked(int(x), int(y))
    assert view.card.isVisible() and "Longitude" in view.card.facts.text()
    assert canvas.pick(*(int(v) for v in canvas.project(view.scene.geometry.centres[2]))) == 2  # buildings still pick
    if os.environ.get("CITYOPS_SHOTS"):
        grab_shown(view).save(str(Path(os.environ["CITYOPS_SHOTS"]) / "scene3d-with-tileset.png"))
    with pytest.raises(ValueError, match="no place on the Earth"):
        VIEWS["scene3d"](ViewContext(store=store, clock=Clock()), {"tileset": str(METADATA / "tileset.json")})
    view.close()

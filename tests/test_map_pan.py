"""What a frame of a panning map draws from what it kept: the incident markers and cluster bubbles
from the layer they are drawn into once (checked against the same markers drawn one by one from
scratch), the sprites that layer is made of, the furniture's sizes, the opaque basemap."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPainter

from tests.test_map import _paint, make_map  # noqa: F401 (make_map: a fixture)

NOW = 1_780_000_000.0
SIZE = (900, 600)


def test_a_cluster_bubble_is_never_taken_for_the_marker_of_the_same_numbers(qapp):
    """Sprites keeps markers per (kind, severity) and bubbles per (count, worst): a kind-3
    severity-2 marker seen first once stood in for every bubble of 3 with a worst of 2."""
    from widgets.map.markers import Sprites

    fresh = Sprites().bubble(3, 2, 1.0).toImage()
    sprites = Sprites()
    marker = sprites.get(3, 2, 1.0).toImage()
    bubble = sprites.bubble(3, 2, 1.0).toImage()
    assert bubble == fresh and bubble != marker
    assert sprites.get(3, 2, 1.0).toImage() == marker  # and the marker stays a marker


@pytest.fixture
def busy_store():
    """The shipped Helsinki centre with 3,000 open incidents: a third around a few hot spots (bubbles
    at street zoom), the rest anywhere (lone markers), a few new ones (they pulse)."""
    from console.city import load_city
    from console.map.features import reference_bounds
    from console.model.vocab import INCIDENT_KINDS
    from console.platform.geo import city_rows
    from console.store import Store

    ref = city_rows(load_city())
    west, south, east, north = reference_bounds(ref)
    rng = np.random.default_rng(4)
    n, hot = 3000, rng.uniform((west, south), (east, north), (5, 2))
    pick = rng.integers(0, len(hot), n // 3)
    lon = np.concatenate([hot[pick, 0] + rng.normal(0, 0.0015, n // 3), rng.uniform(west, east, n - n // 3)])
    lat = np.concatenate([hot[pick, 1] + rng.normal(0, 0.0008, n // 3), rng.uniform(south, north, n - n // 3)])
    opened = np.where(np.arange(n) % 97 == 0, NOW - 30, NOW - 3600)
    kinds, severity = list(INCIDENT_KINDS), rng.integers(1, 5, n)
    store = Store()
    store.load_reference(ref)
    store.add_incidents([dict(id=f"INC-{i:05d}", kind=kinds[i % len(kinds)], severity=int(severity[i]),
                              status="on_scene", district_id=None, lon=float(lon[i]), lat=float(lat[i]),
                              title=f"busy {i}", opened_at=float(opened[i]), updated_at=float(opened[i]), rev=1)
                         for i in range(n)])
    return store


def _image(canvas) -> np.ndarray:
    image = canvas.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    return np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.width(), 4)[..., :3].astype(int)


def _same_frame(panned, fresh_view) -> None:
    """The panned map shows what a map opened at its view draws (markers one by one): the same
    pixels, up to the rounding of sprites that overlap (a bubble's halo over its neighbour).
    Compared where the two maps agree without their markers: the basemap's cache lies elsewhere
    on a fresh map (after a pan by a fraction of a pixel its edges fall a fraction apart, and its
    dashed district borders start their dashes elsewhere)."""
    fresh = fresh_view.canvas
    diff = np.abs(_image(panned) - _image(fresh)).max(axis=2)
    for c in (panned, fresh):
        c.toggle("incidents")
    apart = (_image(panned) != _image(fresh)).any(axis=2)
    for c in (panned, fresh):
        c.toggle("incidents")
    assert apart.mean() < 0.2
    diff[apart] = 0
    assert diff.max() <= 2, f"{int((diff > 2).sum())} pixels differ by up to {diff.max()}"
    assert [(h.incident, h.cluster) for h in panned.hits] == [(h.incident, h.cluster) for h in fresh.hits]
    assert np.allclose([(h.x, h.y, h.r) for h in panned.hits], [(h.x, h.y, h.r) for h in fresh.hits], atol=1e-6)


def _fresh(make_map, store, canvas):
    view = make_map(store, NOW, size=SIZE, layers=["incidents"])
    view.canvas.set_view(canvas.cx, canvas.cy, canvas.scale)
    view.ctx.selection.select(canvas.incidents.ids[canvas.selected] if canvas.selected is not None else None)
    view.refresh(NOW)
    return view


def test_a_pan_shows_from_the_layer_the_markers_a_fresh_map_draws_one_by_one(busy_store, make_map):
    from widgets.map.view import STREET_SCALE

    view = make_map(busy_store, NOW, size=SIZE, layers=["incidents"])
    c = view.canvas
    c.set_view(c.cx, c.cy, STREET_SCALE)
    view.ctx.selection.select(c.incidents.ids[int(c.active[len(c.active) // 2])])
    view.refresh(NOW)
    c.cx, c.cy = float(c.incidents.x[c.selected]), float(c.incidents.y[c.selected])
    for _ in range(3):
        _paint(c)
    layer = c._markers.layer
    assert layer is not None and c.phase is not None and len(c.hits) > 40
    assert sum(h.cluster is not None for h in c.hits) > 5 and sum(h.incident is not None for h in c.hits) > 5
    for _ in range(10):  # a drag: whole pixels, within the layer's margin
        c.pan_by(7, -4)
        _paint(c)
    assert c._markers.layer is layer, "the pan drew the markers again"
    _same_frame(c, _fresh(make_map, busy_store, c))

    c.pan_by(10.5, 0.25)  # a fraction of a pixel: the layer is drawn again on the screen's grid
    _paint(c)
    _paint(c)
    assert c._markers.layer is not layer
    _same_frame(c, _fresh(make_map, busy_store, c))

    _paint(c)  # (the comparison switched the incident layer off and on: clustered afresh)
    _paint(c)
    layer = c._markers.layer
    assert layer is not None
    c.pan_by(-c.width() / 3, 0)  # beyond the layer's margin, within what was clustered: drawn again
    _paint(c)
    assert c._markers.layer is not layer and c._markers.layer.serves(c._markers.layer.pins, c.view())
    _same_frame(c, _fresh(make_map, busy_store, c))


def test_changed_incidents_are_drawn_at_once_not_from_the_old_layer(busy_store, make_map):
    from widgets.map.view import STREET_SCALE

    view = make_map(busy_store, NOW, size=SIZE, layers=["incidents"])
    c = view.canvas
    c.set_view(c.cx, c.cy, STREET_SCALE)
    for _ in range(3):
        _paint(c)
    assert c._markers.layer is not None
    lone = next(h.incident for h in c.hits if h.incident is not None and 100 < h.x < 800 and 100 < h.y < 500)
    row = dict(busy_store.incidents[lone])
    busy_store.add_incidents([{**row, "severity": 1 + row["severity"] % 4, "kind": "gas_leak", "rev": row["rev"] + 1}])
    view.refresh(NOW)
    _paint(c)
    _paint(c)
    assert c._markers._pins.inc is c.incidents
    _same_frame(c, _fresh(make_map, busy_store, c))


def test_a_map_without_markers_keeps_no_layer_for_them(busy_store, make_map):
    """The layer is a transparent image a margin larger than the view: a map with its incident layer
    off (a wall of several maps) keeps none, and blits none at every frame."""
    view = make_map(busy_store, NOW, size=SIZE, layers=["incidents"])
    c = view.canvas
    for _ in range(2):
        _paint(c)
    assert c._markers.layer is not None
    c.toggle("incidents")
    for _ in range(3):
        c.pan_by(5, 0)
        _paint(c)
    assert c._markers.layer is None and not c.hits


def test_the_layer_gives_the_pixels_of_the_sprites_drawn_one_by_one(busy_store, qapp):
    """Pins and Layer alone: for views panned by whole pixels from the one the layer was drawn
    for, its blit equals drawing every sprite in place, at street zoom and at the closest (markers
    fanned out around their address)."""
    from console.map.live import incident_arrays
    from console.map.features import city_geometry
    from widgets.map import layers, pins
    from widgets.map.basemap import View
    from widgets.map.canvas import MAX_SCALE
    from widgets.map.markers import Sprites

    geo = city_geometry(busy_store.reference)
    inc = incident_arrays(busy_store, geo.projection)
    points = inc.active(NOW)
    x, y = float(np.median(inc.x)), float(np.median(inc.y))
    for scale, closest in ((2.0, False), (MAX_SCALE, True)):
        at = View(x, y, scale, 640, 400)
        cc = layers.clustered(None, ("busy", scale), at, inc, points, closest)
        drawn = pins.make_pins(cc, inc, Sprites(), 1.0)
        layer = pins.layer(drawn, at)
        for dx, dy in ((0, 0), (9, -5), (-130, 70)):
            view = View(x - dx / scale, y + dy / scale, scale, 640, 400)
            assert layer.serves(drawn, view)
            direct, blitted = (_painted(lambda p: drawn.draw(p, *drawn.shown(view))),
                               _painted(lambda p: layer.blit(p, view)))
            assert np.abs(direct - blitted).max() <= 2
            assert (direct != _painted(lambda p: None)).any(axis=2).sum() > 1000  # there is something to compare
        assert not layer.serves(drawn, View(x + 0.5 / scale, y, scale, 640, 400))  # off the grid
        assert not layer.serves(drawn, View(x + 400 / scale, y, scale, 640, 400))  # beyond the margin


def _painted(draw) -> np.ndarray:
    image = QImage(640, 400, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.darkBlue)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    draw(p)
    p.end()
    return np.frombuffer(image.constBits(), np.uint8).reshape(400, 640, 4).astype(int)



def test_the_furniture_is_measured_again_when_its_words_change(qapp, monkeypatch):
    """Its sizes are kept per wording (a pan frame asked for them twice, tens of font metrics
    each): other chips, another summary or the severity key's words in another language are
    measured afresh; counts that only change their digits are not (the frame stays put)."""
    from widgets.map import overlay

    chips = [overlay.chip_label(i, t) for i, t in enumerate(("Incidents", "Heat", "Units"))]
    first = overlay.furniture(chips, "12 active · 3 new", None)
    assert overlay.furniture(chips, "15 active · 0 new", None) is first
    assert overlay.furniture(chips[:2], "12 active · 3 new", None).chips == first.chips[:2]
    assert overlay.furniture(chips, "12 active · 3 new", "Heat · 1 h").keys[0] == first.keys[0]
    longer = overlay.furniture(chips, "12 active · 3 new · 4 closed", None)
    assert longer.keys[0][1].height() > first.keys[0][1].height()  # stacked: a line more
    monkeypatch.setattr(overlay, "core", lambda word: f"{word} (translated at length)")
    assert overlay.furniture(chips, "12 active · 3 new", None).keys[0][0].width() > first.keys[0][0].width()


def test_the_basemap_is_drawn_opaque_with_the_pixels_it_had_with_alpha(qapp):
    """The cached basemap covers the whole view, so it is kept without alpha: a pan frame's blit is
    then a copy, not a blend, and every pixel is what the same drawing with alpha gives."""
    from console.city import load_city
    from console.map.features import city_geometry
    from console.platform.geo import city_rows
    from widgets.map import style
    from widgets.map.basemap import Basemap, View

    basemap = Basemap(city_geometry(city_rows(load_city())))
    view = View(0.0, 0.0, 2.0, 700, 500)
    base, labels = basemap.render(view)
    assert base.format() == QImage.Format.Format_RGB32 and labels is None
    alpha = QImage(700, 500, QImage.Format.Format_ARGB32_Premultiplied)
    alpha.fill(style.LAND)
    p = QPainter(alpha)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    basemap.paint(p, view)
    basemap.paint_labels(p, view)
    p.end()
    assert base == alpha.convertToFormat(QImage.Format.Format_RGB32)


def test_basemaps_are_drawn_on_a_python_thread_of_the_maps_pool(qtbot):
    """Not on a QThreadPool thread: there pyproj 3.7 reused a freed PROJ context from the job before
    and the wall died in proj_create (pyproj#1509); a Python thread keeps its context for its life."""
    import threading

    from widgets.map import render

    seen: list[threading.Thread] = []
    render.pool().start(lambda: seen.append(threading.current_thread()))
    assert render.wait_for_renders(10_000)
    assert len(seen) == 1 and seen[0].name.startswith("cityops-maps")
    assert not isinstance(seen[0], threading._DummyThread), "a thread Python did not start"

"""Tiles' static parts from a pixmap cache (widgets/tile_layers.py): the same pixels as painting them,
painted afresh when what they show changes, never for a value change, bypassed for a recording painter."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from console.store import Store
from tests.raster import raster
from tests.text_sizes import drawn_text
from widgets import ViewContext, theme
from widgets import tiles
from widgets.tile_layers import StaticLayers
from widgets.tile_paint import TileMetrics, paint_tile
from widgets.tiles import TileGrid

NOW = 1_780_000_000.0


def _row(iid: int, name: str = "") -> dict:
    return {"id": iid, "code": f"t{iid}", "name": name or f"Drainage well level, Place {iid}",
            "category": "drainage", "unit": "%", "interval_s": 60.0, "bad": "high", "district_id": "x",
            "warn_low": None, "warn_high": 70.0, "alarm_low": None, "alarm_high": 90.0, "decimals": 0}


class Alarms:
    def __init__(self, pending: dict[int, int]):
        self.pending = pending

    def unacknowledged(self, indicator_id: int):
        return self.pending.get(indicator_id)


class Direct(StaticLayers):
    """Never blits: every static part painted straight onto the canvas, as before the cache."""

    def draw(self, p, m, s) -> bool:  # noqa: ARG002
        return False


@pytest.fixture
def grid(qapp, qtbot):
    theme.apply_theme(qapp)
    store = Store()
    store.load_reference({"indicators": [_row(i) for i in range(1, 7)]})
    ts = np.arange(NOW - 7200, NOW + 1, 60.0)
    for iid, value, end in ((1, 50, NOW), (2, 75, NOW), (3, 95, NOW), (4, 50, NOW - 1800), (6, 95, NOW)):
        keep = ts <= end
        store.add_readings(iid, ts[keep], 40 + (value - 40) * np.linspace(0, 1, keep.sum()))
    view = TileGrid(ViewContext(store, None, Alarms({6: 1})), {})
    qtbot.addWidget(view)
    view.resize(1200, 600)
    view.show()
    qtbot.waitExposed(view)
    view.refresh(NOW)
    yield view
    theme.use("high-performance")


def _shot(view: TileGrid) -> QImage:
    return view.canvas.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)


def _rects(view: TileGrid) -> list[QRect]:
    cols, _, w, h, xs, ys = view.canvas.layout_grid()
    return [QRect(xs[i % cols], ys[i // cols], w, h) for i in range(len(view.canvas.states))]


@pytest.mark.parametrize("look", ["high-performance", "classic"])
@pytest.mark.parametrize("phase", [0.0, 0.5])  # the flashing tile's bright and dim halves
def test_cached_static_parts_paint_the_very_same_pixels(grid, look, phase):
    theme.use(look)
    grid.refresh(NOW + 10 + phase)
    cached = _shot(grid)
    assert grid.canvas.layers.painted >= len(grid.canvas.states), "the static parts came from the cache"
    grid.canvas.layers = Direct()
    grid.canvas.update()
    assert _shot(grid) == cached


def _painted_both_ways(s, m: TileMetrics, dpr: float) -> list[tuple[QImage, StaticLayers | None]]:
    """The tile painted through the static layers' caches, then directly: (image, layers) each."""
    out = []
    for layers in (StaticLayers(), None):
        image, p = raster(300, 200, dpr, theme.SURFACE)
        if layers is not None:
            layers.start(p, [s])
        paint_tile(p, 17, 11, m, s, 40, None, layers)
        p.end()
        out.append((image, layers))
    return out


@pytest.mark.parametrize("dpr", [1.0, 2.0])
def test_a_blit_equals_painting_directly_at_any_whole_device_pixel_ratio(grid, dpr):
    s = grid.canvas.states[5]  # the flashing alarm: band, icon, word, chip and border all in play
    m = TileMetrics(230, 160, grid.canvas.font().family())
    (through, layers), (direct, _) = _painted_both_ways(s, m, dpr)
    assert layers.painted == 1
    assert through == direct


def test_a_value_change_redraws_no_static_part_and_only_its_own_tile(grid, monkeypatch):
    _shot(grid)
    painted = grid.canvas.layers.painted
    drawn = []
    real = tiles.paint_tile
    monkeypatch.setattr("widgets.tiles.paint_tile", lambda p, x, y, *a: drawn.append((x, y)) or real(p, x, y, *a))
    grid.store.add_readings(1, np.array([NOW + 0.5]), np.array([55.0]))  # a new figure, still normal
    grid.refresh(NOW + 1)
    QApplication.processEvents()
    first = _rects(grid)[0]
    assert grid.canvas.states[0].value == "55"
    assert drawn == [(first.left(), first.top())], "only the tile whose figure changed repaints"
    assert grid.canvas.layers.painted == painted, "a new value reuses the tile's static part"


def test_a_new_name_status_or_look_paints_the_static_part_afresh(grid):
    before = _shot(grid)
    layers = grid.canvas.layers
    painted = layers.painted
    grid.store.load_reference({"indicators": [_row(2, "Drainage well level, Harbour gate")]})
    grid.refresh(NOW + 1)
    after = _shot(grid)
    assert layers.painted == painted + 1, "the renamed tile alone"
    names = _rects(grid)[1]
    names.setHeight(names.height() // 2)
    assert after.copy(names) != before.copy(names), "the new name shows"

    grid.store.add_readings(1, np.array([NOW + 0.5]), np.array([80.0]))  # normal -> warning
    grid.refresh(NOW + 1)
    _shot(grid)
    assert layers.painted == painted + 2
    theme.use("classic")
    grid.canvas.update()
    classic = _shot(grid)
    assert layers.painted == painted + 2 + len(grid.canvas.states), "a new look repaints every static part"
    band = _rects(grid)[4]  # stale: its band's colour differs between the looks
    assert classic.pixelColor(band.right() - 20, band.top() + 8) != after.pixelColor(band.right() - 20, band.top() + 8)


def test_a_recording_painter_still_gets_every_name_drawn(grid):
    texts = {d.text for d in drawn_text(grid.canvas)}
    for s in grid.canvas.states:
        assert s.measure in texts and s.where in texts


def test_a_tile_turning_to_a_status_another_shows_copies_its_frame_and_keeps_its_names(grid):
    _shot(grid)
    layers = grid.canvas.layers
    painted, frames, names = layers.painted, layers.frames_painted, layers.names_painted
    assert names == len(grid.canvas.states), "one names' strip per tile"
    grid.store.add_readings(1, np.array([NOW + 0.5]), np.array([80.0]))  # normal -> warning, as tile 2 is
    grid.refresh(NOW + 1)
    flipped = _shot(grid)
    assert grid.canvas.states[0].status is grid.canvas.states[1].status
    assert layers.painted == painted + 1, "the tile's static part is put together afresh"
    assert (layers.frames_painted, layers.names_painted) == (frames, names), "from the warning frame and its names"
    grid.canvas.layers = Direct()
    grid.canvas.update()
    assert _shot(grid) == flipped


def test_a_new_tile_size_paints_frames_and_names_for_it(grid):
    _shot(grid)
    layers = grid.canvas.layers
    names = layers.names_painted
    grid.resize(1000, 560)
    grid.refresh(NOW + 1)
    resized = _shot(grid)
    assert layers.names_painted == names + len(grid.canvas.states), "every strip again, at the new size"
    assert max(len(layers._frames), len(layers._names), len(layers._pixmaps)) <= layers._limit
    grid.canvas.layers = Direct()
    grid.canvas.update()
    assert _shot(grid) == resized


@pytest.mark.parametrize("size", [(230, 160), (150, 100)])  # names' strip; too small for one: names painted on
@pytest.mark.parametrize("dpr", [1.0, 2.0])
@pytest.mark.parametrize("name", ["Équipe Jäger level, Ýpsilon gate (Çà)", "Jy||Qg pressure W" * 3 + ", ÅÉÍ"])
def test_names_from_their_strip_are_the_very_pixels_painted_directly(grid, size, dpr, name):
    s = replace(grid.canvas.states[5], name=name)  # flashing: the widest border
    m = TileMetrics(*size, grid.canvas.font().family())
    (through, _), (direct, _) = _painted_both_ways(s, m, dpr)
    assert through == direct


def test_a_paged_grid_paints_each_name_once_however_its_pages_turn(qapp, qtbot):
    """Its pages take turns through more tiles than SCREENFULS pages hold: the names stay kept."""
    theme.apply_theme(qapp)
    store = Store()
    store.load_reference({"indicators": [_row(i) for i in range(1, 41)]})
    for iid in range(1, 41):
        store.add_readings(iid, np.array([NOW - 60.0, NOW]), np.array([50.0, 51.0]))
    view = TileGrid(ViewContext(store), {})
    qtbot.addWidget(view)
    view.resize(700, 520)
    view.show()
    qtbot.waitExposed(view)
    layers = view.canvas.layers
    for turn in range(2 * 40):
        view.refresh(NOW + turn * tiles.PAGE_S)
        _shot(view)
        if layers.names_painted == 40:
            break
    pages = view.page[1]
    assert 3 * len(view.canvas.states) < 40 and pages > 3, "more tiles than three pages hold"
    for turn in range(2 * pages):  # every page again, twice
        view.refresh(NOW + (100 + turn) * tiles.PAGE_S)
        _shot(view)
    assert layers.names_painted == 40, "each tile's names painted once"

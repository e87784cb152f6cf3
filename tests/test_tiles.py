"""Indicator tiles: status by colour and shape, trend, sparkline, flashing, grid fill (pytest-qt, offscreen)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication

from console.model.indicator import Indicator, Status
from console.store import Store
from widgets import ViewContext, theme
from widgets import tile_paint, tile_spark, tile_summary, tiles
from widgets.tiles import TileGrid, Trend, grid_shape, trend_of

NOW = 1_780_000_000.0


def _row(iid: int, code: str, **kw) -> dict:
    row = {"id": iid, "code": code, "name": f"Drainage well level, Place {iid}", "category": "drainage",
           "unit": "%", "interval_s": 60.0, "bad": "high", "district_id": "x", "warn_low": None,
           "warn_high": 70.0, "alarm_low": None, "alarm_high": 90.0, "decimals": 0}
    return {**row, **kw}


def _store(series: dict[int, tuple[np.ndarray, np.ndarray]], rows: list[dict]) -> Store:
    store = Store()
    store.load_reference({"indicators": rows})
    for iid, (ts, values) in series.items():
        store.add_readings(iid, np.asarray(ts, float), np.asarray(values, float))
    return store


def _flat(value: float, start: float = NOW - 7200, end: float = NOW, step: float = 60.0):
    ts = np.arange(start, end + 1, step)
    return ts, np.full(len(ts), value)


class Alarms:
    """Stand-in for the wall's alarm manager: only the one call the tiles make."""

    def __init__(self, pending: dict[int, int] | None = None):
        self.pending = dict(pending or {})

    def unacknowledged(self, indicator_id: int):
        return self.pending.get(indicator_id)


@pytest.fixture
def make_grid(qapp, qtbot):
    theme.apply_theme(qapp)

    def make(store: Store, alarms=None, size=(1200, 600), **params) -> TileGrid:
        grid = TileGrid(ViewContext(store, None, alarms), params)
        qtbot.addWidget(grid)
        grid.resize(*size)
        grid.show()
        qtbot.waitExposed(grid)
        return grid
    return make


def _tiles(grid: TileGrid):
    """(QRect, TileMetrics) of each tile, as the canvas lays them out."""
    canvas = grid.canvas
    cols, _, w, h, xs, ys = canvas.layout_grid()
    grid_px, _ = canvas.value_sizes(w, h)
    m = canvas.metrics(w, h, grid_px)
    return [(QRect(xs[i % cols], ys[i // cols], w, h), m) for i in range(len(canvas.states))]


def _shot(grid: TileGrid) -> QImage:
    return grid.canvas.grab().toImage()


def _near(a: QColor, b: QColor, tol: int = 40) -> bool:
    return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue()) <= tol


# -- status ------------------------------------------------------------------------------------
@pytest.fixture(params=["high-performance", "classic"])
def look(request):
    yield theme.use(request.param)
    theme.use("high-performance")


def test_status_shows_by_band_colour_and_by_a_shape_of_its_own(make_grid, look):
    rows = [_row(1, "ok"), _row(2, "warn"), _row(3, "alarm"), _row(4, "stale"), _row(5, "none")]
    store = _store({1: _flat(50), 2: _flat(75), 3: _flat(95), 4: _flat(50, end=NOW - 1800)}, rows)
    grid = make_grid(store)
    grid.refresh(NOW)
    states = grid.canvas.states
    assert [s.status for s in states] == [Status.NORMAL, Status.WARNING, Status.ALARM, Status.STALE, Status.NODATA]
    assert states[3].age_text == "30 min ago" and states[0].age_text == ""
    image = _shot(grid)
    masks = []
    for (rect, m), s in zip(_tiles(grid), states):
        quiet = look.quiet_normal and s.status is Status.NORMAL
        band = theme.SURFACE_RAISED if quiet else theme.STATUS_COLOURS[s.status]
        probe = image.pixelColor(rect.right() - int(2 * m.pad), rect.top() + int(m.band_h / 2))
        assert probe.name() == band.name(), s.status
        icon = m.icon.translated(rect.left(), rect.top()).toAlignedRect()
        mask = np.array([[not _near(image.pixelColor(x, y), band, 60) for x in range(icon.left(), icon.right())]
                         for y in range(icon.top(), icon.bottom())])
        if quiet:  # high-performance: normal is quiet, no shape and no word
            assert not mask.any(), "a normal tile shows nothing in its band"
            continue
        assert 0.1 < mask.mean() < 0.9, f"{s.status} has a visible icon"
        masks.append(mask)
    for i in range(len(masks)):
        for j in range(i + 1, len(masks)):
            assert (masks[i] != masks[j]).mean() > 0.08, f"shapes {i} and {j} look alike"


def test_stale_value_is_greyed(make_grid):
    store = _store({1: _flat(50), 2: _flat(50, end=NOW - 1800)}, [_row(1, "a"), _row(2, "b")])
    grid = make_grid(store, size=(800, 300))
    grid.refresh(NOW)
    image = _shot(grid)
    bright = []
    for rect, m in _tiles(grid):
        y = int(m.value_y - m.value_px * 0.35)  # through the middle of the digits
        bright.append(sum(_near(image.pixelColor(x, y), theme.TEXT, 30) for x in range(rect.left(), rect.right())))
    assert bright[0] > 5 and bright[1] == 0


# -- trend -------------------------------------------------------------------------------------
def test_trend_arrow_follows_the_last_ten_minutes(make_grid):
    ts = np.arange(NOW - 3600, NOW + 1, 60.0)
    rng = np.random.default_rng(3)
    rising = np.where(ts < NOW - 600, 50.0, 50.0 + (ts - (NOW - 600)) / 600 * 12)  # +12 %-points in 10 min
    falling = np.where(ts < NOW - 600, 60.0, 60.0 - (ts - (NOW - 600)) / 600 * 12)
    noisy = 50 + rng.normal(0, 1.5, len(ts))  # no move, only noise
    rows = [_row(1, "up"), _row(2, "down"), _row(3, "flat"), _row(4, "low", bad="low", warn_high=None,
                                                                  alarm_high=None, warn_low=30.0, alarm_low=20.0)]
    store = _store({1: (ts, rising), 2: (ts, falling), 3: (ts, noisy), 4: (ts, rising)}, rows)
    grid = make_grid(store)
    grid.refresh(NOW)
    got = [(s.trend, s.worse) for s in grid.canvas.states]
    assert got == [(Trend.UP, 1), (Trend.DOWN, -1), (Trend.FLAT, 0), (Trend.UP, -1)]
    # the arrow is drawn in the colour of its meaning: toward bad bright, away from bad dim
    image = _shot(grid)
    for (rect, m), colour in zip(_tiles(grid)[:2], (theme.TREND_WORSE, theme.TREND_BETTER)):
        box = m.arrow.translated(rect.left(), rect.top()).toAlignedRect()
        hits = sum(_near(image.pixelColor(x, y), colour) for x in range(box.left(), box.right())
                   for y in range(box.top(), box.bottom()))
        assert hits > box.width() * box.height() * 0.2


def test_trend_of_a_both_ways_indicator_and_too_little_data():
    ind = Indicator(1, "f", "Grid frequency", "power", "Hz", 10.0, "both", None, 49.9, 50.1, 49.8, 50.2, 3)
    ts = np.arange(NOW - 600, NOW + 1, 10.0)
    up = 49.95 + (ts - ts[0]) / 600 * 0.1
    assert trend_of(ind, ts, up, NOW) == (Trend.UP, 1)  # climbing above the middle: toward bad
    assert trend_of(ind, ts, up - 0.15, NOW) == (Trend.UP, -1)  # climbing back up from low: toward good
    assert trend_of(ind, ts[-3:], up[-3:], NOW) == (None, 0)  # under half the window: no arrow


# -- sparkline ---------------------------------------------------------------------------------
def _ink_columns(image: QImage, box: QRect) -> np.ndarray:
    """Which pixel columns of ``box`` hold something other than the tile's background."""
    bg = theme.SURFACE_RAISED
    return np.array([any(not _near(image.pixelColor(x, y), bg, 24) for y in range(box.top(), box.bottom()))
                     for x in range(box.left(), box.right())])


def test_sparkline_spans_the_last_hour_and_keeps_spikes(make_grid):
    ts = np.arange(NOW - 7200, NOW + 1, 10.0)
    spike = np.full(len(ts), 40.0)
    spike[np.searchsorted(ts, NOW - 1800)] = 65.0  # one reading, half an hour ago
    recent = ts >= NOW - 1800
    rows = [_row(1, "spike", interval_s=10.0), _row(2, "half", interval_s=10.0)]
    store = _store({1: (ts, spike), 2: (ts[recent], spike[recent] * 0 + 40)}, rows)
    grid = make_grid(store, size=(900, 420))
    grid.refresh(NOW)
    image = _shot(grid)
    (rect, m), (rect2, _) = _tiles(grid)[:2]
    box = m.spark.translated(rect.left(), rect.top()).toAlignedRect()
    cols = _ink_columns(image, box)
    assert cols[:3].any() and cols[-3:].any() and cols.mean() > 0.95, "the whole hour is drawn"
    top = QRect(box.left(), box.top(), box.width(), box.height() // 5)  # the spike reaches the top fifth
    spike_cols = np.flatnonzero(_ink_columns(image, top))
    assert len(spike_cols) and abs(spike_cols.mean() / box.width() - 0.5) < 0.05
    half = _ink_columns(image, m.spark.translated(rect2.left(), rect2.top()).toAlignedRect())
    first = np.flatnonzero(half)[0] / len(half)
    assert 0.45 < first < 0.55, "data of the last half hour fills the right half"


def test_sparkline_draws_thresholds_in_its_range():
    ts = np.arange(NOW - 3600, NOW + 1, 60.0)
    values = 60 + (ts - ts[0]) / 3600 * 20  # 60 .. 80: crosses warn 70, not alarm 90
    warn, alarm = tile_paint.limit_colours()
    levels = ((70.0, warn), (90.0, alarm))
    spark = tile_spark.build_spark(ts, values, NOW - 3600, NOW, 200, 40, levels, 180, 1.0)
    assert [c for _, c in spark.levels] == [warn]
    assert 0 < spark.levels[0][0] < 40 and len(spark.lines) == 1
    gappy = np.r_[ts[:20], ts[40:]]  # twenty minutes missing: the line breaks there
    assert len(tile_spark.build_spark(gappy, np.r_[values[:20], values[40:]], NOW - 3600, NOW, 200, 40,
                                      levels, 180, 1.0).lines) == 2


# -- flashing and repainting -------------------------------------------------------------------
def _border_colour(grid: TileGrid, now: float) -> QColor:
    grid.refresh(now)
    rect, m = _tiles(grid)[0]
    return _shot(grid).pixelColor(rect.left() + int(m.flash_border / 2), rect.center().y())


def test_unacknowledged_alarm_flashes_at_1hz_then_holds_steady(make_grid):
    store = _store({1: _flat(95), 2: _flat(50)}, [_row(1, "alarm"), _row(2, "ok")])
    alarms = Alarms({1: 1})
    grid = make_grid(store, alarms, size=(800, 300))
    t = NOW + 10.0  # int(t * 2) is even: the bright half
    bright, dim = _border_colour(grid, t), _border_colour(grid, t + 0.5)
    assert bright != dim and bright.lightness() > dim.lightness()
    assert _border_colour(grid, t + 1.0) == bright  # in step with the clock, not with the calls
    assert [s.flash for s in grid.canvas.states] == [1, None]

    alarms.pending.clear()  # acknowledged
    steady = _border_colour(grid, t + 1.5)
    assert _border_colour(grid, t + 2.0) == steady == theme.STATUS_COLOURS[Status.ALARM]
    alarms.pending[1] = 1  # while it flashes, each phase change paints...
    QApplication.processEvents()
    painted = grid.canvas.paints
    grid.refresh(t + 2.5)
    QApplication.processEvents()
    assert grid.canvas.paints == painted + 1
    alarms.pending.clear()  # ...once acknowledged it turns steady, then nothing changes and nothing paints
    grid.refresh(t + 2.75)
    QApplication.processEvents()
    painted = grid.canvas.paints
    for k in range(8):  # two seconds of 4 Hz refresh ticks
        grid.refresh(t + 3 + k * 0.25)
        QApplication.processEvents()
    assert grid.canvas.paints == painted


def test_an_alarm_that_returned_to_normal_unacknowledged_keeps_a_quiet_steady_mark(make_grid):
    """A standing unacknowledged alarm flashes a thick frame; one that returned to normal shows the
    ◆ UNACK chip, steady, in a quiet frame: after a storm the room's screens are not a wall of
    flashing magenta frames, and the mark still has colour, shape and word."""
    store = _store({1: _flat(50), 2: _flat(95)}, [_row(1, "returned"), _row(2, "standing")])
    grid = make_grid(store, Alarms({1: 2, 2: 1}), size=(800, 300))
    t = NOW + 10.0  # the bright half, then the dim one
    shots = []
    for now in (t, t + 0.5):
        grid.refresh(now)
        shots.append(_shot(grid))
    code = {s.code: i for i, s in enumerate(grid.canvas.states)}
    (returned, m), (standing, _) = _tiles(grid)[code["returned"]], _tiles(grid)[code["standing"]]
    assert not any(s.flash_on for s in grid.canvas.states if s.code == "returned")
    thick = m.flash_border / 2
    for shot in shots:
        frame = shot.pixelColor(returned.left() + 1, returned.center().y())
        assert _near(frame, theme.BORDER, 24), "a quiet frame"
        assert not _near(shot.pixelColor(returned.left() + int(thick), returned.center().y()), theme.UNACKED)
    chip = QRect(returned.right() - int(m.pad * 2), returned.top() + int(m.icon.top()), int(m.pad), int(m.icon.height()))
    assert all(any(_near(shot.pixelColor(x, chip.center().y()), theme.UNACKED, 12) for x in range(chip.left(), chip.right()))
               for shot in shots), "the chip, steady"
    frames = [shot.pixelColor(standing.left() + int(thick), standing.center().y()) for shot in shots]
    assert _near(frames[0], theme.UNACKED, 12) and frames[0] != frames[1], "a standing alarm still flashes its frame"


def test_flashing_repaints_only_on_phase_changes_and_only_its_tile(make_grid, monkeypatch):
    store = _store({1: _flat(95), 2: _flat(50), 3: _flat(50)}, [_row(1, "a"), _row(2, "b"), _row(3, "c")])
    grid = make_grid(store, Alarms({1: 2}), size=(900, 300))
    grid.refresh(NOW)
    QApplication.processEvents()
    painted = []
    real = tile_paint.paint_tile
    monkeypatch.setattr("widgets.tiles.paint_tile", lambda p, x, y, *a: painted.append((x, y)) or real(p, x, y, *a))
    for k in range(1, 5):  # 0.25 s ticks: the phase flips at NOW + 0.5 and NOW + 1.0
        grid.refresh(NOW + k * 0.25)
        QApplication.processEvents()
    first = _tiles(grid)[0][0]
    assert painted == [(first.left(), first.top())] * 2


def test_new_data_rebuilds_only_that_sparkline(make_grid, monkeypatch):
    rows = [_row(i, f"i{i}") for i in range(1, 7)]
    store = _store({i: _flat(40 + i) for i in range(1, 7)}, rows)
    grid = make_grid(store, size=(1200, 500))
    built = []
    real = tile_spark.build_spark
    monkeypatch.setattr("widgets.tiles.build_spark", lambda *a: built.append(1) or real(*a))
    grid.refresh(NOW)
    _shot(grid)
    assert len(built) == 6
    _shot(grid)
    assert len(built) == 6, "painting again reuses the polylines"
    store.add_readings(3, np.array([NOW + 30]), np.array([60.0]))
    grid.refresh(NOW + 31)
    _shot(grid)
    assert len(built) == 7, "only the tile with new data rebuilds its sparkline"


def _canvas_on_screen(qtbot, grid: TileGrid) -> QImage:
    """The canvas's pixels as the window shows them (its backing store), once pending paints ran."""
    qtbot.wait(30)
    top = grid.canvas.mapTo(grid.window(), QPoint(0, 0))
    size = grid.canvas.size()
    shot = grid.window().windowHandle().screen().grabWindow(grid.window().winId(), top.x(), top.y(),
                                                             size.width(), size.height())
    return shot.toImage().convertToFormat(QImage.Format.Format_RGB32)


def test_changed_tiles_paint_each_under_a_one_rectangle_clip_and_as_a_full_repaint_would(make_grid, qtbot,
                                                                                          monkeypatch):
    """Tiles apart from each other make an update region of several rectangles; each tile is
    painted clipped to its own rectangle (Qt's raster engine copies then, instead of blending
    span by span on its thread pool), and the screen shows what a fresh full drawing shows."""
    rows = [_row(i, f"i{i}") for i in range(1, 7)]
    store = _store({i: _flat(40 + i) for i in range(1, 7)}, rows)
    grid = make_grid(store, size=(1200, 500))
    grid.refresh(NOW)
    _canvas_on_screen(qtbot, grid)
    clips = []
    real = tile_paint.paint_tile
    monkeypatch.setattr("widgets.tiles.paint_tile",
                        lambda p, x, y, *a: clips.append((x, y, p.clipRegion().rectCount())) or real(p, x, y, *a))
    for iid in (1, 3, 5):  # no two side by side
        store.add_readings(iid, np.array([NOW + 30]), np.array([60.0 + iid]))
    grid.refresh(NOW + 31)
    shown = _canvas_on_screen(qtbot, grid)
    rects = [rect for rect, _ in _tiles(grid)]
    assert clips == [(rects[k].left(), rects[k].top(), 1) for k in (0, 2, 4)]
    monkeypatch.undo()
    assert shown == grid.canvas.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)


# -- grid --------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(1920, 1080), (3840, 2160), (1280, 720), (1240, 640), (420, 1600)])
@pytest.mark.parametrize("n", [6, 13, 24, 50, 120])
def test_grid_fills_its_area(size, n):
    width, height = size
    cols, rows = grid_shape(n, width, height)
    assert cols * rows >= n and cols * (rows - 1) < n, "no empty row"
    assert (cols * rows - n) / (cols * rows) <= 0.2
    aspect = (width / cols) / (height / rows)
    assert 0.75 < aspect < 3.0, f"{cols}×{rows} tiles of aspect {aspect:.2f}"


def test_grid_shapes_of_the_walls():
    assert grid_shape(24, 1240, 640) == (6, 4)
    assert grid_shape(120, 1920, 1080) == (12, 10)
    assert grid_shape(120, 3840, 2160) == (12, 10)
    assert grid_shape(24, 420, 1600)[0] == 2  # tall and narrow: two columns, not one long strip


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720), (420, 1600)])
def test_tiles_reach_every_edge(make_grid, size):
    rows = [_row(i, f"i{i}") for i in range(1, 25)]
    grid = make_grid(_store({i: _flat(40) for i in range(1, 25)}, rows), size=size)
    grid.refresh(NOW)
    canvas = grid.canvas
    cols, n_rows, w, h, xs, ys = canvas.layout_grid()
    assert xs[-1] + w == canvas.width() and ys[-1] + h == canvas.height()
    used = len(canvas.states) * w * h / (canvas.width() * canvas.height())
    assert used > 0.85


# -- a real wall ---------------------------------------------------------------------------------
def test_storm_wall_of_120_tiles(demo_platform, tmp_path, make_grid):
    from console.cache import Cache
    from console.platform.create import read_scenario
    from console.store.warm import warm_store
    from console.sync.sql_connector import SqlConnector
    from console.sync.engine import SyncEngine

    storm = read_scenario(demo_platform)["storms"][0]
    cache = Cache(tmp_path / "cache.db")
    SyncEngine(SqlConnector(demo_platform), cache).catch_up()
    at = storm.start + 0.6 * (storm.end - storm.start)
    store = Store()
    warm_store(store, cache, at)
    codes = [i.code for i in sorted(store.indicators.values(), key=lambda i: i.id)][:120]
    grid = make_grid(store, size=(2680, 1660), indicators=codes)  # 120 readable tiles need two screens' worth
    grid.refresh(at)
    states = grid.canvas.states
    assert len(states) == 120 and grid.canvas.layout_grid()[:2] == (12, 10)
    assert any(s.status is Status.ALARM for s in states)
    drains = [s for s in states if s.code.startswith("drainage.level")]
    assert sum(s.trend is Trend.UP and s.worse == 1 for s in drains) >= len(drains) // 3
    assert sum(s.spark is not None for s in states) == 120
    _shot(grid).save(str(tmp_path / "tiles_120.png"))


def test_tiles_page_instead_of_shrinking_and_abnormal_ones_stay_on_every_page(make_grid):
    rows = [_row(i, f"site {i}") for i in range(1, 25)]
    store = _store({i: _flat(95.0 if i == 20 else 50.0) for i in range(1, 25)}, rows)  # site 20 in alarm
    grid = make_grid(store, size=(900, 320))  # too small for 24 readable tiles
    grid.refresh(NOW)
    per_page = len(grid.canvas.states)
    assert 1 < per_page < 24 and grid.page[1] > 1
    _, _, w, h, _, _ = grid.canvas.layout_grid()
    assert w >= tiles.MIN_TILE[0] and h >= tiles.MIN_TILE[1], "every tile keeps a readable size"
    assert "PAGE 1 OF" in grid.title_label.text()
    seen = set()
    for k in range(grid.page[1]):
        grid.refresh(NOW + k * tiles.PAGE_S)
        codes = [s.code for s in grid.canvas.states]
        assert codes[0] == "site 20", "the alarm is on every page, first"
        seen |= set(codes)
    assert len(seen) == 24, "every tile is shown on some page"
    grid.resize(1800, 900)  # room for all: one page again
    grid.refresh(NOW + 100)
    assert len(grid.canvas.states) == 24 and grid.page == (1, 1)



class VersionedAlarms(Alarms):
    """The alarm manager's other part the grid reads: a version that moves with what it shows."""

    version = 1


def test_the_page_order_is_sorted_again_only_when_a_tiles_urgency_changes(make_grid):
    rows = [_row(i, f"site {i}") for i in range(1, 25)]
    store = _store({i: _flat(95.0 if i == 20 else 50.0) for i in range(1, 25)}, rows)  # site 20 in alarm
    alarms = VersionedAlarms()
    grid = make_grid(store, alarms, size=(900, 320))  # paged, as in the test above
    grid.refresh(NOW)
    sorts = grid.order.sorts
    assert [s.code for s in grid.canvas.states][0] == "site 20"
    shown = [s.code for s in grid.canvas.states]
    store.add_readings(int(shown[1].split()[1]), np.array([NOW + 1]), np.array([55.0]))  # still normal
    alarms.version += 1  # the alarms moved too, but nothing of this grid's
    grid.refresh(NOW + 1)
    assert grid.order.sorts == sorts, "a batch that moves no tile's urgency sorts nothing"
    assert grid.canvas.states[1].value == "55", "and still shows the new figure"
    store.add_readings(3, np.array([NOW + 2]), np.array([75.0]))  # site 3 to warning
    grid.refresh(NOW + 2)
    assert grid.order.sorts == sorts + 1
    assert [s.code for s in grid.canvas.states][:2] == ["site 20", "site 3"], "the alarm, then the warning"
    alarms.pending[7] = 1  # an alarm of site 7 waits for acknowledgement: it goes before the normal ones
    alarms.version += 1
    grid.refresh(NOW + 3)
    assert [s.code for s in grid.canvas.states][:3] == ["site 20", "site 3", "site 7"]
    del alarms.pending[7]  # acknowledged
    alarms.version += 1
    grid.refresh(NOW + 4)
    assert [s.code for s in grid.canvas.states][:2] == ["site 20", "site 3"]
    assert "site 7" not in [s.code for s in grid.canvas.states][2:3]
    # time alone: with no new data the alarm's figure goes stale and it leaves the front of every page
    grid.refresh(NOW + 3 * 60 + 1)
    assert [s.code for s in grid.canvas.states][0] != "site 20"


def test_a_tile_flapping_into_warning_pins_at_once_and_leaves_the_other_tiles_of_the_page_where_they_were(make_grid):
    """Within a page's turn the normal tiles shown stay those the turn began with: a tile going into
    warning and back moves to the front and back, and the page's others stay (before, the count
    pinned changed the page count and slots, so the whole page showed other tiles at each flap)."""
    rows = [_row(i, f"site {i}") for i in range(1, 41)]
    store = _store({i: _flat(95.0 if i == 20 else 50.0) for i in range(1, 41)}, rows)  # site 20 in alarm
    grid = make_grid(store, size=(900, 320))
    t = NOW + 2 * tiles.PAGE_S  # a page after the first, so the turn's page moves when the page count does
    grid.refresh(t)
    before = [s.code for s in grid.canvas.states]
    assert before[0] == "site 20" and grid.page[1] > 2
    flapping = next(f"site {i}" for i in range(1, 41) if f"site {i}" not in before)  # on another page
    iid = int(flapping.split()[1])
    store.add_readings(iid, np.array([t + 1]), np.array([75.0]))  # into warning: pinned at once, after the alarm
    grid.refresh(t + 1)
    warned = [s.code for s in grid.canvas.states]
    assert warned[:2] == ["site 20", flapping] and grid.canvas.states[1].status is Status.WARNING
    assert warned[2:] == before[1:len(warned) - 1], "the page's other tiles stay, in their order"
    store.add_readings(iid, np.array([t + 2]), np.array([60.0]))  # back to normal: it leaves the page it is not on
    grid.refresh(t + 2)
    assert [s.code for s in grid.canvas.states] == before
    grid.refresh(t + tiles.PAGE_S)  # the next turn pages on
    assert not {s.code for s in grid.canvas.states[1:]} & set(before[1:])


def test_a_batch_works_out_again_only_the_statuses_it_brought_readings_for_and_time_still_makes_them_stale(make_grid):
    """The page order asks every chosen indicator's status at each refresh (ten a second at the
    leading edge); one that got no reading keeps its status until its figure ages into stale."""
    rows = [_row(i, f"site {i}") for i in range(1, 25)]
    store = _store({i: _flat(95.0 if i == 20 else 50.0) for i in range(1, 25)}, rows)  # site 20 in alarm
    grid = make_grid(store, size=(900, 320))  # paged: the order covers all 24
    grid.refresh(NOW)
    worked_out = grid.order.worked_out
    store.add_readings(3, np.array([NOW + 1]), np.array([75.0]))  # site 3 to warning
    grid.refresh(NOW + 1)
    assert grid.order.worked_out == worked_out + 1, "only site 3's status was worked out again"
    assert [s.code for s in grid.canvas.states][:2] == ["site 20", "site 3"]
    stale_at = NOW + 3 * 60  # three intervals of 60 s after the readings at NOW
    grid.refresh(stale_at)
    assert grid.canvas.states[0].code == "site 20", "not stale yet at exactly three intervals"
    grid.refresh(stale_at + 0.5)
    assert [s.code for s in grid.canvas.states][0] == "site 3", "the alarm's figure went stale: the warning leads"
    assert grid.order.status(store.indicators[20], stale_at + 0.5) is Status.STALE


def test_a_grid_that_could_not_page_through_its_group_in_time_summarises_and_never_hides_an_alarm(make_grid):
    """80 indicators, 3 in alarm, a screen page shown 30 s that holds four tiles: the alarms are
    tiles of their own and a summary counts the other 77; with more alarms than slots, on every
    page each alarm is a tile or counted and named in the summary."""
    rows = [_row(i, f"site {i}", category=("power", "water")[i % 2]) for i in range(1, 81)]
    store = _store({i: _flat(95.0 if i in (7, 41, 66) else 50.0) for i in range(1, 81)}, rows)
    grid = make_grid(store, Alarms({41: 1, 30: 2}), size=(900, 320), title="Utilities")
    grid.shown_for_s = 30.0
    grid.refresh(NOW)
    *shown, summary = grid.canvas.states
    assert [s.code for s in shown] == ["site 41", "site 7", "site 66"]  # the unacknowledged alarm first
    assert isinstance(summary, tiles.SummaryState) and grid.page == (1, 1)
    assert (summary.title, summary.total, summary.counts) == ("Utilities", 77, ((Status.NORMAL, 77),))
    # an alarm that returned to normal unacknowledged is no tile of its own here, but counted and named
    assert summary.unacked == 1 and summary.named == ((Status.NORMAL, True, "Place 30"),)
    _, _, w, h, _, _ = grid.canvas.layout_grid()
    assert w >= tiles.MIN_TILE[0] and h >= tiles.MIN_TILE[1], "every tile keeps a readable size"

    for i in (12, 13, 14, 15):  # more alarms than the slots beside the summary: they take turns
        store.add_readings(i, np.array([NOW + 1.0]), np.array([95.0 if i < 15 else 75.0]))
    grid.shown_for_s = 15.0  # two pages of abnormal tiles alone would take 20 s
    seen: set[str] = set()
    for k in range(3):
        grid.refresh(NOW + 1 + k * tiles.PAGE_S)
        *shown, summary = grid.canvas.states
        alarms = {s.code for s in shown if s.status is Status.ALARM}
        assert summary.total == 80 - len(shown) and sum(n for _, n in summary.counts) == summary.total
        assert summary.count(Status.ALARM) == 6 - len(alarms), "an alarm not shown is counted"
        assert sum(st is Status.ALARM for st, _, _ in summary.named) == min(6 - len(alarms), tile_summary.NAMED), \
            "... and the worst named"
        assert summary.count(Status.WARNING) + sum(s.status is Status.WARNING for s in shown) == 1
        assert summary.count(Status.NORMAL) == 73
        seen |= alarms
    assert grid.page[1] == 3 and len(seen) == 6, "each alarm comes round as a tile of its own"

    grid.shown_for_s = 30.0
    grid.resize(1800, 1000)  # 48 tiles a page: two pages, which come round in 30 s
    grid.refresh(NOW + 100)
    assert grid.page[1] == 2 and not any(isinstance(s, tiles.SummaryState) for s in grid.canvas.states)
    grid.shown_for_s = 10.0  # but not in 10 s: every abnormal tile and a summary per category, on one page
    grid.refresh(NOW + 101)
    by_title = {s.title: s for s in grid.canvas.states if isinstance(s, tiles.SummaryState)}
    assert grid.page == (1, 1) and set(by_title) == {"Power", "Water supply"}
    assert sum(s.total for s in by_title.values()) == 73 and not any(s.count(Status.ALARM) for s in by_title.values())
    grid.shown_for_s = None  # always on screen: it pages, every tile comes round
    grid.resize(900, 320)
    grid.refresh(NOW + 200)
    assert grid.page[1] > 10 and all(isinstance(s, tiles.TileState) for s in grid.canvas.states)


def test_a_summary_names_its_worst_by_what_tells_them_apart(make_grid):
    rows = [_row(1, "a", name="Traffic congestion, Kallio"), _row(2, "b", name="Drainage well level, Kallio #1"),
            _row(3, "c", name="Traffic congestion, Kamppi")]
    store = _store({i: _flat(95.0) for i in (1, 2, 3)}, rows)
    grid = make_grid(store, title="Kallio")

    def named(*ids: int) -> set[str]:
        return {n for _, _, n in grid.summary("", [store.indicators[i] for i in ids], NOW, True).named}

    assert named(1, 2, 3) == {"Traffic congestion", "Drainage well level, Kallio #1", "Traffic congestion, Kamppi"}
    assert named(1, 3) == {"Kallio", "Kamppi"}  # all measure the same: where tells them apart

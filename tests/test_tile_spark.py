"""A tile's sparkline kept as readings come (widgets/tiles.py, tile_spark.appended): a reading that
adds to its last pixel column inside that column's range moves only its last point, and whatever
comes, the sparkline shown is the one a fresh build draws."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRect

from console.store import Store
from widgets import ViewContext, theme, tile_spark
from widgets.tiles import SPARK_S, TileGrid

NOW = 1_780_000_000.0


def _points(poly) -> list[tuple[float, float]]:
    return [(q.x(), q.y()) for q in poly]


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return ([_points(p) for p in a.lines] == [_points(p) for p in b.lines]
            and [_points(p) for p in a.areas] == [_points(p) for p in b.areas]
            and a.levels == b.levels and a.last == b.last and a.y_range == b.y_range)


@pytest.fixture
def grid(qapp, qtbot, monkeypatch):
    theme.apply_theme(qapp)
    store = Store()
    store.load_reference({"indicators": [{"id": 1, "code": "t1", "name": "Level, Place 1", "category": "drainage",
                                          "unit": "%", "interval_s": 1.0, "bad": "high", "warn_high": 70.0,
                                          "alarm_high": 90.0, "decimals": 1}]})
    view = TileGrid(ViewContext(store), {})
    qtbot.addWidget(view)
    view.resize(900, 300)
    view.show()
    qtbot.waitExposed(view)
    built = []
    real = tile_spark.build_spark
    monkeypatch.setattr("widgets.tiles.build_spark", lambda *a: built.append(1) or real(*a))
    view.built = built
    return view


def _shown(view: TileGrid, iid: int):
    """The sparkline the canvas draws for ``iid`` now, and the one a fresh build draws."""
    canvas = view.canvas
    _, _, w, h, _, _ = canvas.layout_grid()
    m = canvas.metrics(w, h, canvas.value_sizes(w, h)[0])
    state = next(s for s in canvas.states if s.iid == iid)
    kept = canvas._spark(m, state)
    entry = canvas._sparks.pop(iid)
    fresh = canvas._spark(m, state)
    canvas._sparks[iid] = entry  # the kept one goes on taking readings
    return kept, fresh


def test_a_reading_inside_its_last_columns_range_moves_only_the_last_point(grid):
    store = grid.store
    store.add_readings(1, np.arange(NOW - 600, NOW + 1, 1.0), 50 + 5 * np.sin(np.arange(601) / 7))
    grid.refresh(NOW)
    grid.canvas.grab()
    before = len(grid.built)
    kept = grid.canvas._sparks[1].spark
    column_s = SPARK_S / int(grid.canvas.metrics(*grid.canvas.layout_grid()[2:4]).spark.width())
    t = NOW + 0.5  # within the column NOW is in (the window ends on a column's edge)
    assert t // column_s == NOW // column_s, "in the column NOW is in"
    _, lo, hi = grid.canvas._sparks[1].drawn.column
    store.add_readings(1, np.array([t]), np.array([(lo + hi) / 2]))  # inside the column's range
    grid.refresh(t)
    grid.canvas.grab()
    now_kept = grid.canvas._sparks[1].spark
    assert len(grid.built) == before, "no sparkline built again"
    assert [_points(p) for p in now_kept.lines] == [_points(p) for p in kept.lines], "the line stays"
    assert now_kept.last.x() == kept.last.x() and now_kept.last.y() != kept.last.y(), "the last point moves"
    shown, fresh = _shown(grid, 1)
    assert _same(shown, fresh), "as a fresh build draws it"


@pytest.mark.parametrize("value, dt", [(99.0, 0.5), (20.0, 0.5), (50.0, 60.0)])
def test_a_new_extreme_or_a_new_column_builds_it_again(grid, value, dt):
    store = grid.store
    store.add_readings(1, np.arange(NOW - 600, NOW + 1, 1.0), 50 + 5 * np.sin(np.arange(601) / 7))
    grid.refresh(NOW)
    grid.canvas.grab()
    before = len(grid.built)
    store.add_readings(1, np.array([NOW + dt]), np.array([value]))
    grid.refresh(NOW + dt)
    grid.canvas.grab()
    assert len(grid.built) == before + 1
    shown, fresh = _shown(grid, 1)
    assert _same(shown, fresh)


def test_whatever_comes_the_sparkline_is_what_a_fresh_build_draws(grid):
    """Readings at 17 a second, as bench_vitals c writes them, with spikes and holes."""
    store, rng = grid.store, np.random.default_rng(5)
    t = NOW
    store.add_readings(1, np.array([t - 30.0]), np.array([50.0]))
    moved = 0
    for k in range(300):
        before = len(grid.built)
        n = int(rng.integers(0, 4))
        ts = t + np.sort(rng.uniform(0, 0.1, n))
        if rng.random() < 0.02:
            ts = ts + 40.0  # a hole in the data
        store.add_readings(1, ts, 50 + rng.normal(0, 10, n))
        t = max(t + 0.1, float(max(s.last_ts for s in store.series.values())))
        grid.refresh(t)
        grid.canvas.grab(QRect(0, 0, 10, 10))
        if grid.canvas._sparks.get(1) is not None:
            built = len(grid.built)
            shown, fresh = _shown(grid, 1)
            assert _same(shown, fresh), f"after batch {k}"
            moved += built == before
    assert moved > 100, "most batches moved only the last points"

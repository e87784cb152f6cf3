"""The trend chart and the history behind it (pytest-qt, offscreen).

The store is built with a short horizon, so it holds less than the cache: whatever the chart
shows further back must have come from the cache through ``HistorySource`` on a worker.
"""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QWheelEvent

from console.cache import Cache
from console.cache.rollups import Retention, prune, read_rollup
from console.shell.qt_setup import qt_app
from console.store import Store
from console.store.history import HistorySource
from console.store.warm import warm_store
from console.sync.sql_connector import SqlConnector
from console.sync.engine import SyncEngine
from widgets.base import ViewContext
from widgets.trend import TrendChart
from widgets.trend_window import parse_window, window_label
from widgets.trend_history import wait_for_fetches

END = 1_780_000_000.0
HORIZON = 1800.0  # the store keeps 30 min; the cache has the platform's 3 h
DRAIN = "drainage.level.kluuvi.1"


@pytest.fixture(scope="module")
def cache(demo_platform, tmp_path_factory):
    folder = tmp_path_factory.mktemp("trend")
    shutil.copy(demo_platform.removeprefix("sqlite:///"), folder / "platform.db")
    cache = Cache(folder / "cache.db")
    SyncEngine(SqlConnector(f"sqlite:///{folder / 'platform.db'}"), cache).catch_up()
    yield cache
    cache.close()


@pytest.fixture
def store(cache):
    store = Store(horizon_s=HORIZON)
    warm_store(store, cache, END)
    return store


@pytest.fixture(autouse=True)
def _no_fetch_outlives_a_test():
    yield
    assert wait_for_fetches(10_000)


class FakeAlarms:
    def __init__(self, events):
        self.list = events

    def events(self, t0, t1):
        return [e for e in self.list if t0 <= e[0] <= t1]


def chart_for(qtbot, store, cache=None, alarms=None, **params) -> TrendChart:
    qt_app()
    params.setdefault("indicators", [DRAIN])
    ctx = ViewContext(store=store, history=HistorySource(cache) if cache else None, alarms=alarms)
    chart = TrendChart(ctx, params)
    qtbot.addWidget(chart)
    chart.resize(1000, 420)
    chart.show()
    qtbot.waitExposed(chart)
    chart.refresh(END)
    return chart


def curve_points(chart, iid):
    x, y = chart.curves[iid].getData()
    finite = np.isfinite(y)
    return x[finite], y[finite]


# -- HistorySource --------------------------------------------------------------------------
def test_history_source_reads_raw_near_and_rollups_far(cache, store):
    source = HistorySource(cache)
    drain, freq = store.by_code[DRAIN], store.by_code["power.frequency"]
    near = source.fetch(drain, END - 3600, END)
    assert near.resolution == "raw" and not near.is_rollup
    ts, values = cache.read_range(drain.id, END - 3600, END)
    assert np.array_equal(near.ts, ts) and np.array_equal(near.values, values) and len(near) == 60

    far = source.fetch(drain, END - 7 * 86400, END)
    assert far.resolution == "1h" and far.is_rollup
    rows = read_rollup(cache.engine, drain.id, END - 7 * 86400 - 3600, END, "1h")
    assert np.array_equal(far.ts, rows["bucket"] + 1800)  # bucket centres
    assert np.array_equal(far.values, rows["mean"])
    assert np.array_equal(far.vmin, rows["min"]) and np.array_equal(far.vmax, rows["max"])
    assert np.all(far.vmin <= far.values) and np.all(far.values <= far.vmax)

    minutes = source.fetch(freq, END - 3 * 3600, END, max_points=500)  # 10 s readings: 1080 raw
    assert minutes.resolution == "1m"
    rows = read_rollup(cache.engine, freq.id, END - 3 * 3600 - 60, END, "1m")
    assert np.array_equal(minutes.values, rows["mean"]) and len(minutes) == len(rows["mean"])


def test_history_source_falls_back_where_raw_rows_were_pruned(cache, tmp_path):
    shutil.copy(cache.path, tmp_path / "cache.db")
    pruned = Cache(tmp_path / "cache.db")
    try:
        prune(pruned.engine, END, Retention(raw_s=7200))  # raw rows older than 2 h are gone
        store = Store()
        store.load_reference(pruned.reference())
        drain = store.by_code[DRAIN]
        old = HistorySource(pruned).fetch(drain, END - 3 * 3600, END - 2.5 * 3600)
        assert old.resolution == "1m" and len(old) >= 29  # a 30 min span would be raw, but raw is gone
        recent = HistorySource(pruned).fetch(drain, END - 3600, END)
        assert recent.resolution == "raw"
    finally:
        pruned.close()


# -- the chart ------------------------------------------------------------------------------
def test_panning_before_the_store_fetches_history_from_the_cache(qtbot, cache, store):
    chart = chart_for(qtbot, store, cache)
    iid = store.by_code[DRAIN].id
    assert chart.loader.requested == 0, "15 min fit in the store: no history needed"
    assert len(store.window(iid, END - 3 * 3600, END - 2 * 3600)[0]) == 0

    chart.show_range(END - 3 * 3600, END - 2 * 3600)
    assert not chart.following
    qtbot.waitUntil(lambda: bool(chart.history) and chart.loader.pending is None, timeout=10_000)
    x, y = curve_points(chart, iid)
    old = (x >= END - 3 * 3600) & (x <= END - 2 * 3600)
    ts, values = cache.read_range(iid, END - 3 * 3600, END - 2 * 3600)
    assert len(ts) >= 59 and np.array_equal(x[old], ts) and np.array_equal(y[old], values)
    assert chart.history[iid].resolution == "raw"
    requested = chart.loader.requested
    chart.show_range(END - 3 * 3600 + 300, END - 2 * 3600 + 300)  # a small pan stays within what was fetched
    assert chart.loader.requested == requested


def test_a_superseded_history_request_is_dropped(qtbot, cache, store):
    chart = chart_for(qtbot, store, cache)
    landed = []
    chart.loader.landed.connect(landed.append)
    chart.show_range(END - 3 * 3600, END - 2.5 * 3600)
    first = chart.loader.pending
    chart.show_range(END - 2 * 3600, END - 3600)  # before the first answer could be drawn
    second = chart.loader.pending
    assert first is not None and second is not None and second.seq > first.seq
    qtbot.waitUntil(lambda: chart.loader.pending is None and chart.loader.dropped == 1, timeout=10_000)
    assert [r.request for r in landed] == [second]
    assert chart.loader.applied is second
    iid = store.by_code[DRAIN].id
    assert chart.history[iid].t0 == second.t0 and chart.history[iid].ts.min() >= second.t0


def test_a_week_is_drawn_from_rollups(qtbot, cache, store):
    chart = chart_for(qtbot, store, cache, indicators=[DRAIN, "power.frequency"])
    chart.set_window(7 * 86400.0)
    qtbot.waitUntil(lambda: len(chart.history) == 2 and chart.loader.pending is None, timeout=10_000)
    assert {d.resolution for d in chart.history.values()} <= {"1m", "1h"}
    iid = store.by_code[DRAIN].id
    mean, low, high, _fill = chart.rollups[iid]
    x, y = mean.getData()
    rows = read_rollup(cache.engine, iid, END - 14 * 86400, END, chart.history[iid].resolution)
    finite = np.isfinite(y)
    assert finite.sum() >= 2 and set(y[finite]) <= set(rows["mean"])
    assert x[finite].min() < END - 2 * 3600, "the mean line reaches back beyond the store"
    assert np.all(low.getData()[1][finite] <= y[finite]) and np.all(y[finite] <= high.getData()[1][finite])
    assert "1-h mean" in chart.status_label.text()
    chart.set_window(900.0)  # back to what the store holds: no roll-ups on screen, none claimed
    shown = mean.getData()[0]
    assert (shown is None or len(shown) == 0) and "mean" not in chart.status_label.text()


def test_window_buttons_change_the_visible_range(qtbot, store):
    chart = chart_for(qtbot, store)
    assert chart.vb.viewRange()[0] == pytest.approx([END - 900, END])
    qtbot.mouseClick(chart.window_buttons[3600.0], Qt.MouseButton.LeftButton)
    assert chart.vb.viewRange()[0] == pytest.approx([END - 3600, END])
    assert chart.window_buttons[3600.0].isChecked() and not chart.window_buttons[900.0].isChecked()
    qtbot.mouseClick(chart.window_buttons[86400.0], Qt.MouseButton.LeftButton)
    assert chart.vb.viewRange()[0] == pytest.approx([END - 86400, END])


def test_wheel_zoom_looks_back_and_live_returns(qtbot, store):
    chart = chart_for(qtbot, store, indicators=["weather.rain.intensity", DRAIN])  # two axes: vb2 on top
    view = chart.plot.viewport()
    centre = QPointF(view.width() / 2, view.height() / 2)
    wheel = QWheelEvent(centre, view.mapToGlobal(centre), QPoint(), QPoint(0, -240), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    qt_app().sendEvent(view, wheel)
    x0, x1 = chart.vb.viewRange()[0]
    assert not chart.following and x1 - x0 > 900 * 1.2, "zoomed out, x only"
    chart.refresh(END + 60)
    assert chart.vb.viewRange()[0] == pytest.approx([x0, x1]), "looking back: the chart does not follow now"
    assert chart.live_button.text() == "▶ BACK TO LIVE"
    assert not any(b.isChecked() for b in chart.window_buttons.values())
    qtbot.mouseClick(chart.live_button, Qt.MouseButton.LeftButton)
    assert chart.following and chart.vb.viewRange()[0] == pytest.approx([END + 60 - 900, END + 60])

    chart.show_range(END - 1800, END - 1200)
    chart.LIVE_TIMEOUT_S = 0.0  # nobody touched it for longer than the timeout
    chart.refresh(END + 120)
    assert chart.following and chart.vb.viewRange()[0] == pytest.approx([END + 120 - 900, END + 120])


def test_threshold_bands_and_units(qtbot, store):
    chart = chart_for(qtbot, store)
    assert not chart.bands.strip, "one unit: bands shaded across the plot"
    assert [e[0] for e in chart.bands.edges] == [60, 80] and len(chart.bands.regions) == 2
    assert chart.bands.edges[0][2] == "WARN ≥ 60 %"

    chart = chart_for(qtbot, store, indicators=["weather.rain.intensity", DRAIN, "weather.temperature"])
    rain, drain = store.by_code["weather.rain.intensity"], store.by_code[DRAIN]
    assert chart.curves[rain.id].getViewBox() is chart.vb and chart.curves[drain.id].getViewBox() is chart.vb2
    assert chart.plot.getPlotItem().getAxis("right").isVisible()
    assert chart.bands.strip and [e[0] for e in chart.bands.edges] == [10, 30]
    assert [e[0] for e in chart.bands_right.edges] == [60, 80]
    assert [i.code for i in chart.hidden] == ["weather.temperature"]
    assert "Air temperature" in chart.status_label.text()
    legend = chart.legend.text().replace("&nbsp;", " ")
    assert "Rain intensity (mm/h)" in legend and "Air temperature" not in legend


def test_alarm_events_of_shown_indicators_are_marked(qtbot, store):
    alarms = FakeAlarms([(END - 300, f"{DRAIN}:HI", "raised"), (END - 200, "weather.rain.intensity:HI", "raised"),
                         (END - 100, f"{DRAIN}:HI", "cleared"), (END - 50, f"{DRAIN}:HI", "acknowledged")])
    chart = chart_for(qtbot, store, alarms=alarms)
    assert [(m[0], m[3]) for m in chart.marks.marks] == [(END - 300, "▲HI"), (END - 100, "CLR")]
    redraws = chart.redraws
    chart.refresh(END)
    assert chart.redraws == redraws
    alarms.list.append((END - 20, f"{DRAIN}:HIHI", "raised"))
    chart.refresh(END)
    assert chart.redraws == redraws + 1 and chart.marks.marks[-1][3] == "▲HIHI"

    alarms.version = 1  # a manager that counts its changes is asked only when they happen
    chart.refresh(END)
    alarms.list.append((END - 10, f"{DRAIN}:HIHI", "returned"))
    chart.refresh(END)
    assert chart.marks.marks[-1][3] == "▲HIHI"
    alarms.version = 2
    chart.refresh(END)
    assert chart.marks.marks[-1][3] == "RTN"


def test_no_redraw_when_nothing_changed(qtbot, store):
    chart = chart_for(qtbot, store)
    iid = store.by_code[DRAIN].id
    calls = []
    chart.curves[iid].sigPlotChanged.connect(lambda *_: calls.append(1))
    redraws = chart.redraws
    chart.refresh(END)
    step = 900 / chart.vb.width()
    chart.refresh(END + step * 0.3)  # less than a pixel of time
    assert chart.redraws == redraws and not calls
    chart.refresh(END + step * 5)  # the window moved: the view scrolls, the data in hand still serves
    assert chart.redraws == redraws + 1 and not calls
    store.add_readings(iid, np.array([END + 60.0]), np.array([42.0]))
    chart.refresh(END + step * 5)
    assert calls and chart.curves[iid].getData()[1][-1] == 42.0


def test_layout_windows_parse_and_get_a_button(qtbot, store):
    assert [parse_window(w) for w in ("15m", "1h", "24h", "7d", "90 s")] == [900, 3600, 86400, 604800, 90]
    assert [window_label(s) for s in (900, 3600, 86400, 604800, 90)] == ["15 min", "1 h", "1 d", "7 d", "90 s"]
    with pytest.raises(ValueError):
        parse_window("a while")
    chart = chart_for(qtbot, store, window="30m")
    assert chart.window_buttons[1800.0].isChecked() and len(chart.window_buttons) == 5
    assert chart.vb.viewRange()[0] == pytest.approx([END - 1800, END])


def test_an_outage_breaks_the_line(qtbot, store):
    iid = store.by_code[DRAIN].id
    store.add_readings(iid, np.array([END + 600.0, END + 660.0]), np.array([50.0, 51.0]))  # 10 min silent
    chart = chart_for(qtbot, store)
    chart.refresh(END + 660)
    x, y = chart.curves[iid].getData()
    gap = np.flatnonzero(np.isnan(y))
    assert len(gap) == 1 and END < x[gap[0]] < END + 600, "no straight line across the outage"


def _plot_on_screen(qtbot, chart):
    """The plot's pixels as the window shows them (its backing store), once pending paints ran."""
    qtbot.wait(30)
    top = chart.plot.mapTo(chart.window(), QPoint(0, 0))
    screen = chart.window().windowHandle().screen()
    size = chart.plot.size()
    grabbed = screen.grabWindow(chart.window().winId(), top.x(), top.y(), size.width(), size.height())
    return grabbed.toImage().convertToFormat(QImage.Format.Format_RGB32)


def _drawn_now(chart):
    """The plot drawn afresh from its items, not from any pixels kept on the way to the screen."""
    return chart.plot.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)


def test_the_plot_on_screen_follows_every_change(qtbot, store):
    """The plot paints opaque, so Qt keeps its pixels while the panel around it repaints: whatever
    changes in the chart must still reach the screen, as a fresh drawing of the plot shows it."""
    chart = chart_for(qtbot, store)
    iid = store.by_code[DRAIN].id
    assert _plot_on_screen(qtbot, chart) == _drawn_now(chart)

    def changed(before):
        chart.repaint()  # a forced repaint of the panel alone must not bring old plot pixels back
        after = _plot_on_screen(qtbot, chart)
        assert after != before and after == _drawn_now(chart)
        return after

    shown = _plot_on_screen(qtbot, chart)
    store.add_readings(iid, np.array([END + 30.0]), np.array([95.0]))  # new data: a spike into alarm
    chart.refresh(END + 30)
    shown = changed(shown)
    chart.show_range(END - 1800, END - 900)  # a new view range
    shown = changed(shown)
    drain = store.by_code[DRAIN]
    chart.bands.set_indicator(dataclasses.replace(drain, warn_high=20.0, alarm_high=30.0), strip=False)  # new limits
    shown = changed(shown)
    chart.resize(chart.width() - 100, chart.height())  # a new size
    changed(shown.copy(0, 0, chart.plot.width(), chart.plot.height()))

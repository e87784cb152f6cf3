"""Rainstorm impact: each sensor's lagged response to rain is learned from its own history, a
scenario uses nothing recorded after its moment, the districts are ranked by expected risk, and
the supervisor's panel shows it on a coloured map."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest
from PySide6.QtCore import Qt

from console.forecast.rain_impact import RainModel, RainScenario, deduction, rank_districts
from console.forecast.rain_response import STEP_S, Shape, candidates, filtered_rain, fit, reservoirs
from console.store import Store
from console.store.history import HistoryData

T0 = 1_780_000_000.0 // 86400 * 86400
DAYS = 4
LAG_S, STAGES, GAIN = 13 * 60.0, 2, 2.5  # the drain's true response: 13 min reservoirs, two in series


def storms(ts: np.ndarray, at: tuple[float, ...] = (1.3, 2.6, 3.5)) -> np.ndarray:
    """Rain, mm/h: a few storms (days after T0) of an hour or two, and dry in between."""
    rain = np.zeros(len(ts))
    for n, day in enumerate(at):
        start = T0 + day * 86400
        rain += np.where((ts > start) & (ts <= start + (1 + n % 2) * 3600), 12 + 8 * n, 0.0)
    return rain


def truth(ts: np.ndarray, rain: np.ndarray, step_s: float) -> np.ndarray:
    out, _ = reservoirs(rain, step_s, np.array([LAG_S]), np.array([STAGES]))
    return 20 + GAIN * out[0]


def test_a_fitted_response_recovers_a_known_lag_and_gain():
    rng = np.random.default_rng(3)
    ts = T0 + STEP_S * (np.arange(int(DAYS * 86400 / STEP_S)) + 0.5)
    rain = storms(ts)
    y = truth(ts, rain, STEP_S) + 3 * np.sin(2 * np.pi * ts / 86400) + rng.normal(0, 0.8, len(ts))
    y[200:260] = np.nan  # a gap
    shapes = candidates()
    r = fit(1, ts, y, filtered_rain(rain, shapes), shapes)
    assert r is not None and r.usable and r.skill > 0.8
    assert r.shape.stages == STAGES and abs(r.shape.lag_s - LAG_S) <= 4 * 60
    assert math.isinf(r.shape.knee) and abs(r.gain - GAIN) < 0.35
    noise = rng.normal(20, 1, len(ts))  # a sensor that does not care about rain
    r = fit(2, ts, noise, filtered_rain(rain, shapes), shapes)
    assert r is None or not r.usable
    assert Shape(600.0, 2, math.inf).peak_lag_s == 600.0


INDICATORS = [
    {"id": 1, "code": "weather.rain.intensity", "name": "Rain", "category": "weather", "unit": "mm/h",
     "interval_s": 60.0, "bad": "high"},
    {"id": 2, "code": "drainage.level.low", "name": "Drain, low town", "category": "drainage", "unit": "%",
     "interval_s": 60.0, "bad": "high", "district_id": "low", "warn_high": 60.0, "alarm_high": 80.0},
    {"id": 3, "code": "drainage.level.hill", "name": "Drain, hill", "category": "drainage", "unit": "%",
     "interval_s": 60.0, "bad": "high", "district_id": "hill", "warn_high": 60.0, "alarm_high": 80.0},
    {"id": 4, "code": "traffic.speed.low", "name": "Speed, low town", "category": "traffic", "unit": "km/h",
     "interval_s": 60.0, "bad": "low", "district_id": "low", "warn_low": 25.0, "alarm_low": 15.0},
]


class Recorded:
    """A history reader over generated readings: what a cache or a recording would return."""

    def __init__(self, readings: dict[int, tuple[np.ndarray, np.ndarray]]):
        self.readings = readings
        self.asked: list[float] = []

    def fetch(self, indicator, t0: float, t1: float, max_points: int = 4000) -> HistoryData:
        self.asked.append(t1)
        ts, v = self.readings[indicator.id]
        keep = (ts >= t0) & (ts <= t1)
        return HistoryData(indicator.id, t0, t1, "raw", ts[keep], v[keep])

    def actual(self, iid: int, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
        ts, v = self.readings[iid]
        keep = (ts > t0) & (ts <= t1)
        return ts[keep], v[keep]


@pytest.fixture(scope="module")
def city():
    """Six days of a small city: three storms in the history, a fourth after the scenario's moment."""
    rng = np.random.default_rng(5)
    ts = T0 + 60.0 * np.arange(6 * 1440)
    rain = storms(ts, (1.3, 2.6, 3.5, 5.2))
    base, _ = reservoirs(rain, 60.0, np.array([LAG_S, 6 * 60.0]), np.array([2, 1]))
    readings = {1: (ts, rain + rng.normal(0, 0.2, len(ts)).clip(0)),
                2: (ts, 30 + 2.4 * base[0] + rng.normal(0, 1, len(ts))),  # low town fills fast
                3: (ts, 30 + 0.6 * base[0] + rng.normal(0, 1, len(ts))),  # the hill barely
                4: (ts, 45 - 1.5 * base[1] + rng.normal(0, 1, len(ts)))}
    store = Store()
    store.load_reference({"indicators": INDICATORS,
                          "districts": [{"id": "low", "name": "Low Town"}, {"id": "hill", "name": "Hill"}],
                          "plans": [{"id": "PLAN-W", "incident_kind": "waterlogging", "title": "Waterlogging plan",
                                     "steps": '["Close the underpass", "Send pumps"]'}]})
    return store, Recorded(readings)


def test_a_scenario_ranks_districts_and_lists_the_plans(city):
    store, recorded = city
    model = RainModel(store, recorded)
    now = T0 + 5 * 86400
    result = model.run(RainScenario(30.0, 1.5, now + 600), now)
    by = {i.indicator.id: i for i in result.impacts}
    assert set(by) == {2, 3, 4}, result.skipped
    low, hill, speed = by[2], by[3], by[4]
    # low town: 30 mm/h for 1.5 h fills to ~30 + 2.4 * 30 > 80: an alarm, ~15-60 min after the rain starts
    assert low.alarm_at is not None and now + 600 < low.alarm_at < now + 600 + 3600
    assert low.peak > 85 and low.peak_at >= now + 600 + 1.5 * 3600  # it fills till the rain stops
    assert hill.alarm_at is None and hill.peak < 60
    assert speed.alarm_at is not None and speed.peak < 15  # a "bad low" indicator falls to its limit
    assert [d.district_id for d in result.districts] == ["low", "hill"]
    assert result.districts[0].alarms == 2 and result.districts[0].name == "Low Town"
    assert [p[1] for p in result.plans] == ["Waterlogging plan"]
    light = model.run(RainScenario(2.0, 1.0, now))
    assert all(i.alarm_at is None for i in light.impacts) and light.plans == ()


def test_ranking_puts_the_worst_district_first():
    from console.forecast.rain_impact import Impact
    from console.model.indicator import Indicator

    def imp(district: str, risk: float, alarm_at: float | None) -> Impact:
        ind = Indicator(id=len(district) + int(risk * 100), code=f"d.{district}", name=district, category="drainage",
                        unit="%", interval_s=60.0, district_id=district)
        return Impact(ind, 0.0, 0.0, 0.0, None, alarm_at, risk, 0.9)

    ranked = rank_districts([imp("a", 0.5, None), imp("b", 1.2, 500.0), imp("c", 1.2, 100.0), imp("b", 0.3, None)],
                            {"a": "A"})
    assert [d.district_id for d in ranked] == ["c", "b", "a"] and ranked[2].name == "A"


def test_a_scenario_in_a_replay_uses_nothing_after_its_moment(city):
    """The storm after the moment is in the readings the reader holds: the scenario must not know it."""
    store, recorded = city
    now = T0 + 5 * 86400  # storm 4 starts 0.2 days later
    blind = {iid: (ts[ts < now], v[ts < now]) for iid, (ts, v) in recorded.readings.items()}
    a = RainModel(store, recorded).run(RainScenario(20.0, 1.0, now), now)
    b = RainModel(store, Recorded(blind)).run(RainScenario(20.0, 1.0, now), now)
    assert [(i.indicator.id, i.peak, i.alarm_at) for i in a.impacts] == \
        [(i.indicator.id, i.peak, i.alarm_at) for i in b.impacts]
    assert all(t <= now for t in recorded.asked)
    # scenario deduction: what happened next, from the readings after the moment
    start = T0 + 5.2 * 86400  # storm 4 as it came: 36 mm/h for 2 h
    result = RainModel(store, recorded).run(RainScenario(36.0, 2.0, start), start - 1800)
    outcomes = {o.indicator.id: o for o in deduction(result, recorded.actual)}
    low = outcomes[2]
    assert low.actual_alarm_at is not None and low.expected_alarm_at is not None
    assert abs(low.actual_alarm_at - low.expected_alarm_at) < 20 * 60
    assert abs(low.actual_peak - low.expected_peak) < 12


class Rolled(Recorded):
    """A recording's history: raw readings for its last ``fine_s`` only; a request reaching further
    back is answered from hourly roll-ups (console/replay/source.py's RecordingHistory does this)."""

    def __init__(self, readings, end: float, fine_s: float):
        super().__init__(readings)
        self.fine_from = end - fine_s
        self.answers: list[str] = []

    def fetch(self, indicator, t0: float, t1: float, max_points: int = 4000) -> HistoryData:
        if t0 >= self.fine_from:
            self.answers.append("raw")
            return super().fetch(indicator, t0, t1, max_points)
        self.answers.append("1h")
        ts, v = self.readings[indicator.id]
        keep = (ts >= t0) & (ts <= t1)
        hours = np.floor(ts[keep] / 3600)
        centres, at = np.unique(hours, return_inverse=True)
        means = np.bincount(at, v[keep]) / np.bincount(at)
        return HistoryData(indicator.id, t0, t1, "1h", centres * 3600 + 1800, means)


def test_a_recording_answering_four_days_in_hours_is_asked_for_a_shorter_finer_stretch(city):
    """In a replay four days come back as hourly means, which cannot show a lag of minutes: the
    model asks for less history until it comes in minutes, and learns from that."""
    store, recorded = city
    now = T0 + 5 * 86400
    rolled = Rolled(recorded.readings, now, 2 * 86400)  # the storm of day 3.5 is in the fine part
    model = RainModel(store, rolled)
    result = model.run(RainScenario(30.0, 1.5, now + 600), now)
    assert {i.indicator.id for i in result.impacts} == {2, 3, 4}, result.skipped
    assert all(r.skill > 0.5 for r in model.responses.values())
    asked = len(model.watched()) + len(model.gauges())
    assert rolled.answers.count("raw") == asked and rolled.answers.count("1h") >= asked  # hours first, then finer


def test_bad_scenarios_are_refused_in_one_line():
    with pytest.raises(ValueError, match="mm/h"):
        RainScenario(-1.0, 1.0, T0)
    with pytest.raises(ValueError, match="hours"):
        RainScenario(10.0, 0.0, T0)
    store = Store()
    store.load_reference({"indicators": INDICATORS[1:]})
    with pytest.raises(ValueError, match="no rain gauge"):
        RainModel(store, Recorded({})).learn(T0)


def run_scenario(qtbot, view) -> None:
    """Click "Run scenario" and wait for its result, which comes back from the worker by signal."""
    with qtbot.waitSignal(view.scenario_ready, timeout=60_000):
        qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)


def box(west: float, south: float) -> str:
    ring = [[west, south], [west + 0.01, south], [west + 0.01, south + 0.01], [west, south + 0.01], [west, south]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def test_the_panel_runs_a_scenario_and_colours_the_map(qtbot, city):
    """The supervisor sets the rain and runs it: districts ranked, indicators listed, plans, the
    low town shaded as "alarm limit expected" on the map; later, what came fills in."""
    from widgets import ViewContext
    from widgets.rain_impact import RainImpactView

    store, recorded = city
    reference = dict(store.reference)
    reference["districts"] = [{"id": "low", "name": "Low Town", "boundary": box(24.93, 60.16)},
                              {"id": "hill", "name": "Hill", "boundary": box(24.94, 60.16)}]
    shown = Store()
    shown.load_reference(reference)
    now = T0 + 5.2 * 86400 - 1800  # half an hour before storm 4 (36 mm/h for 2 h)
    view = RainImpactView(ViewContext(shown, recorded), {"mm_h": 36, "hours": 2})
    qtbot.addWidget(view)
    view.resize(1400, 800)
    view.show()
    qtbot.waitExposed(view)
    view.refresh(now)
    view.start_in.setValue(30)
    assert not view.map.district_level
    run_scenario(qtbot, view)
    result = view.result
    assert result is not None and result.now == now and result.scenario.start == now + 1800
    assert view.map.basemap is not None
    assert [view.districts.item(r, 0).text() for r in range(2)] == ["Low Town", "Hill"]
    assert view.map.district_level == {"low": 2, "hill": 0}
    names = [view.impacts.item(r, 0).text() for r in range(view.impacts.rowCount())]
    assert sorted(names) == ["Drain, hill", "Drain, low town", "Speed, low town"] and names[-1] == "Drain, hill"
    drain = names.index("Drain, low town")
    assert "Waterlogging plan" in view.plans.text() and "Close the underpass" in view.plans.text()
    assert view.impacts.item(drain, 5).text() == "—"  # nothing has come yet
    view.refresh(now + 3 * 3600)  # the replay (or the day) went on: what came is filled in
    came = view.impacts.item(drain, 6).text()
    assert came.endswith("min") and abs(int(came.split()[0]) - int(view.impacts.item(drain, 4).text().split()[0])) < 20
    view.rain.setValue(0.0)  # a run later in the replay is made at that later moment
    run_scenario(qtbot, view)
    assert view.result.now == now + 3 * 3600 and all(i.alarm_at is None for i in view.result.impacts)
    assert view.map.district_level["low"] < 2


def test_learning_runs_on_a_worker_while_the_panel_stays_responsive(qtbot, city):
    """The fit runs off the UI thread: while it runs, the UI thread's event loop serves a timer (the
    fit waits for it, so a fit on the UI thread would never see it), and the panel says it is learning."""
    import threading

    from PySide6.QtCore import QTimer

    from widgets import ViewContext
    from widgets.rain_impact import RainImpactView

    store, recorded = city
    view = RainImpactView(ViewContext(store, recorded), {"mm_h": 30, "hours": 1.5})
    qtbot.addWidget(view)
    view.refresh(T0 + 5 * 86400)
    served, seen = threading.Event(), {}
    learn = view.model.learn

    def watched_learn(now: float) -> None:
        seen["thread"] = threading.current_thread()
        seen["loop ran while fitting"] = served.wait(30)
        seen["said"] = view.summary.text()  # read here only; the UI thread wrote it before the fit began
        learn(now)

    view.model.learn = watched_learn
    QTimer.singleShot(0, served.set)
    run_scenario(qtbot, view)
    assert seen["thread"] is not threading.main_thread() and seen["loop ran while fitting"]
    assert "learning" in seen["said"]
    assert view.result is not None and view.run_button.isEnabled() and "indicators modelled" in view.summary.text()


def test_a_scenario_colours_the_3d_scene_and_clearing_it_restores_the_colours(qapp, qtbot, city):
    """One-way: the panel publishes each district's expected step in the shared context, the 3D
    scene (another view, same context) colours that district's buildings in the map's step colour,
    says so in its legend, and goes back to its own colours when the scenario is cleared."""
    from console.scene import colour
    from widgets import ViewContext, theme
    from widgets.rain_impact import RainImpactView
    from widgets.scene.view import SceneView

    theme.apply_theme(qapp)
    store, recorded = city
    reference = dict(store.reference)
    reference["districts"] = [{"id": "low", "name": "Low Town", "boundary": box(24.93, 60.16)},
                              {"id": "hill", "name": "Hill", "boundary": box(24.94, 60.16)}]
    reference["buildings"] = [{"id": f"{d}-{n}", "district_id": d, "height": 12.0 + 6 * n,
                               "footprint": building(west + 0.002 + 0.003 * n, 60.163)}
                              for d, west in (("low", 24.93), ("hill", 24.94)) for n in range(2)]
    shown = Store()
    shown.load_reference(reference)
    ctx = ViewContext(shown, recorded)
    panel = RainImpactView(ctx, {"mm_h": 36, "hours": 2})
    scene = SceneView(ctx, {"title": "3D city", "layers": ["labels"]})
    for view in (panel, scene):
        qtbot.addWidget(view)
    scene.resize(1200, 800)
    scene.show()
    qtbot.waitExposed(scene)
    now = T0 + 5.2 * 86400 - 1800
    scene.refresh(now)
    qtbot.waitUntil(lambda: scene.scene is not None, timeout=30_000)
    scene.refresh(now)
    low = np.array([r["district_id"] == "low" for r in scene.scene.geometry.rows])
    normal = scene.colours.copy()
    normal_legend = scene.legend.content[0]
    panel.refresh(now)
    panel.start_in.setValue(30)
    run_scenario(qtbot, panel)
    top = panel.result.districts[0]
    assert top.district_id == "low" and ctx.scenario.districts == {"low": 2, "hill": 0}
    scene.refresh(now)
    step = colour.EXPECTED[2]
    assert (scene.colours[low] == step).all() and not (normal[low] == step).all()
    assert (scene.colours[~low] == colour.EXPECTED[0]).all()
    assert step.tolist() not in (list(colour.ALARM), list(colour.WARNING))
    title, _, swatches = scene.legend.content[:3]
    assert "expected" in title and [tuple(rgb) for rgb, _ in swatches[:3]] == [tuple(c) for c in colour.EXPECTED]
    assert "rain scenario" in scene.status.text()
    shots = os.environ.get("CITYOPS_SHOTS")
    if shots:
        scene.canvas.grab()
        scene.grab().save(os.path.join(shots, "scene-rain-scenario.png"))
    qtbot.mouseClick(panel.clear_button, Qt.MouseButton.LeftButton)
    scene.refresh(now)
    assert not ctx.scenario.active and np.array_equal(scene.colours, normal)
    assert scene.legend.content[0] == normal_legend and not panel.map.district_level


def building(west: float, south: float) -> str:
    ring = [[west, south], [west + 0.001, south], [west + 0.001, south + 0.0006], [west, south + 0.0006],
            [west, south]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


@pytest.fixture(scope="module")
def demo_cache(demo_platform, tmp_path_factory):
    from console.cache import Cache
    from console.sync.sql_connector import SqlConnector
    from console.sync.engine import SyncEngine

    cache = Cache(tmp_path_factory.mktemp("rain") / "cache.db")
    SyncEngine(SqlConnector(demo_platform), cache).catch_up()
    return cache


@pytest.mark.slow
def test_the_panel_on_the_demo_city_expects_the_low_lying_districts_to_flood(qtbot, demo_cache):
    """The demo city's three hours hold its first storm: the panel learns from it and expects the
    low-lying districts' drains to reach their alarm limit under a cloudburst."""
    from console.platform.scenario import LOW_LYING
    from console.store.history import HistorySource
    from console.store.warm import warm_store
    from widgets import ViewContext
    from widgets.rain_impact import RainImpactView

    now = 1_780_000_000.0
    store = Store()
    warm_store(store, demo_cache, now)
    view = RainImpactView(ViewContext(store, HistorySource(demo_cache)), {"mm_h": 40, "hours": 1.5})
    qtbot.addWidget(view)
    view.resize(1600, 900)
    view.show()
    qtbot.waitExposed(view)
    view.refresh(now)
    run_scenario(qtbot, view)
    result = view.result
    assert result is not None and result.now == now and result.impacts
    top = result.districts[0]
    assert view.districts.item(0, 0).text() == top.name and top.district_id in LOW_LYING
    assert top.alarms > 0 and view.map.district_level[top.district_id] == 2
    assert result.plans and result.plans[0][1] in view.plans.text()

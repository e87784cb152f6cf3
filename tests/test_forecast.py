"""Forecasts: the model follows trends and daily cycles, shrugs off spikes and gaps, and never looks ahead."""

from __future__ import annotations

import numpy as np
import pytest

from console.forecast import Forecasts
from console.forecast.grid import bin_means, daily_profile, profile_at
from console.forecast.model import forecast
from console.store import Store

T0 = 1_780_000_000.0
DRAIN = {"id": 1, "code": "drainage.level.kallio.2", "name": "Drainage well level, Kallio #2", "category": "drainage",
         "unit": "%", "interval_s": 30.0, "bad": "high", "district_id": "kallio",
         "warn_low": None, "warn_high": 70.0, "alarm_low": None, "alarm_high": 90.0, "decimals": 1}


def store_with(ts: np.ndarray, values: np.ndarray) -> Store:
    store = Store(horizon_s=6 * 3600)
    store.load_reference({"indicators": [DRAIN]})
    store.add_readings(1, ts, values)
    return store


def rising(minutes: float = 180, rate: float = 0.5, noise: float = 0.3, seed: int = 1):
    rng = np.random.default_rng(seed)
    ts = T0 + np.arange(0, minutes * 60, 30.0)
    values = 20 + rate * np.clip((ts - T0) / 60 - 60, 0, None) + rng.normal(0, noise, len(ts))
    return ts, values


def test_a_rising_series_is_forecast_rising_inside_its_interval():
    ts, values = rising()
    y = bin_means(ts, values, ts[-1], 120, 60.0)[None, :]
    f = forecast(y, 60.0, 60)
    truth = 20 + 0.5 * (ts[-1] - T0 + 60 * np.arange(1, 61)) / 60 - 30
    assert f.mean[0, 29] > y[0, -1] + 2  # it rises (damped), unlike persistence
    assert abs(f.mean[0, 14] - truth[14]) < 0.8 * abs(y[0, -1] - truth[14])
    assert (f.lo <= f.mean).all() and (f.mean <= f.hi).all()
    assert (np.diff(f.hi - f.lo, axis=1) >= 0).all()  # the cone widens with the horizon


def test_spikes_do_not_bend_the_forecast_but_a_level_shift_does():
    rng = np.random.default_rng(2)
    flat = 50 + rng.normal(0, 0.5, (3, 120))
    flat[1, -1] += 40  # one wild minute
    flat[2, -5:] += 40  # a real step: five minutes at the new level
    f = forecast(flat, 60.0, 30)
    assert abs(f.mean[1, 10] - f.mean[0, 10]) < 5
    assert f.mean[2, 10] > 80


def test_gaps_carry_the_state_and_a_series_with_too_little_data_has_none():
    y = np.full((2, 120), np.nan)
    y[0, :60] = np.linspace(10, 40, 60)  # an hour of data, then the sensor went quiet
    y[1, -3:] = 5.0
    f = forecast(y, 60.0, 10)
    assert np.isfinite(f.mean[0]).all() and f.mean[0, 0] > 35
    assert np.isnan(f.mean[1]).all()


def test_the_daily_profile_is_learned_from_past_days_and_a_storm_day_does_not_shape_it():
    hours = T0 // 86400 * 86400 + 3600 * np.arange(24 * 5)
    means = 100 + 30 * np.sin(2 * np.pi * hours / 86400)
    means[24 * 2 + 10: 24 * 2 + 14] += 200  # a storm on day 3
    profile = daily_profile(hours, means, hours[-1] + 3600)
    expected = 30 * np.sin(2 * np.pi * (np.arange(24) * 3600) / 86400)
    assert np.max(np.abs(profile - (expected - expected.mean()))) < 1.0
    assert daily_profile(hours[:48], means[:48], hours[47] + 3600) is None  # two days are not enough
    assert abs(profile_at(profile, np.array([6 * 3600 + 1800.0]))[0] - profile[6]) < 1e-9


def test_the_forecast_at_a_moment_uses_nothing_after_it():
    """Replay: the store already holds the storm's peak; a forecast made before it must not know."""
    ts, values = rising(minutes=300)
    moment = T0 + 150 * 60
    seen_all, seen_before = Forecasts(store_with(ts, values)), Forecasts(store_with(ts[ts <= moment],
                                                                                 values[ts <= moment]))
    seen_all.compute(moment)
    seen_before.compute(moment)
    a, b = seen_all.get(1), seen_before.get(1)
    assert a.origin == moment and a.ts[0] == moment + 60
    np.testing.assert_array_equal(a.mean, b.mean)
    np.testing.assert_array_equal(a.hi, b.hi)
    changed = values.copy()
    changed[ts > moment] = 0.0  # whatever the future holds
    other = Forecasts(store_with(ts, changed))
    other.compute(moment)
    np.testing.assert_array_equal(other.get(1).mean, a.mean)


def test_refresh_is_once_a_minute_and_again_after_a_seek_back():
    ts, values = rising()
    forecasts = Forecasts(store_with(ts, values))
    now = ts[-1]
    assert forecasts.refresh(now) and not forecasts.refresh(now + 30)
    assert forecasts.refresh(now + 60) and forecasts.refresh(now - 3600)
    assert forecasts.version == 3


def test_a_trend_chart_draws_the_cone_after_now_and_looks_ahead(qapp, qtbot):
    from widgets import ViewContext
    from widgets.trend import TrendChart

    ts, values = rising()
    store = store_with(ts, values)
    forecasts = Forecasts(store)
    now = float(ts[-1])
    forecasts.compute(now)
    view = TrendChart(ViewContext(store, forecasts=forecasts), {"indicators": [DRAIN["code"]], "window": "1h"})
    qtbot.addWidget(view)
    view.resize(900, 400)
    view.show()
    view.refresh(now)
    cone = view.cones.cones[1]
    x, y = cone.mean.getData()
    assert x[0] == now and y[0] == values[-1] and x[-1] == now + 3600
    lo, hi = cone.lo.getData()[1], cone.hi.getData()[1]
    assert (lo <= y).all() and (y <= hi).all() and hi[-1] > lo[-1]
    x0, x1 = view.vb.viewRange()[0]
    assert abs(x1 - (now + 1800)) < 60 and abs(x0 - (now - 3600)) < 60  # half an hour ahead beside an hour
    assert not view.cones.update(forecasts, view.drawn, {1: (now, values[-1])})  # set again only when new
    forecasts.compute(now + 60)
    assert view.cones.update(forecasts, view.drawn, {1: (now, values[-1])})


def test_a_sparkline_fits_the_forecast_and_draws_its_cone_after_the_last_reading(qapp):
    from widgets import tile_spark

    ts, values = rising(minutes=60)
    now = float(ts[-1])
    f = forecast(bin_means(ts, values, now, 60, 60.0)[None, :], 60.0, 60)
    ahead = now + 60 * np.arange(1, 61)
    spark = tile_spark.build_spark(ts, values, now - 3600, now + 900, 200, 40, (), 90, 1.0, f.mean[0][ahead <= now + 900])
    spark = tile_spark.with_cone(spark, ahead, f.mean[0], f.lo[0], f.hi[0], now - 3600, now + 900, 200, 40)
    band, expected = spark.cone
    xs = [expected.at(i).x() for i in range(expected.size())]
    ys = [expected.at(i).y() for i in range(expected.size())]
    assert xs[0] == spark.last.x() < 170 and abs(xs[-1] - 200) < 1e-6  # from the last dot to the right edge
    assert 0 < min(ys) and ys[-1] < ys[1]  # rising, and inside the sparkline: its scale includes the forecast
    assert band.size() == 2 * expected.size()


def test_the_interval_is_calibrated_on_each_series_own_errors():
    """Heavy-tailed noise (Student t, 3 degrees) on a flat level: the normal interval would miss,
    the calibrated one holds about 80 % of what comes next, and a wilder series gets a wider band."""
    rng = np.random.default_rng(7)
    n, past, ahead = 300, 120, 30
    scale = np.where(np.arange(n) < n // 2, 1.0, 3.0)[:, None]
    y = 50 + scale * rng.standard_t(3, (n, past + ahead))
    f = forecast(y[:, :past], 60.0, ahead)
    inside = (y[:, past:] >= f.lo) & (y[:, past:] <= f.hi)
    assert 0.74 <= inside.mean() <= 0.88
    width = (f.hi - f.lo)[:, 10]
    assert np.median(width[n // 2:]) > 2 * np.median(width[: n // 2])


def test_the_column_quantile_is_numpys_nanquantile():
    from console.forecast.model import column_quantile

    rng = np.random.default_rng(0)
    a = rng.normal(size=(300, 40))
    a[rng.random(a.shape) < 0.3] = np.nan
    a[:, 3] = np.nan
    a[:299, 4], a[299, 4] = np.nan, 1.0
    q, count = column_quantile(a, 0.8)
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        expected = np.nanquantile(a, 0.8, axis=0)
    assert np.allclose(q, expected, equal_nan=True) and count[3] == 0 and count[4] == 1

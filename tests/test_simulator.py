"""The simulated city: deterministic, a full catalogue, and a storm that shows in the numbers.

Runs on the real Helsinki centre when its file is built, otherwise on a small synthetic city
(eight districts on Helsinki's grid), so it never depends on the OSM import having run.
"""

from __future__ import annotations

import functools
import sqlite3

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, box

from console.city import Building, City, District, MapFeature, load_city
from console.model.vocab import CATEGORIES, EVENT_TO_STATUS, INCIDENT_KINDS, QUALITY_UNCERTAIN
from console.platform.create import create_platform, read_scenario
from console.platform.geo import city_rows, geography_from_rows
from console.platform.indicators import build_catalogue
from console.platform.scenario import make_scenario
from console.platform.simulation import Simulation

END = 1_780_000_000.0  # 2026-05-28 20:26:40 UTC: storm 1 runs 18:26-21:26 local time
NAMES = ("Kluuvi", "Kamppi", "Kruununhaka", "Punavuori", "Kaartinkaupunki", "Kallio", "Ullanlinna", "Etu-Töölö")
STREETS_EW = ("Esplanadi", "Aleksanterinkatu", "Bulevardi", "Lönnrotinkatu", "Fredrikinkatu")
STREETS_NS = ("Mannerheimintie", "Unioninkatu", "Mikonkatu", "Kaivokatu", "Albertinkatu", "Annankatu",
              "Erottajankatu", "Yrjönkatu", "Kasarmikatu")
LIFECYCLE = ("opened", "dispatched", "on_scene", "resolved", "closed")


def small_city() -> City:
    """Eight 700 m x 700 m districts in a 4 x 2 grid, a street grid, six buildings each."""
    lon0, lat0, dx, dy = 24.925, 60.160, 0.012, 0.0065
    west, east, south, north = lon0 + 0.0002, lon0 + 4 * dx - 0.0002, lat0 + 0.0002, lat0 + 2 * dy - 0.0002
    districts, buildings, features = [], [], []
    for i, name in enumerate(NAMES):
        x0, y0 = lon0 + (i % 4) * dx, lat0 + (i // 4) * dy
        districts.append(District(f"d{i}", name, box(x0, y0, x0 + dx, y0 + dy)))
        for k in range(6):
            x, y = x0 + 0.0015 + k * 0.0017, y0 + 0.0012 + (k % 3) * 0.0015
            buildings.append(Building(f"b{i}-{k}", box(x, y, x + 0.0006, y + 0.0004),
                                      name=f"Talo {i}{k}" if k % 2 == 0 else None,
                                      height=12.0 + 3 * k + i, levels=4 + k % 3, district_id=f"d{i}"))
    for j, name in enumerate(STREETS_EW):
        y = south + 0.0001 + j * (north - south - 0.0002) / (len(STREETS_EW) - 1)
        features.append(MapFeature(f"s-ew{j}", "street", "primary", LineString([(west, y), (east, y)]), name))
    for j, name in enumerate(STREETS_NS):
        x = west + 0.0001 + j * (east - west - 0.0002) / (len(STREETS_NS) - 1)
        features.append(MapFeature(f"s-ns{j}", "street", "secondary", LineString([(x, south), (x, north)]), name))
    harbour = box(lon0 - 0.003, lat0 - 0.003, east, lat0 - 0.0005)
    features.append(MapFeature("w1", "water", "water", harbour, "Eteläsatama"))
    park = box(lon0 + 0.001, lat0 + 0.001, lon0 + 0.003, lat0 + 0.002)
    features.append(MapFeature("p1", "park", "park", park, "Esplanadi"))
    return City("Test city", "synthetic", districts, buildings, features)


@functools.cache
def helsinki() -> City:
    """The shipped Helsinki centre, read once per test session."""
    return load_city()


def simulation(seed: int = 7, hours: float = 12, end: float = END) -> Simulation:
    return Simulation.from_reference(make_scenario(seed, end, hours), city_rows(helsinki()))


@pytest.fixture(scope="module")
def platform(tmp_path_factory) -> dict:
    """12 h of the test city in an SQLite file, read back into pandas frames."""
    path = tmp_path_factory.mktemp("sim") / "platform.db"
    url = f"sqlite:///{path}"
    summary = create_platform(url, hours=12, seed=7, end=END, city=helsinki())
    with sqlite3.connect(path) as con:
        frames = {t: pd.read_sql(f"SELECT * FROM {t}", con) for t in
                  ("indicators", "readings", "incidents", "incident_events", "unit_positions")}
    frames["indicators"] = frames["indicators"].set_index("id")
    frames["readings"]["code"] = frames["indicators"].loc[frames["readings"].indicator_id, "code"].to_numpy()
    frames["summary"] = summary
    frames["storm"] = read_scenario(url)["storms"][0]
    sim = simulation()
    frames["low"] = [sim.geo.district_slugs[i] for i in np.flatnonzero(sim.susceptibility >= 1.0)]
    frames["districts"] = sim.geo.district_slugs
    return frames


def series(readings: pd.DataFrame, code: str, start: float, end: float) -> pd.Series:
    """One indicator, resampled to 5-minute means over [start, end]."""
    x = readings[readings.code == code].set_index(pd.to_datetime(readings[readings.code == code].ts, unit="s")).value
    return x.resample("5min").mean()[pd.to_datetime(start, unit="s"):pd.to_datetime(end, unit="s")].interpolate()


def best_lagged_corr(x: pd.Series, y: pd.Series, max_lag_steps: int = 12) -> tuple[float, int]:
    """max over lags of corr(x shifted by lag, y), and that lag in minutes (5-minute steps)."""
    return max((x.shift(k).corr(y), 5 * k) for k in range(max_lag_steps + 1))


# -- determinism ---------------------------------------------------------------------------
def _everything(sim: Simulation, a: float, b: float, step: float):
    readings, events, positions = [], [], []
    t = a
    while t < b:
        u = min(b, t + step)
        readings += sim.readings(t, u).rows()
        events += [tuple(e.values()) for e in sim.events(t, u)]
        positions += sim.positions(t, u)
        t = u
    return readings, events, positions


def test_same_seed_and_end_give_identical_rows_in_any_pieces():
    one = _everything(simulation(), END - 6 * 3600, END, 6 * 3600)
    two = _everything(simulation(), END - 6 * 3600, END, 487.5)  # a fresh model, odd slices
    assert len(one[0]) > 30_000 and len(one[1]) > 20 and len(one[2]) > 10_000
    for a, b in zip(one, two):
        assert sorted(a) == sorted(b)


def test_a_different_seed_gives_a_different_city():
    a = simulation(seed=7).readings(END - 3600, END)
    b = simulation(seed=8).readings(END - 3600, END)
    assert not (len(a) == len(b) and np.array_equal(a.value, b.value))
    ea = simulation(seed=7).events(END - 12 * 3600, END)
    eb = simulation(seed=8).events(END - 12 * 3600, END)
    assert ea != eb


# -- catalogue -----------------------------------------------------------------------------
def _check_catalogue(specs) -> None:
    assert len(specs) >= 120
    assert {s.category for s in specs} == set(CATEGORIES)
    assert len({s.code for s in specs}) == len(specs)
    assert sum(s.district < 0 for s in specs) >= 10, "some indicators are city-wide"
    for s in specs:
        assert 10 <= s.interval_s <= 300, s.code
        assert s.bad in ("high", "low", "both")
        if s.warn_high is not None and s.alarm_high is not None:
            assert s.warn_high < s.alarm_high, s.code
        if s.warn_low is not None and s.alarm_low is not None:
            assert s.warn_low > s.alarm_low, s.code
        assert (s.warn_high is not None) or (s.warn_low is not None), s.code


def test_catalogue_covers_every_category(platform):
    specs = simulation().specs
    _check_catalogue(specs)
    for slug in platform["districts"]:
        assert len([s for s in specs if s.code.startswith(f"drainage.level.{slug}.")]) == 2
    assert len(platform["indicators"]) == len(specs)


@pytest.mark.parametrize("which", ["small", "helsinki"])
def test_catalogue_on_both_cities(which):
    ref = city_rows(small_city() if which == "small" else load_city())
    streets = [r for r in ref["map_features"] if r["layer"] == "street"]
    geo = geography_from_rows(ref["districts"], ref["buildings"], streets)
    specs = build_catalogue(geo)
    _check_catalogue(specs)
    assert len(specs) == 16 + 19 * len(ref["districts"])


# -- the storm in the numbers --------------------------------------------------------------
def test_storm_rain_drives_drainage_and_traffic(platform):
    r, storm = platform["readings"], platform["storm"]
    start, end = storm.start - 3600, storm.end + 2 * 3600
    rain = series(r, "weather.rain.intensity", start, end)
    calm_rain = r[(r.code == "weather.rain.intensity") & ((r.ts < storm.start) | (r.ts > storm.end))].value
    assert rain.max() > 20, "tens of mm/h at the height of the storm"
    assert calm_rain.mean() < 1.0
    low = platform["low"][0]
    corr, lag = best_lagged_corr(rain, series(r, f"drainage.level.{low}.1", start, end))
    assert corr > 0.85 and 10 <= lag <= 45, (corr, lag)
    assert rain.corr(series(r, "traffic.congestion.city", start, end)) > 0.6
    assert rain.corr(series(r, f"traffic.congestion.{low}", start, end)) > 0.6
    assert rain.corr(series(r, f"traffic.speed.{low}", start, end)) < -0.3
    assert rain.corr(series(r, "hotline.calls.city", start, end)) > 0.7


def test_drainage_alarms_come_with_the_storm(platform):
    r, ind, storm = platform["readings"], platform["indicators"], platform["storm"]
    drains = r[r.code.str.startswith("drainage.level.")]
    alarm = drains.value >= ind.loc[drains.indicator_id, "alarm_high"].to_numpy()
    inside = (drains.ts >= storm.start) & (drains.ts <= storm.end + 2 * 3600)
    assert alarm[inside].sum() > 50
    assert alarm[~inside].mean() < 0.001
    districts = set(drains[alarm & inside].code.str.split(".").str[2])
    assert set(platform["low"]) <= districts, "the low-lying districts flood"
    assert len(districts) < len(platform["districts"]), "not every district floods"


def test_normal_days_are_mostly_normal_but_spikes_reach_warning(platform):
    r, ind, storm = platform["readings"], platform["indicators"], platform["storm"]
    calm = r[(r.ts < storm.start - 1800) | (r.ts > storm.end + 3 * 3600)]
    lim = ind.loc[calm.indicator_id]
    warn = (calm.value.to_numpy() >= lim.warn_high.fillna(np.inf).to_numpy()) | (
        calm.value.to_numpy() <= lim.warn_low.fillna(-np.inf).to_numpy())
    assert 0 < warn.mean() < 0.01
    # spikes: short excursions far outside the local noise of quiet signals
    spikes = 0
    for code, x in calm[calm.code.str.match(r"(building|water\.pressure|gas|power\.voltage)")].groupby("code"):
        v = x.value.to_numpy()
        resid = v - pd.Series(v).rolling(9, center=True, min_periods=1).median().to_numpy()
        sigma = 1.4826 * np.median(np.abs(resid)) + 1e-9
        spikes += int((np.abs(resid) > 10 * sigma).any())
    assert spikes >= 3


def test_sensors_drop_out_and_flag_doubtful_readings(platform):
    r, ind = platform["readings"], platform["indicators"]
    gaps = 0
    for iid, x in r.groupby("indicator_id"):
        gaps += int((np.diff(np.sort(x.ts.to_numpy())) > 3 * ind.loc[iid, "interval_s"]).sum())
    assert gaps >= 5
    assert (r.quality == QUALITY_UNCERTAIN).sum() > 0
    assert (r.quality == QUALITY_UNCERTAIN).mean() < 0.01
    jitter = r[r.code == "weather.rain.intensity"].ts.diff().dropna()
    assert jitter.std() > 1.0, "reading times are jittered around the interval"


def test_waterlogging_clusters_in_the_storm(platform):
    inc, storm = platform["incidents"], platform["storm"]
    assert set(inc.kind) <= set(INCIDENT_KINDS)
    water = inc[inc.kind == "waterlogging"]
    inside = (water.opened_at >= storm.start) & (water.opened_at <= storm.end + 3600)
    assert inside.sum() >= 5 and inside.mean() >= 0.75
    storm_hours = (storm.end + 3600 - storm.start) / 3600
    calm_hours = 12 - storm_hours
    accidents = inc[inc.kind == "traffic_accident"]
    in_acc = ((accidents.opened_at >= storm.start) & (accidents.opened_at <= storm.end + 3600)).sum()
    calm_rate = (len(inc) - inside.sum() - in_acc) / calm_hours
    assert 0.5 < calm_rate < 6, "a few incidents per hour in calm weather"
    assert all(t.startswith(INCIDENT_KINDS[k]) for t, k in zip(inc.title, inc.kind))


def test_incident_lifecycles_are_in_order_and_rows_match_their_newest_event(platform):
    inc, ev = platform["incidents"].set_index("id"), platform["incident_events"]
    assert set(ev.incident_id) == set(inc.index)
    for iid, events in ev.sort_values("seq").groupby("incident_id"):
        assert events.ts.is_monotonic_increasing, iid
        names = events.event.tolist()
        steps = [n for n in names if n in LIFECYCLE]
        assert steps == list(LIFECYCLE[:len(steps)]), (iid, names)
        if "escalated" in names or "comment" in names:
            extra = [i for i, n in enumerate(names) if n not in LIFECYCLE]
            assert min(extra) > names.index("on_scene") and max(extra) < names.index("resolved")
        row = inc.loc[iid]
        newest = events.iloc[-1]
        assert row.rev == newest.seq and row.updated_at == newest.ts
        assert row.status == EVENT_TO_STATUS[steps[-1]]
        assert row.opened_at == events.iloc[0].ts
        dispatched = events[events.event == "dispatched"]
        if len(dispatched):
            assert "dispatched" in dispatched.iloc[0].note and dispatched.iloc[0].actor
    assert inc.index.str.match(r"INC-\d{8}-\d{4}$").all()
    assert "closed" in set(inc.status)


def test_units_report_every_few_seconds_inside_the_city(platform):
    pos = platform["unit_positions"]
    assert pos.unit_id.nunique() == 12
    lon0, lat0, lon1, lat1 = city_bounds()
    assert pos.lon.between(lon0, lon1).all() and pos.lat.between(lat0, lat1).all()
    assert pos.heading.between(0, 360).all()
    gaps = pos.sort_values("ts").groupby("unit_id").ts.diff().dropna()
    assert 8 <= gaps.median() <= 16
    assert {"patrol", "en_route", "on_scene"} <= set(pos.status)
    # a moving patrol car covers plausible ground: no jumps faster than 120 km/h
    car = pos[pos.unit_id == "hel-p11"].sort_values("ts")
    step = np.hypot(np.diff(car.lon) * 55_500, np.diff(car.lat) * 111_000) / np.diff(car.ts)
    assert step.max() < 120 / 3.6 and step.mean() > 1.0


def city_bounds() -> tuple[float, float, float, float]:
    bounds = np.array([d.boundary.bounds for d in helsinki().districts])
    return bounds[:, 0].min(), bounds[:, 1].min(), bounds[:, 2].max(), bounds[:, 3].max()

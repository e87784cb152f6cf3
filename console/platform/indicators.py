"""The indicator catalogue: the city's operational vital signs, per district and city-wide.

Derived from the district list alone (and a fixed seed), so the catalogue, its ids and its
sensors are the same for every scenario seed and every process that rebuilds it. Each entry
names the value model (``console.platform.signals``) that produces its readings.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from console.model.indicator import Indicator
from console.platform.catalogue import Entry
from console.model.vocab import CATEGORIES
from console.platform.geo import Geography
from console.platform.timebase import rng

CATALOGUE_SEED = 0  # catalogue parameters do not change with the scenario seed


@dataclass(frozen=True, kw_only=True)
class Spec(Indicator):
    """One indicator as the platform publishes it, plus the parameters of its value model."""

    model: str  # key into signals.MODELS
    district: int = -1  # index into Geography districts, -1 city-wide
    scale: float = 1.0  # model-specific size (capacity, peak, centrality ...)
    extra: float = 0.0  # model-specific second parameter (well factor, offset ...)
    sensor: tuple[float, float] | None = None  # lon/lat of the field sensor; None for aggregates
    sensor_kind: str = ""

    def row(self) -> dict:
        """The contract's indicators row."""
        return {f.name: getattr(self, f.name) for f in fields(Indicator)}


def _high(warn: float, alarm: float) -> dict:
    return {"bad": "high", "warn_high": warn, "alarm_high": alarm}


def _low(warn: float, alarm: float) -> dict:
    return {"bad": "low", "warn_low": warn, "alarm_low": alarm}


def _both(wl: float, wh: float, al: float, ah: float) -> dict:
    return {"bad": "both", "warn_low": wl, "warn_high": wh, "alarm_low": al, "alarm_high": ah}


def centrality(geo: Geography, i: int) -> float:
    """0.7..1.2: how busy a district is (traffic, people, load)."""
    return 0.7 + 0.5 * float(rng(CATALOGUE_SEED, "centrality", geo.district_ids[i]).uniform())


def monitored_building(geo: Geography, i: int) -> int | None:
    """The district's structurally monitored building: its tallest (index into geo.b_*)."""
    found = np.flatnonzero(geo.b_district == i)
    if not found.size:
        return None
    return int(found[np.argmax(geo.b_height[found])])


def build_catalogue(geo: Geography) -> list[Spec]:
    """City-wide indicators first, then each district's set, ids 1..n in that order."""
    entries: list[dict] = []
    centre = (float(geo.lon0), float(geo.lat0))

    def add(code, name, category, unit, interval, decimals, model, district=-1, sensor=None, **kw):
        kind = kw.pop("sensor_kind", ".".join(code.split(".")[:2]))
        entries.append(dict(code=code, name=name, category=category, unit=unit, interval_s=float(interval),
                            decimals=decimals, model=model, district=district, sensor=sensor,
                            sensor_kind=kind, **kw))

    # -- city-wide -------------------------------------------------------------------------
    add("weather.rain.intensity", "Rain intensity", "weather", "mm/h", 60, 1, "rain", sensor=centre, **_high(10, 30))
    add("weather.temperature", "Air temperature", "weather", "°C", 300, 1, "temperature", sensor=centre,
        **_both(-20, 27, -27, 31))
    add("weather.wind.speed", "Wind speed", "weather", "m/s", 60, 1, "wind", sensor=centre, **_high(14, 20))
    add("weather.wind.gust", "Wind gusts", "weather", "m/s", 60, 1, "gust", sensor=centre, **_high(20, 26))
    add("weather.humidity", "Relative humidity", "weather", "%", 300, 0, "humidity", sensor=centre, **_low(20, 12))
    add("weather.pressure", "Air pressure", "weather", "hPa", 300, 1, "pressure", sensor=centre, **_low(985, 970))
    add("traffic.congestion.city", "Traffic congestion, city centre", "traffic", "%", 60, 0, "congestion",
        scale=0.95, **_high(60, 80))
    city_cap = float(sum(round(20 + 15 * centrality(geo, i), 0) for i in range(geo.n_districts)))
    add("power.load.city", "Power load, city centre", "power", "MW", 30, 0, "power_load", scale=city_cap,
        **_high(round(0.9 * city_cap), round(0.97 * city_cap)))
    add("power.frequency", "Grid frequency", "power", "Hz", 10, 3, "frequency", sensor=centre,
        **_both(49.9, 50.1, 49.8, 50.2))
    add("water.reservoir.level", "Clean-water reservoir level", "water", "%", 300, 1, "reservoir", sensor=centre,
        **_low(45, 30))
    add("heat.plant.output", "District heating plant output", "gas_heat", "MW", 300, 0, "heat_plant",
        sensor=centre, **_high(420, 480))
    add("air.o3.city", "Ozone O₃", "air", "µg/m³", 300, 0, "o3", sensor=centre, **_high(120, 180))
    add("hotline.calls.city", "12345 hotline calls, whole city", "hotline", "calls/15 min", 60, 0,
        "hotline_city", **_high(90, 150))
    add("hotline.answer_time", "12345 hotline mean answer time", "hotline", "s", 120, 0, "answer_time",
        **_high(60, 120))
    add("transit.metro.boardings", "Metro boardings", "transit", "boardings/10 min", 120, 0, "boardings",
        scale=2600.0, **_high(3400, 4000))
    add("transit.tram.punctuality", "Tram punctuality", "transit", "% on time", 300, 1, "punctuality",
        **_low(80, 70))

    # -- per district ----------------------------------------------------------------------
    for i, (name, s) in enumerate(zip(geo.district_names, geo.district_slugs)):
        c = centrality(geo, i)
        pts = geo.points_in(i)
        g = rng(CATALOGUE_SEED, "sensors", geo.district_ids[i])

        def spot() -> tuple[float, float]:
            p = geo.pt_lonlat[int(pts[g.integers(len(pts))])] if len(pts) else geo.district_centres[i]
            return (float(p[0]), float(p[1]))

        cap = round(20 + 15 * c, 0)
        peak_vol = round(180 + 220 * c, -1)
        peak_board = round(500 + 900 * c, -1)
        peak_flow = round(220 * c + 80, -1)
        add(f"traffic.congestion.{s}", f"Traffic congestion, {name}", "traffic", "%", 60, 0, "congestion", i,
            spot(), scale=c, **_high(65, 85))
        add(f"traffic.speed.{s}", f"Mean traffic speed, {name}", "traffic", "km/h", 60, 0, "speed", i, spot(),
            scale=c, **_low(18, 10))
        add(f"traffic.volume.{s}", f"Traffic volume, {name}", "traffic", "vehicles/5 min", 300, 0, "volume", i,
            spot(), scale=peak_vol, **_high(round(1.35 * peak_vol), round(1.6 * peak_vol)))
        add(f"power.load.{s}", f"Power load, {name}", "power", "MW", 30, 1, "power_load", i, spot(),
            scale=cap, **_high(round(0.9 * cap, 1), round(0.97 * cap, 1)))
        add(f"power.voltage.{s}", f"Distribution voltage, {name}", "power", "kV", 60, 2, "voltage", i, spot(),
            scale=cap, **_both(10.2, 10.8, 10.0, 11.0))
        add(f"water.pressure.{s}", f"Water supply pressure, {name}", "water", "bar", 30, 2, "water_pressure", i,
            spot(), **_both(3.4, 6.0, 2.8, 6.6))
        add(f"water.flow.{s}", f"Water supply flow, {name}", "water", "m³/h", 60, 0, "water_flow", i, spot(),
            scale=peak_flow, **_high(round(1.5 * peak_flow), round(1.9 * peak_flow)))
        for well, factor in ((1, 1.0), (2, 0.88)):
            add(f"drainage.level.{s}.{well}", f"Drainage well level, {name} #{well}", "drainage", "%", 60, 0,
                "drainage_level", i, spot(), extra=factor, **_high(60, 80))
        add(f"drainage.pump.{s}", f"Stormwater pumping, {name}", "drainage", "l/s", 60, 0, "drainage_pump", i,
            spot(), **_high(320, 380))
        add(f"gas.pressure.{s}", f"Gas network pressure, {name}", "gas_heat", "kPa", 60, 1, "gas_pressure", i,
            spot(), **_both(380, 420, 365, 435))
        add(f"heat.supply.{s}", f"District heating supply temperature, {name}", "gas_heat", "°C", 120, 1,
            "heat_supply", i, spot(), **_low(64, 58))
        add(f"air.pm25.{s}", f"PM2.5, {name}", "air", "µg/m³", 300, 1, "pm25", i, spot(), scale=c, **_high(25, 50))
        add(f"air.pm10.{s}", f"PM10, {name}", "air", "µg/m³", 300, 1, "pm10", i, spot(), scale=c, **_high(50, 100))
        add(f"air.no2.{s}", f"NO₂, {name}", "air", "µg/m³", 300, 0, "no2", i, spot(), scale=c, **_high(100, 200))
        add(f"hotline.calls.{s}", f"12345 hotline calls, {name}", "hotline", "calls/15 min", 300, 0, "hotline", i,
            scale=c, **_high(20, 35))
        add(f"transit.boardings.{s}", f"Transit boardings, {name}", "transit", "boardings/10 min", 120, 0,
            "boardings", i, scale=peak_board, **_high(round(1.3 * peak_board), round(1.6 * peak_board)))
        b = monitored_building(geo, i)
        where = (tuple(float(v) for v in geo.b_lonlat[b]) if b is not None else spot())
        label = (geo.b_name[b] or f"building {geo.b_ids[b]}") if b is not None else f"landmark, {name}"
        offset = round(float(g.uniform(-0.4, 0.4)), 2)
        add(f"building.tilt.{s}", f"Tilt, {label} ({name})", "building", "mrad", 30, 2, "tilt", i, where,
            extra=offset, **_both(-1.5, 1.5, -3.0, 3.0))
        add(f"building.strain.{s}", f"Strain, {label} ({name})", "building", "µε", 30, 0, "strain", i, where,
            scale=c, **_high(350, 500))

    specs = [Spec(id=n + 1, district_id=geo.district_ids[e["district"]] if e["district"] >= 0 else None, **e)
             for n, e in enumerate(entries)]
    assert {s.category for s in specs} == set(CATEGORIES), "every vital-sign category has indicators"
    return specs



#: The measures' names in Simplified Chinese; the place after the comma stays as the map has it.
ZH = {
    "Rain intensity": "降雨强度", "Air temperature": "气温", "Wind speed": "风速", "Wind gusts": "阵风",
    "Relative humidity": "相对湿度", "Air pressure": "气压", "Traffic congestion": "交通拥堵指数",
    "Power load": "电力负荷", "Grid frequency": "电网频率", "Clean-water reservoir level": "清水池水位",
    "District heating plant output": "集中供热热源出力", "Ozone O₃": "臭氧 O₃", "12345 hotline calls": "12345热线来电量",
    "12345 hotline mean answer time": "12345热线平均接听时长", "Metro boardings": "地铁进站量",
    "Tram punctuality": "有轨电车准点率", "Mean traffic speed": "平均车速", "Traffic volume": "交通流量",
    "Distribution voltage": "配电电压", "Water supply pressure": "供水压力", "Water supply flow": "供水流量",
    "Drainage well level": "排水井水位", "Stormwater pumping": "雨水泵站排量", "Gas network pressure": "燃气管网压力",
    "District heating supply temperature": "供热供水温度", "PM2.5": "PM2.5", "PM10": "PM10", "NO₂": "二氧化氮 NO₂",
    "Transit boardings": "公交进站量", "Tilt": "倾斜", "Strain": "应变",
}
ZH_PLACES = {"city centre": "市中心", "whole city": "全市"}


def zh_name(name: str) -> str | None:
    """"Traffic congestion, Kamppi" -> "交通拥堵指数, Kamppi"; None for a measure without a translation."""
    measure, comma, place = name.partition(", ")
    if measure not in ZH:
        return None
    return ZH[measure] + (", " + ZH_PLACES.get(place, place) if comma else "")  # ", ": the tiles split there


def entry_of_spec(s: Spec) -> Entry:
    """The catalogue entry of one of the simulator's indicators."""
    lon, lat = (round(s.sensor[0], 7), round(s.sensor[1], 7)) if s.sensor is not None else (None, None)
    return Entry(code=s.code, name=s.name, name_zh=zh_name(s.name), category=s.category, unit=s.unit,
                 district=s.district_id, sensor_lon=lon, sensor_lat=lat, warn_low=s.warn_low,
                 warn_high=s.warn_high, alarm_low=s.alarm_low, alarm_high=s.alarm_high, bad=s.bad,
                 interval_s=s.interval_s, decimals=s.decimals)

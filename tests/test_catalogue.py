"""The indicator catalogue: TOML and CSV, checked whole with one line per problem, applied by code."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from console.platform.catalogue import (FIELDS, CatalogueError, Entry, apply_catalogue, read_catalogue,
                                        write_catalogue)
from console.platform.create import create_platform
from console.model.schema import P

GOOD = """[[indicator]]
code = "water.pressure.north"
name = "Water supply pressure, North"
name_zh = "供水压力，North"
category = "water"
unit = "bar"
district = "north"
sensor_lon = 9.52
sensor_lat = 47.14
alarm_low = 2.8
warn_low = 3.4
warn_high = 6.0
alarm_high = 6.6
bad = "both"
interval_s = 30
decimals = 2
column = "p_north"

[[indicator]]
code = "weather.rain.intensity"
name = "Rain intensity"
category = "weather"
unit = "mm/h"
warn_high = 10
alarm_high = 30
bad = "high"
interval_s = 60
"""


def test_toml_and_csv_read_alike_and_round_trip(tmp_path):
    toml = tmp_path / "cat.toml"
    toml.write_text(GOOD, encoding="utf-8")
    entries = read_catalogue(toml)
    assert [e.code for e in entries] == ["water.pressure.north", "weather.rain.intensity"]
    assert entries[0].sensor == (9.52, 47.14) and entries[0].district == "north" and entries[1].district is None
    csv = tmp_path / "cat.csv"
    write_catalogue(csv, entries)
    again = tmp_path / "again.toml"
    write_catalogue(again, read_catalogue(csv))
    strip = lambda es: [e.values() | {"sensor": e.sensor, "column": e.column} for e in es]  # noqa: E731
    assert strip(read_catalogue(csv)) == strip(read_catalogue(again)) == strip(entries)


@pytest.mark.parametrize("change, message", [
    (('bad = "both"', 'bad = "sideways"'), "indicator 1: bad: 'sideways' is not high, low or both"),
    (('category = "water"', 'category = "sewage"'), "indicator 1: category: 'sewage' is not a category"),
    (("warn_high = 6.0", "warn_high = 7.0"), "indicator 1: alarm_high: 6.6 is below warn_high 7"),
    (("interval_s = 30", "interval_s = -5"), "indicator 1: interval_s: -5 is not a reporting interval"),
    (("sensor_lat = 47.14\n", ""), "indicator 1: sensor_lat: missing (sensor_lon is given: a sensor needs both)"),
    (("sensor_lon = 9.52", "sensor_lon = 190"), "indicator 1: sensor_lon: 190 is not a longitude"),
    (('code = "weather.rain.intensity"', 'code = "water.pressure.north"'),
     "indicator 2: code: 'water.pressure.north' is already in indicator 1"),
    (("warn_high = 10\nalarm_high = 30\n", ""), "indicator 2: bad: 'high' needs warn_high or alarm_high"),
    (("decimals = 2", 'decimals = "two"'), "indicator 1: decimals: 'two' is not a number"),
    (('unit = "bar"', 'unit = "bar"\ncolour = "red"'), "indicator 1: colour: unknown field"),
])
def test_each_mistake_is_one_line_naming_file_row_and_field(tmp_path, change, message):
    path = tmp_path / "cat.toml"
    path.write_text(GOOD.replace(*change, 1), encoding="utf-8")
    with pytest.raises(CatalogueError) as err:
        read_catalogue(path)
    assert len(err.value.problems) == 1, err.value.problems
    assert err.value.problems[0].startswith(f"{path}: {message}")


def test_csv_rows_are_named_as_a_spreadsheet_numbers_them(tmp_path):
    path = tmp_path / "cat.csv"
    path.write_text("code,name,category,bad,interval_s,warn_high\n"
                    "a.one,One,power,high,60,5\n\n"
                    "a.two,Two,power,high,soon,5\n"
                    "a.three,,power,low,60,\n", encoding="utf-8")
    with pytest.raises(CatalogueError) as err:
        read_catalogue(path)
    assert err.value.problems == [
        f"{path}: row 4: interval_s: 'soon' is not a number",
        f"{path}: row 5: name: missing",  # (how its limits fit together is checked once its fields are right)
    ]
    path.write_text("code,name,colour\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"row 1: colour: unknown column"):
        read_catalogue(path)


_cell = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                  st.text(string.printable + "°µ³₂中", max_size=12), st.lists(st.integers(), max_size=2))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.dictionaries(st.sampled_from(FIELDS + ("oops",)), _cell, max_size=8), max_size=4),
       as_csv=st.booleans())
def test_generated_catalogues_load_or_fail_in_lines_naming_the_file(tmp_path, rows, as_csv):
    path = tmp_path / ("gen.csv" if as_csv else "gen.toml")
    if as_csv:
        keys = sorted({k for r in rows for k in r})
        body = [",".join(keys)] + [",".join(str(r.get(k, "")).replace(",", " ").replace("\n", " ")
                                            .replace("\r", " ").replace('"', "") for k in keys) for r in rows]
        path.write_text("\n".join(body) + "\n", encoding="utf-8")
    else:
        def toml(v):
            if isinstance(v, bool):
                return str(v).lower()
            if isinstance(v, float):
                return "nan" if v != v else ("inf" if v == float("inf") else "-inf" if v == float("-inf") else repr(v))
            if isinstance(v, str):
                return '"' + v.encode("unicode_escape").decode().replace('"', '\\"') + '"'
            return str(v) if not isinstance(v, list) else "[" + ", ".join(map(str, v)) + "]"
        path.write_text("".join("[[indicator]]\n" + "".join(f"{k} = {toml(v)}\n" for k, v in r.items()
                                                             if v is not None) for r in rows), encoding="utf-8")
    try:
        entries = read_catalogue(path)
    except CatalogueError as exc:
        assert exc.problems and all(p.startswith(f"{path}: ") and "\n" not in p for p in exc.problems)
    else:
        assert all(isinstance(e, Entry) for e in entries)


def test_applying_an_edited_catalogue_updates_in_place_and_keeps_ids(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    create_platform(url, simulate=False)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(P["districts"].insert(), [{"id": "north", "name": "North", "boundary": "{}"}])
    path = tmp_path / "cat.toml"
    path.write_text(GOOD, encoding="utf-8")
    with engine.begin() as conn:
        first = apply_catalogue(conn, read_catalogue(path), path)
    assert first == {"new": 2, "changed": 0, "unchanged": 0, "kept": 0, "sensors": 1}
    edited = GOOD.replace("warn_high = 6.0", "warn_high = 6.2").replace("Water supply pressure, North", "Pressure N")
    path.write_text(edited.replace('code = "weather.rain.intensity"', 'code = "weather.wind.speed"'), encoding="utf-8")
    with engine.begin() as conn:
        again = apply_catalogue(conn, read_catalogue(path), path)
        rows = conn.execute(text("SELECT id, code, name, warn_high FROM indicators ORDER BY id")).all()
    assert again == {"new": 1, "changed": 0 + 1, "unchanged": 0, "kept": 1, "sensors": 0}
    assert [tuple(r) for r in rows] == [(1, "water.pressure.north", "Pressure N", 6.2),
                                        (2, "weather.rain.intensity", "Rain intensity", 10.0),
                                        (3, "weather.wind.speed", "Rain intensity", 10.0)]
    path.write_text(GOOD.replace('district = "north"', 'district = "south"'), encoding="utf-8")
    with engine.begin() as conn, pytest.raises(CatalogueError, match=r"indicator 1: district: no district 'south'"):
        apply_catalogue(conn, read_catalogue(path), path)
    engine.dispose()


def test_city_catalogue_writes_the_demo_catalogue_with_chinese_names(tmp_path):
    from console.cli import main

    out = tmp_path / "demo.csv"
    assert main(["city", "catalogue", "--out", str(out)]) == 0
    entries = read_catalogue(out)
    codes = {e.code: e for e in entries}
    assert len(entries) == 16 + 6 * 19 and codes["drainage.level.kamppi.1"].name_zh == "排水井水位, Kamppi #1"
    assert codes["traffic.congestion.city"].name_zh == "交通拥堵指数, 市中心"
    assert codes["drainage.level.kamppi.1"].sensor is not None and codes["hotline.calls.city"].sensor is None
    assert Path(out).read_text(encoding="utf-8").splitlines()[0] == ",".join(FIELDS)


def test_a_console_picks_up_an_applied_catalogue_within_seconds_without_push(tmp_path, monkeypatch):
    from console.cache import Cache
    from console.cli_city import apply_file
    from console.sync import engine as sync_engine, step as sync_step
    from console.sync.sql_connector import SqlConnector

    url = f"sqlite:///{tmp_path / 'p.db'}"
    create_platform(url, simulate=False)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(P["districts"].insert(), [{"id": "north", "name": "North", "boundary": "{}"}])
    engine.dispose()
    path = tmp_path / "cat.toml"
    path.write_text(GOOD, encoding="utf-8")
    apply_file(path, url)
    connector, cache = SqlConnector(url), Cache(tmp_path / "cache.db")
    sync = sync_engine.SyncEngine(connector, cache)
    assert sync.step().reference is not None  # the first step reads reference data
    assert sync.step().reference is None  # nothing changed: not again
    path.write_text(GOOD.replace("warn_high = 6.0", "warn_high = 6.3"), encoding="utf-8")
    apply_file(path, url)
    monkeypatch.setattr(sync_step, "REFERENCE_CHECK_S", 0.0)  # instead of waiting the 5 s between checks
    reference = sync.step().reference
    assert reference is not None and [r["warn_high"] for r in reference["indicators"]] == [6.3, 10.0]
    assert [r["warn_high"] for r in cache.rows("indicators")] == [6.3, 10.0]
    connector.close()
    cache.close()


def test_a_chinese_wall_names_indicators_by_their_chinese_names(monkeypatch):
    from console.store import Store

    rows = [{"id": 1, "code": "a", "name": "Water supply pressure, North", "name_zh": "供水压力, North",
             "category": "water", "unit": "bar", "interval_s": 30.0, "bad": "high", "warn_high": 6.0},
            {"id": 2, "code": "b", "name": "Rain intensity", "name_zh": None, "category": "weather", "unit": "mm/h",
             "interval_s": 60.0, "bad": "high", "warn_high": 10.0}]
    english = Store()
    english.load_reference({"indicators": rows})
    monkeypatch.setattr(Store, "names_in", "zh")
    chinese = Store()
    chinese.load_reference({"indicators": rows})
    assert [i.name for i in english.indicators.values()] == ["Water supply pressure, North", "Rain intensity"]
    assert [i.name for i in chinese.indicators.values()] == ["供水压力, North", "Rain intensity"]

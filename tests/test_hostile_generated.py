"""Generated hostile rows for every reference and stream table, from the schema itself.

Each column draws plausible values most of the time and, now and then, what a broken or hostile
platform sends: NaN, ±1e308, subnormals, integers past 64 bits, text where numbers belong,
bidirectional overrides, zero-width and control characters, lone surrogates, geometry off Earth,
nested thousands deep or open and self-crossing. Whatever comes, the rules never raise, every row
they pass obeys them, the cache takes it (no NOT NULL, no unbindable value), and a real wall
(offscreen) keeps drawing it.
"""

from __future__ import annotations

import json
import math
import unicodedata

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Float, Integer

from console.cache import Cache
from console.clock import Clock
from console.layout.parse import load_layout
from console.map.features import city_geometry
from console.model.plausible import row_bounds
from console.model.schema import P, REFERENCE_TABLES
from console.model.schema import STREAMS as SCHEMA_STREAMS
from console.shell.app import Wall
from console.shell.qt_setup import qt_app
from console.sync.batch import Batch
from console.sync.sql_connector import SqlConnector
from console.sync.engine import SyncEngine
from console.sync.reference import write_reference
from console.sync.rules import geometry, tables
from console.sync.validate import check_readings, check_reference, check_rows
from console.text import unsafe
from tests.test_hostile_rows import LAYOUT
from widgets import view_params
from widgets.map.basemap import Basemap, View

NOW = 1_780_000_000.0
STREAMS = (*(s for s in SCHEMA_STREAMS if s != "readings"), "incidents")  # readings: tests/test_validate.py
HOSTILE_CHARS = "\u202e\u202d\u2066\u200b\u200f\ufeff\x00\x1b\n\t\u0301\u0489\u2028\ud800"

hostile_text = st.text(st.sampled_from(HOSTILE_CHARS) | st.characters(codec="utf-8"), max_size=24)
hostile_number = st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 5e-324, -5e-324, 2**64, 10**400,
                                  True, "12,5", b"1", None])


def coordinate(lo: float, hi: float):
    return st.floats(lo, hi) | st.sampled_from([1e308, -1e308, math.nan, math.inf, 181.0, -90.5, 5e-324])


position = st.lists(coordinate(-180, 180), min_size=2, max_size=2).map(lambda p: [p[0], p[1] / 2])
ring = st.lists(position, min_size=0, max_size=7).map(lambda r: r + r[:1] if r and len(r) % 2 else r)
GEOJSON = st.one_of(
    st.builds(lambda c: {"type": "Polygon", "coordinates": c}, st.lists(ring, min_size=1, max_size=2)),
    st.builds(lambda c: {"type": "MultiPolygon", "coordinates": c}, st.lists(st.lists(ring, min_size=1, max_size=2),
                                                                              max_size=2)),
    st.builds(lambda c: {"type": "LineString", "coordinates": c}, st.lists(position, max_size=5)),
    st.builds(lambda c: {"type": "Point", "coordinates": c}, position),
    st.just({"type": "GeometryCollection", "geometries": []}),
).map(json.dumps) | st.sampled_from([
    '{"type":"GeometryCollection","geometries":[' * 5000 + "]}" * 5000, '{"type":"Polygon","coordinates":7}',
    "[" * 20_000, "not json", '{"type":"Polygon","coordinates":[[[0,0],[1,Infinity],[1,1],[0,0]]]}']) | hostile_text
MODEL = st.builds(lambda v, s: json.dumps({"type": "CityJSON", "CityObjects": {}, "vertices": v,
                                           "transform": {"scale": s, "translate": [24.9, 60.1, 0]}}),
                  st.lists(st.lists(st.integers(-10**6, 10**6) | st.floats(), min_size=3, max_size=3), max_size=4),
                  st.lists(st.sampled_from([1e-6, 1e-3, 1e308, math.nan]), min_size=3, max_size=3)) | hostile_text
STEPS = st.lists(hostile_text, max_size=4).map(json.dumps) | hostile_text
KEY = st.sampled_from(["kallio", "kamppi", "fire", "open", "street", "park", "high", "both", "patrol"]) | hostile_text


def column_values(table: str, column) -> st.SearchStrategy:
    """What one column may hold: a plausible value, mostly, else a hostile one."""
    name = column.name
    if isinstance(column.type, Integer):
        good = st.integers(1, 4) if name in ("severity", "quality", "decimals") else st.integers(0, 10**6)
    elif isinstance(column.type, Float):
        good = (coordinate(-180, 180) if name == "lon" else coordinate(-90, 90) if name == "lat"
                else st.floats(NOW - 86_400, NOW) if name in ("ts", "opened_at", "updated_at")
                else st.floats(-1e3, 1e3) | st.none())
    elif (table, name) in tables._SHAPES:
        return GEOJSON
    elif name == "model":
        return st.none() | MODEL
    elif name == "steps":
        return STEPS
    else:
        good = KEY if name in tables._KEYS else hostile_text
    return st.one_of(good, good, good, hostile_number)


def rows_of(table: str, max_size: int = 6) -> st.SearchStrategy:
    columns = [c for c in P[table].columns if c.name != "txid"]
    return st.lists(st.fixed_dictionaries({c.name: column_values(table, c) for c in columns}), max_size=max_size)


def obeys_rules(table: str, row: dict) -> None:
    """Assert what a passed row promises every view and the cache."""
    for column in P[table].columns:
        name, x = column.name, row.get(column.name)
        if x is None:
            assert column.nullable or name == "txid", (name, row)
            continue
        if isinstance(column.type, Integer):
            assert type(x) is int and -2**63 <= x < 2**63
        elif isinstance(column.type, Float):
            assert type(x) is float and math.isfinite(x)
            if name == "lon":
                assert -180 <= x <= 180
            if name == "lat":
                assert -90 <= x <= 90
        else:
            assert type(x) is str
            x.encode("utf-8")  # storable
            if (table, name) in tables._SHAPES:
                shape = shapely.from_geojson(x)
                assert shape.is_valid and not shape.is_empty
                xy = shapely.get_coordinates(shape)
                assert len(xy) <= geometry.MAX_VERTICES and np.isfinite(xy).all()
                assert (np.abs(xy[:, 0]) <= 180).all() and (np.abs(xy[:, 1]) <= 90).all()
            elif name in tables._KEYS:
                assert unsafe(x) is None and len(x) <= tables.MAX_KEY
            elif name in tables._LABELS:
                assert len(x) <= tables._LABELS[name]
                assert not any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co") for c in x), repr(x)


@pytest.fixture(scope="module")
def cache(small_platform_file, tmp_path_factory) -> Cache:
    path = tmp_path_factory.mktemp("generated") / "cache.db"
    cache = Cache(path)
    SyncEngine(SqlConnector(f"sqlite:///{small_platform_file}"), cache).catch_up()
    with cache.engine.begin() as conn:  # a small city: each generated step redraws all of it
        for table in ("map_features", "buildings", "sensors"):
            conn.exec_driver_sql(f"DELETE FROM {table} WHERE rowid NOT IN (SELECT rowid FROM {table} LIMIT 15)")
    yield cache
    cache.close()


def _cache_takes(cache: Cache, reference: dict, streams: dict) -> None:
    """The cache stores every row the rules passed (no NOT NULL, nothing unbindable); rolled back after."""
    with cache.engine.connect() as conn:
        trans = conn.begin()
        for table, rows in reference.items():
            cache.upsert(conn, table, rows)
        for stream, rows in streams.items():
            if stream == "incidents":
                cache.upsert_incidents(conn, rows)
            else:
                cache.append(conn, stream, rows)
        trans.rollback()


@pytest.mark.parametrize("table", [*REFERENCE_TABLES, *STREAMS])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_generated_rows_of_every_table(table, data, cache):
    rows = data.draw(rows_of(table))
    good, rejected = check_rows(table, rows, NOW)
    assert len(good) + len(rejected) == len(rows)
    for row in good:
        obeys_rules(table, row)
    for r in rejected:
        assert r.reason and r.stream == table
        json.loads(r.quarantine_row(NOW)["row"])
    if table in REFERENCE_TABLES:  # the sync engine's path: replaced whole, last good versions kept
        with cache.engine.connect() as conn:
            trans = conn.begin()
            held, _ = write_reference(cache, conn, {table: rows}, NOW)
            trans.rollback()
        firsts, seen = [], set()  # a second row with an id (or an indicator's code) already seen is a duplicate
        for row in good:
            keys = {row["id"]} | ({row["code"]} if table == "indicators" else set())
            if not keys & seen:
                seen |= keys
                firsts.append(row)
        assert len(held[table]) >= len(firsts)
    else:
        _cache_takes(cache, {}, {s: good if s == table else [] for s in STREAMS})


@pytest.fixture(scope="module")
def wall(cache, tmp_path_factory):
    layout = tmp_path_factory.mktemp("layout") / "hostile.toml"
    layout.write_text(LAYOUT, encoding="utf-8")
    qt_app()
    newest = cache.engine.connect().exec_driver_sql("SELECT max(ts) FROM readings").scalar()
    wall = Wall(load_layout(layout, view_params()), cache, None, Clock(lambda: newest + 30))
    wall.start()
    yield wall
    wall.stop()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                  HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_wall_keeps_drawing_whatever_a_step_brings(data, wall, cache):
    """A whole hostile step (every table at once) through the rules into a running wall."""
    base = cache.reference()
    drawn = {t: data.draw(rows_of(t, 3), label=t) for t in (*REFERENCE_TABLES, *STREAMS)}
    reference, _ = check_reference({t: base[t] + drawn[t] for t in REFERENCE_TABLES}, NOW)
    streams = {s: check_rows(s, drawn[s], wall.clock.now())[0] for s in STREAMS}
    ids = {r["id"]: row_bounds(r) for r in reference["indicators"]}
    values = data.draw(st.lists(st.floats() | st.sampled_from([1e308, 5e-324, -1e308]), max_size=6), label="values")
    readings, _ = check_readings([(10**9 + i, 1, wall.clock.now() - 1 - i, v, 0) for i, v in enumerate(values)],
                                 ids, wall.clock.now())
    _cache_takes(cache, reference, streams)
    geo = city_geometry(reference)
    assert geo is not None
    wall._on_batch(Batch(readings=readings, reference=reference, **streams))
    wall.refresh()
    (window,) = wall.windows
    picture = window.grab()
    assert not picture.isNull()
    x0, y0, x1, y1 = geo.bounds
    pixmap, _ = Basemap(geo).render(View((x0 + x1) / 2, (y0 + y1) / 2, 0.05, 320, 240))
    assert not pixmap.isNull()

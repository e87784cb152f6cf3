"""A second real city end to end: Liechtenstein's platform from its OSM extract, simulated and empty
with imported readings, synced and shown on the wall (offscreen, four 1080p screens), checked by
what the wall's store holds and by the map's pixels; and the OSM inputs that must fail in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.cache import Cache
from console.citybuild import build_platform, city_from_sources
from console.platform.catalogue import read_catalogue
from console.city import load_city
from console.errors import UserError
from console.importers.osm import import_osm
from console.importers.readings import import_readings
from console.store import Store
from console.store.warm import warm_store
from console.sync.sql_connector import SqlConnector
from console.sync.engine import SyncEngine

REPO = Path(__file__).resolve().parents[1]
LIECHTENSTEIN = "liechtenstein-2013-08-03.osm.pbf"
MUNICIPALITIES = ["Balzers", "Eschen", "Gamprin", "Mauren", "Planken", "Ruggell", "Schaan", "Schellenberg",
                  "Triesen", "Triesenberg", "Vaduz"]

# The wall in a child process (Qt's offscreen platform, a screen file of four 1080p screens): it
# prints what it shows and how much of the map canvas is drawn inside and far outside the districts.
CHILD = r"""
import json, sys, time
from pathlib import Path
import numpy as np, shapely
from shapely.geometry import shape
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from console.cache import Cache
from console.clock import Clock
from console.shell.app import Wall, read_layout
from console.shell.qt_setup import qt_app

layout, cache_file, shots = sys.argv[1:4]  # shots "": no pictures (they take seconds to encode)
app = qt_app()
wall = Wall(read_layout(layout), Cache(Path(cache_file)), None, Clock())
wall.start()
end = time.monotonic() + 4
while time.monotonic() < end:
    app.processEvents()
    time.sleep(0.05)
paths = [str(p) for p in wall.screenshot(Path(shots))] if shots else []
view = next(v for w in wall.windows for v in w.views if v.name == "map")
canvas = view.canvas
img = canvas.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
w, h = img.width(), img.height()
px = np.frombuffer(img.constBits(), np.uint8).reshape(h, img.bytesPerLine())[:, :w * 3].reshape(h, w, 3)
drawn = np.abs(px.astype(int) - px[h // 2, 2].astype(int)).sum(axis=2) > 12  # vs the canvas's empty colour
v = canvas.view()
city = shapely.union_all([shape(json.loads(r["boundary"])) for r in wall.store.reference["districts"]])
xs, ys = np.meshgrid(np.arange(20, w - 20, 8), np.arange(60, h - 60, 8))
lon, lat = view.geo.projection.inverse(v.cx + (xs - w / 2) / v.scale, v.cy - (ys - h / 2) / v.scale)
inside = shapely.contains_xy(city, lon, lat)
far = ~shapely.contains_xy(city.buffer(0.02), lon, lat)
print(json.dumps({"titles": [w.header.title.text() for w in wall.windows], "paths": paths,
                  "inside_drawn": float(drawn[ys, xs][inside].mean()), "far_drawn": float(drawn[ys, xs][far].mean()),
                  "far_share": float(far.mean())}))
wall.stop()
"""


def _screens(path: Path) -> Path:
    screens = [{"name": f"wall-{i + 1}", "x": (i % 2) * 1920, "y": (i // 2) * 1080, "width": 1920, "height": 1080,
                "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1} for i in range(4)]
    path.write_text(json.dumps({"screens": screens}), encoding="utf-8")
    return path


def _wall(tmp_path: Path, platform: Path, shots: Path | None, screens: tuple[str, ...] = ()) -> tuple[dict, Store]:
    """Sync the platform into a cache, show it on the city layout (only ``screens`` if given), and fill
    a store as the wall does."""
    cache_path = tmp_path / f"{platform.stem}-cache.db"
    cache, connector = Cache(cache_path), SqlConnector(f"sqlite:///{platform}")
    SyncEngine(connector, cache).catch_up()
    connector.close()
    cache.close()
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={_screens(tmp_path / 'screens.json')}",
           "PYTHONPATH": str(REPO), "CITYOPS_SCENE": "offscreen"}
    layout = REPO / "layouts" / "city.toml"
    if screens:
        head, *blocks = layout.read_text(encoding="utf-8").split("[[screens]]")
        layout = tmp_path / "city.toml"
        layout.write_text("[[screens]]".join([head, *(b for b in blocks if b.split('"')[1] in screens)]))
    done = subprocess.run([sys.executable, "-c", CHILD, str(layout), str(cache_path), str(shots or "")],
                          capture_output=True, text=True, env=env, timeout=300, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    store = Store()
    cache = Cache(cache_path)
    warm_store(store, cache, time.time())
    cache.close()
    return json.loads(done.stdout.strip().splitlines()[-1]), store


def _no_helsinki(store: Store) -> None:
    helsinki = load_city()
    names = {d.name for d in helsinki.districts} | {d.id for d in helsinki.districts}
    ref = store.reference
    shown = ([r["id"] for r in ref["districts"]] + [r["name"] for r in ref["districts"]]
             + [i.code for i in store.indicators.values()] + [i.name for i in store.indicators.values()]
             + [r["callsign"] for r in ref["units"]] + [r["title"] for r in store.incidents.values()]
             + [e["actor"] + e["note"] for ev in store.incident_events.values() for e in ev])
    assert not [s for s in shown for n in names | {"HEL-", "Helsinki", "ESP-", "VAN-", "HSY-"} if n in s]
    streets = {r["name"] for r in ref["map_features"] if r["name"]}
    assert not streets & {f.name for f in helsinki.features if f.name}


@pytest.fixture(scope="module")
def liechtenstein(shared_data):
    """The city read once from its extract: (City, import report)."""
    return city_from_sources(shared_data / LIECHTENSTEIN)


def test_liechtenstein_districts_are_its_eleven_municipalities(liechtenstein):
    city, report = liechtenstein
    assert city.name == "Liechtenstein"
    assert [d.name for d in city.districts] == MUNICIPALITIES
    assert city.districts[0].boundary.geom_type == "MultiPolygon"  # Balzers has an exclave
    assert "the 11 admin_level 8 areas inside Liechtenstein" in report.summary()
    assert len(city.buildings) == 3719 and "4 buildings outside the districts left out" in report.summary()


def test_the_liechtenstein_wall_simulated_and_empty_with_imported_readings(liechtenstein, shared_data, tmp_path):
    shots = Path(os.environ["CITYOPS_SCREENSHOTS"]) if os.environ.get("CITYOPS_SCREENSHOTS") else None
    simulated = tmp_path / "liechtenstein.db"
    summary = build_platform(f"sqlite:///{simulated}", liechtenstein[0], simulate_hours=1.0)
    assert summary["city"] == "Liechtenstein" and summary["district_names"] == MUNICIPALITIES
    assert summary["rows"]["buildings"] == 3719 and summary["indicators"] == 16 + 11 * 19
    shown, store = _wall(tmp_path, simulated, shots and shots / "simulated", ("main", "health", "incidents"))
    assert shown["titles"] == ["Liechtenstein — city operations"] * 3  # (the 3D screen: bench and eyes, not here)
    assert shown["inside_drawn"] > 0.9 and shown["far_share"] > 0.2 and shown["far_drawn"] < 0.1, shown
    assert sorted(r["name"] for r in store.reference["districts"]) == MUNICIPALITIES
    assert {i.district_id for i in store.indicators.values()} - {None} == {
        r["id"] for r in store.reference["districts"]}
    assert all(len(s) for s in store.series.values() if s is not None) and store.incidents
    assert len(store.reference["buildings"]) == 3719 and "Städtle" in {
        r["name"] for r in store.reference["map_features"]}  # Vaduz's main street
    _no_helsinki(store)

    empty = tmp_path / "liechtenstein-empty.db"
    build_platform(f"sqlite:///{empty}", liechtenstein[0])
    recent = tmp_path / "recent.csv"  # the Seattle year's last two days, as if they had just been measured
    lines = (shared_data / "seattle-weather-hourly.csv").read_text().splitlines()
    now = int(time.time()) // 3600 * 3600
    recent.write_text("time," + lines[0].split(",", 1)[1] + "\n" + "".join(
        f"{now - 3600 * (47 - k)},{line.split(',', 1)[1]}\n" for k, line in enumerate(lines[-48:])))
    report = import_readings(recent, f"sqlite:///{empty}", mapping={"pressure": ("weather.pressure", "hPa"),
                                                          "temperature": ("weather.temperature", None),
                                                          "wind": ("weather.wind.speed", "m/s")})
    assert report.counts["reading"] == 144
    shown, store = _wall(tmp_path, empty, shots and shots / "empty", ("main", "incidents"))
    assert shown["titles"] == ["Liechtenstein — city operations"] * 2 and shown["inside_drawn"] > 0.9
    has = sorted(store.indicators[i].code for i, s in store.series.items() if len(s))
    assert has == ["weather.pressure", "weather.temperature", "weather.wind.speed"]
    assert store.latest(store.by_code["weather.temperature"].id, time.time())[1] == float(lines[-1].split(",")[2])
    assert not store.incidents and not store.reference["units"]
    _no_helsinki(store)


def test_a_city_is_built_whole_or_not_at_all(liechtenstein, tmp_path):
    target = tmp_path / "p.db"
    bad = tmp_path / "cat.csv"
    bad.write_text("code,name,category,bad,interval_s,warn_high,district\nx.one,One,power,high,60,5,atlantis\n")
    with pytest.raises(UserError) as err:
        build_platform(f"sqlite:///{target}", liechtenstein[0], read_catalogue(bad), bad)
    assert str(err.value) == f"{bad}: row 2: district: no district 'atlantis' in the platform (its districts: " \
                             "balzers, eschen, gamprin, mauren, planken, ruggell, schaan, schellenberg, triesen, " \
                             "triesenberg, vaduz)"
    assert not target.exists()
    theirs = tmp_path / "notes.db"
    theirs.write_text("not a database, and not ours")
    with pytest.raises(UserError, match="file is not a database"):
        build_platform(f"sqlite:///{theirs}", liechtenstein[0])
    assert theirs.read_text() == "not a database, and not ours"


_coord = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr),
                   st.text("0123456789.-+eE x", max_size=8), st.sampled_from(["9.5", "47.1", "200", "-91"]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(nodes=st.lists(st.tuples(_coord, _coord), min_size=1, max_size=5), closed=st.booleans())
def test_generated_osm_files_import_or_fail_in_one_line(tmp_path, nodes, closed):
    path = tmp_path / "gen.osm"
    refs = list(range(1, len(nodes) + 1)) + ([1] if closed else [])
    path.write_text('<?xml version="1.0"?>\n<osm version="0.6">\n' + "".join(
        f' <node id="{i}" lat="{lat}" lon="{lon}"/>\n' for i, (lat, lon) in enumerate(nodes, 1))
        + ' <way id="9">' + "".join(f'<nd ref="{r}"/>' for r in refs)
        + f'<tag k="{"building" if closed else "highway"}" v="yes"/></way>\n</osm>\n', encoding="utf-8")
    try:
        import_osm(path)
    except UserError as exc:
        assert str(exc).startswith((f"{path}: ", f"{path.name}: ")) and "\n" not in str(exc)


def test_districts_import_takes_the_district_layer_of_osm_output_and_refuses_thousands(tmp_path):
    from console.importers.districts import read_districts

    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    feats = [{"type": "Feature", "properties": {"layer": "district", "id": "mitte", "name": "Mitte"},
              "geometry": square}] + [
        {"type": "Feature", "properties": {"layer": "building", "id": f"b{i}"}, "geometry": square} for i in range(3)]
    path = tmp_path / "city.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    rows, report = read_districts(path)
    assert [r["id"] for r in rows] == ["mitte"] and "3 features of other layers" in report.summary()
    many = [{"type": "Feature", "properties": {"name": f"Lot {i}"}, "geometry": square} for i in range(600)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": many}))
    with pytest.raises(UserError) as err:
        read_districts(path)
    assert str(err.value) == (f"{path}: 600 polygons are too many to be districts (at most 500); give a file "
                              "of district boundaries, or buildings to: cityops import buildings")


def test_city_and_platform_commands_say_mistakes_in_one_line_and_empty_means_the_contract(tmp_path, capsys):
    import sqlite3

    from console.cli import main
    from console.model.schema import platform_metadata

    missing = tmp_path / "none.pbf"
    assert main(["city", "create", str(tmp_path / "p.db"), "--osm", str(missing)]) == 2
    assert capsys.readouterr().err == f"cityops: error: {missing}: no such file\n"
    assert main(["city", "create", str(tmp_path / "p.db"), "--osm", str(missing), "--simulate", "-2"]) == 2
    assert capsys.readouterr().err == "cityops: error: --simulate must be a positive number of hours, not -2\n"
    assert not (tmp_path / "p.db").exists()
    assert main(["platform", "create", str(tmp_path / "empty.db"), "--empty"]) == 0
    with sqlite3.connect(tmp_path / "empty.db") as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert tables == set(platform_metadata.tables)  # the contract's tables and nothing else
        assert [t for t in sorted(tables) if con.execute(f"SELECT count(*) FROM {t}").fetchone() != (0,)] == [
            "audit_head"]  # its one row starts the operator actions' hash chain


@pytest.mark.postgres
def test_a_city_on_postgresql_from_a_district_file_with_readings(shared_data, tmp_path):
    from sqlalchemy import create_engine, text

    from tests.pg import fresh_database

    west, east = (9.47, 47.04, 9.535, 47.28), (9.535, 47.04, 9.64, 47.28)
    halves = [{"type": "Feature", "properties": {"name": name},
               "geometry": {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}}
              for name, (x0, y0, x1, y1) in (("Rhine side", west), ("Mountain side", east))]
    districts = tmp_path / "halves.geojson"
    districts.write_text(json.dumps({"type": "FeatureCollection", "features": halves}))
    city, report = city_from_sources(shared_data / LIECHTENSTEIN, districts, name="Ländle")
    assert [d.id for d in city.districts] == ["rhine-side", "mountain-side"] and city.name == "Ländle"
    readings = tmp_path / "r.csv"
    readings.write_text("indicator,time,value\nweather.temperature,2026-01-01T12:00:00+01:00,3.5\n"
                        "weather.temperature,2026-01-01T13:00:00+01:00,4.0\n")
    with fresh_database() as url:
        summary = build_platform(url, city)
        assert summary["rows"]["districts"] == 2 and summary["indicators"] == 16 + 2 * 19
        assert import_readings(readings, url).counts["reading"] == 2
        assert import_readings(readings, url).counts["reading"] == 0  # again: nothing new
        engine = create_engine(url)
        with engine.connect() as conn:
            homes = dict(conn.execute(text("SELECT district_id, count(*) FROM buildings GROUP BY 1")).all())
            name = conn.execute(text("SELECT name FROM city")).scalar()
        engine.dispose()
        assert name == "Ländle" and set(homes) == {"rhine-side", "mountain-side"} and sum(homes.values()) > 3000

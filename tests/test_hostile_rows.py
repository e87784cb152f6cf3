"""Nothing a platform row holds takes a wall down, stops sync or lies on the wall (issue 16).

Every case a tester's attack found is here, on SQLite and on the real PostgreSQL server: the bad
row is quarantined with its reason, the rest of the step lands, and the wall keeps drawing. A
child process proves the 1e308 district that segfaulted every wall (exit 139) cannot do it
again, even from a cache written before the rules existed.
"""

from __future__ import annotations

import json
import math
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
import shapely
from PySide6.QtGui import QImage
from sqlalchemy import create_engine, insert, literal_column, update

from console.cache import Cache
from console.clock import Clock
from console.layout.parse import load_layout
from console.map.features import city_geometry
from console.model.schema import P
from console.platform.create import create_platform
from console.shell.app import Wall
from console.shell.qt_setup import qt_app
from console.store import Store
from console.sync.batch import Batch
from console.sync.sql_connector import SqlConnector
from console.sync.engine import SyncEngine
from tests.hostile_rows import BIG, PDF, RLO, polygon, reference_cases
from tests.pg import fresh_database
from widgets import view_params
from widgets.i18n import age
from widgets.map.basemap import Basemap, View

REPO = Path(__file__).resolve().parents[1]
END = 1_780_000_000.0
LAYOUT = """title = "Hostile rows"
[[screens]]
name = "main"
size = [1280, 720]
[screens.root]
type = "columns"
shares = [3, 2]
  [[screens.root.items]]
  view = "map"
  layers = ["incidents", "units", "sensors", "buildings", "labels"]
  [[screens.root.items]]
  view = "tiles"
  indicators = ["weather.*", "drainage.*"]
"""


def _platform(backend: str, small_platform_file: Path, tmp_path: Path):
    """A platform URL on the backend, and how it spells NaN (SQLite keeps no NaN: text stands in)."""
    if backend == "sqlite":
        shutil.copy(small_platform_file, tmp_path / "platform.db")
        yield f"sqlite:///{tmp_path / 'platform.db'}", literal_column("'NaN'")
        return
    with fresh_database() as url:
        create_platform(url, hours=0.25, seed=1, end=END)
        yield url, math.nan


def _attack(url: str, cases, newest: float) -> None:
    """Write the hostile rows into the platform, with hostile readings and an incident."""
    engine = create_engine(url)
    with engine.begin() as conn:
        for case in cases:
            if case.update:
                key = {k: v for k, v in case.update.items() if k == "id"}
                table = P[case.table]
                where = table.c.id == key["id"] if key else table.c.id == conn.execute(
                    table.select().limit(1)).first().id
                conn.execute(update(table).where(where).values({k: v for k, v in case.update.items() if k != "id"}))
            else:
                full = {c.name: None for c in P[case.table].columns} | case.row
                conn.execute(insert(P[case.table]).values(full))
        readings = [(1, newest + 1, 1e308), (1, newest + 2, -1e308), (1, newest + 3, 5e-324),
                    (1, newest + 4, float(10**308)), (1, newest + 5, 1e6),  # rain, 1,000,000 mm/h
                    (1, newest + 6, 12.5), (5, newest + 72_000, 3.0)]  # a good one; one 20 h ahead
        conn.execute(insert(P["readings"]), [{"indicator_id": i, "ts": t, "value": v, "quality": 0}
                                             for i, t, v in readings])
        conn.execute(insert(P["incidents"]), {"id": "INC-EVIL", "kind": "fire", "severity": 1, "status": "open",
                                              "lon": 24.94, "lat": 60.17, "title": f"Fire at {RLO}tekram{PDF} hall",
                                              "opened_at": newest, "updated_at": newest, "rev": 1})
        conn.execute(insert(P["incident_events"]), {"incident_id": "INC-EVIL", "ts": newest, "event": "opened",
                                                    "actor": f"ann{RLO}", "note": "x\u200b\ny"})
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_hostile_rows_are_quarantined_and_the_wall_keeps_drawing(backend, small_platform_file, tmp_path, qtbot):
    platform = _platform(backend, small_platform_file, tmp_path)
    url, nan = next(platform)
    cache = Cache(tmp_path / "cache.db")
    sync = SyncEngine(SqlConnector(url), cache)
    try:
        sync.catch_up()
        before = {t: {r["id"]: r for r in cache.rows(t)} for t in ("indicators", "buildings")}
        newest = cache.engine.connect().exec_driver_sql("SELECT max(ts) FROM readings").scalar()
        cases = reference_cases(nan)
        _attack(url, cases, newest)
        sync.wake("districts")  # the platform announced a reference change
        batch = _step_through(sync, url)  # sync does not stop: every good row lands
        assert batch.reference is not None
        quarantine = cache.rows("quarantine")
        for case in cases:
            found = [q for q in quarantine if q["stream"] == case.table and (case.reason or "\0") in q["reason"]]
            assert bool(found) == (case.reason is not None), (case.name, [q["reason"] for q in quarantine])
        # repaired and cleaned rows landed, drawable
        districts = {d["id"]: d for d in cache.rows("districts")}
        assert not {"evil-big", "evil-nan", "evil-deep", "evil-huge"} & set(districts)
        for key in ("bowtie", "open"):
            shape = shapely.from_geojson(districts[key]["boundary"])
            assert shape.is_valid and shape.area > 0
        assert districts["bowtie"]["name"] == "Bow eit"
        assert {u["id"]: u for u in cache.rows("units")}["evil-unit"]["callsign"] == "11-P-LEH"
        # a row the platform broke keeps its last good version: the indicator still alarms, the building stands
        indicators = {r["id"]: r for r in cache.rows("indicators")}
        for iid in (1, 2, 3, 4):
            assert indicators[iid] == before["indicators"][iid]
        assert all(b["height"] is None or b["height"] <= 1000 for b in cache.rows("buildings"))
        # readings: the implausible ones quarantined, the good one and the one dated ahead kept
        reasons = [q["reason"] for q in quarantine if q["stream"] == "readings"]
        assert len(reasons) == 5 and sum("subnormal" in r for r in reasons) == 1, reasons
        assert sum("outside the plausible range" in r for r in reasons) == 4
        landed = [r[3] for r in batch.readings]
        assert sorted(landed) == [3.0, 12.5]
        (incident,) = [i for i in batch.incidents if i["id"] == "INC-EVIL"]
        assert incident["title"] == "Fire at tekram hall"
        assert [(e["actor"], e["note"]) for e in batch.incident_events] == [("ann", "x\ny")]
        # nothing quarantined twice when the reference data is read again
        count = cache.count("quarantine")
        sync.wake("districts")
        sync.step()
        assert cache.count("quarantine") == count
        _wall_draws(cache, batch, tmp_path, newest, qtbot)
    finally:
        sync.connector.close()
        cache.close()
        next(platform, None)


def _step_through(sync: SyncEngine, url: str) -> Batch:
    """Steps until the attack's rows are all read, as one batch. On a shared PostgreSQL server a
    transaction left open anywhere (another test's) holds new rows back for a while."""
    engine = create_engine(url)
    with engine.connect() as conn:
        last = conn.exec_driver_sql("SELECT max(seq) FROM readings").scalar()
    engine.dispose()
    batch, deadline = sync.step(), time.monotonic() + 90
    while sync.cache.cursors()["readings"][1] < last and time.monotonic() < deadline:
        time.sleep(0.5)
        more = sync.step()
        for stream in ("readings", "incidents", "incident_events"):
            getattr(batch, stream).extend(getattr(more, stream))
    return batch


def _wall_draws(cache: Cache, batch: Batch, tmp_path: Path, newest: float, qtbot) -> None:
    """A wall on the attacked cache, fed the attacked step: the map draws, and the header's
    freshness counts from the newest reading not dated ahead of the clock (not "0 s old")."""
    layout = tmp_path / "hostile.toml"
    layout.write_text(LAYOUT, encoding="utf-8")
    qt_app()
    now = newest + 120
    wall = Wall(load_layout(layout, view_params()), cache, None, Clock(lambda: now))
    for window in wall.windows:
        qtbot.addWidget(window)
    wall.start()
    try:
        wall._on_batch(batch)  # the live path: sync's batch into the store
        wall.refresh()
        assert wall.store.data_time == newest + 72_000  # the reading 20 h ahead is held ...
        assert wall.store.fresh_time(now) == newest + 6  # ... but the newest data is the good one
        assert f"newest data {age(114)} old" in wall.windows[0].header.detail.text()
        (shot, *_) = wall.screenshot(tmp_path / "shots")
        image = QImage(str(shot))
        colours = {image.pixel(x, y) for x in range(0, 700, 7) for y in range(60, 700, 7)}
        assert len(colours) > 20, "the map drew nothing"
    finally:
        wall.stop()


def test_a_reading_ahead_of_the_clock_does_not_make_the_header_fresh():
    store = Store()
    store.load_reference({"indicators": [{"id": 1, "code": "a", "name": "A", "category": "weather", "unit": "mm/h",
                                          "interval_s": 60.0, "bad": "high", "alarm_high": 30.0}]})
    store.apply(Batch(readings=[(1, 1, END - 600, 1.0, 0), (2, 1, END - 300, 2.0, 0), (3, 1, END + 72_000, 3.0, 0)]))
    assert store.data_time == END + 72_000
    assert store.fresh_time(END) == END - 300  # "newest data 5 min old", not "0 s old"
    assert store.fresh_time(END + 80_000) == END + 72_000
    store.apply(Batch(readings=[(4, 1, END - 10, 1e308, 0), (5, 1, END - 5, 5e-324, 0)]))
    assert store.fresh_time(END) == END - 300  # what an old cache holds is not shown either


def _hostile_cache(path: Path, source: Path) -> None:
    """A cache written before the rules existed: hostile rows straight into it, past every check."""
    shutil.copy(source, path)
    big = polygon((-BIG, -BIG), (BIG, -BIG), (BIG, BIG), (-BIG, -BIG))
    deep = '{"type":"GeometryCollection","geometries":[' * 50_000 + "]}" * 50_000
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("INSERT INTO districts VALUES ('evil-big', 'Big', ?)", (big,))
        db.execute("INSERT INTO districts VALUES ('evil-deep', 'Deep', ?)", (deep,))
        db.execute("INSERT INTO map_features VALUES ('evil-deep', 'park', 'park', NULL, ?)", (deep,))
        db.execute("UPDATE buildings SET height = 1e308 WHERE rowid IN (SELECT rowid FROM buildings LIMIT 5)")
        db.execute("UPDATE incidents SET title = ? WHERE rowid = 1", (f"{RLO}evil",))
        newest = db.execute("SELECT max(ts) FROM readings").fetchone()[0]
        db.execute("INSERT INTO readings (indicator_id, ts, value, quality) VALUES (1, ?, 1e308, 0)", (newest - 1,))


@pytest.fixture(scope="module")
def synced_cache(small_platform_file, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "cache.db"
    cache = Cache(path)
    SyncEngine(SqlConnector(f"sqlite:///{small_platform_file}"), cache).catch_up()
    cache.close()
    return path


def test_the_1e308_district_cannot_crash_a_wall_again(synced_cache, tmp_path):
    """Exit 139 was every wall's fate, also offline from its cache: now the wall starts, draws and quits."""
    cache = tmp_path / "cache.db"
    _hostile_cache(cache, synced_cache)
    run = subprocess.run([sys.executable, "-m", "tests.hostile_rows", str(cache), str(tmp_path / "shots")],
                         cwd=REPO, capture_output=True, text=True, timeout=240,
                         env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert run.returncode == 0, f"exit {run.returncode}: {run.stderr[-3000:]}"
    assert "stopped (attempt" not in run.stderr, run.stderr[-3000:]  # no view crashed and restarted
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert not result["scene_loading"]
    shots = {Path(p).stem: QImage(p) for p in result["paths"]}
    for name in ("map", "city3d"):  # both screens drew something
        image = shots[name]
        colours = {image.pixel(x, y) for x in range(0, image.width(), 13) for y in range(80, image.height(), 13)}
        assert len(colours) > 20, f"{name} drew nothing"


def test_the_map_draws_rows_that_bypassed_the_rules(synced_cache, qtbot):
    """The guard at the map's boundary, on its own: hostile shapes never reach Qt, the rest draws."""
    cache = Cache(synced_cache)
    reference = cache.reference()
    reference["districts"] = reference["districts"] + [
        {"id": "evil", "name": "Evil", "boundary": polygon((-BIG, -BIG), (BIG, -BIG), (BIG, BIG), (-BIG, -BIG))},
        {"id": "nan", "name": "NaN", "boundary": '{"type":"Polygon","coordinates":[[[1,2],[NaN,3],[4,5],[1,2]]]}'},
        {"id": "far", "name": "Antipode", "boundary": polygon((-155.1, -60.1), (-155.0, -60.1), (-155.0, -60.0),
                                                              (-155.1, -60.1))},
        {"id": "junk", "name": "Junk", "boundary": '{"type":"Polygon","coordinates":7}'}]
    geo = city_geometry(reference)
    assert {d.id for d in geo.districts} >= {"kaartinkaupunki", "kallio"}
    assert not {"evil", "nan", "junk"} & {d.id for d in geo.districts}
    qt_app()
    basemap = Basemap(geo)
    x0, y0, x1, y1 = geo.bounds
    for scale in (0.001, 0.3, 8.0):
        pixmap, _ = basemap.render(View((x0 + x1) / 2, (y0 + y1) / 2, scale, 400, 300))
        assert not pixmap.isNull()
    cache.close()


def test_display_text_is_cleaned_once_and_identifiers_are_refused():
    from console.text import MAX_LABEL, clean, unsafe

    assert clean("Kallio") == "Kallio" and clean("北京 Jätkäsaari") == "北京 Jätkäsaari"  # nothing to do
    assert clean(f"Fire at {RLO}llah ytic{PDF}") == "Fire at llah ytic"  # no reversed line on the wall
    assert clean("a\u200bb\ufeffc\u2066d\u2069") == "abcd"  # zero-width, BOM, isolates
    assert clean("e" + "\u0301" * 300) == "e" + "\u0301" * 4  # a combining flood cannot climb over the tile above
    assert clean("line\nbreak\ttab\x00") == "line break tab"
    assert clean("line\nbreak\r\n", multiline=True, limit=None) == "line\nbreak\n"
    assert clean("x\ud800y") == "xy"  # a lone surrogate no database can store
    assert clean("w" * 500) == "w" * (MAX_LABEL - 1) + "…"
    assert unsafe("INC-1") is None and unsafe("北京") is None
    assert unsafe("INC-\u200b1") == "U+200B" and unsafe("a\nb") == "U+000A"


def test_a_bad_row_cached_before_the_rules_is_not_kept_as_its_last_good_version(platform, tmp_path):
    """The platform still sends the 1e308 district an old console cached: the cache lets go of it."""
    cache = Cache(tmp_path / "cache.db")
    sync = SyncEngine(SqlConnector(platform), cache)
    sync.catch_up()
    big = polygon((-BIG, -BIG), (BIG, -BIG), (BIG, BIG), (-BIG, -BIG))
    for path in (platform.removeprefix("sqlite:///"), cache.path):
        with closing(sqlite3.connect(path)) as db, db:
            db.execute("INSERT INTO districts VALUES ('evil-big', 'Big', ?)", (big,))
    kept = {"id": "kallio", "name": "Kallio", "boundary": polygon((24.9, 60.1), (25.0, 60.1), (25.0, 60.2), (24.9, 60.1))}
    with closing(sqlite3.connect(platform.removeprefix("sqlite:///"))) as db, db:
        db.execute("UPDATE districts SET boundary = 'NaN' WHERE id = 'kallio'")  # broken on the platform ...
    with closing(sqlite3.connect(cache.path)) as db, db:
        db.execute("UPDATE districts SET boundary = ? WHERE id = 'kallio'", (kept["boundary"],))  # ... good here
    reference = sync.sync_reference()
    held = {d["id"]: d for d in cache.rows("districts")}
    assert "evil-big" not in held and "evil-big" not in {d["id"] for d in reference["districts"]}
    assert held["kallio"]["boundary"] == kept["boundary"]  # the last good version stays
    assert {q["reason"].split(" ")[0] for q in cache.rows("quarantine")} == {"boundary"}
    sync.connector.close()
    cache.close()

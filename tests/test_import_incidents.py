"""The incident importer on the real USGS week feed (SQLite and PostgreSQL), on hand-made broken
files, and on generated junk: every feature is imported or counted as skipped, never a traceback.

The feed (data README): 1,707 Point features, all well formed, every one with ``updated`` later
than ``time``, so each gives an incident and two events (opened, updated): 3,414 events. By
``type``: 1,679 earthquakes, 15 explosions, 13 quarry blasts. By magnitude: 5 of M >= 6
(critical), 80 of 4.5-6 (major), 212 of 2.5-4.5 (moderate), 1,410 below (minor); PAGER alerts
are all green or absent, so they change no severity.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, configuration, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from console.errors import UserError
from console.importers.districts import import_districts
from console.importers.incidents import _usgs_severity, epoch, import_incidents
from console.model.schema import platform_metadata
from console.platform.create import create_platform
from tests.pg import fresh_database

configuration.set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "cityops-console-hypothesis")

USGS = "usgs-earthquakes-week.geojson"
END = 1_780_000_000
MODIFIED = ("us1000chhc", "ci37868143", "ci37868135")  # the M 6.4 Hualien shock and two small ones




def _query(url: str, sql: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def _usgs_state(url: str) -> dict:
    return {
        "incidents": _query(url, "SELECT COUNT(*) FROM incidents WHERE id LIKE 'usgs:%'")[0][0],
        "events": dict(_query(url, "SELECT event, COUNT(*) FROM incident_events "
                                   "WHERE incident_id LIKE 'usgs:%' GROUP BY event")),
        "kinds": dict(_query(url, "SELECT kind, COUNT(*) FROM incidents WHERE id LIKE 'usgs:%' GROUP BY kind")),
        "severities": dict(_query(url, "SELECT severity, COUNT(*) FROM incidents "
                                       "WHERE id LIKE 'usgs:%' GROUP BY severity")),
        # the contract: rev is the seq of the incident's newest event
        "bad_rev": _query(url, "SELECT COUNT(*) FROM incidents i WHERE rev != "
                               "(SELECT MAX(seq) FROM incident_events e WHERE e.incident_id = i.id)")[0][0],
    }


def _modified_copy(src: Path, dst: Path) -> Path:
    """The feed with ``updated`` a minute later for 3 features; the M 6.4 one also re-rated to M 4.0."""
    doc = json.loads(src.read_text())
    for f in doc["features"]:
        if f["id"] in MODIFIED:
            f["properties"]["updated"] += 60_000
            if f["id"] == "us1000chhc":
                f["properties"]["mag"] = 4.0
    dst.write_text(json.dumps(doc))
    return dst


def _check_usgs_round_trip(url: str, data: Path, tmp_path: Path) -> None:
    report = import_incidents(data / USGS, url)
    assert report.counts == {"incident": 1707, "incident update": 0, "incident event": 3414}
    assert not report.skipped and not report.repaired
    assert "Profile usgs" in report.notes
    state = _usgs_state(url)
    assert state == {"incidents": 1707, "events": {"opened": 1707, "updated": 1707},
                     "kinds": {"earthquake": 1679, "explosion": 15, "quarry_blast": 13},
                     "severities": {1: 5, 2: 80, 3: 212, 4: 1410}, "bad_rev": 0}
    row = _query(url, "SELECT kind, severity, status, lon, lat, title, opened_at, updated_at, district_id "
                      "FROM incidents WHERE id = 'usgs:us1000chhc'")[0]
    assert row[:6] == ("earthquake", 1, "reported", 121.653, 24.1737, "M 6.4 — 22km NNE of Hualian, Taiwan")
    assert row[6:8] == (1517932242.4, 1517967111.797)  # time and updated: epoch ms -> s
    assert all(1517300000 < t < 1518000000 for (t,) in _query(url, "SELECT opened_at FROM incidents "
                                                                   "WHERE id LIKE 'usgs:%'"))
    assert row[8] is None  # no platform district covers Taiwan

    again = import_incidents(data / USGS, url)  # idempotent
    assert again.counts == {"incident": 0, "incident update": 0, "incident event": 0}
    assert again.skipped == {"incident: unchanged (the platform's copy is as new)": 1707}
    assert _usgs_state(url) == state

    newer = import_incidents(_modified_copy(data / USGS, tmp_path / "newer.geojson"), url)
    assert newer.counts == {"incident": 0, "incident update": 3, "incident event": 3}
    assert newer.skipped == {"incident: unchanged (the platform's copy is as new)": 1704}
    after = _usgs_state(url)
    assert after["events"] == {"opened": 1707, "updated": 1710} and after["bad_rev"] == 0
    assert after["severities"] == {1: 4, 2: 80, 3: 213, 4: 1410}
    events = _query(url, "SELECT ts, event FROM incident_events WHERE incident_id = 'usgs:us1000chhc' ORDER BY seq")
    assert [e for _, e in events] == ["opened", "updated", "updated"]
    assert _query(url, "SELECT updated_at, title FROM incidents WHERE id = 'usgs:us1000chhc'")[0] == (
        events[-1][0], "M 4.0 — 22km NNE of Hualian, Taiwan")
    assert import_incidents(tmp_path / "newer.geojson", url).counts["incident event"] == 0


def test_usgs_week_on_sqlite(platform, shared_data, tmp_path):
    _check_usgs_round_trip(platform, shared_data, tmp_path)


@pytest.mark.postgres
def test_usgs_week_on_postgres(shared_data, tmp_path):
    with fresh_database() as url:
        create_platform(url, hours=0.25, seed=1, end=END)
        _check_usgs_round_trip(url, shared_data, tmp_path)
        assert _query(url, "SELECT COUNT(*) FROM incident_events WHERE txid IS NULL") == [(0,)]
        junk = _write(tmp_path / "junk.geojson", _junk())  # NUL and a lone surrogate: PostgreSQL takes neither
        assert import_incidents(junk, url, profile="usgs").counts["incident"] == 1


def test_imported_incidents_sync_into_a_console_cache(platform, shared_data, tmp_path):
    from console.cache import Cache
    from console.sync.sql_connector import SqlConnector
    from console.sync.engine import SyncEngine

    import_incidents(shared_data / USGS, platform)
    connector, cache = SqlConnector(platform), Cache(tmp_path / "cache.db")
    engine = SyncEngine(connector, cache)
    engine.catch_up()
    assert engine.quarantined == 0
    assert _query(f"sqlite:///{cache.path}", "SELECT COUNT(*) FROM incidents WHERE id LIKE 'usgs:%'") == [(1707,)]
    connector.close()
    cache.close()


def _feature(fid: str = "x1", lon: float = -0.1426, lat: float = 51.539, **props) -> dict:
    base = {"mag": 3.1, "place": "Camden Town", "time": 1517966773840, "updated": 1517966996303,
            "status": "reviewed", "type": "earthquake"}
    return {"type": "Feature", "id": fid, "properties": {**base, **props},
            "geometry": {"type": "Point", "coordinates": [lon, lat]}}


def _write(path: Path, features: list, **extra) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", **extra, "features": features}))
    return path


def test_an_incident_takes_the_district_that_covers_it(platform, shared_data, tmp_path):
    import_districts(shared_data / "london-boroughs.topo.json", platform)
    report = import_incidents(_write(tmp_path / "f.geojson", [_feature(), _feature("x2", 0.0, 0.0)]),
                              platform, profile="usgs")
    assert "1 of 2 incidents lie in a platform district" in report.notes
    assert _query(platform, "SELECT id, district_id FROM incidents WHERE id LIKE 'usgs:x%' ORDER BY id") == [
        ("usgs:x1", "camden"), ("usgs:x2", None)]


def _junk() -> list:
    """One good feature, then one per reason a feature is left out."""
    no_geometry, line, ragged, props = _feature("a"), _feature("b"), _feature("g"), _feature("e")
    no_geometry["geometry"] = None
    line["geometry"] = {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}
    ragged["geometry"]["coordinates"] = [1.0]
    props["properties"] = ["not", "an", "object"]
    return [_feature(place="Bad\x00 place \ud800"), no_geometry, line, _feature("c", lon=math.nan),
            _feature("d", lat=95.0), props, _feature("f", detail="x" * (10 * 1024 * 1024)), ragged,
            _feature("h", time="yesterday"), "junk", _feature("x1", updated=1)]


def test_broken_features_are_counted_by_reason(platform, tmp_path):
    path = tmp_path / "junk.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": _junk()}))  # NaN as JSON writes it
    report = import_incidents(path, platform, profile="usgs")
    assert report.counts["incident"] == 1
    assert _query(platform, "SELECT title FROM incidents WHERE id = 'usgs:x1'") == [("M 3.1 — Bad place ?",)]
    assert report.skipped == {
        "incident: no geometry": 1,
        "incident: geometry type LineString (expected Point)": 1,
        "incident: coordinates not finite": 1,
        "incident: coordinates out of range (not WGS84 lon/lat)": 1,
        "incident: properties not an object": 1,
        "incident: property 'detail' is 10.0 MB (limit 64 KB)": 1,
        "incident: malformed coordinates": 1,
        "incident: no readable time (time)": 1,
        "incident: not a GeoJSON Feature": 1,
        "incident: duplicate id (another version in the same file)": 1,
    }


@pytest.mark.parametrize(("content", "message"), [
    ('{"type": "FeatureCollection",\n "features": [\n  {"type": ]}', "not valid JSON at line 3, column 12"),
    ("", "not valid JSON at line 1, column 1"),
    ('{"type": "Topology", "objects": {}}', "not a GeoJSON FeatureCollection or Feature (type 'Topology')"),
    ("[1, 2]", "not a GeoJSON FeatureCollection or Feature (a JSON list)"),
    ("[" * 100_000 + "]" * 100_000, "not valid JSON (nested too deeply)"),
    ('{"type": "FeatureCollection", "features": [], "crs": {"type": "name", "properties": {"name": "EPSG:999999"}}}',
     "unknown CRS 'EPSG:999999'"),
])
def test_unusable_files_are_one_line_errors(platform, tmp_path, content, message):
    path = tmp_path / "bad.geojson"
    path.write_text(content)
    with pytest.raises(UserError) as err:
        import_incidents(path, platform)
    assert str(path) in str(err.value) or path.name in str(err.value)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_missing_file_or_platform_is_a_user_error(platform, tmp_path):
    feed = _write(tmp_path / "f.geojson", [_feature()])
    with pytest.raises(UserError, match="no such file"):
        import_incidents(tmp_path / "nope.geojson", platform)
    with pytest.raises(UserError, match="does not exist"):
        import_incidents(feed, f"sqlite:///{tmp_path / 'nope.db'}")
    (tmp_path / "empty.db").touch()
    with pytest.raises(UserError, match="not a CityOps platform .no table districts.; create one first"):
        import_incidents(feed, f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(UserError, match="unknown incident profile 'nasa'"):
        import_incidents(feed, platform, profile="nasa")


def test_a_legacy_crs_is_reprojected(platform, tmp_path):
    """British National Grid easting/northing of Camden Town -> WGS84."""
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}
    import_incidents(_write(tmp_path / "bng.geojson", [_feature(lon=528_900.0, lat=184_000.0)], crs=crs),
                     platform, profile="usgs")
    lon, lat = _query(platform, "SELECT lon, lat FROM incidents WHERE id = 'usgs:x1'")[0]
    assert lon == pytest.approx(-0.1425, abs=0.01) and lat == pytest.approx(51.539, abs=0.01)


def test_times_and_severities():
    assert epoch(1517966773840) == 1517966773.84 and epoch(1517966773.5) == 1517966773.5
    assert epoch("2018-02-07T01:26:13Z") == epoch("2018-02-07T01:26:13") == 1517966773.0
    assert epoch("soon") is None and epoch(math.inf) is None and epoch(True) is None
    assert [_usgs_severity({"mag": m}) for m in (6.0, 5.9, 4.5, 4.4, 2.5, 2.4, None)] == [1, 2, 2, 3, 3, 4, None]
    assert _usgs_severity({"mag": 2.0, "alert": "red"}) == 1 and _usgs_severity({"mag": 5, "alert": "yellow"}) == 2
    assert _usgs_severity({"mag": None, "alert": "green"}) is None


def test_generic_profile_reads_contract_columns(platform, tmp_path):
    feats = [{"type": "Feature", "id": 7, "geometry": {"type": "Point", "coordinates": [24.94, 60.17]},
              "properties": {"kind": "gas_leak", "severity": "major", "status": "dispatched",
                             "title": "Gas smell", "opened_at": "2026-05-28T10:00:00+00:00"}},
             {"type": "Feature", "id": 8, "geometry": {"type": "Point", "coordinates": [24.94, 60.17]},
              "properties": {"title": "no kind", "time": 1_779_000_000}}]
    report = import_incidents(_write(tmp_path / "g.geojson", feats), platform)
    assert report.counts["incident"] == 1 and report.skipped == {"incident: no kind": 1}
    assert _query(platform, "SELECT kind, severity, status, title, opened_at FROM incidents "
                            "WHERE id = 'geojson:7'") == [("gas_leak", 2, "dispatched", "Gas smell", 1779962400.0)]


_values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30),
                    st.lists(st.floats(), max_size=4), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
                    st.sampled_from(["red", "yellow", "deleted", "reviewed"]))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries({
    "props": st.dictionaries(st.sampled_from(["mag", "place", "time", "updated", "status", "type", "alert", "x",
                                              "kind", "severity", "title", "opened_at", "updated_at", "id"]),
                             _values, max_size=10),
    "coords": st.one_of(st.lists(st.one_of(st.floats(), st.integers(), st.text(max_size=3)), max_size=4), _values),
    "id": _values,
}), max_size=8), st.sampled_from(["usgs", "geojson"]))
def test_generated_junk_never_breaks_an_import(items, profile):
    """Whatever the properties and coordinates, each feature is imported or counted; text stays storable."""
    feats = [{"type": "Feature", "id": i["id"], "properties": i["props"],
              "geometry": {"type": "Point", "coordinates": i["coords"]}} for i in items]
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/p.db"
        engine = create_engine(url)
        platform_metadata.create_all(engine)
        engine.dispose()
        path = Path(tmp) / "junk.geojson"
        path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))  # NaN/inf as JSON does
        report = import_incidents(path, url, profile=profile)
        total = report.counts["incident"] + sum(report.skipped.values())
        assert total == len(feats)
        rows = _query(url, "SELECT COUNT(*) FROM incidents")[0][0]
        assert rows == report.counts["incident"]
        assert Counter(e for (e,) in _query(url, "SELECT event FROM incident_events"))["opened"] == rows

"""The district importer on the real London boroughs TopoJSON (SQLite and PostgreSQL), on hand-made
GeoJSON and TopoJSON, and on generated junk rings.

The TopoJSON holds 33 boroughs (30 Polygons, 3 MultiPolygons), ids = names, no properties.
Two need repair once decoded: Richmond upon Thames's ring touches itself (a self-intersection
GEOS reports; make_valid moves its area by 6e-9 deg²) and one of Newham's 3 parts is a
3-position ring with no area (dropped, so Newham is stored as a Polygon).
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest
import shapely
from hypothesis import HealthCheck, configuration, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, shape
from sqlalchemy import create_engine, text

from console.errors import UserError
from console.importers.districts import import_districts, topology_to_geojson
from console.model.schema import platform_metadata
from console.platform.create import create_platform
from tests.pg import fresh_database

configuration.set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "cityops-console-hypothesis")

LONDON = "london-boroughs.topo.json"
BOROUGHS = {
    "Barking and Dagenham", "Barnet", "Bexley", "Brent", "Bromley", "Camden", "City of London", "Croydon",
    "Ealing", "Enfield", "Greenwich", "Hackney", "Hammersmith and Fulham", "Haringey", "Harrow", "Havering",
    "Hillingdon", "Hounslow", "Islington", "Kensington and Chelsea", "Kingston upon Thames", "Lambeth",
    "Lewisham", "Merton", "Newham", "Redbridge", "Richmond upon Thames", "Southwark", "Sutton",
    "Tower Hamlets", "Waltham Forest", "Wandsworth", "Westminster",
}
REPAIRED = {"district: self-intersecting polygon (repaired)": 1,
            "district: too few points in geometry component (repaired)": 1}
CAMDEN_TOWN = Point(-0.1426, 51.5390)




def _districts(url: str) -> dict[str, tuple[str, str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {r.id: (r.name, r.boundary) for r in conn.execute(text("SELECT * FROM districts"))}
    finally:
        engine.dispose()


def _check_london(url: str, data: Path) -> None:
    before = _districts(url)
    report = import_districts(data / LONDON, url)
    assert report.counts == {"district": 33} and not report.skipped and report.repaired == REPAIRED
    rows = {k: v for k, v in _districts(url).items() if k not in before}
    assert len(rows) == 33 and {name for name, _ in rows.values()} == BOROUGHS
    assert rows["camden"][0] == "Camden" and rows["kingston-upon-thames"][0] == "Kingston upon Thames"
    shapes = {k: shape(json.loads(b)) for k, (_, b) in rows.items()}
    assert all(g.is_valid and g.geom_type in ("Polygon", "MultiPolygon") for g in shapes.values())
    assert sum(g.geom_type == "MultiPolygon" for g in shapes.values()) == 2  # Newham's sliver dropped
    assert all(p.exterior.is_ccw for g in shapes.values() for p in shapely.get_parts(g))  # RFC 7946
    assert [k for k, g in shapes.items() if g.covers(CAMDEN_TOWN)] == ["camden"]
    # the boroughs tile Greater London: a bounding box of -0.510..0.334 E, 51.287..51.692 N
    assert shapely.union_all(list(shapes.values())).bounds == pytest.approx(
        (-0.510291, 51.28676, 0.334016, 51.691793), abs=1e-6)
    assert _districts(url).keys() >= before.keys()  # others kept

    again = import_districts(data / LONDON, url)
    assert again.counts == {"district": 0}
    assert again.skipped == {"district: unchanged (the platform has it already)": 33}
    assert _districts(url) == {**before, **rows}


def test_london_boroughs_on_sqlite(platform, shared_data):
    _check_london(platform, shared_data)


@pytest.mark.postgres
def test_london_boroughs_on_postgres(shared_data):
    with fresh_database() as url:
        create_platform(url, hours=0.25, seed=1, end=1_780_000_000)
        _check_london(url, shared_data)


def _square(x: float, y: float, size: float = 0.01) -> list:
    return [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]


def _feature(coords: list, kind: str = "Polygon", fid: object = None, **props) -> dict:
    feat = {"type": "Feature", "properties": props, "geometry": {"type": kind, "coordinates": coords}}
    return feat if fid is None else {**feat, "id": fid}


def _write(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc))
    return path


def test_geojson_ids_names_repairs_and_updates(platform, tmp_path):
    bowtie = [[[25.0, 60.0], [25.01, 60.01], [25.01, 60.0], [25.0, 60.01], [25.0, 60.0]]]
    feats = [
        _feature(_square(25.0, 60.0), NAME="Alpha Ward", gss="E01"),
        _feature(bowtie, fid="B-2", name="Bowtie"),
        _feature([_square(25.1, 60.0), _square(25.2, 60.0)], "MultiPolygon", label="Twin isles", code="c3"),
        _feature([25.0, 60.0], "Point", name="A point"),
        _feature(_square(25.3, 60.0), fid="b 2", name="Clash"),  # slugs to b-2 as well
        _feature([[[25.0, 60.0], [25.0, 60.0], [25.0, 60.0], [25.0, 60.0]]], name="Flat"),
        _feature(_square(25.4, 60.0)),  # nothing to name it by
    ]
    path = _write(tmp_path / "d.geojson", {"type": "FeatureCollection", "features": feats})
    report = import_districts(path, platform)
    assert report.counts == {"district": 3}
    assert report.repaired == {"district: self-intersecting polygon (repaired)": 1}
    assert report.skipped == {"district: geometry type Point (expected MultiPolygon or Polygon)": 1,
                              "district: duplicate id (an earlier feature has it)": 1,
                              "district: polygon with no area": 1, "district: no name": 1}
    rows = _districts(platform)
    assert {k: rows[k][0] for k in ("alpha-ward", "b-2", "c3")} == {
        "alpha-ward": "Alpha Ward", "b-2": "Bowtie", "c3": "Twin isles"}
    assert shape(json.loads(rows["b-2"][1])).area == pytest.approx(0.00005)  # the bow tie's two triangles
    assert shape(json.loads(rows["c3"][1])).geom_type == "MultiPolygon"

    feats[0]["geometry"]["coordinates"] = _square(25.0, 60.0, 0.02)  # Alpha Ward grows
    again = import_districts(_write(tmp_path / "d2.geojson", {"type": "FeatureCollection", "features": feats}),
                             platform)
    assert again.counts == {"district": 1}
    assert again.skipped["district: unchanged (the platform has it already)"] == 2
    assert shape(json.loads(_districts(platform)["alpha-ward"][1])).area == pytest.approx(0.0004)

    by_code = import_districts(path, platform, id_property="gss", name_property="NAME")
    assert by_code.counts == {"district": 1} and _districts(platform)["e01"][0] == "Alpha Ward"
    assert by_code.skipped["district: no name (property 'NAME')"] == 4


def test_topojson_quantized_and_plain(platform, tmp_path):
    """Two unit squares sharing the arc x = 1, which East uses reversed (~1 = -2)."""
    plain = {"type": "Topology",
             "arcs": [[[1, 0], [0, 0], [0, 1], [1, 1]], [[1, 1], [1, 0]], [[1, 0], [2, 0], [2, 1], [1, 1]]],
             "objects": {"d": {"type": "GeometryCollection", "geometries": [
                 {"type": "Polygon", "arcs": [[0, 1]], "id": "West"},
                 {"type": "Polygon", "arcs": [[-2, -3]], "properties": {"name": "East"}, "id": "e"},
                 {"type": "Polygon", "arcs": [[7]], "id": "Bad arc"},
                 {"type": "Point", "coordinates": [1, 1], "id": "A point"}]}}}
    doc = topology_to_geojson(plain, "t")
    assert [shape(f["geometry"]).area for f in doc["features"][:2]] == [1.0, 1.0]
    assert shape(doc["features"][1]["geometry"]).bounds == (1.0, 0.0, 2.0, 1.0)
    quantized = {**plain, "transform": {"scale": [0.01, 0.01], "translate": [24.9, 60.1]},
                 "arcs": [[[1, 0], [-1, 0], [0, 1], [1, 0]], [[1, 1], [0, -1]], [[1, 0], [1, 0], [0, 1], [-1, 0]]]}
    report = import_districts(_write(tmp_path / "q.topo.json", quantized), platform)
    assert report.counts == {"district": 2}
    assert report.skipped == {"district: malformed coordinates": 1,
                              "district: geometry type Point (expected MultiPolygon or Polygon)": 1}
    rows = _districts(platform)
    assert rows["west"][0] == "West" and rows["e"][0] == "East"
    assert shape(json.loads(rows["e"][1])).bounds == pytest.approx((24.91, 60.1, 24.92, 60.11))


@pytest.mark.parametrize(("doc", "message"), [
    ({"type": "Topology", "objects": {}}, "not a TopoJSON topology (no arcs or objects)"),
    ({"type": "Topology", "arcs": [], "objects": {}, "transform": {"scale": 1}}, "malformed TopoJSON transform"),
    ({"type": "GeometryCollection", "geometries": []}, "not a GeoJSON FeatureCollection or Feature"),
])
def test_unusable_files_are_one_line_errors(platform, tmp_path, doc, message):
    with pytest.raises(UserError, match=re.escape(message)):
        import_districts(_write(tmp_path / "bad.json", doc), platform)


def test_ids_without_latin_letters_keep_their_text(platform, tmp_path):
    feats = [_feature(_square(139.7, 35.6), name="新宿区"), _feature(_square(139.8, 35.6), name="Shinjuku-ku")]
    assert import_districts(_write(tmp_path / "t.geojson", {"type": "FeatureCollection", "features": feats}),
                            platform).counts == {"district": 2}
    assert {k: v[0] for k, v in _districts(platform).items() if "shinjuku" in k or "区" in k} == {
        "新宿区": "新宿区", "shinjuku-ku": "Shinjuku-ku"}


def test_a_bare_contract_database_is_enough(tmp_path):
    url = f"sqlite:///{tmp_path / 'bare.db'}"
    engine = create_engine(url)
    platform_metadata.create_all(engine)
    engine.dispose()
    doc = {"type": "Feature", "id": "x", "properties": {"name": "X"}, "geometry": {
        "type": "Polygon", "coordinates": _square(0, 0)}}
    report = import_districts(_write(tmp_path / "one.geojson", doc), url)
    assert report.counts == {"district": 1} and not any("demo platform" in n for n in report.notes)


_number = st.one_of(st.floats(), st.integers(-400, 400), st.text(max_size=2), st.none())


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["Polygon", "MultiPolygon", "LineString"]),
                          st.recursive(st.lists(_number, max_size=3), lambda c: st.lists(c, max_size=5), max_leaves=30),
                          st.one_of(st.none(), st.text(max_size=8), st.integers())),
                max_size=6))
def test_generated_rings_never_break_an_import(items):
    feats = [_feature(coords, kind, fid, name=str(fid)) for kind, coords, fid in items]
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/p.db"
        engine = create_engine(url)
        platform_metadata.create_all(engine)
        engine.dispose()
        report = import_districts(_write(Path(tmp) / "j.geojson", {"type": "FeatureCollection",
                                                                   "features": feats}), url)
        assert report.counts["district"] + sum(report.skipped.values()) == len(feats)
        rows = _districts(url)
        assert len(rows) == report.counts["district"]
        assert all(shape(json.loads(b)).is_valid for _, b in rows.values())

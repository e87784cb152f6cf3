"""The OpenStreetMap importer on the real Helsinki extract, on a small hand-made file, and on generated tag values.

The counts below were checked by hand against the data README (486 buildings, 12 invalid). The
README's figure is what a lenient reader (pyrosm) gets: it rebuilds buildings that the extract
cut at its edge from the nodes that are left. The file holds 500 building areas (433 ways + 67
multipolygons). 48 ways and 4 multipolygons have nodes missing (they lie outside the box), and 2
multipolygons have member ways missing: we skip those 54, since their true shape is unknown. We
also skip 7 objects tagged both building=* and building:part=yes (cathedral domes, a storey of
Sokos): each lies inside its main building. That leaves 439 = 379 ways + 60 multipolygons. The
README's 486 = 439 + those 7 + the 40 cut ways that still have 3 nodes. Its 12 invalid polygons
are all among those 40 (a ring closed across the missing nodes crosses itself), so none of ours
needs repair; the repair path is tested on the hand-made file. ``test_readme_figures_reconcile``
recomputes this from the file with plain osmium.
"""

from __future__ import annotations

import itertools
import json
import runpy
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import osmium
import pytest
import shapely
from hypothesis import configuration, given
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon, box

from console.city import DEFAULT_CITY, load_city
from console.errors import UserError
from console.importers.osm import import_osm, parse_height, parse_levels, write_city_geojson

# Hypothesis keeps its example database and caches in ./.hypothesis by default; pytest's
# norecursedirs in pyproject.toml replaces the default ignores, and the hypothesis plugin then warns
# (an error here) on every later run that finds that folder in the repository. Keep it outside.
configuration.set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "cityops-console-hypothesis")

REPO = Path(__file__).resolve().parents[1]
PBF = REPO.parent / "shared" / "data" / "helsinki-centre.osm.pbf"
SCRIPT = REPO / "resources" / "city" / "make_helsinki.py"
DISTRICTS = ["Kaartinkaupunki", "Kallio", "Kamppi", "Kluuvi", "Kruununhaka", "Punavuori"]

needs_pbf = pytest.mark.skipif(not PBF.is_file(), reason=f"real extract {PBF} is not beside the repository")


@pytest.fixture(scope="module")
def helsinki():
    if not PBF.is_file():
        pytest.skip(f"real extract {PBF} is not beside the repository")
    return import_osm(PBF)


# --- the real extract ------------------------------------------------------------------------

def test_counts_and_reasons_are_exact(helsinki):
    report = helsinki.report
    assert dict(report.counts) == {"district": 6, "building": 439, "street": 2461, "water": 22, "park": 177,
                                   "landuse": 111}
    assert dict(report.skipped) == {
        "building: missing node locations": 52, "building: missing member ways": 2,
        "building: also tagged building:part (a part of another building)": 7,
        "street: fewer than 2 located points": 69,
        "landuse: missing node locations": 27, "park: missing node locations": 26,
        "water: missing node locations": 1, "water: fewer than 2 located points": 1,
    }
    assert dict(report.repaired) == {"street: cut to the nodes in the extract": 101,
                                     "water: cut to the nodes in the extract": 5}
    assert len(helsinki.buildings) == 439 and len({b.id for b in helsinki.buildings}) == 439
    assert sum(b.id.startswith("osm:r") for b in helsinki.buildings) == 60
    # six parts of the cathedral (building=church + building:part=yes) and one of Sokos (building=retail + ...)
    assert not {"osm:r1319473", "osm:w234870674", "osm:w234872359"} & {b.id for b in helsinki.buildings}
    summary = report.summary()
    assert "439 buildings" in summary and "missing node locations (52)" in summary


@needs_pbf
def test_readme_figures_reconcile():
    """Plain osmium, no importer: 500 building areas; the README's 486 and 12 invalid are the lenient count."""
    ways, relations = {}, 0
    for obj in osmium.FileProcessor(str(PBF)).with_locations():
        if "building" in obj.tags and not obj.is_node():
            if obj.is_way():
                ways[obj.id] = [(n.lon, n.lat) for n in obj.nodes if n.location.valid()], len(obj.nodes)
            else:
                relations += 1
    assert (len(ways), relations) == (433, 67)
    cut = {wid: pts for wid, (pts, n) in ways.items() if len(pts) < n}
    rebuildable = {wid: pts for wid, pts in cut.items() if len(pts) >= 3}
    assert (len(cut), len(rebuildable)) == (48, 40)
    assert sum(not Polygon(pts).is_valid for pts, _ in ways.values() if len(pts) >= 3) == 12
    assert sum(not Polygon(pts).is_valid for pts in rebuildable.values()) == 12
    assert 439 + 7 + len(rebuildable) == 486  # ours + the building:part ones + the cut ways rebuilt


def test_heights_levels_years(helsinki):
    by_id = {b.id: b for b in helsinki.buildings}
    assert by_id["osm:w185401488"].height == 12.13  # tagged height="12.13 m"
    # 17 heights tagged: one on a building cut by the extract, one on a building:part (a cathedral dome)
    assert sum(b.height is not None for b in helsinki.buildings) == 15
    # 163 levels tagged: 14 on buildings cut by the extract, one on a building:part
    assert sum(b.levels is not None for b in helsinki.buildings) == 148
    assert by_id["osm:w8033120"].name == "Ateneum" and by_id["osm:w8033120"].year == 1887
    assert by_id["osm:r6066"].name == "Kansallisarkisto"
    assert not any(k.startswith("building height") or k.startswith("building levels") for k in helsinki.report.skipped)
    assert all(b.footprint.is_valid and not b.footprint.is_empty for b in helsinki.buildings)


def test_districts_are_the_real_ones_and_tile_the_extract(helsinki):
    districts = helsinki.districts
    assert [d.name for d in districts] == DISTRICTS
    assert [d.id for d in districts] == [n.lower() for n in DISTRICTS]
    frame = box(*helsinki.bbox)
    assert helsinki.bbox == pytest.approx((24.9351762, 60.164155, 24.9534145, 60.179113))
    assert all(d.boundary.is_valid and d.boundary.area > 0 for d in districts)
    assert sum(d.boundary.area for d in districts) == pytest.approx(frame.area, rel=1e-9)
    assert shapely.union_all([d.boundary for d in districts]).symmetric_difference(frame).area < 1e-12
    for a, b in itertools.combinations(districts, 2):
        assert a.boundary.intersection(b.boundary).area < 1e-12, (a.name, b.name)
    # the place label nodes of the file fall in the district of that name (Siltasaari and Hakaniemi are Kallio)
    by_name = {d.name: d.boundary for d in districts}
    assert by_name["Kluuvi"].contains(Point(24.9473293, 60.1707783))
    assert by_name["Kaartinkaupunki"].contains(Point(24.9472225, 60.1652138))
    assert by_name["Kallio"].contains(Point(24.9497427, 60.1781579))
    assert by_name["Kallio"].contains(Point(24.9514926, 60.1786958))


def test_every_building_has_the_district_that_holds_it(helsinki):
    by_id = {d.id: d.boundary for d in helsinki.districts}
    assert all(b.district_id in by_id for b in helsinki.buildings)
    assert all(by_id[b.district_id].covers(b.footprint.representative_point()) for b in helsinki.buildings)
    assert Counter(b.district_id for b in helsinki.buildings) == {
        "kluuvi": 165, "kaartinkaupunki": 103, "kamppi": 93, "kruununhaka": 40, "kallio": 33, "punavuori": 5}


def test_basemap_layers(helsinki):
    kinds = Counter((f.layer, f.kind) for f in helsinki.features)
    streets = {kind for layer, kind in kinds if layer == "street"}
    assert {"primary", "secondary", "tertiary", "residential", "service", "pedestrian", "footway", "cycleway",
            "steps"} <= streets
    assert not streets & {"platform", "corridor", "elevator", "construction", "proposed"}
    assert kinds["street", "footway"] == 1058 and kinds["street", "primary"] == 139
    assert {("water", "basin"), ("water", "coastline"), ("park", "park"), ("park", "grass"), ("park", "scrub"),
            ("landuse", "commercial"), ("landuse", "residential")} <= set(kinds)
    assert all(f.geometry.geom_type in ("LineString", "MultiLineString") for f in helsinki.features
               if f.layer == "street")
    assert all(f.geometry.geom_type in ("Polygon", "MultiPolygon") for f in helsinki.features
               if f.layer in ("park", "landuse"))


def test_round_trip_through_geojson(helsinki, tmp_path):
    out = tmp_path / "city.geojson"
    write_city_geojson(helsinki, out, "Helsinki centre", "© OpenStreetMap contributors")
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert {"name", "attribution", "source", "report", "features"} <= set(doc)
    assert doc["report"]["counts"] == dict(helsinki.report.counts)
    city = load_city(out)
    assert (city.name, city.attribution) == ("Helsinki centre", "© OpenStreetMap contributors")
    assert [(d.id, d.name) for d in city.districts] == [(d.id, d.name) for d in helsinki.districts]
    for before, after in zip(helsinki.buildings, city.buildings, strict=True):
        assert (after.id, after.name, after.height, after.levels, after.use, after.year, after.district_id) == (
            before.id, before.name, before.height, before.levels, before.use, before.year, before.district_id)
        assert shapely.equals_exact(after.footprint, before.footprint, tolerance=1e-6)
    assert [(f.id, f.layer, f.kind, f.name) for f in city.features] == [
        (f.id, f.layer, f.kind, f.name) for f in helsinki.features]
    coords = shapely.get_coordinates([shapely.geometry.shape(f["geometry"]) for f in doc["features"]])
    assert np.allclose(coords, coords.round(6), rtol=0, atol=1e-12)  # 6 decimals


def test_shipped_city_is_what_the_script_makes(helsinki, tmp_path, capsys):
    out = tmp_path / "made.geojson"
    assert runpy.run_path(str(SCRIPT))["main"]([str(PBF), "--out", str(out)]) == 0
    assert "439 buildings" in capsys.readouterr().out
    made, shipped = (json.loads(p.read_text(encoding="utf-8")) for p in (out, DEFAULT_CITY))
    assert shipped["name"] == "Helsinki centre"
    assert shipped["attribution"] == "© OpenStreetMap contributors, ODbL 1.0 (openstreetmap.org/copyright)"
    assert shipped["report"] == made["report"]
    ids = [[(f["properties"]["layer"], f["properties"]["id"]) for f in doc["features"]] for doc in (made, shipped)]
    assert ids[0] == ids[1]
    city = load_city()
    assert (len(city.districts), len(city.buildings), len(city.layer("street"))) == (6, 439, 2461)
    assert DEFAULT_CITY.stat().st_size < 4_000_000


# --- bad input -------------------------------------------------------------------------------

def test_missing_file_is_a_user_error(tmp_path):
    path = tmp_path / "nowhere.osm.pbf"
    with pytest.raises(UserError, match="nowhere.osm.pbf: no such file"):
        import_osm(path)


@pytest.mark.parametrize("name", ["garbage.osm.pbf", "garbage.osm", "garbage.txt"])
def test_unreadable_file_is_a_user_error(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(UserError) as err:
        import_osm(path)
    message = str(err.value)
    assert str(path) in message and "\n" not in message


NODES = {  # id: (lon, lat)
    1: (0.000, 0.000), 2: (0.001, 0.000), 3: (0.001, 0.001), 4: (0.000, 0.001),  # a square
    5: (0.002, 0.000), 6: (0.003, 0.001), 7: (0.003, 0.000), 8: (0.002, 0.001),  # a bow tie
    9: (0.004, 0.000), 10: (0.005, 0.000), 11: (0.006, 0.000),  # three in a row
    20: (0.000, 0.002), 21: (0.004, 0.002), 22: (0.004, 0.006), 23: (0.000, 0.006),  # a courtyard block
    24: (0.001, 0.003), 25: (0.002, 0.003), 26: (0.002, 0.004), 27: (0.001, 0.004),
}
PLACES = '<node id="90" lat="0.0015" lon="0.001"><tag k="place" v="suburb"/><tag k="name" v="Etelä"/></node>' \
         '<node id="91" lat="0.0045" lon="0.005"><tag k="place" v="quarter"/><tag k="name" v="Pohjoinen"/></node>'


def _way(wid: int, refs: list[int], **tags: str) -> str:
    nds = "".join(f'<nd ref="{r}"/>' for r in refs)
    return f'<way id="{wid}">{nds}{"".join(f"<tag k={k!r} v={v!r}/>" for k, v in tags.items())}</way>'


@pytest.fixture(scope="module")
def handmade(tmp_path_factory):
    """A tiny .osm file with one of each kind of broken building, and no boundaries (so Voronoi districts)."""
    b = {"building": "yes"}
    body = "".join(f'<node id="{n}" lat="{lat}" lon="{lon}"/>' for n, (lon, lat) in NODES.items()) + PLACES
    body += _way(100, [1, 2, 3, 4, 1], building="house", height="-5", **{"building:levels": "3;4"}, name="Square")
    body += _way(101, [5, 6, 7, 8, 5], height="40 ft", **b)  # self-intersecting
    body += _way(102, [1, 2, 3, 4], **b)  # not closed
    body += _way(103, [1, 2, 1], **b)  # two distinct points
    body += _way(104, [1, 2, 999, 1], **b)  # node 999 is not in the file
    body += _way(105, [9, 10, 11, 9], **b)  # no area: nothing left after repair
    body += _way(106, [1, 2, 3, 4, 1], height="tall", **{"building:levels": "many"}, start_date="c. 1890s", **b)
    body += _way(107, [1, 2, 3, 4, 1], **{"building:part": "yes"})  # a part: not a building at all
    body += _way(108, [1, 2, 3, 4, 1], **{"building:part": "yes", "building": "church"})  # a part tagged as both
    body += _way(110, [20, 21, 22]) + _way(111, [22, 23, 20]) + _way(112, [24, 25, 26, 27, 24])
    body += '<relation id="200"><member type="way" ref="110" role="outer"/><member type="way" ref="111" ' \
            'role="outer"/><member type="way" ref="112" role="inner"/><tag k="type" v="multipolygon"/>' \
            '<tag k="building" v="apartments"/><tag k="start_date" v="1923-1924"/></relation>'
    body += '<relation id="201"><member type="way" ref="4242" role="outer"/><tag k="type" v="multipolygon"/>' \
            '<tag k="building" v="yes"/></relation>'
    body += _way(120, [1, 9], highway="residential", name="Katu") + _way(121, [2, 10], highway="platform")
    body += _way(122, [1, 2, 3, 1], highway="pedestrian", area="yes") + _way(123, [3, 999, 6, 7], highway="footway")
    body += _way(124, [1, 2, 3, 4, 1], leisure="park") + _way(125, [5, 7, 6, 5], landuse="basin")
    body += _way(126, [9, 10, 11, 6, 9], landuse="commercial")
    path = tmp_path_factory.mktemp("osm") / "handmade.osm"
    path.write_text('<?xml version="1.0" encoding="UTF-8"?><osm version="0.6" generator="test">'
                    '<bounds minlat="0" minlon="0" maxlat="0.006" maxlon="0.006"/>' + body + "</osm>",
                    encoding="utf-8")
    return import_osm(path)


def test_broken_buildings_are_repaired_or_skipped_with_reasons(handmade):
    report = handmade.report
    assert report.counts["building"] == 4
    assert dict(report.repaired) == {"building: self-intersecting polygon": 1,
                                     "street: cut to the nodes in the extract": 1}
    assert {k: v for k, v in report.skipped.items() if k.startswith("building")} == {
        "building: unclosed ring": 1, "building: fewer than 3 distinct points": 1,
        "building: missing node locations": 1, "building: empty after repair": 1,
        "building: missing member ways": 1,
        "building: also tagged building:part (a part of another building)": 1,
        "building height: unusable value (building kept)": 2, "building levels: unusable value (building kept)": 1,
    }
    by_id = {b.id: b for b in handmade.buildings}
    assert set(by_id) == {"osm:w100", "osm:w101", "osm:w106", "osm:r200"}
    square = by_id["osm:w100"]
    assert (square.name, square.use, square.height, square.levels) == ("Square", "house", None, 4)
    bowtie = by_id["osm:w101"]
    assert bowtie.footprint.is_valid and bowtie.footprint.geom_type == "MultiPolygon"
    assert bowtie.footprint.area == pytest.approx(0.5e-6)
    assert bowtie.height == pytest.approx(12.192)
    assert (by_id["osm:w106"].height, by_id["osm:w106"].levels, by_id["osm:w106"].year) == (None, None, 1890)
    block = by_id["osm:r200"]
    assert (block.use, block.year) == ("apartments", 1923)
    assert len(block.footprint.interiors) == 1 and block.footprint.area == pytest.approx(16e-6 - 1e-6)


def test_handmade_basemap_and_voronoi_districts(handmade):
    assert [(f.id, f.layer, f.kind) for f in handmade.features] == [
        ("osm:w120", "street", "residential"), ("osm:w123", "street", "footway"),
        ("osm:w124", "park", "park"), ("osm:w125", "water", "basin"), ("osm:w126", "landuse", "commercial")]
    assert [(d.id, d.name) for d in handmade.districts] == [("etela", "Etelä"), ("pohjoinen", "Pohjoinen")]
    frame = box(0, 0, 0.006, 0.006)
    assert sum(d.boundary.area for d in handmade.districts) == pytest.approx(frame.area)
    assert handmade.districts[0].boundary.intersection(handmade.districts[1].boundary).area < 1e-15
    assert {b.district_id for b in handmade.buildings} <= {"etela", "pohjoinen"}
    assert "Voronoi" in handmade.report.summary()


# --- tag values ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "metres"), [
    ("12.13 m", 12.13), ("12", 12.0), ("12,5", 12.5), (" 7m ", 7.0), ("40 ft", 40 * 0.3048),
    ("40'", 40 * 0.3048), ("12'6\"", 12.5 * 0.3048), ("3 metres", 3.0),
    ("-5", None), ("0", None), ("1001", None), ("tall", None), ("", None), ("12 m 5", None), ("nan", None),
])
def test_parse_height_examples(text, metres):
    assert parse_height(text) == (pytest.approx(metres) if metres is not None else None)


@pytest.mark.parametrize(("text", "levels"), [
    ("3", 3), ("3.5", 4), ("3;4", 4), ("4;3", 4), (" 2 ", 2), ("0", 0), ("201", None), ("-1", None),
    ("three", None), ("", None), ("3;", None), ("2.0", 2),
])
def test_parse_levels_examples(text, levels):
    assert parse_levels(text) == levels


@given(st.text())
def test_parse_height_never_raises(text):
    value = parse_height(text)
    assert value is None or 0 < value <= 1000


@given(st.text())
def test_parse_levels_never_raises(text):
    value = parse_levels(text)
    assert value is None or (isinstance(value, int) and 0 <= value <= 200)


@given(st.integers(0, 999), st.integers(0, 99), st.sampled_from(["", " m", "m", " meters", " metres"]),
       st.sampled_from([".", ","]))
def test_parse_height_valid_metres_exactly(whole, cents, unit, point):
    expected = float(f"{whole}.{cents:02d}")
    assert parse_height(f"{whole}{point}{cents:02d}{unit}") == (expected if expected > 0 else None)


@given(st.integers(1, 3000), st.sampled_from([" ft", "ft", " feet", "'"]))
def test_parse_height_feet(feet, unit):
    expected = feet * 0.3048
    assert parse_height(f"{feet}{unit}") == (pytest.approx(expected) if expected <= 1000 else None)


@given(st.lists(st.integers(0, 200), min_size=1, max_size=4), st.booleans())
def test_parse_levels_valid_exactly(values, half):
    if half:
        assert parse_levels(f"{values[0]}.5") == (values[0] + 1 if values[0] < 200 else None)
    assert parse_levels(";".join(map(str, values))) == max(values)

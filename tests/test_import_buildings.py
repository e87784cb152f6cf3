"""The building importer on every real file (exact counts, heights checked by hand from the source), its CRS
handling, the CityJSON model it writes, the platform upsert, the command line, and generated bad input.

Figures checked by hand in the sources:
- delft-3dbag.city.jsonl: 99 Building + 100 BuildingPart; NL.IMBAG.Pand.0503100000005262 has h_dak_max
  5.380, h_maaiveld -0.077 (5.457 m), built 1954; ...4613 has two parts, 15.970 - 0.012 = 15.958 m, built
  1562. Two LoD0 footprints carry degenerate holes (every index the vertex [0, 0, 0]): 3 holes dropped.
- delft-3dbag-tile901.city.jsonl: 52 buildings; ...0334: 4.981 - -1.306 = 6.287 m, built 1980.
- sf-buildings: 13,896 building features = 299 copies in a neighbour's edge buffer + 159 beyond the nine
  tiles + 13,438 pieces, of which 271 joins across tile edges leave 13,167 buildings. The Castro Theatre
  (cinema, 17 m) is at 37.7620 N, 122.4348 W; UCSF's Parnassus hospital is 45 m.
- helsinki-centre.osm.pbf: the OSM importer's 439 buildings; Kamppi Chapel is tagged height "12.13 m",
  Ateneum building:levels 4 (12 m).
"""

from __future__ import annotations

import copy
import gzip
import json
import math
import re
import shutil
import tempfile
from pathlib import Path

import mapbox_vector_tile
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, configuration, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, shape
from sqlalchemy import create_engine, text

from console.errors import UserError
from console.importers.buildings import import_buildings, read_buildings
from console.importers.cityjson import CityJsonReader
from console.importers.crs import candidates
from console.importers.districts import import_districts
from console.importers.footprints import geojson_rows
from console.importers.osm import import_osm
from console.importers.report import ImportReport
from resources import resource_path
from tests.conftest import SHARED_DATA
from tests.pg import fresh_database
from tests.test_cli import assert_one_line_error, cityops

configuration.set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "cityops-console-hypothesis")

DELFT, TILE901, SF, PBF = "delft-3dbag.city.jsonl", "delft-3dbag-tile901.city.jsonl", "sf-buildings", \
    "helsinki-centre.osm.pbf"
CITY = resource_path("city", "helsinki-centre.geojson")
BAG = "NL.IMBAG.Pand.0503100000"


@pytest.fixture(scope="module")
def delft(shared_data) -> tuple[list[dict], ImportReport]:
    return read_buildings(shared_data / DELFT)


def _by_id(rows: list[dict]) -> dict[str, dict]:
    return {r["id"]: r for r in rows}


def _model(row: dict) -> dict:
    return json.loads(row["model"])


def _rd_to_wgs84(x: float, y: float) -> tuple[float, float]:
    """RD New -> WGS84 by the published approximation series (Schreutelkamp & Strang van Hees), ~0.25 m."""
    dx, dy = (x - 155000) * 1e-5, (y - 463000) * 1e-5
    n = (3235.65389 * dy - 32.58297 * dx**2 - 0.2475 * dy**2 - 0.84978 * dx**2 * dy - 0.0655 * dy**3
         - 0.01709 * dx**2 * dy**2 - 0.00738 * dx + 0.0053 * dx**4 - 0.00039 * dx**2 * dy**3
         + 0.00033 * dx**4 * dy - 0.00012 * dx * dy)
    e = (5260.52916 * dx + 105.94684 * dx * dy + 2.45656 * dx * dy**2 - 0.81885 * dx**3
         + 0.05594 * dx * dy**3 - 0.05607 * dx**3 * dy + 0.01199 * dy - 0.00256 * dx**3 * dy**2
         + 0.00128 * dx * dy**4 + 0.00022 * dy**2 - 0.00022 * dx**2 + 0.00026 * dx**5)
    return 5.38720621 + e / 3600, 52.15517440 + n / 3600


# --- real files ------------------------------------------------------------------------------

def test_delft_3dbag_buildings_with_their_parts(delft):
    rows, report = delft
    assert len(rows) == 99 and report.counts == {"building": 99}
    assert report.skipped == {"building surface: fewer than 3 distinct vertices (hole dropped)": 3}
    assert report.repaired == {"building surface: non-planar (kept as is)": 2}
    models = [_model(r) for r in rows]
    assert sum(o["type"] == "BuildingPart" for m in models for o in m["CityObjects"].values()) == 100
    rows = _by_id(rows)
    small, twin = rows[f"{BAG}005262"], rows[f"{BAG}004613"]
    assert (small["height"], small["year"]) == (5.457, 1954)
    assert (twin["height"], twin["year"]) == (15.958, 1562)
    assert _model(twin)["CityObjects"][f"{BAG}004613"]["children"] == [f"{BAG}004613-1", f"{BAG}004613-0"]
    assert all(r["district_id"] is None and r["levels"] is None for r in rows.values())
    for r in rows.values():
        foot = shape(json.loads(r["footprint"]))
        assert foot.is_valid and foot.geom_type in ("Polygon", "MultiPolygon")
        assert 4.35 < foot.centroid.x < 4.38 and 52.0 < foot.centroid.y < 52.02  # central Delft


def test_delft_tile_901(shared_data):
    rows, report = read_buildings(shared_data / TILE901)
    assert len(rows) == 52 and not report.skipped and not report.repaired
    row = _by_id(rows)[f"{BAG}000334"]
    assert (row["height"], row["year"]) == (6.287, 1980)


def test_san_francisco_tiles_count_each_building_once(shared_data):
    rows, report = read_buildings(shared_data / SF)
    assert len(rows) == 13_167
    assert report.skipped == {"building: a copy in the edge buffer of a neighbouring tile's building": 299,
                              "building: beyond the tiles given (only in an edge buffer)": 159}
    assert report.repaired == {"building: pieces cut at a tile edge (joined)": 271,
                               "building: cut at the edge of the tiles given (the part inside kept)": 301,
                               "building height: none given (building kept without one)": 1}
    assert 13_167 + 271 + 299 + 159 == 13_896  # every feature of the README accounted for
    footprints = shapely.from_geojson([r["footprint"] for r in rows])
    assert shapely.is_valid(footprints).all()
    castro = [rows[i] for i in np.flatnonzero(shapely.contains_xy(footprints, -122.43475, 37.76200))]
    assert [(r["use"], r["height"]) for r in castro] == [("cinema", 17.0)]
    assert [r["height"] for r in rows if r["use"] == "hospital"] == [45.0]
    assert all(r["model"] is None for r in rows)  # no footprint here starts above the ground
    assert len({r["id"] for r in rows}) == len(rows)


def test_helsinki_osm_and_its_city_file_give_the_same_buildings(shared_data):
    from_pbf, pbf_report = read_buildings(shared_data / PBF)
    assert len(from_pbf) == len(import_osm(shared_data / PBF).buildings) == 439
    assert pbf_report.skipped["building: missing node locations"] == 52
    from_city, city_report = read_buildings(CITY)
    assert len(from_city) == 439 and city_report.skipped["not a building (layer street)"] == 2461
    city = _by_id(from_city)
    for bid, row in _by_id(from_pbf).items():  # the city file keeps 6 decimals, the importer 7
        assert {**row, "footprint": None} == {**city[bid], "footprint": None}
        assert shape(json.loads(row["footprint"])).hausdorff_distance(shape(json.loads(city[bid]["footprint"]))) < 1e-6
    rows = _by_id(from_pbf)
    assert rows["osm:w185401488"]["name"] == "Kampin kappeli" and rows["osm:w185401488"]["height"] == 12.13
    assert (rows["osm:w8033120"]["name"], rows["osm:w8033120"]["levels"], rows["osm:w8033120"]["height"]) == \
        ("Ateneum", 4, 12.0)
    assert pbf_report.repaired["building height: from levels × 3 m"] == 137
    assert pbf_report.repaired["building height: none given (building kept without one)"] == 287


# --- CRS ---------------------------------------------------------------------------------------

def _delft_lines(data: Path) -> list[str]:
    return (data / DELFT).read_text().splitlines()


def test_rd_new_plus_nap_lands_where_the_hand_computation_puts_it(shared_data, delft):
    lines = _delft_lines(shared_data)
    header, feature = json.loads(lines[0]), json.loads(lines[1])
    scale, shift = header["transform"]["scale"], header["transform"]["translate"]
    verts = feature["vertices"]
    ring = feature["CityObjects"][feature["id"]]["geometry"][0]["boundaries"][0][0]  # its LoD0 footprint
    hand = shapely.Polygon([_rd_to_wgs84(verts[i][0] * scale[0] + shift[0], verts[i][1] * scale[1] + shift[1])
                            for i in ring]).centroid
    got = shape(json.loads(_by_id(delft[0])[feature["id"]]["footprint"])).centroid
    metres = math.hypot((got.x - hand.x) * 111_320 * math.cos(math.radians(52)), (got.y - hand.y) * 110_570)
    assert metres < 1.0 and 4.36 < got.x < 4.37 and 52.0 < got.y < 52.01


def _with_crs(data: Path, tmp: Path, crs: object, name: str = "x.city.jsonl") -> Path:
    lines = _delft_lines(data)[:4]
    header = json.loads(lines[0])
    if crs is None:
        del header["metadata"]["referenceSystem"]
    else:
        header["metadata"]["referenceSystem"] = crs
    path = tmp / name
    path.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    return path


def test_crs_strings_unknown_missing_and_given(shared_data, tmp_path):
    reference, _ = read_buildings(_with_crs(shared_data, tmp_path, "urn:ogc:def:crs:EPSG::7415"))
    for crs in ("https://www.opengis.net/def/crs/EPSG/0/7415", "EPSG:28992"):
        rows, _ = read_buildings(_with_crs(shared_data, tmp_path, crs))
        assert rows == reference
    with pytest.raises(UserError, match=r"x\.city\.jsonl: unknown CRS 'urn:ogc:def:crs:EPSG::99999' .*--crs EPSG"):
        read_buildings(_with_crs(shared_data, tmp_path, "urn:ogc:def:crs:EPSG::99999"))
    missing = _with_crs(shared_data, tmp_path, None)
    with pytest.raises(UserError, match=r"x\.city\.jsonl: no CRS .*not lon/lat; CRSs that place them inside their "
                       r"area of use \(best first\): .*EPSG:28992 \(Amersfoort / RD New, at 52\.01\d\d°N 4\.36\d\d°E\).*--crs"):
        read_buildings(missing)
    assert read_buildings(missing, crs="EPSG:28992")[0] == reference
    assert read_buildings(_with_crs(shared_data, tmp_path, "EPSG:99999"), crs="EPSG:7415")[0] == reference
    with pytest.raises(UserError, match=r"--crs 'EPSG:nonsense' is not a CRS"):
        read_buildings(missing, crs="EPSG:nonsense")


# --- the model ---------------------------------------------------------------------------------

def test_model_round_trip(delft):
    row = _by_id(delft[0])[f"{BAG}005262"]
    model = _model(row)
    assert (model["type"], model["version"]) == ("CityJSON", "2.0")
    assert model["metadata"]["referenceSystem"].endswith("/OGC/0/CRS84")
    (sx, sy, sz), (tx, ty, tz) = model["transform"]["scale"], model["transform"]["translate"]
    lonlat = [(x * sx + tx, y * sy + ty, z * sz + tz) for x, y, z in model["vertices"]]
    foot = shape(json.loads(row["footprint"]))
    assert all(foot.buffer(2e-5).contains(Point(lon, lat)) for lon, lat, _ in lonlat)  # within ~1.5 m
    zs = [z for _, _, z in lonlat]
    assert min(zs) == 0.0  # its ground surface lies at h_maaiveld
    assert max(zs) == 5.398 and row["height"] == 5.457  # the LoD2.2 roof top; 3D BAG's h_dak_max is higher
    building, part = model["CityObjects"][f"{BAG}005262"], model["CityObjects"][f"{BAG}005262-0"]
    assert building["geometry"] == [] and building["attributes"]["h_maaiveld"] == pytest.approx(-0.077)
    assert part["parents"] == [f"{BAG}005262"]
    (geom,) = part["geometry"]
    assert (geom["type"], geom["lod"]) == ("Solid", 2.2)  # the best of LoD 1.2, 1.3 and 2.2
    kinds = {s["type"] for s in geom["semantics"]["surfaces"]}
    assert kinds == {"GroundSurface", "RoofSurface", "WallSurface"}
    assert len(geom["semantics"]["values"][0]) == len(geom["boundaries"][0])
    used = {i for shell in geom["boundaries"] for surface in shell for ring in surface for i in ring}
    assert used == set(range(len(model["vertices"])))


def _cube(verts: list, x: float, y: float, z: float, size: float) -> list:
    """A Solid shell of a cube (outward faces) with its vertices appended to ``verts``."""
    base = len(verts)
    verts += [[x + dx, y + dy, z + dz] for dz in (0, size) for dy in (0, size) for dx in (0, size)]
    faces = [[0, 2, 3, 1], [4, 5, 7, 6], [0, 1, 5, 4], [1, 3, 7, 5], [3, 2, 6, 7], [2, 0, 4, 6]]
    return [[[base + i for i in f]] for f in faces]


def _document(verts_scale: float = 1.0) -> dict:
    verts: list = []
    shell = _cube(verts, 84_000, 447_000, 2.0, 10.0)
    tower = _cube(verts, 84_002, 447_002, 12.0, 4.0)
    shed = _cube(verts, 84_050, 447_000, -1.0, 3.0)
    shed[1] = [[verts.__len__() - 4, verts.__len__() - 3, verts.__len__() - 1, 999]]  # a missing vertex
    verts.append([84_050.5, 447_000, 2.0])  # moves one corner of the west wall 0.5 m off its plane
    shed[5] = [[shed[5][0][0], shed[5][0][1], len(verts) - 1, shed[5][0][3]]]
    shed.append([[0, 0, 1]])  # fewer than 3 distinct vertices
    values = [[0, 1, 2, 2, 2, 2]]
    objects = {
        "b1": {"type": "Building", "attributes": {"yearOfConstruction": 1999, "storeysAboveGround": 3},
               "children": ["b1-p"],
               "geometry": [{"type": "MultiSurface", "lod": "0", "boundaries": [shell[0]]}]},
        "b1-p": {"type": "BuildingPart", "parents": ["b1"], "children": ["b1-t"],
                 "geometry": [{"type": "Solid", "lod": "2", "boundaries": [shell],
                               "semantics": {"surfaces": [{"type": "GroundSurface"}, {"type": "RoofSurface"},
                                                          {"type": "WallSurface"}], "values": values}}]},
        "b1-t": {"type": "BuildingPart", "parents": ["b1-p"],
                 "geometry": [{"type": "CompositeSolid", "lod": "1", "boundaries": [[tower]]}]},
        "shed": {"type": "Building", "geometry": [{"type": "CompositeSurface", "lod": "1.2", "boundaries": shed}]},
        "bridge": {"type": "Bridge", "geometry": []},
        "lost": {"type": "BuildingPart", "parents": ["gone"], "geometry": []},
        "empty": {"type": "Building", "geometry": [{"type": "MultiPoint", "lod": "1", "boundaries": [0, 1]}]},
    }
    return {"type": "CityJSON", "version": "2.0", "metadata": {"referenceSystem": "EPSG:7415"},
            "transform": {"scale": [verts_scale] * 3, "translate": [0, 0, 0]},
            "CityObjects": objects, "vertices": [[v / verts_scale for v in p] for p in verts]}


def test_cityjson_document_geometry_kinds_and_bad_surfaces(tmp_path):
    path = tmp_path / "model.json"
    path.write_text(json.dumps(_document(0.001)))
    rows, report = read_buildings(path)
    assert report.skipped == {"building surface: missing or unusable vertex (dropped)": 1,
                              "building surface: fewer than 3 distinct vertices (dropped)": 1,
                              "object: not a building (Bridge)": 1,
                              "building: building part without its building": 1,
                              "building: no usable geometry": 1}
    assert report.repaired == {"building surface: non-planar (kept as is)": 1}
    rows = _by_id(rows)
    b1, shed = rows["b1"], rows["shed"]
    assert (b1["height"], b1["year"], b1["levels"]) == (14.0, 1999, 3)  # ground 2 m, tower top 16 m
    objects = _model(b1)["CityObjects"]
    assert objects["b1"]["children"] == ["b1-p"] and objects["b1-p"]["children"] == ["b1-t"]
    assert objects["b1-t"]["geometry"][0]["type"] == "CompositeSolid"
    foot = shape(json.loads(b1["footprint"]))
    square_m = foot.area * 111_320 * math.cos(math.radians(foot.centroid.y)) * 110_570
    assert square_m == pytest.approx(100, rel=0.01)  # the LoD0 10 m square
    assert shed["height"] == 3.0  # ground -1 m, top 2 m
    assert len(_model(shed)["CityObjects"]["shed"]["geometry"][0]["boundaries"]) == 5  # 7 surfaces less 2
    assert read_buildings(path, crs="EPSG:28992")[0] == list(rows.values())


def test_lon_lat_without_a_crs_is_read_as_wgs84_with_a_note(tmp_path):
    doc = _document()
    doc["vertices"] = [[4.36 + (x - 84_000) * 1e-5, 52.0 + (y - 447_000) * 1e-5, z] for x, y, z in doc["vertices"]]
    del doc["metadata"]
    path = tmp_path / "lonlat.city.json"
    path.write_text(json.dumps(doc))
    rows, report = read_buildings(path)
    assert {r["id"] for r in rows} == {"b1", "shed"}
    assert report.notes == [f"{path} names no CRS: its coordinates look like lon/lat and were read as WGS84"]


# --- GeoJSON and vector tiles -------------------------------------------------------------------

def _square(x: float, y: float, size: float = 0.0002) -> list:
    return [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]


def test_geojson_heights_levels_bases_and_repairs(tmp_path):
    bowtie = [[[25.0, 60.0], [25.001, 60.001], [25.001, 60.0], [25.0, 60.001], [25.0, 60.0]]]
    feats = [({"height": "12.13 m", "name": "Chapel"}, _square(24.93, 60.17), "a"),
             ({"height": "40 ft"}, _square(24.94, 60.17), "b"), ({"building:levels": "3"}, _square(24.95, 60.17), "c"),
             ({"height": 20, "min_height": 10, "building": "bridge"}, _square(24.96, 60.17), "d"),
             ({"height": "tall"}, bowtie, "e"), ({"levels": 2}, _square(24.97, 60.17), None)]
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": p, "geometry": {"type": "Polygon", "coordinates": c},
         **({"id": i} if i else {})} for p, c, i in feats]}
    doc["features"].append({"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [0, 0]}})
    path = tmp_path / "blocks.geojson"
    path.write_text(json.dumps(doc))
    rows, report = read_buildings(path)
    rows = _by_id(rows)
    assert {k: r["height"] for k, r in rows.items()} == {"a": 12.13, "b": 12.192, "c": 9.0, "d": 20.0, "e": None,
                                                        "blocks:6": 6.0}
    assert rows["a"]["name"] == "Chapel" and rows["d"]["use"] == "bridge"
    assert report.repaired == {"building height: from levels × 3 m": 2,
                               "building: self-intersecting polygon (repaired)": 1,
                               "building height: unusable value (building kept)": 1,
                               "building height: none given (building kept without one)": 1}
    assert report.skipped == {"building: geometry type Point (expected MultiPolygon or Polygon)": 1}
    assert all(r["model"] is None for k, r in rows.items() if k != "d")
    model = _model(rows["d"])
    (geom,) = model["CityObjects"]["d"]["geometry"]
    assert (geom["type"], geom["lod"], len(geom["boundaries"][0])) == ("Solid", "1", 6)  # floor, roof, 4 walls
    assert {z for _, _, z in model["vertices"]} == {10_000, 20_000}  # mm above the ground
    assert [s["type"] for s in geom["semantics"]["surfaces"]] == ["OuterFloorSurface", "RoofSurface", "WallSurface"]


def test_geojson_crs_option(tmp_path):
    doc = {"type": "FeatureCollection", "features": [{"type": "Feature", "id": "rd", "properties": {"height": 9},
                                                      "geometry": {"type": "Polygon", "coordinates": [[
                                                          [84956, 447256], [84966, 447256], [84966, 447266],
                                                          [84956, 447266], [84956, 447256]]]}}]}
    path = tmp_path / "rd.geojson"
    path.write_text(json.dumps(doc))
    rows, report = read_buildings(path)
    assert rows == [] and report.skipped == {"building: coordinates out of range (not WGS84 lon/lat)": 1}
    (row,), _ = read_buildings(path, crs="EPSG:28992")
    centre = shape(json.loads(row["footprint"])).centroid
    hand = _rd_to_wgs84(84961, 447261)
    assert centre.x == pytest.approx(hand[0], abs=1e-5) and centre.y == pytest.approx(hand[1], abs=1e-5)
    path.write_text(json.dumps({**doc, "crs": {"type": "name", "properties": {"name": "EPSG:123456"}}}))
    with pytest.raises(UserError, match=r"rd\.geojson: unknown CRS 'EPSG:123456' \(state the right one with --crs"):
        read_buildings(path)


def test_vector_tile_gzip_tile_option_and_a_raised_base(shared_data, tmp_path):
    tile = shared_data / SF / "15-5239-12666.mvt"
    plain, _ = read_buildings(tile)
    (tmp_path / "15").mkdir()
    (tmp_path / "15" / "5239").mkdir()
    (tmp_path / "15" / "5239" / "12666.mvt").write_bytes(gzip.compress(tile.read_bytes()))
    assert read_buildings(tmp_path / "15")[0] == plain
    unnamed = tmp_path / "tile.pbf"
    shutil.copy(tile, unnamed)
    with pytest.raises(UserError, match=r"tile\.pbf: cannot tell the tile's z/x/y .*--tile z/x/y"):
        read_buildings(unnamed)
    assert read_buildings(unnamed, tile="15/5239/12666")[0] == plain
    with pytest.raises(UserError, match="--tile: not a tile address"):
        read_buildings(unnamed, tile="15/99999/1")
    raised = mapbox_vector_tile.encode([{"name": "building", "features": [
        {"geometry": "POLYGON ((100 100, 300 100, 300 300, 100 300, 100 100))",
         "properties": {"height": 30, "min_height": 12, "type": "skybridge"}}]}])
    (tmp_path / "16-10476-25332.mvt").write_bytes(raised)
    (row,), _ = read_buildings(tmp_path / "16-10476-25332.mvt")
    (geom,) = _model(row)["CityObjects"][row["id"]]["geometry"]
    assert geom["type"] == "Solid" and {z for _, _, z in _model(row)["vertices"]} == {12_000, 30_000}


def test_a_tower_tagged_as_a_building_part_stays_one_building_with_its_height(tmp_path):
    """OSM-derived tiles carry a building's outline (a 10 m podium) and its building:part (a 60 m
    tower inside it) as two features: one building, 60 m, its model the podium and the tower."""
    podium = "POLYGON ((100 100, 900 100, 900 900, 100 900, 100 100))"
    tower = "POLYGON ((300 300, 500 300, 500 500, 300 500, 300 300))"
    data = mapbox_vector_tile.encode([{"name": "building", "features": [
        {"geometry": podium, "properties": {"height": 10, "type": "office"}},
        {"geometry": tower, "properties": {"height": 60, "type": "office"}}]}])
    (tmp_path / "16-10476-25332.mvt").write_bytes(data)
    (row,), report = read_buildings(tmp_path / "16-10476-25332.mvt")
    assert row["height"] == 60.0 and report.repaired["building part: inside its building's outline (merged into it)"] == 1
    model = _model(row)
    assert [o["type"] for o in model["CityObjects"].values()] == ["Building", "BuildingPart"]
    tops = {oid: max(model["vertices"][i][2] for shell in o["geometry"][0]["boundaries"] for s in shell for r in s
                     for i in r) for oid, o in model["CityObjects"].items()}
    assert sorted(tops.values()) == [10_000, 60_000]  # mm: the podium's roof and the tower's


def test_a_tile_with_a_layer_name_that_is_not_utf8_is_one_line(tmp_path):
    layer = b"\x78\x02" + b"\x0a\x02\xff\xfe" + b"\x28\x80\x20"  # version 2, name 0xff 0xfe, extent 4096
    (tmp_path / "15-5237-12665.mvt").write_bytes(b"\x1a" + bytes([len(layer)]) + layer)
    with pytest.raises(UserError, match=r"15-5237-12665\.mvt: no building layer in the vector tiles given"):
        read_buildings(tmp_path / "15-5237-12665.mvt")


# --- the platform ------------------------------------------------------------------------------

def _platform_rows(url: str) -> dict[str, dict]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {r.id: dict(r._mapping) for r in conn.execute(text("SELECT * FROM buildings"))}
    finally:
        engine.dispose()


def test_import_into_the_platform_and_again(platform, shared_data):
    before = _platform_rows(platform)
    report = import_buildings([shared_data / TILE901, CITY], platform)
    assert report.counts == {"building": 52 + 439 - 17}  # 17 Helsinki rows the demo platform has just so
    assert "Buildings: 52 new, 422 replaced, 17 unchanged; 0 not in the input kept" in report.notes
    assert not report.skipped.get("building: unchanged (the platform has it already)")  # a note, not skipped
    assert "52 of the buildings lie in none of the platform's districts" in report.notes
    rows = _platform_rows(platform)
    assert rows.keys() == before.keys() | {r for r in rows if r.startswith(BAG)}
    city = {b.id: b.district_id for b in import_osm(shared_data / PBF).buildings}
    assert {k: rows[k]["district_id"] for k in city} == city  # the same district as the OSM importer's
    assert rows[f"{BAG}000334"] == {**_by_id(read_buildings(shared_data / TILE901)[0])[f"{BAG}000334"]}
    again = import_buildings([shared_data / TILE901, CITY], platform)
    assert again.counts == {"building": 0}
    assert f"Buildings: 0 new, 0 replaced, {52 + 439} unchanged; 0 not in the input kept" in again.notes
    assert _platform_rows(platform) == rows


@pytest.mark.postgres
def test_postgres_upsert_tells_syncing_consoles(shared_data):
    import psycopg

    from console.model.schema import NOTIFY_CHANNEL
    from console.platform.create import create_platform

    with fresh_database() as url:
        create_platform(url, hours=0.25, seed=1, end=1_780_000_000)
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
            conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
            # Delft into the simulated Helsinki: far from every district, so it takes force_crs
            assert import_buildings(shared_data / TILE901, url, force_crs=True).counts == {"building": 52}
            assert [n.payload for n in conn.notifies(timeout=5, stop_after=1)] == ["buildings"]
            assert import_buildings(shared_data / TILE901, url, force_crs=True).counts == {"building": 0}
            assert list(conn.notifies(timeout=1)) == []  # nothing rewritten, nobody woken
        assert _by_id(_platform_rows(url).values())[f"{BAG}000334"]["height"] == 6.287


def test_not_a_platform(tmp_path, shared_data):
    create_engine(f"sqlite:///{tmp_path / 'empty.db'}").connect().close()
    with pytest.raises(UserError, match="is not a CityOps platform"):
        import_buildings(shared_data / TILE901, f"sqlite:///{tmp_path / 'empty.db'}")


# --- the command line --------------------------------------------------------------------------

def test_command_line_summary_and_bad_files(platform, shared_data, tmp_path):
    db = platform.removeprefix("sqlite:///")
    # Delft into Helsinki's demo platform: 1,562 km from its nearest district (geodesic, by pyproj's Geod)
    assert_one_line_error(cityops("import", "buildings", str(shared_data / TILE901), "--platform", db),
                          "the buildings land at 52.0060°N 4.3223°E, 1,562 km from the nearest of the platform's "
                          "6 districts (kamppi); likely cause: a wrong CRS")
    result = cityops("import", "buildings", str(shared_data / TILE901), "--platform", db, "--force-crs")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Imported 52 buildings from delft-3dbag-tile901.city.jsonl.")
    cut = tmp_path / "cut.city.jsonl"
    cut.write_text((shared_data / TILE901).read_text()[:-200])
    result = cityops("import", "buildings", str(cut), "--platform", db, "--force-crs")
    assert result.returncode == 3 and "Traceback" not in result.stderr  # partial: every complete line imported
    assert "Not readable (1, the rest was read): cut.city.jsonl line 53: not valid JSON" in result.stdout
    assert_one_line_error(cityops("import", "buildings", str(shared_data / "seattle-weather-hourly.csv"),
                                  "--platform", db), "seattle-weather-hourly.csv: not a building file")
    assert_one_line_error(cityops("import", "buildings", str(shared_data / "london-boroughs.topo.json"),
                                  "--platform", db), "not a building file (a JSON document of type 'Topology'")
    (tmp_path / "none").mkdir()
    assert_one_line_error(cityops("import", "buildings", str(tmp_path / "none"), "--platform", db), "empty folder")


# --- generated bad input -----------------------------------------------------------------------

JUNK = st.sampled_from([None, -1, 0, 10**30, 1.5, "x", True, [], {}, [[]], [-5, 10**9, "a"], {"type": "Solid"},
                        float("nan"), float("inf")])


def _paths(node: object, path: tuple = ()) -> list[tuple]:
    """Every place in a JSON value (dict keys and list items, containers and leaves)."""
    found = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*path, i))
    return found


def _mutate(doc: object, edits: list[tuple[tuple, object, bool]]) -> object:
    doc = copy.deepcopy(doc)
    for path, junk, drop in edits:
        parent = doc
        try:
            for step in path[:-1]:
                parent = parent[step]
            if drop and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = junk
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed this place
    return doc


def _edits(doc: object) -> st.SearchStrategy:
    return st.lists(st.tuples(st.sampled_from(_paths(doc)), JUNK, st.booleans()), min_size=1, max_size=4)


_FEATURE_FILE = SHARED_DATA / TILE901
_LINES = _FEATURE_FILE.read_text().splitlines() if _FEATURE_FILE.exists() else ["{}", "{}"]
_HEADER, _FEATURE = json.loads(_LINES[0]), json.loads(min(_LINES[1:], key=len))
_READER = CityJsonReader(_HEADER, "x", None, ImportReport()) if _FEATURE_FILE.exists() else None


@pytest.mark.skipif(not _FEATURE_FILE.exists(), reason="real data folder not beside the repository")
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=_edits(_FEATURE))
def test_mutated_cityjson_features_are_counted_never_a_crash(edits):
    feature = _mutate(_FEATURE, edits)
    report = _READER.report = ImportReport()  # one reader: its CRS transformer is made once
    rows = _READER.rows(feature.get("CityObjects"), feature.get("vertices"))
    assert len(rows) <= 1
    for row in rows:
        assert shape(json.loads(row["footprint"])).is_valid
        assert json.loads(row["model"])["type"] == "CityJSON"
    if not rows:
        assert report.skipped



@pytest.mark.skipif(not _FEATURE_FILE.exists(), reason="real data folder not beside the repository")
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(picks=st.lists(st.integers(1, max(len(_LINES) - 1, 1)), min_size=1, max_size=8),
       shift=st.tuples(st.integers(-30_000_000, 30_000_000), st.integers(-30_000_000, 30_000_000)),
       edits=_edits(_FEATURE))
def test_features_read_together_give_the_rows_of_each_read_alone(picks, shift, edits):
    """Features are read in chunks (one reprojection of all their vertices, one planarity pass): the
    rows and counts must be those of one feature at a time, wherever each feature lies, a damaged one too."""
    features = []
    for n, line in enumerate(picks):
        feature = json.loads(_LINES[line])
        for vertex in feature["vertices"]:  # each feature moved by its own multiple of the shift (units: mm)
            vertex[0] += n * shift[0]
            vertex[1] += n * shift[1]
        features.append(feature)
    features.insert(len(features) // 2, _mutate(_FEATURE, edits))
    pairs = [(f.get("CityObjects"), f.get("vertices")) for f in features]
    together = _READER.report = ImportReport()
    rows = _READER.rows_of(pairs)
    alone = _READER.report = ImportReport()
    assert rows == [r for objects, vertices in pairs for r in _READER.rows(objects, vertices)]
    assert together.as_dict() == alone.as_dict()
    assert len(rows) >= len(picks)

_CITY_FEATURES = [f for f in json.loads(CITY.read_text())["features"] if f["properties"]["layer"] == "building"]
_SAMPLE = {"type": "FeatureCollection", "features": [_CITY_FEATURES[i] for i in (0, 5, 50, 100)]}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=_edits(_SAMPLE["features"]))
def test_mutated_geojson_features_are_counted_never_a_crash(edits):
    doc = {**_SAMPLE, "features": _mutate(_SAMPLE["features"], edits)}
    report = ImportReport()
    rows = geojson_rows(doc, Path("city.geojson"), report)
    assert len(rows) + sum(report.skipped.values()) == 4  # kept (perhaps with a note) or skipped, never both
    assert all(shape(json.loads(r["footprint"])).is_valid for r in rows)


def test_a_footprint_of_tens_of_thousands_of_vertices_is_simplified_with_a_note(tmp_path):
    t = np.linspace(0, 2 * np.pi, 50_000, endpoint=False)
    radius = 0.001 * (1 + 0.3 * np.sin(t * 97))
    ring = np.column_stack([24.94 + 2 * radius * np.cos(t), 60.17 + radius * np.sin(t)]).tolist()
    doc = {"type": "FeatureCollection", "features": [{"type": "Feature", "id": "traced", "properties": {"height": 20},
                                                      "geometry": {"type": "Polygon", "coordinates": [ring + ring[:1]]}}]}
    path = tmp_path / "traced.geojson"
    path.write_text(json.dumps(doc))
    (row,), report = read_buildings(path)
    assert report.repaired == {"building footprint: over 5,000 vertices (simplified)": 1}
    kept, original = shape(json.loads(row["footprint"])), shapely.Polygon(ring)
    assert shapely.get_num_coordinates(kept) <= 5_000 and kept.is_valid
    assert kept.symmetric_difference(original).area < 0.01 * original.area


def _platform_around(url: str, tmp_path: Path, lon: float, lat: float) -> None:
    """Make the test platform's city one district of about 4 km around (lon, lat)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM districts"))
    engine.dispose()
    d = 0.03
    ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]
    area = tmp_path / "district.geojson"
    area.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "home", "properties": {"name": "Home"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    import_districts(area, url)


def test_no_crs_names_the_crs_that_lands_in_the_platforms_city_first(platform, shared_data, tmp_path):
    """Without a platform the candidates are ranked by where they fall in their own area of use; with
    one, the CRS that puts the file in the platform's city leads (RD New for Delft, not Indiana East)."""
    missing = _with_crs(shared_data, tmp_path, None)
    _platform_around(platform, tmp_path, 4.36, 52.01)
    with pytest.raises(UserError) as refused:
        import_buildings(missing, platform)
    listed = str(refused.value).split("first): ")[1]
    assert listed.startswith("EPSG:28992 (Amersfoort / RD New, at 52.01"), listed
    assert "nearest the platform's districts first" in str(refused.value)
    assert not any(k.startswith(BAG) for k in _platform_rows(platform))  # refused: nothing written
    # Helsinki in ETRS-TM35FIN: without a city, Lambert-93's France is "nearer its middle"; near Helsinki,
    # the Finnish grid leads
    nearest = candidates(386_000, 6_672_000, near=(24.94, 60.17))[0]
    assert re.fullmatch(r"EPSG:3067 \(ETRS89 / TM35FIN\(E,N\), at 60\.16\d\d°N 24\.94\d\d°E, 0 km from them\)",
                        nearest), nearest

"""`cityops import buildings`: city models and footprints of any supported format into the ``buildings`` table.

The format is recognised from the content, never the name: a CityJSON document, a CityJSONSeq
stream (a CityJSON header line, then CityJSONFeature lines), GeoJSON, a Mapbox Vector Tile
(gzip-compressed or not) or an OpenStreetMap PBF. A folder stands for every file under it.
Vector tiles given together are read together, so buildings cut at tile edges come out whole.

Rows are written as an upsert by id in one transaction, as the district importer does: rows the
platform already has unchanged are not rewritten, so a re-import notifies no console (the
platform's triggers signal every write to a reference table, and syncing consoles reload it).
Each building gets the district holding its footprint's representative point (None outside all).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from sqlalchemy import Engine, inspect, select
from sqlalchemy.exc import DBAPIError

from console.databases import reason, shown_url
from console.errors import UserError
from console.importers import mvt
from console.importers.cityjson import CityJsonReader
from console.importers.districts import open_platform, upsert
from console.importers.footprints import geojson_rows, osm_rows
from console.importers.report import ImportReport
from console.model.schema import P

COLUMNS = ("district_id", "name", "footprint", "model", "height", "levels", "use", "year")
Paths = str | Path | Iterable[str | Path]
FORMATS = "CityJSON, CityJSONSeq, GeoJSON, Mapbox Vector Tile or OpenStreetMap PBF"


def read_buildings(paths: Paths, *, crs: str | None = None, tile: str | None = None) -> tuple[list[dict], ImportReport]:
    """Rows in the ``buildings`` form (district_id None) from files or folders, and what was done."""
    given = [Path(p) for p in ([paths] if isinstance(paths, (str, Path)) else paths)]
    files = _files(given)
    report = ImportReport(source=", ".join(p.name for p in given[:3]) + (" ..." if len(given) > 3 else ""))
    rows: list[dict] = []
    tiles: list[tuple[Path, dict]] = []
    for path in files:
        data = _read(path)
        kind, doc = _recognise(path, data)
        if kind == "mvt":
            tiles.append((path, mvt.decode(path, data)))
        elif kind in (".osm.pbf", ".osm"):
            rows += osm_rows(path, kind, report)
        elif kind == "geojson":
            rows += geojson_rows(doc, path, report, crs)
        else:
            header, features = doc
            reader = CityJsonReader(header, str(path), crs, report)
            for objects, vertices in features:
                rows += reader.rows(objects, vertices)
    if tiles:
        rows += mvt.tile_rows(tiles, tile, report)
    elif tile is not None:
        raise UserError("--tile is for a Mapbox Vector Tile, and none was given")
    unique: dict[str, dict] = {}
    for r in rows:
        if r["id"] in unique:
            report.skipped["building: duplicate id (an earlier building has it)"] += 1
        else:
            unique[r["id"]] = r
    report.counts["building"] = len(unique)
    return list(unique.values()), report


def import_buildings(paths: Paths, url: str, *, crs: str | None = None, tile: str | None = None) -> ImportReport:
    """Upsert the buildings of ``paths`` into the platform at ``url``; the report says what changed."""
    rows, report = read_buildings(paths, crs=crs, tile=tile)
    engine = open_platform(url, ("buildings", "districts"))
    try:
        _write(engine, rows, report)
    except DBAPIError as exc:
        raise UserError(f"cannot import buildings into {shown_url(url)}: {reason(exc)}") from None
    finally:
        engine.dispose()
    return report


# --- files and formats -----------------------------------------------------------------------

def _files(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(f for f in path.rglob("*") if f.is_file() and not f.name.startswith("."))
            if not inside:
                raise UserError(f"{path}: an empty folder (no files to import)")
            out += inside
        elif path.exists():
            out.append(path)
        else:
            raise UserError(f"{path}: no such file")
    if not out:
        raise UserError("no files given")
    return out


def _read(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not data.strip():
        raise UserError(f"{path}: an empty file")
    return data


def _recognise(path: Path, data: bytes) -> tuple[str, Any]:
    """(kind, parsed content) from the bytes.

    Kinds: "cityjson" (header, [(objects, vertices)]), "geojson" (the document), "mvt", ".osm.pbf", ".osm".
    """
    head = data[:64]
    if b"OSMHeader" in head:
        return ".osm.pbf", None
    if head.lstrip().startswith(b"<?xml") and b"<osm" in data[:1024]:
        return ".osm", None
    if head[:2] == b"\x1f\x8b" or head[:1] == b"\x1a":  # gzip, or protobuf field 3 (layers): a tile
        return "mvt", None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = ""
    if not text.lstrip().startswith(("{", "[")):
        raise UserError(f"{path}: not a building file (expected {FORMATS})")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise UserError(f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})") from None
        return "cityjson", _sequence(path, text)
    except (ValueError, RecursionError) as exc:
        raise UserError(f"{path}: not valid JSON ({str(exc).splitlines()[0][:80]})") from None
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind == "CityJSON":
        return "cityjson", (doc, [(doc.get("CityObjects"), doc.get("vertices"))])
    if kind in ("FeatureCollection", "Feature"):
        return "geojson", doc
    shown = f"a JSON document of type {kind!r}"[:80] if isinstance(kind, str) else f"a JSON {type(doc).__name__}"
    raise UserError(f"{path}: not a building file ({shown}; expected {FORMATS})")


def _sequence(path: Path, text: str) -> tuple[dict, list]:
    """A CityJSONSeq: the header line, then one (objects, vertices) per CityJSONFeature line."""
    docs = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                docs.append((number, json.loads(line)))
            except (ValueError, RecursionError) as exc:
                what = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
                raise UserError(f"{path}: line {number} is not valid JSON ({what}); "
                                "the file may be cut short") from None
    header = docs[0][1]
    if not (isinstance(header, dict) and header.get("type") == "CityJSON"):
        raise UserError(f"{path}: several JSON values, but the first is no CityJSON header (not a CityJSONSeq)")
    features = []
    for number, feat in docs[1:]:
        if isinstance(feat, dict) and feat.get("type") == "CityJSONFeature":
            features.append((feat.get("CityObjects"), feat.get("vertices")))
        else:
            raise UserError(f"{path}: line {number} is not a CityJSONFeature")
    return header, features


# --- writing ---------------------------------------------------------------------------------

def _districts(conn: Any) -> tuple[list[str], Any]:
    ids, shapes = [], []
    for r in conn.execute(select(P["districts"]).order_by(P["districts"].c.id)):
        try:
            geom = shape(json.loads(r.boundary))
        except (ValueError, TypeError, AttributeError, shapely.errors.GEOSException):
            continue  # a boundary the platform got from elsewhere and cannot be read: no building goes there
        ids.append(r.id)
        shapes.append(geom if geom.is_valid else shapely.make_valid(geom))
    return ids, shapely.STRtree(shapes)


def _write(engine: Engine, rows: list[dict], report: ImportReport) -> None:
    with engine.connect() as conn, conn.begin():
        ids, tree = _districts(conn)
        points = np.array([shape(json.loads(r["footprint"])).representative_point() for r in rows], dtype=object)
        inside = tree.query(points, predicate="within") if ids else [[], []]
        home: dict[int, int] = {}
        for b, d in zip(*(list(map(int, a)) for a in inside)):
            home[b] = min(home.get(b, d), d)  # on a shared border: the first district by id
        rows = [{**r, "district_id": ids[home[i]] if i in home else None} for i, r in enumerate(rows)]
        new, changed = upsert(conn, P["buildings"], rows, COLUMNS, report, "building")
        demo = "demo_state" in inspect(conn).get_table_names()
    if outside := sum(r["district_id"] is None for r in rows):
        report.notes.append(f"{outside} of the buildings lie in none of the platform's districts")
    if demo and (new or changed):
        report.notes.append("This is a demo platform: its feeder simulates with these buildings from its next start")

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

import gc
import gzip
import io
import json
import threading
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import shapely.ops
from shapely.geometry import shape
from sqlalchemy import Engine, inspect, select
from sqlalchemy.exc import DBAPIError

from console.databases import reason, shown_url
from console.errors import UserError
from console.importers import citygml, mvt
from console.importers.cityjson import CityJsonReader
from console.importers.crs import NoCrs
from console.importers.districts import open_platform, upsert
from console.importers.footprints import geojson_rows, osm_rows
from console.importers.report import ImportReport
from console.model.schema import P

COLUMNS = ("district_id", "name", "footprint", "model", "height", "levels", "use", "year")
Paths = str | Path | Iterable[str | Path]
FORMATS = "CityJSON, CityJSONSeq, CityGML, GeoJSON, Mapbox Vector Tile or OpenStreetMap PBF"
OWN_COORDINATES = ("mvt", ".osm.pbf", ".osm")  # formats whose coordinates say where they are: no --crs
#: Buildings landing farther than this from every district of a platform that has districts are refused.
FAR_KM = 30.0
HEAD = 65_536  # bytes read to recognise a format
#: CityJSONSeq lines are made rows together up to this many vertices: the per-call overhead shared, and
#: the memory of a few lines (a larger chunk costs more memory than it saves time)
CHUNK_VERTICES = 10_000
#: While files are read, Python's cycle collector runs after this many new containers (its default: 700).
COLLECT_AFTER = 20_000


class BrokenFile(UserError):
    """One file of several cannot be read at all: reported, and the others imported."""


def read_buildings(paths: Paths, *, crs: str | None = None, tile: str | None = None,
                   force_crs: bool = False) -> tuple[list[dict], ImportReport]:
    """Rows in the ``buildings`` form (district_id None) from files or folders, and what was done.

    Of several files, one that cannot be read is reported in ``report.broken`` and the rest read;
    so is each broken line of a CityJSONSeq and the break of a CityGML file cut short.
    """
    given = [Path(p) for p in ([paths] if isinstance(paths, (str, Path)) else paths)]
    files = _files(given)
    report = ImportReport(source=", ".join(p.name for p in given[:3]) + (" ..." if len(given) > 3 else ""))
    rows: list[dict] = []
    tiles: list[tuple[Path, dict]] = []
    unread = []
    with _fewer_collections():
        for number, path in enumerate(files, 1):
            try:
                rows += _read_file(path, crs, force_crs, report, tiles)
            except BrokenFile as exc:
                if len(files) == 1:
                    raise UserError(str(exc)) from None
                unread.append(f"file {number} of {len(files)}, {exc}")
                report.broken.append(unread[-1])
    if len(unread) == len(files):
        raise UserError(f"none of the {len(files)} files could be read; the first: {unread[0]}")
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


class _Collector:
    """Reads in progress (several threads may read) and the collector thresholds found before the first."""

    lock = threading.Lock()
    reads = 0
    found: tuple[int, int, int] = (700, 10, 10)


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Python's cycle collector runs less often while files are read, as before once they are.

    Reading a building makes hundreds of small containers (rings, surfaces, CityObjects), nearly all
    freed by reference counting; at the default threshold the collector runs about twice a building and
    walks the chunk's live features each time: 5–10% of a CityGML import's CPU time (bench_scene3d,
    citygml case). Reads in progress together share the raised threshold; the last one to end restores
    the thresholds found before the first."""
    with _Collector.lock:
        if not _Collector.reads:
            _Collector.found = gc.get_threshold()
            gc.set_threshold(max(COLLECT_AFTER, _Collector.found[0]), *_Collector.found[1:])
        _Collector.reads += 1
    try:
        yield
    finally:
        with _Collector.lock:
            _Collector.reads -= 1
            if not _Collector.reads:
                gc.set_threshold(*_Collector.found)


def import_buildings(paths: Paths, url: str, *, crs: str | None = None, tile: str | None = None,
                     force_crs: bool = False) -> ImportReport:
    """Upsert the buildings of ``paths`` into the platform at ``url``; the report says what changed.
    Refused (UserError) if they land far from every district the platform has, unless ``force_crs``."""
    try:
        rows, report = read_buildings(paths, crs=crs, tile=tile, force_crs=force_crs)
    except NoCrs as exc:
        raise _nearer(url, exc) from None
    engine = open_platform(url, ("buildings", "districts"))
    try:
        _write(engine, rows, report, force_crs)
    except DBAPIError as exc:
        raise UserError(f"cannot import buildings into {shown_url(url)}: {reason(exc)}") from None
    finally:
        engine.dispose()
    return report


# --- files and formats -----------------------------------------------------------------------

def _read_file(path: Path, crs: str | None, force_crs: bool, report: ImportReport,
               tiles: list[tuple[Path, dict]]) -> list[dict]:
    """The rows of one file (vector tiles: decoded into ``tiles``, read together later)."""
    head = _head(path)
    if citygml.is_citygml(head):
        return citygml.citygml_rows(path, report, crs, force_crs)
    data = _read(path)
    kind, doc = _recognise(path, data, report)
    if crs is not None and kind in OWN_COORDINATES:
        raise UserError(f"--crs does not apply to {path.name}: a {'vector tile' if kind == 'mvt' else 'OSM file'} "
                        "carries its own coordinates (leave --crs out)")
    if kind == "mvt":
        try:
            tiles.append((path, mvt.decode(path, data)))
        except UserError as exc:
            raise BrokenFile(str(exc)) from None
        return []
    if kind in (".osm.pbf", ".osm"):
        try:
            return osm_rows(path, kind, report)
        except UserError as exc:
            raise BrokenFile(str(exc)) from None
    if kind == "geojson":
        return geojson_rows(doc, path, report, crs)
    header, features = doc
    reader = CityJsonReader(header, str(path), crs, report, force_crs=force_crs)
    rows: list[dict] = []
    chunk: list[tuple[Any, Any]] = []
    size = 0
    for objects, vertices in features:  # lines read together (one reprojection), up to CHUNK_VERTICES
        chunk.append((objects, vertices))
        size += len(vertices) if isinstance(vertices, list) else 0
        if size >= CHUNK_VERTICES:
            rows += reader.rows_of(chunk)
            chunk, size = [], 0
    return rows + reader.rows_of(chunk)


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


def _head(path: Path) -> bytes:
    """The first bytes of the file, decompressed if it is gzip (a .gml.gz or a compressed tile)."""
    try:
        with path.open("rb") as f:
            head = f.read(HEAD)
        if head[:2] == b"\x1f\x8b":
            with gzip.open(path, "rb") as f:
                head = f.read(HEAD)
    except (OSError, EOFError, zlib.error):
        return b""  # _read and the decoders say what is wrong
    return head


def _read(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BrokenFile(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not data.strip():
        raise BrokenFile(f"{path}: an empty file")
    return data


def _recognise(path: Path, data: bytes, report: ImportReport) -> tuple[str, Any]:
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
    if not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"{", b"[")):
        raise BrokenFile(f"{path}: not a building file (expected {FORMATS})")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if _sequence_header(data):
            return "cityjson", _sequence(path, data, report)
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise BrokenFile(f"{path}: line {line}, column {column} is not UTF-8 text "
                         f"(byte 0x{data[exc.start]:02x}); the file is damaged") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" or _sequence_header(data):
            return "cityjson", _sequence(path, data, report)
        raise BrokenFile(f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})") from None
    except (ValueError, RecursionError) as exc:
        raise BrokenFile(f"{path}: not valid JSON ({str(exc).splitlines()[0][:80]})") from None
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind == "CityJSON":
        return "cityjson", (doc, [(doc.get("CityObjects"), doc.get("vertices"))])
    if kind in ("FeatureCollection", "Feature"):
        return "geojson", doc
    shown = f"a JSON document of type {kind!r}"[:80] if isinstance(kind, str) else f"a JSON {type(doc).__name__}"
    raise BrokenFile(f"{path}: not a building file ({shown}; expected {FORMATS})")


def _sequence_header(data: bytes) -> bool:
    """Whether the first line is a CityJSON header, and more lines follow (a CityJSONSeq)."""
    first, _, rest = data.partition(b"\n")
    try:
        doc = json.loads(first.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        return False
    return isinstance(doc, dict) and doc.get("type") == "CityJSON" and bool(rest.strip())


def _sequence(path: Path, data: bytes, report: ImportReport) -> tuple[dict, Iterator[tuple[Any, Any]]]:
    """A CityJSONSeq: the header line, then one (objects, vertices) per CityJSONFeature line, parsed one
    at a time as the reader asks (a file's features never all in memory at once); each line that is not
    one (cut short, damaged bytes, another kind of value) reported by number and skipped."""
    lines = enumerate(io.BytesIO(data), 1)
    header = None
    for number, raw in lines:
        if raw.strip():
            header = _line(path, number, raw, None, report)
            if not (isinstance(header, dict) and header.get("type") == "CityJSON"):
                raise BrokenFile(f"{path}: several JSON values, but the first is no CityJSON header "
                                 "(not a CityJSONSeq)")
            break
    if header is None:
        raise BrokenFile(f"{path}: no CityJSON header line")

    def features() -> Iterator[tuple[Any, Any]]:
        for number, raw in lines:
            if not raw.strip():
                continue
            doc = _line(path, number, raw, header, report)
            if isinstance(doc, dict) and doc.get("type") == "CityJSONFeature":
                yield doc.get("CityObjects"), doc.get("vertices")
            elif doc is not None:
                _broken(path, number, header, "not a CityJSONFeature", report)

    return header, features()


def _line(path: Path, number: int, raw: bytes, header: dict | None, report: ImportReport) -> Any:
    """One line's JSON value; None (reported) if it is not JSON text."""
    try:
        return json.loads(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
    except UnicodeDecodeError as exc:
        _broken(path, number, header, f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})",
                report)
    except (ValueError, RecursionError) as exc:
        what = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        _broken(path, number, header, f"not valid JSON ({what}; cut short?)", report)
    return None


def _broken(path: Path, number: int, header: dict | None, why: str, report: ImportReport) -> None:
    if header is None:
        raise BrokenFile(f"{path}: line {number} (the CityJSON header) is {why}")
    report.broken.append(f"{path.name} line {number}: {why}")


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


def _nearer(url: str, refusal: NoCrs) -> NoCrs:
    """The refusal with its candidate CRSs ranked by distance to the platform's districts, where it has some."""
    try:
        engine = open_platform(url, ("buildings", "districts"))
    except UserError:
        return refusal  # the file's problem is the one to tell; the platform's comes when it is fixed
    try:
        with engine.connect() as conn:
            ids, tree = _districts(conn)
    except DBAPIError:
        return refusal
    finally:
        engine.dispose()
    if not ids:
        return refusal
    middle = shapely.union_all(tree.geometries).centroid
    return refusal.near(middle.x, middle.y)


def _check_near(ids: list[str], tree: Any, points: np.ndarray, report: ImportReport, force_crs: bool) -> None:
    """Refuse buildings that all land far from every district (a wrong CRS, another city's file)."""
    from pyproj import Geod

    middle = shapely.Point(np.median(shapely.get_coordinates(points), axis=0))
    nearest = int(tree.query_nearest(middle)[0])
    near = shapely.ops.nearest_points(middle, tree.geometries[nearest])[1]
    km = Geod(ellps="WGS84").inv(middle.x, middle.y, near.x, near.y)[2] / 1000.0
    if km <= FAR_KM:
        return
    problem = (f"the buildings land at {middle.y:.4f}°N {middle.x:.4f}°E, {km:,.0f} km from the nearest of the "
               f"platform's {len(ids)} districts ({ids[nearest]})")
    if not force_crs:
        raise UserError(f"{problem}; likely cause: a wrong CRS (--crs), or a file of another city; add --force-crs "
                        "to import them there anyway")
    report.notes.append(f"{problem} (kept: --force-crs)")


def _write(engine: Engine, rows: list[dict], report: ImportReport, force_crs: bool = False) -> None:
    with engine.connect() as conn, conn.begin():
        ids, tree = _districts(conn)
        points = np.array([shape(json.loads(r["footprint"])).representative_point() for r in rows], dtype=object)
        inside = tree.query(points, predicate="within") if ids else [[], []]
        home: dict[int, int] = {}
        for b, d in zip(*(list(map(int, a)) for a in inside)):
            home[b] = min(home.get(b, d), d)  # on a shared border: the first district by id
        if ids and rows and not home:
            _check_near(ids, tree, points, report, force_crs)
        rows = [{**r, "district_id": ids[home[i]] if i in home else None} for i, r in enumerate(rows)]
        new, changed = upsert(conn, P["buildings"], rows, COLUMNS, report, "building")
        demo = "demo_state" in inspect(conn).get_table_names()
    report.skipped.pop("building: unchanged (the platform has it already)", None)  # a note says so: not skipped
    if outside := sum(r["district_id"] is None for r in rows):
        report.notes.append(f"{outside} of the buildings lie in none of the platform's districts")
    if demo and (new or changed):
        report.notes.append("This is a demo platform: its feeder simulates with these buildings from its next start")

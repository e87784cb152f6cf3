"""Reading GeoJSON for the importers: file problems are one-line errors, feature problems are counts.

A feed is not ours, so one bad feature (no geometry, NaN coordinates, a 10 MB property) must
cost that feature, counted by reason in the ``ImportReport``, never the import or a traceback.
Only what makes the whole file unusable (not JSON, not a FeatureCollection, an unknown CRS) is a
``UserError``. The stdlib ``json`` reads the file whole: feeds are megabytes, not gigabytes.

Coordinates are checked before shapely sees them (structure, finiteness, WGS84 range), so that
GEOS never meets NaN or a ragged ring. Polygons that are invalid (self-intersecting rings, bow
ties) are repaired with ``make_valid`` keeping their polygonal parts, and counted as repaired:
a district drawn with a twisted ring is still the district. A legacy ``crs`` member naming
anything but WGS84 is reprojected with pyproj (RFC 7946 has no ``crs``; older exports from GIS
tools write one, e.g. British National Grid); a CRS pyproj does not know is a ``UserError``.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from console.errors import UserError
from console.importers.crs import resolve_crs
from console.importers.report import ImportReport

#: Longest property value (characters of text, or of its JSON for lists and objects), as the
#: console's own limit on platform text (console/sync/validate.py): more is a broken feed.
MAX_PROPERTY = 64 * 1024
#: Nesting depth of coordinates per geometry type.
DEPTH = {"Point": 1, "MultiPoint": 2, "LineString": 2, "MultiLineString": 3, "Polygon": 3, "MultiPolygon": 4}
POLYGONAL = {"Polygon", "MultiPolygon"}
_WGS84 = re.compile(r"(?i)(crs84|epsg:*:?4326|wgs ?84)$")


class Skip(Exception):
    """A feature left out; the message is the counted reason."""


@dataclass(frozen=True)
class Feature:
    id: str | None  # the feature-level "id" (a number becomes its text)
    properties: dict[str, Any]
    geometry: BaseGeometry  # valid, WGS84 lon/lat


def load_json(path: str | Path) -> Any:
    """The parsed file; UserError naming the file (and line and column) if it is not JSON."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        return json.loads(data)  # bytes: UTF-8/16/32 and a BOM are detected
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not valid JSON (not UTF-8 text)") from None
    except ValueError as exc:  # e.g. an integer literal of more than 4,300 digits
        raise UserError(f"{path}: not valid JSON ({str(exc).splitlines()[0]})") from None
    except RecursionError:
        raise UserError(f"{path}: not valid JSON (nested too deeply)") from None


def feature_items(doc: Any, source: str) -> list[Any]:
    """The features of a FeatureCollection (or the one Feature); UserError for anything else."""
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind == "Feature":
        return [doc]
    if kind == "FeatureCollection" and isinstance(doc.get("features"), list):
        return doc["features"]
    what = f"type {kind!r}" if isinstance(kind, str) else f"a JSON {type(doc).__name__}"
    raise UserError(f"{source}: not a GeoJSON FeatureCollection or Feature ({what[:60]})")


def features(doc: Any, source: str, report: ImportReport, layer: str, types: frozenset[str] | set[str], *,
             crs: str | None = None, crs_hint: str = "convert the file to WGS84 first") -> Iterator[Feature]:
    """The usable features of ``doc`` whose geometry type is in ``types``; the rest counted by reason.
    ``crs`` (the user's ``--crs``) overrides the file's legacy ``crs`` member; ``crs_hint`` ends the
    message when the file's own CRS is unknown."""
    reproject = _transformer(doc, source, crs, crs_hint)
    for item in feature_items(doc, source):
        try:
            yield _feature(item, types, reproject, report, layer)
        except Skip as skip:
            report.skipped[f"{layer}: {skip}"] += 1


def _feature(item: Any, types: frozenset[str] | set[str], reproject: Any, report: ImportReport,
             layer: str) -> Feature:
    if not isinstance(item, dict) or item.get("type") != "Feature":
        raise Skip("not a GeoJSON Feature")
    geom = item.get("geometry")
    if geom is None:
        raise Skip("no geometry")
    kind = geom.get("type") if isinstance(geom, dict) else None
    if not isinstance(kind, str) or kind not in DEPTH and kind != "GeometryCollection":
        raise Skip("malformed geometry")
    if kind not in types:
        raise Skip(f"geometry type {kind} (expected {' or '.join(sorted(types))})")
    props = item.get("properties")
    if props is None:
        props = {}
    if not isinstance(props, dict):
        raise Skip("properties not an object")
    for name, value in props.items():
        if (size := _length(value)) > MAX_PROPERTY:
            shown = name if len(name) <= 40 else name[:39] + "…"
            raise Skip(f"property {shown!r} is {_size(size)} (limit {MAX_PROPERTY // 1024} KB)")
    fid = item.get("id")
    if isinstance(fid, float) and fid.is_integer():
        fid = int(fid)
    fid = str(fid) if isinstance(fid, (str, int)) and not isinstance(fid, bool) else None
    shapely_geom = _geometry(geom, kind, reproject)
    if kind in POLYGONAL:
        shapely_geom, fix = _valid_polygonal(shapely_geom)
        if fix:
            report.repaired[f"{layer}: {fix}"] += 1
    return Feature(fid, props, shapely_geom)


def _length(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, (dict, list)):
        try:
            return len(json.dumps(value))
        except (ValueError, RecursionError):
            return MAX_PROPERTY + 1
    return 0


def _size(chars: int) -> str:
    return f"{chars / 1024:.1f} KB" if chars < 1024 * 1024 else f"{chars / 1024 / 1024:.1f} MB"


def _positions(coords: Any, depth: int) -> Iterator[list]:
    """Every position of a coordinates array ``depth`` levels deep; Skip if its shape is wrong.

    A position is 2 or more numbers: a height, or a measure beyond it, is read past (RFC 7946 §3.1.1).
    """
    if not isinstance(coords, list):
        raise Skip("malformed coordinates")
    if depth == 1:
        if len(coords) < 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in coords):
            raise Skip("malformed coordinates")
        yield coords
        return
    for part in coords:
        yield from _positions(part, depth - 1)


def _geometry(geom: dict, kind: str, reproject: Any) -> BaseGeometry:
    """A shapely geometry from checked GeoJSON coordinates (2D, WGS84)."""
    if kind == "GeometryCollection":
        raise Skip("geometry type GeometryCollection")  # no importer takes one
    positions = list(_positions(geom.get("coordinates"), DEPTH[kind]))
    xy = []
    for pos in positions:
        try:
            x, y = float(pos[0]), float(pos[1])
        except OverflowError:  # an integer beyond float
            raise Skip("coordinates not finite") from None
        if not (math.isfinite(x) and math.isfinite(y)):
            raise Skip("coordinates not finite")
        xy.append((x, y))
    if reproject is not None:
        xy = [reproject(x, y) for x, y in xy]
        if not all(math.isfinite(v) for p in xy for v in p):
            raise Skip("coordinates outside the file's CRS")
    if not all(-180 <= x <= 180 and -90 <= y <= 90 for x, y in xy):
        raise Skip("coordinates out of range (not WGS84 lon/lat)")
    if not xy:
        raise Skip("empty geometry")
    it = iter(xy)
    flat = _rebuild(geom["coordinates"], DEPTH[kind], it)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # GEOS warnings on odd input: the checks below decide
            made = shape({"type": kind, "coordinates": flat})
    except (ValueError, TypeError, shapely.errors.GEOSException):
        raise Skip("malformed geometry") from None  # e.g. a ring of fewer than 4 positions
    if made.is_empty:
        raise Skip("empty geometry")
    return made


def _rebuild(coords: list, depth: int, xy: Iterator[tuple[float, float]]) -> Any:
    """``coords`` with each position replaced by the next checked 2D position."""
    return list(next(xy)) if depth == 1 else [_rebuild(c, depth - 1, xy) for c in coords]


def _valid_polygonal(geom: BaseGeometry) -> tuple[BaseGeometry, str | None]:
    """The geometry, or its repair and the reason it needed one; Skip if nothing polygonal is left."""
    if geom.is_valid:
        return geom, None
    reason = shapely.is_valid_reason(geom)
    fixed = shapely.make_valid(geom, method="structure", keep_collapsed=False)
    parts = [p for p in shapely.get_parts(fixed) if p.geom_type in POLYGONAL and not p.is_empty]
    if not parts:
        raise Skip("polygon with no area")
    fixed = shapely.union_all(parts)
    label = "self-intersecting polygon" if "Self-intersection" in reason else re.sub(r"\[.*", "", reason).lower()
    return fixed, f"{label} (repaired)"


def _transformer(doc: Any, source: str, given: str | None, hint: str) -> Any:
    """A (x, y) -> (lon, lat) function for ``given`` or the legacy ``crs`` member when either names
    other than WGS84, else None."""
    if given is None:
        crs = doc.get("crs") if isinstance(doc, dict) else None
        if crs is None:
            return None
        name = crs.get("properties", {}).get("name") if isinstance(crs, dict) and isinstance(
            crs.get("properties"), dict) else None
        if not isinstance(name, str):
            raise UserError(f"{source}: unreadable 'crs' member (expected a named CRS, e.g. EPSG:4326)")
    else:
        name = given
    if _WGS84.search(name.replace("::", ":")):
        return None
    return resolve_crs(name, source, given=given is not None, hint=hint)[0]


def slug(text: str, default: str = "item") -> str:
    """An ASCII id fragment, as the OSM importer makes district ids: "Kingston upon Thames" -> "kingston-upon-thames"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-") or default


def clean_text(text: str) -> str:
    """Text every database stores: no NUL (PostgreSQL refuses it), no lone surrogates (not UTF-8)."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")

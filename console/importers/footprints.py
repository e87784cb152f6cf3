"""Building rows from 2D footprints: GeoJSON features, OpenStreetMap buildings, and the shared row helpers.

A footprint with a height is a prism the scene extrudes itself, so its row has no ``model``. Only
a footprint whose base is above the ground (``min_height`` > 0: a bridge deck over a street, the
upper part of a tower) is written as an LoD1 Solid model, since the scene could not know to lift
it. A height may come as a number of metres, as OSM text ("12.13 m", "40 ft", 12'6") or not at
all: then ``levels`` × 3 m stands in, counted, and a building with neither keeps no height
(counted too; the scene chooses how to draw it). Everything is WGS84 lon/lat; footprints are
stored as GeoJSON text with exterior rings counter-clockwise (RFC 7946), rounded to 7 decimals
(~1 cm). CRS names (``--crs`` and the files' own) are resolved here for every reader.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import shapely
from shapely.geometry.base import BaseGeometry

from console.importers.crs import CRS_HINT
from console.importers.geojson import POLYGONAL, features
from console.importers.osm import MAX_HEIGHT_M, import_osm, parse_height, parse_levels, parse_year
from console.importers.report import ImportReport
from console.text import clean

STOREY_M = 3.0  # metres per storey where only levels are known
CRS84 = "https://www.opengis.net/def/crs/OGC/0/CRS84"
LON_LAT_SCALE = 1e-7  # degrees per model vertex unit (~1 cm)
Z_SCALE = 0.001  # metres per model vertex unit
MAX_FOOTPRINT_VERTICES = 5_000  # a footprint with more is simplified (no building's outline needs them)
#: compact, and made once: a model is a tree the importers build (no cycle to look for); only for
#: what orjson refuses (an integer beyond 64 bits, a key that is not text)
_MODEL_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False)


# --- rows ------------------------------------------------------------------------------------

def footprint_texts(geoms: Sequence[BaseGeometry]) -> list[str]:
    """Compact GeoJSON text of valid lon/lat footprints: RFC 7946 winding, 7 decimals (one pass for all)."""
    oriented = shapely.orient_polygons(np.asarray(geoms, dtype=object))
    rounded = shapely.transform(oriented, lambda xy: np.round(xy, 7))
    pinched = ~shapely.is_valid(rounded)
    rounded[pinched] = oriented[pinched]  # rounding pinched a ring: keep the precise shape
    return shapely.to_geojson(rounded).tolist()


def row(bid: str, footprint: str, report: ImportReport, *, name: Any = None, height: float | None = None,
        levels: int | None = None, use: Any = None, year: int | None = None, model: str | None = None) -> dict:
    """A ``buildings`` row (``footprint``: its text; district left for the writer), the height settled and counted."""
    if height is None:
        if levels:
            height = levels * STOREY_M
            report.repaired["building height: from levels × 3 m"] += 1
        else:
            report.repaired["building height: none given (building kept without one)"] += 1
    return {"id": bid, "district_id": None, "name": _text(name), "footprint": footprint,
            "model": model, "height": None if height is None else round(float(height), 3),
            "levels": levels, "use": _text(use), "year": year}


def _text(value: Any) -> str | None:
    """A row's name or use as the wall can show it (console/text.py: no controls or bidi overrides, at
    most MAX_LABEL characters): the file's own text can be anything, 10 MB or a reversed line."""
    text = clean(value) if isinstance(value, str) else ""
    return text if text.strip() else None


def metres(value: Any) -> float | None:
    """A height in metres from a number or OSM-style text; None unless 0 < h <= MAX_HEIGHT_M."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) and 0 < value <= MAX_HEIGHT_M else None
    return parse_height(value) if isinstance(value, str) else None


def storeys(value: Any) -> int | None:
    """Storeys from a number or OSM-style text ("3", "3.5" -> 4); None if unusable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and math.isfinite(value):
        value = repr(value)
    return parse_levels(value) if isinstance(value, str) else None


# --- coordinate systems ----------------------------------------------------------------------

# --- the LoD1 extrusion model ------------------------------------------------------------------

def extrusion_model(bid: str, footprint: BaseGeometry, base: float, top: float, attributes: dict,
                    parts: Sequence[tuple[str, BaseGeometry, float, float, dict]] = ()) -> str:
    """A CityJSON 2.0 LoD1 Solid (MultiSolid for several polygons) from ``base`` to ``top`` metres;
    with ``parts`` (id, footprint, base, top, attributes), each a BuildingPart block of its own
    (a tower on its podium), children of the building.

    Surfaces face outwards (CityJSON's rule): the roof counter-clockwise from above, the floor
    clockwise, each wall along a counter-clockwise exterior edge.
    """
    everything = shapely.union_all([footprint, *(p[1] for p in parts)])
    lon0, lat0 = (round(v, 7) for v in everything.bounds[:2])
    vertices: list[list[int]] = []
    objects: dict = {bid: {"type": "Building", "attributes": attributes,
                           "geometry": [_block(footprint, base, top, lon0, lat0, vertices)]}}
    for pid, shape_, low, high, attrs in parts:
        objects[pid] = {"type": "BuildingPart", "attributes": attrs, "parents": [bid],
                        "geometry": [_block(shape_, low, high, lon0, lat0, vertices)]}
    if parts:
        objects[bid]["children"] = [p[0] for p in parts]
    return model_text(bid, objects, vertices, lon0, lat0)


def _block(footprint: BaseGeometry, base: float, top: float, lon0: float, lat0: float,
           vertices: list[list[int]]) -> dict:
    """One LoD1 block's geometry, its corners appended to ``vertices``."""
    polygons = shapely.get_parts(shapely.orient_polygons(footprint))
    solids = []
    for poly in polygons:
        rings = [np.asarray(r.coords)[:-1] for r in (poly.exterior, *poly.interiors)]
        lows, highs = [], []
        for ring in rings:
            ij = np.rint((ring - (lon0, lat0)) / LON_LAT_SCALE).astype(np.int64)
            start = len(vertices)
            for z in (base, top):
                vertices += [[int(i), int(j), round(z / Z_SCALE)] for i, j in ij]
            lows.append(list(range(start, start + len(ring))))
            highs.append([i + len(ring) for i in lows[-1]])
        walls = [[[lo[k], lo[(k + 1) % len(lo)], hi[(k + 1) % len(lo)], hi[k]]]
                 for lo, hi in zip(lows, highs) for k in range(len(lo))]
        floor = [lo[::-1] for lo in lows]
        solids.append([[floor, highs, *walls]])
    bottom = "GroundSurface" if base <= 0 else "OuterFloorSurface"
    surfaces = [{"type": bottom}, {"type": "RoofSurface"}, {"type": "WallSurface"}]
    values = [[[0, 1] + [2] * (len(shell) - 2) for shell in solid] for solid in solids]
    if len(solids) == 1:
        return {"type": "Solid", "lod": "1", "boundaries": solids[0],
                "semantics": {"surfaces": surfaces, "values": values[0]}}
    return {"type": "MultiSolid", "lod": "1", "boundaries": solids, "semantics": {"surfaces": surfaces,
                                                                                 "values": values}}


def model_text(bid: str, objects: dict, vertices: list, lon0: float, lat0: float) -> str:
    """The self-contained CityJSON 2.0 document of one building (docs/scene contract)."""
    doc = {"type": "CityJSON", "version": "2.0",
           "transform": {"scale": [LON_LAT_SCALE, LON_LAT_SCALE, Z_SCALE], "translate": [lon0, lat0, 0.0]},
           "metadata": {"referenceSystem": CRS84}, "CityObjects": objects, "vertices": vertices}
    try:  # orjson: a tenth of the standard encoder's time, and NaN written as null (JSON has no NaN)
        return orjson.dumps(doc).decode()
    except TypeError:  # orjson.JSONEncodeError is one
        return _MODEL_JSON.encode(doc)


# --- GeoJSON -----------------------------------------------------------------------------------

def capped(geom: BaseGeometry, report: ImportReport) -> BaseGeometry:
    """A footprint of at most MAX_FOOTPRINT_VERTICES: a larger one (a traced survey outline, a
    broken export) simplified, topology kept, with the tolerance doubled from 1 cm until it fits."""
    count = shapely.get_num_coordinates(geom)
    if count <= MAX_FOOTPRINT_VERTICES:
        return geom
    tolerance = LON_LAT_SCALE
    simpler = geom
    while shapely.get_num_coordinates(simpler) > MAX_FOOTPRINT_VERTICES and tolerance < 1.0:
        simpler = shapely.simplify(geom, tolerance, preserve_topology=True)
        tolerance *= 2
    if not simpler.is_valid or simpler.is_empty:
        simpler = geom.convex_hull
    report.repaired[f"building footprint: over {MAX_FOOTPRINT_VERTICES:,} vertices (simplified)"] += 1
    return simpler


def geojson_rows(doc: Any, path: Path, report: ImportReport, crs: str | None = None) -> list[dict]:
    """Rows of a GeoJSON FeatureCollection's polygons (in a city file of the OSM importer: its building layer).

    Ids: the feature's ``id``, else its ``id`` property, else FILE-STEM:N in file order.
    """
    items = doc.get("features") if isinstance(doc, dict) else None
    if isinstance(items, list):
        layered, kept = any(_layer(f) is not None for f in items), []
        for item in items:
            if layered and (layer := _layer(item)) not in (None, "building"):  # a city file's other layers
                report.skipped[f"not a building (layer {str(layer)[:40]})"] += 1
            else:
                kept.append(item)
        doc = {**doc, "features": kept}
    rows = []
    feats = list(features(doc, str(path), report, "building", POLYGONAL, crs=crs, crs_hint=CRS_HINT))
    shapes = [capped(f.geometry, report) for f in feats]
    for n, (feat, shape_, text) in enumerate(zip(feats, shapes, footprint_texts(shapes)), 1):
        props = feat.properties
        pid = props.get("id")
        bid = feat.id or (str(pid) if isinstance(pid, (str, int)) and not isinstance(pid, bool) and str(pid).strip()
                          else f"{path.stem}:{n}")
        levels = storeys(props.get("building:levels", props.get("levels")))
        height, base = metres(props.get("height")), metres(props.get("min_height")) or 0.0
        if "height" in props and props["height"] is not None and height is None:
            report.repaired["building height: unusable value (building kept)"] += 1
        year = props.get("year") if isinstance(props.get("year"), int) and 1000 <= props["year"] <= 2100 else None
        year = year or parse_year({k: str(v) for k, v in props.items() if isinstance(v, (str, int))})
        use = props.get("use", props.get("building"))
        model = None
        if base > 0:
            if height is not None and height > base:
                model = extrusion_model(bid, shape_, base, height, {"height": height, "min_height": base})
            else:
                report.repaired["building min_height: not below its height (left flat on the ground)"] += 1
        rows.append(row(bid, text, report, name=props.get("name"), height=height, levels=levels,
                        use=use, year=year, model=model))
    return rows


def _layer(item: Any) -> Any:
    props = item.get("properties") if isinstance(item, dict) else None
    return props.get("layer") if isinstance(props, dict) else None


# --- OpenStreetMap -----------------------------------------------------------------------------

def osm_rows(path: Path, suffix: str, report: ImportReport) -> list[dict]:
    """The OSM importer's buildings (its own geometry assembly, repairs and counts) as rows.

    osmium tells PBF from XML by the file's name, so a file named otherwise is read through a link
    with the ``suffix`` its content calls for.
    """
    if path.name.endswith(suffix):
        result = import_osm(path)
    else:
        with tempfile.TemporaryDirectory() as folder:
            link = Path(folder) / f"data{suffix}"
            link.symlink_to(path.resolve())
            result = import_osm(link)
    for counter, into in ((result.report.skipped, report.skipped), (result.report.repaired, report.repaired)):
        into.update({k: v for k, v in counter.items() if k.startswith("building")})
    texts = footprint_texts([b.footprint for b in result.buildings])
    return [row(b.id, text, report, name=b.name, height=b.height, levels=b.levels, use=b.use, year=b.year)
            for b, text in zip(result.buildings, texts)]

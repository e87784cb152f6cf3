"""District boundaries from GeoJSON or TopoJSON into a platform's ``districts`` table (upsert by id).

TopoJSON is decoded here (arcs, delta encoding, ``transform``): the format is small and fixed,
and the PyPI ``topojson`` package encodes GeoJSON into TopoJSON rather than decoding it. A
feature's id is the ``id_property`` if given, else its feature-level ``id``, else an ``id`` /
``code`` property, else its name; ids are slugged as the OSM importer's are ("Camden" ->
"camden"), so layouts and URLs can name them (an id with no Latin letters or digits is kept). The name is ``name_property``, else
name/NAME/Name, else the first text property, else the feature's id. Boundaries are stored as
GeoJSON text in WGS84, rounded to 6 decimals (~0.1 m), exterior rings counter-clockwise
(RFC 7946: d3-made TopoJSON winds them the other way). Districts not in the file are kept; an
unchanged district is not rewritten, so a re-import notifies no console.

On a demo platform (``cityops platform create``) the feeder simulates on the platform's
districts: new districts change the city it simulates, which the report notes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.polygon import orient
from sqlalchemy import Connection, Engine, Table, bindparam, inspect, select
from sqlalchemy.exc import DBAPIError

from console.databases import reason, shown_url
from console.errors import UserError
from console.importers.geojson import POLYGONAL, Feature, clean_text, features, load_json, slug
from console.importers.report import ImportReport
from console.model.schema import P
from console.platform.db import open_engine

NAME_KEYS = ("name", "NAME", "Name")
ID_KEYS = ("id", "ID", "code", "CODE")
MAX_ID = 200
MAX_DISTRICTS = 500  # a city has tens to a few hundred; thousands of polygons are buildings


def import_districts(path: str | Path, url: str, *, id_property: str | None = None,
                     name_property: str | None = None) -> ImportReport:
    """Upsert the Polygon/MultiPolygon features of ``path`` as districts of the platform at ``url``."""
    rows, report = read_districts(path, id_property=id_property, name_property=name_property)
    engine = open_platform(url, ("districts",))
    try:
        _write(engine, rows, report)
    except DBAPIError as exc:
        raise UserError(f"cannot import districts into {shown_url(url)}: {reason(exc)}") from None
    finally:
        engine.dispose()
    return report


def read_districts(path: str | Path, *, id_property: str | None = None,
                   name_property: str | None = None) -> tuple[list[dict], ImportReport]:
    """The districts rows of a GeoJSON or TopoJSON file, and what was left out.

    A file where features carry a ``layer`` property (``cityops import osm`` writes one) gives
    only its ``layer = "district"`` features. More than ``MAX_DISTRICTS`` polygons is refused:
    such a file holds buildings or land use, not districts.
    """
    path = Path(path)
    report = ImportReport(source=path.name)
    doc = load_json(path)
    if isinstance(doc, dict) and doc.get("type") == "Topology":
        doc = topology_to_geojson(doc, str(path))
    doc = _district_layer(doc, path, report)
    rows: dict[str, dict] = {}
    for feat in features(doc, str(path), report, "district", POLYGONAL):
        try:
            row = _row(feat, id_property, name_property)
        except ValueError as exc:
            report.skipped[f"district: {exc}"] += 1
            continue
        if row["id"] in rows:
            report.skipped["district: duplicate id (an earlier feature has it)"] += 1
            continue
        rows[row["id"]] = row
    if len(rows) > MAX_DISTRICTS:
        raise UserError(f"{path}: {len(rows):,} polygons are too many to be districts (at most {MAX_DISTRICTS}); "
                        "give a file of district boundaries, or buildings to: cityops import buildings")
    return list(rows.values()), report


def _district_layer(doc: Any, path: Path, report: ImportReport) -> Any:
    """Only the ``layer = "district"`` features where the features say which layer they are."""
    items = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        return doc
    layers = [f.get("properties", {}).get("layer") if isinstance(f, dict) and isinstance(f.get("properties"), dict)
              else None for f in items]
    if not any(isinstance(layer, str) for layer in layers):
        return doc
    if "district" not in layers:
        raise UserError(f"{path}: no feature has layer \"district\" (its layers: "
                        f"{', '.join(sorted({l for l in layers if isinstance(l, str)})[:8])})")
    kept = [f for f, layer in zip(items, layers) if layer == "district"]
    if other := len(items) - len(kept):
        report.notes.append(f"{other:,} features of other layers (buildings, streets, ...) are not districts")
    return {**doc, "features": kept}


def _row(feat: Feature, id_property: str | None, name_property: str | None) -> dict:
    props = feat.properties
    texts = [v for v in props.values() if isinstance(v, str) and v.strip()]
    if name_property is not None:
        name = props.get(name_property)
    else:
        name = next((props[k] for k in NAME_KEYS if isinstance(props.get(k), str) and props[k].strip()), None)
        name = name or (texts[0] if texts else feat.id)
    name = clean_text(str(name)).strip() if isinstance(name, (str, int)) and not isinstance(name, bool) else ""
    if not name:
        raise ValueError(f"no name{f' (property {name_property!r})' if name_property else ''}")
    if id_property is not None:
        raw = props.get(id_property)
    else:
        raw = feat.id if feat.id is not None else next((props[k] for k in ID_KEYS if props.get(k) is not None), name)
    if not isinstance(raw, (str, int)) or isinstance(raw, bool) or not str(raw).strip():
        raise ValueError(f"no id{f' (property {id_property!r})' if id_property else ''}")
    if len(did := slug(str(raw), clean_text(str(raw)).strip())) > MAX_ID:  # a name in another script: kept
        raise ValueError(f"id longer than {MAX_ID} characters")
    rounded = shapely.transform(orient_all(feat.geometry), lambda xy: np.round(xy, 6))
    if not rounded.is_valid:  # rounding pinched a ring: keep the precise shape
        rounded = orient_all(feat.geometry)
    boundary = json.dumps(mapping(rounded), separators=(",", ":"))
    return {"id": did, "name": name, "boundary": boundary}


def orient_all(geom: Any) -> Any:
    """Exterior rings counter-clockwise, holes clockwise (RFC 7946)."""
    if geom.geom_type == "Polygon":
        return orient(geom, 1.0)
    return shapely.MultiPolygon([orient(p, 1.0) for p in geom.geoms])


def open_platform(url: str, tables: tuple[str, ...]) -> Engine:
    """An engine for an existing platform holding ``tables``; UserError otherwise (nothing is created)."""
    engine = open_engine(url, create=False)
    try:
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
    except DBAPIError as exc:
        engine.dispose()
        raise UserError(f"cannot read platform {shown_url(url)}: {reason(exc)}") from None
    if missing := [t for t in tables if t not in present]:
        engine.dispose()
        raise UserError(f"{shown_url(url)} is not a CityOps platform (no table {missing[0]}); "
                        "create one first with: cityops platform create")
    return engine


def _write(engine: Engine, rows: list[dict], report: ImportReport) -> None:
    with engine.connect() as conn, conn.begin():
        new, changed = upsert(conn, P["districts"], rows, ("name", "boundary"), report, "district")
        demo = "demo_state" in inspect(conn).get_table_names()
    if demo and (new or changed):
        report.notes.append("This is a demo platform: its feeder simulates on these districts from its next start")


def upsert(conn: Connection, table: Table, rows: list[dict], columns: tuple[str, ...], report: ImportReport,
           noun: str) -> tuple[int, int]:
    """Write ``rows`` by id, counted in ``report`` under ``noun``: new ids inserted, rows that differ
    in ``columns`` updated, equal ones left alone, so re-importing a file writes nothing and wakes
    no syncing console. Rows the platform has and the input lacks are kept. Returns (new, changed)."""
    old = {r.id: tuple(r[1:]) for r in conn.execute(select(table.c.id, *(table.c[c] for c in columns)))}
    new = [r for r in rows if r["id"] not in old]
    changed = [r for r in rows if r["id"] in old and old[r["id"]] != tuple(r[c] for c in columns)]
    if unchanged := len(rows) - len(new) - len(changed):
        report.skipped[f"{noun}: unchanged (the platform has it already)"] += unchanged
    if new:
        conn.execute(table.insert(), new)
    if changed:
        conn.execute(table.update().where(table.c.id == bindparam("_id")).values({c: bindparam(c) for c in columns}),
                     [{"_id": r["id"], **{c: r[c] for c in columns}} for r in changed])
    report.counts[noun] = len(new) + len(changed)
    report.notes.append(f"{noun.capitalize()}s: {len(new)} new, {len(changed)} replaced, {unchanged} unchanged; "
                        f"{len(old) - len(changed) - unchanged} not in the input kept")
    return len(new), len(changed)


# --- TopoJSON ----------------------------------------------------------------------------------

def topology_to_geojson(topo: dict, source: str) -> dict:
    """A FeatureCollection of every object's geometries, arcs decoded (quantized or not).

    Malformed geometries pass through with ``coordinates`` None, for the GeoJSON reader to count.
    """
    arcs, transform = topo.get("arcs"), topo.get("transform")
    objects = topo.get("objects")
    if not isinstance(arcs, list) or not isinstance(objects, dict):
        raise UserError(f"{source}: not a TopoJSON topology (no arcs or objects)")
    scale, shift = (1.0, 1.0), (0.0, 0.0)
    if transform is not None:
        try:
            scale = (float(transform["scale"][0]), float(transform["scale"][1]))
            shift = (float(transform["translate"][0]), float(transform["translate"][1]))
        except (TypeError, KeyError, IndexError, ValueError):
            raise UserError(f"{source}: malformed TopoJSON transform") from None
    decoded: list[list[list[float]] | None] = [_arc(a, scale, shift, transform is not None) for a in arcs]
    feats: list[Any] = []
    for obj in objects.values():
        geoms = obj.get("geometries") if isinstance(obj, dict) and obj.get("type") == "GeometryCollection" else [obj]
        for g in geoms if isinstance(geoms, list) else []:
            feats.append(_topo_feature(g, decoded))
    return {"type": "FeatureCollection", "features": feats}


def _arc(arc: Any, scale: tuple[float, float], shift: tuple[float, float], delta: bool) -> list | None:
    """One arc's absolute positions (a quantized arc holds deltas from the previous position)."""
    try:
        pts = np.asarray(arc, dtype=float)
    except (ValueError, TypeError, OverflowError):
        return None
    if pts.ndim != 2 or pts.shape[1] < 2:
        return None
    with np.errstate(all="ignore"):  # overflow to inf is counted later, as coordinates not finite
        pts = np.cumsum(pts[:, :2], axis=0) if delta else pts[:, :2]
        return (pts * scale + shift).tolist()


def _ring(indexes: Any, arcs: list) -> list:
    ring: list = []
    for i in indexes:
        if not isinstance(i, int) or isinstance(i, bool) or not -len(arcs) <= i < len(arcs) or arcs[i] is None:
            raise ValueError(i)
        pts = arcs[i] if i >= 0 else arcs[~i][::-1]  # ~i: a negative index is the reversed arc ~i
        ring.extend(pts[1:] if ring else pts)  # consecutive arcs share their joining position
    return ring


def _topo_feature(g: Any, arcs: list) -> Any:
    if not isinstance(g, dict):
        return g  # counted as "not a GeoJSON Feature"
    kind = g.get("type")
    try:
        if kind == "Polygon":
            coords: Any = [_ring(r, arcs) for r in g["arcs"]]
        elif kind == "MultiPolygon":
            coords = [[_ring(r, arcs) for r in p] for p in g["arcs"]]
        else:
            coords = g.get("coordinates")  # points are not made of arcs; others are skipped by type
    except (KeyError, TypeError, ValueError):
        coords = None
    geometry = {"type": kind, "coordinates": coords} if kind else None
    return {"type": "Feature", "id": g.get("id"), "properties": g.get("properties") or {}, "geometry": geometry}

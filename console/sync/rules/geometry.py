"""Geometry columns: GeoJSON shapes and CityJSON models that a map or a 3D scene can draw.

The rules are the ones the views need: JSON of bounded size and depth, the geometry types the
column holds, every coordinate a finite longitude and latitude on Earth, a bounded number of
vertices, and shapes that are valid, or repaired (rings closed, ``shapely.make_valid``) and
stored repaired. A 1e308 corner, a NaN, a 10⁶-vertex outline or a bow-tie never reaches Qt,
PROJ or VTK.
"""

from __future__ import annotations

import json

import numpy as np
import shapely

from console.sync.rules.common import Bad

#: Largest geometry text (a detailed city district outline is ~0.1 MB).
MAX_GEOJSON = 4 * 1024 * 1024
#: Largest building model text (an LoD2 building with its semantics is rarely 0.5 MB).
MAX_MODEL = 8 * 1024 * 1024
#: Most vertices in one geometry or model: more would stall every redraw of the map.
MAX_VERTICES = 100_000
#: Height range of a model's vertices above its ground, metres (the tallest tower is 828 m).
MODEL_Z = (-1000.0, 2000.0)

#: Deepest nesting of brackets in a geometry text (a MultiPolygon needs 5): GEOS's reader
#: recurses, and a deeply nested text crashes it (a native crash, not an exception).
MAX_DEPTH = 8

_STEP = np.zeros(256, np.int8)  # per byte: +1 opens a level, -1 closes one
_STEP[[ord("["), ord("{")]], _STEP[[ord("]"), ord("}")]] = 1, -1

AREAS = ("Polygon", "MultiPolygon")
SHAPES = ("Point", "MultiPoint", "LineString", "MultiLineString", *AREAS)
#: How deep the positions lie in ``coordinates``, per type (0: it is one position).
_DEPTH = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}


def depths(texts: list[str]) -> np.ndarray:
    """How deep ``[`` and ``{`` nest in each text (brackets inside strings count too: safe side)."""
    raw = [t.encode("utf-8", "replace") for t in texts]
    if not raw:
        return np.zeros(0, np.int64)
    level = np.cumsum(_STEP[np.frombuffer(b"".join(raw) + b" ", np.uint8)], dtype=np.int64)
    starts = np.zeros(len(raw) + 1, np.int64)
    np.cumsum([len(r) + 0 for r in raw], out=starts[1:])
    before = np.r_[0, level[starts[1:-1] - 1]] if len(raw) > 1 else np.zeros(1, np.int64)
    # each text's highest level, counted from where the text before it left off
    return np.maximum.reduceat(level, starts[:-1]) - before


def storable(text: str) -> bool:
    """Whether ``text`` is valid Unicode (no lone surrogate), as GEOS and every database need."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json(name: str, text: str, limit: int) -> object:
    """Parsed JSON, refusing NaN and Infinity (not JSON), deep nesting and size."""
    if len(text) > limit:
        raise Bad(f"{name} too long", f"{name} is {len(text) / 1024 / 1024:.1f} MB "
                                      f"(limit {limit // 1024 // 1024} MB)")
    if not storable(text):
        raise Bad(f"{name} is not text", f"{name} holds a character that cannot be stored")
    if limit == MAX_GEOJSON and depths([text])[0] > MAX_DEPTH:
        raise Bad(f"{name} nested too deep", f"{name} nests deeper than any geometry ({MAX_DEPTH} levels)")
    try:
        return json.loads(text, parse_constant=_not_json)
    except (ValueError, RecursionError) as exc:
        raise Bad(f"{name} is not JSON", f"{name} is not JSON ({str(exc)[:60]})") from None


def _not_json(name: str) -> object:
    raise ValueError(f"{name} is not a number JSON has")


def _positions(name: str, coords: object, depth: int, out: list[np.ndarray]) -> None:
    """Collect the (n, 2+) position arrays at ``depth`` below ``coords``; Bad when malformed."""
    if depth == 0:
        coords = [coords]
    elif depth > 1:
        if not isinstance(coords, list):
            raise Bad(f"{name} is malformed", f"{name} coordinates are nested wrongly")
        for part in coords:
            _positions(name, part, depth - 1, out)
        return
    if not isinstance(coords, list) or not all(isinstance(p, list) and 2 <= len(p) <= 3
                                               and all(type(v) in (int, float) for v in p) for p in coords):
        raise Bad(f"{name} is malformed", f"{name} has a position that is not [lon, lat]")
    try:
        out.append(np.array([p[:2] for p in coords], dtype=np.float64).reshape(-1, 2))
    except OverflowError:  # an integer beyond any float
        raise Bad(f"{name} coordinate not finite", f"{name} has a coordinate beyond any number") from None


def on_earth(name: str, xy: np.ndarray) -> None:
    """Bad unless every row of ``xy`` is a finite (lon, lat) on Earth."""
    if not np.isfinite(xy).all():
        raise Bad(f"{name} coordinate not finite", f"{name} has a coordinate that is NaN or infinite")
    lon, lat = xy[:, 0], xy[:, 1]
    if len(xy) and (np.abs(lon).max() > 180 or np.abs(lat).max() > 90):
        worst = xy[np.argmax(np.maximum(np.abs(lon) / 180, np.abs(lat) / 90))]
        raise Bad(f"{name} off Earth", f"{name} has a coordinate ({worst[0]:.6g}, {worst[1]:.6g}) "
                                       "that is not a longitude and latitude")


def geojson(name: str, text: str, kinds: tuple[str, ...]) -> str:
    """``text`` if it is a drawable GeoJSON geometry of ``kinds``, its repair if it can be mended, else Bad."""
    doc = _json(name, text, MAX_GEOJSON)
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind not in kinds:
        raise Bad(f"{name} of the wrong type", f"{name} is {_kind(kind)}, not {' or '.join(kinds)}")
    parts: list[np.ndarray] = []
    _positions(name, doc.get("coordinates"), _DEPTH[kind], parts)
    count = sum(len(p) for p in parts)
    if count > MAX_VERTICES:
        raise Bad(f"{name} too detailed", f"{name} has {count:,} vertices (limit {MAX_VERTICES:,})")
    on_earth(name, np.concatenate(parts) if parts else np.zeros((0, 2)))
    if not count:
        raise Bad(f"{name} is empty")
    geom = shapely.from_geojson(text, on_invalid="ignore")
    if geom is not None and not geom.is_empty and geom.is_valid:
        return text
    return shapely.to_geojson(_repaired(name, kind, doc["coordinates"], geom))


def geojson_many(name: str, texts: list[object], kinds: tuple[str, ...]) -> list[str | Bad | None]:
    """``geojson`` of many texts at once: the text, its repair, or the Bad that rejects it (None
    for what is not text, which the row check reports). Clean shapes are checked in bulk by GEOS;
    only the others are looked at one by one, to repair them or say why."""
    out: list[str | Bad | None] = [None] * len(texts)
    fast = [i for i, t in enumerate(texts) if isinstance(t, str) and len(t) <= MAX_GEOJSON and storable(t)]
    fast = [i for i, d in zip(fast, depths([texts[i] for i in fast]).tolist()) if d <= MAX_DEPTH]
    geoms = shapely.from_geojson(np.array([texts[i] for i in fast] + [None], dtype=object)[:-1], on_invalid="ignore")
    types = [shapely.GeometryType[k.upper()].value for k in kinds]
    ok = (~shapely.is_missing(geoms) & np.isin(shapely.get_type_id(geoms), types) & ~shapely.is_empty(geoms)
          & (shapely.get_num_coordinates(geoms) <= MAX_VERTICES))
    ok[ok] = shapely.is_valid(geoms[ok])
    xy, owner = shapely.get_coordinates(geoms[ok], return_index=True)
    with np.errstate(invalid="ignore"):
        off = ~(np.isfinite(xy).all(axis=1) & (np.abs(xy[:, 0]) <= 180) & (np.abs(xy[:, 1]) <= 90))
    ok[np.flatnonzero(ok)[np.unique(owner[off])]] = False
    for k, i in enumerate(fast):
        if ok[k]:
            out[i] = texts[i]
    for i, text in enumerate(texts):
        if out[i] is None and isinstance(text, str):
            try:
                out[i] = geojson(name, text, kinds)
            except Bad as bad:
                out[i] = bad
    return out


def _repaired(name: str, kind: str, coords: list, geom: shapely.Geometry | None) -> shapely.Geometry:
    """A valid geometry of the same dimension from what GEOS refused or found invalid; Bad if none."""
    try:
        if geom is None:  # GEOS refused it: unclosed or short rings, say
            if kind in AREAS:
                polys = [coords] if kind == "Polygon" else coords
                rings = [[ring for ring in map(_closed, poly) if len(ring) >= 4] for poly in polys]
                geom = shapely.MultiPolygon([(p[0], p[1:]) for p in rings if p])
            else:
                lines = [coords] if kind == "LineString" else coords if kind == "MultiLineString" else []
                geom = shapely.MultiLineString([[q[:2] for q in line] for line in lines if len(line) >= 2])
        fixed = shapely.make_valid(geom)
    except (ValueError, shapely.errors.GEOSException):
        raise Bad(f"{name} is degenerate", f"{name} cannot be made a valid shape") from None
    dimension = 2 if kind in AREAS else 1 if "Line" in kind else 0
    pieces = [g for g in getattr(fixed, "geoms", [fixed]) if shapely.get_dimensions(g) == dimension and not g.is_empty]
    if not pieces:
        raise Bad(f"{name} is degenerate", f"{name} has no {('area', 'line', 'point')[2 - dimension]} left once repaired")
    merged = shapely.union_all(pieces) if len(pieces) > 1 else pieces[0]
    return merged


def _closed(ring: list) -> list:
    return [p[:2] for p in ring] + ([ring[0][:2]] if ring and ring[0] != ring[-1] else [])


def _kind(kind: object) -> str:
    return f"a {kind}" if isinstance(kind, str) and len(kind) < 40 else "not a geometry"


def cityjson(name: str, text: str) -> str:
    """``text`` if it is a one-building CityJSON document whose vertices lie on Earth, else Bad."""
    doc = _json(name, text, MAX_MODEL)
    if not isinstance(doc, dict) or not isinstance(doc.get("CityObjects"), dict):
        raise Bad(f"{name} is not CityJSON", f"{name} is not a CityJSON document (no CityObjects)")
    verts = doc.get("vertices") or []
    if not isinstance(verts, list) or len(verts) > MAX_VERTICES:
        raise Bad(f"{name} too detailed", f"{name} has {len(verts):,} vertices (limit {MAX_VERTICES:,})"
                  if isinstance(verts, list) else f"{name} vertices are not a list")
    transform = doc.get("transform") or {}
    try:
        v = np.array(verts, dtype=np.float64).reshape(-1, 3)
        scale = np.array(transform.get("scale", (1, 1, 1)), dtype=np.float64).reshape(3)
        translate = np.array(transform.get("translate", (0, 0, 0)), dtype=np.float64).reshape(3)
    except (TypeError, ValueError, AttributeError, OverflowError):
        raise Bad(f"{name} is malformed", f"{name} vertices or transform are not numbers") from None
    with np.errstate(all="ignore"):
        where = v * scale + translate
    on_earth(name, where[:, :2])
    z = where[:, 2]
    if not np.isfinite(z).all():
        raise Bad(f"{name} coordinate not finite", f"{name} has a height that is NaN or infinite")
    if len(z) and not (MODEL_Z[0] <= z.min() and z.max() <= MODEL_Z[1]):
        worst = z.max() if z.max() > MODEL_Z[1] else z.min()
        raise Bad(f"{name} height implausible", f"{name} reaches {worst:.6g} m "
                                               f"(plausible {MODEL_Z[0]:g} to {MODEL_Z[1]:g} m)")
    return text

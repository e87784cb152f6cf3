"""Building footprints from Mapbox Vector Tiles (z/x/y from the file name or ``--tile``).

What one "building" is. A tile's building layer is not a list of buildings: every tile also
carries a buffer around its square (32 px of 4096 in the San Francisco tiles), so a building
near a tile edge is drawn by both tiles, and one that crosses an edge is cut into a piece per
tile (each piece running on into the buffer). Feature ids do not tell them apart: in these
tiles they are small numbers repeated hundreds of times in one tile (id 13 is 387 features of
15/5237/12665). So each feature is clipped to its own tile's square; a feature with nothing left
is a copy of a building the neighbouring tile holds (or of one beyond the tiles imported) and is
dropped; pieces in neighbouring tiles that are the same building (each piece's buffer part lies
inside the other piece) are joined into one footprint. A building's id is ``mvt:z/x/y/n`` of its
first piece: tile and position in the layer, stable for the same files.

The nine San Francisco tiles hold 13,896 building features (the data README's figure). 299 are
copies of a building in a neighbouring tile's edge buffer and 159 lie beyond the nine tiles
(seen only in a buffer): both dropped. The other 13,438 are footprints, and 271 joins across
tile edges (263 buildings in two pieces, one in three, two in four) leave 13,167 buildings. 301
of them run on past the outer edge of the nine tiles, where only the part inside is known.

Coordinates: tile pixels of the layer's ``extent``, y down (decoded with ``y_coord_down``: the
library's default flips y), become Web Mercator world pixels and then lon/lat. A building with
``min_height`` > 0 gets an LoD1 Solid model from min_height to height.
"""

from __future__ import annotations

import gzip
import math
import re
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import box, shape
from shapely.geometry.base import BaseGeometry

from console.errors import UserError
from console.importers.footprints import extrusion_model, footprint_texts, metres, row
from console.importers.report import ImportReport

LAYERS = ("building", "buildings")
HEIGHT_KEYS, BASE_KEYS = ("height", "render_height"), ("min_height", "render_min_height")
_ADDRESS = re.compile(r"(\d{1,2})[-_/](\d+)[-_/](\d+)$")
Tile = tuple[int, int, int]


@dataclass
class _Piece:
    tile: Tile
    index: int  # the feature's position in its tile's building layer
    raw: BaseGeometry  # world pixels (tile pixels + tile offset), y down, as the tile holds it
    own: BaseGeometry  # the part inside its own tile's square
    lonlat: BaseGeometry  # that part in lon/lat
    props: dict
    extent: int  # tile pixels across the tile's square

    crossing: bool  # runs on past its tile's square, into the buffer
    cut: bool = False  # runs on into a tile that was not given: only the part inside is known

    @property
    def square(self) -> BaseGeometry:
        _, x, y = self.tile
        return box(x * self.extent, y * self.extent, (x + 1) * self.extent, (y + 1) * self.extent)


def parse_tile(text: str, source: str = "--tile") -> Tile:
    """(z, x, y) from "15/5237/12665" or "15-5237-12665"; UserError if it is no tile of that zoom."""
    m = _ADDRESS.search(text.strip())
    z, x, y = (int(v) for v in m.groups()) if m else (-1, -1, -1)
    if not (0 <= z <= 30 and 0 <= x < 2 ** z and 0 <= y < 2 ** z):
        raise UserError(f"{source}: not a tile address z/x/y (e.g. 15/5237/12665): {text[:60]!r}")
    return z, x, y


def tile_address(path: Path, tile: str | None) -> Tile:
    """The tile's z/x/y: ``--tile``, else the file name (15-5237-12665.mvt) or its folders (15/5237/12665.mvt)."""
    if tile is not None:
        return parse_tile(tile)
    stem = path.name.split(".")[0]
    text = "/".join([*path.parent.parts[-2:], stem])
    if not _ADDRESS.search(text):
        raise UserError(f"{path}: cannot tell the tile's z/x/y from its name; give it with --tile z/x/y")
    return parse_tile(text, str(path))


def decode(path: Path, data: bytes) -> dict:
    """The decoded tile (gzip-compressed or not), y down; UserError if it is not a vector tile."""
    import mapbox_vector_tile

    try:
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
    except (OSError, EOFError, zlib.error):
        raise UserError(f"{path}: a gzip file that does not decompress") from None
    except Exception as exc:  # noqa: BLE001 - protobuf and the decoder raise many kinds on bad bytes
        raise UserError(f"{path}: not a readable Mapbox Vector Tile ({type(exc).__name__})") from None


def tile_rows(tiles: list[tuple[Path, dict]], tile: str | None, report: ImportReport) -> list[dict]:
    """Rows of the buildings in decoded tiles read together, so pieces cut at their edges join."""
    if tile is not None and len(tiles) > 1:
        raise UserError(f"--tile names one tile, but {len(tiles)} vector tiles were given")
    pieces: list[_Piece] = []
    addresses = {tile_address(path, tile): (path, decoded) for path, decoded in tiles}
    if len(addresses) < len(tiles):
        raise UserError("two of the vector tiles given are the same tile z/x/y")
    found = 0
    for address, (path, decoded) in sorted(addresses.items()):
        layer = next((decoded[name] for name in LAYERS if isinstance(decoded.get(name), dict)), None)
        if layer is None:
            names = [n.decode("utf-8", "replace") if isinstance(n, bytes) else str(n) for n in list(decoded)[:8]]
            report.notes.append(f"{path.name} has no building layer (layers: {', '.join(map(repr, names))})")
            continue
        found += 1
        pieces += _pieces(address, layer, set(addresses), report)
    if not found:
        raise UserError(f"{tiles[0][0]}: no building layer in the vector tiles given")
    groups = _joined(pieces, report)
    shapes = [g[0].lonlat if len(g) == 1 else _polygonal(shapely.union_all([p.lonlat for p in g])) for g in groups]
    owner = _outlines(shapes)
    if parted := sum(o >= 0 for o in owner):
        report.repaired["building part: inside its building's outline (merged into it)"] += parted
    parts_of: dict[int, list[int]] = {}
    for i, o in enumerate(owner):
        if o >= 0:
            parts_of.setdefault(o, []).append(i)
    rows = []
    for i, (group, footprint, text) in enumerate(zip(groups, shapes, footprint_texts(shapes))):
        if owner[i] >= 0:
            continue
        first = group[0]
        height, base = _height(group)
        bid = _id(group)
        if any(p.cut for p in group):
            report.repaired["building: cut at the edge of the tiles given (the part inside kept)"] += 1
        blocks = [(_id(groups[k]), shapes[k], *_height(groups[k])[::-1]) for k in parts_of.get(i, [])]
        blocks = [(pid, s, low, high, {"height": high, "min_height": low}) for pid, s, low, high in blocks
                  if high is not None and high > low]
        model = None
        if blocks:  # a tower on its podium: the outline's own block (if it has a height) and each part's
            top = max([height or 0.0, *(b[3] for b in blocks)])
            own = height if height is not None and height > base else min(b[3] for b in blocks)
            model = extrusion_model(bid, footprint, base, own, {"height": top, "min_height": base}, blocks)
            height = top
        elif base > 0 and height is not None and height > base:
            model = extrusion_model(bid, footprint, base, height, {"height": height, "min_height": base})
        rows.append(row(bid, text, report, name=first.props.get("name"), height=height,
                        use=first.props.get("type"), model=model))
    return rows


def _id(group: list[_Piece]) -> str:
    z, x, y = group[0].tile
    return f"mvt:{z}/{x}/{y}/{group[0].index}"


def _height(group: list[_Piece]) -> tuple[float | None, float]:
    """(height, min_height) of a building's pieces: the highest top, the lowest base."""
    heights = [h for p in group if (h := metres(_first(p.props, HEIGHT_KEYS))) is not None]
    return (max(heights) if heights else None), min(metres(_first(p.props, BASE_KEYS)) or 0.0 for p in group)


def _outlines(shapes: list[BaseGeometry]) -> list[int]:
    """For each footprint, the building whose outline holds it (a ``building:part`` of OSM-derived
    tiles: 90 % of its area inside a larger footprint), else -1."""
    geoms = np.asarray(shapes, dtype=object)
    owner = [-1] * len(shapes)
    if len(geoms) < 2:
        return owner
    inner, outer = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = inner != outer
    inner, outer = inner[keep], outer[keep]
    area = shapely.area(geoms)
    shared = shapely.area(shapely.intersection(geoms[inner], geoms[outer]))
    inside = (shared >= 0.9 * area[inner]) & (area[inner] < area[outer])
    for i, o in zip(inner[inside].tolist(), outer[inside].tolist()):
        if owner[i] < 0 or area[o] > area[owner[i]]:
            owner[i] = o  # the largest outline holding it
    for i, o in enumerate(owner):  # a part of a part belongs to the outermost outline
        while o >= 0 and owner[o] >= 0:
            o = owner[o]
        owner[i] = o
    return owner


def _first(props: dict, keys: tuple[str, ...]) -> Any:
    return next((props[k] for k in keys if k in props), None)


def _pieces(address: Tile, layer: dict, present: set[Tile], report: ImportReport) -> list[_Piece]:
    z, x, y = address
    extent = layer.get("extent") or 4096
    square = box(x * extent, y * extent, (x + 1) * extent, (y + 1) * extent)
    found, geoms = [], []
    for n, feat in enumerate(layer["features"] if isinstance(layer.get("features"), list) else []):
        geom = feat.get("geometry") if isinstance(feat, dict) else None
        kind = geom.get("type") if isinstance(geom, dict) else None
        if kind not in ("Polygon", "MultiPolygon"):
            report.skipped[f"building: geometry type {kind} (not a footprint)"] += 1
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # GEOS on NaN: the check below counts it
                made = shape(geom)
        except (ValueError, TypeError, IndexError, KeyError, AttributeError, shapely.errors.GEOSException):
            report.skipped["building: malformed geometry"] += 1
            continue
        if not np.isfinite(shapely.get_coordinates(made)).all():
            report.skipped["building: coordinates not finite"] += 1
            continue
        geoms.append(made)
        found.append((n, feat.get("properties") if isinstance(feat.get("properties"), dict) else {}))
    raw = shapely.transform(np.asarray(geoms, dtype=object), lambda px: px + (x * extent, y * extent))
    for i in np.flatnonzero(~shapely.is_valid(raw)):
        raw[i] = _polygonal(shapely.make_valid(raw[i]))
        report.repaired["building: invalid polygon (repaired)"] += 1
    own = shapely.intersection(raw, square)
    lonlat = _lonlat(own, z, extent)
    bounds = shapely.bounds(raw)
    crossing = (bounds[:, :2] < square.bounds[:2]).any(axis=1) | (bounds[:, 2:] > square.bounds[2:]).any(axis=1)
    out = []
    for (n, props), r, o, ll, area, cross in zip(found, raw, own, lonlat, shapely.area(own), crossing.tolist()):
        if area > 0 and not ll.is_empty:
            piece = _Piece(address, n, r, o, ll, props, extent, cross)
            piece.cut = cross and r.difference(_squares(piece, present)).area > 0
            out.append(piece)
        elif shapely.area(r) == 0:
            report.skipped["building: polygon with no area"] += 1
        else:
            c = r.centroid
            home = (z, math.floor(c.x / extent), math.floor(c.y / extent))
            report.skipped["building: a copy in the edge buffer of a neighbouring tile's building"
                           if home in present else "building: beyond the tiles given (only in an edge buffer)"] += 1
    return out


def _squares(piece: _Piece, present: set[Tile]) -> BaseGeometry:
    """The squares of the piece's tile and of its neighbours that were given."""
    z, x, y = piece.tile
    e = piece.extent
    return shapely.union_all([box(i * e, j * e, (i + 1) * e, (j + 1) * e) for i in (x - 1, x, x + 1)
                              for j in (y - 1, y, y + 1) if (z, i, j) in present])


def _joined(pieces: list[_Piece], report: ImportReport) -> list[list[_Piece]]:
    """Pieces grouped into buildings: neighbouring tiles' pieces whose buffer parts lie in each other."""
    parent = list(range(len(pieces)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    crossing = [i for i, p in enumerate(pieces) if p.crossing]
    raws = np.array([pieces[i].raw for i in crossing], dtype=object)
    joins = 0
    for a_at, b_at in shapely.STRtree(raws).query(raws, predicate="intersects").T:
        a, b = pieces[crossing[a_at]], pieces[crossing[b_at]]
        if a.tile >= b.tile or a.tile[0] != b.tile[0] or a.extent != b.extent:
            continue
        overhang = a.raw.intersection(b.square).area + b.raw.intersection(a.square).area
        if overhang > 0 and a.raw.intersection(b.raw).area >= 0.5 * overhang:
            ra, rb = find(crossing[a_at]), find(crossing[b_at])
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
                joins += 1
    groups: dict[int, list[_Piece]] = {}
    for i, p in enumerate(pieces):
        groups.setdefault(find(i), []).append(p)
    if joins:
        report.repaired["building: pieces cut at a tile edge (joined)"] += joins
    return list(groups.values())


def _lonlat(world: np.ndarray, zoom: int, extent: int) -> np.ndarray:
    """World pixels (y down) of a zoom level to lon/lat (spherical Web Mercator), polygons made valid."""
    size = extent * 2.0 ** zoom

    def to_degrees(px: np.ndarray) -> np.ndarray:
        lon = px[:, 0] / size * 360.0 - 180.0
        lat = np.degrees(np.arctan(np.sinh(np.pi * (1.0 - 2.0 * px[:, 1] / size))))
        return np.column_stack([lon, lat])

    geoms = shapely.transform(world, to_degrees)
    odd = ~shapely.is_valid(geoms) | ~np.isin(shapely.get_type_id(geoms), (3, 6))  # Polygon, MultiPolygon
    geoms[odd] = [_polygonal(shapely.make_valid(g)) for g in geoms[odd]]
    return geoms


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The polygons with an area in ``geom``, as one Polygon or MultiPolygon (empty if none)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 0]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)

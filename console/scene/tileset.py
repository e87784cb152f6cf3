"""OGC 3D Tiles 1.0 / 1.1 tilesets for the scene: the tile tree, where each tile lies in the scene's
frame, which tiles a camera needs (screen-space error), and their contents as meshes in that frame.

A tileset is a tree of tiles, each with a bounding volume (a geographic ``region``, or a ``box`` /
``sphere`` in the coordinates of its ``transform``: ECEF for tiles placed on the Earth), a
geometric error in metres and content (b3dm, glb, or another tileset.json: an external tileset,
read here as part of the tree). A tile is refined into its children once its error, seen from the
camera, exceeds ``MAX_SSE`` pixels: ``REPLACE`` shows the children instead, ``ADD`` on top.

Placed tilesets (ECEF) come into the scene's metric frame through pyproj (ECEF → lon/lat/height
→ the frame's transverse Mercator), so they stand beside the platform's buildings; a tileset with
no place on the Earth (a local ``box``, as in the MetadataGranularities sample) is drawn in its own
metres. Qt-free: the scene view loads contents on a worker thread with ``load``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from console.errors import UserError
from console.scene.gltf import ContentError, Model, read_content

MAX_SSE = 16.0  # pixels: CesiumJS's default maximumScreenSpaceError
MAX_DEPTH = 64  # tiles (and external tilesets) deeper than this are a cycle or a broken file
MAX_TILES = 200_000
EARTH_M = 6_000_000.0  # a box centre farther than this from the origin is ECEF: the tile is on the Earth


@dataclass
class Tile:
    number: int
    error: float  # geometric error, metres
    refine: str  # "ADD" or "REPLACE"
    corners: np.ndarray  # (8, 3) of its bounding volume, in world coordinates (ECEF, or local metres)
    content: Path | None
    children: list[Tile] = field(default_factory=list)
    transform: np.ndarray = field(default_factory=lambda: np.eye(4))  # content coordinates -> world
    request: np.ndarray | None = None  # corners of the viewer request volume: content only when inside
    metadata: dict = field(default_factory=dict)  # the tile's and its content's metadata properties
    box: np.ndarray = field(default_factory=lambda: np.zeros((2, 3)))  # (min, max) in the frame, set later
    request_box: np.ndarray | None = None  # the request volume's (min, max) in the frame
    siblings: list[Tile] = field(default_factory=list)  # a 1.1 tile's further contents, shown with it


class Tileset:
    """A tileset.json and its external tilesets, read whole (they are small); contents on demand."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.tiles: list[Tile] = []
        self.skipped: dict[str, int] = {}
        self.properties: dict = {}
        self.root = self._read(self.path, np.eye(4), "REPLACE", 0)
        if self.root is None:
            raise UserError(f"{self.path}: a tileset without a root tile")
        centres = np.array([t.corners.mean(axis=0) for t in self.tiles])
        self.geographic = bool(np.median(np.linalg.norm(centres, axis=1)) > EARTH_M)

    # -- reading -------------------------------------------------------------------------------
    def _read(self, path: Path, parent: np.ndarray, refine: str, depth: int) -> Tile | None:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from None
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise UserError(f"{path}: not a tileset (not JSON: {str(exc).splitlines()[0][:60]})") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("root"), dict):
            raise UserError(f"{path}: not a 3D Tiles tileset (no root tile)")
        version = (doc.get("asset") or {}).get("version") if isinstance(doc.get("asset"), dict) else None
        if version not in ("0.0", "1.0", "1.1"):
            raise UserError(f"{path}: 3D Tiles version {str(version)[:10]!r} (1.0 and 1.1 are read)")
        if depth == 0:
            self.properties = _properties(doc.get("metadata"))
        return self._tile(doc["root"], path.parent, parent, refine, depth)

    def _tile(self, node: dict, folder: Path, parent: np.ndarray, refine: str, depth: int) -> Tile | None:
        if depth > MAX_DEPTH or len(self.tiles) >= MAX_TILES:
            self._skip("tile: deeper than 64 levels or past 200,000 tiles (left out)")
            return None
        try:
            transform = parent @ _matrix(node.get("transform"))
            corners = _corners(node.get("boundingVolume"), transform)
            error = float(node.get("geometricError"))
        except (TypeError, ValueError, KeyError):
            self._skip("tile: malformed transform, bounding volume or geometric error (left out)")
            return None
        if not math.isfinite(error) or error < 0:
            self._skip("tile: malformed transform, bounding volume or geometric error (left out)")
            return None
        refine = str(node.get("refine", refine)).upper() if node.get("refine") in ("ADD", "REPLACE", "add",
                                                                                    "replace") else refine
        tile = Tile(len(self.tiles), error, refine, corners, None, transform=transform)
        self.tiles.append(tile)
        try:
            tile.request = _corners(node["viewerRequestVolume"], transform) if "viewerRequestVolume" in node else None
        except (TypeError, ValueError, KeyError):
            tile.request = None
        tile.metadata = _properties(node.get("metadata"))
        contents = node.get("contents") if isinstance(node.get("contents"), list) else \
            [node["content"]] if isinstance(node.get("content"), dict) else []
        for n, content in enumerate(c for c in contents if isinstance(c, dict)):
            uri = content.get("uri", content.get("url"))
            if not isinstance(uri, str) or "://" in uri or uri.startswith("data:"):
                self._skip("tile content: not a file beside the tileset (left out)")
                continue
            target = (folder / uri.split("?")[0]).resolve()
            holder = tile if n == 0 else self._sibling(tile, node)
            holder.metadata.update(_properties(content.get("metadata")))
            if target.suffix.lower() == ".json":
                child = self._read(target, transform, refine, depth + 1)
                if child is not None:
                    holder.children.append(child)
            else:
                holder.content = target
        children = node.get("children")
        if children is not None and not isinstance(children, list):
            self._skip("tile: children that are not a list (left out)")
        for child in children if isinstance(children, list) else []:
            if isinstance(child, dict) and (made := self._tile(child, folder, transform, refine, depth + 1)):
                tile.children.append(made)
        return tile

    def _sibling(self, tile: Tile, node: dict) -> Tile:
        """A 1.1 tile with several contents: each after the first a tile of its own, shown with it."""
        extra = Tile(len(self.tiles), tile.error, tile.refine, tile.corners, None, transform=tile.transform,
                     metadata=_properties(node.get("metadata")))
        self.tiles.append(extra)
        tile.siblings.append(extra)
        return extra

    def _skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    # -- placing -------------------------------------------------------------------------------
    def lon_lat_box(self) -> tuple[float, float, float, float, float]:
        """(west, south, east, north, lowest height) of the root volume, for a frame around it."""
        lon, lat, h = to_geographic(self.root.corners)
        return float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()), float(h.min())

    def place(self, to_frame) -> None:
        """Each tile's (min, max) box in the frame; ``to_frame``: world (n, 3) -> frame (n, 3)."""
        for tile in self.tiles:
            xyz = to_frame(tile.corners)
            tile.box = np.array([xyz.min(axis=0), xyz.max(axis=0)])
            if tile.request is not None:
                xyz = to_frame(tile.request)
                tile.request_box = np.array([xyz.min(axis=0), xyz.max(axis=0)])

    def load(self, tile: Tile, to_frame) -> Model:
        """The tile's content as a mesh in the frame; ContentError (or UserError) if it cannot be drawn."""
        try:
            data = tile.content.read_bytes()
        except OSError as exc:
            raise ContentError(f"cannot read {tile.content.name} ({exc.strerror or exc})") from None
        model = read_content(data)
        world = (tile.transform @ np.column_stack([model.points, np.ones(len(model.points))]).T).T[:, :3]
        model.points = to_frame(world)
        return model


def _in_view(box: np.ndarray, eye: np.ndarray, look: np.ndarray, half: float) -> bool:
    """Whether a (min, max) box may show in a view cone of half-angle ``half`` (its bounding sphere
    against the cone: never drops a tile that shows, may keep one just outside)."""
    centre = box.mean(axis=0)
    radius = float(np.linalg.norm(box[1] - box[0])) / 2
    to = centre - eye
    distance = float(np.linalg.norm(to))
    if distance <= radius:
        return True
    angle = math.acos(max(-1.0, min(1.0, float(to @ look) / distance)))
    return angle - math.asin(radius / distance) <= half


def frame_mapping(tileset: Tileset, frame) -> tuple[object, float]:
    """world (n, 3) -> frame (n, 3) for a tileset, and the height (m) taken as the ground: a placed
    tileset through ECEF -> lon/lat/height -> ``frame`` (z: height above the root volume's lowest);
    a local one as it is."""
    if not tileset.geographic or frame is None:
        return (lambda xyz: np.asarray(xyz, dtype=float)), 0.0
    ground = tileset.lon_lat_box()[4]

    def to_frame(xyz: np.ndarray) -> np.ndarray:
        lon, lat, h = to_geographic(np.asarray(xyz, dtype=float))
        x, y = frame.forward(lon, lat)
        return np.column_stack([x, y, h - ground])

    return to_frame, ground


def select(tileset: Tileset, eye: np.ndarray, height_px: float, fov_deg: float,
           max_sse: float = MAX_SSE, focal: np.ndarray | None = None, aspect: float = 16 / 9) -> list[Tile]:
    """The tiles with content a camera at ``eye`` (frame metres) needs, coarse to fine: a tile is
    refined while its geometric error spans more than ``max_sse`` pixels on a ``height_px`` screen.
    With ``focal`` (where the camera looks), tiles wholly outside its view cone are left out."""
    scale = height_px / (2.0 * math.tan(math.radians(fov_deg) / 2.0))
    half = math.atan(math.tan(math.radians(fov_deg) / 2.0) * math.hypot(1.0, aspect))  # to the corners
    look = None
    if focal is not None and np.linalg.norm(focal - eye) > 0:
        look = (focal - eye) / np.linalg.norm(focal - eye)
    out: list[Tile] = []
    stack = [tileset.root]
    while stack:
        tile = stack.pop()
        box = tile.request_box
        if box is not None and not ((eye >= box[0]) & (eye <= box[1])).all():
            continue  # the viewer is outside the tile's request volume
        if look is not None and not _in_view(tile.box, eye, look, half):
            continue
        distance = float(np.linalg.norm(eye - np.clip(eye, tile.box[0], tile.box[1])))
        refine = bool(tile.children) and tile.error * scale / max(distance, 1e-3) > max_sse
        if not refine or tile.refine == "ADD":
            out += [t for t in (tile, *tile.siblings) if t.content is not None]
        if refine:
            stack += tile.children[::-1]
    return out


def _properties(metadata: object) -> dict:
    """The ``properties`` of a 1.1 metadata entity (tileset, tile, content), or nothing."""
    props = metadata.get("properties") if isinstance(metadata, dict) else None
    return dict(props) if isinstance(props, dict) else {}


def _matrix(value: object) -> np.ndarray:
    if value is None:
        return np.eye(4)
    matrix = np.array(value, dtype=float).reshape(4, 4).T  # column-major
    if not np.isfinite(matrix).all():
        raise ValueError("transform not finite")
    return matrix


def _corners(volume: object, transform: np.ndarray) -> np.ndarray:
    """The 8 corners of a bounding volume in world coordinates (a region: ECEF of its corners)."""
    if not isinstance(volume, dict):
        raise ValueError("no bounding volume")
    signs = np.array([[i, j, k] for i in (-1, 1) for j in (-1, 1) for k in (-1, 1)], dtype=float)
    if "region" in volume:
        w, s, e, n, low, high = (float(v) for v in volume["region"])
        if not all(map(math.isfinite, (w, s, e, n, low, high))):
            raise ValueError("region not finite")
        lon = np.degrees(np.where(signs[:, 0] < 0, w, e))
        lat = np.degrees(np.where(signs[:, 1] < 0, s, n))
        return to_ecef(lon, lat, np.where(signs[:, 2] < 0, low, high))
    if "box" in volume:
        b = np.array(volume["box"], dtype=float).reshape(12)
        local = b[:3] + signs @ b[3:].reshape(3, 3)
    elif "sphere" in volume:
        c = np.array(volume["sphere"], dtype=float).reshape(4)
        local = c[:3] + signs * c[3]
    else:
        raise ValueError("unknown bounding volume")
    world = (transform @ np.column_stack([local, np.ones(8)]).T).T[:, :3]
    if not np.isfinite(world).all():
        raise ValueError("volume not finite")
    return world


_TRANSFORMERS: dict[bool, object] = {}


def _transformer(inverse: bool):
    from pyproj import Transformer

    if inverse not in _TRANSFORMERS:
        _TRANSFORMERS[inverse] = Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True) if inverse else \
            Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)
    return _TRANSFORMERS[inverse]


def to_ecef(lon, lat, h) -> np.ndarray:
    x, y, z = _transformer(False).transform(np.asarray(lon, float), np.asarray(lat, float), np.asarray(h, float))
    return np.column_stack([x, y, z])


def to_geographic(xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lon, lat, h = _transformer(True).transform(xyz[:, 0], xyz[:, 1], xyz[:, 2])
    return np.asarray(lon), np.asarray(lat), np.asarray(h)

"""3D Tiles contents (Batched 3D Model ``.b3dm``, glTF 2.0 binary ``.glb``) → triangles with feature numbers.

pygltflib reads the glTF JSON and binary chunk; the accessors are turned into numpy arrays here
(the library leaves that to its user). Node transforms are applied, then the y-up → z-up turn the
3D Tiles specification prescribes for every glTF content, then RTC_CENTER / CESIUM_RTC: the
points come out in the tile's own coordinates, before the tile transform. Each triangle carries a
feature number: a b3dm's ``_BATCHID`` (its batch table row), or a 1.1 content's
``EXT_mesh_features`` feature id (its ``EXT_structural_metadata`` property table row).
Point clouds, instanced and composite contents, Draco- or meshopt-compressed meshes and external
buffers are refused with a ``ContentError`` naming them: counted and left out, never a crash.
"""

from __future__ import annotations

import json
import struct
import warnings
from dataclasses import dataclass, field

import numpy as np

COMPONENTS = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
#: glTF is y-up, 3D Tiles z-up: (x, y, z) -> (x, -z, y)
Y_UP_TO_Z_UP = np.array([[1.0, 0, 0, 0], [0, 0, -1, 0], [0, 1, 0, 0], [0, 0, 0, 1]])
TABLE_TYPES = {"INT8": np.int8, "UINT8": np.uint8, "INT16": np.int16, "UINT16": np.uint16, "INT32": np.int32,
               "UINT32": np.uint32, "INT64": np.int64, "UINT64": np.uint64, "FLOAT32": np.float32,
               "FLOAT64": np.float64, "BYTE": np.int8, "UNSIGNED_BYTE": np.uint8, "SHORT": np.int16,
               "UNSIGNED_SHORT": np.uint16, "INT": np.int32, "UNSIGNED_INT": np.uint32, "FLOAT": np.float32,
               "DOUBLE": np.float64}
MAX_TRIANGLES = 5_000_000  # one content larger than this is a broken or hostile file


class ContentError(ValueError):
    """A content that cannot be drawn; the message says why in a few words."""


@dataclass
class Model:
    points: np.ndarray  # (n, 3) float64, z up, in the tile's coordinates (before its transform)
    triangles: np.ndarray  # (t, 3) int64
    feature: np.ndarray  # (t,) int64: the triangle's feature number, -1 for none
    properties: list[dict] = field(default_factory=list)  # per feature number: its properties


def read_content(data: bytes) -> Model:
    """The model of a tile content's bytes; ContentError if it is not one that can be drawn."""
    magic = data[:4]
    if magic == b"b3dm":
        return _b3dm(data)
    if magic == b"glTF":
        return _glb(data, np.zeros(3), [])
    kinds = {b"pnts": "a point cloud (pnts)", b"i3dm": "instanced models (i3dm)", b"cmpt": "a composite (cmpt)"}
    raise ContentError(f"{kinds.get(magic, 'not a b3dm or glb content')} is not drawn")


def _b3dm(data: bytes) -> Model:
    if len(data) < 28:
        raise ContentError("a b3dm shorter than its header")
    _, version, length, ft_json, ft_bin, bt_json, bt_bin = struct.unpack("<4sIIIIII", data[:28])
    if bt_json >= 570_425_344 or ft_json >= 570_425_344:  # the legacy 20/24-byte header: a glTF's magic read as a length
        raise ContentError("a b3dm with the legacy (pre-1.0) header")
    at = 28
    table = _json(data[at:at + ft_json], "feature table")
    binary = data[at + ft_json:at + ft_json + ft_bin]
    at += ft_json + ft_bin
    batch = _json(data[at:at + bt_json], "batch table") if bt_json else {}
    batch_bin = data[at + bt_json:at + bt_json + bt_bin]
    at += bt_json + bt_bin
    count = table.get("BATCH_LENGTH", 0)
    if not isinstance(count, int) or count < 0 or count > 10_000_000:
        raise ContentError("a b3dm with an unusable BATCH_LENGTH")
    centre = _vector(table.get("RTC_CENTER"), binary)
    rows = _batch_rows(batch, batch_bin, count)
    return _glb(data[at:], centre, rows)


def _json(raw: bytes, what: str) -> dict:
    try:
        doc = json.loads(raw.rstrip(b" \x00").decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ContentError(f"a {what} that is not JSON") from None
    if not isinstance(doc, dict):
        raise ContentError(f"a {what} that is not a JSON object")
    return doc


def _vector(value: object, binary: bytes) -> np.ndarray:
    """RTC_CENTER: three numbers, or a reference into the feature table's binary body."""
    if value is None:
        return np.zeros(3)
    if isinstance(value, dict) and isinstance(value.get("byteOffset"), int):
        at = value["byteOffset"]
        if 0 <= at and at + 24 <= len(binary):
            return np.frombuffer(binary, np.float64, 3, at).copy()
        raise ContentError("an RTC_CENTER outside the feature table")
    try:
        centre = np.array(value, dtype=float).reshape(3)
    except (TypeError, ValueError):
        raise ContentError("an RTC_CENTER that is not three numbers") from None
    if not np.isfinite(centre).all():
        raise ContentError("an RTC_CENTER that is not finite")
    return centre


def _batch_rows(batch: dict, binary: bytes, count: int) -> list[dict]:
    """One dict per feature from a batch table: JSON arrays, or references into its binary body."""
    columns: dict[str, list] = {}
    for name, value in batch.items():
        if name in ("extensions", "extras"):
            continue
        if isinstance(value, list) and len(value) == count:
            columns[name] = value
        elif isinstance(value, dict) and value.get("componentType") in TABLE_TYPES:
            width = WIDTH.get(value.get("type", "SCALAR"), 0)
            dtype = np.dtype(TABLE_TYPES[value["componentType"]])
            at = value.get("byteOffset", 0)
            if width and isinstance(at, int) and 0 <= at and at + count * width * dtype.itemsize <= len(binary):
                array = np.frombuffer(binary, dtype, count * width, at).reshape(count, width)
                columns[name] = [row[0].item() if width == 1 else row.tolist() for row in array]
    return [{name: column[i] for name, column in columns.items()} for i in range(count)]


# --- glTF ----------------------------------------------------------------------------------------

def _glb(data: bytes, centre: np.ndarray, rows: list[dict]) -> Model:
    from pygltflib import GLTF2

    if data[:4] != b"glTF" or len(data) < 20:
        raise ContentError("no glTF binary inside")
    if struct.unpack("<I", data[4:8])[0] != 2:
        raise ContentError("a glTF 1.0 model (only glTF 2.0 is read)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pygltflib warns of chunks it skips; a broken one fails below
            gltf = GLTF2.load_from_bytes(data)
    except Exception as exc:  # noqa: BLE001 - pygltflib raises what its JSON and dataclass layers raise
        raise ContentError(f"a glTF that does not load ({type(exc).__name__})") from None
    if gltf is None or not isinstance(gltf.meshes, list) or not isinstance(gltf.nodes, list):
        raise ContentError("a glTF that does not load")
    with np.errstate(all="ignore"):  # NaN and overflow in a broken buffer: refused below, not warned of
        return _model(gltf, centre, rows)


def _model(gltf, centre: np.ndarray, rows: list[dict]) -> Model:
    required = set(gltf.extensionsRequired or ())
    if compressed := required & {"KHR_draco_mesh_compression", "EXT_meshopt_compression", "KHR_meshopt_compression"}:
        raise ContentError(f"a compressed mesh ({', '.join(sorted(compressed))}) is not drawn")
    blob = gltf.binary_blob() or b""
    rtc = (gltf.extensions or {}).get("CESIUM_RTC", {}).get("center") if isinstance(gltf.extensions, dict) else None
    if rtc is not None:
        centre = centre + _vector(rtc, b"")
    reader = _Accessors(gltf, blob)
    metadata = (gltf.extensions or {}).get("EXT_structural_metadata") if isinstance(gltf.extensions, dict) else None
    tables = _property_tables(metadata, reader) if isinstance(metadata, dict) else []
    points, triangles, feature = [], [], []
    offset = 0
    scene = gltf.scenes[gltf.scene or 0].nodes if gltf.scenes else list(range(len(gltf.nodes)))
    for node, matrix in _nodes(gltf, scene):
        mesh = gltf.meshes[node.mesh] if node.mesh is not None and 0 <= node.mesh < len(gltf.meshes) else None
        for prim in mesh.primitives if mesh is not None else ():
            if prim.mode not in (None, 4) or prim.attributes.POSITION is None:
                continue  # points and lines: nothing to see in a city
            xyz = reader.read(prim.attributes.POSITION).astype(np.float64)[:, :3]
            index = reader.read(prim.indices).astype(np.int64).ravel() if prim.indices is not None \
                else np.arange(len(xyz))
            index = index[: len(index) // 3 * 3].reshape(-1, 3)
            if len(index) and (index.min() < 0 or index.max() >= len(xyz)):
                raise ContentError("a mesh whose indices point past its vertices")
            ids, rows_of = _feature_ids(prim, reader, len(xyz), tables, rows)
            world = (Y_UP_TO_Z_UP @ matrix @ np.column_stack([xyz, np.ones(len(xyz))]).T).T[:, :3] + centre
            points.append(world)
            triangles.append(index + offset)
            feature.append(np.where(ids[index[:, 0]] >= 0, ids[index[:, 0]], -1) if len(index) else np.zeros(0, int))
            offset += len(xyz)
            if rows_of is not rows:
                rows = rows_of
            if offset > 3 * MAX_TRIANGLES:
                raise ContentError("a mesh too large to draw")
    if not points:
        raise ContentError("a glTF without triangles")
    out = Model(np.concatenate(points), np.concatenate(triangles), np.concatenate(feature).astype(np.int64), rows)
    if not np.isfinite(out.points).all():
        raise ContentError("a mesh with coordinates that are not finite")
    return out


def _nodes(gltf, roots: list[int]) -> list[tuple[object, np.ndarray]]:
    """(node, its world matrix) for every node under ``roots`` (each node once: no cycles)."""
    out, seen = [], set()
    stack = [(i, np.eye(4)) for i in roots]
    while stack:
        i, parent = stack.pop()
        if not isinstance(i, int) or not 0 <= i < len(gltf.nodes) or i in seen:
            continue
        seen.add(i)
        node = gltf.nodes[i]
        matrix = parent @ _local(node)
        out.append((node, matrix))
        stack += [(k, matrix) for k in node.children or ()]
    return out


def _local(node) -> np.ndarray:
    if node.matrix is not None and len(node.matrix) == 16:
        return np.array(node.matrix, dtype=float).reshape(4, 4).T  # column-major
    t = np.eye(4)
    if node.translation:
        t[:3, 3] = node.translation
    r = np.eye(4)
    if node.rotation:
        x, y, z, w = node.rotation
        r[:3, :3] = [[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]]
    s = np.diag([*(node.scale or (1, 1, 1)), 1.0])
    return t @ r @ s


def _feature_ids(prim, reader: _Accessors, count: int, tables: list[list[dict]],
                 rows: list[dict]) -> tuple[np.ndarray, list[dict]]:
    """Each vertex's feature number and the rows they index (a batch table's, or a property table's)."""
    ext = (prim.extensions or {}).get("EXT_mesh_features") if isinstance(prim.extensions, dict) else None
    ids = ext.get("featureIds") if isinstance(ext, dict) else None
    if isinstance(ids, list) and ids and isinstance(ids[0], dict):
        first = ids[0]
        name = f"_FEATURE_ID_{first.get('attribute')}" if isinstance(first.get("attribute"), int) else None
        values = _attribute(prim, name, reader)
        table = first.get("propertyTable")
        use = tables[table] if isinstance(table, int) and 0 <= table < len(tables) else rows
        if values is not None and len(values) == count:
            return values, use
        return np.zeros(count, dtype=np.int64) if first.get("featureCount") == 1 else np.full(count, -1), use
    values = _attribute(prim, "_BATCHID", reader)
    if values is None:
        values = _attribute(prim, "_FEATURE_ID_0", reader)
    if values is None or len(values) != count:
        return np.full(count, -1, dtype=np.int64), rows
    return values, rows


def _attribute(prim, name: str | None, reader: _Accessors) -> np.ndarray | None:
    index = getattr(prim.attributes, name, None) if name else None
    if index is None and name and hasattr(prim.attributes, "__dict__"):
        index = prim.attributes.__dict__.get(name)
    if index is None:
        return None
    values = reader.read(index).ravel()
    return np.rint(values).astype(np.int64) if values.dtype.kind == "f" else values.astype(np.int64)


class _Accessors:
    """glTF accessors of the binary chunk as numpy arrays (strided views copied, bounds checked)."""

    def __init__(self, gltf, blob: bytes) -> None:
        self.gltf, self.blob = gltf, blob

    def view(self, index: int) -> tuple[bytes, int, int | None]:
        views = self.gltf.bufferViews
        if not isinstance(index, int) or not 0 <= index < len(views):
            raise ContentError("an accessor without its buffer view")
        v = views[index]
        if v.buffer not in (0, None) or (self.gltf.buffers and self.gltf.buffers[0].uri):
            raise ContentError("a glTF whose data lies in another file")
        start = v.byteOffset or 0
        if start < 0 or start + v.byteLength > len(self.blob):
            raise ContentError("a buffer view past the end of the binary chunk")
        return self.blob[start:start + v.byteLength], start, v.byteStride

    def read(self, index: int | None) -> np.ndarray:
        accessors = self.gltf.accessors
        if not isinstance(index, int) or not 0 <= index < len(accessors):
            raise ContentError("a primitive naming an accessor that is not there")
        a = accessors[index]
        dtype, width = COMPONENTS.get(a.componentType), WIDTH.get(a.type)
        if dtype is None or width is None or a.bufferView is None or not 0 <= a.count <= 3 * MAX_TRIANGLES:
            raise ContentError("an accessor of an unknown or sparse kind")
        raw, _, stride = self.view(a.bufferView)
        size = np.dtype(dtype).itemsize * width
        stride = stride or size
        start = a.byteOffset or 0
        if a.count and (start < 0 or start + stride * (a.count - 1) + size > len(raw)):
            raise ContentError("an accessor past the end of its buffer view")
        if stride == size:
            return np.frombuffer(raw, dtype, a.count * width, start).reshape(a.count, width).copy()
        rows = np.lib.stride_tricks.as_strided(np.frombuffer(raw, np.uint8)[start:], (a.count, size), (stride, 1))
        return rows.copy().view(dtype).reshape(a.count, width)


def _property_tables(metadata: dict, reader: _Accessors) -> list[list[dict]]:
    """EXT_structural_metadata property tables as rows: SCALAR numbers and STRINGs (others left out)."""
    schema = metadata.get("schema") if isinstance(metadata.get("schema"), dict) else {}
    classes = schema.get("classes") if isinstance(schema.get("classes"), dict) else {}
    out = []
    for table in metadata.get("propertyTables") or []:
        if not isinstance(table, dict) or not isinstance(table.get("count"), int) or table["count"] < 0:
            out.append([])
            continue
        count = table["count"]
        props = (classes.get(table.get("class")) or {}).get("properties") or {}
        columns: dict[str, list] = {}
        for name, source in (table.get("properties") or {}).items():
            kind = props.get(name) if isinstance(props.get(name), dict) else {}
            try:
                raw, _, _ = reader.view(source.get("values"))
                if kind.get("type") == "STRING":
                    offsets_raw, _, _ = reader.view(source.get("stringOffsets"))
                    width = TABLE_TYPES.get(source.get("stringOffsetType", "UINT32"), np.uint32)
                    offsets = np.frombuffer(offsets_raw, width, count + 1)
                    columns[name] = [raw[offsets[i]:offsets[i + 1]].decode("utf-8", "replace") for i in range(count)]
                elif kind.get("type") == "SCALAR" and kind.get("componentType") in TABLE_TYPES:
                    columns[name] = np.frombuffer(raw, TABLE_TYPES[kind["componentType"]], count).tolist()
            except (ContentError, ValueError, TypeError, AttributeError, IndexError):
                continue  # one unreadable property: the others stay
        out.append([{name: column[i] for name, column in columns.items()} for i in range(count)])
    return out

"""One building's CityJSON model, as the importer stores it, → its surfaces as flat index arrays.

The importer writes a small self-contained document per building (``transform``, lon/lat
degrees, z in metres above the building's ground; each object keeps its best geometry with its
semantics). Here it becomes what the triangulator wants: ring after ring of vertex numbers,
surface after surface, and each surface's semantic type. Ground surfaces are left out (nobody
sees a floor from above ground), closure surfaces too (CityGML's virtual walls that close a solid
at an open hall or a building part's seam: not there to see), and so are LoD 0 footprints beside real solids. A surface that
names a vertex the document does not have is dropped and counted; the rest of the building stays.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

import numpy as np

#: How deep the surfaces sit in ``boundaries`` for each geometry type (0: the surface itself).
SURFACE_DEPTH = {"MultiSurface": 1, "CompositeSurface": 1, "Solid": 2, "MultiSolid": 3, "CompositeSolid": 3}
HIDDEN = frozenset({"GroundSurface", "ClosureSurface"})  # floors, and the virtual walls closing an open solid


@dataclass
class ModelSurfaces:
    lonlatz: np.ndarray  # (V, 3) lon, lat (degrees) and z (metres above the building's ground)
    ring_idx: np.ndarray  # (M,) int64 vertex number of each ring point
    ring_off: np.ndarray  # (R + 1,) offsets into ring_idx
    surf_off: np.ndarray  # (S + 1,) offsets into rings, the first ring of a surface its exterior
    kind: list  # (S,) semantic type of each surface ("RoofSurface", ...) or None
    dropped: Counter  # surfaces left out, by reason


def _lod(geom: dict) -> float:
    try:
        return float(geom.get("lod", 1))
    except (TypeError, ValueError):
        return 1.0


def _chosen(objects: dict) -> list[dict]:
    """Each object's best geometry; LoD 0 (footprints, roof outlines) only where nothing better exists."""
    best = []
    for obj in objects.values():
        geoms = [g for g in (obj.get("geometry") or []) if isinstance(g, dict) and g.get("type") in SURFACE_DEPTH]
        if geoms:
            best.append(max(geoms, key=_lod))
    if any(_lod(g) >= 1 for g in best):
        best = [g for g in best if _lod(g) >= 1]
    return best


def _walk(bounds, values, depth: int, kinds: list, out: list) -> None:
    if depth == 0:
        kind = kinds[values] if isinstance(values, int) and 0 <= values < len(kinds) else None
        out.append((bounds, kind))
        return
    if not isinstance(bounds, list):
        raise ValueError("boundaries nested wrongly")
    for i, part in enumerate(bounds):
        _walk(part, values[i] if isinstance(values, list) and i < len(values) else None, depth - 1, kinds, out)


def _rings(surface, n_vertices: int) -> list[np.ndarray] | None:
    """The surface's rings as vertex numbers, or None when one names a vertex that is not there."""
    if not isinstance(surface, list) or not surface:
        return None
    rings = []
    for ring in surface:
        try:
            a = np.asarray(ring, dtype=np.int64)
        except (TypeError, ValueError, OverflowError):
            return None
        if a.ndim != 1 or (a.size and (a.min() < 0 or a.max() >= n_vertices)):
            return None
        rings.append(a)
    return rings


def read_model(model: str | dict) -> ModelSurfaces:
    """The surfaces of a one-building CityJSON document; ValueError (its reason) when none is usable."""
    try:
        doc = json.loads(model) if isinstance(model, str) else model
        verts = np.asarray(doc.get("vertices") or np.zeros((0, 3)), dtype=np.float64)
        if verts.ndim != 2 or verts.shape[1] != 3:
            raise ValueError
        transform = doc.get("transform") or {}
        scale = np.asarray(transform.get("scale", (1.0, 1.0, 1.0)), dtype=np.float64).reshape(3)
        translate = np.asarray(transform.get("translate", (0.0, 0.0, 0.0)), dtype=np.float64).reshape(3)
        objects = doc.get("CityObjects") or {}
    except (TypeError, ValueError, AttributeError):
        raise ValueError("model unreadable") from None
    lonlatz = verts * scale + translate
    found: list = []
    for geom in _chosen(objects if isinstance(objects, dict) else {}):
        sem = geom.get("semantics") if isinstance(geom.get("semantics"), dict) else {}
        kinds = [s.get("type") if isinstance(s, dict) else None for s in sem.get("surfaces") or []]
        try:
            _walk(geom.get("boundaries"), sem.get("values"), SURFACE_DEPTH[geom["type"]], kinds, found)
        except (ValueError, RecursionError):
            raise ValueError("model geometry malformed") from None
    dropped: Counter = Counter()
    ring_idx, ring_len, surf_len, kind = [], [], [], []
    for surface, k in found:
        if k in HIDDEN:
            continue
        rings = _rings(surface, len(lonlatz))
        if rings is None:
            dropped["surface with missing vertices dropped"] += 1
            continue
        ring_idx.extend(rings)
        ring_len.extend(len(r) for r in rings)
        surf_len.append(len(rings))
        kind.append(k)
    if not kind:
        raise ValueError("model has no surfaces")
    ring_off = np.zeros(len(ring_len) + 1, dtype=np.int64)
    np.cumsum(ring_len, out=ring_off[1:])
    surf_off = np.zeros(len(surf_len) + 1, dtype=np.int64)
    np.cumsum(surf_len, out=surf_off[1:])
    return ModelSurfaces(lonlatz, np.concatenate(ring_idx), ring_off, surf_off, kind, dropped)

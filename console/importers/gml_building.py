"""One top-level CityGML Building element as CityJSON CityObjects: the building and its parts, each
with one MultiSurface per LoD 0–3 and the semantic type of each surface, and its attributes.

Kept apart from the file-level reading (citygml.py: streaming, CRS, chunks) because it is the
per-element work: which polygons belong to which object at which LoD, which are drawn once (an
``xlink:href`` to a polygon of the same building, the same ring twice in one LoD), and which
attributes (``measuredHeight``, ``function``, ``usage``, ``yearOfConstruction``, ``storeysAboveGround``,
``roofType``, ``gml:name``, generic attributes) a row takes.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import numpy as np

from console.importers.gml_geometry import GML, POLYGONS, Vertices
from console.importers.gml_geometry import local as _local

PART_TAGS = frozenset({"BuildingPart", "BuildingInstallation"})
SURFACES = frozenset({"GroundSurface", "WallSurface", "RoofSurface", "ClosureSurface", "OuterCeilingSurface",
                      "OuterFloorSurface", "Window", "Door"})
INTERIOR = frozenset({"interiorRoom", "Room", "BuildingRoom", "interiorBuildingInstallation",
                      "buildingFurniture", "IntBuildingInstallation", "lod4Solid", "lod4MultiSurface"})
SIMPLE = {"function": "function", "usage": "usage", "roofType": "roofType", "class": "class",
          "yearOfConstruction": "yearOfConstruction", "storeysAboveGround": "storeysAboveGround",
          "storeysBelowGround": "storeysBelowGround"}
GENERIC = frozenset({"stringAttribute", "intAttribute", "doubleAttribute", "dateAttribute", "uriAttribute",
                     "measureAttribute", "StringAttribute", "IntAttribute", "DoubleAttribute", "DateAttribute",
                     "UriAttribute", "MeasureAttribute"})
#: a polygon whose outer ring is not numbers, not finite or under 3 points
UNUSABLE = "building surface: coordinates not numbers, not finite or under 3 points (dropped)"
_ATTRIBUTE_NAMES = frozenset({*SIMPLE, "measuredHeight", "name", "height", *GENERIC, "genericAttribute"})
_LOD = re.compile(r"lod([0-3])(Solid|MultiSurface|CompositeSurface|FootPrint|RoofEdge|Geometry)$")
_HREF = "{http://www.w3.org/1999/xlink}href"


def _id(elem: Any) -> str | None:
    return elem.get(_GML_ID[0]) or elem.get(_GML_ID[1])


def child_text(elem: Any, name: str) -> str:
    for child in elem:
        if _local(child) == name:
            return child.text or ""
    return ""


OBJECTS = frozenset({"Building", *PART_TAGS})
_NOTHING: tuple[None, None, None] = (None, None, None)
_OWNS, _HIDES, _SETS_LOD, _SETS_SEMANTIC, _PLAIN = range(5)
#: tag -> what it does to the polygons below it (see _kind), learnt once per tag
_KINDS: dict[Any, tuple[int, Any]] = {}


def _kind(tag: Any) -> tuple[int, Any]:
    """What an element with this tag does to the polygons below it: an object owns them, an interior
    feature hides them, a ``lodN...`` property sets their LoD (value; None: not drawn), a thematic
    surface their semantic type (value)."""
    name = tag.rpartition("}")[2] if isinstance(tag, str) else ""
    if name in OBJECTS:
        kind: tuple[int, Any] = (_OWNS, None)
    elif name in INTERIOR:
        kind = (_HIDES, None)
    elif name.startswith("lod"):
        m = _LOD.match(name)
        kind = (_SETS_LOD, int(m[1]) if m is not None else None)
    elif name in SURFACES:
        kind = (_SETS_SEMANTIC, name)
    else:
        kind = (_PLAIN, None)
    _KINDS[tag] = kind
    return kind
#: every srsName, xlink:href and srsDimension below a building, each with its element (one XPath call: it costs)
_REFS = "descendant::*/@srsName | descendant::*/@xlink:href | descendant::*/@srsDimension"
_GML_ID = tuple(f"{{{ns}}}id" for ns in GML)


@functools.lru_cache(maxsize=4)
def xpath(path: str) -> Any:
    from lxml import etree

    return etree.XPath(path, namespaces={"xlink": "http://www.w3.org/1999/xlink"})


class GmlBuilding:
    """One top-level Building element: its objects (building and parts) with surfaces per LoD.

    Each polygon is found by lxml's own (C) iteration and placed by walking up its few ancestors to
    the object that owns it: the nearest ``lodN...`` property gives its LoD, the nearest thematic
    surface its semantic type, an interior feature or a curve property leaves it out.
    """

    def __init__(self, elem: Any, number: int, stem: str) -> None:
        hrefs, dimensioned = [], []
        #: the first srsName of its geometry (an address's location point may be in another CRS)
        self.srs: str | None = None
        for ref in xpath(_REFS)(elem):
            name = ref.attrname
            if name == _HREF:
                hrefs.append(ref)
            elif name == "srsDimension":
                dimensioned.append(ref.getparent())
            elif self.srs is None and not _in_address(ref.getparent()):
                self.srs = str(ref)
        self.vertices = Vertices(elem, dimensioned)
        self.noted: dict[str, int] = {}
        self.dropped: dict[str, int] = {}  # surfaces left out, as the CityJSON reader's are: skipped
        self.objects: dict[str, dict] = {}
        self.polygons: dict[str, list[list[int]] | None] = {}  # gml:id -> rings (None: unusable), for xlink:href
        self._memo: dict[Any, tuple[Any, int | None, str | None]] = {}
        ids: dict[Any, str] = {elem: _id(elem) or f"{stem}:{number}"}
        parents: dict[str, str | None] = {ids[elem]: None}
        for n, part in enumerate(elem.iter("{*}BuildingPart", "{*}BuildingInstallation"), 1):
            owner = self._context(part.getparent())[0]
            if owner is None:
                continue  # an interior installation
            ids[part] = _id(part) or f"{ids[elem]}:part{n}"
            parents[ids[part]] = ids.get(owner)
        surfaces: dict[str, dict[int, list]] = {oid: {} for oid in parents}
        refs_of: dict[str, list[tuple[int, str | None, str]]] = {oid: [] for oid in parents}
        placed = [(polygon, place) for polygon in elem.iter(*POLYGONS)
                  if (place := self._place(polygon)) is not None and place[0] in ids]
        for (polygon, (owner, lod, semantic)), rings in zip(placed, self.vertices.read([p for p, _ in placed])):
            pid = _id(polygon)
            if pid:
                self.polygons[pid] = rings
            if rings is not None:
                surfaces[ids[owner]].setdefault(lod, []).append((rings, semantic, pid))
            else:
                self.dropped[UNUSABLE] = self.dropped.get(UNUSABLE, 0) + 1
        for ref in hrefs:
            place = self._place(ref.getparent()) if ref.startswith("#") else None
            if place is not None and place[0] in ids:
                refs_of[ids[place[0]]].append((place[1], place[2], ref[1:]))
        for obj, oid in ids.items():
            self._object(obj, oid, parents[oid], surfaces[oid], refs_of[oid])

    @property
    def n_points(self) -> int:
        return len(self.vertices.xyz)

    def _context(self, node: Any) -> tuple[Any, int | None, str | None]:
        """(owning object, LoD, semantic type) that hold for ``node`` and all below it (owner None:
        not drawn). Memoised per element: the polygons of one surface share all their ancestors."""
        memo = self._memo
        if (state := memo.get(node)) is not None:
            return state
        chain = []
        state = _NOTHING  # above the top: nothing owns it
        while node is not None:
            tag = node.tag
            kind = _KINDS.get(tag) or _kind(tag)
            chain.append((node, kind))
            if kind[0] == _OWNS:
                break
            node = node.getparent()
            if (known := memo.get(node)) is not None:
                state = known
                break
        for element, (what, value) in reversed(chain):
            if what == _OWNS:
                state = (element, None, None)
            elif what == _HIDES or state[0] is None:
                state = _NOTHING
            elif what == _SETS_LOD:  # curves, terrain intersections, implicit geometry (value None): not drawn
                state = (state[0], value, state[2]) if value is not None else _NOTHING
            elif what == _SETS_SEMANTIC:
                state = (state[0], state[1], value)
            memo[element] = state
        return state

    def _place(self, node: Any) -> tuple[Any, int, str | None] | None:
        """(owning object, LoD, semantic type) of a polygon or reference; None if it is not drawn."""
        owner, lod, semantic = self._context(node.getparent())
        return (owner, lod, semantic) if owner is not None and lod is not None else None

    def feature(self, lat_first: bool) -> tuple[dict, np.ndarray]:
        """(CityObjects, vertices) in CityJSON's form, x and y swapped where the CRS is lat/lon."""
        return self.objects, self.vertices.xyz[:, [1, 0, 2]] if lat_first else self.vertices.xyz

    # -- objects -------------------------------------------------------------------------------
    def _object(self, elem: Any, oid: str, parent: str | None, surfaces: dict[int, list], refs: list) -> None:
        kind = "Building" if parent is None and _local(elem) == "Building" else _local(elem)
        outside = "building surface: xlink:href to a polygon outside its building (left out)"
        for lod, semantic, ref in refs:
            if ref not in self.polygons:
                self.noted[outside] = self.noted.get(outside, 0) + 1
            elif (rings := self.polygons[ref]) is not None:  # None: unusable, counted as such once
                surfaces.setdefault(lod, []).append((rings, semantic, ref))
        entry: dict = {"type": kind,
                       "geometry": [g for lod in sorted(surfaces) if (g := self._geometry(lod, surfaces[lod]))]}
        if attributes := self._attributes(elem):
            entry["attributes"] = attributes
        if parent is not None:
            entry["parents"] = [parent]
            self.objects[parent].setdefault("children", []).append(oid)
        self.objects[oid] = entry

    def _attributes(self, elem: Any) -> dict[str, Any]:
        attributes: dict[str, Any] = {}
        for child in elem:
            name = _local(child)
            if name not in _ATTRIBUTE_NAMES:
                continue  # geometry, parts, addresses: most of a building's children
            if name in SIMPLE or name in ("measuredHeight", "name"):
                self._attribute(child, name, attributes)
            elif name == "height":  # CityGML 3.0: con:height/con:Height/con:value
                value = next((v for v in child.iter("{*}value")), None)
                if value is not None:
                    self._attribute(value, "measuredHeight", attributes)
            elif name in GENERIC:
                self._generic(child, attributes)
            elif name == "genericAttribute":  # CityGML 3.0 wraps each one
                for inner in child:
                    if _local(inner) in GENERIC:
                        self._generic(inner, attributes)
        return attributes

    # -- attributes ----------------------------------------------------------------------------
    @staticmethod
    def _attribute(child: Any, name: str, attributes: dict) -> None:
        text = (child.text or "").strip()
        if not text:
            return
        if name == "measuredHeight":
            try:
                attributes["measuredHeight"] = float(text)
            except ValueError:
                pass
        elif name == "name":
            attributes.setdefault("name", text)
        elif name in ("storeysAboveGround", "storeysBelowGround", "yearOfConstruction"):
            attributes[name] = int(text[:4]) if text[:4].isdigit() else text
        else:
            attributes[SIMPLE[name]] = text

    @staticmethod
    def _generic(child: Any, attributes: dict) -> None:
        key = child.get("name") or child_text(child, "name")
        value = child_text(child, "value").strip()
        if key and value:
            kind = _local(child).lower()
            try:
                attributes[key] = int(value) if kind.startswith("int") else \
                    float(value) if kind.startswith(("double", "measure")) else value
            except ValueError:
                attributes[key] = value

    # -- geometry ------------------------------------------------------------------------------
    def _geometry(self, lod: int, found: list[tuple[list, str | None, str | None]]) -> dict | None:
        """One MultiSurface for an LoD: each polygon once (by id, then by its exact coordinates)."""
        kinds: list[dict] = []
        index: dict[str, int] = {}
        bounds, values, seen_ids = [], [], set()
        seen: dict[bytes, list[list[int]]] = {}  # the exteriors kept, by their sign
        key, signs = self.vertices.key, self.vertices.signs()
        for rings, semantic, pid in found:
            if pid is not None and pid in seen_ids:
                continue
            same = seen.setdefault(signs[rings[0][0]], [])
            if same and any(key(ring) == key(rings[0]) for ring in same):
                self.noted["building surface: repeated (drawn once)"] = \
                    self.noted.get("building surface: repeated (drawn once)", 0) + 1
                continue
            seen_ids.add(pid)
            same.append(rings[0])
            bounds.append(rings)
            if semantic is not None and semantic not in index:
                index[semantic] = len(kinds)
                kinds.append({"type": semantic})
            values.append(index.get(semantic) if semantic is not None else None)
        if not bounds:
            return None
        geometry: dict = {"type": "MultiSurface", "lod": str(lod), "boundaries": bounds}
        if kinds:
            geometry["semantics"] = {"surfaces": kinds, "values": values}
        return geometry


def _in_address(node: Any) -> bool:
    """Whether the element lies in an address (whose location point may be in another CRS)."""
    while node is not None:
        if _local(node) in ("address", "Address"):
            return True
        node = node.getparent()
    return False

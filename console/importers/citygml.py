"""CityGML 1.0/2.0/3.0 building files (``.gml``, ``.xml``, ``.gml.gz``) into the same rows as CityJSON.

Streamed: lxml's ``iterparse`` hands over one top-level Building at a time, which is read and then
cleared with everything before it, so a 1 GB file is read in the memory of its largest building.
Each Building (its BuildingParts and outer BuildingInstallations as parts, as CityJSON has them)
becomes one CityJSON feature, one MultiSurface per LoD 0–3 with the semantic type of each surface
(ground, wall, roof, closure, ...), and goes through the CityJSON reader: one footprint, height and
model code for both formats, so the scene and the platform need nothing new.

GML details that matter: ``gml:posList``, ``gml:pos`` and GML 2 ``gml:coordinates``; ``srsDimension``
where a 2D file says so; ``xlink:href`` to a polygon of the same building (an LoD2 Solid made of
the thematic surfaces' polygons: drawn once); the same ring twice in one LoD (drawn once, counted);
``srsName`` in every spelling pyproj and ``crs.py`` read, a geographic CRS's lat/lon order (EPSG:6697,
PLATEAU) honoured. ``measuredHeight``, ``function``, ``usage``, ``yearOfConstruction``,
``storeysAboveGround``, ``roofType``, ``gml:name`` and generic attributes become attributes.
A file cut short or broken keeps the buildings read before the break; the break is reported by line.
"""

from __future__ import annotations

import functools
import gzip
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from console.errors import UserError
from console.importers.cityjson import CityJsonReader
from console.importers.crs import resolve
from console.importers.gml_geometry import Vertices
from console.importers.gml_geometry import local as _local
from console.importers.report import ImportReport

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
_LOD = re.compile(r"lod([0-3])(Solid|MultiSurface|CompositeSurface|FootPrint|RoofEdge|Geometry)$")
_HREF = "{http://www.w3.org/1999/xlink}href"
#: Buildings are made rows together (one reprojection, one planarity pass) up to about this many vertices
#: (more saves no time and costs memory).
CHUNK_VERTICES = 10_000


def is_citygml(head: bytes) -> bool:
    """Whether the first bytes of a (decompressed) file are a CityGML document."""
    text = head[:65536]
    return text.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and b"CityModel" in text and b"citygml" in text


def open_stream(path: Path) -> IO[bytes]:
    """The file's bytes, decompressed on the fly if gzip-compressed."""
    with path.open("rb") as probe:
        gz = probe.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gz else path.open("rb")


def citygml_rows(path: Path, report: ImportReport, crs: str | None = None, force_crs: bool = False) -> list[dict]:
    """Rows of the Buildings in a CityGML file (parts merged), the file's break (if any) reported by line."""
    from lxml import etree

    rows: list[dict] = []
    readers: dict[str | None, CityJsonReader] = {}
    chunk: list[tuple[CityJsonReader, tuple[dict, np.ndarray]]] = []  # buildings read, not yet rows: one reader's
    chunk_vertices = 0
    extent: list[float] | None = None
    file_srs: str | None = None
    count = 0
    with open_stream(path) as stream:
        events = etree.iterparse(stream, events=("end",), tag=("{*}Envelope", "{*}Building"), huge_tree=True,
                                 remove_comments=True, resolve_entities=False, no_network=True)
        try:
            for _, elem in events:
                if _local(elem) == "Envelope":
                    if file_srs is None and _local(elem.getparent().getparent()) == "CityModel":
                        file_srs, extent = elem.get("srsName"), _envelope(elem)
                    continue
                member = elem.getparent()
                if member is None or _local(member) not in ("cityObjectMember", "featureMember", "member"):
                    continue  # a Building inside something else: read with it, never alone
                count += 1
                building = _Gml(elem, count, path.stem)
                srs = building.srs or file_srs
                lat_first = _lat_first(crs or srs)
                if srs not in readers:
                    box = extent if not (lat_first and extent) else [extent[i] for i in (1, 0, 2, 4, 3, 5)]
                    header = {"metadata": {"referenceSystem": srs, "geographicalExtent": box}}
                    readers[srs] = CityJsonReader(header, str(path), crs, report, force_crs=force_crs,
                                                  where="srsName")
                reader = readers[srs]
                if srs is None and crs is None and reader.project is None and reader.country is None:
                    named = _xpath(_COUNTRY)(elem)  # a hint for the refusal if the coordinates are projected
                    reader.country = str(named[0]).strip()[:60] or None if named else None
                if chunk and (readers[srs] is not chunk[0][0] or chunk_vertices > CHUNK_VERTICES):
                    rows += _rows(chunk)
                    chunk, chunk_vertices = [], 0
                chunk.append((readers[srs], building.feature(lat_first)))
                chunk_vertices += building.n_points
                report.repaired.update(building.noted)
                member.clear()
                while member.getprevious() is not None:
                    del member.getparent()[0]
        except etree.XMLSyntaxError as exc:
            line = exc.position[0] if exc.position else exc.lineno
            report.broken.append(f"{path.name} line {line}: not well-formed XML ({_short(exc.msg)}); "
                                 f"the {_buildings(count)} before it {'was' if count == 1 else 'were'} read")
        except (OSError, EOFError) as exc:
            report.broken.append(f"{path.name}: cut short or not readable ({_short(str(exc))}); "
                                 f"the {_buildings(count)} before it {'was' if count == 1 else 'were'} read")
    if chunk:
        rows += _rows(chunk)
    if not count and not report.broken:
        raise UserError(f"{path}: a CityGML file with no Building")
    return rows


def _rows(chunk: list[tuple[CityJsonReader, tuple[dict, np.ndarray]]]) -> list[dict]:
    """The rows of buildings read by one reader, made together (one reprojection for all)."""
    return chunk[0][0].rows_of([feature for _, feature in chunk])


def _buildings(count: int) -> str:
    return f"{count} building{'' if count == 1 else 's'}"


def _short(text: str | None) -> str:
    return (text or "unknown error").splitlines()[0][:100]


@functools.lru_cache(maxsize=64)
def _lat_first(srs: str | None) -> bool:
    """Whether the CRS writes latitude first (resolved once per name: a transformer costs ~0.1 s)."""
    if not srs:
        return False
    try:
        return resolve(srs, "").lat_first
    except UserError:
        return False  # the reader says what is wrong with it


def _id(elem: Any) -> str | None:
    return elem.get(_GML_ID[0]) or elem.get(_GML_ID[1])


def _envelope(elem: Any) -> list[float] | None:
    try:
        low, high = (np.array(_text(elem, name).split(), dtype=float) for name in ("lowerCorner", "upperCorner"))
    except ValueError:
        return None
    return [*low, *high] if len(low) == len(high) == 3 else None


def _text(elem: Any, name: str) -> str:
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
#: the country of a building's address: xAL 2's CountryName, xAL 3's Country/NameElement
_COUNTRY = (".//*[local-name()='CountryName' or (local-name()='NameElement' and parent::*[local-name()='Country'])]"
            "/text()")
_GML_ID = ("{http://www.opengis.net/gml}id", "{http://www.opengis.net/gml/3.2}id")


@functools.lru_cache(maxsize=4)
def _xpath(path: str) -> Any:
    from lxml import etree

    return etree.XPath(path, namespaces={"xlink": "http://www.w3.org/1999/xlink"})


class _Gml:
    """One top-level Building element: its objects (building and parts) with surfaces per LoD.

    Each polygon is found by lxml's own (C) iteration and placed by walking up its few ancestors to
    the object that owns it: the nearest ``lodN...`` property gives its LoD, the nearest thematic
    surface its semantic type, an interior feature or a curve property leaves it out.
    """

    def __init__(self, elem: Any, number: int, stem: str) -> None:
        refs = _xpath(_REFS)(elem)
        self.vertices = Vertices(elem, [v.getparent() for v in refs if v.attrname == "srsDimension"])
        #: the first srsName of its geometry (an address's location point may be in another CRS)
        self.srs: str | None = next((str(v) for v in refs if v.attrname == "srsName" and
                                     not _in_address(v.getparent())), None)
        self.noted: dict[str, int] = {}
        self.objects: dict[str, dict] = {}
        self.polygons: dict[str, list[list[int]]] = {}  # gml:id -> rings, for xlink:href
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
        placed = [(polygon, place) for polygon in elem.iter("{*}Polygon", "{*}Triangle", "{*}Rectangle")
                  if (place := self._place(polygon)) is not None and place[0] in ids]
        for (polygon, (owner, lod, semantic)), rings in zip(placed, self.vertices.read([p for p, _ in placed])):
            if rings is not None:
                pid = _id(polygon)
                if pid:
                    self.polygons[pid] = rings
                surfaces[ids[owner]].setdefault(lod, []).append((rings, semantic, pid))
        for ref in refs:
            href = str(ref)
            place = self._place(ref.getparent()) if ref.attrname == _HREF and href.startswith("#") else None
            if place is not None and place[0] in ids:
                refs_of[ids[place[0]]].append((place[1], place[2], href[1:]))
        for obj, oid in ids.items():
            self._object(obj, oid, parents[oid], surfaces[oid], refs_of[oid])

    @property
    def n_points(self) -> int:
        return len(self.vertices.xyz)

    def _context(self, node: Any) -> tuple[Any, int | None, str | None]:
        """(owning object, LoD, semantic type) that hold for ``node`` and all below it (owner None:
        not drawn). Memoised per element: the polygons of one surface share all their ancestors."""
        memo = self._memo
        chain = []
        while node is not None and node not in memo:
            kind = _KINDS.get(node.tag) or _kind(node.tag)
            chain.append((node, kind))
            if kind[0] == _OWNS:
                break
            node = node.getparent()
        state = memo.get(node, _NOTHING) if node is not None and not (chain and chain[-1][0] is node) else _NOTHING
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
            if ref in self.polygons:
                surfaces.setdefault(lod, []).append((self.polygons[ref], semantic, ref))
            else:
                self.noted[outside] = self.noted.get(outside, 0) + 1
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
        key = child.get("name") or _text(child, "name")
        value = _text(child, "value").strip()
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
        bounds, values, seen_ids, seen_rings = [], [], set(), set()
        for rings, semantic, pid in found:
            if pid is not None and pid in seen_ids:
                continue
            key = self.vertices.key(rings[0])
            if key in seen_rings:
                self.noted["building surface: repeated (drawn once)"] = \
                    self.noted.get("building surface: repeated (drawn once)", 0) + 1
                continue
            seen_ids.add(pid)
            seen_rings.add(key)
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


def stream_buildings(path: Path) -> Iterator[Any]:
    """Bare lxml: every top-level Building element of the file, cleared after (for the benchmark baseline)."""
    from lxml import etree

    with open_stream(path) as stream:
        for _, elem in etree.iterparse(stream, events=("end",), tag="{*}Building", huge_tree=True):
            member = elem.getparent()
            if member is not None and _local(member) in ("cityObjectMember", "featureMember", "member"):
                yield elem
                member.clear()
                while member.getprevious() is not None:
                    del member.getparent()[0]

"""CityGML 1.0/2.0/3.0 building files (``.gml``, ``.xml``, ``.gml.gz``) into the same rows as CityJSON.

Streamed: lxml's ``iterparse`` hands over one top-level Building at a time, which is read and then
cleared with everything before it, so a 1 GB file is read in the memory of its largest building.
Each Building (its BuildingParts and outer BuildingInstallations as parts, as CityJSON has them)
becomes one CityJSON feature (gml_building.py), one MultiSurface per LoD 0–3 with the semantic type of each surface
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
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from console.errors import UserError
from console.importers.cityjson import CityJsonReader
from console.importers.crs import resolve
from console.importers.gml_building import GmlBuilding, child_text, xpath
from console.importers.gml_geometry import local as _local
from console.importers.report import ImportReport

#: Buildings are made rows together (one reprojection, one planarity pass) up to about this many vertices
#: (more saves no time and costs memory).
CHUNK_VERTICES = 10_000
#: the country of a building's address: xAL 2's CountryName, xAL 3's Country/NameElement
_COUNTRY = (".//*[local-name()='CountryName' or (local-name()='NameElement' and parent::*[local-name()='Country'])]"
            "/text()")


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
                                 remove_blank_text=True, remove_comments=True, resolve_entities=False, no_network=True)
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
                building = GmlBuilding(elem, count, path.stem)
                srs = building.srs or file_srs
                lat_first = _lat_first(crs or srs)
                if srs not in readers:
                    box = extent if not (lat_first and extent) else [extent[i] for i in (1, 0, 2, 4, 3, 5)]
                    header = {"metadata": {"referenceSystem": srs, "geographicalExtent": box}}
                    readers[srs] = CityJsonReader(header, str(path), crs, report, force_crs=force_crs,
                                                  where="srsName")
                reader = readers[srs]
                if srs is None and crs is None and reader.project is None and reader.country is None:
                    named = xpath(_COUNTRY)(elem)  # a hint for the refusal if the coordinates are projected
                    reader.country = str(named[0]).strip()[:60] or None if named else None
                if chunk and (readers[srs] is not chunk[0][0] or chunk_vertices > CHUNK_VERTICES):
                    rows += _rows(chunk)
                    chunk, chunk_vertices = [], 0
                chunk.append((readers[srs], building.feature(lat_first)))
                chunk_vertices += building.n_points
                report.repaired.update(building.noted)
                report.skipped.update(building.dropped)
                # the ~100 elements it placed go now, while their building still has its own: freed after
                # it, each would make lxml look through the whole cleared building for others (~4% of a read)
                del building
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
    return chunk[0][0].rows_of([feature for _, feature in chunk], made=True)


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


def _envelope(elem: Any) -> list[float] | None:
    try:
        low, high = (np.array(child_text(elem, name).split(), dtype=float) for name in ("lowerCorner", "upperCorner"))
    except ValueError:
        return None
    return [*low, *high] if len(low) == len(high) == 3 else None


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

"""The coordinates of one CityGML building's polygons as numbered vertices, read in one go.

A building has a few dozen rings of a handful of points each, so what costs is the per-ring work in
Python, not the arithmetic: each ring's text becomes numbers with one call, and the checks on all of
the building's rings (finite numbers, a closing point to drop) and the keys that find a repeated
surface are a few vectorised calls for the whole building.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

COORDINATES = ("{*}posList", "{*}pos", "{*}coordinates")
RINGS = ("{*}LinearRing", "{*}Ring")
POLYGONS = ("{*}Polygon", "{*}Triangle", "{*}Rectangle")
_COORDINATE_NAMES = frozenset({"posList", "pos", "coordinates"})
GML = ("http://www.opengis.net/gml", "http://www.opengis.net/gml/3.2")  # GML 2 and 3.1; 3.2 (CityGML 3.0)
_LINEAR_RINGS = frozenset(f"{{{ns}}}LinearRing" for ns in GML)
_POS_LISTS = frozenset(f"{{{ns}}}posList" for ns in GML)

_LOCAL: dict[str, str] = {}


def local(elem: Any) -> str:
    """The element's name without its namespace (memoised: called for every ancestor of every polygon)."""
    tag = elem.tag
    if not isinstance(tag, str):
        return ""
    name = _LOCAL.get(tag)
    if name is None:
        name = _LOCAL[tag] = tag.rpartition("}")[2]
    return name


class Vertices:
    """One building's vertices (``xyz``, in reading order) and its polygons' rings as vertex numbers."""

    def __init__(self, top: Any, dimensioned: list[Any]) -> None:
        """``top``: the building element; ``dimensioned``: the elements below it that have a srsDimension."""
        self.xyz = np.zeros((0, 3))
        self._top = top
        self._dims: dict[Any, int] = {}  # element -> srsDimension in force there
        self._outer: int | None = None
        #: where only coordinate elements say their srsDimension (or none does): the building's for the rest
        self._outer = self._dimension(top) if all(local(e) in _COORDINATE_NAMES for e in dimensioned) else None
        self._lengths: list[int] = []  # of each ring numbered, in order: they cover xyz
        self._sorted: np.ndarray | None = None
        self._signs: dict[int, bytes] | None = None  # ring's first vertex -> its sign

    def read(self, polygons: list[Any]) -> list[list[list[int]] | None]:
        """Each polygon's rings (exterior first), numbered on from the vertices read before; None where
        its exterior is unusable (not numbers, not finite, under 3 points). A hole that is: left out.

        A ring that is one 3D posList (nearly all) only has its text split here: the numbers of all of
        them are converted in one call; any other ring is read on its own."""
        if (scanned := self._scan(polygons)) is not None:
            try:
                return self._plain(*scanned)
            except (ValueError, _NotPlain):
                pass  # some ring's text is not numbers, or not finite
        words: list[str] = []
        plain: list[tuple[int, int]] = []  # (ring, its first word), rings of 3 numbers a point
        other: list[tuple[int, np.ndarray]] = []
        layout: list[list[int]] = []  # per polygon, per ring: its number, -1 if unusable
        count = 0
        for polygon in polygons:
            rings = []
            for ring in polygon.iter(*RINGS):
                elems = list(ring.iter(*COORDINATES))
                if len(elems) == 1 and local(elems[0]) == "posList" and self._dimension(elems[0]) == 3:
                    split = (elems[0].text or "").split()
                    if len(split) % 3 or len(split) < 9:
                        rings.append(-1)
                        continue
                    plain.append((count, len(words)))
                    words += split
                else:
                    xyz = self._coordinates(elems)
                    if xyz is None or len(xyz) < 3:
                        rings.append(-1)
                        continue
                    other.append((count, xyz))
                rings.append(count)
                count += 1
            layout.append(rings)
        usable: list[bool] = [False] * count
        starts: list[int] = [0] * count
        kept: list[int] = [0] * count  # per ring: its points less a closing one
        if count:
            points, order = self._points(words, plain, other)
            sizes = np.fromiter((len(xyz) for _, xyz in order), dtype=np.int64, count=len(order))
            first = np.cumsum(sizes) - sizes
            finite = np.logical_and.reduceat(np.isfinite(points).all(axis=1), first)
            closed = (points[first] == points[first + sizes - 1]).all(axis=1)
            for (k, _), ok, start, length in zip(order, finite.tolist(), first.tolist(), (sizes - closed).tolist()):
                usable[k], starts[k], kept[k] = ok, start, length
        out: list[list[list[int]] | None] = []
        runs: list[tuple[int, int]] = []  # (start in points, length) of each ring numbered
        n = len(self.xyz)
        for rings in layout:
            numbered: list[list[int]] = []
            for k in rings:
                if k < 0 or not usable[k]:
                    if not numbered:
                        break  # its exterior
                    continue
                numbered.append(list(range(n, n + kept[k])))
                runs.append((starts[k], kept[k]))
                self._lengths.append(kept[k])
                n += kept[k]
            out.append(numbered or None)
        if runs:
            at, length = np.array(runs, dtype=np.int64).T
            offset = np.cumsum(length) - length
            self.xyz = np.concatenate([self.xyz, points[np.arange(int(length.sum())) + np.repeat(at - offset, length)]])
            self._sorted = self._signs = None
        return out

    def _scan(self, polygons: list[Any]) -> tuple[list[str], list[int], list[int], list[list[int]]] | None:
        """Where every ring of ``polygons`` is a LinearRing of one 3D posList of at least 3 points (nearly
        every file): (its words less a closing point written as the first, the points of each ring in
        them, the rings not closed that way, per polygon its rings); None otherwise.

        One pass of lxml's own iteration over the building's polygons, rings and coordinates in
        document order, each ring checked to lie in the polygon before it: a few C calls a ring,
        where asking each polygon for its rings and each ring for its coordinates cost several times that."""
        where = {polygon: k for k, polygon in enumerate(polygons)}
        layout: list[list[int]] = [[] for _ in polygons]
        words: list[str] = []
        sizes: list[int] = []
        unsure: list[int] = []
        polygon = ring = None
        rings: list[int] | None = None
        for elem in self._top.iter(*POLYGONS, *RINGS, *COORDINATES):
            k = where.get(elem)
            if k is not None:
                if ring is not None:
                    return None  # the ring before had no coordinates
                polygon, rings = elem, layout[k]
                continue
            if rings is None:
                continue  # in a polygon not drawn, or outside every polygon
            parent = elem.getparent()
            if ring is None and parent.getparent() is polygon and elem.tag in _LINEAR_RINGS:
                ring = elem
                continue
            if ring is not None and parent is ring and elem.tag in _POS_LISTS and self._dimension(elem) == 3:
                split = (elem.text or "").split()
                if len(split) % 3 or len(split) < 9:
                    return None
                rings.append(len(sizes))
                if split[:3] == split[-3:]:
                    del split[-3:]
                else:
                    unsure.append(len(sizes))  # "1.0" and "1.00" may still close it: checked as numbers
                sizes.append(len(split) // 3)
                words += split
                ring = None
                continue
            if ring is not None or any(up is polygon for up in elem.iterancestors()):
                return None  # anything else in a drawn polygon (a gml:Ring, a pos): read the general way
            rings = None  # past the polygon's end (an address's point, a surface patch): not ours
        return (words, sizes, unsure, layout) if ring is None and all(layout) else None

    def _plain(self, words: list[str], sizes: list[int], unsure: list[int],
               layout: list[list[int]]) -> list[list[list[int]] | None]:
        """read() of what _scan found: the numbers in one call, the rings numbered in order."""
        points = np.array(words, dtype=float).reshape(-1, 3)
        if not np.isfinite(points).all():
            raise _NotPlain
        if unsure:
            first = np.cumsum(sizes) - sizes
            which = np.array(unsure)
            last = first[which] + np.array(sizes)[which] - 1
            closed = (points[first[which]] == points[last]).all(axis=1)
            if closed.any():
                keep = np.ones(len(points), dtype=bool)
                keep[last[closed]] = False
                points = points[keep]
                for k in which[closed].tolist():
                    sizes[k] -= 1
        starts, at = [], len(self.xyz)
        for size in sizes:
            starts.append(at)
            at += size
        self.xyz = np.concatenate([self.xyz, points]) if len(self.xyz) else points
        self._lengths += sizes
        self._sorted = self._signs = None
        return [[list(range(starts[k], starts[k] + sizes[k])) for k in rings] for rings in layout]

    def signs(self) -> dict[int, bytes]:
        """Per ring (by its first vertex), what two rings with the same key share: its points and each
        column's least and greatest value, for all rings at once. Most rings differ in it, and then no
        key need be worked out."""
        if self._signs is None:
            lengths = self._lengths
            starts = list(itertools.accumulate(lengths[:-1], initial=0))
            low, high = np.minimum.reduceat(self.xyz, starts), np.maximum.reduceat(self.xyz, starts)
            data = np.column_stack([lengths, low, high]).tobytes()  # 7 numbers a ring
            row = len(data) // len(lengths)
            self._signs = {at: data[k:k + row] for at, k in zip(starts, range(0, len(data), row))}
        return self._signs

    def key(self, ring: list[int]) -> bytes:
        """A ring's identity whatever its first point and direction: its coordinates, each column sorted."""
        if self._sorted is None:  # every ring's columns sorted, in one go: lexsort by ring, then value
            of = np.repeat(np.arange(len(self._lengths)), self._lengths)
            self._sorted = np.column_stack([c[np.lexsort((c, of))] for c in self.xyz.T])
        return self._sorted[ring[0]:ring[0] + len(ring)].tobytes()

    @staticmethod
    def _points(words: list[str], plain: list[tuple[int, int]],
                other: list[tuple[int, np.ndarray]]) -> tuple[np.ndarray, list[tuple[int, np.ndarray]]]:
        """Every ring's points in one array, and (ring, points) in the order they lie there."""
        try:
            block = np.array(words, dtype=float).reshape(-1, 3)
        except ValueError:  # some ring's text is not numbers: each one on its own, those left out
            block = np.zeros((0, 3))
            for (k, at), stop in zip(plain, [start for _, start in plain[1:]] + [len(words)]):
                try:
                    other.append((k, np.array(words[at:stop], dtype=float).reshape(-1, 3)))
                except ValueError:
                    continue
            plain = []
        stops = [start // 3 for _, start in plain[1:]] + [len(block)]
        order = [(k, block[at // 3:stop]) for (k, at), stop in zip(plain, stops)] + other
        return (np.concatenate([block, *(xyz for _, xyz in other)]) if other else block), order

    def _coordinates(self, elems: list[Any]) -> np.ndarray | None:
        """A ring's points (n, 3), z 0 where the file is 2D; None if they are not numbers."""
        chunks: list[np.ndarray] = []
        for elem in elems:
            text = elem.text or ""
            dim = self._dimension(elem)
            try:
                if local(elem) == "coordinates":
                    values = np.array([[float(c) for c in t.split(",")] for t in text.split()], dtype=float)
                    dim = values.shape[1] if values.ndim == 2 else 3
                    values = values.ravel()
                else:
                    values = np.array(text.split(), dtype=float)
            except ValueError:
                return None
            if dim not in (2, 3) or len(values) % dim:
                return None
            points = values.reshape(-1, dim)
            chunks.append(points if dim == 3 else np.column_stack([points, np.zeros(len(points))]))
        if not chunks:
            return None
        return chunks[0] if len(chunks) == 1 else np.concatenate(chunks)

    def _dimension(self, elem: Any) -> int:
        """srsDimension of the element or its nearest ancestor that says, else 3 (memoised per element)."""
        if self._outer is not None:
            own = elem.get("srsDimension")
            return self._outer if own is None else _integer(own)
        chain = []
        node = elem
        while node is not None and node not in self._dims:
            chain.append(node)
            if (value := node.get("srsDimension")) is not None:
                dim = _integer(value)
                break
            node = node.getparent()
        else:
            dim = self._dims[node] if node is not None else 3
        for seen in chain:
            self._dims[seen] = dim
        return dim


class _NotPlain(Exception):
    """Some ring's numbers are not finite: read() takes each ring on its own."""


def _integer(text: str) -> int:
    """An srsDimension's value; 0 (no dimension a ring can have) if it is not a whole number."""
    try:
        return int(text)
    except ValueError:
        return 0

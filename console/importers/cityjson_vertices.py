"""Where a CityJSON file's vertices lie: its transform and CRS, checked, and its vertices in lon/lat.

The CRS is the file's own (``metadata.referenceSystem``; CityGML's ``srsName``) or ``--crs``,
refused where they disagree, where it lands the first vertices off the Earth or outside its area of
use, or where there is none and the coordinates are not lon/lat (NoCrs: the refusal ranks the CRSs
that would place them). Vertices become WGS84 lon/lat and z in metres with one pyproj call for any
number of features, NaN where malformed or off the Earth.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from console.errors import UserError
from console.importers.crs import NoCrs, Resolved, check_area, resolve, same_crs
from console.importers.report import ImportReport

MAX_Z_M = 20_000.0  # metres from the CRS's zero: higher or deeper is no building's vertex


class VertexReader:
    """A file's transform and CRS (its own or ``--crs``, checked on its first vertices), and its
    features' vertices through them into WGS84 lon/lat and metres."""

    def __init__(self, header: dict, source: str, crs: str | None, report: ImportReport, *,
                 force_crs: bool = False, where: str = "metadata.referenceSystem") -> None:
        self.source, self.report, self.crs, self.force_crs, self.where = source, report, crs, force_crs, where
        meta = header.get("metadata")
        self.named = meta.get("referenceSystem") if isinstance(meta, dict) else None
        extent = meta.get("geographicalExtent") if isinstance(meta, dict) else None
        self.extent = _extent(extent)
        transform = header.get("transform")
        try:
            self.scale = np.array(transform["scale"] if transform else (1, 1, 1), dtype=float).reshape(3)
            self.shift = np.array(transform["translate"] if transform else (0, 0, 0), dtype=float).reshape(3)
        except (TypeError, KeyError, ValueError, OverflowError):
            raise UserError(f"{source}: malformed CityJSON transform (scale and translate, 3 numbers each)") from None
        self.project: Any = None
        self.z_factor = 1.0
        self.country: str | None = None  # the country the file's addresses name: a hint where it names no CRS

    # -- vertices ------------------------------------------------------------------------------
    def _xyz(self, raw: Any) -> np.ndarray:
        """The feature's vertices in the file's CRS (n, 3), through the transform; NaN where malformed."""
        if isinstance(raw, np.ndarray):
            xyz = raw.astype(float).reshape(-1, 3)
        else:
            if not isinstance(raw, list):
                raw = []
            try:
                xyz = np.array(raw, dtype=float).reshape(len(raw), 3)
            except (ValueError, TypeError, OverflowError):
                xyz = np.array([_position(v) for v in raw], dtype=float).reshape(len(raw), 3)
        with np.errstate(all="ignore"):
            xyz = xyz * self.scale + self.shift
        xyz[~np.isfinite(xyz).all(axis=1)] = np.nan
        return xyz

    def _vertices(self, xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(lon/lat (n, 2), z in metres (n,)); NaN where a vertex is malformed or off the Earth.
        One pyproj call for any number of features' vertices (a transformation is per point)."""
        lon, lat = self.project(xyz[:, 0], xyz[:, 1]) if len(xyz) else (xyz[:, 0], xyz[:, 1])
        lonlat, z = np.column_stack([lon, lat]), xyz[:, 2] * self.z_factor
        with np.errstate(invalid="ignore"):
            off = ~((np.abs(lonlat) <= (180, 90)).all(axis=1) & (np.abs(z) <= MAX_Z_M))
        lonlat[off], z[off] = np.nan, np.nan
        return lonlat, z

    def _choose_crs(self, xyz: np.ndarray) -> None:
        """The CRS to read the file in, checked on its first vertices: refused (UserError) where it
        contradicts the file's own, or lands them off the Earth or outside its area of use."""
        xy = xyz[np.isfinite(xyz).all(axis=1), :2]
        named = self.named if isinstance(self.named, str) and self.named.strip() else None
        if self.named is not None and named is None and self.crs is None:
            raise UserError(f"{self.source}: unreadable CRS ({self.where} is not text); "
                            "state it with --crs EPSG:xxxx")
        if named is None and self.crs is None:
            if not (len(xy) and (np.abs(xy[:, 0]) <= 180).all() and (np.abs(xy[:, 1]) <= 90).all()):
                if not len(xy):
                    raise UserError(f"{self.source}: no CRS ({self.where}) and no usable coordinates")
                raise NoCrs(self.source, xy, self.where, country=self.country)
            self.project = lambda x, y: (x, y)
            self.report.notes.append(f"{self.source} names no CRS: its coordinates look like lon/lat and were "
                                     "read as WGS84")
            return
        found = self.resolved(named, xy)
        self.project, self.z_factor = found.project, found.z_factor
        if len(xy):
            x, y = np.median(xy, axis=0)
            lon, lat = (float(np.ravel(v)[0]) for v in found.project(np.array([x]), np.array([y])))
            if problem := check_area(found, lon, lat, self.source, given=self.crs is not None):
                if not self.force_crs:
                    raise UserError(problem)
                self.report.notes.append(f"{problem.split('; ')[0]} (kept: --force-crs)")
            if self.extent is not None and not _inside(self.extent, float(x), float(y)):
                self.report.notes.append(f"{self.source}: its buildings lie outside the extent the file declares")

    def resolved(self, named: str | None, xy: np.ndarray) -> Resolved:
        """The file's own CRS, or ``--crs``: refused where both are known and disagree (unless forced)."""
        own = None
        if named is not None:
            try:
                own = resolve(named, self.source)
            except UserError:
                if self.crs is None:
                    raise
        if self.crs is None:
            assert own is not None
            return own
        given = resolve(self.crs, self.source, given=True)
        if own is not None and not same_crs(own, given):
            if not self.force_crs:
                raise UserError(f"{self.source}: --crs {given.label} contradicts the file's own CRS {own.label}; "
                                "add --force-crs to read it in the CRS given")
            self.report.notes.append(f"{self.source}: read in --crs {given.label}, not its own {own.label} "
                                     "(--force-crs)")
        return given


def _extent(value: Any) -> tuple[float, ...] | None:
    """A declared (minx, miny, minz, maxx, maxy, maxz), or None if it is not six finite numbers."""
    try:
        numbers = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return numbers if len(numbers) == 6 and all(map(math.isfinite, numbers)) else None


def _inside(extent: tuple[float, ...], x: float, y: float) -> bool:
    """Whether (x, y) lies in the extent, give or take a tenth of its size (and a metre)."""
    slack = 0.1 * max(extent[3] - extent[0], extent[4] - extent[1]) + 1.0
    return extent[0] - slack <= x <= extent[3] + slack and extent[1] - slack <= y <= extent[4] + slack


def _position(v: Any) -> list[float]:
    try:
        return [float(c) for c in v] if isinstance(v, list) and len(v) == 3 else [math.nan] * 3
    except (TypeError, ValueError, OverflowError):
        return [math.nan] * 3

"""Coordinate reference systems named by the files the importers read, resolved once, by pyproj, and
the checks that a reprojection put the buildings where that CRS can put anything.

Files name their CRS in many spellings: ``EPSG:28992``, ``urn:ogc:def:crs:EPSG::7415``,
``https://www.opengis.net/def/crs/EPSG/0/7415``, compound URNs
(``urn:ogc:def:crs,crs:EPSG::25832,crs:EPSG::5783``) and the German surveying authorities' names
(``urn:adv:crs:DE_DHDN_3GK4*DE_DHHN92_NH``). pyproj reads most; the EPSG code is tried where it
does not, and the AdV names map to their EPSG codes. A compound CRS is reprojected by its
horizontal part, and its height unit gives the factor to metres.

A wrong CRS does not fail: it lands the buildings somewhere else. So where they landed is checked
against the CRS's area of use (pyproj's database), and with no CRS at all the few projected CRSs
whose area of use holds the coordinates, once inverse-projected, are named.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from pyproj import CRS

from console.errors import UserError

CRS_HINT = "state the right one with --crs EPSG:xxxx"
_EPSG = re.compile(r"(?i)EPSG(?:/\d+/|::?|:\d*:)(\d+)$")
#: The AdV's (German surveying) CRS names in CityGML srsName URNs -> EPSG codes.
ADV = {"DE_DHDN_3GK2": 31466, "DE_DHDN_3GK3": 31467, "DE_DHDN_3GK4": 31468, "DE_DHDN_3GK5": 31469,
       "ETRS89_UTM32": 25832, "ETRS89_UTM33": 25833, "DE_ETRS89_UTM32": 25832, "DE_ETRS89_UTM33": 25833,
       "DE_DHHN92_NH": 5783, "DE_DHHN2016_NH": 7837, "DE_DHHN12_NOH": 7699}
#: How far outside its area of use (which EPSG draws generously) a CRS may still place buildings.
AREA_MARGIN_KM = 50.0
Project = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Resolved:
    crs: CRS
    project: Project  # (x, y) in the CRS's easting/northing (or lon/lat) order -> (lon, lat) WGS84
    z_factor: float  # metres per z unit
    lat_first: bool  # a geographic CRS whose first axis is latitude: GML writes "lat lon"

    @property
    def label(self) -> str:
        code = self.crs.to_epsg(min_confidence=70)
        return f"EPSG:{code} ({self.crs.name})" if code else repr(self.crs.name)


def resolve(name: str, source: str, *, given: bool = False, hint: str = CRS_HINT) -> Resolved:
    """The CRS a name stands for; UserError if pyproj does not know it, naming ``--crs`` when the
    user ``given`` it, else ``source`` and ``hint``."""
    from pyproj import Transformer
    from pyproj.exceptions import CRSError, ProjError

    text = name.strip()
    if text.startswith("#") or text.lower().startswith("local"):
        raise UserError(f"{source}: coordinates in a local engineering CRS ({text[:60]!r}), with no place on the "
                        "Earth; export the model georeferenced (an EPSG CRS), or give its CRS with --crs")
    crs = None
    for spelling in (text, _adv(text), f"EPSG:{m[1]}" if (m := _EPSG.search(text)) else None):
        try:
            crs = CRS.from_user_input(spelling) if spelling else None
        except CRSError:
            continue
        if crs is not None:
            break
    if crs is None:
        raise UserError(f"--crs {name[:80]!r} is not a CRS pyproj knows (e.g. EPSG:28992)" if given else
                        f"{source}: unknown CRS {name[:80]!r} ({hint})")
    horizontal = _horizontal(crs)
    axes = (crs.sub_crs_list[-1] if crs.is_compound else crs).axis_info
    # z in the unit of the height axis, else (a 2D projected CRS) of the easting and northing: US feet, say
    z_factor = axes[-1].unit_conversion_factor if len(axes) in (1, 3) or crs.is_projected else 1.0
    try:
        transformer = Transformer.from_crs(horizontal.to_2d(), "OGC:CRS84", always_xy=True)
    except ProjError:
        raise UserError(f"{source}: no transformation from {crs.name!r} to WGS84") from None
    lat_first = horizontal.is_geographic and horizontal.axis_info[0].direction == "north"
    return Resolved(crs, transformer.transform, z_factor or 1.0, lat_first)


def resolve_crs(name: str, source: str, *, given: bool = False, hint: str = CRS_HINT) -> tuple[Project, float]:
    """(x, y) -> (lon, lat) for a CRS name, and metres per z unit (see ``resolve``)."""
    found = resolve(name, source, given=given, hint=hint)
    return found.project, found.z_factor


def same_crs(a: Resolved, b: Resolved) -> bool:
    """Whether two CRSs place x, y in the same spot (their horizontal parts are one CRS)."""
    return _horizontal(a.crs).to_2d().equals(_horizontal(b.crs).to_2d(), ignore_axis_order=True)


def _adv(text: str) -> str | None:
    """``urn:adv:crs:DE_DHDN_3GK4*DE_DHHN92_NH`` -> the compound EPSG URN pyproj reads."""
    if not text.lower().startswith("urn:adv:crs:"):
        return None
    codes = [ADV.get(part.strip()) for part in text[12:].split("*")]
    if not codes or None in codes:
        return None
    if len(codes) == 1:
        return f"EPSG:{codes[0]}"
    return "urn:ogc:def:crs," + ",".join(f"crs:EPSG::{c}" for c in codes)


def _horizontal(crs: CRS) -> CRS:
    return crs.sub_crs_list[0] if crs.is_compound else crs


# --- where the buildings landed ----------------------------------------------------------------

def area_of_use(found: Resolved) -> tuple[str, tuple[float, float, float, float]] | None:
    """(name, (west, south, east, north)) of the CRS's area of use, from its horizontal part if need be."""
    for crs in (found.crs, _horizontal(found.crs)):
        if crs.area_of_use is not None:
            a = crs.area_of_use
            return a.name, (a.west, a.south, a.east, a.north)
    return None


def km_outside(lon: float, lat: float, bounds: tuple[float, float, float, float]) -> float:
    """Kilometres from (lon, lat) to the nearest point of a lon/lat box (0 inside)."""
    from pyproj import Geod

    west, south, east, north = bounds
    if west > east:  # across the antimeridian
        inside_lon = lon >= west or lon <= east
        near = lon if inside_lon else min((west, east), key=lambda b: abs((lon - b + 180) % 360 - 180))
    else:
        near = min(max(lon, west), east)
    _, _, metres = Geod(ellps="WGS84").inv(lon, lat, near, min(max(lat, south), north))
    return metres / 1000.0


def check_area(found: Resolved, lon: float, lat: float, source: str, *, given: bool) -> str | None:
    """None if (lon, lat), where the buildings landed, lies in the CRS's area of use; else the
    reason to refuse them, with the distance and the likely cause."""
    cause = ("--crs is likely wrong for these coordinates" if given else
             "the file likely names the wrong CRS; state the right one with --crs and --force-crs")
    if not (math.isfinite(lon) and math.isfinite(lat) and abs(lon) <= 180 and abs(lat) <= 90):
        return f"{source}: with {found.label} the coordinates are not on the Earth (not degrees); {cause}"
    area = area_of_use(found)
    if area is None:
        return None
    name, bounds = area
    km = km_outside(lon, lat, bounds)
    if km <= AREA_MARGIN_KM:
        return None
    return (f"{source}: with {found.label} the buildings land at {_where(lon, lat)}, {km:,.0f} km outside its "
            f"area of use ({name}); {cause}")


def _where(lon: float, lat: float) -> str:
    return f"{abs(lat):.4f}°{'N' if lat >= 0 else 'S'} {abs(lon):.4f}°{'E' if lon >= 0 else 'W'}"


# --- which CRS, when none is named --------------------------------------------------------------

#: Areas of use larger than this (square degrees, scaled by the cosine of latitude) belong to
#: continental and world projections, which hold any coordinates and so name nothing.
MAX_AREA = 500.0


@functools.cache
def _projected() -> list[tuple[str, str, tuple[float, float, float, float], str]]:
    """(code, name, area bounds, area name) of every EPSG projected CRS in use with a regional area of use."""
    from pyproj.database import query_crs_info
    from pyproj.enums import PJType

    out = []
    for info in query_crs_info(auth_name="EPSG", pj_types=PJType.PROJECTED_CRS):
        a = info.area_of_use
        if a is None or a.west > a.east or a.north < -60:  # nobody runs a city in Antarctica
            continue
        if (a.east - a.west) * (a.north - a.south) * math.cos(math.radians((a.north + a.south) / 2)) <= MAX_AREA:
            out.append((info.code, info.name, (a.west, a.south, a.east, a.north), a.name))
    return out


def candidates(x: float, y: float, limit: int = 5, near: tuple[float, float] | None = None,
               country: str | None = None) -> list[str]:
    """"EPSG:code (name) at lat lon" of the projected CRSs that, inverse-projecting (x, y), land inside
    their own area of use: one per place (the one with the smallest area of use: a national grid
    before a UTM zone), nearest ``near`` (lon, lat: where the platform's city is) first, or without
    it those that land nearest the middle of their area first, where a CRS whose area of use names
    ``country`` (the file's own address says it) puts them first of all: the middle of an area
    is a weak hint, and UTM coordinates fit every zone of both hemispheres.

    Only the projection is inverted (pyproj ``Proj``: no datum shift, a few hundred metres at most,
    nothing at this scale): ~50× faster than a transformation per CRS, ~2 s for all of EPSG's.
    """
    from pyproj import Proj
    from pyproj.exceptions import CRSError

    named = re.compile(rf"(?i)\b{re.escape(country.strip())}\b") if country and country.strip() else None
    best: dict[tuple[int, int], tuple[float, tuple[bool, float], str]] = {}  # place -> (rank, area, text)
    for code, name, (west, south, east, north), area_name in _projected():
        try:
            proj = Proj(f"EPSG:{code}")
            lon, lat = proj(x, y, inverse=True, errcheck=True)
            back = proj(lon, lat, errcheck=True)
        except (CRSError, RuntimeError, ValueError):
            continue
        if not (west <= lon <= east and south <= lat <= north and math.hypot(back[0] - x, back[1] - y) < 1.0):
            continue
        elsewhere = near is None and named is not None and not named.search(area_name)
        if near is None:
            rank = math.hypot((lon - (west + east) / 2) / ((east - west) / 2 or 1),
                              (lat - (south + north) / 2) / ((north - south) / 2 or 1))
            rank += 1e6 if elsewhere else 0.0  # the file's country first
            text = f"EPSG:{code} ({name}, at {_where(lon, lat)})"
        else:
            rank = _km(lon, lat, *near)
            text = f"EPSG:{code} ({name}, at {_where(lon, lat)}, {rank:,.0f} km from them)"
        place, area = (round(lon), round(lat)), (elsewhere, (east - west) * (north - south))
        if place in best:  # the same place by several CRSs: rank by the best, name the most local
            rank, area, text = min(rank, best[place][0]), *min(best[place][1:], (area, text))
        best[place] = (rank, area, text)
    return [text for _, _, text in sorted(best.values())][:limit]


def _km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in km (a sphere: ranking, not surveying)."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    c = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return 6371.0 * math.acos(max(-1.0, min(1.0, c)))


class NoCrs(UserError):
    """Projected coordinates and no CRS: the refusal names the CRSs that would place them.

    Raised while reading, before any platform is known; an import that knows where its platform's
    districts are asks again with :meth:`near`, so the CRS that puts the file in that city comes first.
    """

    def __init__(self, source: str, xy: np.ndarray, where: str, near: tuple[float, float] | None = None,
                 country: str | None = None) -> None:
        self.source, self.where, self.xy, self.country = source, where, xy, country
        x, y = (float(v) for v in np.median(xy, axis=0))
        found = candidates(x, y, near=near, country=country)
        order = ("nearest the platform's districts first" if near is not None else
                 f"those whose area of use takes in {country.strip()[:40]}, the country of the file's address, first"
                 if country and country.strip() and found and _names(found[0], country) else "best first")
        listed = (f"CRSs that place them inside their area of use ({order}): {'; '.join(found)}" if found else
                  "no EPSG projected CRS places them inside its area of use")
        super().__init__(f"{source}: no CRS ({where}) and the coordinates (around {x:,.0f}, {y:,.0f}) are not "
                         f"lon/lat; {listed}; state it with --crs EPSG:xxxx")

    def near(self, lon: float, lat: float) -> NoCrs:
        """The same refusal with the candidates ranked by distance to (lon, lat)."""
        return NoCrs(self.source, self.xy, self.where, near=(lon, lat), country=self.country)


def _names(text: str, country: str) -> bool:
    """Whether a candidate's CRS has an area of use that names ``country``."""
    code = text.split(" ", 1)[0].removeprefix("EPSG:")
    pattern = re.compile(rf"(?i)\b{re.escape(country.strip())}\b")
    return any(c == code and pattern.search(area) for c, _, _, area in _projected())

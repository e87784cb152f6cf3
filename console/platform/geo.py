"""The simulator's view of the city: districts, street points and buildings in a metric frame.

Built from the platform's own reference rows (GeoJSON text, ordered by id), never straight
from a ``City`` object, so the history writer and a feeder started later on the same database
see exactly the same geography and therefore produce exactly the same rows.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import shapely
from shapely.geometry import mapping

from console.city import BASEMAP_LAYERS, City

#: Street classes a vehicle does not drive on: patrol waypoints avoid them.
NOT_FOR_VEHICLES = {"footway", "path", "cycleway", "steps", "pedestrian", "track", "trail", "bridleway",
                    "corridor", "elevator", "platform", "construction", "proposed"}
STREET_STEP_M = 60.0
M_PER_DEG_LAT = 110_540.0


def geojson_text(geom) -> str:
    """Shapely geometry -> compact GeoJSON text (lon/lat)."""
    return json.dumps(mapping(geom), separators=(",", ":"))


def slug(name: str) -> str:
    """ASCII code fragment for a district name: "Töölö" -> "toolo"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "district"


def city_rows(city: City) -> dict[str, list[dict]]:
    """Reference rows (districts, buildings, map_features) of a City, ordered by id."""
    districts = sorted(({"id": d.id, "name": d.name, "boundary": geojson_text(d.boundary)}
                        for d in city.districts), key=lambda r: r["id"])
    buildings = sorted(({"id": b.id, "district_id": b.district_id, "name": b.name,
                         "footprint": geojson_text(b.footprint), "model": None, "height": b.height,
                         "levels": b.levels, "use": b.use, "year": b.year} for b in city.buildings),
                       key=lambda r: r["id"])
    features = sorted(({"id": f.id, "layer": f.layer, "kind": f.kind, "name": f.name,
                        "geometry": geojson_text(f.geometry)}
                       for f in city.features if f.layer in BASEMAP_LAYERS), key=lambda r: r["id"])
    return {"districts": districts, "buildings": buildings, "map_features": features}


@dataclass
class Geography:
    """Arrays the models index into; positions are kept both as lon/lat and as metres."""

    district_ids: list[str]
    district_names: list[str]
    district_slugs: list[str]
    district_centres: np.ndarray  # (n, 2) lon/lat
    lon0: float
    lat0: float
    kx: float  # metres per degree of longitude at lat0
    # street points: lon, lat, district index, street name, drivable
    pt_lonlat: np.ndarray
    pt_district: np.ndarray
    pt_name: list[str]
    pt_drivable: np.ndarray
    # buildings: id, lon/lat of centroid, district index, name, height
    b_ids: list[str]
    b_lonlat: np.ndarray
    b_district: np.ndarray
    b_name: list[str | None]
    b_height: np.ndarray
    code: str = "HEL"  # three letters of the city's name: its units' callsigns (HEL-P11)

    @property
    def n_districts(self) -> int:
        return len(self.district_ids)

    def metres(self, lonlat: np.ndarray) -> np.ndarray:
        lonlat = np.asarray(lonlat, dtype=float)
        return np.stack([(lonlat[..., 0] - self.lon0) * self.kx, (lonlat[..., 1] - self.lat0) * M_PER_DEG_LAT], -1)

    def distance_m(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.hypot(*np.moveaxis(self.metres(a) - self.metres(b), -1, 0))

    def points_in(self, district: int, drivable: bool = False, named: bool = False) -> np.ndarray:
        """Indices of street points in a district (all districts when ``district`` < 0).

        ``drivable``/``named`` narrow the choice where the city allows it, never to nothing.
        """
        base = self.pt_district >= 0 if district < 0 else self.pt_district == district
        for mask in (base & self.pt_drivable & self.pt_named if drivable and named else None,
                     base & self.pt_drivable if drivable else None,
                     base & self.pt_named if named else None, base):
            if mask is not None and mask.any():
                return np.flatnonzero(mask)
        return np.flatnonzero(base)

    @cached_property
    def pt_named(self) -> np.ndarray:
        return np.array([bool(n) for n in self.pt_name], dtype=bool)

    def nearest_point(self, lonlat: np.ndarray, among: np.ndarray | None = None) -> int:
        idx = np.arange(len(self.pt_name)) if among is None else among
        d = self.distance_m(self.pt_lonlat[idx], np.asarray(lonlat)[None, :])
        return int(idx[int(np.argmin(d))])

    def street_near(self, lonlat: np.ndarray, district: int) -> str:
        """Name of the nearest named street point, preferring the same district."""
        among = np.flatnonzero((self.pt_district == district) & self.pt_named)
        if not among.size:
            return self.district_names[district]
        return self.pt_name[self.nearest_point(lonlat, among)]


def city_code(name: str | None) -> str:
    """Three capital letters for a city's callsigns: "Helsinki centre" -> "HEL"; "CTY" without a name."""
    letters = re.sub(r"[^A-Za-z]", "", unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode())
    return letters[:3].upper() if len(letters) >= 3 else "CTY"


def geography_from_rows(districts: list[dict], buildings: list[dict], streets: list[dict],
                        city: str | None = "Helsinki") -> Geography:
    """Build the model geography from reference rows (each list ordered by id); ``city`` names it."""
    if not districts:
        from console.errors import UserError
        raise UserError("the city has no districts: the simulator needs at least one")
    polys = list(shapely.from_geojson([r["boundary"] for r in districts]))  # GEOS parses: fast for big cities
    ids = [r["id"] for r in districts]
    names = [r["name"] or r["id"] for r in districts]
    slugs: list[str] = []
    for name, did in zip(names, ids):
        s = slug(name)
        slugs.append(s if s not in slugs else f"{s}-{slug(did)}")
    centres = np.array([[p.representative_point().x, p.representative_point().y] for p in polys])
    minx, miny, maxx, maxy = shapely.total_bounds(polys)
    lon0, lat0 = (minx + maxx) / 2, (miny + maxy) / 2
    kx = 111_320.0 * np.cos(np.radians(lat0))

    # street points every ~60 m along each street, inside the districts
    lonlat: list[np.ndarray] = []
    pnames: list[str] = []
    drive: list[bool] = []
    for r, geom in zip(streets, shapely.from_geojson([r["geometry"] for r in streets]) if streets else []):
        if geom.geom_type in ("Polygon", "MultiPolygon"):  # pedestrian areas: walk their outline
            geom = geom.boundary
        if geom.is_empty:
            continue
        if geom.geom_type in ("Point", "MultiPoint"):
            xy = shapely.get_coordinates(geom)
        else:
            n = max(1, int(_length_m(geom, kx) // STREET_STEP_M))
            fr = (np.arange(n) + 0.5) / n
            xy = shapely.get_coordinates(shapely.line_interpolate_point(geom, fr, normalized=True))
        lonlat.append(xy)
        pnames.extend([r.get("name") or ""] * len(xy))
        drive.extend([(r.get("kind") or "") not in NOT_FOR_VEHICLES] * len(xy))
    if lonlat:
        pts = np.concatenate(lonlat)
    else:
        pts = np.zeros((0, 2))
    pdist = _district_of(pts, polys)
    if not (pdist >= 0).any():  # no streets: a grid of points inside each district stands in
        pts, pnames, drive, pdist = _grid_points(polys, names, kx)
    pdist = np.asarray(pdist)
    for i, poly in enumerate(polys):  # every district gets at least one point to put things at
        if not (pdist == i).any():
            p = poly.representative_point()
            pts = np.vstack([pts, [[p.x, p.y]]])
            pnames = list(pnames) + [names[i]]
            drive = list(drive) + [True]
            pdist = np.append(pdist, i)

    b_ids, b_ll, b_name, b_height, b_dist = [], [], [], [], []
    centroids = shapely.centroid(shapely.from_geojson([r["footprint"] for r in buildings])) if buildings else []
    for r, c in zip(buildings, centroids):
        b_ids.append(r["id"])
        b_ll.append((c.x, c.y))
        b_name.append(r.get("name"))
        b_height.append(r.get("height") or 3.2 * (r.get("levels") or 5))
        did = r.get("district_id")
        b_dist.append(ids.index(did) if did in ids else -2)
    b_lonlat = np.array(b_ll, dtype=float).reshape(-1, 2)
    b_district = np.array(b_dist, dtype=np.int64)
    unknown = b_district == -2
    if unknown.any():
        b_district[unknown] = _district_of(b_lonlat[unknown], polys)
    inside = b_district >= 0
    return Geography(
        district_ids=ids, district_names=names, district_slugs=slugs, district_centres=centres,
        lon0=float(lon0), lat0=float(lat0), kx=float(kx),
        pt_lonlat=pts, pt_district=pdist, pt_name=list(pnames), pt_drivable=np.asarray(drive, dtype=bool),
        b_ids=[b for b, k in zip(b_ids, inside) if k], b_lonlat=b_lonlat[inside],
        b_district=b_district[inside], b_name=[n for n, k in zip(b_name, inside) if k],
        b_height=np.asarray(b_height, dtype=float)[inside], code=city_code(city),
    )


def _length_m(geom, kx: float) -> float:
    xy = shapely.get_coordinates(geom)
    if len(xy) < 2:
        return 0.0
    d = np.diff(xy, axis=0) * [kx, M_PER_DEG_LAT]
    return float(np.hypot(d[:, 0], d[:, 1]).sum())


def _district_of(pts: np.ndarray, polys: list) -> np.ndarray:
    """Index of the district containing each point, -1 outside all."""
    out = np.full(len(pts), -1, dtype=np.int64)
    if not len(pts):
        return out
    for i, poly in enumerate(polys):
        hit = shapely.contains_xy(poly, pts[:, 0], pts[:, 1]) & (out < 0)
        out[hit] = i
    return out


def _grid_points(polys: list, names: list[str], kx: float):
    pts, pnames, drive, dist = [], [], [], []
    for i, poly in enumerate(polys):
        minx, miny, maxx, maxy = poly.bounds
        step_lon, step_lat = 80.0 / kx, 80.0 / M_PER_DEG_LAT
        xs, ys = np.meshgrid(np.arange(minx, maxx, step_lon), np.arange(miny, maxy, step_lat))
        xs, ys = xs.ravel(), ys.ravel()
        keep = shapely.contains_xy(poly, xs, ys)
        if not keep.any():
            p = poly.representative_point()
            xs, ys, keep = np.array([p.x]), np.array([p.y]), np.array([True])
        for x, y in zip(xs[keep], ys[keep]):
            pts.append((x, y))
            pnames.append(names[i])
            drive.append(True)
            dist.append(i)
    return np.array(pts), pnames, drive, dist

"""Geographic ↔ local metric coordinates for a city map, done by pyproj (PROJ), not by hand.

The map works in metres on a plane: scale bars, clustering radii in pixels, heat kernels and
pan distances are then plain arithmetic. An azimuthal equidistant projection centred on the
city keeps distances from its centre exact and distorts by far less than a pixel over a few
kilometres; a national CRS (Helsinki: EPSG:3067, ETRS-TM35FIN) can be asked for instead where
coordinates must line up with other municipal data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pyproj import CRS, Transformer

WGS84 = CRS.from_epsg(4326)
#: National metric CRSs by the bounding box they serve (west, south, east, north): Finland's
#: ETRS-TM35FIN. A city inside one may use it; elsewhere the centred projection serves.
NATIONAL_CRS: dict[str, tuple[float, float, float, float]] = {"EPSG:3067": (19.0, 59.5, 31.6, 70.1)}
#: Farthest a projected point may lie from the map's origin, metres (half the Earth's
#: circumference): a point beyond it, or not finite, is never handed to Qt's rasteriser.
WORLD_M = 2.1e7


def on_earth(lonlat: np.ndarray) -> np.ndarray:
    """Per row of an (n, 2) lon/lat array: finite, and a longitude and latitude."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(lonlat).all(axis=1) & (np.abs(lonlat[:, 0]) <= 180) & (np.abs(lonlat[:, 1]) <= 90)


def drawable(xy: np.ndarray) -> np.ndarray:
    """Per row of an (n, 2) array of projected metres: finite and within WORLD_M of the origin."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(xy).all(axis=1) & (np.abs(xy) <= WORLD_M).all(axis=1)


@dataclass
class Projection:
    """Vectorised lon/lat (degrees, WGS84) ↔ x east / y north (metres) in ``crs``."""

    crs: CRS
    _fwd: Transformer = field(init=False, repr=False)
    _inv: Transformer = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # always_xy: (lon, lat) in, (x, y) out, whatever axis order the CRS declares
        self._fwd = Transformer.from_crs(WGS84, self.crs, always_xy=True)
        self._inv = Transformer.from_crs(self.crs, WGS84, always_xy=True)

    @classmethod
    def centred(cls, lon: float, lat: float) -> "Projection":
        """Azimuthal equidistant on (lon, lat): the city's centre is (0, 0), distances in metres."""
        return cls(CRS.from_proj4(f"+proj=aeqd +lat_0={lat:.7f} +lon_0={lon:.7f} +datum=WGS84 +units=m +no_defs"))

    @classmethod
    def for_bounds(cls, west: float, south: float, east: float, north: float,
                   crs: str | int | CRS | None = None) -> "Projection":
        """The projection for a city inside these bounds: ``crs`` when given ("national": the
        national CRS whose area holds the city, if one is known), else centred on the bounds."""
        if crs == "national":
            crs = next((code for code, (w, s, e, n) in NATIONAL_CRS.items()
                        if w <= west and s <= south and east <= e and north <= n), None)
        if crs is not None:
            return cls(CRS.from_user_input(crs))
        return cls.centred((west + east) / 2, (south + north) / 2)

    def forward(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        """lon/lat degrees (scalars or arrays) → x, y metres as float64 arrays."""
        x, y = self._fwd.transform(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    def inverse(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """x, y metres → lon, lat degrees as float64 arrays."""
        lon, lat = self._inv.transform(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
        return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)

    def forward_xy(self, lonlat: np.ndarray) -> np.ndarray:
        """An (n, 2) array of lon/lat → an (n, 2) array of x/y (one PROJ call for a whole layer)."""
        lonlat = np.asarray(lonlat, dtype=np.float64).reshape(-1, 2)
        x, y = self.forward(lonlat[:, 0], lonlat[:, 1])
        return np.column_stack([x, y])

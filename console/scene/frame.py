"""The 3D scene's metric frame: metres east, north and up around the data, done by pyproj.

A transverse Mercator centred on the scene keeps scale error below a millionth across a city
(it grows with the square of the distance from the central meridian), so building sizes,
camera distances and sensor radii are plain metres. Centring it on the data also keeps the
coordinates small, which float32 vertex buffers need: at 10 km from the origin float32 still
resolves a millimetre, at a UTM false easting of 500 km it would not. The transforms themselves
are the map's (``console.map.projection.Projection``).
"""

from __future__ import annotations

from pyproj import CRS

from console.map.projection import Projection


class Frame(Projection):
    """lon/lat (degrees, WGS84) ↔ x east / y north (metres), origin at (lon0, lat0); z is up."""

    def __init__(self, lon0: float, lat0: float) -> None:
        self.lon0, self.lat0 = float(lon0), float(lat0)
        super().__init__(CRS.from_proj4(f"+proj=tmerc +lat_0={self.lat0:.9f} +lon_0={self.lon0:.9f} +k=1 "
                                        "+x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"))

    @classmethod
    def around(cls, lon_min: float, lat_min: float, lon_max: float, lat_max: float) -> Frame:
        """The frame centred on a lon/lat box (its middle is x = y = 0)."""
        return cls((float(lon_min) + float(lon_max)) / 2, (float(lat_min) + float(lat_max)) / 2)

"""Coordinate reference systems named by the files the importers read, resolved once, by pyproj.

Files name their CRS in many spellings: ``EPSG:28992``, ``urn:ogc:def:crs:EPSG::7415``,
``https://www.opengis.net/def/crs/EPSG/0/7415``. pyproj reads most; the EPSG code is tried where
it does not. A compound CRS (RD New + NAP height) is reprojected by its horizontal part, and its
height unit gives the factor to metres.
"""

from __future__ import annotations

import re
from typing import Any

from console.errors import UserError

CRS_HINT = "state the right one with --crs EPSG:xxxx"
_EPSG = re.compile(r"(?i)EPSG(?:/\d+/|::?|:\d*:)(\d+)$")


def resolve_crs(name: str, source: str, *, given: bool = False, hint: str = CRS_HINT) -> tuple[Any, float]:
    """(x, y) -> (lon, lat) for a CRS name, and metres per z unit. UserError if pyproj does not
    know it: naming ``--crs`` when the user ``given`` it, else ``source`` and ``hint``."""
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError, ProjError

    crs = None
    for text in (name, f"EPSG:{m[1]}" if (m := _EPSG.search(name.strip())) else None):
        try:
            crs = CRS.from_user_input(text) if text else None
        except CRSError:
            continue
        if crs is not None:
            break
    if crs is None:
        raise UserError(f"--crs {name[:80]!r} is not a CRS pyproj knows (e.g. EPSG:28992)" if given else
                        f"{source}: unknown CRS {name[:80]!r} ({hint})")
    horizontal = crs.sub_crs_list[0] if crs.is_compound else crs
    axes = (crs.sub_crs_list[-1] if crs.is_compound else crs).axis_info
    # z in the unit of the height axis, else (a 2D projected CRS) of the easting and northing: US feet, say
    z_factor = axes[-1].unit_conversion_factor if len(axes) in (1, 3) or crs.is_projected else 1.0
    try:
        transformer = Transformer.from_crs(horizontal.to_2d(), "OGC:CRS84", always_xy=True)
    except ProjError:
        raise UserError(f"{source}: no transformation from {crs.name!r} to WGS84") from None
    return transformer.transform, z_factor or 1.0

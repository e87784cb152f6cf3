"""The demo city: districts, buildings and basemap features derived from real OpenStreetMap data.

The importer (``console.importers.osm``) writes one GeoJSON FeatureCollection in WGS84; this
module reads it back as plain dataclasses with shapely geometries. Every feature carries a
``layer`` property: ``district``, ``building``, or a basemap layer (``street``, ``water``,
``park``, ``landuse``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from resources import resource_path

DEFAULT_CITY = resource_path("city", "helsinki-centre.geojson")
BASEMAP_LAYERS = ("street", "water", "park", "landuse")


@dataclass(frozen=True)
class District:
    id: str
    name: str
    boundary: BaseGeometry  # Polygon or MultiPolygon, lon/lat


@dataclass(frozen=True)
class Building:
    id: str
    footprint: BaseGeometry  # Polygon or MultiPolygon, lon/lat
    name: str | None = None
    height: float | None = None  # metres
    levels: int | None = None
    use: str = "yes"  # the OSM building=* value
    year: int | None = None
    district_id: str | None = None


@dataclass(frozen=True)
class MapFeature:
    id: str
    layer: str  # one of BASEMAP_LAYERS
    kind: str  # e.g. the highway class of a street, "water", "park", "grass"
    geometry: BaseGeometry
    name: str | None = None


@dataclass(frozen=True)
class City:
    name: str
    attribution: str
    districts: list[District] = field(default_factory=list)
    buildings: list[Building] = field(default_factory=list)
    features: list[MapFeature] = field(default_factory=list)

    def layer(self, name: str) -> list[MapFeature]:
        """Basemap features of one layer."""
        return [f for f in self.features if f.layer == name]


def load_city(path: Path | None = None) -> City:
    """Read a city GeoJSON file written by the OSM importer."""
    path = Path(path or DEFAULT_CITY)
    doc = json.loads(path.read_text(encoding="utf-8"))
    districts: list[District] = []
    buildings: list[Building] = []
    features: list[MapFeature] = []
    for feat in doc["features"]:
        p = feat["properties"]
        geom = shape(feat["geometry"])
        layer = p["layer"]
        if layer == "district":
            districts.append(District(p["id"], p["name"], geom))
        elif layer == "building":
            buildings.append(Building(
                id=p["id"], footprint=geom, name=p.get("name"), height=p.get("height"),
                levels=p.get("levels"), use=p.get("use") or "yes", year=p.get("year"),
                district_id=p.get("district"),
            ))
        else:
            features.append(MapFeature(p["id"], layer, p.get("kind") or layer, geom, p.get("name")))
    return City(doc.get("name", path.stem), doc.get("attribution", ""), districts, buildings, features)


def city_title(template: str, reference: Mapping[str, list[dict]]) -> str:
    """A layout's title with ``{city}`` replaced by the platform's city name ("City" until it is known)."""
    if "{city}" not in template:
        return template
    name = next((r["name"] for r in reference.get("city") or [] if r.get("name")), None)
    return template.replace("{city}", name or "City")

"""Your own city in one command: a platform built from a city's real files (``cityops city create``).

``city_from_sources`` makes a ``City`` (districts, buildings, basemap) from an OpenStreetMap
extract and, optionally, a district file; ``create_city`` writes it with an indicator catalogue
into a new platform, simulated or waiting for real data.
"""

from console.citybuild.build import build_platform, create_city, default_catalogue
from console.citybuild.sources import city_from_sources

__all__ = ["build_platform", "city_from_sources", "create_city", "default_catalogue"]

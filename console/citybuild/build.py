"""``cityops city create``: a platform for any city, simulated or waiting for real data.

Every input is read and checked before the platform is touched (the catalogue whole, the
districts it names against the city's), and the platform is written in one transaction by
``create_platform``: a failure leaves no half-built platform, and an SQLite file this run made
is removed again. A database that already holds platform data is refused, never overwritten.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

from console.city import City
from console.citybuild.sources import city_from_sources
from console.errors import UserError
from console.importers.report import ImportReport
from console.platform.catalogue import Entry, check_districts, read_catalogue
from console.platform.create import create_platform
from console.platform.geo import city_rows, geography_from_rows
from console.platform.indicators import build_catalogue, entry_of_spec


def create_city(url: str, osm: Path, *, districts: Path | None = None, catalogue: Path | None = None,
                simulate_hours: float | None = None, name: str | None = None, level: str | None = None,
                seed: int = 7, end: float | None = None,
                progress: Callable[[float], None] | None = None) -> tuple[dict, ImportReport]:
    """Build the platform at ``url`` for the city of ``osm``; returns (summary, import report)."""
    started = time.perf_counter()
    _check_hours(simulate_hours)
    entries = read_catalogue(catalogue) if catalogue is not None else None
    city, report = city_from_sources(Path(osm), districts, name, level)
    summary = build_platform(url, city, entries, catalogue, simulate_hours, seed, end, progress)
    summary["seconds"] = round(time.perf_counter() - started, 2)
    return summary, report


def build_platform(url: str, city: City, entries: list[Entry] | None = None, catalogue: Path | None = None,
                   simulate_hours: float | None = None, seed: int = 7, end: float | None = None,
                   progress: Callable[[float], None] | None = None) -> dict:
    """Write ``city`` and its catalogue (``entries`` read from ``catalogue``; the default one for the
    city if None) into a new platform at ``url``: simulated for ``simulate_hours``, or empty."""
    _check_hours(simulate_hours)
    rows = city_rows(city)  # once: GeoJSON text of every feature of a big city takes seconds
    if entries is not None:
        check_districts(entries, {d.id for d in city.districts}, catalogue or "the catalogue")
    else:
        entries = default_catalogue(city, rows)
    source = str(catalogue) if catalogue is not None else "the city's catalogue"
    if simulate_hours is None:
        summary = create_platform(url, city=city, catalogue=entries, simulate=False, source=source, reference=rows)
    else:
        summary = create_platform(url, hours=simulate_hours, seed=seed, end=end, city=city, progress=progress,
                                  catalogue=entries, source=source, reference=rows)
    summary.update(city=city.name, district_names=[d.name for d in city.districts])
    return summary


def _check_hours(hours: float | None) -> None:
    if hours is not None and not (hours > 0 and math.isfinite(hours)):
        raise UserError(f"--simulate must be a positive number of hours, not {hours:g}")


def default_catalogue(city: City, rows: dict[str, list[dict]] | None = None) -> list[Entry]:
    """The simulator's catalogue for ``city``: per district and city-wide, sensors on its streets."""
    rows = rows or city_rows(city)
    geo = geography_from_rows(rows["districts"], rows["buildings"],
                              [r for r in rows["map_features"] if r["layer"] == "street"], city.name)
    return [entry_of_spec(s) for s in build_catalogue(geo)]

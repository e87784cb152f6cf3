"""The own-city commands of `cityops`: city create, city catalogue, import readings, demo --city.

Kept apart from ``console.cli`` (which adds them through ``add_commands``); this module never
imports it, so no import cycle.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from console.errors import UserError
from console.progress import progress_bar


def add_commands(sub, common, platform_url) -> None:
    """Add ``city`` (create, catalogue) to the `cityops` parser (``sub``: its subparsers)."""
    city = sub.add_parser("city", help="build a platform for your own city from its real files")
    city_sub = city.add_subparsers(dest="city_command", required=True, metavar="ACTION")
    create = city_sub.add_parser("create", help="build a platform (districts, map, buildings, indicator "
                                 "catalogue; simulated or empty) from an OpenStreetMap extract")
    create.add_argument("url", type=platform_url, help="SQLAlchemy URL (postgresql+psycopg://user@host/db) "
                        "or an SQLite file path (a new one)")
    create.add_argument("--osm", type=Path, required=True, metavar="FILE.pbf",
                        help="the city's OpenStreetMap extract (.osm.pbf or .osm)")
    create.add_argument("--districts", type=Path, metavar="FILE",
                        help="district boundaries as GeoJSON or TopoJSON (default: from the extract's boundaries)")
    create.add_argument("--level", metavar="L", help="the extract's boundary level to take as districts: an "
                        "admin_level (8) or a place kind (suburb, quarter); default: chosen from what is complete")
    create.add_argument("--catalogue", type=Path, metavar="FILE",
                        help="indicator catalogue, TOML or CSV (default: the demo's indicators for these districts)")
    create.add_argument("--simulate", type=float, metavar="HOURS",
                        help="also simulate the city: HOURS of history, continued live by cityops demo "
                        "(default: an empty platform waiting for real data)")
    create.add_argument("--name", help="the city's name, the wall's title (default: the area holding the districts)")
    create.add_argument("--seed", type=int, default=7, help="seed of the simulation (default 7)")

    cat = city_sub.add_parser("catalogue", help="write an indicator catalogue to edit, or apply an edited one")
    cat.add_argument("--out", type=Path, metavar="FILE", help="write to FILE (.toml or .csv; default: standard output, TOML)")
    cat.add_argument("--platform", type=platform_url, metavar="URL",
                     help="the platform's own catalogue (default: the demo city's)")
    cat.add_argument("--osm", type=Path, metavar="FILE.pbf", help="the catalogue the demo would make for this city")
    cat.add_argument("--apply", type=Path, metavar="FILE", help="apply an edited catalogue to --platform: names and "
                     "limits updated in place, ids kept, new indicators added")


def add_import_commands(imp_sub, platform_url) -> None:
    """Add ``import readings`` (``imp_sub``: the import command's subparsers)."""
    rd = imp_sub.add_parser("readings", help="import readings from CSV or Parquet (long or wide) into a platform")
    rd.add_argument("file", type=Path, help="the CSV or Parquet file of readings")
    rd.add_argument("--platform", required=True, metavar="URL", type=platform_url,
                    help="platform database URL or SQLite file path")
    rd.add_argument("--catalogue", type=Path, metavar="FILE",
                    help="an indicator catalogue to apply first; its column field maps the file's columns")
    rd.add_argument("--map", action="append", default=[], metavar="COLUMN=CODE[:UNIT]",
                    help="the column (or, in a long file, the name) that carries an indicator, and its unit")
    rd.add_argument("--tz", metavar="ZONE", help="the time zone of times written without an offset "
                    "(e.g. Europe/Vaduz; default UTC)")


def cmd_city(args: argparse.Namespace) -> int:
    if args.city_command == "create":
        from console.citybuild import create_city

        bar = progress_bar("simulating") if args.simulate else None
        summary, report = create_city(args.url, args.osm, districts=args.districts, catalogue=args.catalogue,
                                      simulate_hours=args.simulate, name=args.name, level=args.level,
                                      seed=args.seed, progress=bar)
        print(report.summary(), file=sys.stderr)
        print(json.dumps(summary, default=str, ensure_ascii=False))
        return 0
    return _catalogue(args)


def _catalogue(args: argparse.Namespace) -> int:
    from console.platform.catalogue import write_catalogue

    if args.apply is not None:
        if args.platform is None:
            raise UserError("--apply needs the platform to apply the catalogue to: --platform URL")
        applied = apply_file(args.apply, args.platform)
        print(f"{args.apply}: {applied['new']} new indicators, {applied['changed']} updated in place, "
              f"{applied['unchanged']} unchanged, {applied['kept']} not in the file kept")
        return 0
    if args.platform is not None and args.osm is not None:
        raise UserError("give --platform or --osm, not both")
    entries = _entries(args)
    if args.out is None:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "catalogue.toml"
            write_catalogue(out, entries)
            sys.stdout.write(out.read_text(encoding="utf-8"))
        return 0
    write_catalogue(args.out, entries)
    print(f"{args.out}: {len(entries)} indicators", file=sys.stderr)
    return 0


def _entries(args: argparse.Namespace):
    if args.platform is not None:
        from console.databases import contract_rows
        from console.importers.districts import open_platform
        from console.model.schema import P
        from console.platform.catalogue import entries_from_platform

        engine = open_platform(args.platform, ("indicators", "sensors"))
        try:
            with engine.connect() as conn:
                return entries_from_platform(contract_rows(conn, P["indicators"]), contract_rows(conn, P["sensors"]))
        finally:
            engine.dispose()
    from console.citybuild import default_catalogue

    if args.osm is not None:
        from console.citybuild import city_from_sources

        return default_catalogue(city_from_sources(args.osm)[0])
    from console.city import load_city

    return default_catalogue(load_city())


def apply_file(path: Path, url: str) -> dict[str, int]:
    """Apply a catalogue file to a platform, in one transaction."""
    from sqlalchemy.exc import DBAPIError

    from console.databases import reason, shown_url
    from console.importers.districts import open_platform
    from console.platform.catalogue import apply_catalogue, read_catalogue

    entries = read_catalogue(path)
    engine = open_platform(url, ("indicators", "sensors", "districts"))
    try:
        with engine.connect() as conn, conn.begin():
            return apply_catalogue(conn, entries, path)
    except DBAPIError as exc:
        raise UserError(f"cannot apply {path} to {shown_url(url)}: {reason(exc)}") from None
    finally:
        engine.dispose()


def cmd_import_readings(args: argparse.Namespace) -> int:
    from console.importers.readings import import_readings, parse_map

    report = import_readings(args.file, args.platform, catalogue=args.catalogue, mapping=parse_map(args.map),
                             tz=args.tz)
    print(report.summary())
    return 0


def demo_city(args: argparse.Namespace, where) -> tuple[str, Path]:
    """``cityops demo --city FILE.pbf``: that city's simulated platform in the demo's data directory
    (built on first run, as the Helsinki demo is); returns its URL and the cache that follows it."""
    from console.importers.geojson import slug

    stem = slug(args.city.name.split(".")[0], "city")
    platform = where.data / f"city-{stem}.db"
    cache = Path(args.cache) if args.cache else where.data / f"city-{stem}-cache.db"
    url = f"sqlite:///{platform}"
    if not platform.exists():
        from console.citybuild import create_city

        where.data.mkdir(parents=True, exist_ok=True)
        print(f"creating the platform of {args.city.name} ({args.hours:g} h of simulated history) in {platform}")
        summary, _ = create_city(url, args.city, simulate_hours=args.hours, seed=args.seed,
                                 progress=progress_bar("  simulating"))
        print(f"  {summary['city']}: {summary['districts']} districts, {summary['rows']['buildings']} buildings, "
              f"{summary['indicators']} indicators")
        from console.databases import remove_sqlite

        if not args.cache:
            remove_sqlite(cache)
    return url, cache

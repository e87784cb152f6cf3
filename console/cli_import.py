"""`cityops import`: real data files into a city (OSM) or a platform database (incident feeds,
districts, GTFS-Realtime, buildings, and the readings and warnings of cli_city and cli_warnings)."""

from __future__ import annotations

import argparse
from pathlib import Path

from console import cli_city, cli_platform, cli_warnings
from console.errors import UserError


def add_commands(sub: argparse._SubParsersAction) -> None:
    imp = sub.add_parser("import", help="import real data files")
    imp_sub = imp.add_subparsers(dest="import_command", required=True, metavar="KIND")
    osm = imp_sub.add_parser("osm", help="derive a city (districts, streets, buildings) from an OSM .pbf")
    osm.add_argument("file", type=Path, help="an OpenStreetMap extract (.osm.pbf)")
    osm.add_argument("--out", type=Path, required=True, help="GeoJSON file to write")
    osm.add_argument("--name", default=None, help="city name (default: the file's name)")
    for kind, what in (("incidents", "a GeoJSON event feed (e.g. USGS) as incidents"),
                       ("districts", "district boundaries from GeoJSON or TopoJSON")):
        feed = imp_sub.add_parser(kind, help=f"import {what} into a platform database")
        feed.add_argument("file", type=Path, help="the GeoJSON (or TopoJSON) file")
        feed.add_argument("--platform", required=True, metavar="URL", type=cli_platform.platform_arg,
                          help="platform database URL or SQLite file path")
    gtfs = imp_sub.add_parser("gtfs-rt", help="import GTFS-Realtime vehicle positions (as moving units) and trip "
                              "delays (as punctuality per route and district) into a platform database")
    gtfs.add_argument("feeds", nargs="+", metavar="FEED", help="GTFS-Realtime feeds read together: files or "
                      "http(s) URLs (vehicle positions, trip updates)")
    gtfs.add_argument("--platform", required=True, metavar="URL", type=cli_platform.platform_arg,
                      help="platform database URL or SQLite file path")
    gtfs.add_argument("--every", type=float, metavar="S", help="poll: read the feeds again every S seconds "
                      "until interrupted")
    bld = imp_sub.add_parser("buildings", help="import 3D city models or building footprints into a platform "
                             "database (CityJSON, CityJSONSeq, GeoJSON, vector tiles, OSM PBF)")
    bld.add_argument("files", nargs="+", type=Path, metavar="FILE", help="files, or folders of files")
    bld.add_argument("--platform", required=True, metavar="URL", type=cli_platform.platform_arg,
                     help="platform database URL or SQLite file path")
    bld.add_argument("--crs", metavar="CRS", help="the files' coordinate system where they name none or a wrong "
                     "one (e.g. EPSG:28992)")
    bld.add_argument("--tile", metavar="Z/X/Y", help="a vector tile's address where its file name does not say")
    bld.add_argument("--force-crs", action="store_true", help="read in --crs even where the file names another, "
                     "and import buildings wherever they land (outside the CRS's area of use, far from every district)")
    cli_city.add_import_commands(imp_sub, cli_platform.platform_arg)
    cli_warnings.add_import_command(imp_sub, cli_platform.platform_arg)


def cmd_import(args: argparse.Namespace) -> int:
    if args.import_command == "readings":
        return cli_city.cmd_import_readings(args)
    if args.import_command == "warnings":
        return cli_warnings.cmd_import_warnings(args)
    if args.import_command == "buildings":
        from console.importers.buildings import import_buildings

        from console.importers.report import PARTIAL_EXIT

        report = import_buildings(args.files, args.platform, crs=args.crs, tile=args.tile, force_crs=args.force_crs)
        print(report.summary())
        return PARTIAL_EXIT if report.partial else 0
    if args.import_command == "gtfs-rt":
        from console.importers.gtfs_rt_import import import_gtfs_rt, poll

        if args.every is not None:
            if not args.every > 0:
                raise UserError(f"--every {args.every:g}: give a number of seconds above 0")
            poll(args.feeds, args.platform, args.every)
            return 0
        print(import_gtfs_rt(args.feeds, args.platform).summary())
        return 0
    if args.import_command in ("incidents", "districts"):
        from console.importers.districts import import_districts
        from console.importers.incidents import import_incidents

        run = import_incidents if args.import_command == "incidents" else import_districts
        print(run(args.file, args.platform).summary())
        return 0
    from console.importers.osm import import_osm, write_city_geojson

    result = import_osm(args.file)
    write_city_geojson(result, args.out, name=args.name or args.file.stem,
                       attribution="© OpenStreetMap contributors, ODbL 1.0 (openstreetmap.org/copyright)")
    print(result.report.summary(verb="Read"), f"Wrote {args.out}.")  # a file, not a platform
    return 0

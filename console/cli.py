"""The `cityops` command line. Every failure a user can cause ends in one line and a non-zero exit."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from console import (__version__, cli_audit, cli_city, cli_figures, cli_platform, cli_relay, cli_replay, cli_scene,
                     cli_sources, cli_warnings)
from console.cli_wall import THEMES, open_cache_told, open_wall_layout, wall_run_options
from console.databases import install_log_redaction, redact
from console.errors import UserError
from console.model.action import ROLE_ACTIONS
from console.paths import places
from console.progress import progress_bar

log = logging.getLogger("cityops")


#: A database URL, ``service=NAME`` (libpq), or a plain file path taken as an SQLite platform file.
platform_url = cli_platform.platform_arg


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", metavar="DIR",
                        help="keep platform, cache and settings in DIR (also $CITYOPS_DATA_DIR)")


def _sync_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--poll-interval", type=float, default=1.0, metavar="S",
                        help="seconds between polls when the platform cannot push (default 1)")


def _wall_options(parser: argparse.ArgumentParser, default_layout: str, cache: bool = True) -> None:
    parser.add_argument("--layout", help=f"layout name in layouts/ or a .toml path (default {default_layout}; "
                        "with --virtual-screens CxR the shipped wall-CxR where there is one)")
    parser.set_defaults(default_layout=default_layout)
    if cache:  # a replay has none
        parser.add_argument("--cache", metavar="PATH", help="cache file (default: in the data directory)")
    parser.add_argument("--seconds", type=float, metavar="N", help="quit after N seconds")
    parser.add_argument("--screenshot", type=Path, metavar="DIR", help="save one PNG per window before quitting")
    parser.add_argument("--operator", metavar="NAME", help="demo platforms only (on PostgreSQL people sign in): "
                        "who is at this console, recorded with every action (default: the login name)")
    parser.add_argument("--role", choices=sorted(ROLE_ACTIONS),
                        help="demo platforms only (on PostgreSQL the platform's group roles decide): what this "
                        "console may do: operators handle alarms, supervisors also move "
                        "incidents through their lifecycle, trainers only watch (default operator)")
    parser.add_argument("--node", type=int, default=1, metavar="N",
                        help="which wall PC this is: show the layout's screens marked node = N (default 1)")
    parser.add_argument("--lang", choices=("en", "zh"), default="en",
                        help="language of the interface: en English, zh Simplified Chinese (default en)")
    parser.add_argument("--windowed", action="store_true",
                        help="ordinary windows instead of frameless full-screen ones (a desktop, not a wall)")
    parser.add_argument("--virtual-screens", nargs="?", const="layout", metavar="CxR",
                        help="open the wall headless on virtual screens (Qt's offscreen platform): CxR 1920×1080 "
                        "screens in rows, e.g. 3x3 for the nine-screen wall, or without CxR the layout's own screens "
                        "at their sizes; screenshots then show the wall as it hangs")
    parser.add_argument("--theme", choices=THEMES,
                        help="high-performance: normal in quiet greys, colour only for the abnormal; classic: a "
                        "coloured status band on every tile (default: theme in settings.toml, else high-performance)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cityops", description="CityOps Console: the city operations wall.")
    parser.add_argument("--version", action="version", version=f"cityops {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="run the demo wall on a simulated Helsinki (created on first run)")
    _common(demo)
    _wall_options(demo, "demo")
    _sync_options(demo)
    demo.add_argument("--hours", type=float, default=24.0, help="history for a new demo platform (default 24)")
    demo.add_argument("--seed", type=int, default=7, help="seed for a new demo platform (default 7)")
    demo.add_argument("--city", type=Path, metavar="FILE.pbf", help="simulate this city instead of Helsinki "
                      "(an OpenStreetMap extract; built on first run; the layout 'city' unless --layout names one)")
    demo.add_argument("--sources", type=Path, metavar="FILE", help="publish the simulated city to the SensorThings "
                      "server and MQTT broker a sources.toml names (air and weather to SensorThings, the rest, "
                      "incidents and units to MQTT) and run the wall from those sources")

    run = sub.add_parser("run", help="run a wall against a platform")
    _common(run)
    _wall_options(run, "demo")
    _sync_options(run)
    cli_platform.add_platform(run, "platform: database URL, service=NAME or SQLite file path")
    cli_sources.add_sources_option(run)

    wall = sub.add_parser("wall", help="turn the pages of a running wall, on all its nodes at once")
    wall.add_argument("action", choices=("next", "previous", "hold", "resume", "goto"),
                      help="next or previous page, hold or resume the rotation, or goto PAGE")
    wall.add_argument("page", nargs="?", help="goto: the page to show")
    wall.add_argument("--screen", metavar="NAME", help="only this screen (default: every screen)")
    wall.add_argument("--layout", required=True, help="the layout the wall runs: a name in layouts/ or a .toml path")
    cli_platform.add_platform(wall, "the wall's platform: database URL, service=NAME or SQLite file path")
    wall.add_argument("--operator", metavar="NAME", help="demo platforms only: who gives the command "
                      "(default: the login name)")
    wall.add_argument("--role", choices=sorted(ROLE_ACTIONS),
                      help="demo platforms only: supervisors and trainers may control the wall (default operator)")

    plat = sub.add_parser("platform", help="manage a demo platform database")
    plat_sub = plat.add_subparsers(dest="platform_command", required=True, metavar="ACTION")
    create = plat_sub.add_parser("create", help="create a simulated city platform in a database URL")
    create.add_argument("url", type=platform_url,
                        help="SQLAlchemy URL (postgresql+psycopg://user@host/db) or an SQLite file path")
    create.add_argument("--hours", type=float, default=24.0, help="hours of history (default 24)")
    create.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    create.add_argument("--empty", action="store_true", help="the contract's tables and nothing else, for a "
                        "platform team to fill (no simulated city)")
    plat_sub.add_parser("schema", help="print the SQL that creates the platform contract on PostgreSQL")

    sync = sub.add_parser("sync", help="copy a platform into the cache")
    _common(sync)
    cli_platform.add_platform(sync, "platform: database URL, service=NAME or SQLite file path")
    sync.add_argument("--cache", metavar="PATH", help="cache file (default: in the data directory)")
    cli_sources.add_sources_option(sync)
    sync.add_argument("--once", action="store_true", help="catch up, print a JSON summary and exit")
    sync.add_argument("--batch-rows", type=int, default=20_000, metavar="N",
                      help="rows per stream per cache transaction (default 20000)")
    _sync_options(sync)

    doctor = sub.add_parser("doctor", help="print versions, display, OpenGL, screens, cache and platform")
    _common(doctor)
    doctor.add_argument("--cache", metavar="PATH", help="cache file to report on (default: in the data directory)")
    cli_platform.add_platform(doctor, "platform to check: database URL, service=NAME or SQLite file path")

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
        feed.add_argument("--platform", required=True, metavar="URL", type=platform_url,
                          help="platform database URL or SQLite file path")
    gtfs = imp_sub.add_parser("gtfs-rt", help="import GTFS-Realtime vehicle positions (as moving units) and trip "
                              "delays (as punctuality per route and district) into a platform database")
    gtfs.add_argument("feeds", nargs="+", metavar="FEED", help="GTFS-Realtime feeds read together: files or "
                      "http(s) URLs (vehicle positions, trip updates)")
    gtfs.add_argument("--platform", required=True, metavar="URL", type=platform_url,
                      help="platform database URL or SQLite file path")
    gtfs.add_argument("--every", type=float, metavar="S", help="poll: read the feeds again every S seconds "
                      "until interrupted")
    bld = imp_sub.add_parser("buildings", help="import 3D city models or building footprints into a platform "
                             "database (CityJSON, CityJSONSeq, GeoJSON, vector tiles, OSM PBF)")
    bld.add_argument("files", nargs="+", type=Path, metavar="FILE", help="files, or folders of files")
    bld.add_argument("--platform", required=True, metavar="URL", type=platform_url,
                     help="platform database URL or SQLite file path")
    bld.add_argument("--crs", metavar="CRS", help="the files' coordinate system where they name none or a wrong "
                     "one (e.g. EPSG:28992)")
    bld.add_argument("--tile", metavar="Z/X/Y", help="a vector tile's address where its file name does not say")
    bld.add_argument("--force-crs", action="store_true", help="read in --crs even where the file names another, "
                     "and import buildings wherever they land (outside the CRS's area of use, far from every district)")
    cli_city.add_import_commands(imp_sub, platform_url)
    cli_warnings.add_import_command(imp_sub, platform_url)
    cli_city.add_commands(sub, _common, platform_url)
    cli_warnings.add_commands(sub, platform_url)
    cli_replay.add_commands(sub, _common, _wall_options, platform_url)
    cli_figures.add_commands(sub, _common)
    cli_scene.add_commands(sub, _common)
    cli_audit.add_commands(sub, platform_url)
    cli_relay.add_commands(sub, platform_url)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    cli_platform.hide_command_line_password(argv)
    parser = build_parser()
    if not argv:  # `cityops` alone: what it can do, not an error
        parser.print_help()
        return 0
    args = parser.parse_args(cli_replay.join_offsets(argv))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_redaction()
    try:
        with _data_dir(getattr(args, "data_dir", None)):
            return COMMANDS[args.command](args)
    except UserError as exc:
        print(f"cityops: error: {redact(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


@contextmanager
def _data_dir(folder: str | None) -> Iterator[None]:
    """``--data-dir`` as ``$CITYOPS_DATA_DIR`` while the command runs, for what it opens that has no
    option of its own (an MQTT source's session and definitions, console/sources/mqtt.py)."""
    before = os.environ.get("CITYOPS_DATA_DIR")
    if folder:
        os.environ["CITYOPS_DATA_DIR"] = str(Path(folder).expanduser().resolve())
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("CITYOPS_DATA_DIR", None)
        else:
            os.environ["CITYOPS_DATA_DIR"] = before


# -- commands ----------------------------------------------------------------------------------
def _connect(url: str):
    """A connector to the platform, checked. Unreachable is not fatal: the wall runs from its cache,
    and a missing password is not either: the wall asks the person for it."""
    from console.sync.connector import PlatformUnavailable
    from console.sync.open_connector import open_connector
    from console.sync.signin import PasswordNeeded, SignInFailed

    connector = open_connector(url)
    try:
        connector.check()
    except PlatformUnavailable as exc:
        print(f"cityops: {exc}; running from the cache and retrying", file=sys.stderr)
    except (PasswordNeeded, SignInFailed):
        pass  # the wall's sign-in panel asks
    return connector


def _cmd_demo(args: argparse.Namespace) -> int:
    from console.databases import remove_sqlite
    from console.platform.create import create_platform
    from console.platform.feeder import DemoFeeder, OutdatedPlatform
    from console.shell.launch import run_wall

    if args.city is not None and args.layout is None:
        args.layout = "city"  # the demo layout names Helsinki's indicators
    layout = open_wall_layout(args)
    where = places(args.data_dir)
    cache_path = Path(args.cache) if args.cache else where.cache
    url = where.demo_platform_url
    if args.city is not None:
        url, cache_path = cli_city.demo_city(args, where)
        feeder = DemoFeeder(url)
    else:
        try:
            feeder = DemoFeeder(url) if where.demo_platform.exists() else None
        except OutdatedPlatform:
            print(f"the demo platform in {where.demo_platform} was made by an older simulator: rebuilding it")
            remove_sqlite(where.demo_platform)
            feeder = None
    if feeder is None:
        where.data.mkdir(parents=True, exist_ok=True)
        print(f"creating the demo platform (Helsinki centre, {args.hours:g} h of history) in {where.demo_platform}")
        create_platform(url, hours=args.hours, seed=args.seed, progress=progress_bar("  simulating"))
        if not args.cache:  # the old cache followed a platform that is gone
            remove_sqlite(cache_path)
        feeder = DemoFeeder(url)
    if args.sources and not args.cache:  # the sources' ids are not the platform's: a cache of their own
        cache_path = cache_path.with_name(f"{cache_path.stem}-sources{cache_path.suffix}")
    cache = open_cache_told(cache_path)
    feeder.advance(time.time())  # catch the simulated city up to now before the wall opens
    feeder.start()
    standards = None
    try:
        if args.sources:  # subscribed first: an MQTT broker keeps nothing for a console not yet there
            connector = cli_sources.open_sources(args, cache, map_from=url)  # the city's map from the demo platform
            standards = cli_sources.start_demo_feed(args, url)
        else:
            connector = _connect(url)
    except BaseException:
        feeder.stop()
        cache.close()
        raise
    try:
        return run_wall(layout, cache, connector, wall_run_options(args, None if args.sources else url))
    finally:
        if standards is not None:
            standards.stop()
        feeder.stop()
        connector.close()
        cache.close()


def _cmd_run(args: argparse.Namespace) -> int:
    from console.shell.launch import run_wall

    url = None if args.sources else cli_platform.chosen_platform(args)
    options = wall_run_options(args, url)
    layout = open_wall_layout(args)
    cache = open_cache_told(args.cache or places(args.data_dir).cache)
    try:
        connector = cli_sources.open_sources(args, cache) if args.sources else _connect(url)
    except BaseException:
        cache.close()
        raise
    try:
        return run_wall(layout, cache, connector, options)
    finally:
        connector.close()
        cache.close()


def _cmd_wall(args: argparse.Namespace) -> int:
    from datetime import datetime

    from console.layout.rotation import RotationCommand, WallRotation
    from console.shell.app import read_layout
    from console.sync.connector import PlatformUnavailable, SqlConnector
    from console.sync.control import ControlChannel

    if args.action == "goto" and args.page is None:
        raise UserError("goto needs the page to show: cityops wall goto PAGE --layout ...")
    if args.action != "goto" and args.page is not None:
        raise UserError(f"{args.action} takes no page (only goto does)")
    url = cli_platform.chosen_platform(args)
    operator = cli_platform.console_operator(args, url)
    command = RotationCommand(args.action, time.time(), args.screen, args.page)
    layout = read_layout(args.layout)
    try:
        WallRotation(layout.screens).apply(command)  # a screen or page the wall does not have fails here, not on it
    except ValueError as exc:
        raise UserError(f"{layout.source}: {exc}") from None
    connector = SqlConnector(url)
    channel = ControlChannel(connector, args.layout)
    try:
        operator = operator or cli_platform.sign_in_terminal(connector)
        sent = channel.send(command, operator)
    except (PermissionError, PlatformUnavailable) as exc:
        raise UserError(str(exc)) from None
    finally:
        channel.close()
        connector.close()
    what = " ".join(filter(None, (sent.action, sent.page)))
    where = f"screen {sent.screen}" if sent.screen else "every screen"
    effective = datetime.fromtimestamp(sent.at).strftime("%H:%M:%S.%f")[:-3]
    print(f"{what}: sent to wall {channel.layout} ({where}), taking effect at {effective}")
    return 0


def _cmd_platform(args: argparse.Namespace) -> int:
    if args.platform_command == "schema":
        from console.model.schema import postgres_ddl

        print(postgres_ddl(), end="")
        return 0
    from console.platform.create import create_platform

    if args.empty:
        summary = create_platform(args.url, simulate=False)
    else:
        summary = create_platform(args.url, hours=args.hours, seed=args.seed, progress=progress_bar("simulating"))
    print(json.dumps(summary, default=str))
    return 0


def _cmd_sync(args: argparse.Namespace) -> int:
    import signal

    from console.sync.connector import PlatformUnavailable
    from console.sync.engine import SyncEngine
    from console.sync.status import CatchUp, SyncStatus
    from console.sync.open_connector import open_connector

    if args.sources:
        cache = open_cache_told(args.cache or places(args.data_dir).cache)
        try:
            connector = cli_sources.open_sources(args, cache)
        except BaseException:
            cache.close()
            raise
    else:
        connector = open_connector(cli_platform.chosen_platform(args))
        if connector.postgres:  # the person signs in (a terminal prompt where a password is wanted)
            cli_platform.sign_in_terminal(connector, unreachable_ok=not args.once)
        if args.once:
            try:
                connector.check()
            except PlatformUnavailable as exc:
                raise UserError(str(exc)) from None
        cache = open_cache_told(args.cache or places(args.data_dir).cache)
    tty = sys.stderr.isatty()

    def progress(run: CatchUp) -> None:
        end = "\n" if not tty or run.fraction >= 1 else ""
        print(f"\rcatching up {run.fraction * 100:5.1f}%  {run.line()}", end=end, file=sys.stderr, flush=True)

    def status(s: SyncStatus) -> None:
        line = f"{s.state.replace('_', ' ')}" + (f": {s.detail}" if s.detail else "")
        print(line, file=sys.stderr, flush=True)

    engine = SyncEngine(connector, cache, batch_rows=args.batch_rows, poll_interval=args.poll_interval,
                        on_status=status)
    try:
        if args.once:
            try:
                print(json.dumps(engine.catch_up(progress)))
            except PlatformUnavailable as exc:
                raise UserError(f"lost the platform {connector.shown} while catching up: {exc}; "
                                "what was copied is kept, run again to go on") from None
            return 0
        stop = {"now": False}
        signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
        engine.start()
        while not stop["now"]:
            time.sleep(0.2)
        return 0
    finally:
        engine.stop()
        connector.close()
        cache.close()


def _cmd_doctor(args: argparse.Namespace) -> int:
    from console.databases import platform_from_environment
    from console.shell.doctor import print_report

    where = places(args.data_dir)
    platform = args.platform or platform_from_environment() or (
        where.demo_platform_url if where.demo_platform.exists() else None)
    return print_report(args.cache or str(where.cache), platform)


def _cmd_import(args: argparse.Namespace) -> int:
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


COMMANDS = {
    "demo": _cmd_demo,
    "run": _cmd_run,
    "wall": _cmd_wall,
    "platform": _cmd_platform,
    "sync": _cmd_sync,
    "doctor": _cmd_doctor,
    "import": _cmd_import,
    "record": cli_replay.cmd_record,
    "replay": cli_replay.cmd_replay,
    "export": cli_replay.cmd_export,
    "report": cli_replay.cmd_report,
    "figures": cli_figures.cmd_figures,
    "scene": cli_scene.cmd_scene,
    "audit": cli_audit.cmd_audit,
    "city": cli_city.cmd_city,
    "relay": cli_relay.cmd_relay,
    "warnings": cli_warnings.cmd_warnings,
}

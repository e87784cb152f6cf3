"""`cityops demo` and `cityops run`: a wall on a live platform, the demo's simulated Helsinki (or
another city) or a real one, fed by sync from its cache."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from console import cli_city, cli_platform, cli_sources
from console.cli_options import add_common, add_sync_options, add_wall_options
from console.cli_wall import open_cache_told, open_wall_layout, wall_run_options
from console.paths import places
from console.progress import progress_bar

if TYPE_CHECKING:  # the connectors load when a command runs, not for `cityops --help`
    from console.sync.connector import Connector


def add_commands(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser("demo", help="run the demo wall on a simulated Helsinki (created on first run)")
    add_common(demo)
    add_wall_options(demo, "demo")
    add_sync_options(demo)
    demo.add_argument("--hours", type=float, default=24.0, help="history for a new demo platform (default 24)")
    demo.add_argument("--seed", type=int, default=7, help="seed for a new demo platform (default 7)")
    demo.add_argument("--city", type=Path, metavar="FILE.pbf", help="simulate this city instead of Helsinki "
                      "(an OpenStreetMap extract; built on first run; the layout 'city' unless --layout names one)")
    demo.add_argument("--sources", type=Path, metavar="FILE", help="publish the simulated city to the SensorThings "
                      "server and MQTT broker a sources.toml names (air and weather to SensorThings, the rest, "
                      "incidents and units to MQTT) and run the wall from those sources")

    run = sub.add_parser("run", help="run a wall against a platform")
    add_common(run)
    add_wall_options(run, "demo")
    add_sync_options(run)
    cli_platform.add_platform(run, "platform: database URL, service=NAME or SQLite file path")
    cli_sources.add_sources_option(run)


def _connect(url: str) -> Connector:
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


def cmd_demo(args: argparse.Namespace) -> int:
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


def cmd_run(args: argparse.Namespace) -> int:
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

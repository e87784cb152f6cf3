"""``--sources FILE`` on `cityops run`, `sync` and `demo`: one console reading several sources."""

from __future__ import annotations

import argparse
from pathlib import Path

from console.errors import UserError


def add_sources_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sources", type=Path, metavar="FILE",
                        help="read several sources at once (a sources.toml naming each one's platform URL: SQL "
                        "platforms, nats://, mqtt://, sta+http://), each with its own cursor and status; instead of "
                        "--platform")


#: What the demo platform gives a `demo --sources` wall beside the sources: the city and its map.
DEMO_MAP = ("city", "districts", "buildings", "map_features")


def open_sources(args: argparse.Namespace, cache, map_from: str | None = None):
    """The connector over the sources ``--sources`` names (a down one is said, and retried by sync);
    ``map_from``: a platform that adds its city and map (no readings) under the name "city"."""
    from console.sources.several import SeveralSources
    from console.sources.sources_file import SourceSpec, read_sources
    from console.sync.open_connector import open_connector

    if getattr(args, "platform", None):
        raise UserError("give --platform or --sources, not both")
    specs = read_sources(args.sources)
    if map_from is not None:
        specs.append(SourceSpec("city", map_from, "", len(specs), DEMO_MAP))
    connector = SeveralSources(specs, open_connector, cached_reference=cache.reference)
    for source in connector.sources:
        try:
            source.connector.check()
        except UserError as exc:
            connector.close()
            raise UserError(f"source {source.spec.name!r}: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - unreachable (or wanting a sign-in): said once, and retried
            source.failed(exc)
    return connector


def start_demo_feed(args: argparse.Namespace, platform_url: str):
    """`demo --sources`: the demo city published to the SensorThings server and MQTT broker the file names."""
    import time

    from console.platform.standards_feed import StandardsFeed
    from console.sources.sources_file import read_sources
    from console.sync.connector import PlatformUnavailable
    from console.sync.open_connector import scheme_of

    specs = read_sources(args.sources)
    sta = next((s.platform for s in specs if scheme_of(s.platform) in ("sta+http", "sta+https")), None)
    broker = next((s.platform for s in specs if scheme_of(s.platform) in ("mqtt", "mqtts")), None)
    if sta is None and broker is None:
        raise UserError(f"demo --sources {args.sources}: it names no SensorThings (sta+http://) or MQTT (mqtt://) "
                        "source for the demo city to be published to")
    feed = StandardsFeed(platform_url, sta, broker)
    try:
        feed.prepare(time.time())
        feed.pump()
    except PlatformUnavailable as exc:
        feed.stop()
        raise UserError(f"demo --sources: {exc}") from None
    feed.start()
    return feed

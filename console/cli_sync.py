"""`cityops sync`: copy a platform into the cache without a wall, once (a JSON summary) or on and on."""

from __future__ import annotations

import argparse
import json
import sys
import time

from console import cli_platform, cli_sources
from console.cli_options import add_common, add_sync_options
from console.cli_wall import open_cache_told
from console.errors import UserError
from console.paths import places


def add_command(sub: argparse._SubParsersAction) -> None:
    sync = sub.add_parser("sync", help="copy a platform into the cache")
    add_common(sync)
    cli_platform.add_platform(sync, "platform: database URL, service=NAME or SQLite file path")
    sync.add_argument("--cache", metavar="PATH", help="cache file (default: in the data directory)")
    cli_sources.add_sources_option(sync)
    sync.add_argument("--once", action="store_true", help="catch up, print a JSON summary and exit")
    sync.add_argument("--batch-rows", type=int, default=20_000, metavar="N",
                      help="rows per stream per cache transaction (default 20000)")
    add_sync_options(sync)


def cmd_sync(args: argparse.Namespace) -> int:
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

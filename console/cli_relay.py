"""`cityops relay`: publish a platform's streams to NATS JetStream, the fan-out tier for many consoles."""

from __future__ import annotations

import argparse
import signal
import sys
import time

from console.errors import UserError


def add_commands(sub, platform_url) -> None:
    """Add ``relay`` to the `cityops` parser (``sub``: its subparsers)."""
    relay = sub.add_parser("relay", help="publish a platform's streams and reference data to NATS JetStream, "
                           "for consoles started with --platform nats://host")
    relay.add_argument("--platform", required=True, metavar="URL", type=platform_url,
                       help="the platform to read: database URL, service=NAME or SQLite file path")
    relay.add_argument("--nats", required=True, metavar="URL",
                       help="the JetStream server: nats://[user:password@]host[:port][?prefix=NAME] "
                       "(prefix: the streams' names, default cityops)")
    relay.add_argument("--max-age-hours", type=float, default=168.0, metavar="H",
                       help="how long JetStream keeps what the relay published (default 168: a week; "
                       "a console offline longer finds a gap it names)")
    relay.add_argument("--batch-rows", type=int, default=5_000, metavar="N",
                       help="rows read from the platform per stream per pass (default 5000)")
    relay.add_argument("--poll-interval", type=float, default=1.0, metavar="S",
                       help="seconds between polls where the platform cannot push (default 1)")
    relay.add_argument("--once", action="store_true", help="publish what the platform has now, print a summary "
                       "and exit")


def cmd_relay(args: argparse.Namespace) -> int:
    from console.sources.nats_relay import Relay, RelayState
    from console.sync.connector import PlatformUnavailable

    if args.max_age_hours <= 0 or args.batch_rows <= 0 or args.poll_interval <= 0:
        raise UserError("--max-age-hours, --batch-rows and --poll-interval must be above 0")

    def status(state: RelayState) -> None:
        line = state.state + (f": {state.reason}" if state.reason else "")
        print(f"relay {line}", file=sys.stderr, flush=True)

    relay = Relay(args.platform, args.nats, batch_rows=args.batch_rows, poll_interval=args.poll_interval,
                  max_age_s=args.max_age_hours * 3600.0, on_status=status)
    try:
        if args.once:
            try:
                while relay.pump():
                    pass
            except PlatformUnavailable as exc:
                raise UserError(str(exc)) from None
            print(f"published {relay.state.published} rows to {relay.url.shown}; platform cursors "
                  + ", ".join(f"{s} {tx}:{seq}" for s, (tx, seq) in relay.state.cursors.items()))
            return 0
        stop = {"now": False}
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.update(now=True))
        relay.start()
        while not stop["now"] and relay.running:
            time.sleep(0.2)
        if relay.failure:
            raise UserError(relay.failure)
        return 0
    finally:
        relay.close()

"""The warnings commands of `cityops`: import warnings (a CAP file, URL or polled feed), warnings list / export.

Kept apart from ``console.cli`` (which adds them through ``add_commands``); never imports it.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

from console.errors import UserError


def add_import_command(imp_sub, platform_url) -> None:
    """Add ``import warnings`` (``imp_sub``: the import command's subparsers)."""
    cap = imp_sub.add_parser("warnings", help="import CAP 1.2 warnings (an alert, or an Atom/RSS feed of alerts) "
                             "from a file or URL into a platform")
    cap.add_argument("source", metavar="FILE|URL", help="a CAP 1.2 XML file, or the http(s) URL of an alert or of "
                     "an Atom/RSS feed of alerts")
    cap.add_argument("--platform", required=True, metavar="URL", type=platform_url,
                     help="platform database URL or SQLite file path")
    cap.add_argument("--every", type=float, metavar="S", help="keep reading the source every S seconds (a polled "
                     "feed) until stopped; alerts already on the platform are not taken twice")


def add_commands(sub, platform_url) -> None:
    """Add ``warnings`` (list, export) to the `cityops` parser."""
    w = sub.add_parser("warnings", help="the public warnings on a platform: list those in force, export CAP XML")
    w_sub = w.add_subparsers(dest="warnings_command", required=True, metavar="ACTION")
    lst = w_sub.add_parser("list", help="print the warnings in force, one line each")
    lst.add_argument("--platform", required=True, metavar="URL", type=platform_url,
                     help="platform database URL or SQLite file path")
    lst.add_argument("--all", action="store_true", help="also the expired and cancelled ones")
    exp = w_sub.add_parser("export", help="write warnings as CAP 1.2 XML, valid against the OASIS schema")
    exp.add_argument("--platform", required=True, metavar="URL", type=platform_url,
                     help="platform database URL or SQLite file path")
    exp.add_argument("--id", dest="ids", action="append", default=[], metavar="ID",
                     help="only this warning (its incident id; repeatable; default: every warning in force)")
    exp.add_argument("--out", type=Path, required=True, metavar="DIR",
                     help="folder to write one <identifier>.xml per warning into (made if missing)")


def cmd_import_warnings(args: argparse.Namespace) -> int:
    from console.importers.report import PARTIAL_EXIT
    from console.importers.warnings import import_warnings, poll_feed

    def show(report) -> None:
        for line in report.broken:
            print(f"cityops: {line}", file=sys.stderr)
        print(replace(report, broken=[]).summary())

    if args.every is None:
        report = import_warnings(args.source, args.platform)
        show(report)
        return PARTIAL_EXIT if report.partial else 0
    if args.every < 1:
        raise UserError(f"--every {args.every:g}: poll at most once a second")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        poll_feed(args.source, args.platform, args.every, stop, show)
    except KeyboardInterrupt:
        stop.set()
    return 0


def cmd_warnings(args: argparse.Namespace) -> int:
    from console.cap.export import export_warnings, warnings_lines

    if args.warnings_command == "list":
        for line in warnings_lines(args.platform, time.time(), everything=args.all):
            print(line)
        return 0
    for path in export_warnings(args.platform, args.out, args.ids, time.time()):
        print(path)
    return 0

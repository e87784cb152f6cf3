"""Options several commands share (the data folder, sync's polling, a wall's), defined once so every
command that takes them spells and explains them alike."""

from __future__ import annotations

import argparse
from pathlib import Path

from console.cli_wall import THEMES
from console.model.action import ROLE_ACTIONS


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", metavar="DIR",
                        help="keep platform, cache and settings in DIR (also $CITYOPS_DATA_DIR)")


def add_sync_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--poll-interval", type=float, default=1.0, metavar="S",
                        help="seconds between polls when the platform cannot push (default 1)")


def add_wall_options(parser: argparse.ArgumentParser, default_layout: str, cache: bool = True) -> None:
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

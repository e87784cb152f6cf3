"""`cityops wall`: turn the pages of a running wall, on all its nodes at once, through its platform."""

from __future__ import annotations

import argparse
import time

from console import cli_platform
from console.errors import UserError
from console.model.action import ROLE_ACTIONS


def add_command(sub: argparse._SubParsersAction) -> None:
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


def cmd_wall(args: argparse.Namespace) -> int:
    from datetime import datetime

    from console.layout.rotation import RotationCommand, WallRotation
    from console.shell.app import read_layout
    from console.sync.connector import PlatformUnavailable
    from console.sync.sql_connector import SqlConnector
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

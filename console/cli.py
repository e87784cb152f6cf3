"""The `cityops` command line. Every failure a user can cause ends in one line and a non-zero exit."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from console import (__version__, cli_audit, cli_city, cli_figures, cli_import, cli_platform, cli_relay, cli_replay,
                     cli_run_wall, cli_scene, cli_sync, cli_wall_pages, cli_warnings)
from console.cli_options import add_common, add_wall_options
from console.databases import install_log_redaction, redact
from console.errors import UserError
from console.paths import places
from console.progress import progress_bar

#: A database URL, ``service=NAME`` (libpq), or a plain file path taken as an SQLite platform file.
platform_url = cli_platform.platform_arg


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cityops", description="CityOps Console: the city operations wall.")
    parser.add_argument("--version", action="version", version=f"cityops {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    cli_run_wall.add_commands(sub)  # demo, run
    cli_wall_pages.add_command(sub)

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

    cli_sync.add_command(sub)

    doctor = sub.add_parser("doctor", help="print versions, display, OpenGL, screens, cache and platform")
    add_common(doctor)
    doctor.add_argument("--cache", metavar="PATH", help="cache file to report on (default: in the data directory)")
    cli_platform.add_platform(doctor, "platform to check: database URL, service=NAME or SQLite file path")

    cli_import.add_commands(sub)
    cli_city.add_commands(sub, add_common, platform_url)
    cli_warnings.add_commands(sub, platform_url)
    cli_replay.add_commands(sub, add_common, add_wall_options, platform_url)
    cli_figures.add_commands(sub, add_common)
    cli_scene.add_commands(sub, add_common)
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


def _cmd_doctor(args: argparse.Namespace) -> int:
    from console.databases import platform_from_environment
    from console.shell.doctor import print_report

    where = places(args.data_dir)
    platform = args.platform or platform_from_environment() or (
        where.demo_platform_url if where.demo_platform.exists() else None)
    return print_report(args.cache or str(where.cache), platform)


COMMANDS = {
    "demo": cli_run_wall.cmd_demo,
    "run": cli_run_wall.cmd_run,
    "wall": cli_wall_pages.cmd_wall,
    "platform": _cmd_platform,
    "sync": cli_sync.cmd_sync,
    "doctor": _cmd_doctor,
    "import": cli_import.cmd_import,
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

"""What every command that opens a wall or a cache checks and builds first (`run`, `wall`, `demo`,
`replay`, `figures`): the layout, writable folders, the theme, the wall's options, the cache.

Kept apart from ``console.cli`` so the commands' own modules need not import the command line back.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from console import cli_platform
from console.errors import UserError
from console.paths import places

THEMES = ("high-performance", "classic")  # widgets/theme.py LOOKS (named here: the CLI imports no Qt)


def open_cache_told(path: str | Path):
    """The cache; an unusable one is moved aside and rebuilt, and the user is told."""
    from console.cache import open_cache

    cache = open_cache(path)
    if cache.notice:
        print(f"cityops: {cache.notice}", file=sys.stderr)
    return cache


def open_wall_layout(args: argparse.Namespace):
    """The wall's layout, after checking what a wall run needs before any long work starts: the
    layout whole, a screenshot folder that can be written, virtual screens, then a display."""
    from console.shell.app import read_layout
    from console.shell.qt_setup import ensure_display
    from console.shell.virtual_screens import parse_grid, screen_rects, use_virtual_screens
    from layouts import LAYOUT_DIR

    grid = parse_grid(args.virtual_screens) if args.virtual_screens else None
    name = args.layout or args.default_layout
    if args.layout is None and grid is not None and (LAYOUT_DIR / f"wall-{grid[0]}x{grid[1]}.toml").exists():
        name = f"wall-{grid[0]}x{grid[1]}"
    layout = read_layout(name)
    if args.data_dir or os.environ.get("CITYOPS_DATA_DIR"):
        check_writable_folder(places(args.data_dir).data, "--data-dir")
    if args.screenshot is not None:
        check_writable_folder(args.screenshot, "--screenshot")
    if args.virtual_screens:
        use_virtual_screens(screen_rects(layout, args.node, grid))
    ensure_display()
    return layout


def check_writable_folder(folder: Path, option: str) -> None:
    """Create ``folder`` now and write a probe there, so a bad path fails at once, not after the run."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".cityops-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UserError(f"{option} {folder}: cannot write there ({exc.strerror or exc})") from None


def wall_run_options(args: argparse.Namespace, platform: str | None):
    from console.shell.launch import WallOptions

    return WallOptions(args.seconds, args.screenshot, getattr(args, "poll_interval", 1.0),
                       cli_platform.console_operator(args, platform),
                       node=args.node, lang=args.lang, windowed=args.windowed, platform=platform,
                       theme=chosen_theme(args))


def chosen_theme(args: argparse.Namespace) -> str:
    """``--theme``, else ``theme`` in the settings file (``settings.toml`` beside the config), else
    high-performance; a settings file that names no known theme is one line, not a traceback."""
    if args.theme:
        return args.theme
    path = places(getattr(args, "data_dir", None)).settings
    try:
        import tomllib

        chosen = tomllib.loads(path.read_text(encoding="utf-8")).get("theme", THEMES[0])
    except FileNotFoundError:
        return THEMES[0]
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UserError(f"{path}: cannot read the settings ({exc})") from None
    if chosen not in THEMES:
        raise UserError(f"{path}: theme {chosen!r} is not one of {', '.join(THEMES)}")
    return chosen

"""`cityops scene`: look at building files in 3D before (or without) importing them into a platform.

A supervisor handed a CityJSON tile or a folder of vector tiles wants to see what it holds, and
what the importer made of it, before it reaches every wall: the same reader as
`cityops import buildings`, its report, and the wall's own 3D view in a window.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from console.errors import UserError


def add_commands(sub, common) -> None:
    """Add ``scene`` to the `cityops` parser (``sub``: its subparsers)."""
    scene = sub.add_parser("scene", help="show building files (CityJSON, CityJSONSeq, CityGML, GeoJSON, MVT, OSM) "
                           "and 3D Tiles tilesets in 3D")
    common(scene)
    scene.add_argument("files", nargs="+", type=Path, help="building files, or folders of them; a 3D Tiles "
                       "tileset.json (1.0 or 1.1) is drawn with the buildings beside it")
    scene.add_argument("--crs", metavar="CRS", help="the files' coordinate reference system, where they "
                       "do not say or say wrongly (e.g. EPSG:7415)")
    scene.add_argument("--force-crs", action="store_true",
                       help="read in --crs even where the files name another CRS, and show them wherever they land")
    scene.add_argument("--tile", metavar="Z/X/Y", help="the tile of a vector tile whose name does not say")
    scene.add_argument("--building", metavar="ID", help="open with this building's card, the camera on it")
    scene.add_argument("--title", help="window title (default: the first file's name)")
    scene.add_argument("--seconds", type=float, metavar="N", help="quit after N seconds")
    scene.add_argument("--screenshot", type=Path, metavar="PNG", help="save the window as a PNG before quitting")
    scene.add_argument("--windowed", action="store_true", help="an ordinary window instead of full screen")
    scene.add_argument("--lang", choices=("en", "zh"), default="en",
                       help="language of the interface: en English, zh Simplified Chinese (default en)")


def cmd_scene(args: argparse.Namespace) -> int:
    from console.importers.buildings import read_buildings

    if args.screenshot is not None and args.seconds is None:
        raise UserError("--screenshot needs --seconds: the picture is taken when the window closes")
    tilesets = [f for f in args.files if _is_tileset(f)]
    if len(tilesets) > 1:
        raise UserError(f"one tileset at a time: {tilesets[0]} and {tilesets[1]} were given")
    files = [f for f in args.files if f not in tilesets]
    tileset = None
    if tilesets:
        from console.scene.tileset import Tileset

        tileset = Tileset(tilesets[0])
        if args.building is not None:
            raise UserError("--building is for building files, not a tileset's features")
    rows, report = read_buildings(files, crs=args.crs, tile=args.tile, force_crs=args.force_crs) if files \
        else ([], None)
    if not rows and tileset is None:
        raise UserError(f"{args.files[0]}: no buildings to show")
    if args.building is not None and args.building not in {r["id"] for r in rows}:
        raise UserError(f"no building {args.building!r} in {', '.join(str(f) for f in args.files)}")
    if report is not None:
        print(report.summary(verb="Read"), file=sys.stderr)  # nothing reaches a platform
    if tileset is not None:
        print(f"Read the tileset {tileset.path.name}: {len(tileset.tiles)} tiles, "
              f"{sum(t.content is not None for t in tileset.tiles)} with content"
              + ("" if tileset.geographic else " (a local tileset: no place on the Earth, drawn in its own metres)")
              + "".join(f"; {why} ({n})" for why, n in tileset.skipped.items()) + ".", file=sys.stderr)
    from console.shell.scene_app import run_scene

    title = args.title or args.files[0].name
    return run_scene(rows, title, building=args.building, seconds=args.seconds, screenshot=args.screenshot,
                     windowed=args.windowed, lang=args.lang, tileset=tileset)


def _is_tileset(path: Path) -> bool:
    """A 3D Tiles tileset: a .json file whose first bytes hold an "asset" and a "root" (or named tileset.json)."""
    if path.is_dir() or path.suffix.lower() != ".json":
        return False
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return path.name == "tileset.json" or (b'"asset"' in head and b'"root"' in head)

"""A wall's screens without the monitors: Qt's offscreen platform given a screen file (DESIGN §5).

``cityops demo --virtual-screens 3x3`` opens the nine-screen wall headless, each window at its
true size and place, so its screenshots (and ``wall.png``) are what the wall room sees. Without
a grid the screens are the layout's own, at their declared sizes, side by side in its order.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from pathlib import Path

from console.errors import UserError
from console.layout.spec import Layout

GRID = re.compile(r"^(\d{1,2})x(\d{1,2})$")
SCREEN = (1920, 1080)
DPI = 96


def parse_grid(text: str) -> tuple[int, int] | None:
    """'3x3' -> (3 columns, 3 rows); 'layout' -> None (the layout's own screens)."""
    if text == "layout":
        return None
    found = GRID.match(text.strip().lower())
    if not found or not 1 <= int(found[1]) * int(found[2]) <= 64:
        raise UserError(f"--virtual-screens {text}: give COLUMNSxROWS of 1920×1080 screens, e.g. 3x3, or 'layout'")
    return int(found[1]), int(found[2])


def screen_rects(layout: Layout, node: int, grid: tuple[int, int] | None) -> list[tuple[int, int, int, int]]:
    """x, y, width, height of each virtual screen: a grid row by row, or the node's layout screens
    (a spanning screen takes one per output, its span's columns wide) in a row; a square number of
    screens placed by output index (wall-3x3's 0..8) is taken as that square, row by row."""
    if grid is not None:
        cols, rows = grid
        return [(c * SCREEN[0], r * SCREEN[1], *SCREEN) for r in range(rows) for c in range(cols)]
    specs = layout.node_screens(node) or layout.screens
    side = math.isqrt(len(specs))
    indexed = all(len(s.outputs) == 1 and s.outputs[0].index is not None for s in specs)
    if grid is None and indexed and side >= 2 and side * side == len(specs):  # outputs 0..8: a 3×3 wall, row by row
        return screen_rects(layout, node, (side, side))
    rects, x = [], 0
    for spec in specs:
        cols, rows = spec.span
        w, h = spec.size[0] // cols, spec.size[1] // rows
        for k in range(len(spec.outputs)):
            geometry = spec.outputs[k].geometry
            if geometry is not None:
                rects.append(geometry)
                continue
            rects.append((x + (k % cols) * w, (k // cols) * h, w, h))
        x = max([r[0] + r[2] for r in rects], default=0)
    return rects


def use_virtual_screens(rects: list[tuple[int, int, int, int]], folder: Path | None = None) -> Path:
    """Write the screen file and point Qt's offscreen platform at it (before the QApplication starts)."""
    screens = [{"name": f"virtual-{i + 1}", "x": x, "y": y, "width": w, "height": h, "logicalDpi": DPI,
                "logicalBaseDpi": DPI, "dpr": 1} for i, (x, y, w, h) in enumerate(rects)]
    folder = folder or Path(tempfile.mkdtemp(prefix="cityops-screens-"))
    path = folder / "screens.json"
    path.write_text(json.dumps({"screens": screens}), encoding="utf-8")
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={path}"
    return path

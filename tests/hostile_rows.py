"""Hostile platform rows, as a tester attacking the wall wrote them, and a wall run in a child process.

``reference_cases`` are rows for every reference table that once stopped sync, crashed a view or
lied on the wall; ``python -m tests.hostile_rows CACHE OUT`` opens a wall of the map and the 3D
scene on a cache (any cache: one whose rows bypassed the sync rules too), draws it, saves its
screens in OUT and exits 0.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass, field

BIG = 1e308
RLO, PDF = "\u202e", "\u202c"  # right-to-left override, pop directional formatting


def polygon(*ring: tuple[float, float]) -> str:
    return json.dumps({"type": "Polygon", "coordinates": [[list(p) for p in ring]]})


@dataclass
class Case:
    """A hostile row: its table, the row (None: an update of ``update``), what must happen to it."""

    name: str
    table: str
    row: dict
    reason: str | None  # a fragment of the quarantine reason; None: the row lands (repaired or cleaned)
    update: dict = field(default_factory=dict)  # {column: value} applied to an existing row instead


def reference_cases(nan: object) -> list[Case]:
    """``nan``: how the backend spells NaN (a float on PostgreSQL; SQLite stores NaN as NULL, so text there)."""
    deep = '{"type":"GeometryCollection","geometries":[' * 50_000 + "]}" * 50_000  # crashes GEOS's reader
    square = ((24.90, 60.10), (24.91, 60.10), (24.91, 60.11), (24.90, 60.11), (24.90, 60.10))
    return [
        Case("district at 1e308", "districts",
             {"id": "evil-big", "name": "Big", "boundary": polygon((-BIG, -BIG), (BIG, -BIG), (BIG, BIG), (-BIG, -BIG))},
             "not a longitude and latitude"),
        Case("district with NaN", "districts", {"id": "evil-nan", "name": "NaN", "boundary":
             '{"type":"Polygon","coordinates":[[[24.9,60.1],[NaN,60.1],[24.95,60.2],[24.9,60.1]]]}'}, "not JSON"),
        Case("district nested 50,000 deep", "districts", {"id": "evil-deep", "name": "Deep", "boundary": deep},
             "nests deeper"),
        Case("district of 200,000 vertices", "districts", {"id": "evil-huge", "name": "Huge", "boundary": polygon(
            *[(round(24.9 + 0.01 * math.cos(a / 3e4), 4), round(60.1 + 0.01 * math.sin(a / 3e4), 4))
              for a in range(200_000)])},
             "200,000 vertices"),
        Case("bow-tie district, repaired", "districts", {"id": "bowtie", "name": f"Bow {RLO}eit{PDF}", "boundary":
             polygon((24.90, 60.10), (24.92, 60.12), (24.92, 60.10), (24.90, 60.12), (24.90, 60.10))}, None),
        Case("district with an open ring, closed", "districts", {"id": "open", "name": "Open", "boundary": json.dumps(
            {"type": "Polygon", "coordinates": [[list(p) for p in square[:-1]]]})}, None),
        Case("indicator interval NaN", "indicators", {}, "interval_s", update={"id": 1, "interval_s": nan}),
        Case("indicator limit NaN", "indicators", {}, "warn_high", update={"id": 2, "warn_high": nan}),
        Case("indicator limits out of order", "indicators", {}, "is above alarm_high",
             update={"id": 3, "warn_high": 100.0, "alarm_high": 50.0}),
        Case("indicator with 99 decimals", "indicators", {}, "decimals 99", update={"id": 4, "decimals": 99}),
        Case("building 1e308 high", "buildings", {}, "height", update={"height": BIG}),
        Case("building model at 1e308", "buildings", {"id": "evil-model", "footprint": polygon(*square), "model":
             json.dumps({"type": "CityJSON", "CityObjects": {"b": {"type": "Building"}}, "vertices": [[BIG, BIG, BIG]]})},
             "not a longitude and latitude"),
        Case("map feature north of the pole", "map_features", {"id": "evil-pole", "layer": "park", "kind": "park",
             "geometry": json.dumps({"type": "Point", "coordinates": [24.9, 100.0]})}, "not a longitude and latitude"),
        Case("sensor at NaN", "sensors", {"id": "evil-sensor", "indicator_id": 1, "kind": "x", "lon": nan, "lat": 60.1},
             "lon"),
        Case("unit with a bidi callsign, cleaned", "units", {"id": "evil-unit", "kind": "patrol",
             "callsign": f"{RLO}11-P-LEH"}, None),
        Case("plan with steps that are not JSON", "plans", {"id": "evil-plan", "incident_kind": "fire",
             "title": "Plan", "steps": "[1, 2"}, "steps is not JSON"),
        Case("unit id with a zero-width space", "units", {"id": "hel-\u200bp99", "kind": "patrol",
             "callsign": "P99"}, "invisible character"),
    ]


#: The child's wall: the two views that crashed, the map (exit 139) and the 3D scene (a restart loop).
CHILD_LAYOUT = """title = "Hostile rows"
[[screens]]
name = "map"
size = [1280, 720]
[screens.root]
view = "map"
[[screens]]
name = "city3d"
size = [1280, 720]
[screens.root]
view = "scene3d"
"""


def main(cache_path: str, out: str) -> None:
    """Open a wall of the map and the 3D scene on ``cache_path`` (no platform), let the scene load,
    save its screens; prints their paths as JSON."""
    import os
    import time
    from pathlib import Path

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from console.cache import Cache
    from console.clock import Clock
    from console.layout.parse import load_layout
    from console.shell.app import Wall
    from console.shell.qt_setup import qt_app
    from widgets import view_params

    app = qt_app()
    cache = Cache(cache_path)
    newest = cache.engine.connect().exec_driver_sql("SELECT max(ts) FROM readings").scalar()
    layout = Path(out) / "hostile.toml"
    layout.parent.mkdir(parents=True, exist_ok=True)
    layout.write_text(CHILD_LAYOUT, encoding="utf-8")
    wall = Wall(load_layout(layout, view_params()), cache, None, Clock(lambda: newest + 60))
    wall.start()
    scene = next(v for w in wall.windows for v in w.views if type(v).__name__ == "SceneView")
    until = time.monotonic() + 60
    while time.monotonic() < until and (scene.loader.running or time.monotonic() < until - 58):
        app.processEvents()
        time.sleep(0.05)
    wall.refresh()
    paths = wall.screenshot(Path(out))
    wall.stop()
    print(json.dumps({"paths": [str(p) for p in paths], "scene_loading": scene.loader.running}))


if __name__ == "__main__":
    main(*sys.argv[1:3])

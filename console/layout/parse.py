"""Declarative layouts: TOML files describing screens, their pages, containers and views.

A layout is validated whole before any window opens, so a bad file never starts half a wall.
Every error names the file, the key path and what was expected, on one line.

    title = "Helsinki centre"
    mode = "wall"                 # or "workstation" (then wall = the layout its push to wall edits)
    [[screens]]
    name = "r1c1"
    size = [1920, 1080]
    node = 1                      # which wall PC shows it
    output = "DP-1"               # a name, an index or [x, y, w, h]; or outputs = [...] with span, bezel
    dwell = 30                    # seconds per page in the rotation
    distance = 4.0                # metres it is read from, and its diagonal in inches: text is sized for
    diagonal = 55                 #   them (console/layout/legibility.py); both may also be set for all screens
    rotation = ["overview", "storm", "overview"]
    [[screens.pages]]             # or a single [screens.root]
    name = "overview"
    [screens.pages.root]
    type = "grid"                 # rows | columns | grid | tabs
    columns = 3
    [[screens.pages.root.items]]
    view = "tiles"                # a registered view name
    indicators = ["drainage.*"]
"""

from __future__ import annotations

import json
import re
import reprlib
from pathlib import Path
from typing import Any

from console.files import read_toml
from console.layout.param_types import ViewParams, param_problem
from console.layout.spec import (ContainerSpec, Layout, LayoutError, Node, OutputSpec, PageSpec, ScreenSpec,
                                 ViewSpec)
from console.values import is_int, is_number
from layouts import LAYOUT_DIR

CONTAINERS = ("rows", "columns", "grid", "tabs")
MODES = ("wall", "workstation")
#: the keys each container kind takes
CONTAINER_KEYS = {"rows": ("type", "items", "shares"), "columns": ("type", "items", "shares"),
                  "grid": ("type", "items", "columns", "shares", "row_shares"), "tabs": ("type", "items", "titles")}
SCREEN_KEYS = ("name", "size", "node", "output", "outputs", "span", "bezel", "dwell", "rotation", "root", "pages",
               "distance", "diagonal")
#: what a screen's viewing distance (metres) and diagonal (inches, of one output) may be
DISTANCE_M = (0.3, 50.0)
DIAGONAL_IN = (7.0, 400.0)
PAGE_KEYS = ("name", "dwell", "root")
DEFAULT_DWELL_S = 30.0
MAX_DEPTH = 16  # containers inside containers; deeper is a mistake (and would exhaust the stack)


def resolve_layout(name_or_path: str) -> Path:
    """A shipped layout by name ("demo") or a file path."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.parent != Path("."):
        return candidate
    return LAYOUT_DIR / f"{name_or_path}.toml"


def load_layout(name_or_path: str | Path, views: ViewParams) -> Layout:
    """Read and validate a layout; raises LayoutError naming file, key path and expectation."""
    return _load(resolve_layout(str(name_or_path)), views, check_wall=True)


def _load(path: Path, views: ViewParams, check_wall: bool) -> Layout:
    doc = read_toml(path, LayoutError, f"layout file {path} does not exist (shipped layouts: {_shipped()})")
    return _Parser(path, views, check_wall).layout(doc)


def _shipped() -> str:
    return ", ".join(sorted(p.stem for p in LAYOUT_DIR.glob("*.toml")))


class _Parser:
    def __init__(self, path: Path, views: ViewParams, check_wall: bool):
        self.path = path
        self.views = views
        self.check_wall = check_wall
        self.found: list[ViewSpec] = []
        self.viewing: dict[str, float] = {}  # distance and diagonal set for every screen

    def fail(self, key: str, expected: str) -> LayoutError:
        return LayoutError(f"{self.path}: {key}: {expected}")

    def known(self, doc: dict, key: str, allowed: tuple[str, ...]) -> None:
        """Refuse the first key not in ``allowed``: a misspelt key must not be silently ignored."""
        for name in doc:
            if name not in allowed:
                raise self.fail(_join(key, name), f"unknown key (expected {', '.join(allowed)})")

    def layout(self, doc: dict) -> Layout:
        self.known(doc, "", ("title", "mode", "wall", "screens", "distance", "diagonal"))
        self.viewing = {key: self.measure(doc[key], key, key) for key in ("distance", "diagonal") if key in doc}
        title = doc.get("title", self.path.stem)
        if not isinstance(title, str):
            raise self.fail("title", "expected a string")
        mode = doc.get("mode", "wall")
        if not isinstance(mode, str) or mode not in MODES:
            raise self.fail("mode", f"expected one of {', '.join(MODES)}, got {reprlib.repr(mode)}")
        wall = self.wall(doc["wall"], mode) if "wall" in doc else None
        screens = doc.get("screens")
        if not isinstance(screens, list) or not screens:
            raise self.fail("screens", "expected at least one [[screens]] table")
        parsed = [self.screen(s, f"screens[{i}]") for i, s in enumerate(screens)]
        names = [s.name for s in parsed]
        if len(set(names)) != len(names):
            raise self.fail("screens", f"screen names must be unique, got {reprlib.repr(names)}")
        self.claims(parsed, screens)
        return Layout(title, parsed, self.path, self.found, mode, wall)

    def wall(self, wall: Any, mode: str) -> str:
        """The wall layout a workstation pushes to: it must exist and be a valid wall layout."""
        if mode != "workstation":
            raise self.fail("wall", 'only for mode = "workstation" (the wall layout its push to wall edits)')
        if not isinstance(wall, str) or not wall or not wall.isprintable():
            raise self.fail("wall", f"expected a layout name or path (shipped layouts: {_shipped()})")
        if self.check_wall:  # the wall's own wall key is not followed: two workstations naming each other
            try:
                target = _load(resolve_layout(wall), self.views, check_wall=False)
            except LayoutError as exc:
                raise self.fail("wall", f"expected a valid wall layout, but {exc}") from None
            if target.mode != "wall":
                raise self.fail("wall", f"expected a wall layout, but {wall!r} is a {target.mode} layout")
        return wall

    def claims(self, screens: list[ScreenSpec], docs: list[dict]) -> None:
        """Two screens of one node cannot go on the same physical output."""
        taken: dict[tuple[int, str, str | int | tuple[int, int, int, int]], str] = {}  # (node, kind, OutputSpec field)
        for i, (screen, doc) in enumerate(zip(screens, docs)):
            for j, out in enumerate(screen.outputs):
                key = f"screens[{i}].outputs[{j}]" if "outputs" in doc else f"screens[{i}].output"
                for kind in ("name", "index", "geometry"):
                    value = getattr(out, kind)
                    if value is None:
                        continue
                    claim = (screen.node, kind, value)
                    if claim in taken:
                        shown = list(value) if kind == "geometry" else value
                        raise self.fail(key, f"expected an output no other screen of node {screen.node} uses, "
                                             f"but screen {taken[claim]!r} already uses {shown!r}")
                    taken[claim] = screen.name

    def screen(self, doc: Any, key: str) -> ScreenSpec:
        if not isinstance(doc, dict):
            raise self.fail(key, "expected a table")
        self.known(doc, key, SCREEN_KEYS)
        name = doc.get("name")
        if not isinstance(name, str) or not name:
            raise self.fail(f"{key}.name", "expected a non-empty string")
        node = doc.get("node", 1)
        if not is_int(node) or not 1 <= node <= 999:
            raise self.fail(f"{key}.node", f"expected the number of the wall PC showing it, 1..999, "
                                           f"got {reprlib.repr(node)}")
        outputs = self.outputs(doc, key)
        span = self.pair(doc.get("span", [len(outputs), 1]), f"{key}.span", 1, 64,
                         "expected [columns, rows] of outputs this screen covers, each 1..64")
        if span[0] * span[1] != len(outputs):
            raise self.fail(f"{key}.span", f"expected columns × rows = {len(outputs)} (one per output), "
                                           f"got {span[0]} × {span[1]}")
        bezel = self.pair(doc.get("bezel", [0, 0]), f"{key}.bezel", 0, 500,
                          "expected [width, height] in pixels hidden by the frames, each 0..500")
        geometry = outputs[0].geometry if len(outputs) == 1 else None
        default_size = [geometry[2], geometry[3]] if geometry else [1920, 1080]
        size = self.pair(doc.get("size", default_size), f"{key}.size", 320, 16384,
                         "expected [width, height] in pixels, each 320..16384")
        dwell = self.seconds(doc.get("dwell", DEFAULT_DWELL_S), f"{key}.dwell")
        pages = self.pages(doc, key, dwell)
        distance, diagonal = (self.measure(doc[k], f"{key}.{k}", k) if k in doc else self.viewing.get(k)
                              for k in ("distance", "diagonal"))
        return ScreenSpec(name, size, pages, outputs, node, self.rotation(doc, key, pages), bezel, span,
                          distance, diagonal)

    def measure(self, value: Any, key: str, kind: str) -> float:
        """A viewing distance in metres or a diagonal in inches, within what a room can have."""
        low, high = DISTANCE_M if kind == "distance" else DIAGONAL_IN
        what = "metres the screen is read from" if kind == "distance" else "inches across one screen's diagonal"
        if not is_number(value) or not low <= value <= high:
            raise self.fail(key, f"expected the {what}, a number {low:g}..{high:g}, got {reprlib.repr(value)}")
        return float(value)

    def outputs(self, doc: dict, key: str) -> list[OutputSpec]:
        if "outputs" not in doc:
            return [self.output(doc.get("output"), f"{key}.output")]
        if "output" in doc:
            raise self.fail(f"{key}.outputs", "expected either output or outputs, not both")
        outputs = doc["outputs"]
        if not isinstance(outputs, list) or not outputs:
            raise self.fail(f"{key}.outputs", "expected a list of outputs (names, indexes or [x, y, width, height])")
        return [self.output(out, f"{key}.outputs[{i}]") for i, out in enumerate(outputs)]

    def output(self, value: Any, key: str) -> OutputSpec:
        if value is None:
            return OutputSpec()
        if isinstance(value, str) and value:
            return OutputSpec(name=value)
        if is_int(value) and 0 <= value <= 255:
            return OutputSpec(index=value)
        if (isinstance(value, list) and len(value) == 4 and all(is_int(v) for v in value)
                and all(-65536 <= v <= 65536 for v in value[:2]) and all(320 <= v <= 16384 for v in value[2:])):
            return OutputSpec(geometry=(value[0], value[1], value[2], value[3]))
        raise self.fail(key, 'expected an output name ("DP-1"), an index 0..255 or a geometry '
                             f"[x, y, width, height] (width and height 320..16384), got {reprlib.repr(value)}")

    def pair(self, value: Any, key: str, low: int, high: int, expected: str) -> tuple[int, int]:
        if not isinstance(value, list) or len(value) != 2 or not all(is_int(v) and low <= v <= high for v in value):
            raise self.fail(key, f"{expected}, got {reprlib.repr(value)}")
        return value[0], value[1]

    def seconds(self, value: Any, key: str) -> float:
        if not is_number(value) or not 1 <= value <= 86400:
            raise self.fail(key, f"expected seconds on screen, a number 1..86400, got {reprlib.repr(value)}")
        return float(value)

    def pages(self, doc: dict, key: str, dwell: float) -> list[PageSpec]:
        if "root" in doc:
            if "pages" in doc:
                raise self.fail(f"{key}.pages", "expected either root (a single page) or pages, not both")
            return [PageSpec("main", self.node(doc["root"], f"{key}.root"), dwell, f"{key}.root")]
        if "pages" not in doc:
            raise self.fail(f"{key}.root", "missing: expected the screen's container or view, or [[pages]]")
        pages = doc["pages"]
        if not isinstance(pages, list) or not pages:
            raise self.fail(f"{key}.pages", "expected at least one [[pages]] table")
        parsed: list[PageSpec] = []
        for i, page in enumerate(pages):
            pkey = f"{key}.pages[{i}]"
            if not isinstance(page, dict):
                raise self.fail(pkey, "expected a table")
            self.known(page, pkey, PAGE_KEYS)
            name = page.get("name")
            if not isinstance(name, str) or not name:
                raise self.fail(f"{pkey}.name", "expected a non-empty string")
            if any(p.name == name for p in parsed):
                raise self.fail(f"{pkey}.name", f"expected a name no other page of the screen has, got {name!r} again")
            page_dwell = self.seconds(page.get("dwell", dwell), f"{pkey}.dwell")
            if "root" not in page:
                raise self.fail(f"{pkey}.root", "missing: expected the page's container or view")
            parsed.append(PageSpec(name, self.node(page["root"], f"{pkey}.root"), page_dwell, pkey))
        return parsed

    def rotation(self, doc: dict, key: str, pages: list[PageSpec]) -> list[int]:
        names = [p.name for p in pages]
        if "rotation" not in doc:
            return list(range(len(pages)))
        rotation = doc["rotation"]
        if not isinstance(rotation, list) or not rotation:
            raise self.fail(f"{key}.rotation", f"expected a list of page names in playing order ({', '.join(names)})")
        for i, name in enumerate(rotation):
            if not isinstance(name, str) or name not in names:
                raise self.fail(f"{key}.rotation[{i}]",
                                f"unknown page {reprlib.repr(name)} (expected one of {', '.join(names)})")
        return [names.index(name) for name in rotation]

    def node(self, doc: Any, key: str, depth: int = 0) -> Node:
        if not isinstance(doc, dict):
            raise self.fail(key, "expected a table")
        if "view" in doc and "type" in doc:
            raise self.fail(key, "has both 'view' and 'type': a node is either a view or a container")
        if "view" in doc:
            return self.view(doc, key)
        if "type" in doc:
            if depth >= MAX_DEPTH:
                raise self.fail(key, f"expected at most {MAX_DEPTH} levels of containers inside containers")
            return self.container(doc, key, depth)
        raise self.fail(key, f"expected 'view' (one of {', '.join(sorted(self.views))}) "
                             f"or 'type' (one of {', '.join(CONTAINERS)})")

    def container(self, doc: dict, key: str, depth: int) -> ContainerSpec:
        kind = doc["type"]
        if not isinstance(kind, str) or kind not in CONTAINERS:
            raise self.fail(f"{key}.type",
                            f"unknown container {reprlib.repr(kind)} (expected one of {', '.join(CONTAINERS)})")
        self.known(doc, key, CONTAINER_KEYS[kind])
        items = doc.get("items")
        if not isinstance(items, list) or not items:
            raise self.fail(f"{key}.items", "expected at least one item")
        nodes = [self.node(item, f"{key}.items[{i}]", depth + 1) for i, item in enumerate(items)]
        columns, row_shares = 0, []
        if kind == "grid":
            columns = doc.get("columns")
            if not is_int(columns) or not 1 <= columns <= 64:
                raise self.fail(f"{key}.columns", f"expected the number of columns, an integer 1..64, "
                                                  f"got {reprlib.repr(columns)}")
            rows = -(-len(nodes) // columns)
            shares = self.shares(doc, "shares", key, columns, "column")
            row_shares = self.shares(doc, "row_shares", key, rows, "row")
        else:
            shares = self.shares(doc, "shares", key, len(nodes), "item")
        titles = doc.get("titles", [])
        if not isinstance(titles, list) or titles and len(titles) != len(nodes) \
                or not all(isinstance(t, str) for t in titles):
            raise self.fail(f"{key}.titles", f"expected {len(nodes)} strings, one per item")
        return ContainerSpec(kind, nodes, shares, titles, key, columns, row_shares)

    def shares(self, doc: dict, name: str, key: str, count: int, per: str) -> list[float]:
        shares = doc.get(name, [1] * count)
        if not isinstance(shares, list) or len(shares) != count or not all(is_number(s) and s > 0 for s in shares):
            raise self.fail(f"{key}.{name}", f"expected {count} positive numbers, one per {per}")
        return [float(s) for s in shares]

    def view(self, doc: dict, key: str) -> ViewSpec:
        name = doc["view"]
        if not isinstance(name, str) or name not in self.views:
            raise self.fail(f"{key}.view", f"unknown view {reprlib.repr(name)} "
                                           f"(expected one of {', '.join(sorted(self.views))})")
        allowed = self.views[name]
        params = {k: v for k, v in doc.items() if k != "view"}
        for param, value in params.items():
            if param not in allowed:
                raise self.fail(_join(key, param), f"view {name!r} takes no such parameter "
                                                   f"(expected one of {', '.join(sorted(allowed)) or 'none'})")
            problem = param_problem(value, allowed[param])
            if problem:
                raise self.fail(_join(key, param), problem)
        spec = ViewSpec(name, params, key)
        self.found.append(spec)
        return spec


def _join(key: str, name: str) -> str:
    """A key path one level down; odd key names are quoted as TOML quotes them, so a message stays one line."""
    part = name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name)  # escapes as TOML does
    return f"{key}.{part}" if key else part

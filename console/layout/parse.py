"""Declarative layouts: TOML files describing screens, containers and the views they hold.

A layout is validated whole before any window opens, so a bad file never starts half a wall.
Every error names the file, the key path and what was expected.

    title = "Helsinki centre"
    [[screens]]
    name = "main"
    size = [1920, 1080]
    [screens.root]
    type = "columns"          # rows | columns | tabs
    shares = [3, 2]
    [[screens.root.items]]
    view = "tiles"            # a registered view name
    indicators = ["drainage.*"]
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from console.errors import UserError
from layouts import LAYOUT_DIR

CONTAINERS = ("rows", "columns", "tabs")

#: view name -> {parameter name: expected Python type(s)}
ViewParams = Mapping[str, Mapping[str, type | tuple[type, ...]]]


class LayoutError(UserError):
    """A layout file that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class ViewSpec:
    view: str
    params: dict[str, Any]
    path: str  # key path in the file, for messages


@dataclass(frozen=True)
class ContainerSpec:
    kind: str  # rows | columns | grid | tabs
    items: list["Node"]
    shares: list[float]  # rows/columns: one per item; grid: one per column
    titles: list[str]  # tabs: one per item
    path: str
    columns: int = 0  # grid only: items fill the grid row by row, this many per row
    row_shares: list[float] = field(default_factory=list)  # grid only: one per row


Node = Union[ViewSpec, ContainerSpec]


@dataclass(frozen=True)
class PageSpec:
    """One page of a screen; ``dwell`` is its time on screen in the rotation, in seconds."""

    name: str
    root: Node
    dwell: float
    path: str


@dataclass(frozen=True)
class OutputSpec:
    """Which physical screen (QScreen) a layout screen goes on: by name, by index or by geometry.

    All None: the next screen not yet taken, in the layout's order.
    """

    name: str | None = None  # e.g. "DP-1", "HDMI-2" (QScreen.name())
    index: int | None = None  # position in QGuiApplication.screens()
    geometry: tuple[int, int, int, int] | None = None  # x, y, width, height in desktop pixels


@dataclass(frozen=True)
class ScreenSpec:
    """One screen of the wall: where it goes, which node shows it, its pages and their rotation.

    ``outputs`` has one entry, or several when the screen spans physical screens (a map across
    a 2×1 block); ``bezel`` is then the width and height in pixels hidden by the frames between
    them, so a line crossing a seam stays straight.
    """

    name: str
    size: tuple[int, int]
    pages: list[PageSpec]
    outputs: list[OutputSpec] = field(default_factory=lambda: [OutputSpec()])
    node: int = 1
    rotation: list[int] = field(default_factory=list)  # page indexes in playing order (default: all, in order)
    bezel: tuple[int, int] = (0, 0)
    span: tuple[int, int] = (1, 1)  # columns × rows of outputs this screen covers

    @property
    def root(self) -> Node:
        """The first page's tree: what a single-page screen shows."""
        return self.pages[0].root


@dataclass(frozen=True)
class Layout:
    title: str
    screens: list[ScreenSpec]
    source: Path
    views: list[ViewSpec] = field(default_factory=list)
    mode: str = "wall"  # wall: full-screen windows; workstation: dockable panels in one window
    wall: str | None = None  # workstation only: the wall layout its "push to wall" edits

    def node_screens(self, node: int) -> list[ScreenSpec]:
        """The screens one wall PC shows (``cityops run --node N``)."""
        return [s for s in self.screens if s.node == node]


def resolve_layout(name_or_path: str) -> Path:
    """A shipped layout by name ("demo") or a file path."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.parent != Path("."):
        return candidate
    return LAYOUT_DIR / f"{name_or_path}.toml"


def load_layout(name_or_path: str | Path, views: ViewParams) -> Layout:
    """Read and validate a layout; raises LayoutError naming file, key path and expectation."""
    path = resolve_layout(str(name_or_path))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        shipped = ", ".join(sorted(p.stem for p in LAYOUT_DIR.glob("*.toml")))
        raise LayoutError(f"layout file {path} does not exist (shipped layouts: {shipped})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LayoutError(f"layout file {path} cannot be read: {exc}") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LayoutError(f"{path}: not valid TOML: {exc}") from None
    return _Parser(path, views).layout(doc)


class _Parser:
    def __init__(self, path: Path, views: ViewParams):
        self.path = path
        self.views = views
        self.found: list[ViewSpec] = []

    def fail(self, key: str, expected: str) -> LayoutError:
        return LayoutError(f"{self.path}: {key}: {expected}")

    def layout(self, doc: dict) -> Layout:
        title = doc.get("title", self.path.stem)
        if not isinstance(title, str):
            raise self.fail("title", "expected a string")
        unknown = set(doc) - {"title", "screens"}
        if unknown:
            raise self.fail(sorted(unknown)[0], "unknown key (expected title, screens)")
        screens = doc.get("screens")
        if not isinstance(screens, list) or not screens:
            raise self.fail("screens", "expected at least one [[screens]] table")
        parsed = [self.screen(s, f"screens[{i}]") for i, s in enumerate(screens)]
        names = [s.name for s in parsed]
        if len(set(names)) != len(names):
            raise self.fail("screens", f"screen names must be unique, got {names}")
        return Layout(title, parsed, self.path, self.found)

    def screen(self, doc: Any, key: str) -> ScreenSpec:
        if not isinstance(doc, dict):
            raise self.fail(key, "expected a table")
        name = doc.get("name")
        if not isinstance(name, str) or not name:
            raise self.fail(f"{key}.name", "expected a non-empty string")
        size = doc.get("size", [1920, 1080])
        if (not isinstance(size, list) or len(size) != 2
                or not all(isinstance(v, int) and 320 <= v <= 16384 for v in size)):
            raise self.fail(f"{key}.size", "expected [width, height] in pixels, each 320..16384")
        if "root" not in doc:
            raise self.fail(f"{key}.root", "missing: expected the screen's container or view")
        root = self.node(doc["root"], f"{key}.root")
        return ScreenSpec(name, (size[0], size[1]), [PageSpec("main", root, 30.0, f"{key}.root")])

    def node(self, doc: Any, key: str) -> Node:
        if not isinstance(doc, dict):
            raise self.fail(key, "expected a table")
        if "view" in doc and "type" in doc:
            raise self.fail(key, "has both 'view' and 'type': a node is either a view or a container")
        if "view" in doc:
            return self.view(doc, key)
        if "type" in doc:
            return self.container(doc, key)
        raise self.fail(key, f"expected 'view' (one of {', '.join(sorted(self.views))}) "
                             f"or 'type' (one of {', '.join(CONTAINERS)})")

    def container(self, doc: dict, key: str) -> ContainerSpec:
        kind = doc["type"]
        if kind not in CONTAINERS:
            raise self.fail(f"{key}.type", f"unknown container {kind!r} (expected one of {', '.join(CONTAINERS)})")
        unknown = set(doc) - {"type", "items", "shares", "titles"}
        if unknown:
            raise self.fail(f"{key}.{sorted(unknown)[0]}", "unknown key (expected items, shares, titles)")
        items = doc.get("items")
        if not isinstance(items, list) or not items:
            raise self.fail(f"{key}.items", "expected at least one item")
        nodes = [self.node(item, f"{key}.items[{i}]") for i, item in enumerate(items)]
        shares = doc.get("shares", [1] * len(nodes))
        if (not isinstance(shares, list) or len(shares) != len(nodes)
                or not all(isinstance(s, (int, float)) and not isinstance(s, bool) and s > 0 for s in shares)):
            raise self.fail(f"{key}.shares", f"expected {len(nodes)} positive numbers, one per item")
        titles = doc.get("titles", [])
        if not isinstance(titles, list) or not all(isinstance(t, str) for t in titles):
            raise self.fail(f"{key}.titles", "expected a list of strings")
        return ContainerSpec(kind, nodes, [float(s) for s in shares], titles, key)

    def view(self, doc: dict, key: str) -> ViewSpec:
        name = doc["view"]
        if name not in self.views:
            raise self.fail(f"{key}.view", f"unknown view {name!r} (expected one of {', '.join(sorted(self.views))})")
        allowed = self.views[name]
        params = {k: v for k, v in doc.items() if k != "view"}
        for param, value in params.items():
            if param not in allowed:
                raise self.fail(f"{key}.{param}", f"view {name!r} takes no such parameter "
                                                  f"(expected one of {', '.join(sorted(allowed)) or 'none'})")
            expected = allowed[param]
            if not isinstance(value, expected) or isinstance(value, bool) and bool not in _types(expected):
                raise self.fail(f"{key}.{param}", f"expected {_type_names(expected)}, got {type(value).__name__}")
        spec = ViewSpec(name, params, key)
        self.found.append(spec)
        return spec


def _types(expected: type | tuple[type, ...]) -> tuple[type, ...]:
    return expected if isinstance(expected, tuple) else (expected,)


def _type_names(expected: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", list: "a list", bool: "true or false"}
    return " or ".join(names.get(t, t.__name__) for t in _types(expected))
